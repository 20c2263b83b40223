"""Summaries of a benchmark log: the paper's columns, with 95% confidence intervals.

Per env and agent: the task metric (BLEU, pass rate or accuracy, named per env), tokens read
(the assistant's tokens: what the user reads, in thousands), the interactivity score ITR
(R_eng, from the judge named in the row), R* and turns. Lost episodes (an infrastructure
failure: a model endpoint, the sandbox's host) are counted apart and never averaged in; episodes
the agent itself failed (``agent_error``: it raised or returned an invalid action) are scored
R_ext 0 and R* 0, averaged in, and counted in their own column.
"""

from __future__ import annotations

import collections
import csv
import json
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collab_env.fileio import atomic_path, atomic_write_text

Reader = Callable[[dict[str, Any]], float]

#: Statuses averaged in: played out, or failed by the agent's own fault (R_ext 0, R* 0).
SCORED = frozenset({"ok", "agent_error"})

#: Table column -> (label, how to read it from an episode record).
COLUMNS: dict[str, tuple[str, Reader]] = {
    "task_metric": ("task metric", lambda r: r["reward"]["task_metric"]),
    "tokens_k": ("tokens read (k)", lambda r: r["assistant_tokens"] / 1000),
    "itr": ("ITR", lambda r: r["reward"]["engagement"]),
    "r_star": ("R*", lambda r: r["reward"]["total"]),
    "turns": ("turns", lambda r: r["turns"]),
}
#: Further columns in ``results.csv`` and ``results.json``.
EXTRA: dict[str, tuple[str, Reader]] = {
    "user_tokens_k": ("tokens typed (k)", lambda r: r.get("user_tokens", 0) / 1000),
    "questions": ("questions", lambda r: r.get("questions", 0)),
    "cost": ("cost", lambda r: r.get("cost", 0.0) or 0.0),
    # A model-backed user's rejected replies and retries per episode (0 for the scripted user).
    "user_parse_failures": ("user parse failures", lambda r: r.get("user_parse_failures", 0)),
    "user_cutoffs": ("user cut-offs", lambda r: r.get("user_cutoffs", 0)),
    "user_drifts": ("user drifts", lambda r: r.get("user_drifts", 0)),
    "user_retries": ("user retries", lambda r: r.get("user_retries", 0)),
    # Replies used although every attempt drifted (repaired), and those the goal answered instead.
    "user_accepted_drifts": ("user drifts accepted", lambda r: r.get("user_accepted_drifts", 0)),
    "user_fallbacks": ("user fallbacks", lambda r: r.get("user_fallbacks", 0)),
}
#: How a relative change of each column reads (the paper's words).
CHANGE_WORDS = {
    "task_metric": "task performance",
    "tokens_k": "tokens read",
    "itr": "interactivity (ITR)",
    "r_star": "R*",
    "turns": "turns",
}


@dataclass(frozen=True)
class Stat:
    """Mean and the half-width of its 95% confidence interval (normal approximation).

    Attributes:
        mean: The mean (NaN when nothing was scored).
        ci95: 1.96 standard errors (0 for a single value).
        n: Values averaged.
    """

    mean: float
    ci95: float
    n: int = 0

    def __str__(self) -> str:
        return "n/a" if math.isnan(self.mean) else f"{self.mean:.3f} ± {self.ci95:.3f}"


def stat(values: Iterable[float]) -> Stat:
    """Mean ± 1.96 standard errors (0 half-width for fewer than two values).

    Args:
        values: The numbers to average.

    Returns:
        Their :class:`Stat` (NaN mean for no values).

    >>> str(stat([1.0, 2.0, 3.0]))
    '2.000 ± 1.132'
    >>> str(stat([]))
    'n/a'
    """
    values = list(values)
    if not values:
        return Stat(float("nan"), float("nan"), 0)
    half = 1.96 * statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return Stat(statistics.fmean(values), half, len(values))


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (env, agent), in the order they first appear.

    Args:
        records: Episode records (as :func:`collab_env.harness.log.read_log` returns
            them); of a run with the reveal control, only those played as the task asks them
            (:func:`primary_reveal`). Repeats are averaged in as episodes.

    Returns:
        Rows with ``env_id``, ``agent``, ``metric`` (its name), ``judge`` (of ITR), ``episodes``
        (scored, agent errors included), ``lost``, ``agent_errors``, and a :class:`Stat` per column of :data:`COLUMNS` and :data:`EXTRA`.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    reveal = primary_reveal(records)
    for record in records:
        if record.get("reveal", "default") == reveal:
            groups.setdefault((record["env_id"], record["agent"]), []).append(record)
    rows = []
    for (env_id, agent), group in groups.items():
        scored = [r for r in group if r["status"] in SCORED]
        played = [r for r in scored if r["status"] == "ok"]
        judges = sorted({str(r.get("judge") or r["reward"].get("engagement_judge", "?")) for r in played})
        row = {
            "env_id": env_id,
            "agent": agent,
            "metric": next((r["metric"] for r in group if r.get("metric")), "task metric"),
            "judge": ", ".join(judges) or "-",
            "episodes": len(scored),
            "lost": len(group) - len(scored),
            "agent_errors": len(scored) - len(played),
        }
        row.update({k: stat(read(r) for r in scored) for k, (_, read) in {**COLUMNS, **EXTRA}.items()})
        rows.append(row)
    return rows


