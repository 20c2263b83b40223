"""A pinned user: results name the user simulator's version, and runs of different users are not compared."""

from __future__ import annotations

import json

import pytest

from collab_env.cli import main
from collab_env.config import EnvConfig
from collab_env.harness.log import read_log
from collab_env.harness.runner import BenchConfig, run_bench
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL
from collab_env.users import LLMUser, ScriptedUser


def _user_reply(messages):
    return json.dumps({"thought": "fine", "response": f"Thanks, that answers it. {TERMINATION_SIGNAL}"})


def test_scripted_user_versions_differ_only_when_its_behaviour_does():
    assert ScriptedUser().version == ScriptedUser().version == "scripted-v4"
    assert ScriptedUser(patience=(4,)).version.startswith("scripted-v4+")


def test_llm_user_version_names_protocol_prompt_and_model_and_changes_with_them():
    def version(model="m", **kwargs):
        return LLMUser(OpenAIChat(model, base_url="http://127.0.0.1:9/v1"), **kwargs).version

    assert version().startswith("llm/acts-data/p") and version().endswith("/m")  # acts: the default
    assert version(protocol="grounded").startswith("llm/grounded-data/p")
    assert version() == version()
    assert len({version(), version("other"), version(prompt="swapped"), version(temperature=0.1)}) == 4


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two one-episode runs of the same agent: scripted user, and an LLM user on loopback."""
    root = tmp_path_factory.mktemp("runs")
    scripted = root / "scripted"
    run_bench(BenchConfig(["CollabQA-v0"], ["clarify"], 1, out=str(scripted), workers=1))
    llm = root / "llm"
    with LoopbackServer(reply=_user_reply) as server:
        config = BenchConfig(
            ["CollabQA-v0"],
            ["clarify"],
            1,
            out=str(llm),
            workers=1,
            env=EnvConfig.from_kwargs(
                split="test", user_model="fake-user", judge_model="heuristic", base_url=server.base_url
            ),
        )
        run_bench(config)
    return scripted, llm


def test_results_files_name_the_user_version(runs, tmp_path):
    scripted, llm = runs
    assert read_log(scripted)[0]["run"]["user_version"] == "scripted-v4"
    assert read_log(llm)[0]["run"]["user_version"].endswith("/fake-user")
    out = tmp_path / "again"
    assert (
        main(["bench", "--envs", "CollabQA-v0", "--agents", "clarify", "--episodes", "1", "--out", str(out)])
        == 0
    )
    first_line = (out / "results.md").read_text().splitlines()[0]
    assert "user simulator: scripted (scripted-v4)" in first_line
    payload = json.loads((out / "results.json").read_text())
    assert payload["summary"][0]["user_version"] == "scripted-v4"


def test_show_compare_refuses_runs_of_different_users_in_one_line(runs, capsys):
    scripted, llm = runs
    assert main(["show", str(scripted), "--html", str(scripted / "r.html"), "--compare", str(llm)]) == 2
    err = capsys.readouterr().out.strip()
    assert len(err.splitlines()) == 1 and "different user simulators" in err and "scripted-v4" in err
    assert "--allow-different-users" in err and not (scripted / "r.html").exists()


def test_show_compare_runs_of_different_users_when_allowed(runs, capsys):
    scripted, llm = runs
    report = scripted / "allowed.html"
    argv = ["show", str(scripted), "--html", str(report), "--compare", str(llm), "--allow-different-users"]
    assert main(argv) == 0
    assert "Against the same agent in" in report.read_text()


def test_bench_compare_refuses_another_runs_users_before_playing(runs, tmp_path, capsys):
    scripted, llm = runs
    out = tmp_path / "new"
    argv = ["bench", "--envs", "CollabQA-v0", "--agents", "clarify", "--episodes", "1", "--out", str(out)]
    assert main([*argv, "--compare", str(llm)]) == 2
    assert "different user simulators" in capsys.readouterr().out and not out.exists()
    assert main([*argv, "--compare", str(scripted)]) == 0
    assert "clarify vs the same agent in" in capsys.readouterr().out
