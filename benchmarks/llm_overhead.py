"""The library's own time per turn, against the bare openai client making the same calls.

A loopback OpenAI-compatible endpoint (its own process) answers every call after ``latency``
seconds. Two settings: an LLM user with the scripted ``clarify`` agent, and an LLM user with an
LLM agent. For each, every repeat times two things on the same endpoint, one after the other:

- **library**: ``episodes`` episodes through ``run_episode`` (``env.reset``, the agent, every
  ``env.step``), the models being ``OpenAIChat``. The requests they send are recorded.
- **bare client**: the same requests (same messages, sampling parameters and seeds, same
  order), sent with ``openai.OpenAI().chat.completions.create`` and nothing else.

Library overhead = library time − bare-client time: everything the library does around the
HTTP calls. That is the env (observation and info building, ``max_turns``), the LLM user
(prompt building from the hidden goal, JSON parsing of the reply, the drift guard, its state),
the agent (the scripted agent's reply, or the LLM agent's prompt), ``OpenAIChat`` (parameter
checks, the concurrency semaphore, the retry wrapper, usage and cost accounting), and the reward
at the episode's end (the task metric on the extracted solution, cl100k token counting of the
assistant's messages, the engagement heuristic). Not in it: the endpoint's latency, HTTP and the
openai client's own work, which the bare client pays as well. One untimed episode first loads
what loads on first use (the tokenizer tables). Each side is run ``repeats`` times, alternately,
and its fastest run is kept (as ``timeit`` does: the run least disturbed by other processes).

A cross-check that needs no second run: the library's wall time minus the time spent inside the
openai client's ``create`` calls (``own_time_per_turn_ms``).

Run: ``python -m benchmarks.llm_overhead [--out PATH]`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import openai

from benchmarks import save_results
from collab_env.agents import LLMAgent, make_agent
from collab_env.builders import with_parts
from collab_env.llm import OpenAIChat
from collab_env.llm.base import ChatResult
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL, ChatMessage
from collab_env.users import LLMUser


@dataclass
class Args:
    """What to measure."""

    latency: float = 0.2
    """seconds the endpoint takes per call"""
    episodes: int = 5
    """episodes per timed run"""
    repeats: int = 5
    """timed runs of each side, alternately; the fastest of each is kept"""
    out: str = "runs/benchmarks/llm_overhead.json"


def _reply(messages: list[dict]) -> str:
    """The endpoint's 'model': as the user, asks once then ends; as the agent, asks a question."""
    if "<hidden_goal>" in messages[-1]["content"]:  # the LLM user's prompt
        done = messages[-1]["content"].count("ASSISTANT:") >= 3
        text = f"Thanks. {TERMINATION_SIGNAL}" if done else "Not sure, you decide."
        return json.dumps({"current_answer": "", "thought": "", "response": text})
    return "Could you tell me more about what you need?"


def _serve(latency: float, pipe: Any) -> None:
    with LoopbackServer(reply=_reply, latency_s=latency) as server:
        pipe.send(server.base_url)
        pipe.recv()


@dataclass
class Log:
    """What the library's models sent: the requests, and seconds spent inside the openai client."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    client_s: float = 0.0


class Recorded(OpenAIChat):
    """``OpenAIChat`` that keeps each request it sends and the time spent inside the openai client.

    Both records cost the library a few microseconds a call, counted as the library's.
    """

    def __init__(self, base_url: str, log: Log) -> None:
        super().__init__("loopback", base_url=base_url)
        self.log = log
        completions = self._client.chat.completions
        create = completions.create

        def timed_create(**request: Any) -> Any:
            start = time.perf_counter()
            try:
                return create(**request)
            finally:
                log.client_s += time.perf_counter() - start

        completions.create = timed_create

    def complete(self, messages: Sequence[ChatMessage], **params: Any) -> ChatResult:
        """One completion, recorded as the wire request the bare client will replay."""
        self.log.requests.append(self._request(messages, params))
        return super().complete(messages, **params)


def run_library(base_url: str, llm_agent: bool, episodes: int) -> tuple[float, int, Log]:
    """Seconds for ``episodes`` episodes (after an untimed one), turns, and what the models sent."""
    log = Log()
    env = with_parts("CollabDoc-v0", split="test", user=LLMUser(Recorded(base_url, log)))
    agent = LLMAgent(Recorded(base_url, log)) if llm_agent else make_agent("clarify", env)
    run_episode(env, agent, seed=10_000)  # loads what loads on first use
    log.requests.clear()
    log.client_s, turns, start = 0.0, 0, time.perf_counter()
    for seed in range(episodes):
        turns += run_episode(env, agent, seed=seed).turns
    return time.perf_counter() - start, turns, log


def run_bare(base_url: str, requests: Sequence[dict[str, Any]]) -> float:
    """Seconds for the bare openai client to send the same requests to the same endpoint."""
    client = openai.OpenAI(base_url=base_url, api_key="EMPTY", max_retries=0)
    client.chat.completions.create(**requests[0])  # the connection, as the library's warm-up
    start = time.perf_counter()
    for request in requests:
        client.chat.completions.create(**request)
    return time.perf_counter() - start


def measure(args: Args, base_url: str, llm_agent: bool) -> dict[str, Any]:
    """Library and bare-client seconds, ``repeats`` times alternately; the best run of each."""
    library, bare, own = [], [], []
    for _ in range(args.repeats):
        seconds, turns, log = run_library(base_url, llm_agent, args.episodes)
        library.append(seconds)
        own.append(seconds - log.client_s)
        bare.append(run_bare(base_url, log.requests))
    lib_s, bare_s, calls = min(library), min(bare), len(log.requests)
    return {
        "agent": "LLMAgent" if llm_agent else "clarify (scripted)",
        "turns": turns,
        "calls": calls,
        "library_s": lib_s,
        "bare_client_s": bare_s,
        "overhead_per_turn_ms": 1000 * (lib_s - bare_s) / turns,
        "overhead_fraction": (lib_s - bare_s) / bare_s,
        "own_time_per_turn_ms": 1000 * min(own) / turns,
        "client_and_http_per_call_ms": 1000 * (bare_s / calls - args.latency),
        "library_runs_s": library,
        "bare_client_runs_s": bare,
        "own_time_runs_s": own,
    }


def main() -> None:
    """Measure both settings; print and save."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for name, value in asdict(Args()).items():
        parser.add_argument(f"--{name}", type=type(value), default=value)
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
            f"{r['agent']:<20} {r['turns']} turns, {r['calls']} calls of {args.latency * 1000:.0f} ms: "
            f"library {r['library_s']:.3f} s, bare openai client {r['bare_client_s']:.3f} s -> "
            f"library overhead {r['overhead_per_turn_ms']:.2f} ms per turn = {100 * r['overhead_fraction']:.2f}%; "
            f"time outside the openai client {r['own_time_per_turn_ms']:.2f} ms per turn; "
            f"HTTP + openai client {r['client_and_http_per_call_ms']:.2f} ms per call (paid by both)"
        )
    out = save_results("llm_overhead", args, args.out, results=rows)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
