"""README.md and docs/results.md show the same tables, each from the results file its command wrote."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| Collab")]


def test_readme_ppo_table_is_the_tracked_runs_and_docs_results_leads_with_it_whole():
    readme, results = (ROOT / "README.md").read_text(), (ROOT / "docs" / "results.md").read_text()
    tracked = _rows((ROOT / "benchmarks" / "results" / "ppo_mr_ablation.md").read_text())
    command = "python -m benchmarks.ppo_mr_ablation --out benchmarks/results/ppo_mr_ablation"
    assert command in readme and command in results
    shown = [row for row in _rows(readme) if row.count("|") == 7]  # the PPO table's 6 columns
    assert {row.split(" | ")[0] for row in shown} == {
        f"| Collab{e}-v0" for e in ("Code", "Doc", "Math", "QA")
    }
    assert all(any(full.startswith(row[:-1]) for full in tracked) for row in shown)
    older = results.index("## Older runs")
    assert all(0 <= results.find(row) < older for row in tracked)  # the current run leads the page


def test_readme_bench_tables_are_docs_results_current_ones():
    readme, results = (ROOT / "README.md").read_text(), (ROOT / "docs" / "results.md").read_text()
    bench = [row for row in _rows(readme) if row.count("|") == 12]
    assert len(bench) == 16  # 8 rows of `collab-env bench --episodes 200`, 8 of `collab-env bench`
    older = results.index("## Older runs")
    assert all(0 <= results.find(row) < older for row in bench)
    for command in ("`collab-env bench --episodes 200`", "`collab-env bench`"):
        assert command in readme and command in results