def primary_reveal(records: list[dict[str, Any]]) -> str:
    """The condition the summary table reports: ``"default"``, or ``"all"`` in a run of only the control.

    The fully specified episodes of a run with both conditions are reported apart
    (:func:`collab_env.harness.reliability.underspecification`), never mixed in.
    """
    reveals = {r.get("reveal", "default") for r in records}
    return "all" if reveals == {"all"} else "default"


def compare(rows: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    """Each agent's change against agent ``base`` in the same env, and averaged over envs.

    Args:
        rows: Rows of :func:`summarise`.
        base: The baseline agent spec.

    Returns:
        One dict per (env, agent other than ``base``), then one per agent with ``env_id``
        ``"all envs"`` (the mean of its per-env changes): for each column, the relative change
        in percent, or ``None`` where the baseline's mean is 0 (then ``<column>_abs`` holds the
        absolute change, as it always does).

    >>> rows = [{"env_id": "e", "agent": "a", "task_metric": Stat(0.5, 0)},
    ...         {"env_id": "e", "agent": "b", "task_metric": Stat(0.6, 0)}]
    >>> round(compare(rows, "a")[0]["task_metric"], 1)
    20.0
    """
    baseline = {r["env_id"]: r for r in rows if r["agent"] == base}
    out = [
        _change(row, baseline[row["env_id"]], base)
        for row in rows
        if row["env_id"] in baseline and row["agent"] != base
    ]
    return out + _overall(out, base)


def compare_runs(
    rows: list[dict[str, Any]], base_rows: list[dict[str, Any]], base: str
) -> list[dict[str, Any]]:
    """Each (env, agent) of a run against the same (env, agent) of another run ``base``.

    Check first that both runs had the same user simulator
    (:func:`~collab_env.harness.log.check_same_users`).

    Args:
        rows: Rows of :func:`summarise` of this run.
        base_rows: Rows of the baseline run.
        base: The baseline run's name (its directory), for the ``base`` field.

    Returns:
        As :func:`compare`, ``base`` reading ``"the same agent in <base>"``.
    """
    baseline = {(r["env_id"], r["agent"]): r for r in base_rows}
    label = f"the same agent in {base}"
    out = [
        _change(row, baseline[row["env_id"], row["agent"]], label)
        for row in rows
        if (row["env_id"], row["agent"]) in baseline
    ]
    return out + _overall(out, label)


def _change(row: dict[str, Any], ref: dict[str, Any], base: str) -> dict[str, Any]:
    """The relative (percent) and absolute change of every column of ``row`` against ``ref``."""
    change: dict[str, Any] = {"env_id": row["env_id"], "agent": row["agent"], "base": base}
    for k in COLUMNS:
        if k in row and k in ref and not math.isnan(row[k].mean) and not math.isnan(ref[k].mean):
            change[f"{k}_abs"] = row[k].mean - ref[k].mean
            change[k] = 100 * change[f"{k}_abs"] / abs(ref[k].mean) if ref[k].mean else None
    return change


def _overall(changes: list[dict[str, Any]], base: str) -> list[dict[str, Any]]:
    overall = []
    for agent in dict.fromkeys(c["agent"] for c in changes):
        mine = [c for c in changes if c["agent"] == agent]
        if len(mine) < 2:
            continue
        row: dict[str, Any] = {"env_id": "all envs", "agent": agent, "base": base}
        for k in COLUMNS:
            pct = [c[k] for c in mine if c.get(k) is not None]
            if len(pct) == len(mine):
                row[k] = statistics.fmean(pct)
            absolute = [c[f"{k}_abs"] for c in mine if f"{k}_abs" in c]
            if absolute:
                row[f"{k}_abs"] = statistics.fmean(absolute)
                row.setdefault(k, None)
        overall.append(row)
    return overall


def describe(change: dict[str, Any]) -> str:
    """One comparison as a sentence, in the paper's words.

    >>> describe({"env_id": "e", "agent": "b", "base": "a", "task_metric": 18.5, "task_metric_abs": 0.1})
    'b vs a on e: +18.5% task performance'
    """
    parts = []
    for k, words in CHANGE_WORDS.items():
        if change.get(k) is not None:
            parts.append(f"{change[k]:+.1f}% {words}")
        elif f"{k}_abs" in change:
            parts.append(f"{change[f'{k}_abs']:+.3f} {words} (baseline 0)")
    return f"{change['agent']} vs {change['base']} on {change['env_id']}: " + ", ".join(parts)


def markdown(
    rows: list[dict[str, Any]], changes: list[dict[str, Any]] | None = None, header: dict | None = None
) -> str:
    """The summary as a Markdown table, with its provenance and the comparison when given.

    Args:
        rows: Rows of :func:`summarise`.
        changes: Output of :func:`compare`.
        header: The log's header: adds a line naming versions, user simulator, judge and seeds.
    """
    labels = [label for label, _ in COLUMNS.values()]
    lines = [provenance(header), ""] if header else []
    lines += [
        "| env | agent | metric | scored | lost | agent errors | " + " | ".join(labels) + " |",
        "|---" * (6 + len(labels)) + "|",
    ]
    for r in rows:
        cells = [
            r["env_id"],
            r["agent"],
            r["metric"],
            str(r["episodes"]),
            str(r["lost"]),
            str(r.get("agent_errors", 0)),
        ]
        lines.append("| " + " | ".join(cells + [str(r[k]) for k in COLUMNS]) + " |")
    if changes:
        lines.append("")
        lines += [f"- {describe(c)}" for c in changes]
    return "\n".join(lines) + "\n"


def provenance(header: dict[str, Any]) -> str:
    """One line saying where the numbers come from (versions, user, judge, seeds, units)."""
    run = header.get("run", {})
    versions = ", ".join(f"{e} task set v{v['task_version']}" for e, v in run.get("envs", {}).items())
    seeds = run.get("seeds") or [run.get("seed"), None]
    return (
        f"collab-env {run.get('collab_env')}, {run.get('split')} split, seeds {seeds[0]}..{seeds[-1]}; "
        f"user simulator: {run.get('user')} ({run.get('user_version') or 'version unrecorded'}); "
        f"ITR judge: {run.get('judge')}; {versions}. "
        "Mean ± 95% CI over scored episodes; tokens read = assistant tokens, thousands."
    )


def write_results(
    rows: list[dict[str, Any]],
    out: Path,
    header: dict[str, Any],
    changes: list[dict[str, Any]] | None = None,
    controls: tuple[str, dict[str, Any]] | None = None,
) -> list[Path]:
    """Write ``results.md``, ``results.csv`` and ``results.json``; return their paths.

    Each file is written atomically (:mod:`collab_env.fileio`). Every file names the versions:
    the Markdown's first line, the CSV's ``collab_env``, ``task_version`` and ``user_version``
    columns, the JSON's ``header`` (the log's). ``controls`` (the Markdown and the JSON of
    :func:`collab_env.harness.reliability.controls`: the cost of underspecification
    and the reliability over repeats) is appended to the Markdown and merged into the JSON.
    """
    extra, extra_json = controls or ("", {})
    paths = [out / "results.md", out / "results.csv", out / "results.json"]
    atomic_write_text(paths[0], markdown(rows, changes, header) + (f"\n{extra}" if extra else ""))
    run = header.get("run", {})
    flat = [
        {
            **_flat(r),
            "collab_env": run.get("collab_env"),
            "task_version": run.get("envs", {}).get(r["env_id"], {}).get("task_version"),
            "user": run.get("user"),
            "user_version": run.get("user_version"),
        }
        for r in rows
    ]
    with atomic_path(paths[1]) as tmp, tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(flat[0]) if flat else ["env_id"])
        writer.writeheader()
        writer.writerows(flat)
    payload = {
        "header": header,
        "summary": flat,
        "compare": changes or [],
        **extra_json,
    }
    atomic_write_text(paths[2], json.dumps(payload, indent=2))
    return paths


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, value in row.items():
        if isinstance(value, Stat):
            flat.update({f"{k}_mean": _num(value.mean), f"{k}_ci95": _num(value.ci95)})
        else:
            flat[k] = value
    return flat


def _num(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


__all__ = [
    "COLUMNS",
    "EXTRA",
    "SCORED",
    "Stat",
    "compare",
    "compare_runs",
    "describe",
    "lost_reasons",
    "markdown",
    "primary_reveal",
    "provenance",
    "stat",
    "summarise",
]


def lost_reasons(records: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Why episodes were lost: the last line of each lost record's error, most frequent first.

    >>> lost_reasons([{"status": "lost", "error": "Traceback...\\nModelCallError: 401"},
    ...               {"status": "lost", "error": "ModelCallError: 401"}, {"status": "ok"}])
    [('ModelCallError: 401', 2)]
    """
    reasons = collections.Counter(
        (str(r.get("error") or "unknown").strip().splitlines() or ["unknown"])[-1][:300]
        for r in records
        if r.get("status") == "lost"
    )
    return reasons.most_common()
