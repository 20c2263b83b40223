"""Do simulated users talk like people? The measures of SimulatorArena's conversations, replayed place by place.

SimulatorArena (MIT) recorded people writing a document with an assistant. Each conversation is
replayed with the person's intent as the hidden goal (:mod:`collab_env.tasks.doc.simarena`) and
the person's first query as the opening; at each place where the person spoke again, the
simulated user is shown the recorded conversation so far and writes its turn there instead
(:func:`simulate`). Its turns are compared with the person's (:func:`measure`, :func:`summarise`):
words per turn, informative turns, questions back, typos, goal dumps, and where the chat ends.
``benchmarks/user_fidelity.py`` and ``collab-env user-check`` both call these.
"""

from __future__ import annotations

import functools
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from collab_env.errors import ConfigError, ModelCallError
from collab_env.facets import questions
from collab_env.harness.summary import stat
from collab_env.tasks.doc.simarena import SimulatorArenaDataset, content_stems
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, TaskInstance
from collab_env.users import UserSimulator

METRICS = {
    "words": "words per turn",
    "informative": "informative turns",
    "questions": "turns with a question",
    "typos": "turns with a typo",
    "dump": "goal-dump turns",
}
_WORD = re.compile(r"[A-Za-z][a-z']*")


@dataclass
class Turn:
    """One user turn at one place of a conversation (``text`` is ``None`` for a lost turn)."""

    place: int
    text: str | None
    terminated: bool = False


def history(instance: TaskInstance, place: int) -> list[ChatMessage]:
    """The recorded conversation before user turn ``place`` (1-based after the opening): it ends
    with the assistant's recorded reply."""
    conversation = instance.metadata["conversation"]
    messages: list[ChatMessage] = []
    queries, responses = conversation["user_queries"][:place], conversation["ai_responses"][:place]
    for query, response in zip(queries, responses, strict=True):
        messages += [{"role": "user", "content": query}, {"role": "assistant", "content": response}]
    return messages


def places(instance: TaskInstance) -> int:
    """User turns of the person after the opening (the places a simulator speaks at)."""
    conversation = instance.metadata["conversation"]
    return min(len(conversation["user_queries"]), len(conversation["ai_responses"]) + 1) - 1


def people(instance: TaskInstance) -> list[Turn]:
    """The person's own turns after the opening; the last one ends the chat."""
    queries, n = instance.metadata["conversation"]["user_queries"], places(instance)
    return [Turn(i, queries[i], terminated=i == n) for i in range(1, n + 1)]


def simulate(
    user: UserSimulator,
    task: SimulatorArenaDataset,
    instance: TaskInstance,
    seed: int,
    limit: int | None = None,
    each: Callable[[Turn], None] | None = None,
) -> list[Turn]:
    """The simulator's turn at each place the person spoke, until it ends the chat.

    A turn the simulator's model could not give (``ModelCallError``) is recorded as lost
    (``text=None``) and the replay goes on: the next place's history is the recorded one.

    Args:
        user: The simulator.
        task: The SimulatorArena data set the instance is from.
        instance: The conversation.
        seed: The replay's seed (with the conversation's number).
        limit: Replay at most this many places (``None``: all).
        each: Called with every turn as it is written (progress, partial results).
    """
    rng = np.random.default_rng([seed, int(instance.task_id.rsplit("-", 1)[1])])
    _, state = user.start(task, instance, rng)
    turns = []
    for place in range(1, min(places(instance), limit or places(instance)) + 1):
        try:
            reply = user.reply(task, instance, history(instance, place), state, rng)
            turn = Turn(place, reply.text, reply.terminated)
        except ModelCallError:
            turn = Turn(place, None)
        turns.append(turn)
        if each is not None:
            each(turn)
        if turn.terminated:
            break
    return turns


@functools.cache
def _speller() -> Any:
    try:
        from spellchecker import SpellChecker
    except ImportError as exc:
        raise ConfigError("the typo measure needs pyspellchecker: pip install 'collab-env[bench]'") from exc
    return SpellChecker()


def can_spell() -> bool:
    """Whether the typo measure can run (pyspellchecker is installed)."""
    try:
        _speller()
    except ConfigError:
        return False
    return True


