"""Summary statistics of a hand-made results file: means, 95% CIs, lost episodes, comparisons."""

from __future__ import annotations

import csv
import json
import math

import pytest

from collab_env.harness.log import read_log
from collab_env.harness.summary import compare, describe, markdown, stat, summarise, write_results

HEADER = {
    "type": "header",
    "schema": 2,
    "run": {
        "envs": {"E-v0": {"family": "e", "task_version": "3", "metric": "bleu"}},
        "collab_env": "9.9",
        "split": "test",
        "seeds": [0, 3],
        "user": "scripted",
        "judge": "heuristic",
    },
}


def _rec(agent, k, metric, engagement, total, tokens, turns, status="ok"):
    record = {"type": "episode", "env_id": "E-v0", "agent": agent, "episode": k, "seed": k, "status": status}
    if status == "ok":
        reward = {
            "task_metric": metric,
            "engagement": engagement,
            "total": total,
            "engagement_judge": "heuristic",
        }
        record.update(reward=reward, assistant_tokens=tokens, turns=turns, metric="bleu", judge="heuristic")
    else:
        record["error"] = "ModelCallError: endpoint down"
    return record


@pytest.fixture
def results_file(tmp_path):
    lines = [
        HEADER,
        _rec("base", 0, 0.2, 0.0, 0.1, 1000, 1),
        _rec("base", 1, 0.4, 0.0, 0.3, 3000, 3),
        _rec("ours", 0, 0.0, 0.0, 0.0, 0, 0, status="lost"),  # lost first...
        _rec("ours", 0, 0.5, 1.0, 1.4, 2000, 2),  # ...then retried: the latest record counts
        _rec("ours", 1, 0.7, 0.5, 1.1, 2000, 4),
        _rec("ours", 2, 0.0, 0.0, 0.0, 0, 0, status="lost"),
    ]
    path = tmp_path / "episodes.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n" + '{"type": "episode", "env_')
    return path


def test_means_and_95_percent_intervals_by_hand(results_file):
    _, records = read_log(results_file)  # the torn last line is dropped
    rows = {r["agent"]: r for r in summarise(records)}
    base, ours = rows["base"], rows["ours"]
    assert (base["episodes"], base["lost"], ours["episodes"], ours["lost"]) == (2, 0, 2, 1)
    # mean 0.3, sample sd 0.1414, n 2: half-width 1.96 * 0.1414 / sqrt(2) = 0.196
    assert base["task_metric"].mean == pytest.approx(0.3) and base["task_metric"].ci95 == pytest.approx(0.196)
    assert base["tokens_k"].mean == pytest.approx(2.0) and base["tokens_k"].ci95 == pytest.approx(1.96)
    assert ours["task_metric"].mean == pytest.approx(0.6)  # the lost episode is not averaged in as 0
    assert ours["itr"].mean == pytest.approx(0.75) and ours["r_star"].mean == pytest.approx(1.25)
    assert ours["turns"].mean == 3 and ours["metric"] == "bleu" and ours["judge"] == "heuristic"


def test_compare_reports_relative_changes_as_the_paper_does(results_file):
    rows = summarise(read_log(results_file)[1])
    (change,) = compare(rows, "base")
    assert change["task_metric"] == pytest.approx(100.0)  # 0.6 vs 0.3
    assert change["tokens_k"] == pytest.approx(0.0) and change["turns"] == pytest.approx(50.0)
    assert change["itr"] is None and change["itr_abs"] == pytest.approx(0.75)  # baseline 0: absolute
    sentence = describe(change)
    assert sentence.startswith("ours vs base on E-v0: +100.0% task performance, +0.0% tokens read")
    assert "+0.750 interactivity (ITR) (baseline 0)" in sentence


def test_results_files_name_versions_and_hold_the_numbers(results_file, tmp_path):
    header, records = read_log(results_file)
    rows = summarise(records)
    md, csv_path, json_path = write_results(rows, tmp_path, header, compare(rows, "base"))
    text = md.read_text()
    assert "collab-env 9.9" in text and "E-v0 task set v3" in text and "ITR judge: heuristic" in text
    assert "| E-v0 | ours | bleu | 2 | 1 | 0 | 0.600 ± 0.196 |" in text and "+100.0% task performance" in text
    table = {r["agent"]: r for r in csv.DictReader(csv_path.open())}
    assert float(table["ours"]["task_metric_mean"]) == pytest.approx(0.6)
    assert (
        table["ours"]["lost"] == "1"
        and table["ours"]["task_version"] == "3"
        and table["ours"]["collab_env"] == "9.9"
    )
    payload = json.loads(json_path.read_text())
    assert payload["header"]["run"]["collab_env"] == "9.9" and payload["compare"][0]["agent"] == "ours"


def test_an_agent_with_every_episode_lost_has_no_mean_rather_than_zero():
    rows = summarise([_rec("a", 0, 0, 0, 0, 0, 0, status="lost")])
    assert rows[0]["episodes"] == 0 and rows[0]["lost"] == 1 and math.isnan(rows[0]["task_metric"].mean)
    assert "| n/a |" in markdown(rows)
    assert stat([2.0]).ci95 == 0.0 and stat([1.0, 2.0, 3.0]).mean == 2.0
