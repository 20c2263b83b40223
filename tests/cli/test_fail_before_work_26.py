"""Issue 26, cases 5 to 7: what cannot work fails before work, in one line, with status 2."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from collab_env.cli import main
from collab_env.config import EnvConfig
from collab_env.testing.openai_server import LoopbackServer

SMALL = ["--envs", "CollabQA-v0", "--episodes", "2", "--workers", "1"]


def _one_line_error(out: str, text: str) -> None:
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and text in " ".join(out.split()), out


def test_case5_a_model_path_not_on_disk_without_hub_access_is_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("trl", reason="TRL is not installed ('collab-env[train]')")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "sft.jsonl").write_text("{}\n")
    argv = ["finetune", "sft", "--model", "nothere", "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    _one_line_error(capsys.readouterr().out, "model 'nothere': no checkpoint directory there")


def test_case5_an_hf_agent_spec_not_on_disk_is_one_line(tmp_path, capsys):
    assert main(["bench", *SMALL, "--agents", "hf:nothere", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys.readouterr().out, "no checkpoint directory at 'nothere'")


def test_case7_a_base_url_without_a_scheme_is_named_not_blamed_on_the_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    argv = ["bench", *SMALL, "--user-model", "m", "--base-url", "localhost:8000/v1", "--out", str(tmp_path)]
    assert main(argv) == 2
    out = capsys.readouterr().out
    _one_line_error(
        out, "'localhost:8000/v1' has no http:// or https:// scheme; write http://localhost:8000/v1"
    )
    assert "OPENAI_API_KEY" not in out


def test_case7_a_judge_that_cannot_score_is_found_by_preflight_asking_it_once(tmp_path, capsys):
    with LoopbackServer(reply=lambda m: "What a lovely conversation!") as server:
        argv = ["bench", *SMALL, "--judge-model", "j", "--base-url", server.base_url, "--out", str(tmp_path)]
        assert main(argv) == 2
    _one_line_error(capsys.readouterr().out, "judge model 'openai:j@http")
    assert not (tmp_path / "episodes.jsonl").exists()


def test_case7_envs_with_a_model_backed_user_and_judge_pickle_and_deepcopy():
    score = json.dumps({"thought": "asks", "score": 0.5})
    with LoopbackServer(reply=lambda m: score) as server:
        env = EnvConfig.from_kwargs(
            env_id="CollabQA-v0", user_model="u", judge_model="j", base_url=server.base_url
        ).make()
        for copied in (copy.deepcopy(env), pickle.loads(pickle.dumps(env))):
            judge = copied.unwrapped.engagement_judge
            assert judge.model is not env.unwrapped.engagement_judge.model  # rebuilt, not shared
            assert (
                judge(None, None, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "?"}])[
                    0
                ]
                == 0.5
            )
            assert copied.unwrapped.user.model.base_url == server.base_url
