"""R*'s parts per env and agent: what the summary's R* column is made of, and why.

R* = w_ext·R_ext − token penalty + w_eng·R_eng holds episode by episode, so it holds for the means
too: each row's weighted parts add up to its mean R*. Beside them, the heuristic engagement judge's
counts (answered, unanswered, missed, ignored...) per episode say where R_eng came from.
"""

from __future__ import annotations

import statistics
from typing import Any

from collab_env.harness.summary import SCORED, primary_reveal

#: The heuristic judge's counts, always shown (the others only where a row has some).
SHOWN_COUNTS = ("answered", "unanswered", "missed", "ignored")

#: The columns of a parts table before the counts (:func:`cells_of` fills them).
LABELS = ("env", "agent", "task metric × w_ext", "token penalty", "engagement × w_eng", "R*", "ITR judge")


def reward_parts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mean of each part of R* per scored episode, per env and agent, in the log's order.

    Episodes lost to the infrastructure are left out, as in the summary; those the agent failed
    (R_ext 0, R* 0) are averaged in. Of a run with the reveal control, only the summary's
    condition counts (:func:`~collab_env.harness.summary.primary_reveal`).

    Args:
        records: The episode records of a run.

    Returns:
        One dict per (env, agent): ``env_id``, ``agent``, ``episodes`` (scored), ``judge``,
        ``w_ext``, ``w_eng``, the means ``task_metric`` (R_ext, in [0, 1]), ``token_penalty``,
        ``engagement`` (R_eng, in [−3, 1]) and ``total`` (R*), and ``counts``: the mean of each of
        the heuristic judge's counts per episode (empty for another judge).

    >>> rec = {"env_id": "e", "agent": "a", "status": "ok", "reward": {"total": 1.4, "task_metric": 1.0,
    ...        "token_penalty": 0.1, "engagement": 0.5, "engagement_judge": "heuristic",
    ...        "config": {"w_ext": 1.0, "w_eng": 1.0}, "engagement_details": {"answered": 1, "ignored": 0}}}
    >>> row = reward_parts([rec])[0]
    >>> row["w_ext"] * row["task_metric"] - row["token_penalty"] + row["w_eng"] * row["engagement"]
    1.4
    """
    reveal = primary_reveal(records)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        if r["status"] in SCORED and r.get("reveal", "default") == reveal:
            groups.setdefault((r["env_id"], r["agent"]), []).append(r["reward"])
    return [_row(env_id, agent, rewards) for (env_id, agent), rewards in groups.items()]


def _row(env_id: str, agent: str, rewards: list[dict[str, Any]]) -> dict[str, Any]:
    """One (env, agent)'s means; weights and judge from its first played episode's reward."""
    played = next((w for w in rewards if w.get("config")), rewards[0])
    weights = played.get("config") or {}
    details = [w.get("engagement_details") or {} for w in rewards]
    from collab_env.rewards.engagement import COUNTS

    heuristic = played.get("engagement_judge") == "heuristic"
    counts = {n: statistics.fmean(d.get(n, 0) for d in details) for n in COUNTS} if heuristic else {}
    return {
        "env_id": env_id,
        "agent": agent,
        "episodes": len(rewards),
        "judge": played.get("engagement_judge") or "none",
        "w_ext": weights.get("w_ext", 1.0),
        "w_eng": weights.get("w_eng", 1.0),
        **{
            k: statistics.fmean(w[k] for w in rewards)
            for k in ("task_metric", "token_penalty", "engagement", "total")
        },
        "counts": counts,
    }


def shown_counts(rows: list[dict[str, Any]]) -> list[str]:
    """The counts worth a column: :data:`SHOWN_COUNTS`, and any other that some row has."""
    from collab_env.rewards.engagement import COUNTS

    return [n for n in COUNTS if n in SHOWN_COUNTS or any(r["counts"].get(n) for r in rows)]


def markdown(rows: list[dict[str, Any]]) -> str:
    """R*'s parts as a Markdown table (for results.md), with the line saying how they add up.

    Args:
        rows: Rows of :func:`reward_parts`.
    """
    counts = shown_counts(rows)
    lines = [
        "R* and its parts (means per scored episode; R* = w_ext·R_ext − token penalty + w_eng·R_eng, "
        "episode by episode, so each row's parts add up to its R*; the counts are per episode):",
        "",
        "| " + " | ".join([*LABELS, *counts]) + " |",
        "|---" * (len(LABELS) + len(counts)) + "|",
    ]
    for r in rows:
        cells = [*cells_of(r), *(f"{r['counts'][n]:.2f}" if r["counts"] else "n/a" for n in counts)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def cells_of(row: dict[str, Any]) -> list[str]:
    """A row's env, agent, weighted parts, R* and judge as text (3 decimals; weights as given).

    >>> cells_of({"env_id": "e", "agent": "a", "task_metric": 0.5, "w_ext": 1.0, "token_penalty": 0.01,
    ...           "engagement": 0.25, "w_eng": 2.0, "total": 0.99, "judge": "heuristic"})
    ['e', 'a', '0.500 × 1', '−0.010', '0.250 × 2', '0.990', 'heuristic']
    """
    return [
        row["env_id"],
        row["agent"],
        f"{row['task_metric']:.3f} × {row['w_ext']:g}",
        f"−{row['token_penalty']:.3f}",
        f"{row['engagement']:.3f} × {row['w_eng']:g}",
        f"{row['total']:.3f}",
        row["judge"],
    ]
