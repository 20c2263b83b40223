"""A benchmark killed with SIGKILL at random points and resumed equals an uninterrupted run,
and no file it leaves is corrupt. Uses :mod:`collab_env.testing.interrupt`, which a dataset
synthesis test can reuse with its own command and log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from collab_env.harness.log import read_log
from collab_env.testing.interrupt import kill_and_resume

pytestmark = pytest.mark.slow
RUN = ["--envs", "CollabQA-v0,CollabMath-v0,CollabCode-v0", "--agents", "passive,clarify", "--episodes", "12"]


def _bench(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "collab_env.cli",
        "bench",
        *RUN,
        "--workers",
        "2",
        "--out",
        str(out),
        *extra,
    ]


def _files_are_whole(log: Path) -> None:
    """After a kill: the log reads (a torn last line at most), and every results file parses."""
    read_log(log)
    for name in ("results.json",):
        if (log.parent / name).exists():
            json.loads((log.parent / name).read_text())


def _comparable(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: (r["env_id"], r["agent"], r["episode"]))


def test_a_killed_and_resumed_benchmark_equals_an_uninterrupted_one(tmp_path):
    kill_and_resume(_bench(tmp_path / "whole"), [], tmp_path / "whole" / "episodes.jsonl", kills=0)
    report = kill_and_resume(
        _bench(tmp_path / "cut"),
        _bench(tmp_path / "cut", "--resume"),
        tmp_path / "cut" / "episodes.jsonl",
        kills=4,
        seed=9,
        after_kill=_files_are_whole,
    )
    assert report.kills >= 2, report  # the kills landed mid-run
    whole_header, whole = read_log(tmp_path / "whole")
    cut_header, cut = read_log(tmp_path / "cut")
    assert whole_header["run"] == cut_header["run"]
    assert _comparable(cut) == _comparable(whole) and len(whole) == 3 * 2 * 12
    assert (
        json.loads((tmp_path / "cut" / "results.json").read_text())["summary"]
        == json.loads((tmp_path / "whole" / "results.json").read_text())["summary"]
    )
