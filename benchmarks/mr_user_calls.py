"""User calls per MR step: what the futures' shape (u, a, …, u, a) costs an LLM user's endpoint.

Episodes of the clarify agent with an LLM user over the loopback server
(:class:`~collab_env.testing.scripted_llm.ScriptedLLM`) and the heuristic judge; at every step MR
(``window``, 3 samples) is computed and the futures' user calls are counted from
``info["mr"]["usage"]``. A window-w future makes at most w user calls (1 at window 0).

Run: ``python -m benchmarks.mr_user_calls [--window 2] [--episodes 5]``.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from benchmarks import parse_args, save_results
from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.llm import OpenAIChat
from collab_env.rewards import HeuristicEngagement
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM
from collab_env.users import LLMUser
from collab_env.wrappers import MultiturnAwareReward

ENVS = ("CollabDoc-v0", "CollabMath-v0", "CollabQA-v0")


@dataclass
class Args:
    """What to count."""

    window: int = 2
    samples: int = 3
    episodes: int = 5
    out: str = "runs/benchmarks/mr_user_calls.json"


def count(args: Args, base_url: str) -> dict:
    """Mean and largest user calls per future, and per MR step, for each env."""
    rows = {}
    for env_id in ENVS:
        user = LLMUser(OpenAIChat("user", base_url=base_url))
        env = with_parts(env_id, split="test", user=user, judge=HeuristicEngagement())
        agent = make_agent("clarify", env)
        wrapped, calls = MultiturnAwareReward(env, agent, window=args.window, samples=args.samples), []
        for seed in range(args.episodes):
            obs, _ = wrapped.reset(seed=seed)
            done = False
            while not done:
                obs, _, terminated, truncated, info = wrapped.step(agent(obs))
                done = terminated or truncated
                if "mr" in info:
                    calls.append(info["mr"]["usage"].get("calls", 0))
        rows[env_id] = {"steps": len(calls), "per_step": statistics.fmean(calls),
                        "per_future": statistics.fmean(calls) / args.samples,
                        "max_per_future": max(calls) / args.samples}  # fmt: skip
        print(f"{env_id:14s} window {args.window}: {rows[env_id]['per_step']:.2f} user calls per MR step "
              f"({args.samples} futures; {rows[env_id]['per_future']:.2f} per future, at most "
              f"{rows[env_id]['max_per_future']:.0f}), {len(calls)} steps")  # fmt: skip
    return rows


def main() -> None:
    """Count, print and save."""
    args = parse_args(Args, __doc__)
    with LoopbackServer(reply=ScriptedLLM(["doc", "math", "qa"])) as server:
        rows = count(args, server.base_url)
    print(f"wrote {save_results('mr_user_calls', args, args.out, envs=rows)}")


if __name__ == "__main__":
    main()
