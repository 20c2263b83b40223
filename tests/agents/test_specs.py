"""Agent specs: built-in names, openai:MODEL@BASE_URL, hf:PATH and module:function."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

from collab_env.agents.specs import MeteredChat, build_agent, check_spec, uses_model
from collab_env.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _importable(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))


@pytest.mark.parametrize(
    "spec",
    [
        "passive",
        "clarify",
        " clarify ",
        "openai:gpt-4o-mini",
        "openai:Qwen/Qwen2.5-7B-Instruct@http://localhost:8000/v1",
        "openai:m@https://api.example.com/v1#proactive",
        "hf:/models/my-checkpoint",
        "hf:./ckpt#proactive",
        "tests.harness.sample_agents:echo_agent",
    ],
)
def test_good_specs_are_accepted_as_written(spec):
    assert check_spec(spec) == spec.strip()


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("", "bad agent spec ''"),
        ("gpt-4o", "a built-in agent"),
        ("module:", "module:function"),
        (":fn", "module:function"),
        ("a b:c", "module:function"),
        ("openai:", "'openai:MODEL@BASE_URL' with BASE_URL"),
        ("openai:m@localhost:8000", "starting http:// or https://"),
        ("openai:m#eager", "'#base' or '#proactive'"),
        ("hf:", "'hf:PATH'"),
        ("hf:ckpt#eager", "'hf:PATH'"),
    ],
)
def test_bad_specs_name_the_spec_and_what_is_expected(spec, complaint):
    with pytest.raises(ConfigError, match="bad agent spec") as err:
        check_spec(spec)
    assert repr(spec.strip()) in str(err.value) and complaint in str(err.value)


def test_callables_and_factories_build_agents():
    env = gym.make("CollabQA-v0")
    from tests.harness import sample_agents

    assert build_agent("tests.harness.sample_agents:echo_agent", env) is sample_agents.echo_agent
    assert build_agent("tests.harness.sample_agents:factory", env)([]) == "Answer: qa"
    assert build_agent("passive", env)([{"role": "user", "content": "Which market?"}])


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        (
            "tests.harness.sample_agents:missing",
            "cannot import 'missing' from 'tests.harness.sample_agents'",
        ),
        ("no_such_module_xyz:agent", "cannot import 'agent' from 'no_such_module_xyz'"),
        ("tests.harness.sample_agents:not_callable", "is a int, not a callable"),
        ("hf:/no/such/checkpoint", "no checkpoint at /no/such/checkpoint"),
    ],
)
def test_specs_that_cannot_be_built_say_why(spec, complaint):
    with pytest.raises(ConfigError, match=complaint):
        build_agent(spec, gym.make("CollabQA-v0"))


def test_model_specs_share_one_model_and_meter_each_agent():
    env = gym.make("CollabQA-v0")
    a = build_agent("openai:m@http://127.0.0.1:9/v1#proactive", env)
    b = build_agent("openai:m@http://127.0.0.1:9/v1", env)
    assert isinstance(a.model, MeteredChat) and a.model.model is b.model.model  # one client
    assert a.model.usage is not b.model.usage and (a.style, b.style) == ("proactive", "base")
    assert (
        a.model.model.base_url == "http://127.0.0.1:9/v1"
        and uses_model("openai:m")
        and not uses_model("clarify")
    )


def test_openai_spec_end_to_end_against_a_loopback_server(tmp_path):
    server_module = pytest.importorskip(
        "collab_env.testing.openai_server", reason="the loopback OpenAI server is not in this checkout"
    )
    from collab_env.cli.bench import Tally
    from collab_env.harness.log import read_log
    from collab_env.harness.runner import BenchConfig, run_bench

    with server_module.LoopbackServer(reply=lambda m: "Which market do you mean?") as server:
        spec = f"openai:loopback@{server.base_url}#proactive"
        config = BenchConfig(["CollabQA-v0"], [spec], 2, out=str(tmp_path), workers=2)
        _, records = read_log(run_bench(config))
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert all(r["agent_usage"]["calls"] == r["turns"] > 0 for r in records)  # per episode, not shared
    assert records[0]["messages"][1]["content"] == "Which market do you mean?"
    tally = Tally()
    for record in records:
        tally.add(record)
    assert "model tokens" in tally.describe() and tally.scored == 2
