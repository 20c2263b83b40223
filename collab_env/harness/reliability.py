"""Control conditions and reliability of a benchmark run: underspecification cost, pass^k, spread.

- **Cost of underspecification** (a run with ``--reveal default,all``): per env and agent, the
  task metric of the episodes played as the task asks them and of the same episodes played
  fully specified (``reset(options={"reveal": "all"})``: the opening states every facet), and
  the gap between them, paired episode by episode. An agent that asks well loses little.
- **pass^k** (a run with ``--repeats R``), τ-bench's reliability measure: the probability that
  all k of k independent trials of an instance succeed, estimated without bias from the R
  trials of each instance as C(c, k) / C(n, k) (c successes among n scored trials) and averaged
  over instances. A trial succeeds when its task metric reaches the task's acceptance threshold
  (the score at which the scripted user accepts: 1 for code, math and QA, 0.7 BLEU for doc).
- **Spread across repeats**: the standard deviation, over the R repeats, of the run's mean task
  metric in each repeat (how much a whole-run figure moves with the user's seed), and the mean
  over instances of the standard deviation of one instance's task metric across its repeats.

Lost episodes are left out of every figure, as in the summary.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from collab_env.harness.summary import SCORED, Stat, stat


def _groups(records: list[dict[str, Any]], reveal: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Scored records of one reveal condition, per (env, agent) in first-seen order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        if r["status"] in SCORED and r.get("reveal", "default") == reveal:
            groups.setdefault((r["env_id"], r["agent"]), []).append(r)
    return groups


def underspecification(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (env, agent) played in both conditions: task metric by default, fully specified, and the gap.

    Returns:
        Rows with ``env_id``, ``agent``, ``pairs`` (episodes scored in both conditions),
        ``default`` and ``all`` (:class:`Stat` of the task metric), ``gap`` (:class:`Stat` of
        fully specified minus default, paired) and ``turns_default`` / ``turns_all``.
    """
    default, full = _groups(records, "default"), _groups(records, "all")
    rows = []
    for group, mine in default.items():
        theirs = {(r["episode"], r.get("repeat", 0)): r for r in full.get(group, [])}
        pairs = [
            (r, theirs[r["episode"], r.get("repeat", 0)])
            for r in mine
            if (r["episode"], r.get("repeat", 0)) in theirs
        ]
        if not pairs:
            continue
        metric = [(a["reward"]["task_metric"], b["reward"]["task_metric"]) for a, b in pairs]
        rows.append(
            {
                "env_id": group[0], "agent": group[1], "pairs": len(pairs),
                "default": stat(a for a, _ in metric), "all": stat(b for _, b in metric),
                "gap": stat(b - a for a, b in metric),
                "turns_default": stat(a["turns"] for a, _ in pairs), "turns_all": stat(b["turns"] for _, b in pairs),
            }
        )  # fmt: skip
    return rows


def pass_hat_k(successes: int, trials: int, k: int) -> float:
    """The unbiased estimate C(c, k) / C(n, k) that k trials drawn from n all succeed.

    >>> pass_hat_k(3, 4, 1), pass_hat_k(3, 4, 2), pass_hat_k(4, 4, 4), pass_hat_k(3, 4, 4)
    (0.75, 0.5, 1.0, 0.0)
    """
    if not 1 <= k <= trials or not 0 <= successes <= trials:
        raise ValueError(
            f"need 1 <= k <= trials and 0 <= successes <= trials, got k={k}, {successes}/{trials}"
        )
    return math.comb(successes, k) / math.comb(trials, k)


