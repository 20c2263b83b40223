"""People's conversations as supervised data for a user model (``collab-env finetune sft --role user``).

Each example is one turn of a person: the **prompt** is what :class:`~collab_env.users.LLMUser`
sends its model at that point, built by the LLM user's own prompt builder (``LLMUser._prompt``),
so that a model trained on it sees at serve time exactly the format it learnt; the **completion**
is the person's turn, as the model is asked to write it.

- **Protocol**: the paper's free role-play (``protocol="roleplay"``): the model answers
  ``{"thought": ..., "response": ...}`` and ends the chat by writing the termination signal. The
  default acts protocol asks for each message's act among those the env opens (grounded: the ids
  of the goal's details it reveals), and people's turns carry no such labels; so the trained
  model is served with ``--user.protocol roleplay``. ``thought`` is empty (people wrote none), but on a conversation's
  last turn, where it holds the person's own words on why they stopped (``why_stop``), when given.
- **The end**: the person's last turn ends with the termination signal, as the fidelity
  benchmark counts people's ends (:mod:`benchmarks.user_fidelity`): an episode ends on the user's
  turn, so the assistant's recorded reply to that turn is not shown to anyone.
- **The opening**: the person's first turn is an example of the LLM user's opening prompt
  (``opening="model"``), where the goal says what the opening asks for (see below).
- **Layout**: the conversation as data (``prompt="data"``, the LLM user's default); the profile
  line where the person is known (below), none otherwise.

Two formats of SimulatorArena (Dou et al., 2025; MIT), told apart per file:

- **document writing** (records with ``intent``): read by the ``simarena`` loader
  (:class:`~collab_env.tasks.doc.simarena.SimulatorArenaDataset`), so the hidden goal is the one
  the LLM user gets when it plays those conversations: the document type and the intent.
- **math tutoring** (records with ``question_location``): the release is redacted, the MATH
  problem's text replaced by its location. The goal is what the record gives: the problem's
  type and level, the person's attempt before the chat, and what they wrote after it (their
  solution and final answer: hindsight a served user does not have; CollabMath's goal is the
  problem itself). With ``math_root`` (a MATH checkout, ``test/algebra/1.json``...), the
  problem's text leads the goal, and only then is the opening an example (without it the
  person's first turn, which often restates the problem, says what the goal lacks). Only the
  first problem's turns are used (``problem_1_turns``; the later ones are about a second
  problem); the person's own profile (:mod:`~collab_env.users.llm.profiles`, built from these
  people: their maths background and why they asked) is in the prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from collab_env.errors import ConfigError, DatasetError
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, TaskInstance
from collab_env.users.base import ReplyRequest
from collab_env.users.llm.profiles import Profile, load_profiles
from collab_env.users.llm.state import LLMUserState
from collab_env.users.llm.user import LLMUser

#: The families of conversations read, by the field that tells a record's format.
FORMATS = {"intent": "doc", "question_location": "math"}


@dataclass(frozen=True)
class Conversation:
    """One person's conversation, ready to be cut into examples.

    Attributes:
        id: The record's id (``simarena-doc-000``, ``math-004``...).
        family: ``"doc"`` or ``"math"``.
        instance: The hidden goal, as the LLM user reads it (``request``).
        turns: The person's turns, in order.
        replies: The assistant's recorded replies (``replies[i]`` answers ``turns[i]``).
        why_stop: The person's own words on why they stopped (``""``: not given).
        profile: The person's profile, where known.
        opening: Whether the person's first turn is an example (the goal says what it asks for).
    """

    id: str
    family: str
    instance: TaskInstance
    turns: tuple[str, ...]
    replies: tuple[str, ...]
    why_stop: str = ""
    profile: Profile | None = None
    opening: bool = True


class _PromptOnly:
    """Stands in for the LLM user's chat model: only its prompts are built here."""

    name, json_mode, bounds_tokens = "sft-data", False, True

    def complete(self, *_: Any, **__: Any) -> Any:
        """Never called: the data builder sends nothing."""
        raise ConfigError("the SFT data builder's user has no model")


def prompt_user() -> LLMUser:
    """The LLM user whose prompts the examples copy: role-play, the conversation as data."""
    return LLMUser(_PromptOnly(), protocol="roleplay", prompt="data", json_mode=False, profiles=None)


