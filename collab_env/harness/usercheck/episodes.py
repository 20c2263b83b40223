"""The card's episodes: a fixed scripted agent against the user under test, read message by message.

Each episode plays test instance ``k`` with seed ``k`` and is read with the task's own verdict
(:func:`~collab_env.users.llm.protocol.unmet_by_answer`: the hidden details an answer lacks) and
the independent check (:mod:`~collab_env.harness.usercheck.checks`). The agents are the built-in
``clarify`` and ``passive``, and ``informed``: it asks one question (clarify's first), then
proposes an answer drafted from the whole hidden goal, so that every episode offers the user an
answer that meets every detail and the card can see whether the user recognises it
(``clarify`` on Doc asks a question a turn and proposes nothing within a few turns).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym

from collab_env.errors import ConfigError, ModelCallError
from collab_env.facets import match_facets, questions
from collab_env.harness.usercheck.checks import check_message, gives_up, stated
from collab_env.rollout import run_episode
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, TaskInstance
from collab_env.users.llm.protocol import unmet_by_answer

AGENTS = ("informed", "passive", "clarify")


class InformedAgent:
    """Asks one question (the clarify agent's first), then answers with every hidden detail.

    It reads the hidden goal (``env.unwrapped.instance``): a card's instrument, not a policy.

    Args:
        env: The env it plays in.
    """

    def __init__(self, env: gym.Env) -> None:
        self.env = env.unwrapped
        self.family = self.env.task.name

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        """A question at the first turn, then the answer drafted from the goal's every detail."""
        drafter = self.env.task.drafter
        if not any(m["role"] == "assistant" for m in messages):
            missing = drafter.missing(messages)
            if missing:
                return "Before I start, a quick question: " + drafter.question(missing[0], messages)
        instance = self.env.instance  # the task's own request first: a written opening may lose it
        told = [
            {"role": "user", "content": instance.opening},
            {"role": "user", "content": " ".join(f.statement for f in instance.facets)},
        ]
        return drafter.draft([*told[:1], *messages, *told[1:]])


def make_card_agent(name: str, env: gym.Env) -> Any:
    """The card's agent ``name`` (:data:`AGENTS`) for ``env``.

    Raises:
        ConfigError: for an unknown agent.
    """
    if name == "informed":
        return InformedAgent(env)
    if name not in AGENTS:
        raise ConfigError(f"--agents: unknown agent {name!r}; the card's agents are {', '.join(AGENTS)}")
    from collab_env.agents import make_agent

    return make_agent(name, env)


def play_episode(config: Any, agent_name: str, k: int, role: Any = None) -> dict[str, Any]:
    """Play one episode of ``config`` (an :class:`~collab_env.config.EnvConfig`) and read it
    (``role``: the independent check's trained role check, :mod:`.role`; ``None``: rules alone).

    Returns:
        Its record (:func:`read_episode`), ``lost`` with the error where the endpoint failed.
    """
    env = config.make()
    task = env.unwrapped.task
    task_id = task.task_id("test", k)
    head = {"key": f"{config.env_id}/{agent_name}/{k}", "env_id": config.env_id, "agent": agent_name,
            "episode": k, "task_id": task_id}  # fmt: skip
    start = time.perf_counter()
    try:
        result = run_episode(env, make_card_agent(agent_name, env), seed=k, task_id=task_id)
    except ModelCallError as exc:  # the user's opening (at reset) failed
        return {
            **head,
            "lost": True,
            "error": f"{type(exc).__name__}: {exc}",
            "seconds": time.perf_counter() - start,
        }
    error = next((i["error"] for i in result.infos if "error" in i), None)
    record = {
        **head,
        "seconds": round(time.perf_counter() - start, 1),
        "lost": error is not None,
        "error": error,
    }
    return {**record, **read_episode(task, task.get(result.task_id), result, config.judge.kind, role)}


def read_episode(
    task: Any, instance: TaskInstance, result: Any, judge_kind: str, role: Any = None
) -> dict[str, Any]:
    """What the card reads in one played episode: each user message (by the independent check,
    with the role check ``role`` where given), the ending, the details asked for and never
    given, the guards' counts and the judge's score."""
    messages = result.messages
    infos = [i.get("user", {}) for i in result.infos]
    last = next((i for i in reversed(infos) if i), {})
    verdicts = {j: unmet_by_answer(task, instance, messages[: j + 1]) for j, m in enumerate(messages)
                if m["role"] == "assistant"}  # fmt: skip
    rows = []
    for j, m in enumerate(messages):
        if m["role"] != "user" or (j == 0 and last.get("opening") != "model"):
            continue  # a template opening is the task's words, not the user's
        info = infos[j // 2 - 1] if j else {}
        text = m["content"].replace(TERMINATION_SIGNAL, "").strip()
        wrong = bool(verdicts.get(j - 1))
        rows.append({"index": j, "text": text, "guard": info.get("accepted_drift"),
                     "fallback": bool(info.get("fallback")), **check_message(text, messages[:j], instance, wrong, role)})  # fmt: skip
    reward = result.reward
    return {
        "turns": result.turns, "terminated": result.terminated, "opening": last.get("opening"),
        "messages": messages, "checked": rows, **ending(messages, verdicts, result.terminated),
        "asked_never_given": asked_never_given(task, instance, messages),
        "guard_rejected": dict(last.get("drift_kinds", {})), "guard_accepted": dict(last.get("accepted_drifts", {})),
        "judge_score": reward.get("engagement") if judge_kind != "heuristic" else None,
    }  # fmt: skip


def ending(
    messages: Sequence[ChatMessage], verdicts: dict[int, list[str] | None], terminated: bool
) -> dict[str, Any]:
    """How the episode ended, by the task's verdict on each answer.

    ``ending`` is ``recognised`` (ended after an answer that met every detail),
    ``premature_no_answer`` or ``premature_unmet`` (ended before any answer, or after one that
    misses details), or ``none`` (the user did not end). ``affirms_wrong``: it ended after an
    answer that misses details without saying so or giving up. ``correct_offered``: answers
    that met every detail; ``missed``: those the user went on after (a person may check or ask
    for a tweak first); ``could_recognise``: the user ended after one, or one came before the
    last turn (one on the last turn only, followed by a check, had no second chance).
    """
    answered = [j for j in verdicts if j + 1 < len(messages)]
    correct = [j for j in answered if verdicts[j] == []]
    last = answered[-1] if answered else None
    kind, affirms_wrong = "none", False
    if terminated and last is not None:
        verdict = verdicts[last]
        kind = (
            "recognised" if verdict == [] else "premature_no_answer" if verdict is None else "premature_unmet"
        )
        text = messages[last + 1]["content"].replace(TERMINATION_SIGNAL, "")
        affirms_wrong = bool(verdict) and not gives_up(text)
    missed = [j for j in correct if not (terminated and j == last)]
    # a correct answer on the last turn that the user checks before ending had no second chance
    chance = kind == "recognised" or any(j != answered[-1] for j in correct)
    return {"ending": kind, "affirms_wrong": affirms_wrong, "correct_offered": len(correct), "missed": len(missed),
            "could_recognise": bool(correct) and chance,
            "answers": sum(verdicts[j] is not None for j in answered)}  # fmt: skip


def asked_never_given(task: Any, instance: TaskInstance, messages: Sequence[ChatMessage]) -> list[str]:
    """The assistant's questions about hidden details (the scripted user's reading of questions)
    that the user never answered: none of the details a question points at, untold before it,
    is stated (:func:`~.checks.stated`) in a later user message. Each as ``"question (ids)"``."""
    hidden = list(instance.hidden_facets)
    missing = []
    for j, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        before = " ".join(u["content"] for u in messages[:j] if u["role"] == "user")
        after = " ".join(u["content"] for u in messages[j + 1 :] if u["role"] == "user")
        for question in questions(m["content"]):
            asked = [
                f for f in match_facets(question, hidden, task.facet_kinds) if not stated(before, f.value)
            ]
            if asked and not any(stated(after, f.value) for f in asked):
                missing.append(f"{question} ({', '.join(f.name for f in asked)})")
    return list(dict.fromkeys(missing))


__all__ = [
    "AGENTS",
    "InformedAgent",
    "asked_never_given",
    "ending",
    "make_card_agent",
    "play_episode",
    "read_episode",
]