def reliability(records: list[dict[str, Any]], reveal: str = "default") -> list[dict[str, Any]]:
    """pass^k for k = 1..R and the spread across repeats, per (env, agent) of a run with repeats.

    Args:
        records: Episode records of a run.
        reveal: The condition to measure (``"default"`` or ``"all"``).

    Returns:
        Rows with ``env_id``, ``agent``, ``instances``, ``repeats`` (most trials of one instance),
        ``pass_k`` (k -> pass^k over the instances with at least k scored trials),
        ``spread_runs`` (standard deviation of the per-repeat mean task metric),
        ``spread_instances`` (mean per-instance standard deviation of the task metric) and
        ``success`` (:class:`Stat` of the success rate over all trials). Only groups whose
        instances were played more than once appear.
    """
    rows = []
    for (env_id, agent), group in _groups(records, reveal).items():
        trials: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for r in group:
            trials[r.get("task_id") or r["episode"]].append(r)
        most = max(len(t) for t in trials.values())
        if most < 2:
            continue
        pass_k = {}
        for k in range(1, most + 1):
            estimates = [
                pass_hat_k(sum(_success(r) for r in t), len(t), k) for t in trials.values() if len(t) >= k
            ]
            pass_k[k] = statistics.fmean(estimates)
        by_repeat: dict[int, list[float]] = defaultdict(list)
        for r in group:
            by_repeat[r.get("repeat", 0)].append(r["reward"]["task_metric"])
        means = [statistics.fmean(v) for v in by_repeat.values()]
        per_instance = [statistics.stdev(_metrics(t)) for t in trials.values() if len(t) > 1]
        rows.append(
            {
                "env_id": env_id, "agent": agent, "instances": len(trials), "repeats": most,
                "pass_k": pass_k, "spread_runs": statistics.stdev(means) if len(means) > 1 else 0.0,
                "spread_instances": statistics.fmean(per_instance) if per_instance else 0.0,
                "success": stat(float(_success(r)) for r in group),
            }
        )  # fmt: skip
    return rows


def _success(record: dict[str, Any]) -> bool:
    """Whether an episode succeeded (its metric reached the task's threshold; agent errors fail)."""
    return record["status"] == "ok" and bool(record.get("success", record["reward"]["task_metric"] >= 1.0))


def _metrics(trials: list[dict[str, Any]]) -> list[float]:
    return [r["reward"]["task_metric"] for r in trials]


def markdown(under: list[dict[str, Any]], reliable: list[dict[str, Any]]) -> str:
    """The two tables as Markdown (empty when the run had neither control nor repeats)."""
    lines: list[str] = []
    if under:
        lines += [
            "Cost of underspecification: task metric as asked (default) and fully specified (reveal=all), "
            "paired episodes, mean ± 95% CI.",
            "",
            "| env | agent | pairs | default | reveal=all | gap (all − default) | turns default | turns all |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['env_id']} | {r['agent']} | {r['pairs']} | {r['default']} | {r['all']} | {r['gap']} | "
            f"{r['turns_default']} | {r['turns_all']} |"
            for r in under
        ]
        lines.append("")
    if reliable:
        ks = sorted({k for r in reliable for k in r["pass_k"]})
        lines += [
            "Reliability over repeats with different user seeds: pass^k (τ-bench, unbiased from the "
            "repeats), success rate, and the spread of the task metric across repeats (standard deviation).",
            "",
            "| env | agent | instances | repeats | success | "
            + " | ".join(f"pass^{k}" for k in ks)
            + " | spread of run mean | spread per instance |",
            "|---" * (7 + len(ks)) + "|",
        ]
        for r in reliable:
            cells = [f"{r['pass_k'][k]:.3f}" if k in r["pass_k"] else "n/a" for k in ks]
            lines.append(
                f"| {r['env_id']} | {r['agent']} | {r['instances']} | {r['repeats']} | {r['success']} | "
                + " | ".join(cells)
                + f" | {r['spread_runs']:.3f} | {r['spread_instances']:.3f} |"
            )
        lines.append("")
    return "\n".join(lines)


def as_json(under: list[dict[str, Any]], reliable: list[dict[str, Any]]) -> dict[str, Any]:
    """Both tables, JSON-ready (each :class:`Stat` as ``{"mean", "ci95", "n"}``)."""

    def plain(row: dict[str, Any]) -> dict[str, Any]:
        return {
            k: {"mean": v.mean, "ci95": v.ci95, "n": v.n} if isinstance(v, Stat) else v
            for k, v in row.items()
        }

    return {"underspecification": [plain(r) for r in under], "reliability": [plain(r) for r in reliable]}


def controls(records: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Both tables of a run's records, as Markdown (empty when not measured) and as JSON."""
    reveals = {r.get("reveal", "default") for r in records}
    under = underspecification(records)
    reliable = reliability(records, "all" if reveals == {"all"} else "default")
    return markdown(under, reliable), as_json(under, reliable)


__all__ = ["as_json", "controls", "markdown", "pass_hat_k", "reliability", "underspecification"]
