"""How fast is MR? Every model call in flight against a slow endpoint, and raw speed offline.

Part 1: a loopback OpenAI-compatible endpoint (its own process) answers every call after
``latency`` seconds, as the policy (an ``LLMAgent``) and as the user simulator (an ``LLMUser``),
both ``OpenAIChat`` with their default settings. MR of N candidates × S samples × window w is
timed; the futures run in lockstep, so each round has all N·S calls in flight. A future is a
chain of max(1, 2w) dependent calls (the user's reply to the candidate, then w policy turns, each
but the last answered: u, a, …, u, a), so the critical path is max(1, 2w) × latency; the target is a wall time within
1.3× of it at N·S = 64. The same calls made by the bare openai client (N·S threads, each
making its chain of calls) give the floor that no library can beat.
Part 2: MR evaluations per second (one core) for each env at window 2, samples 3, with the
scripted user and the clarify agent.

Run: ``python -m collab_env.benchmarks.mr_throughput [--out DIR/mr_throughput]`` (matplotlib for
the plot).
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
from collab_env.agents import LLMAgent, make_agent
from collab_env.benchmarks import parse_args, save_results
from openai import OpenAI

import collab_env
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer
from collab_env.users import LLMUser
from collab_env.wrappers import MultiturnAwareReward, multiturn_aware_reward


@dataclass
class Args:
    """What to measure."""

    latency: float = 1.0
    """seconds the endpoint takes per call (an LLM reply takes about 1 to 5 s)"""
    window: int = 2
    sweep: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 2), (2, 4), (4, 4), (4, 8), (8, 8))
    """(candidates N, samples S) pairs"""
    scripted_episodes: int = 10
    out: str = "runs/benchmarks/mr_throughput"


def _reply(messages: list[dict]) -> str:
    """The endpoint's 'model': as the user, a JSON reply; as the assistant, a question."""
    if "hidden_goal" in json.dumps(messages):
        return json.dumps({"thought": "fine", "response": "It is for the whole team, keep it short."})
    return "Who is the audience, and what tone should it have?"


def _serve(latency: float, pipe) -> None:
    """The endpoint, in its own process (a real endpoint does not share our interpreter)."""
    with LoopbackServer(reply=_reply, latency_s=latency) as server:
        pipe.send(server.base_url)
        pipe.recv()  # serve until told to stop
        pipe.send(server.requests)


def endpoint_sweep(args: Args) -> list[dict]:
    """Part 1: wall time of MR against the loopback endpoint, and of the bare client's same calls."""
    here, there = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=_serve, args=(args.latency, there), daemon=True
    )
    server.start()
    base_url = here.recv()
    rows = []
    try:
        env = gym.make("CollabDoc-v0", split="test", user=LLMUser(OpenAIChat("user", base_url=base_url)))
        policy = LLMAgent(OpenAIChat("policy", base_url=base_url))
        obs, _ = env.reset(seed=0)
        candidates = [f"Who is the audience? ({i})" for i in range(max(n for n, _ in args.sweep))]
        client = OpenAI(base_url=base_url, api_key="loopback", max_retries=0)
        chain = max(1, 2 * args.window)

        def bare(_: int) -> None:
            for _ in range(chain):
                client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])

        for n, s in args.sweep:
            row = {"candidates": n, "samples": s, "futures": n * s, "critical_path_s": chain * args.latency}
            start = time.perf_counter()
            with ThreadPoolExecutor(n * s) as pool:
                list(pool.map(bare, range(n * s)))
            row["client_floor_s"] = time.perf_counter() - start
            start = time.perf_counter()
            multiturn_aware_reward(env, obs, candidates[:n], policy, args.window, s)
            row["mr_s"] = time.perf_counter() - start
            row["sequential_estimate_s"] = n * s * chain * args.latency
            row["ratio_to_critical_path"] = row["mr_s"] / row["critical_path_s"]
            row["ratio_to_client_floor"] = row["mr_s"] / row["client_floor_s"]
            rows.append(row)
            print(
                f"N·S={n * s:3d}  MR {row['mr_s']:.2f} s = {row['ratio_to_critical_path']:.2f}× the critical path "
                f"({row['critical_path_s']:.1f} s), {row['ratio_to_client_floor']:.2f}× the bare client "
                f"({row['client_floor_s']:.2f} s); one after another it would take {row['sequential_estimate_s']:.0f} s"
            )
    finally:
        here.send("stop")
        print(f"endpoint served {here.recv()} requests")
        server.join(timeout=5)
    return rows


def scripted_speed(args: Args) -> list[dict]:
    """Part 2: MR evaluations (wrapped steps) per second on one core, per env."""
    rows = []
    for env_id in collab_env.ENV_IDS:
        env = gym.make(env_id, split="test")
        agent = make_agent("clarify", env)
        wrapped = MultiturnAwareReward(env, agent, window=2, samples=3)
        steps, start = 0, time.perf_counter()
        for seed in range(args.scripted_episodes):
            obs, _ = wrapped.reset(seed=seed)
            done = False
            while not done:
                obs, _, terminated, truncated, _ = wrapped.step(agent(obs))
                steps, done = steps + 1, terminated or truncated
        rate = steps / (time.perf_counter() - start)
        rows.append({"env_id": env_id, "mr_evaluations_per_s": rate, "window": 2, "samples": 3})
        print(f"{env_id:<15} {rate:8.1f} MR evaluations/s (window 2, samples 3, one core)")
    return rows


def plot(rows: list[dict], path: Path) -> None:
    """Wall time against N·S: concurrent, sequential and the critical path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["futures"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(
        x, [r["sequential_estimate_s"] for r in rows], "o:", label="one future after another (N·S·(1+2w)·L)"
    )
    ax.plot(x, [r["mr_s"] for r in rows], "o-", label="MR, lockstep (default settings)")
    ax.plot(x, [r["client_floor_s"] for r in rows], "x:", label="the same calls, bare openai client")
    ax.plot(x, [r["critical_path_s"] for r in rows], "k--", label="critical path (2w × latency)")
    ax.set(xscale="log", yscale="log", xlabel="futures N·S", ylabel="wall time of MR (s)")
    ax.set_title("MR against an endpoint with fixed latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    """Run both parts; print, save JSON and the plot."""
    args = parse_args(Args, __doc__, only=("latency", "window", "scripted_episodes", "out"))
    out = Path(args.out)
    endpoint = endpoint_sweep(args)
    scripted = scripted_speed(args)
    save_results("mr_throughput", args, out.with_suffix(".json"), endpoint=endpoint, scripted=scripted)
    plot(endpoint, out.with_suffix(".png"))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
