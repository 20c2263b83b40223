"""A real model as the user simulator: does it answer in the format, end the chat, stay a user?

Plays a few episodes per env with a real chat model (an OpenAI-compatible endpoint) as the LLM
user, against scripted agents (``clarify``, ``passive``) or the same model as a proactive agent,
and reports, per (env, agent):

- first-attempt parse rate: user turns whose first call gave the JSON asked for (not cut off);
- episodes ended by the user, and episodes in which the model wrote the termination signal in
  any output (an accepted reply, a rejected one, or its private thought);
- drifts (replies rejected by a guard, per rule), drifts accepted after the retries (repaired),
  fallbacks to the goal's own answer, cut-offs, retries, and lost episodes;
- the checks of issue 23, by rules written before the run (:func:`violations`): accepted user
  messages (the opening included) in the assistant's voice or narrating the conversation, facts
  the hidden goal contradicts, and episodes whose model meant to end (``done`` or the signal in
  the output it settled on: the last attempt of a reply) but did not end, with the ends it took
  back when a retry asked whether it meant them counted apart; and, by a second rule written
  before issue 23's last run (:data:`SERVICE_OR_DELIVERABLE`), the assistant's apologies,
  offers and the deliverable's own prose, and messages that repeat the assistant's words as
  the user's own (:func:`echoes_assistant`);
- the model's calls, tokens and seconds (so its speed).

``--collect FILE`` also writes every message the model wrote as the user (accepted or not), with
the conversation it answered, unlabelled: the raw material of ``benchmarks/data/user_drift.jsonl``.

Not a CI test: it needs a running model. For example, with llama.cpp's server on loopback::

    python -m llama_cpp.server --model qwen2.5-coder-0.5b-instruct-q4.gguf --port 8089 --n_ctx 4096
    python -m benchmarks.real_model_user --base-url http://127.0.0.1:8089/v1 \\
        --model qwen2.5-coder-0.5b-instruct --episodes 2 --max-turns 4 --out runs/real-model-user

Figures in docs/models.md.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import collab_env
from benchmarks import parse_args, save_results
from collab_env.agents import LLMAgent, make_agent
from collab_env.builders import with_parts
from collab_env.errors import ModelCallError
from collab_env.harness.usercheck.checks import (  # issue 23's rules, beside the user-model card
    ASSISTANT_OR_NARRATION,
    SERVICE_OR_DELIVERABLE,
    echoes_assistant,
)
from collab_env.llm import OpenAIChat
from collab_env.rollout import run_episode
from collab_env.types import ends_chat
from collab_env.users import LLMUser
from collab_env.users.llm import guards
from collab_env.users.llm.protocol import parse_grounded, partial_message
from collab_env.users.llm.user import RETRY_REMINDERS


@dataclass
class Args:
    """What to play."""

    base_url: str = "http://127.0.0.1:8089/v1"
    """the endpoint (loopback only: a local server)"""
    model: str = "qwen2.5-coder-0.5b-instruct"
    """the model's name at the endpoint"""
    envs: str = ",".join(collab_env.ENV_IDS)
    """comma-separated env ids"""
    agents: str = "clarify,passive"
    """comma-separated scripted agents, or 'model' for the same model as a proactive agent"""
    episodes: int = 2
    """episodes per (env, agent); episode k plays test instance k with seed k"""
    first: int = 0
    """the first episode's k (a later one plays instances and seeds no run collected before)"""
    max_turns: int = 4
    """assistant turns per episode"""
    protocol: str = "grounded"
    """the LLM user's protocol: grounded, acts or roleplay"""
    prompt: str = "data"
    """the user's prompt layout: data or swapped"""
    opening: str = "model"
    """model (written from the hidden goal) or template"""
    json_mode: int = 1
    """1: constrain the reply (JSON schema, grounded; JSON mode, roleplay); 0: do not"""
    max_tokens: int = 256
    """the user model's bound per call"""
    temperature: float = 0.7
    """the user model's temperature"""
    timeout_s: float = 300.0
    """timeout of one call, seconds"""
    collect: str = ""
    """a JSONL file to append every message the model wrote as the user to (unlabelled)"""
    out: str = "runs/real-model-user"
    """folder of results.json and episodes.jsonl"""


class Recorder:
    """A chat model that keeps every call's messages and result, and the env's conversation then."""

    def __init__(self, model: OpenAIChat) -> None:
        self.model, self.name, self.concurrency, self.usage = model, model.name, 1, model.usage
        self.calls: list[tuple[list, Any, list]] = []
        self.env: Any = None

    def complete(self, messages: list, **params: Any) -> Any:
        """One completion, recorded."""
        result = self.model.complete(messages, **params)
        opening = "<conversation>" not in messages[-1]["content"] and len(messages) <= 2
        state = None if opening or self.env is None else self.env.unwrapped._state
        self.calls.append((list(messages), result, list(state.messages) if state else []))
        return result

    def complete_batch(self, batch: list, per_call: list | None = None, **params: Any) -> list:
        """One completion per conversation, recorded, one after another (a one-slot server)."""
        extra = per_call or [{}] * len(batch)
        return [self.complete(m, **{**params, **p}) for m, p in zip(batch, extra, strict=True)]


