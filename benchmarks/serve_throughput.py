"""Steps per second and per-step latency through ``collab-env serve`` against the in-process env.

Two settings, in one run:

- **scripted user** (the server's own cost): at each number of concurrent sessions, ``steps``
  steps of whole episodes played by the ``clarify`` agent, (a) in this process, the envs stepped
  one after another (a scripted env is plain synchronous code: nothing to overlap), and (b)
  through one ``collab-env serve`` process (OpenEnv's contract), every session its own WebSocket
  client in this process, all in flight at once. Steps/s = steps / wall time; latency is each
  step's round trip as the client sees it (resets are played but neither counted nor timed).
- **LLM user with 1 s latency** (that the concurrency is really kept): the loopback
  OpenAI-compatible endpoint (its own process) answers every call after ``llm_latency`` s, up to
  256 at once; the server's user model has ``user.concurrency=256``. One session alone takes one
  step, then ``llm_sessions`` sessions take one step each, all at once; the target is every one
  of them within 1.5x the time of the lone step. The same is measured with the envs in this
  process, awaited together, to tell the server's share from the env's.

Run: ``python -m benchmarks.serve_throughput [--sessions 1,64,1024] [--steps 4096]``
(``--help`` for options). Writes ``benchmarks/results/serve_throughput.json`` and ``.png``.
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
from collab_env import aio
from collab_env.agents import make_agent
from collab_env.config import EnvConfig
from collab_env.serve.client import CollabEnvClient, LocalServer
from collab_env.serve.openenv_app import CollabAction
from collab_env.testing.openai_server import LoopbackServer


@dataclass
class Args:
    """What to measure."""

    env: str = "CollabDoc-v0"
    """env id"""
    sessions: tuple[int, ...] = (1, 64, 1024)
    """concurrent sessions of the scripted-user setting"""
    steps: int = 4096
    """steps timed at each number of sessions (scripted user)"""
    llm_latency: float = 1.0
    """seconds the loopback endpoint takes per call"""
    llm_sessions: int = 256
    """sessions that step at once with the LLM user (0: skip that setting)"""
    out: str = "benchmarks/results/serve_throughput.json"
    """results file (the plot is written beside it)"""


def in_process(env_id: str, sessions: int, steps: int) -> dict[str, Any]:
    """``steps`` steps over ``sessions`` local envs, one after another."""
    envs = [gym.make(env_id) for _ in range(sessions)]
    agent = make_agent("clarify", envs[0])
    obs = [env.reset(seed=k)[0] for k, env in enumerate(envs)]
    latencies, seeds = [], sessions
    start, cpu = time.perf_counter(), time.process_time()
    while len(latencies) < steps:
        for k, env in enumerate(envs):
            t = time.perf_counter()
            obs[k], _, terminated, truncated, _ = env.step(agent(obs[k]))
            latencies.append(time.perf_counter() - t)
            if terminated or truncated:
                obs[k], seeds = env.reset(seed=seeds)[0], seeds + 1
            if len(latencies) >= steps:
                break
    cpu = time.process_time() - cpu
    return {
        **_figures(latencies, time.perf_counter() - start),
        "cpu_ms_per_step": 1000 * cpu / len(latencies),
    }


async def through_server(url: str, env_id: str, sessions: int, steps: int, pid: int) -> dict[str, Any]:
    """``steps`` steps over ``sessions`` concurrent WebSocket sessions of the server (process ``pid``);
    with the server's CPU time per step, the cost a core of its own would pay, and this process's
    (the clients and the agent), which shares the machine's cores with it."""
    agent = make_agent("clarify", gym.make(env_id))
    latencies: list[float] = []
    clients = await connected(url, sessions)
    results = await asyncio.gather(*(c.reset(seed=k) for k, c in enumerate(clients)))
    seeds = [sessions]

    async def play(client: CollabEnvClient, result: Any) -> None:
        while len(latencies) < steps:
            t = time.perf_counter()
            result = await client.step(CollabAction(message=agent(result.observation.messages)))
            latencies.append(time.perf_counter() - t)
            if result.done and len(latencies) < steps:
                seed, seeds[0] = seeds[0], seeds[0] + 1  # taken before the await: no two sessions share one
                result = await client.reset(seed=seed)

    start, cpu, own = time.perf_counter(), cpu_seconds(pid), time.process_time()
    await asyncio.gather(*(play(c, r) for c, r in zip(clients, results, strict=True)))
    wall, cpu, own = time.perf_counter() - start, cpu_seconds(pid) - cpu, time.process_time() - own
    await asyncio.gather(*(c.close() for c in clients))
    return {**_figures(latencies, wall), "server_cpu_ms_per_step": 1000 * cpu / len(latencies),
            "client_cpu_ms_per_step": 1000 * own / len(latencies)}  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` so far, in seconds (Linux ``/proc``)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def llm_concurrency(url: str, sessions: int) -> dict[str, Any]:
    """One step alone (after an untimed warm-up step), then ``sessions`` sessions' steps at once:
    each one's round trip."""

    async def one_step(client: CollabEnvClient) -> float:
        t = time.perf_counter()
        await client.step(CollabAction(message="What is the document for?"))
        return time.perf_counter() - t

    async def opened(n: int) -> list[CollabEnvClient]:
        clients = await connected(url, n)
        await asyncio.gather(*(c.reset(seed=k) for k, c in enumerate(clients)))
        return clients

    lone = await opened(2)
    await one_step(lone[1])  # warm-up: what loads on first use (the tokenizer tables) is not timed
    alone = await one_step(lone[0])
    many = await opened(sessions)
    times = await asyncio.gather(*(one_step(c) for c in many))
    await asyncio.gather(*(c.close() for c in lone + many))
    return {"sessions": sessions, "alone_s": alone, "max_s": max(times), "mean_s": statistics.fmean(times),
            "max_over_alone": max(times) / alone}  # fmt: skip


async def llm_in_process(config: EnvConfig, sessions: int) -> dict[str, Any]:
    """The same as :func:`llm_concurrency` with the envs in this process, awaited together
    (:mod:`collab_env.aio`): what the env itself keeps of the concurrency, without the server."""

    async def one_step(env: gym.Env) -> float:
        t = time.perf_counter()
        await aio.step_async(env, "What is the document for?")
        return time.perf_counter() - t

    async def opened(n: int) -> list[gym.Env]:
        envs = [config.make() for _ in range(n)]
        await asyncio.gather(*(aio.reset_async(e, seed=k) for k, e in enumerate(envs)))
        return envs

    lone = await opened(2)
    await one_step(lone[1])
    alone = await one_step(lone[0])
    times = await asyncio.gather(*(one_step(e) for e in await opened(sessions)))
    return {"sessions": sessions, "alone_s": alone, "max_s": max(times), "mean_s": statistics.fmean(times),
            "max_over_alone": max(times) / alone}  # fmt: skip


async def connected(url: str, n: int, at_once: int = 32) -> list[CollabEnvClient]:
    """``n`` connected clients, ``at_once`` connecting at a time (opening sessions is not measured)."""
    clients = [CollabEnvClient(base_url=url, message_timeout_s=600, connect_timeout_s=120) for _ in range(n)]
    for i in range(0, n, at_once):
        await asyncio.gather(*(c.connect() for c in clients[i : i + at_once]))
    return clients


def _figures(latencies: list[float], wall: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {"steps": len(latencies), "wall_s": wall, "steps_per_s": len(latencies) / wall,
            "latency_ms_mean": 1000 * statistics.fmean(latencies),
            "latency_ms_p50": 1000 * ordered[len(ordered) // 2],
            "latency_ms_p99": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}  # fmt: skip


def _endpoint(latency: float, pipe: Any) -> None:
    with LoopbackServer(
        reply=loopback_user_reply, latency_s=latency, max_concurrency=256, queue=True
    ) as server:
        pipe.send(server.base_url)
        pipe.recv()


def plot(rows: list[dict[str, Any]], path: str) -> str:
    """Steps/s and mean latency, in-process vs through the server, per number of sessions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    labels = [str(r["sessions"]) for r in rows]
    x = range(len(rows))
    for offset, side in ((-0.2, "in_process"), (0.2, "server")):
        ax1.bar(
            [i + offset for i in x], [r[side]["steps_per_s"] for r in rows], 0.4, label=side.replace("_", "-")
        )
        ax2.bar(
            [i + offset for i in x],
            [r[side]["latency_ms_mean"] for r in rows],
            0.4,
            label=side.replace("_", "-"),
        )
    for ax, title in ((ax1, "steps per second"), (ax2, "mean step latency (ms)")):
        ax.set_xticks(list(x), labels)
        ax.set_xlabel("concurrent sessions (scripted user)")
        ax.set_title(title)
        ax.legend()
    ax2.set_yscale("log")
    out = path.rsplit(".", 1)[0] + ".png"
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    return out


def main() -> None:
    """Measure both settings; print and save."""
    args = parse_args(Args, __doc__)
    args.sessions = tuple(int(n) for n in args.sessions)
    load = os.getloadavg()  # the machine's load when the run starts (1, 5, 15 min): it moves every figure
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    server = LocalServer(args.env, "--max-sessions", str(max(args.sessions)))
    url, rows = server.url, []
    try:
        for n in args.sessions:
            local = in_process(args.env, n, args.steps)
            served = asyncio.run(through_server(url, args.env, n, args.steps, server.proc.pid))
            rows.append({"sessions": n, "in_process": local, "server": served,
                         "server_over_in_process": served["steps_per_s"] / local["steps_per_s"]})  # fmt: skip
            print(f"scripted user, {n:>4} sessions: in-process {local['steps_per_s']:8.1f} steps/s "
                  f"({local['latency_ms_mean']:.2f} ms/step), server {served['steps_per_s']:8.1f} steps/s "
                  f"(mean {served['latency_ms_mean']:.2f} ms, p99 {served['latency_ms_p99']:.2f} ms per step) "
                  f"-> server/in-process {rows[-1]['server_over_in_process']:.2f}x; CPU per step: in-process "
                  f"{local['cpu_ms_per_step']:.2f} ms (env + agent), server process "
                  f"{served['server_cpu_ms_per_step']:.2f} ms (env + wire), clients {served['client_cpu_ms_per_step']:.2f} ms "
                  f"(agent + client side of the wire)", flush=True)  # fmt: skip
    finally:
        server.stop()
    llm = None
    if args.llm_sessions:
        here, there = multiprocessing.Pipe()
        endpoint = multiprocessing.get_context("fork").Process(
            target=_endpoint, args=(args.llm_latency, there)
        )
        endpoint.start()
        base_url = here.recv()
        config = EnvConfig.from_kwargs(
            env_id=args.env, user_model="loopback", base_url=base_url, model_options=("user.concurrency=256",)
        )
        server = LocalServer(args.env, "--user-model", "loopback", "--base-url", base_url,
                             "--model-option", "user.concurrency=256", "--max-sessions", str(args.llm_sessions + 2))  # fmt: skip
        try:
            llm = asyncio.run(llm_concurrency(server.url, args.llm_sessions))
            llm["in_process"] = asyncio.run(llm_in_process(config, args.llm_sessions))
        finally:
            server.stop()
            here.send("stop")
            endpoint.join(timeout=10)
        print(f"LLM user at {args.llm_latency:.1f} s: one step alone {llm['alone_s']:.2f} s; "
              f"{llm['sessions']} sessions at once: slowest {llm['max_s']:.2f} s, mean {llm['mean_s']:.2f} s "
              f"-> slowest/alone {llm['max_over_alone']:.2f}x (target <= 1.5x); the same in-process, "
              f"envs awaited together: alone {llm['in_process']['alone_s']:.2f} s, slowest "
              f"{llm['in_process']['max_s']:.2f} s -> {llm['in_process']['max_over_alone']:.2f}x")  # fmt: skip
    out = save_results("serve_throughput", args, args.out, scripted=rows, llm_user=llm, load_average=load)
    print(f"wrote {out} and {plot(rows, args.out)}")


if __name__ == "__main__":
    main()