def typos(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """The misspelt words of ``text``: lower-case words of 3+ letters that neither the English
    dictionary nor ``known`` (the assistant's words in the same conversation) has.

    >>> typos("I hope to create a sincere appoly", frozenset())
    ['appoly']
    """
    words = [w for w in _WORD.findall(text) if w.islower() and len(w) >= 3 and "'" not in w]
    return sorted(w for w in _speller().unknown(words) if w not in known)


@functools.lru_cache(maxsize=256)
def _assistant_words(responses: tuple[str, ...]) -> frozenset[str]:
    """Words the recorded assistant wrote (correctly spelt words the dictionary may lack: "spatchcock")."""
    return frozenset(w.lower() for r in responses for w in _WORD.findall(r))


def measure(instance: TaskInstance, turns: list[Turn], spell: bool = True) -> dict[str, Any]:
    """Per-turn measures of one conversation's turns (lost turns left out), and its end.

    ``spell=False`` leaves the typo measure out (without pyspellchecker).
    """
    queries = instance.metadata["conversation"]["user_queries"]
    goal = content_stems(" ".join(f.value for f in instance.facets))
    known = _assistant_words(tuple(instance.metadata["conversation"]["ai_responses"]))
    rows = []
    for turn in turns:
        if turn.text is None:
            continue
        text = turn.text.replace(TERMINATION_SIGNAL, " ").strip()
        said = set().union(*(content_stems(q) for q in queries[: turn.place]))
        mine = content_stems(text)
        row = {
            "words": len(text.split()),
            "informative": len(mine - said) >= 2,
            "questions": bool(questions(text)),
            "dump": bool(goal) and len(mine & goal) * 2 >= len(goal),
        }
        if spell:
            row["typos"] = bool(typos(text, known))
        rows.append(row)
    ended = next((t.place for t in turns if t.terminated), None)
    return {
        "turns": rows,
        "end": ended,
        "places": places(instance),
        "lost": sum(t.text is None for t in turns),
    }


def summarise(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """One source's figures over every conversation: the per-turn shares and the ending
    (a measure no turn has, the typos without pyspellchecker, is NaN)."""
    turns = [t for m in measured for t in m["turns"]]
    out: dict[str, Any] = {"conversations": len(measured), "turns": len(turns)}
    for key in METRICS:
        s = stat(float(t[key]) for t in turns if key in t)
        out[key] = {"mean": s.mean, "ci95": s.ci95}
    out["words_median"] = statistics.median(t["words"] for t in turns) if turns else None
    out["dump_conversations"] = statistics.fmean(any(t["dump"] for t in m["turns"]) for m in measured)
    ends = [m["end"] for m in measured if m["end"] is not None]
    out["end_turn"] = statistics.fmean(e + 1 for e in ends) if ends else None  # the opening is turn 1
    out["ended_before_person"] = statistics.fmean(
        m["end"] is not None and m["end"] < m["places"] for m in measured
    )
    out["not_ended_by_person_end"] = statistics.fmean(m["end"] is None for m in measured)
    out["lost_turns"] = sum(m["lost"] for m in measured)
    return out


def table(results: dict[str, dict[str, Any]]) -> str:
    """The people-vs-simulators table, as Markdown."""
    names = list(results)
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |")

    row("conversations / turns", lambda r: f"{r['conversations']} / {r['turns']}")
    for key, label in METRICS.items():
        row(label, lambda r, k=key: _fmt(r[k]["mean"], r[k]["ci95"], share=k != "words"))
    row("median words per turn", lambda r: str(r["words_median"]))
    row("conversations with a goal dump", lambda r: f"{100 * r['dump_conversations']:.0f}%")
    row("turn the chat ends at (mean)", lambda r: "n/a" if r["end_turn"] is None else f"{r['end_turn']:.2f}")
    row("ended before the person did", lambda r: f"{100 * r['ended_before_person']:.0f}%")
    row("not ended by the person's last turn", lambda r: f"{100 * r['not_ended_by_person_end']:.0f}%")
    row("lost turns (model failures)", lambda r: str(r["lost_turns"]))
    return "\n".join(lines)


def _fmt(mean: float, ci95: float, share: bool) -> str:
    if mean != mean:  # NaN: no turn
        return "n/a"
    return f"{100 * mean:.0f}% ± {100 * ci95:.0f}" if share else f"{mean:.1f} ± {ci95:.1f}"


__all__ = [
    "METRICS",
    "Turn",
    "can_spell",
    "history",
    "measure",
    "people",
    "places",
    "simulate",
    "summarise",
    "table",
    "typos",
]
