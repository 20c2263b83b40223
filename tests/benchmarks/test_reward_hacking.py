"""The red team runs from the command line and finds no feedback-question farm (issue 22)."""

from __future__ import annotations

import json


def test_the_red_team_writes_results_and_a_feedback_question_does_not_pay(tmp_path, monkeypatch, capsys):
    from collab_env.benchmarks import reward_hacking

    out = tmp_path / "rh"
    argv = ["reward_hacking", "--episodes", "3", "--users", "scripted,llm", "--envs", "CollabQA-v0",
            "--out", str(out)]  # fmt: skip
    monkeypatch.setattr("sys.argv", argv)
    reward_hacking.main()
    results = json.loads(out.with_suffix(".json").read_text())
    assert out.with_suffix(".png").exists() and set(results["results"]) == {"scripted", "llm"}
    for arm in ("scripted", "llm"):
        row = results["results"][arm]["passive+had_in_mind@end"]["CollabQA-v0"]
        assert row["r_star_gain"] <= 0.05 and not row["games_reward"]
    assert "passive+had_in_mind@end" in capsys.readouterr().out
