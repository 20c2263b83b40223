"""Summaries of a benchmark log: the paper's columns, with 95% confidence intervals."""

from __future__ import annotations

import csv
import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Column -> (label, how to read it from an episode record).
COLUMNS = {
    "task_metric": ("metric", lambda r: r["reward"]["task_metric"]),
    "tokens_k": ("tokens (k)", lambda r: r["assistant_tokens"] / 1000),
    "itr": ("ITR", lambda r: r["reward"]["engagement"]),
    "r_star": ("R*", lambda r: r["reward"]["total"]),
    "turns": ("turns", lambda r: r["turns"]),
}


@dataclass(frozen=True)
class Stat:
    """Mean and the half-width of its 95% confidence interval (normal approximation)."""

    mean: float
    ci95: float

    def __str__(self) -> str:
        return f"{self.mean:.3f}±{self.ci95:.3f}"


def stat(values: Iterable[float]) -> Stat:
    """Mean ± 1.96 standard errors (0 half-width for fewer than two values).

    >>> str(stat([1.0, 2.0, 3.0]))
    '2.000±1.132'
    """
    values = list(values)
    if not values:
        return Stat(float("nan"), float("nan"))
    half = 1.96 * statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return Stat(statistics.fmean(values), half)


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (env, agent): scored and lost episode counts and each column's Stat.

    Lost episodes (a crash or a failed model call) are counted apart, never averaged in.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((record["env_id"], record["agent"]), []).append(record)
    rows = []
    for (env_id, agent), group in groups.items():
        scored = [r for r in group if r["status"] == "ok"]
        row = {"env_id": env_id, "agent": agent, "episodes": len(scored), "lost": len(group) - len(scored)}
        row.update({key: stat(read(r) for r in scored) for key, (_, read) in COLUMNS.items()})
        rows.append(row)
    return rows


def compare(rows: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """Relative change of each agent's means against agent ``base`` in the same env, in percent.

    >>> rows = [{"env_id": "e", "agent": "a", "task_metric": Stat(0.5, 0)}, {"env_id": "e", "agent": "b", "task_metric": Stat(0.6, 0)}]
    >>> compare(rows, "a")[0]["task_metric"]
    20.0
    """
    baseline = {r["env_id"]: r for r in rows if r["agent"] == base}
    out = []
    for row in rows:
        ref = baseline.get(row["env_id"])
        if ref is None or row["agent"] == base:
            continue
        change = {"env_id": row["env_id"], "agent": row["agent"], "base": base}
        for key in COLUMNS:
            if key in row and key in ref and ref[key].mean:
                change[key] = 100 * (row[key].mean - ref[key].mean) / abs(ref[key].mean)
        out.append(change)
    return out


def markdown(rows: list[dict[str, Any]], changes: list[dict[str, Any]] | None = None) -> str:
    """The summary as a Markdown table (and the comparison, when given)."""
    labels = [label for label, _ in COLUMNS.values()]
    lines = [
        "| env | agent | episodes | lost | " + " | ".join(labels) + " |",
        "|---" * (4 + len(labels)) + "|",
    ]
    for r in rows:
        cells = [r["env_id"], r["agent"], str(r["episodes"]), str(r["lost"]), *(str(r[k]) for k in COLUMNS)]
        lines.append("| " + " | ".join(cells) + " |")
    for c in changes or []:
        parts = [f"{c[k]:+.1f}% {COLUMNS[k][0]}" for k in COLUMNS if k in c]
        lines.append(f"\n{c['agent']} vs {c['base']} on {c['env_id']}: " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def write_results(rows: list[dict[str, Any]], out: Path, header: dict[str, Any], changes=None) -> None:
    """Write ``results.md``, ``results.csv`` and ``results.json`` (with the log's header)."""
    out.joinpath("results.md").write_text(markdown(rows, changes))
    flat = [_flat(r) for r in rows]
    with out.joinpath("results.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(flat[0]) if flat else ["env_id"])
        writer.writeheader()
        writer.writerows(flat)
    payload = {"header": header, "summary": flat, "compare": changes or []}
    out.joinpath("results.json").write_text(json.dumps(payload, indent=2))


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat = {}
    for key, value in row.items():
        if isinstance(value, Stat):
            flat.update({f"{key}_mean": value.mean, f"{key}_ci95": value.ci95})
        else:
            flat[key] = value
    return flat


__all__ = ["COLUMNS", "Stat", "compare", "markdown", "stat", "summarise", "write_results"]
