"""Issue 41, item 3: each backend checks itself. The preflight asks the model's backend row for its
probe, so a user, judge or agent model in any form of the grammar is checked where it really is:
``openai:M@URL`` at URL (no key needed on loopback), ``hf:PATH`` on this machine only."""

from __future__ import annotations

import json
import socket
import sys

import pytest

from collab_env.cli import main
from collab_env.cli.preflight import check_model, models, preflight
from collab_env.config import EnvConfig, JudgeSpec, UserSpec
from collab_env.errors import ConfigError
from collab_env.llm.backends import BACKENDS, _function
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL

DOWN = "http://127.0.0.1:9/v1"


def reply(messages):
    """Plays the judge when asked for a score, else the user: asks once, then ends the chat."""
    text = messages[-1]["content"]
    if '"score"' in " ".join(m["content"] for m in messages):
        return json.dumps({"thought": "it asked", "score": 0.5})
    if "<conversation>" not in text:
        return json.dumps({"reveal": [], "message": "Can you help me with a sum?", "done": False})
    answer = f"Thanks, that works. {TERMINATION_SIGNAL}" if text.count("ASSISTANT:") > 1 else "Add 2 and 2."
    return json.dumps({"current_answer": "", "thought": "t", "response": answer})


def _one_line_error(out: str, text: str) -> str:
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and text in lines[0], out
    return lines[0]


def _served(server: LoopbackServer, model: str) -> list[dict]:
    """The requests for ``model`` that the run sent (the preflight's ping left out)."""
    return [b for b in server.bodies if b["model"] == model and b["messages"][-1]["content"] != "ping"]


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_every_backend_row_has_a_probe_that_imports():
    for name, backend in BACKENDS.items():
        assert backend.probe is not None, name
        assert callable(_function(backend.probe))


def test_a_user_model_with_its_own_url_runs_against_it_without_a_key(no_key, capsys):
    with LoopbackServer(reply=reply) as server:
        argv = ["episode", "CollabMath-v0", "--agent", "clarify", "--max-turns", "2"]
        assert main([*argv, "--user-model", f"openai:u@{server.base_url}"]) == 0, capsys.readouterr().out
    assert _served(server, "u")  # the user's (and its judge's) requests reached the server
    assert {b["model"] for b in server.bodies} == {"u"}


def test_a_judge_model_with_its_own_url_runs_against_it_without_a_key(no_key, capsys):
    with LoopbackServer(reply=reply) as server:
        argv = ["episode", "CollabMath-v0", "--agent", "clarify", "--max-turns", "2"]
        assert main([*argv, "--judge-model", f"openai:j@{server.base_url}"]) == 0, capsys.readouterr().out
    assert len(_served(server, "j")) >= 2  # the preflight's scoring, then the episode's


@pytest.mark.parametrize("flag", ["--user-model", "--judge-model", "--agent"])
def test_a_model_at_a_url_that_is_down_fails_before_work_naming_that_url(no_key, capsys, flag):
    argv = ["episode", "CollabMath-v0", "--agent", "clarify", flag, f"openai:m@{DOWN}"]
    assert main(argv) == 2
    line = _one_line_error(capsys.readouterr().out, f"model 'm' at {DOWN}: cannot connect")
    assert "api.openai.com" not in line and "OPENAI_API_KEY" not in line


def test_an_hf_user_model_not_on_disk_is_one_line_without_torch_or_network(no_key, capsys, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the hf probe went to the network")

    monkeypatch.setitem(sys.modules, "torch", None)  # importing torch now raises ImportError
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    argv = ["episode", "CollabMath-v0", "--agent", "clarify", "--user-model", "hf:/nonexistent/path"]
    assert main(argv) == 2
    line = _one_line_error(capsys.readouterr().out, "user model 'hf:/nonexistent/path'")
    assert "no checkpoint directory at '/nonexistent/path'" in line and "OPENAI_API_KEY" not in line


def test_an_hf_directory_without_a_config_is_refused_and_a_checkpoint_passes(tmp_path):
    with pytest.raises(ConfigError, match=r"^judge model 'hf:.*' holds no config.json"):
        check_model(f"hf:{tmp_path}", "judge")
    (tmp_path / "config.json").write_text("{}")
    check_model(f"hf:{tmp_path}", "judge")


def test_a_tiny_checkpoint_passes_the_local_check(tmp_path, no_key):
    pytest.importorskip("transformers", reason="transformers is not installed ('collab-env[train]')")
    from collab_env.testing.tiny_model import build_tiny_checkpoint

    checkpoint = build_tiny_checkpoint(tmp_path / "tiny")
    preflight(
        [EnvConfig("CollabMath-v0", user=UserSpec("llm", f"hf:{checkpoint}"), judge=JudgeSpec())],
        [f"hf:{checkpoint}#proactive"],
    )


def test_a_bare_name_at_base_url_still_runs_there(no_key, capsys):
    with LoopbackServer(reply=reply) as server:
        argv = ["episode", "CollabMath-v0", "--agent", "clarify", "--max-turns", "2"]
        assert main([*argv, "--user-model", "u", "--base-url", server.base_url]) == 0, capsys.readouterr().out
    assert _served(server, "u")


def test_each_model_is_checked_once_by_where_it_is_and_the_heuristic_is_no_model():
    url = "http://127.0.0.1:8000/v1"
    envs = [
        EnvConfig.from_kwargs(env_id="CollabQA-v0", user_model="m", judge_model="heuristic", base_url=url),
        EnvConfig.from_kwargs(env_id="CollabQA-v0", user_model=f"openai:m@{url}", judge_model="hf:/ckpt"),
    ]
    agents = ["clarify", f"openai:m@{url}#proactive", "hf:/ckpt", "openai:a"]
    assert models(envs, agents) == [
        ("user", f"openai:m@{url}", None),
        ("judge", "hf:/ckpt", None),
        ("agent openai:a", "openai:a", None),
    ]
