"""A user's own family, registered as docs/custom_tasks.md shows, works in every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from collab_env.cli import main
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
ENV_ID = "icecream_family:IceCream-v0"  # Gymnasium's "module:Id": the module registers the id


@pytest.fixture
def icecream(tmp_path, monkeypatch):
    """The docs' ice-cream family as a module of the user's own (its examples, as written)."""
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / "docs/custom_tasks.md").read_text(), re.S | re.M)
    (tmp_path / "icecream_family.py").write_text("\n".join(blocks))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_registered_family_runs_under_episode(icecream, capsys):
    assert main(["episode", ENV_ID, "--agent", "clarify", "--seed", "0", "--json"]) == 0
    out = capsys.readouterr().out  # the docs' example prints a line first, then the JSON
    data = json.loads(out[out.index("{") :])
    assert data["task_id"].startswith("icecream-test-") and data["reward"]["task_metric"] == 1.0


def test_a_registered_family_runs_under_bench(icecream):
    out = icecream / "run"
    assert (
        main(["bench", "--envs", ENV_ID, "--agents", "passive,clarify", "--episodes", "4", "--out", str(out)])
        == 0
    )
    rows = {r["agent"]: r for r in json.loads((out / "results.json").read_text())["summary"]}
    assert rows.keys() == {"passive", "clarify"} and all(r["env_id"] == ENV_ID for r in rows.values())
    assert rows["clarify"]["episodes"] == 4 and rows["clarify"]["lost"] == 0


def test_a_config_of_a_registered_family_replays_it(icecream):
    env = EnvConfig(ENV_ID, split="test", max_turns=3).make()
    assert env.unwrapped.task.name == "icecream" and env.unwrapped.config.env_id == ENV_ID
    assert env.unwrapped.config.make().unwrapped.task is env.unwrapped.task


def test_an_id_registered_without_the_factory_is_refused_naming_the_fix():
    import gymnasium as gym

    gym.register(id="NotOurs-v0", entry_point="gymnasium.envs.classic_control:CartPoleEnv")
    try:
        with pytest.raises(ConfigError, match=r"entry_point=.collab_env\.builders:make_env."):
            EnvConfig("NotOurs-v0")
    finally:
        del gym.registry["NotOurs-v0"]