def is_retry(messages: list) -> bool:
    """Whether a user-simulator call is a retry (its last message is one of the reminders)."""
    return messages[-1]["content"].endswith(tuple(RETRY_REMINDERS.values()))


def settled_outputs(calls: list) -> list:
    """The last attempt of each user reply: what the model settled on after any retry.

    An end that a retry asked about (``early_end``: "do you mean to end?") and the model took
    back is not an end it meant; such outputs are counted apart (``retracted_ends``).
    """
    settled: list = []
    for messages, result, _ in calls:
        if is_retry(messages) and settled:
            settled[-1] = result
        else:
            settled.append(result)
    return settled


def meant_to_end(text: str) -> bool:
    """Whether an output of the model ends the chat: ``done`` true, or the signal written."""
    parsed = parse_grounded(text)
    return bool(parsed and parsed["done"]) or ends_chat(text)


def violations(messages: list, instance: Any) -> dict[str, list[str]]:
    """Accepted user messages that break issue 23's rules: the assistant's voice or narration
    (:data:`ASSISTANT_OR_NARRATION`), details the hidden goal contradicts, the assistant's
    service register or the deliverable's prose (:data:`SERVICE_OR_DELIVERABLE`), and echoes of
    the assistant's words (:func:`echoes_assistant`)."""
    users = [m["content"] for m in messages if m["role"] == "user"]
    voice = [t for t in users if ASSISTANT_OR_NARRATION.search(t)]
    service = [t for t in users if SERVICE_OR_DELIVERABLE.search(t)]
    echoes = [t for i, t in enumerate(users) if echoes_assistant(t, messages[: 2 * i])]
    false = [
        f"{t[:80]!r}: {c}"
        for i, t in enumerate(users)
        if (c := guards.contradicted(t, messages[: 2 * i], instance))
    ]
    return {
        "voice_or_narration": voice,
        "false_facts": false,
        "service_or_deliverable": service,
        "echoes": echoes,
    }


