"""The library's own overhead per turn, against an endpoint of known latency.

A loopback OpenAI-compatible endpoint (its own process) answers every call after ``latency``
seconds. Episodes run with an LLM user (and, in the second setting, an LLM agent too), through the
real openai client. Overhead per turn = wall time per turn − latency × model calls per turn, and
is reported as a fraction of the endpoint's time per turn.

Run: ``python -m collab_env.benchmarks.llm_overhead``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from dataclasses import dataclass

import gymnasium as gym
from collab_env.agents import LLMAgent, make_agent
from collab_env.benchmarks import save_results

import collab_env
from collab_env.llm import OpenAIChat
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL


@dataclass
class Args:
    """What to measure."""

    latency: float = 0.2
    """seconds the endpoint takes per call"""
    episodes: int = 5
    out: str = "benchmarks/results/llm_overhead.json"


def _reply(messages: list[dict]) -> str:
    """The endpoint's 'model': as the user, asks once then ends; as the agent, asks a question."""
    if "<hidden_goal>" in messages[-1]["content"]:  # the LLM user's prompt
        done = messages[-1]["content"].count("ASSISTANT:") >= 3
        text = f"Thanks. {TERMINATION_SIGNAL}" if done else "Not sure, you decide."
        return json.dumps({"current_answer": "", "thought": "", "response": text})
    return "Could you tell me more about what you need?"


def _serve(latency: float, pipe) -> None:
    with LoopbackServer(reply=_reply, latency_s=latency) as server:
        pipe.send(server.base_url)
        pipe.recv()


def measure(args: Args, base_url: str, llm_agent: bool) -> dict:
    """Wall time per turn and the overhead beyond the endpoint's latency."""
    model = OpenAIChat("loopback", base_url=base_url)
    env = gym.make("CollabDoc-v0", split="test", user=collab_env.users.LLMUser(model))
    agent = LLMAgent(OpenAIChat("loopback", base_url=base_url)) if llm_agent else make_agent("clarify", env)
    turns, start = 0, time.perf_counter()
    for seed in range(args.episodes):
        turns += run_episode(env, agent, seed=seed).turns
    wall = (time.perf_counter() - start) / turns
    calls = 2 if llm_agent else 1
    overhead = wall - calls * args.latency
    return {
        "agent": "LLMAgent" if llm_agent else "clarify (scripted)",
        "calls_per_turn": calls,
        "wall_per_turn_s": wall,
        "overhead_per_turn_s": overhead,
        "overhead_fraction": overhead / (calls * args.latency),
    }


def main() -> None:
    """Measure both settings; print and save."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("latency", "episodes", "out"):
        parser.add_argument(f"--{name}", type=type(getattr(Args, name)), default=getattr(Args, name))
    args = Args(**vars(parser.parse_args()))
    here, there = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=_serve, args=(args.latency, there), daemon=True
    )
    server.start()
    base_url = here.recv()
    try:
        rows = [measure(args, base_url, llm_agent) for llm_agent in (False, True)]
    finally:
        here.send("stop")
        server.join(timeout=5)
    for r in rows:
        print(
            f"{r['agent']:<20} {r['wall_per_turn_s'] * 1000:7.1f} ms per turn for {r['calls_per_turn']} call(s) of "
            f"{args.latency * 1000:.0f} ms: overhead {r['overhead_per_turn_s'] * 1000:.1f} ms "
            f"= {100 * r['overhead_fraction']:.1f}% of the endpoint's time"
        )
    out = save_results("llm_overhead", args, args.out, results=rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
