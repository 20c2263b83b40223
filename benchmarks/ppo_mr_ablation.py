"""Does optimising the multiturn-aware reward teach PPO to collaborate? The paper's ablation, offline.

For each env and seed, PPO trains a dialogue-act strategy (``collab_env.agents.train``) with the
same budget under five rewards:

- ``mr w=0`` (myopic: each turn paid the R* of the conversation as it stands), ``mr w=1``,
  ``mr w=2``, ``mr w=3``: each turn optimised on its own multiturn-aware reward (gamma 0), the
  paper's setting;
- ``final``: ordinary RL on the sparse final R* (gamma 0.99), the classical alternative to MR's
  interventional credit assignment.

Each trained strategy is evaluated greedily on the first test instances. The script writes
``ppo_mr_ablation.json`` (every curve and evaluation), ``ppo_mr_ablation.md`` (mean ± std over
seeds) and ``ppo_mr_ablation.png`` (learning curves of the episodes' R*, and the final metrics by
window). The default settings finish in under 30 minutes on 2 CPU cores.

Run: ``python -m benchmarks.ppo_mr_ablation`` (needs the ``[train]`` and ``[bench]``
extras).
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.progress import Progress

from benchmarks import save_results
from collab_env.registration import ENV_IDS

#: (label, reward, window)
SETTINGS = (
    ("mr w=0", "mr", 0),
    ("mr w=1", "mr", 1),
    ("mr w=2", "mr", 2),
    ("mr w=3", "mr", 3),
    ("final", "final", 0),
)
METRICS = ("task_metric", "r_star", "questions", "assistant_tokens", "engagement", "turns")


@dataclass
class Args:
    """What to run."""

    envs: list[str] = field(default_factory=lambda: list(ENV_IDS))
    seeds: int = 3
    timesteps: int = 4096
    samples: int = 2
    eval_episodes: int = 50
    workers: int = 0
    """processes running trainings at once (0: one per core)"""
    w_eng: float = 1.0
    """weight of engagement in R* (0: task metric and token cost only)"""
    settings: list[str] = field(default_factory=lambda: [label for label, _, _ in SETTINGS])
    out: str = "runs/benchmarks/ppo_mr_ablation"


def run_one(job: tuple[str, str, str, int, int, Args]) -> dict:
    """Train and evaluate one (env, setting, seed); runs in a worker process."""
    import torch

    from collab_env.agents.train import TrainConfig, train

    torch.set_num_threads(1)
    env_id, label, reward, window, seed, args = job
    from collab_env.config import EnvConfig

    env = EnvConfig(env_id, max_turns=6, w_eng=args.w_eng)  # training's 6 turns
    config = TrainConfig(
        env=env, reward=reward, window=window, samples=args.samples, timesteps=args.timesteps,
        seed=seed, eval_episodes=args.eval_episodes,
    )  # fmt: skip
    result = train(config, progress=False)
    return {"env": env_id, "setting": label, "seed": seed, "seconds": result.seconds,
            "evaluation": result.evaluation, "curve": result.curve}  # fmt: skip


def summarise(runs: list[dict]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """env -> setting -> metric -> [mean, std] over seeds."""
    table: dict = {}
    for run in runs:
        cell = table.setdefault(run["env"], {}).setdefault(run["setting"], {})
        for metric in METRICS:
            cell.setdefault(metric, []).append(run["evaluation"][metric])
    return {
        env: {
            s: {m: [float(np.mean(v)), float(np.std(v))] for m, v in cells.items()}
            for s, cells in settings.items()
        }
        for env, settings in table.items()
    }


def markdown(summary: dict, args: Args) -> str:
    """The results table: one row per env and setting, mean ± std over seeds."""
    lines = [
        f"PPO, {args.timesteps} steps, {args.seeds} seeds, MR with {args.samples} samples, engagement weight "
        f"{args.w_eng:g}; greedy evaluation on {args.eval_episodes} test instances (mean ± std over seeds).",
        "",
        "| env | reward | task metric | R* | questions / episode | assistant tokens | ITR | turns |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for env, settings in summary.items():
        for label, _, _ in SETTINGS:
            if label in settings:
                cells = " | ".join(
                    f"{settings[label][m][0]:.3f} ± {settings[label][m][1]:.3f}" for m in METRICS
                )
                lines.append(f"| {env} | {label} | {cells} |")
    return "\n".join(lines) + "\n"


def plot(runs: list[dict], summary: dict, path: Path, bins: int = 8) -> None:
    """Learning curves (R* of training episodes, binned by timestep) and final metrics by window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = list(summary)
    fig, axes = plt.subplots(2, len(envs), figsize=(4 * len(envs), 7), squeeze=False)
    for col, env in enumerate(envs):
        ax = axes[0][col]
        for label, _, _ in SETTINGS:
            curves = [r["curve"] for r in runs if r["env"] == env and r["setting"] == label]
            if curves:
                x, y = _binned(curves, bins)
                ax.plot(x, y, marker=".", label=label)
        ax.set(title=env, xlabel="timestep", ylabel="R* of training episodes")
        ax.grid(alpha=0.3)
        ax = axes[1][col]
        windows = [label for label, reward, _ in SETTINGS if reward == "mr" and label in summary[env]]
        for metric, style in (("task_metric", "o-"), ("r_star", "s-"), ("questions", "^--")):
            means = [summary[env][w][metric][0] for w in windows]
            stds = [summary[env][w][metric][1] for w in windows]
            ax.errorbar(range(len(windows)), means, yerr=stds, fmt=style, capsize=3, label=metric)
        ax.set_xticks(range(len(windows)), [w.split("=")[1] for w in windows])
        ax.set(xlabel="MR window (0 = myopic)", ylabel="test split, greedy")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    axes[1][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _binned(curves: list[list[dict]], bins: int) -> tuple[list[float], list[float]]:
    end = max(row["timestep"] for curve in curves for row in curve)
    edges = np.linspace(0, end, bins + 1)
    xs, ys = [], []
    for lo, hi in itertools.pairwise(edges):
        values = [row["r_star"] for curve in curves for row in curve if lo < row["timestep"] <= hi]
        if values:
            xs.append((lo + hi) / 2)
            ys.append(float(np.mean(values)))
    return xs, ys


def main(argv: list[str] | None = None) -> None:
    """Run the ablation, print the table and write the results files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    defaults = Args()
    parser.add_argument("--envs", default=",".join(defaults.envs))
    for name in ("seeds", "timesteps", "samples", "eval_episodes", "workers"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    parser.add_argument("--w-eng", type=float, default=defaults.w_eng, help="weight of engagement in R*")
    parser.add_argument("--settings", default=",".join(defaults.settings), help="comma-separated labels")
    parser.add_argument("--out", default=defaults.out, help="results path without extension")
    ns = parser.parse_args(argv)
    args = Args(envs=ns.envs.split(","), seeds=ns.seeds, timesteps=ns.timesteps, samples=ns.samples,
                eval_episodes=ns.eval_episodes, workers=ns.workers, w_eng=ns.w_eng,
                settings=ns.settings.split(","), out=ns.out)  # fmt: skip
    unknown = set(args.settings) - {label for label, _, _ in SETTINGS}
    if unknown:
        parser.error(f"unknown settings {sorted(unknown)}; choose from {[label for label, _, _ in SETTINGS]}")
    jobs = [(env, label, reward, window, seed, args) for env in args.envs for seed in range(args.seeds)
            for label, reward, window in SETTINGS if label in args.settings]  # fmt: skip
    jobs.sort(key=lambda j: -_cost(j))  # longest first, so the pool ends together
    start, runs = time.perf_counter(), []
    workers = args.workers or os.cpu_count() or 1
    with multiprocessing.get_context("spawn").Pool(workers) as pool, Progress() as progress:
        bar = progress.add_task("trainings", total=len(jobs))
        for run in pool.imap_unordered(run_one, jobs):
            runs.append(run)
            progress.advance(bar)
    wall = time.perf_counter() - start
    summary = summarise(runs)
    table = markdown(summary, args)
    print(table)
    print(f"{len(jobs)} trainings in {wall / 60:.1f} min on {workers} workers")
    out = Path(args.out)
    compact = [{**run, "curve": _binned([run["curve"]], 16)} for run in runs]  # (timestep, mean R*) pairs
    save_results(
        "ppo_mr_ablation", args, out.with_suffix(".json"), wall_s=wall, summary=summary, runs=compact
    )
    out.with_suffix(".md").write_text(
        table + f"\n{len(jobs)} trainings in {wall / 60:.1f} min on {workers} workers.\n"
    )
    plot(runs, summary, out.with_suffix(".png"))


def _cost(job: tuple) -> float:
    env, _, _, window, _, _ = job
    return (1 + 2 * window) * (5 if env == "CollabCode-v0" else 1)


if __name__ == "__main__":
    main()
