"""How fast is MR? Concurrency against a slow endpoint, and raw speed with the scripted user.

Part 1: a loopback OpenAI-compatible endpoint answers every policy call after ``latency`` seconds.
MR of N candidates × S samples × window w is timed with all N·S futures in flight at once (a
thread pool of 64) and one after another. Each future is a chain of w dependent calls, so the
critical path is w × latency; the target is a wall time within 1.3× of it at N·S = 64.
Part 2: MR evaluations per second (one core, serial executor) for each env at window 2,
samples 3, with the scripted user and the clarify agent.

Run: ``python -m collab_env.benchmarks.mr_throughput`` (needs matplotlib for the plot).
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
from collab_env.agents import make_agent
from collab_env.benchmarks import save_results
from openai import OpenAI

import collab_env
from collab_env.executors import SerialExecutor, ThreadExecutor
from collab_env.testing.openai_server import LoopbackServer
from collab_env.wrappers import MultiturnAwareReward, multiturn_aware_reward


@dataclass
class Args:
    """What to measure."""

    latency: float = 1.0
    """seconds the endpoint takes per call (an LLM reply takes about 1 to 5 s)"""
    window: int = 2
    concurrency: int = 64
    """requests the endpoint serves at once, and threads in flight"""
    sweep: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 2), (2, 4), (4, 4), (4, 8), (8, 8))
    """(candidates N, samples S) pairs"""
    scripted_episodes: int = 10
    max_sequential_s: float = 8.0
    """sequential runs expected to take longer are estimated as N·S·window·latency instead"""
    out: str = "runs/benchmarks/mr_throughput"


def _serve(args: Args, pipe) -> None:
    """The endpoint, in its own process (a real endpoint does not share our interpreter)."""
    clarify = make_agent("clarify", gym.make("CollabDoc-v0"))  # the "model": asks until it can draft
    with LoopbackServer(reply=clarify, latency_s=args.latency, max_concurrency=args.concurrency) as server:
        pipe.send(server.base_url)
        pipe.recv()  # serve until told to stop
        pipe.send(server.requests)


def endpoint_sweep(args: Args) -> list[dict]:
    """Part 1: wall time of MR against the loopback endpoint, concurrent and sequential."""
    env = gym.make("CollabDoc-v0", split="test")
    clarify = make_agent("clarify", env)
    rows = []
    here, there = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(args, there), daemon=True)
    server.start()
    base_url = here.recv()
    try:
        client = OpenAI(base_url=base_url, api_key="loopback", max_retries=0)

        def policy(messages):
            return (
                client.chat.completions.create(model="loopback", messages=messages).choices[0].message.content
            )

        obs, _ = env.reset(seed=0)
        candidates = [clarify(obs)] * max(n for n, _ in args.sweep)
        for n, s in args.sweep:
            row = {
                "candidates": n,
                "samples": s,
                "futures": n * s,
                "critical_path_s": args.window * args.latency,
            }
            start = time.perf_counter()
            ThreadExecutor(args.concurrency).map(
                lambda _: [policy(obs) for _ in range(args.window)], range(n * s)
            )
            row["client_floor_s"] = time.perf_counter() - start  # the same calls, without the library
            for name, executor in (
                ("concurrent", ThreadExecutor(args.concurrency)),
                ("sequential", SerialExecutor()),
            ):
                estimate = n * s * args.window * args.latency
                row[f"{name}_estimated"] = name == "sequential" and estimate > args.max_sequential_s
                if row[f"{name}_estimated"]:
                    row[f"{name}_s"] = estimate
                    continue
                start = time.perf_counter()
                multiturn_aware_reward(env, obs, candidates[:n], policy, args.window, s, executor=executor)
                row[f"{name}_s"] = time.perf_counter() - start
            row["ratio_to_critical_path"] = row["concurrent_s"] / row["critical_path_s"]
            row["ratio_to_client_floor"] = row["concurrent_s"] / row["client_floor_s"]
            row["speedup_over_sequential"] = row["sequential_s"] / row["concurrent_s"]
            rows.append(row)
            print(
                f"N·S={n * s:3d}  concurrent {row['concurrent_s']:.3f} s = {row['ratio_to_critical_path']:.2f}× the "
                f"critical path ({row['critical_path_s']:.2f} s), {row['ratio_to_client_floor']:.2f}× the bare client "
                f"({row['client_floor_s']:.2f} s)  sequential {row['sequential_s']:.2f} s"
                + (" (estimated)" if row["sequential_estimated"] else "")
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
        wrapped = MultiturnAwareReward(env, agent, window=2, samples=3, executor=SerialExecutor())
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
    ax.plot(x, [r["sequential_s"] for r in rows], "o-", label="sequential (past 8 s: N·S·w·L)")
    ax.plot(x, [r["concurrent_s"] for r in rows], "o-", label="concurrent (64 in flight)")
    ax.plot(x, [r["client_floor_s"] for r in rows], "x:", label="the same calls, bare openai client")
    ax.plot(x, [r["critical_path_s"] for r in rows], "k--", label="critical path (window × latency)")
    ax.set(xscale="log", yscale="log", xlabel="futures N·S", ylabel="wall time of MR (s)")
    ax.set_title("MR against an endpoint with fixed latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    """Run both parts; print, save JSON and the plot."""
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("latency", "window", "concurrency", "scripted_episodes", "max_sequential_s", "out"):
        default = getattr(Args, name)
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    args = Args(**vars(parser.parse_args()))
    out = Path(args.out)
    endpoint = endpoint_sweep(args)
    scripted = scripted_speed(args)
    save_results("mr_throughput", args, out.with_suffix(".json"), endpoint=endpoint, scripted=scripted)
    plot(endpoint, out.with_suffix(".png"))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
