"""``collab-env serve ENV --describe DIR``: the env describes itself in openenv.yaml and NeMo Gym's manifest."""

from __future__ import annotations

import pytest
import yaml
from openenv.validation import Level, Verdict, run_validation
from openenv.validation.parsers.openenv_yaml import OpenEnvYamlParser

from collab_env.cli import main
from collab_env.config import EnvConfig
from collab_env.rewards.core import IGNORED_COST
from collab_env.serve.app import ServeOptions
from collab_env.serve.describe import write_description


def test_describe_writes_files_openenvs_validator_accepts(tmp_path):
    assert (
        main(["serve", "CollabMath-v0", "--split", "test", "--mr-window", "1", "--describe", str(tmp_path)])
        == 0
    )
    _assert_openenv_validates(tmp_path)
    manifest = OpenEnvYamlParser().parse(tmp_path)
    assert manifest.name == "CollabMath-v0" and not manifest.capabilities.llm_judged
    low, high = manifest.reward.range
    openenv = yaml.safe_load((tmp_path / "openenv.yaml").read_text())
    weights = openenv["collab_env"]["env_config"]
    assert openenv["collab_env"]["user"] == {"model": "scripted"}
    assert (
        openenv["collab_env"]["task_set"]["split"] == "test" and openenv["collab_env"]["task_set"]["size"] > 0
    )
    assert openenv["collab_env"]["mr"] == {"window": 1, "samples": 3, "policy": "clarify"}
    assert weights["env_id"] == "CollabMath-v0"
    nemo = yaml.safe_load((tmp_path / "manifest.yaml").read_text())
    assert nemo["profile"] == "gymnasium" and nemo["session_model"]["cookie"] == "collab_env_session"
    assert nemo["determinism"] == {
        "deterministic": True,
        "seeded_by": "reset's seed",
        "reward_tolerance": 0.0,
    }
    assert nemo["reward"]["range"] == [low, high] and nemo["reward"]["mode"] == "mr"
    w = nemo["reward"]["weights"]
    assert low == pytest.approx(-nemo["reward"]["penalty_cap"] - w["engagement"] * IGNORED_COST)
    assert high == pytest.approx(w["task_metric"] + w["engagement"])
    assert nemo["version"] == manifest.version


def test_an_llm_user_and_judge_are_pinned_and_the_env_declared_not_deterministic(tmp_path):
    config = EnvConfig.from_kwargs(env_id="CollabDoc-v0", user_model="qwen", base_url="http://127.0.0.1:9/v1",
                       model_options=("judge.temperature=0",))  # fmt: skip
    write_description(tmp_path, config.make, ServeOptions(), "CollabDoc-v0")
    _assert_openenv_validates(tmp_path)
    manifest = OpenEnvYamlParser().parse(tmp_path)
    assert manifest.capabilities.llm_judged and manifest.judge.model == "qwen"
    assert manifest.judge.params["temperature"] == 0.0 and manifest.reward.variance_tolerance > 0
    nemo = yaml.safe_load((tmp_path / "manifest.yaml").read_text())
    assert nemo["determinism"]["deterministic"] is False
    assert nemo["user"]["model"] == "qwen" and nemo["user"]["base_url"] == "http://127.0.0.1:9/v1"


def test_turn_rewards_declare_the_range_of_a_change(tmp_path):
    write_description(
        tmp_path, EnvConfig("CollabQA-v0", reward_mode="turn").make, ServeOptions(), "CollabQA-v0"
    )
    final = EnvConfig("CollabQA-v0").make().unwrapped.reward_config
    low, high = OpenEnvYamlParser().parse(tmp_path).reward.range
    width = final.w_ext + final.w_eng + final.penalty_cap + final.w_eng * IGNORED_COST
    assert (low, high) == pytest.approx((-width, width))


def _assert_openenv_validates(folder) -> None:
    """What ``openenv validate FOLDER --level static --skip-build`` runs: the manifest check and the
    severity policy's bounds."""
    report = run_validation(folder, max_level=Level.STATIC, skip_build=True)
    assert report.verdict is not Verdict.FAIL, [(r.check_id, r.evidence) for r in report.results]
