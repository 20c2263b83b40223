"""How fast is MR? Every future running free against a slow endpoint, and raw speed offline.

Part 1: a loopback OpenAI-compatible endpoint (its own process) answers every call after
``latency`` seconds, constant or drawn from a lognormal distribution of that mean (log-sd
``log_sd``: real replies vary in length), as the policy (an ``LLMAgent``) and as the user
simulator (an ``LLMUser``), both ``OpenAIChat`` with their default settings. MR of N candidates
× S samples × window w is timed. A future is a chain of max(1, 2w) dependent calls (the user's
reply to the candidate, then w policy turns, each but the last answered: u, a, …, u, a); the
futures run free on the async core, so none waits for another. The *ideal* is the bare openai
client running the same N·S chains, each free in its own thread, measured in the same run
against the same endpoint: no library can beat it. With constant latency the N·S sweep is timed
once each; at N·S = 64 (8 × 8) the ratio to the ideal is the median of ``repeats`` runs, for
each latency. Targets: within 1.1× of the ideal at constant latency, 1.15× at lognormal.
Part 2: MR evaluations per second (one core) for each env at window 2, samples 3, with the
scripted user and the clarify agent.

Run: ``python -m benchmarks.mr_throughput [--out DIR/mr_throughput]`` (matplotlib for
the plot).
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
from openai import OpenAI

import collab_env
from benchmarks import parse_args, save_results
from collab_env.agents import LLMAgent, make_agent
from collab_env.builders import with_parts
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer
from collab_env.users import LLMUser
from collab_env.wrappers import MultiturnAwareReward, multiturn_aware_reward


@dataclass
class Args:
    """What to measure."""

    latency: float = 1.0
    """seconds the endpoint takes per call, on average (an LLM reply takes about 1 to 5 s)"""
    log_sd: float = 0.6
    """log-standard deviation of the lognormal latency"""
    window: int = 2
    sweep: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 2), (2, 4), (4, 4), (4, 8), (8, 8))
    """(candidates N, samples S) pairs"""
    repeats: int = 3
    """runs of 8 × 8 (MR and the ideal) per latency; their medians are compared"""
    scripted_episodes: int = 10
    out: str = "runs/benchmarks/mr_throughput"


def _reply(messages: list[dict]) -> str:
    """The endpoint's 'model': as the user, a JSON reply; as the assistant, a question."""
    if "hidden_goal" in json.dumps(messages):
        return json.dumps({"thought": "fine", "response": "It is for the whole team, keep it short."})
    return "Who is the audience, and what tone should it have?"


def _serve(latency: float, log_sd: float, pipe) -> None:
    """The endpoint, in its own process (a real endpoint does not share our interpreter)."""
    with LoopbackServer(reply=_reply, latency_s=latency, latency_log_sd=log_sd) as server:
        pipe.send(server.base_url)
        pipe.recv()  # serve until told to stop
        pipe.send(server.requests)


class Endpoint:
    """The loopback endpoint in its own process, with MR's env and policy on it and the bare client."""

    def __init__(self, args: Args, log_sd: float) -> None:
        self.here, there = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(args.latency, log_sd, there), daemon=True
        )
        self.process.start()
        base_url = self.here.recv()
        self.env = with_parts(
            "CollabDoc-v0", split="test", user=LLMUser(OpenAIChat("user", base_url=base_url))
        )
        self.policy = LLMAgent(OpenAIChat("policy", base_url=base_url))
        self.obs, _ = self.env.reset(seed=0)
        self.client = OpenAI(base_url=base_url, api_key="loopback", max_retries=0)
        self.chain, self.window = max(1, 2 * args.window), args.window

    def ideal(self, futures: int) -> float:
        """Wall time of the bare client making ``futures`` free chains of the same calls."""

        def chain(_: int) -> None:
            for _ in range(self.chain):
                self.client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])

        start = time.perf_counter()
        with ThreadPoolExecutor(futures) as pool:
            list(pool.map(chain, range(futures)))
        return time.perf_counter() - start

    def mr(self, n: int, s: int) -> float:
        """Wall time of MR of ``n`` candidates × ``s`` samples, default settings."""
        candidates = [f"Who is the audience? ({i})" for i in range(n)]
        start = time.perf_counter()
        multiturn_aware_reward(self.env, self.obs, candidates, self.policy, self.window, s)
        return time.perf_counter() - start

    def close(self) -> int:
        """Stop the endpoint; the requests it served."""
        self.here.send("stop")
        served = self.here.recv()
        self.process.join(timeout=5)
        return served