def play(args: Args, env_id: str, agent_name: str, k: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One episode; its record and the messages the model wrote as the user."""
    chat = OpenAIChat(
        args.model, base_url=args.base_url, concurrency=1, max_retries=1, timeout_s=args.timeout_s,
        max_tokens=args.max_tokens, temperature=args.temperature,
    )  # fmt: skip
    model = Recorder(chat)
    user = LLMUser(model, prompt=args.prompt, json_mode=bool(args.json_mode), protocol=args.protocol,
                   opening=args.opening)  # fmt: skip
    env = with_parts(env_id, split="test", max_turns=args.max_turns, user=user)  # the heuristic judge
    model.env = env
    if agent_name == "model":
        agent = LLMAgent(OpenAIChat(args.model, base_url=args.base_url, concurrency=1), style="proactive")
    else:
        agent = make_agent(agent_name, env)
    task = env.unwrapped.task
    start = time.perf_counter()
    try:
        result = run_episode(env, agent, seed=k, task_id=task.task_id("test", k))
    except ModelCallError as exc:  # the endpoint failed while the user wrote its opening (at reset)
        return _lost_at_reset(env_id, agent_name, k, time.perf_counter() - start, exc, len(model.calls)), []
    seconds = time.perf_counter() - start
    instance = task.get(result.task_id)
    firsts = [r for m, r, _ in model.calls if not is_retry(m)]
    user_info = next((i["user"] for i in reversed(result.infos) if "user" in i), {})
    settled = settled_outputs(model.calls)
    meant = any(meant_to_end(r.text) for r in settled)
    retracted = sum(meant_to_end(r.text) for _, r, _ in model.calls) - sum(
        meant_to_end(r.text) for r in settled
    )
    record = {
        "env_id": env_id, "agent": agent_name, "episode": k, "seconds": seconds, "task_id": result.task_id,
        "protocol": args.protocol, "acts": [i["user"].get("act") for i in result.infos if "user" in i],
        "first_attempts": len(firsts),
        "first_parsed": sum(user._read(r.text) is not None and r.finish_reason != "length" for r in firsts),
        "wrote_signal": any(ends_chat(r.text) for _, r, _ in model.calls), "meant_to_end": meant,
        "retracted_ends": retracted,
        "terminated": result.terminated, "lost": any("error" in i for i in result.infos),
        "error": next((i["error"] for i in result.infos if "error" in i), None),
        "turns": result.turns, "calls": len(model.calls),
        "completion_tokens": sum(r.completion_tokens for _, r, _ in model.calls),
        "prompt_tokens": sum(r.prompt_tokens for _, r, _ in model.calls),
        **{k_: user_info.get(k_, 0) for k_ in ("parse_failures", "cutoffs", "drifts", "retries", "fallbacks")},
        "drift_kinds": user_info.get("drift_kinds", {}), "accepted_drifts": user_info.get("accepted_drifts", {}),
        "opening": user_info.get("opening"), "profile": user_info.get("profile"),
        "revealed": [i["user"].get("revealed", []) for i in result.infos if "user" in i],
        "violations": violations(result.messages, instance), "messages": result.messages,
    }  # fmt: skip
    written = [
        {"env_id": env_id, "task_id": result.task_id, "model": args.model, "protocol": args.protocol,
         "agent": agent_name, "prompt": args.prompt,
         "messages": conversation, "text": (user._read(r.text) or {}).get("message") or partial_message(r.text),
         "raw": r.text, "retry": is_retry(m), "label": None, "kind": None}
        for m, r, conversation in model.calls if conversation
    ]  # fmt: skip
    return record, written


def _lost_at_reset(
    env_id: str, agent: str, k: int, seconds: float, exc: Exception, calls: int
) -> dict[str, Any]:
    """The record of an episode lost before its first turn."""
    zeros = ("first_attempts", "first_parsed", "turns", "completion_tokens", "prompt_tokens", "parse_failures",
             "cutoffs", "drifts", "retries", "fallbacks")  # fmt: skip
    return {
        "env_id": env_id, "agent": agent, "episode": k, "seconds": seconds, "lost": True,
        "error": f"{type(exc).__name__}: {exc}", "calls": calls, "terminated": False, "wrote_signal": False,
        "meant_to_end": False, "retracted_ends": 0, "opening": None, "profile": None, "drift_kinds": {}, "accepted_drifts": {},
        "revealed": [], "messages": [],
        "violations": {"voice_or_narration": [], "false_facts": [], "service_or_deliverable": [], "echoes": []},
        **dict.fromkeys(zeros, 0),
    }  # fmt: skip


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures over ``records``."""
    firsts = sum(r["first_attempts"] for r in records)
    wrote = [r for r in records if r["wrote_signal"]]
    kinds: Counter = Counter()
    accepted: Counter = Counter()
    for r in records:
        kinds.update(r["drift_kinds"])
        accepted.update(r["accepted_drifts"])
    seconds = sum(r["seconds"] for r in records)
    return {
        "episodes": len(records),
        "first_attempt_parse_rate": sum(r["first_parsed"] for r in records) / firsts if firsts else None,
        "user_turns_first_attempts": firsts,
        "ended_by_user": sum(r["terminated"] for r in records),
        "wrote_signal": len(wrote),
        "wrote_signal_and_ended": sum(r["terminated"] for r in wrote),
        "meant_to_end": sum(r["meant_to_end"] for r in records),
        "meant_to_end_but_did_not": sum(r["meant_to_end"] and not r["terminated"] for r in records),
        "retracted_ends": sum(r.get("retracted_ends", 0) for r in records),
        "lost": sum(r["lost"] for r in records),
        "openings_written": sum(r["opening"] == "model" for r in records),
        "accepted_voice_or_narration": sum(len(r["violations"]["voice_or_narration"]) for r in records),
        "accepted_false_facts": sum(len(r["violations"]["false_facts"]) for r in records),
        "accepted_service_or_deliverable": sum(
            len(r["violations"].get("service_or_deliverable", [])) for r in records
        ),
        "accepted_echoes": sum(len(r["violations"].get("echoes", [])) for r in records),
        **{
            k: sum(r[k] for r in records)
            for k in ("parse_failures", "cutoffs", "drifts", "retries", "calls", "fallbacks")
        },
        "drift_kinds": dict(kinds),
        "accepted_drifts": dict(accepted),
        "completion_tokens_per_s": sum(r["completion_tokens"] for r in records) / seconds
        if seconds
        else None,
        "seconds": seconds,
    }


def main() -> None:
    """Play, print and save."""
    args = parse_args(Args, __doc__)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    with (out / "episodes.jsonl").open("w") as log:
        for env_id in args.envs.split(","):
            for agent in args.agents.split(","):
                for k in range(args.first, args.first + args.episodes):
                    record, written = play(args, env_id, agent, k)
                    records.append(record)
                    log.write(json.dumps(record) + "\n")
                    log.flush()
                    if args.collect:
                        with Path(args.collect).open("a") as f:
                            f.writelines(json.dumps(w) + "\n" for w in written)
                    print(
                        f"{env_id} {agent} #{k}: {record['turns']} turns, ended={record['terminated']}, "
                        f"lost={record['lost']}, opening={record['opening']}, drifts {record['drift_kinds']}, "
                        f"accepted {record['accepted_drifts']}, violations {record['violations']}, "
                        f"{record['seconds']:.0f} s",
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
