"""How long one session's longest legal message delays another session's step, through ``collab-env serve``.

For each env, one ``collab-env serve`` process (OpenEnv's contract) on loopback and two
sessions: a *victim* plays ``clarify`` steps one after another, timing each round trip, first
alone and then while an *attacker* sends, step after step, messages of the server's size limit
(20,000 characters) built to be the slowest text for the readers (unclosed braces and LaTeX
openings, digit-free words, "or" chains, question marks, code fences). The delay is the victim's
slowest step beside the attacker minus its median step alone; issue 42's target is under 50 ms.
Two user arms: the scripted user (the env is stepped in a worker thread of the server) and an
LLM user on the loopback endpoint, answering at once (the env's model calls are awaited on the
event loop, its text work is not).

Run: ``python -m benchmarks.serve_stall [--envs CollabMath-v0,...] [--steps 40]``.
Writes ``benchmarks/results/serve_stall.json``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

import collab_env  # noqa: F401  (registers the ids)
from benchmarks import parse_args, save_results
from benchmarks.llm_overhead import _reply as loopback_user_reply
from collab_env.agents import make_agent
from collab_env.serve.client import CollabEnvClient, LocalServer
from collab_env.serve.openenv_app import CollabAction
from collab_env.testing.openai_server import LoopbackServer

ENVS = ("CollabDoc-v0", "CollabCode-v0", "CollabMath-v0", "CollabQA-v0")
LIMIT = 20_000
#: Units repeated to the size limit: the slowest text found for the readers' patterns.
UNITS = ("{", "\\[", "\\boxed{", "$$", "a", "1 or ", "? ", "```python\n", "Answer: ", "}.", "either ")


@dataclass
class Args:
    """What to measure."""

    envs: str = ",".join(ENVS)
    users: str = "scripted,llm"
    """scripted: the scripted user; llm: an LLM user on the loopback endpoint (no latency)"""
    steps: int = 40
    """victim steps timed alone, and again beside the attacker"""
    out: str = "benchmarks/results/serve_stall.json"


def attack(k: int) -> str:
    """The ``k``-th attacking message: a unit of :data:`UNITS` repeated to the size limit."""
    unit = UNITS[k % len(UNITS)]
    return (unit * (LIMIT // len(unit) + 1))[:LIMIT]


async def victim_steps(client: CollabEnvClient, agent: Any, steps: int, seed: int) -> list[float]:
    """Round trips of ``steps`` steps of ``agent``, resetting when an episode ends."""
    result, times = await client.reset(seed=seed), []
    while len(times) < steps:
        start = time.perf_counter()
        result = await client.step(CollabAction(message=agent(result.observation.messages)))
        times.append(time.perf_counter() - start)
        if result.done:
            seed += 1
            result = await client.reset(seed=seed)
    return times


async def attacker(url: str, stop: Any) -> int:
    """Adversarial messages until ``stop`` is set; returns how many were stepped."""
    client = CollabEnvClient(base_url=url, message_timeout_s=600)
    await client.connect()
    result, sent = await client.reset(seed=10_000), 0
    while not stop.is_set():
        result = await client.step(CollabAction(message=attack(sent)))
        sent += 1
        if result.done:
            result = await client.reset(seed=10_000 + sent)
    await client.close()
    return sent


def _attack_process(url: str, stop: Any, started: Any, sent: Any) -> None:
    """The attacker in a process of its own: its client's work does not slow the victim's client."""
    started.set()
    sent.value = asyncio.run(attacker(url, stop))


async def measure(url: str, env_id: str, steps: int) -> dict[str, Any]:
    """The victim's steps alone, then beside the attacker (another process)."""
    agent = make_agent("clarify", gym.make(env_id))
    victim = CollabEnvClient(base_url=url, message_timeout_s=600)
    await victim.connect()
    await victim_steps(victim, agent, 3, seed=99)  # warm-up: first-use loads are not timed
    alone = await victim_steps(victim, agent, steps, seed=0)
    context = multiprocessing.get_context("spawn")
    stop, started, sent = context.Event(), context.Event(), context.Value("i", 0)
    process = context.Process(target=_attack_process, args=(url, stop, started, sent), daemon=True)
    process.start()
    started.wait(120)
    await asyncio.sleep(3.0)  # the attacker's interpreter is up and its first messages are in flight
    beside = await victim_steps(victim, agent, steps, seed=0)
    stop.set()
    process.join(120)
    await victim.close()
    median = statistics.median(alone)
    return {"alone_ms_p50": 1000 * median, "alone_ms_max": 1000 * max(alone),
            "beside_ms_p50": 1000 * statistics.median(beside), "beside_ms_max": 1000 * max(beside),
            "delay_ms": 1000 * (max(beside) - median), "attacks_stepped": sent.value}  # fmt: skip


def _endpoint(pipe: Any) -> None:
    with LoopbackServer(reply=loopback_user_reply, max_concurrency=64) as server:
        pipe.send(server.base_url)
        pipe.recv()


def server_args(env_id: str, users: str, base_url: str | None) -> list[str]:
    """The ``collab-env serve`` arguments of one arm."""
    if users == "scripted":
        return [env_id]
    return [env_id, "--user-model", "loopback", "--base-url", base_url or "", "--judge-model", "heuristic"]


def main() -> None:
    """Every env and arm; print each delay and save the results."""
    args = parse_args(Args, __doc__)
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rows: dict[str, dict[str, Any]] = {}
    here, there = multiprocessing.Pipe()
    endpoint = multiprocessing.get_context("spawn").Process(target=_endpoint, args=(there,), daemon=True)
    endpoint.start()  # its own process: serving 20,000-character prompts does not slow this one
    base_url = here.recv()
    try:
        for users in args.users.split(","):
            for env_id in args.envs.split(","):
                server = LocalServer(*server_args(env_id, users, base_url))
                try:
                    row = asyncio.run(measure(server.url, env_id, args.steps))
                finally:
                    server.stop()
                rows.setdefault(users, {})[env_id] = row
                print(f"{users:8s} {env_id:14s} victim step alone p50 {row['alone_ms_p50']:7.1f} ms; beside "
                      f"{row['attacks_stepped']:3d} attacks of {LIMIT} chars: p50 {row['beside_ms_p50']:7.1f} ms, "
                      f"max {row['beside_ms_max']:7.1f} ms -> delay {row['delay_ms']:7.1f} ms (target < 50)",
                      flush=True)  # fmt: skip
    finally:
        here.send("stop")
        endpoint.join(timeout=10)
    out = save_results("serve_stall", args, args.out, results=rows, load_average=os.getloadavg())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
