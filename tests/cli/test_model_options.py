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


def test_agent_timeout_option_reaches_the_call_through_the_cli(monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    # the preflight's request is answered; the agent's first call stalls past its timeout
    with LoopbackServer(faults=[None, "stall"], stall_s=3.0) as server:
        argv = [
            "episode", "CollabQA-v0", "--agent", f"openai:loopback@{server.base_url}", "--max-turns", "1",
            "--model-option", "agent.timeout_s=0.5", "--model-option", "agent.max_retries=0",
        ]  # fmt: skip
        assert main(argv) == 2  # the agent's call failed: an error, after its one attempt
    out = " ".join(capsys.readouterr().out.split())
    assert "APITimeoutError after 1 attempt" in out and server.requests == 2


def test_an_agent_built_from_a_spec_takes_the_agent_role_defaults():
    import gymnasium as gym

    from collab_env.agents.specs import build_agent
    from collab_env.config import ROLE_DEFAULTS

    default = build_agent("openai:m@http://127.0.0.1:9/v1", gym.make("CollabQA-v0")).model.model
    assert default._client_kwargs["timeout"] == ROLE_DEFAULTS["agent"]["timeout_s"] == 300.0
    given = build_agent("openai:m@http://127.0.0.1:9/v1", gym.make("CollabQA-v0"), ["timeout_s=7"])
    assert given.model.model._client_kwargs["timeout"] == 7.0
