"""Steps per second of each env with the scripted user and the built-in agents.

Run: ``python -m collab_env.benchmarks.env_throughput`` (``--help`` for options). Prints a table
and writes the figures (median of ``--repeats`` runs, steps per second) to a JSON file.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import asdict, dataclass

import gymnasium as gym
from collab_env.agents import make_agent
from collab_env.benchmarks import save_results

import collab_env
from collab_env.builders import make_env
from collab_env.rollout import run_episode


@dataclass
class Args:
    """What to measure."""

    episodes: int = 20
    """episodes per run"""
    repeats: int = 5
    """runs per (env, agent); the median is reported"""
    agents: tuple[str, ...] = ("passive", "clarify")
    out: str = "runs/benchmarks/env_throughput.json"


def measure(env_id: str, agent_name: str, episodes: int, first_seed: int) -> tuple[float, float]:
    """One run: (steps per second, mean turns per episode), agent time included.

    Each run builds a fresh task, so no metric result (a sandbox run, a BLEU score) is reused
    from an earlier run; the fixed test split is generated before the clock starts.
    """
    family = gym.make(env_id).unwrapped.task
    env = make_env(type(family)(), split="test")
    env.task.instance("test", 0)
    agent = make_agent(agent_name, env)
    steps, start = 0, time.perf_counter()
    for seed in range(first_seed, first_seed + episodes):
        steps += run_episode(env, agent, seed=seed).turns
    return steps / (time.perf_counter() - start), steps / episodes


def main() -> None:
    """Measure every env and agent; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name, value in asdict(Args()).items():
        kind = type(value[0]) if isinstance(value, tuple) else type(value)
        parser.add_argument(
            f"--{name}", type=kind, default=value, nargs="+" if isinstance(value, tuple) else None
        )
    args = Args(**vars(parser.parse_args()))
    rows = []
    for env_id in collab_env.ENV_IDS:
        for agent in args.agents:
            measure(env_id, agent, 2, first_seed=10_000)  # warm the tokenizer and imports
            runs = [
                measure(env_id, agent, args.episodes, first_seed=r * args.episodes)
                for r in range(args.repeats)
            ]
            sps = statistics.median(r[0] for r in runs)
            rows.append(
                {"env_id": env_id, "agent": agent, "steps_per_s": sps, "turns_per_episode": runs[0][1]}
            )
            print(f"{env_id:<15} {agent:<8} {sps:10.1f} steps/s   {runs[0][1]:.1f} turns/episode")
    out = save_results("env_throughput", args, args.out, results=rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
