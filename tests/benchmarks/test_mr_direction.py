"""The MR direction benchmark runs end to end and writes its figures (issue 44)."""

from __future__ import annotations

import json

from benchmarks import mr_direction


def test_mr_direction_writes_each_envs_share_gap_and_seeds(tmp_path, monkeypatch, capsys):
    out = tmp_path / "mr_direction.json"
    argv = ["mr_direction", "--envs", "CollabMath-v0", "--instances", "2", "--out", str(out)]
    monkeypatch.setattr("sys.argv", argv)
    mr_direction.main()
    results = json.loads(out.read_text())
    assert results["benchmark"] == "mr_direction" and results["user"] == "scripted"
    assert results["config"]["window"] == 2 and results["config"]["instances"] == 2
    (row,) = results["envs"].values()
    assert row["scored"] + len(row["skipped"]) + len(row["lost"]) == 2
    assert 0.0 <= row["share_prefers_question"] <= 1.0
    assert isinstance(row["mean_gap"], float) and row["seeds"] == [r["seed"] for r in row["rows"]]
    assert all(r["gap"] == r["mr_question"] - r["mr_answer"] for r in row["rows"])
    assert "CollabMath-v0" in capsys.readouterr().out
    monkeypatch.setattr("sys.argv", argv)
    mr_direction.main()
    assert json.loads(out.read_text())["envs"] == results["envs"]  # deterministic
