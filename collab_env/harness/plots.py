"""Figures of a benchmark run (matplotlib, PNG): metric by agent, turns, efficiency frontier."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from collab_env.fileio import atomic_path
from collab_env.harness.summary import primary_reveal

log = logging.getLogger(__name__)

#: File names of the figures, in the order :func:`write_plots` returns them.
PLOTS = ("metric_by_agent.png", "turns.png", "efficiency.png")


def write_plots(rows: list[dict[str, Any]], records: list[dict[str, Any]], out: Path) -> list[Path]:
    """Write the three figures of a run to ``out``.

    - ``metric_by_agent.png``: the task metric of each agent, one panel per env, with 95% CIs;
    - ``turns.png``: the distribution of assistant turns per episode, per agent;
    - ``efficiency.png``: task metric against tokens read (thousands), per env and agent.

    Args:
        rows: Rows of :func:`~collab_env.harness.summary.summarise`.
        records: The episode records (for the turn distribution; of a run with the reveal
            control, those of the table's condition, as :func:`~.summary.primary_reveal` says).
        out: Directory to write to.

    Returns:
        The paths written; an empty list when no episode was scored, or (with a logged
        warning) without matplotlib.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed (pip install 'collab-env[bench]'): no plots")
        return []
    rows = [r for r in rows if not math.isnan(r["task_metric"].mean)]
    if not rows:  # nothing scored: nothing to draw (the report says why)
        return []
    paths = [out / name for name in PLOTS]
    agents = list(dict.fromkeys(r["agent"] for r in rows))
    _metric_by_agent(plt, rows, agents, paths[0])
    reveal = primary_reveal(records)  # the table's condition: a --reveal default,all run's controls stay out
    played = [r for r in records if r["status"] == "ok" and r.get("reveal", "default") == reveal]
    _turns(plt, played, agents, paths[1])
    _efficiency(plt, rows, agents, paths[2])
    plt.close("all")
    return paths


def _metric_by_agent(plt: Any, rows: list[dict[str, Any]], agents: list[str], path: Path) -> None:
    envs = list(dict.fromkeys(r["env_id"] for r in rows)) or ["(nothing scored)"]
    fig, axes = plt.subplots(1, len(envs), figsize=(3.2 * len(envs), 3.4), squeeze=False)
    for ax, env in zip(axes[0], envs, strict=True):
        mine = {r["agent"]: r for r in rows if r["env_id"] == env}
        names = [a for a in agents if a in mine]
        ax.bar(
            range(len(names)),
            [mine[a]["task_metric"].mean for a in names],
            yerr=[mine[a]["task_metric"].ci95 for a in names],
            capsize=4,
            color=[f"C{agents.index(a)}" for a in names],
        )
        ax.set_xticks(range(len(names)), [_short(a) for a in names], rotation=20)
        metric = next(iter(mine.values()))["metric"] if mine else "task metric"
        ax.set(title=env, ylim=(0, 1.05), ylabel=f"{metric} (mean, 95% CI)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")


def _turns(plt: Any, scored: list[dict[str, Any]], agents: list[str], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5, 3.4))
    top = max((r["turns"] for r in scored), default=1)
    for i, agent in enumerate(agents):
        turns = [r["turns"] for r in scored if r["agent"] == agent]
        ax.hist(turns, bins=range(1, top + 2), alpha=0.5, label=_short(agent), align="left", color=f"C{i}")
    ax.set(xlabel="assistant turns per episode", ylabel="episodes", title="turns per episode (all envs)")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")


#: One marker per env in the frontier plot (colours are the agents'): no text label to overlap.
_MARKERS = "osD^vP*Xph"


def _efficiency(plt: Any, rows: list[dict[str, Any]], agents: list[str], path: Path) -> None:
    fig = efficiency_figure(plt, rows, agents)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png", bbox_inches="tight")


def efficiency_figure(plt: Any, rows: list[dict[str, Any]], agents: list[str]) -> Any:
    """The efficiency frontier: task metric against tokens read, a colour per agent, a marker per env.

    Points are told apart by the legend beside the axes instead of text labels at the points,
    which overlapped wherever two envs or agents land close (QA's passive and clarify, or the
    envs an agent fails at 0).

    Args:
        plt: ``matplotlib.pyplot``.
        rows: Rows of :func:`~collab_env.harness.summary.summarise`.
        agents: The agents in colour order.

    Returns:
        The matplotlib figure.
    """
    from matplotlib.lines import Line2D

    envs = list(dict.fromkeys(r["env_id"] for r in rows))
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for r in rows:
        i, marker = agents.index(r["agent"]), _MARKERS[envs.index(r["env_id"]) % len(_MARKERS)]
        ax.errorbar(
            r["tokens_k"].mean, r["task_metric"].mean, xerr=r["tokens_k"].ci95, yerr=r["task_metric"].ci95,
            fmt=marker, capsize=3, color=f"C{i}", alpha=0.85,
        )  # fmt: skip
    handles = [Line2D([], [], color=f"C{i}", lw=3, label=_short(a)) for i, a in enumerate(agents)]
    handles += [
        Line2D([], [], color="grey", ls="", marker=_MARKERS[k % len(_MARKERS)], label=_env_name(env))
        for k, env in enumerate(envs)
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0, fontsize=8)
    ax.set(
        xlabel="tokens read (assistant tokens, thousands)", ylabel="task metric", title="efficiency frontier"
    )
    fig.tight_layout()
    return fig


def _env_name(env_id: str) -> str:
    return env_id.removesuffix("-v0").removeprefix("Collab")


def _short(agent: str) -> str:
    return agent if len(agent) <= 24 else agent[:21] + "..."