def read_conversations(
    paths: str | Path | Sequence[str | Path], math_root: str | Path | None = None
) -> list[Conversation]:
    """The conversations of the files ``paths`` (a path, a comma-separated string, or a list).

    Raises:
        ConfigError: for a path that does not exist.
        DatasetError: for a file whose first record is of neither format, or a record unlike
            its file's first.
    """
    if isinstance(paths, str):
        files = [Path(p.strip()) for p in paths.split(",") if p.strip()]
    else:
        files = [paths] if isinstance(paths, Path) else [Path(p) for p in paths]
    conversations = []
    for path in files:
        if not path.exists():
            raise ConfigError(f"--data {path}: no such file (people's conversations, JSON Lines)")
        conversations += _read_file(path, math_root)
    return conversations


def _read_file(path: Path, math_root: str | Path | None) -> list[Conversation]:
    from collab_env.tasks.datasets import read_records

    records = dict(read_records(path))
    first = next(iter(records.values()), {})
    family = next((f for key, f in FORMATS.items() if isinstance(first, dict) and key in first), None)
    if family is None:
        raise DatasetError(
            f"{path}: not SimulatorArena conversations (a record with 'intent' or 'question_location')"
        )
    for where, record in records.items():
        if not isinstance(record, dict) or not any(k in record for k in FORMATS if FORMATS[k] == family):
            raise DatasetError(f"{where}: not a {family} conversation like the file's first record")
    if family == "doc":
        return _doc_conversations(path, records)
    root = Path(math_root) if math_root else None
    return [c for where, r in records.items() if (c := _math_conversation(r, where, root)) is not None]


def _doc_conversations(path: Path, records: dict[str, Any]) -> list[Conversation]:
    """The document-writing conversations, their goals as the ``simarena`` loader makes them."""
    from collab_env.tasks.doc.simarena import SimulatorArenaDataset

    task = SimulatorArenaDataset(path)
    out = []
    for instance in task.instances:
        record, talk = records[instance.metadata["source"]], instance.metadata["conversation"]
        out.append(
            Conversation(
                str(instance.metadata.get("id") or instance.metadata["source"]), "doc", instance,
                tuple(talk["user_queries"]), tuple(talk["ai_responses"]), str(record.get("why_stop") or "").strip(),
            )
        )  # fmt: skip
    return out


def _math_conversation(record: dict[str, Any], where: str, root: Path | None) -> Conversation | None:
    """One math-tutoring conversation (its first problem's turns), or ``None`` when it has no turn.

    An empty turn (math-042 opens with one) is shown as it was and is no example."""
    queries = [str(q).strip() for q in record.get("user_queries") or []]
    replies = [str(r) for r in record.get("ai_responses") or []]
    n = int(record.get("problem_1_turns") or len(queries))
    queries, replies = queries[:n], replies[:n]
    if not any(queries):
        return None
    problem = _problem_text(root, str(record.get("question_location") or "")) if root else ""
    instance = TaskInstance(
        task_id=f"math-people-{record.get('id', where)}", family="math", opening=queries[0], facets=(),
        reference=None, request=math_goal(record, problem),
        metadata={"source": where, "id": record.get("id", ""), "question_location": record.get("question_location")},
    )  # fmt: skip
    return Conversation(
        str(record.get("id") or where), "math", instance, tuple(queries), tuple(replies),
        str(record.get("why_stop") or "").strip(), person_profile(record), opening=bool(problem and queries[0]),
    )  # fmt: skip


def math_goal(record: dict[str, Any], problem: str = "") -> str:
    """The hidden goal of a math-tutoring record: what the redacted record tells of the problem
    and of the person's own work (see the module docstring).

    >>> math_goal({"type": "Algebra", "level": "Level 5", "turk_final_answer": "25"})
    'You are stuck on a math problem (Algebra, Level 5) and ask a tutor for help with it.\\nYour final answer, after the chat: 25'
    """
    kind = ", ".join(str(record[k]).strip() for k in ("type", "level") if record.get(k))
    lines = [
        f"You are stuck on a math problem{f' ({kind})' if kind else ''} and ask a tutor for help with it."
    ]
    if problem:
        lines.append(f"The problem: {problem}")
    for key, label in (
        ("turk_initial_solution", "Your own attempt before the chat"),
        ("turk_solution", "What you wrote after the chat"),
        ("turk_final_answer", "Your final answer, after the chat"),
    ):
        value = str(record.get(key) or "").strip()
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def _problem_text(root: Path, location: str) -> str:
    """The MATH problem at ``root / location`` (``""`` when that file is not there)."""
    file = root / location
    if not location or not file.is_file():
        return ""
    return str(json.loads(file.read_text(encoding="utf-8")).get("problem", "")).strip()


