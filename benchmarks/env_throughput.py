"""Steps per second of each env with the scripted user and the built-in agents, and what a step
costs as the conversation grows.

Run: ``python -m benchmarks.env_throughput`` (``--help`` for options). Prints two tables
and writes the figures to a JSON file:

- throughput: median of ``--repeats`` runs, steps per second, agent time included;
- step time by turn: the median time of ``env.step`` (user reply and R* included, agent time not)
  at turn 1 and at turn ``--turns``, for a policy that asks a short question every turn (``ask``)
  and one that proposes a draft every turn (``draft``), against a scripted user patient enough
  to stay. A step that re-reads the whole conversation costs more at turn 20 than at turn 1; an
  incremental one costs the same (``turn_ratio`` near 1).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import gymnasium as gym

import collab_env
from benchmarks import save_results
from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.config import UserSpec
from collab_env.rollout import run_episode


@dataclass
class Args:
    """What to measure."""

    episodes: int = 20
    """episodes per run"""
    repeats: int = 5
    """runs per (env, agent); the median is reported"""
    agents: tuple[str, ...] = ("passive", "clarify")
    turns: int = 20
    """the late turn whose step time is compared with turn 1's"""
    turn_episodes: int = 20
    """episodes per (env, policy) that reach ``turns`` for the step-time table"""
    policies: tuple[str, ...] = ("ask", "draft")
    out: str = "runs/benchmarks/env_throughput.json"


def measure(env_id: str, agent_name: str, episodes: int, first_seed: int) -> tuple[float, float]:
    """One run: (steps per second, mean turns per episode), agent time included.

    Each run builds a fresh task, so no metric result (a sandbox run, a BLEU score) is reused
    from an earlier run; the fixed test split is generated before the clock starts.
    """
    family = gym.make(env_id).unwrapped.task
    env = with_parts(env_id, task=type(family)(), split="test")
    env.task.instance("test", 0)
    agent = make_agent(agent_name, env)
    steps, start = 0, time.perf_counter()
    for seed in range(first_seed, first_seed + episodes):
        steps += run_episode(env, agent, seed=seed).turns
    return steps / (time.perf_counter() - start), steps / episodes


def long_policy(name: str, drafter) -> Callable[[list, int], str]:
    """A policy that keeps the chat going: ``ask`` a short question, or propose a ``draft``.

    The draft is written from the opening alone (so the user rarely accepts it) under a line
    that changes every turn, so that no message repeats word for word.
    """
    if name == "ask":
        return lambda messages, turn: f"Question {turn}: what else matters to you here?"
    if name == "draft":
        return lambda messages, turn: f"Revision {turn}. {drafter.draft(messages[:1])}"
    raise ValueError(f"policies must be 'ask' or 'draft', got {name!r}")


def step_times(env_id: str, policy_name: str, turns: int, episodes: int, split: str = "test") -> tuple:
    """Seconds of ``env.step`` at turn 1 and at turn ``turns``, over episodes that reach it.

    The draft's metric (a sandbox run for code, math-verify for math) is computed before the
    clock starts, as the task's cache holds it for every later turn that proposes it again.

    Returns:
        (turn-1 times, turn-``turns`` times, seeds tried).
    """
    user = UserSpec("scripted", options={"patience": (10 * turns,)})
    env = gym.make(env_id, split=split, max_turns=turns, user=user)
    task = env.unwrapped.task
    policy = long_policy(policy_name, task.drafter)
    first, last, seed = [], [], 0
    while len(last) < episodes and seed < 20 * episodes:
        messages, _ = env.reset(seed=seed)
        seed, times, ended = seed + 1, [], False
        solution = task.extract_solution(policy(messages, 0))
        if solution is not None:
            task.score(env.unwrapped.instance, solution)
        for turn in range(1, turns + 1):
            action = policy(messages, turn)
            start = time.perf_counter()
            messages, _, ended, _, _ = env.step(action)
            times.append(time.perf_counter() - start)
            if ended:
                break
        if not ended:
            first.append(times[0])
            last.append(times[-1])
    return first, last, seed


def main() -> None:
    """Measure every env and agent; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name, value in asdict(Args()).items():
        kind = type(value[0]) if isinstance(value, tuple) else type(value)
        parser.add_argument(
            f"--{name}", type=kind, default=value, nargs="+" if isinstance(value, tuple) else None
        )
    args = Args(**vars(parser.parse_args()))
    rows, by_turn = [], []
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
    for env_id in collab_env.ENV_IDS:
        for policy in args.policies:
            step_times(env_id, policy, 2, 2, split="train")  # imports, compiled patterns
            first, last, tried = step_times(env_id, policy, args.turns, args.turn_episodes)
            if not last:
                print(f"{env_id:<15} {policy:<6} no episode of {tried} reached turn {args.turns}")
                continue
            t1, tn = statistics.median(first) * 1e3, statistics.median(last) * 1e3
            by_turn.append({"env_id": env_id, "policy": policy, "episodes": len(last),
                            "step_ms_turn_1": t1, f"step_ms_turn_{args.turns}": tn, "turn_ratio": tn / t1})  # fmt: skip
            print(f"{env_id:<15} {policy:<6} step {t1:7.3f} ms at turn 1, {tn:7.3f} ms at turn "
                  f"{args.turns} ({tn / t1:.2f}x, median of {len(last)} episodes)")  # fmt: skip
    out = save_results("env_throughput", args, args.out, results=rows, step_time_by_turn=by_turn)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
