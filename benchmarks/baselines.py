"""The built-in agents on every env's fixed test split: the README's baseline table.

Run: ``python -m collab_env.benchmarks.baselines`` (``--episodes N`` for fewer instances). Prints a
Markdown table (mean ± 95% confidence interval over episodes) and writes the figures to JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
from collab_env.agents import make_agent

import collab_env
from collab_env.rollout import run_episode


@dataclass
class Args:
    """What to run."""

    episodes: int = 200
    """test instances per env (the whole fixed split by default)"""
    out: str = "benchmarks/results/baselines.json"


def ci95(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of its normal 95% confidence interval."""
    mean = statistics.fmean(values)
    half = 1.96 * statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return mean, half


def main() -> None:
    """Run both built-in agents on each env's test instances and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=Args.episodes)
    parser.add_argument("--out", default=Args.out)
    args = Args(**vars(parser.parse_args()))
    rows, start = [], time.perf_counter()
    print("| env | agent | R_ext (metric) | R* | engagement | turns | assistant tokens |")
    print("|---|---|---|---|---|---|---|")
    for env_id in collab_env.ENV_IDS:
        env = gym.make(env_id, split="test")
        family = env.unwrapped.task
        for name in ("passive", "clarify"):
            agent = make_agent(name, env)
            results = [
                run_episode(env, agent, seed=k, task_id=family.task_id("test", k))
                for k in range(args.episodes)
            ]
            cols = {
                "task_metric": [r.reward["task_metric"] for r in results],
                "total": [r.reward["total"] for r in results],
                "engagement": [r.reward["engagement"] for r in results],
                "turns": [float(r.turns) for r in results],
                "assistant_tokens": [float(r.reward["assistant_tokens"]) for r in results],
            }
            stats = {k: ci95(v) for k, v in cols.items()}
            rows.append({"env_id": env_id, "agent": name, "metric": family.metric_name, **stats})
            cells = [f"{stats[k][0]:.3f} ± {stats[k][1]:.3f}" for k in ("task_metric", "total", "engagement")]
            cells += [f"{stats['turns'][0]:.1f}", f"{stats['assistant_tokens'][0]:.0f}"]
            print(f"| {env_id} | {name} | " + " | ".join(cells) + " |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "benchmark": "baselines",
        "collab_env": collab_env.__version__,
        "python": platform.python_version(),
    }
    versions = {env_id: gym.make(env_id).unwrapped.task.version for env_id in collab_env.ENV_IDS}
    out.write_text(
        json.dumps({**header, "task_versions": versions, "config": asdict(args), "results": rows}, indent=2)
    )
    print(f"\n{args.episodes} episodes per env and agent in {time.perf_counter() - start:.0f} s; wrote {out}")


if __name__ == "__main__":
    main()