def person_profile(record: dict[str, Any]) -> Profile | None:
    """The math-tutoring person's own profile (``math-<sha256 of user_id>``), where shipped."""
    user = record.get("user_id")
    if not user:
        return None
    key = f"math-{hashlib.sha256(str(user).encode()).hexdigest()[:10]}"
    return next((p for split in ("train", "test") for p in load_profiles(split, "math") if p.id == key), None)


def history(conversation: Conversation, turn: int) -> list[ChatMessage]:
    """The conversation before the person's turn ``turn``: it ends with the assistant's reply."""
    messages: list[ChatMessage] = []
    for query, reply in zip(conversation.turns[:turn], conversation.replies[:turn], strict=False):
        messages += [{"role": "user", "content": query}, {"role": "assistant", "content": reply}]
    return messages


def examples(conversation: Conversation, user: LLMUser | None = None) -> list[dict[str, Any]]:
    """The conversation's examples: ``prompt`` (chat messages), ``completion`` (one assistant
    message: the role-play JSON), ``conversation`` (the id) and ``turn`` (the person's turn).

    A turn is an example where it says something and the assistant's reply before it was
    recorded; the last turn's response ends with the termination signal.
    """
    user = user or prompt_user()
    task, last = _task(conversation.family), len(conversation.turns) - 1
    state, rng = LLMUserState(profile=conversation.profile), np.random.default_rng(0)
    rows = []
    for turn, text in enumerate(conversation.turns):
        messages = history(conversation, turn)
        if not text or (turn == 0 and not conversation.opening) or len(messages) != 2 * turn:
            continue
        request = ReplyRequest(task, conversation.instance, messages, state, rng)
        prompt = user._prompt(request, opening=turn == 0)
        ends = turn == last and turn > 0  # an opening never ends the chat
        reply = {"thought": conversation.why_stop if ends else "", "response": text}
        if ends:
            reply["response"] = f"{text} {TERMINATION_SIGNAL}".strip()
        completion = [{"role": "assistant", "content": json.dumps(reply, ensure_ascii=False)}]
        rows.append(
            {"prompt": prompt, "completion": completion, "conversation": conversation.id, "turn": turn}
        )
    return rows


def _task(family: str) -> Any:
    """The task family whose name the prompt gives (``Task type: doc.``)."""
    from collab_env.builders import make_task

    return make_task(family)


def split(
    conversations: Sequence[Conversation], eval_share: float = 0.0, seed: int = 0
) -> tuple[list[Conversation], list[Conversation]]:
    """(train, eval): whole conversations, so no conversation has turns in both.

    ``eval_share`` of the conversations (rounded, at least one when above 0 and there are two or
    more) are drawn with ``seed`` for evaluation; the rest keep their order.

    Raises:
        ConfigError: for a share outside [0, 1).
    """
    if not 0 <= eval_share < 1:
        raise ConfigError(f"eval_share must be in [0, 1), got {eval_share}")
    n = len(conversations)
    k = min(n - 1, max(1, round(n * eval_share))) if eval_share > 0 and n >= 2 else 0
    held = set(np.random.default_rng(seed).choice(n, size=k, replace=False).tolist()) if k else set()
    return [c for i, c in enumerate(conversations) if i not in held], [conversations[i] for i in sorted(held)]


def build(
    paths: str | Path | Sequence[str | Path], eval_share: float = 0.0, seed: int = 0,
    math_root: str | Path | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """(train examples, eval examples) of the conversations in ``paths`` (see :func:`split`).

    Raises:
        ConfigError: for a missing file, or files that give no example.
        DatasetError: for a file in neither format.
    """
    user = prompt_user()
    train, held = split(read_conversations(paths, math_root), eval_share, seed)
    rows = [[r for c in part for r in examples(c, user)] for part in (train, held)]
    if not rows[0]:
        raise ConfigError(f"--data {paths}: no person's turn to train on (conversations need two turns)")
    return rows[0], rows[1]


def write_jsonl(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write ``rows`` as JSON Lines to ``path`` (folders made); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
