"""The agent's model options turn the knob they name: what the endpoint sees."""

from __future__ import annotations

from collab_env.cli import main
from collab_env.testing.openai_server import LoopbackServer


def test_agent_model_options_reach_the_endpoint_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    with LoopbackServer(reply=lambda m: "Which market do you mean?", latency_s=0.05) as server:
        argv = [
            "bench", "--envs", "CollabQA-v0", "--agents", f"openai:loopback@{server.base_url}",
            "--episodes", "6", "--workers", "6", "--max-turns", "2", "--out", str(tmp_path),
            "--model-option", "agent.max_tokens=100", "--model-option", "agent.concurrency=2",
        ]  # fmt: skip
        assert main(argv) == 0
    turns = [b for b in server.bodies if len(b["messages"]) > 1]  # the agent's turns, not the preflight
    assert turns and {b["max_tokens"] for b in turns} == {100}
    assert server.max_in_flight == 2  # six episodes at once, two calls in flight: the agent's bound
