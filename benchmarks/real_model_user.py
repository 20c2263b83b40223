"""A real model as the user simulator: does it answer in the format, end the chat, stay a user?

Plays a few episodes per env with a real chat model (an OpenAI-compatible endpoint) as the LLM
user, against scripted agents (``clarify``, ``passive``) or the same model as a proactive agent,
and reports, per (env, agent):

- first-attempt parse rate: user turns whose first call gave the JSON asked for (not cut off);
- episodes ended by the user, and episodes in which the model wrote the termination signal in
  any output (an accepted reply, a rejected one, or its private thought);
- drifts (replies rejected by a guard, per rule), cut-offs, retries, and lost episodes;
- the model's calls, tokens and seconds (so its speed).

Not a CI test: it needs a running model. For example, with llama.cpp's server on loopback::

    python -m llama_cpp.server --model qwen2.5-coder-0.5b-instruct-q4.gguf --port 8089 --n_ctx 4096
    python -m collab_env.benchmarks.real_model_user --base-url http://127.0.0.1:8089/v1 \\
        --episodes 2 --out runs/real-model-user

Figures in docs/models.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import gymnasium as gym
from collab_env.agents import LLMAgent, make_agent
from collab_env.benchmarks import save_results

import collab_env
from collab_env.llm import OpenAIChat
from collab_env.rollout import run_episode
from collab_env.types import ends_chat
from collab_env.users import LLMUser, parse_reply
from collab_env.users.llm import RETRY_REMINDERS


@dataclass
class Args:
    """What to play."""

    base_url: str = "http://127.0.0.1:8089/v1"
    """the endpoint (loopback only: a local server)"""
    model: str = "qwen2.5-coder-0.5b-instruct-q4"
    """the model's name at the endpoint"""
    envs: str = ",".join(collab_env.ENV_IDS)
    """comma-separated env ids"""
    agents: str = "clarify,passive"
    """comma-separated scripted agents, or 'model' for the same model as a proactive agent"""
    episodes: int = 2
    """episodes per (env, agent); episode k plays test instance k with seed k"""
    max_turns: int = 4
    """assistant turns per episode"""
    prompt: str = "data"
    """the user's prompt layout: data or swapped"""
    json_mode: int = 1
    """1: ask for a JSON object (response_format); 0: do not"""
    max_tokens: int = 256
    """the user model's bound per call"""
    temperature: float = 0.7
    """the user model's temperature"""
    timeout_s: float = 300.0
    """timeout of one call, seconds"""
    out: str = "runs/real-model-user"
    """folder of results.json and episodes.jsonl"""


class Recorder:
    """A chat model that keeps every call's messages and result (to read first attempts)."""

    def __init__(self, model: OpenAIChat) -> None:
        self.model, self.name, self.concurrency, self.usage = model, model.name, 1, model.usage
        self.calls: list[tuple[list, Any]] = []

    def complete(self, messages: list, **params: Any) -> Any:
        """One completion, recorded."""
        result = self.model.complete(messages, **params)
        self.calls.append((list(messages), result))
        return result

    def complete_batch(self, batch: list, per_call: list | None = None, **params: Any) -> list:
        """One completion per conversation, recorded, one after another (a one-slot server)."""
        extra = per_call or [{}] * len(batch)
        return [self.complete(m, **{**params, **p}) for m, p in zip(batch, extra, strict=True)]


def is_retry(messages: list) -> bool:
    """Whether a user-simulator call is a retry (its last message is one of the reminders)."""
    return messages[-1]["content"].endswith(tuple(RETRY_REMINDERS.values()))


