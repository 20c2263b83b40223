"""The collab-env command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from collab_env.cli import main


def test_episode_prints_transcript_and_reward(capsys):
    assert main(["episode", "CollabDoc-v0", "--agent", "clarify", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "R*" in out and "task metric" in out and "assistant" in out


def test_episode_json_is_parseable_and_complete(capsys):
    assert main(["episode", "CollabQA-v0", "--agent", "passive", "--seed", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["task_id"].startswith("qa-test-") and data["messages"][0]["role"] == "user"
    assert set(data["reward"]) >= {"total", "task_metric", "token_penalty", "engagement"}


def test_play_reads_assistant_turns_from_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("What answer format do you want?\n\n/quit\n"))
    assert main(["play", "CollabMath-v0", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "reward paid this step" in out and "stopped" in out


def test_list_shows_every_env(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(env_id in out for env_id in ("CollabDoc-v0", "CollabCode-v0", "CollabMath-v0", "CollabQA-v0"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["episode", "CollabCook-v0"], "unknown env id 'CollabCook-v0'"),
        (["episode", "CollabDoc-v0", "--agent", "psychic"], "bad agent spec 'psychic'"),
        (["episode", "CollabDoc-v0", "--task-id", "doc-test-99999"], "out of range"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().out


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "collab_env.cli", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("collab-env ")
