"""The user and the judge named on the command line by path: ``--user llm --user.model M
--user.protocol roleplay``, against the loopback server, and recorded whole."""

from __future__ import annotations

import json

import pytest

from collab_env.cli import main
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM
from collab_env.users.llm.protocol import ROLEPLAY_GUIDANCE

EPISODE = ["episode", "CollabMath-v0", "--agent", "clarify", "--max-turns", "2", "--json"]


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test")


def _system_prompts(server) -> list[str]:
    return [b["messages"][0]["content"] for b in server.bodies if b["messages"][0]["role"] == "system"]


def test_the_user_is_named_by_kind_model_and_its_options_and_the_episode_records_it(capsys):
    with LoopbackServer(reply=ScriptedLLM(["math"])) as server:
        model = f"openai:oracle@{server.base_url}"
        argv = [*EPISODE, "--user", "llm", "--user.model", model, "--user.protocol", "roleplay",
                "--user.max-tokens=300", "--judge", "heuristic"]  # fmt: skip
        assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["env"]["user"] == {
        "kind": "llm",
        "model": model,
        "options": {"max_tokens": 300, "protocol": "roleplay"},
    }
    assert printed["env"]["judge"] == {"kind": "heuristic", "model": None, "options": {}}
    prompts = _system_prompts(server)
    assert prompts and all(ROLEPLAY_GUIDANCE.splitlines()[1] in p for p in prompts)
    assert {b["max_tokens"] for b in server.bodies if b["messages"][0]["role"] == "system"} == {300}


def test_yesterdays_flags_are_aliases_of_the_same_description(capsys):
    with LoopbackServer(reply=ScriptedLLM(["math"])) as server:
        by_path = [*EPISODE, "--user", "llm", "--user.model", f"openai:oracle@{server.base_url}",
                   "--user.temperature", "0.5", "--judge", "heuristic"]  # fmt: skip
        aliases = [*EPISODE, "--user-model", "oracle", "--base-url", server.base_url,
                   "--model-option", "user.temperature=0.5", "--judge-model", "heuristic"]  # fmt: skip
        assert main(by_path) == 0
        first = json.loads(capsys.readouterr().out)
        assert main(aliases) == 0
        second = json.loads(capsys.readouterr().out)
    assert first["env"] == second["env"] and first["messages"] == second["messages"]


def test_an_llm_judge_by_path_scores_engagement(capsys):
    with LoopbackServer(reply=lambda messages: '{"thought": "asked well", "score": 0.75}') as server:
        argv = [*EPISODE, "--judge", "llm", "--judge.model", f"openai:oracle@{server.base_url}"]
        assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["env"]["user"]["kind"] == "scripted" and printed["env"]["judge"]["kind"] == "llm"
    assert printed["reward"]["engagement_judge"] != "heuristic" and printed["reward"]["engagement"] == 0.75


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--user.colour", "red"], "user kind 'scripted' takes no option 'colour'"),
        (["--user", "llm"], "user kind 'llm' calls a model: give its model (--user.model)"),
        (["--user", "llm", "--user.model", "m", "--user.max_attempts", "many"], "user.max_attempts='many': expected a int"),
        (["--judge", "oracle"], "judge kind must be one of ['heuristic', 'llm'] or 'module:attr'"),
    ],
)  # fmt: skip
def test_a_bad_part_is_one_line_naming_it(flags, says, capsys):
    assert main([*EPISODE, *flags]) == 2
    out = capsys.readouterr().out.strip()
    assert len(out.splitlines()) == 1 and says in " ".join(out.split()), out


def test_bench_takes_the_parts_by_path_records_them_and_resumes(tmp_path):
    from collab_env.harness.log import read_log

    out = str(tmp_path / "run")
    with LoopbackServer(reply=ScriptedLLM(["qa"])) as server:
        model = f"openai:oracle@{server.base_url}"
        argv = ["bench", "--envs", "CollabQA-v0", "--agents", "clarify", "--episodes", "2", "--max-turns", "2",
                "--out", out, "--user", "llm", "--user.model", model, "--user.opening", "template",
                "--judge", "heuristic"]  # fmt: skip
        assert main(argv) == 0
        header, records = read_log(tmp_path / "run" / "episodes.jsonl")
        assert header["config"]["env"]["user"] == {
            "kind": "llm",
            "model": model,
            "options": {"opening": "template"},
        }
        assert header["run"]["user"] == "oracle" and len(records) == 2
        assert main(["bench", "--out", out, "--resume", "--episodes", "3"]) == 2  # another run: refused
        assert main(["bench", "--out", out, "--resume"]) == 0  # the same run, from its log alone


def test_none_turns_off_an_option_that_may_be_none_whatever_its_default():
    """``--user.profiles none``: the LLM user without a profile (its default is "auto")."""
    from collab_env.parts import UserSpec

    with LoopbackServer(reply=lambda m: "{}") as server:
        user = UserSpec(
            "llm", f"openai:m@{server.base_url}", {"profiles": "none", "protocol": "acts"}
        ).build()
    assert user.profiles is None and user.protocol == "acts"