def play(args: Args, env_id: str, agent_name: str, k: int) -> dict[str, Any]:
    """One episode; its record."""
    chat = OpenAIChat(
        args.model, base_url=args.base_url, concurrency=1, max_retries=1, timeout_s=args.timeout_s,
        max_tokens=args.max_tokens, temperature=args.temperature,
    )  # fmt: skip
    model = Recorder(chat)
    user = LLMUser(model, prompt=args.prompt, json_mode=bool(args.json_mode))
    env = gym.make(env_id, split="test", max_turns=args.max_turns, user=user)
    if agent_name == "model":
        agent = LLMAgent(OpenAIChat(args.model, base_url=args.base_url, concurrency=1), style="proactive")
    else:
        agent = make_agent(agent_name, env)
    task = env.unwrapped.task
    start = time.perf_counter()
    result = run_episode(env, agent, seed=k, task_id=task.task_id("test", k))
    seconds = time.perf_counter() - start
    firsts = [r for m, r in model.calls if not is_retry(m)]
    user_info = next((i["user"] for i in reversed(result.infos) if "user" in i), {})
    return {
        "env_id": env_id, "agent": agent_name, "episode": k, "seconds": seconds,
        "first_attempts": len(firsts),
        "first_parsed": sum(parse_reply(r.text) is not None and r.finish_reason != "length" for r in firsts),
        "wrote_signal": any(ends_chat(r.text) for _, r in model.calls),
        "terminated": result.terminated, "lost": any("error" in i for i in result.infos),
        "error": next((i["error"] for i in result.infos if "error" in i), None),
        "turns": result.turns, "calls": len(model.calls),
        "completion_tokens": sum(r.completion_tokens for _, r in model.calls),
        "prompt_tokens": sum(r.prompt_tokens for _, r in model.calls),
        **{k_: user_info.get(k_, 0) for k_ in ("parse_failures", "cutoffs", "drifts", "retries")},
        "drift_kinds": user_info.get("drift_kinds", {}),
        "messages": result.messages,
    }  # fmt: skip


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures over ``records``."""
    firsts = sum(r["first_attempts"] for r in records)
    wrote = [r for r in records if r["wrote_signal"]]
    kinds: Counter = Counter()
    for r in records:
        kinds.update(r["drift_kinds"])
    seconds = sum(r["seconds"] for r in records)
    return {
        "episodes": len(records),
        "first_attempt_parse_rate": sum(r["first_parsed"] for r in records) / firsts if firsts else None,
        "user_turns_first_attempts": firsts,
        "ended_by_user": sum(r["terminated"] for r in records),
        "wrote_signal": len(wrote),
        "wrote_signal_and_ended": sum(r["terminated"] for r in wrote),
        "lost": sum(r["lost"] for r in records),
        **{
            k: sum(r[k] for r in records) for k in ("parse_failures", "cutoffs", "drifts", "retries", "calls")
        },
        "drift_kinds": dict(kinds),
        "completion_tokens_per_s": sum(r["completion_tokens"] for r in records) / seconds
        if seconds
        else None,
        "seconds": seconds,
    }


def main() -> None:
    """Play, print and save."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for f in fields(Args):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    args = Args(**vars(parser.parse_args()))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    with (out / "episodes.jsonl").open("w") as log:
        for env_id in args.envs.split(","):
            for agent in args.agents.split(","):
                for k in range(args.episodes):
                    record = play(args, env_id, agent, k)
                    records.append(record)
                    log.write(json.dumps(record) + "\n")
                    log.flush()
                    print(
                        f"{env_id} {agent} #{k}: {record['turns']} turns, ended={record['terminated']}, "
                        f"lost={record['lost']}, first parsed {record['first_parsed']}/{record['first_attempts']}, "
                        f"drifts {record['drift_kinds']}, {record['seconds']:.0f} s",
                        flush=True,
                    )
    per_env = {e: summarise([r for r in records if r["env_id"] == e]) for e in args.envs.split(",")}
    overall = summarise(records)
    print(json.dumps(overall, indent=2))
    print(
        f"wrote {save_results('real_model_user', args, out / 'results.json', overall=overall, per_env=per_env)}"
    )


if __name__ == "__main__":
    main()