def endpoint_sweep(args: Args) -> list[dict]:
    """Part 1a: wall time of MR at constant latency against N·S, and of the ideal's same chains."""
    endpoint, rows = Endpoint(args, 0.0), []
    try:
        for n, s in args.sweep:
            row = {
                "candidates": n,
                "samples": s,
                "futures": n * s,
                "critical_path_s": endpoint.chain * args.latency,
            }
            row["client_floor_s"], row["mr_s"] = endpoint.ideal(n * s), endpoint.mr(n, s)
            row["sequential_estimate_s"] = n * s * endpoint.chain * args.latency
            row["ratio_to_critical_path"] = row["mr_s"] / row["critical_path_s"]
            row["ratio_to_client_floor"] = row["mr_s"] / row["client_floor_s"]
            rows.append(row)
            print(
                f"N·S={n * s:3d}  MR {row['mr_s']:.2f} s = {row['ratio_to_critical_path']:.2f}× the critical path "
                f"({row['critical_path_s']:.1f} s), {row['ratio_to_client_floor']:.2f}× the ideal "
                f"({row['client_floor_s']:.2f} s); one after another it would take {row['sequential_estimate_s']:.0f} s"
            )
    finally:
        print(f"endpoint served {endpoint.close()} requests")
    return rows


def free_chains(args: Args) -> list[dict]:
    """Part 1b: 8 × 8 against constant and lognormal latency: medians of MR and of the ideal."""
    rows = []
    for kind, log_sd in (("constant", 0.0), (f"lognormal, log-sd {args.log_sd:g}", args.log_sd)):
        endpoint = Endpoint(args, log_sd)
        try:
            mr, ideal = [], []
            for _ in range(args.repeats):  # interleaved, so that a busy moment of the machine hits both
                ideal.append(endpoint.ideal(64))
                mr.append(endpoint.mr(8, 8))
        finally:
            endpoint.close()
        row = {"latency": kind, "mean_latency_s": args.latency, "log_sd": log_sd, "futures": 64,
               "mr_s": statistics.median(mr), "ideal_s": statistics.median(ideal), "mr_runs_s": mr,
               "ideal_runs_s": ideal}  # fmt: skip
        row["ratio"] = row["mr_s"] / row["ideal_s"]
        rows.append(row)
        print(
            f"8 × 8, window {args.window}, {kind} latency (mean {args.latency:g} s): MR {row['mr_s']:.2f} s, "
            f"ideal {row['ideal_s']:.2f} s, ratio {row['ratio']:.2f} (medians of {args.repeats})"
        )
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
    ax.plot(x, [r["mr_s"] for r in rows], "o-", label="MR, free-running futures (default settings)")
    ax.plot(x, [r["client_floor_s"] for r in rows], "x:", label="ideal: the same chains, bare openai client")
    ax.plot(x, [r["critical_path_s"] for r in rows], "k--", label="critical path (2w × latency)")
    ax.set(xscale="log", yscale="log", xlabel="futures N·S", ylabel="wall time of MR (s)")
    ax.set_title("MR against an endpoint with fixed latency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    """Run both parts; print, save JSON and the plot."""
    args = parse_args(
        Args, __doc__, only=("latency", "log_sd", "window", "repeats", "scripted_episodes", "out")
    )
    out = Path(args.out)
    ratios = free_chains(args)
    endpoint = endpoint_sweep(args)
    scripted = scripted_speed(args)
    save_results("mr_throughput", args, out.with_suffix(".json"), free_chains=ratios, endpoint=endpoint,
                 scripted=scripted)  # fmt: skip
    plot(endpoint, out.with_suffix(".png"))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
