"""Issue 17, cases 1 and 2: a run that cannot succeed stops before its first episode, in one line.

Endpoint faults are served by the loopback server; the console script runs as a user runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from collab_env.cli import main
from collab_env.testing.openai_server import LoopbackServer

SCRIPT = Path(sys.executable).with_name("collab-env")
SMALL = ["--envs", "CollabQA-v0", "--episodes", "2", "--workers", "1"]


def _one_line_error(out: str, text: str) -> None:
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and text in lines[0], out


def test_case1_a_module_agent_in_the_working_folder_is_found_by_the_console_script(tmp_path):
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "agents.py").write_text("def my_agent(messages):\n    return 'Answer: 42'\n")
    argv = [str(SCRIPT), "bench", *SMALL, "--agents", "passive,mypkg.agents:my_agent", "--out", "run"]
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = [
        json.loads(line) for line in (tmp_path / "run" / "episodes.jsonl").read_text().splitlines()[1:]
    ]
    assert len(records) == 4 and all(r["status"] == "ok" for r in records)


def test_case1_a_spec_that_does_not_import_fails_before_any_episode(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["bench", *SMALL, "--agents", "passive,nopkg.agents:my_agent", "--out", str(out)]) == 2
    _one_line_error(capsys.readouterr().out, "cannot import 'my_agent' from 'nopkg.agents'")
    assert not (out / "episodes.jsonl").exists()


def test_case2_a_refused_key_is_one_line_with_status_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "wrong")
    with LoopbackServer(reply=lambda m: "hi", faults=[401]) as server:
        argv = ["bench", *SMALL, "--user-model", "m", "--base-url", server.base_url, "--out", str(tmp_path)]
        assert main(argv) == 2
    _one_line_error(capsys.readouterr().out, "the key was refused (401)")
    assert server.requests == 1  # one preflight request, then nothing


def test_case2_an_unreachable_endpoint_is_one_line_with_status_2(tmp_path, capsys):
    dead = "http://127.0.0.1:1/v1"
    assert main(["bench", *SMALL, "--user-model", "m", "--base-url", dead, "--out", str(tmp_path)]) == 2
    _one_line_error(capsys.readouterr().out, "cannot connect")
    assert main(["episode", "CollabDoc-v0", "--user-model", "m", "--base-url", dead]) == 2
    _one_line_error(capsys.readouterr().out, "user model 'm' at http://127.0.0.1:1/v1: cannot connect")


def test_case2_no_key_for_a_remote_endpoint_is_refused_not_replaced(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    agent = "openai:gpt-4o-mini@https://api.example.invalid/v1"
    assert main(["bench", *SMALL, "--agents", f"passive,{agent}", "--out", str(tmp_path)]) == 2
    _one_line_error(capsys.readouterr().out, "OPENAI_API_KEY is not set")


def test_case2_a_loopback_endpoint_needs_no_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with LoopbackServer(reply=lambda m: "Answer: 42") as server:
        agent = f"openai:m@{server.base_url}"
        assert main(["bench", *SMALL, "--agents", agent, "--out", str(tmp_path)]) == 0


def test_case2_a_run_that_lost_every_episode_says_why_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    spec = "tests.harness.sample_agents:outage"
    assert main(["bench", *SMALL, "--agents", spec, "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "2 episodes lost" in out and "2 × collab_env.errors.ModelCallError" in out


def test_case2_ctrl_c_prints_how_to_resume_and_no_traceback(tmp_path, capsys, monkeypatch):
    from collab_env.cli import bench

    def interrupted(config, on_episode=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(bench, "run_bench", interrupted)
    assert main(["bench", *SMALL, "--out", str(tmp_path / "run")]) == 130
    out = capsys.readouterr().out
    assert f"resume with: collab-env bench --resume --out {tmp_path / 'run'}" in out
    assert "Traceback" not in out


def test_case2_ray_without_a_cluster_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))  # where `auto` looks: no cluster was started here
    argv = ["bench", *SMALL, "--executor", "ray", "--out", str(tmp_path / "run")]
    assert main([*argv, "--ray-address", "auto"]) == 2
    _one_line_error(capsys.readouterr().out, "--ray-address auto: no Ray cluster is running on this machine")
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "ray_current_cluster").write_text("127.0.0.1:1")  # a cluster that is gone
    assert main([*argv, "--ray-address", "auto"]) == 2
    _one_line_error(capsys.readouterr().out, "no Ray cluster answers at auto (127.0.0.1:1)")
    assert not (tmp_path / "run" / "episodes.jsonl").exists()


def test_case7_a_dataset_for_an_env_not_in_the_run_is_one_line(tmp_path, capsys):
    data = tmp_path / "m.jsonl"
    data.write_text('{"problem": "What is 1 + 1?", "solution": "\\\\boxed{2}"}\n')
    assert main(["bench", *SMALL, "--dataset", f"math:{data}", "--out", str(tmp_path / "run")]) == 2
    _one_line_error(capsys.readouterr().out, "is for the math family, and no env of that family is in envs")
