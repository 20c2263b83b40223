"""What branching before the user's reply changes: the spread of MR's samples, per step.

MR (the paper's definition, what :class:`~collab_env.wrappers.MultiturnAwareReward` computes)
branches each future right after the assistant's response: every future samples its own user
reply. The earlier definition branched after the real reply, so every future shared it. This
script plays episodes with the scripted user and the clarify agent, and at every step computes
both, with the same samples, window and seeds, and reports the mean standard deviation of the
samples' R* per step (and the mean MR) for each.

Run: ``python -m benchmarks.mr_variance [--env CollabMath-v0] [--out PATH.json]``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import gymnasium as gym

from benchmarks import parse_args, save_results
from collab_env.agents import make_agent
from collab_env.rollout import Future, play_futures
from collab_env.wrappers import MultiturnAwareReward
from collab_env.wrappers.mr import final_state_reward


@dataclass
class Args:
    """What to measure."""

    env: str = "CollabMath-v0"
    episodes: int = 30
    window: int = 2
    samples: int = 8
    out: str = "runs/benchmarks/mr_variance.json"


def after_the_reply(wrapped: MultiturnAwareReward, seeds: list[int]) -> list[float]:
    """The earlier definition: futures branch from the state after the real user reply."""
    base = wrapped.env.unwrapped
    futures = [Future(base.branch(user_seed=s), wrapped.policy, sample_index=k) for k, s in enumerate(seeds)]
    play_futures(futures, [None] * len(futures), wrapped.window)
    # Scored as MR scores its own futures, so that only the branching point differs.
    return [final_state_reward(f, wrapped.window)["total"] for f in futures]


def measure(args: Args) -> dict:
    """Per-step standard deviation and mean of MR's samples, under both definitions."""
    env = gym.make(args.env, split="test")
    agent = make_agent("clarify", env)
    wrapped = MultiturnAwareReward(env, agent, window=args.window, samples=args.samples)
    rows = {"paper": [], "earlier": []}
    for seed in range(args.episodes):
        obs, _ = wrapped.reset(seed=seed)
        done = False
        while not done:
            obs, _, terminated, truncated, info = wrapped.step(agent(obs))
            done = terminated or truncated
            rows["paper"].append(info["mr"]["scores"])
            rows["earlier"].append(after_the_reply(wrapped, info["mr"]["user_seeds"]))
    summary = {}
    for name, steps in rows.items():
        summary[name] = {
            "steps": len(steps),
            "mean_std_per_step": statistics.fmean(statistics.pstdev(s) for s in steps),
            "steps_with_spread": sum(statistics.pstdev(s) > 0 for s in steps),
            "mean_mr": statistics.fmean(statistics.fmean(s) for s in steps),
        }
        print(
            f"{name:8s} futures branch {'before' if name == 'paper' else 'after'} the user's reply: "
            f"mean per-step std of R* {summary[name]['mean_std_per_step']:.4f} "
            f"({summary[name]['steps_with_spread']}/{len(steps)} steps with any spread), "
            f"mean MR {summary[name]['mean_mr']:.3f}"
        )
    return summary


def main() -> None:
    """Measure, print and save."""
    args = parse_args(Args, __doc__)
    summary = measure(args)
    path = save_results("mr_variance", args, args.out, **summary)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
