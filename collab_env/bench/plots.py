"""Figures of a benchmark run (matplotlib, PNG)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def write_plots(rows: list[dict[str, Any]], records: list[dict[str, Any]], out: Path) -> list[Path]:
    """Write the metric, turns and efficiency figures to ``out``; return their paths.

    Returns an empty list (and logs why) when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed (pip install 'collab-env[bench]'): no plots")
        return []
    envs = list(dict.fromkeys(r["env_id"] for r in rows))
    agents = list(dict.fromkeys(r["agent"] for r in rows))
    paths = [out / "metric_by_agent.png", out / "turns.png", out / "efficiency.png"]

    fig, axes = plt.subplots(1, len(envs), figsize=(3.2 * len(envs), 3.2), squeeze=False)
    for ax, env in zip(axes[0], envs, strict=True):
        mine = [next((r for r in rows if r["env_id"] == env and r["agent"] == a), None) for a in agents]
        means = [r["task_metric"].mean if r else 0 for r in mine]
        errors = [r["task_metric"].ci95 if r else 0 for r in mine]
        ax.bar(agents, means, yerr=errors, capsize=4, color="tab:blue")
        ax.set(title=env, ylim=(0, 1.05), ylabel="task metric (95% CI)")
    fig.tight_layout()
    fig.savefig(paths[0], dpi=110)

    fig, ax = plt.subplots(figsize=(5, 3.2))
    scored = [r for r in records if r["status"] == "ok"]
    top = max((r["turns"] for r in scored), default=1)
    for agent in agents:
        turns = [r["turns"] for r in scored if r["agent"] == agent]
        ax.hist(turns, bins=range(1, top + 2), alpha=0.5, label=agent, align="left")
    ax.set(xlabel="assistant turns per episode", ylabel="episodes", title="turns per episode (all envs)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(paths[1], dpi=110)

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for agent in agents:
        mine = [r for r in rows if r["agent"] == agent]
        ax.errorbar(
            [r["tokens_k"].mean for r in mine], [r["task_metric"].mean for r in mine],
            xerr=[r["tokens_k"].ci95 for r in mine], yerr=[r["task_metric"].ci95 for r in mine],
            fmt="o", capsize=3, label=agent,
        )  # fmt: skip
        for r in mine:
            ax.annotate(
                r["env_id"].removesuffix("-v0").removeprefix("Collab"),
                (r["tokens_k"].mean, r["task_metric"].mean),
            )
    ax.set(xlabel="tokens read (thousands, assistant)", ylabel="task metric", title="efficiency frontier")
    ax.legend()
    fig.tight_layout()
    fig.savefig(paths[2], dpi=110)
    plt.close("all")
    return paths
