"""SimulatorArena's human document-writing conversations as a CollabDoc data set (``simarena:PATH``).

SimulatorArena (Dou et al., 2025; MIT licence) recorded people writing a document with an AI
assistant: each record has the person's ``intent`` (the brief they were given: ``"Apology Letter:
Write a sincere letter apologizing to a friend..."``), the ``document_type``, the person's turns
(``user_queries``) and the assistant's recorded replies (``ai_responses``). This loader plays the
intents as task instances, so that agents and user simulators meet the goals people had:

- **Opening**: the person's first query, as they wrote it ("Hello" included).
- **Hidden goal** (the LLM user's ``request``): the document type and the intent, nothing else;
  the people's later turns (names, dates they made up) are not part of it.
- **Facets**: derived from the intent's sentences. The title before the colon (or the first
  sentence) is the ``purpose``; each further clause of the description is a ``content`` facet,
  split at "such as", "including", "where"... A facet is in the opening when the person's first
  query already uses at least half of its content words.
- **Target and metric**: there is no target document. The recorded final document is the
  assistant's (gpt-4o's) take, one of many a person would accept, so BLEU against it would reward
  copying that model. R_ext is *facet coverage*: the share of the intent's facets a document
  addresses (at least half of a facet's content words in it), in [0, 1]; the scripted user accepts
  a document that covers every facet. The reference holds the brief.
- ``metadata["conversation"]`` keeps the person's turns and the recorded replies, for the user
  fidelity benchmark (:mod:`benchmarks.user_fidelity`), with the record's ``id`` and
  the person's ratings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from collab_env.errors import DatasetError
from collab_env.facets import contents, stems
from collab_env.tasks.datasets import DatasetTask, require
from collab_env.types import ChatMessage, Facet, FacetKind, TaskInstance

from .task import DocTask
from .types import DocReference

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_DETERMINERS = frozenset("a an the their your my our his her its this these those".split())
#: Details a correction names at most (a person points at one or two things at a time).
MAX_DETAILS = 2
_CLAUSE = re.compile(r",?\s+\b(?:such as|including|exploring|analyzing|sharing|especially)\b\s+", re.I)
_IMPERATIVE = frozenset(
    "write offer provide explore evaluate discuss create compose share describe explain draft give "
    "tell make plan review analyze analyse outline argue reflect".split()
)
#: Function words, pleasantries and chat filler: words that carry no information about a goal.
STOP = frozenset(
    stems(
        "the a an and or but if of to in on at by for with from into about as is are was were be been "
        "being it its it's this that that's these those there here they them their then than so too "
        "very i i'm i've i'd i'll me my we our you you're your yours he she his her him what which who "
        "whom how when where why yes no not do does did done doing have has had will would should "
        "could can may might must just also only some any all one more most much many well okay ok "
        "sure thing things hmm oh hi hey hello good great fine nice question thank thanks hope help "
        "make sense check forgot say said right let think know want need like please really quite "
        "exactly yet perfect work going anywhere stop don't never mind figure out myself terminate "
        "chat such other something get got way lot up now again maybe bit kind sort actually write "
        "doesn't isn't aren't can't won't didn't wasn't"
    )
)


def content_stems(text: str) -> set[str]:
    """The stems of ``text`` that can carry goal information (numbers and non-function words).

    >>> sorted(content_stems("Thanks! Can you add that the party is on May 5?"))
    ['5', 'add', 'party']
    """
    return {s for s in stems(text) if s not in STOP and (len(s) >= 3 or s.isdigit())}


def covers(text_stems: set[str], facet: Facet) -> bool:
    """Whether a text addresses a facet: at least half of the facet's content words are in it."""
    keys = set(facet.keywords)
    return bool(keys) and len(keys & text_stems) * 2 >= len(keys)


class SimulatorArenaDataset(DatasetTask, DocTask):
    """SimulatorArena intents as doc task instances; R_ext = facet coverage (see the module docstring)."""

    dataset_name = "simarena"
    metric_name = "coverage"
    accept_threshold = 1.0
    facet_kinds = (
        FacetKind("purpose", "What is the document for?", ("purpose", "for", "kind", "type", "goal", "about")),
        FacetKind("content", "What should it cover?", ("cover", "include", "mention", "detail", "content", "about", "point")),
    )  # fmt: skip
    questions: ClassVar[dict[str, tuple[str, ...]]] = {
        "purpose": ("What is the document for?",),
        "content": ("What should it cover?", "What else should it cover?", "Is there anything else it should include?"),
    }  # fmt: skip

    def parse(self, record: Any, where: str, task_id: str) -> TaskInstance | str:
        """One conversation -> instance; one without an intent or a first query is rejected."""
        require(record, {"intent": str, "user_queries": list}, where)
        queries = [str(q).strip() for q in record["user_queries"]]
        intent, doc_type = record["intent"].strip(), str(record.get("document_type") or "document").strip()
        if not intent or not queries or not queries[0]:
            return "no intent or no first query"
        responses = _responses(record.get("ai_responses", []), where)
        facets = intent_facets(intent, doc_type, queries[0])
        if not facets:
            return "the intent has no content words"
        goal = f"You want to write {_kind(doc_type)}. {intent}"
        return TaskInstance(
            task_id=task_id, family="doc", opening=queries[0], facets=tuple(facets),
            reference=DocReference(goal, ()), request=goal,
            metadata={
                "source": where, "id": record.get("id", ""), "document_type": doc_type, "intent": intent,
                "conversation": {"user_queries": queries, "ai_responses": responses},
                "ratings": {k: record.get(k) for k in ("overall_interaction_rating", "overall_document_rating")},
            },
        )  # fmt: skip

    def content_key(self, instance: TaskInstance) -> str:
        """The record's id (two people may have had the same intent)."""
        return f"{instance.metadata.get('id')}|{instance.request}"

    def score(self, instance: TaskInstance, solution: str) -> float:
        """Facet coverage: the share of the intent's facets the document addresses, in [0, 1]."""
        text = content_stems(solution)
        return sum(covers(text, f) for f in instance.facets) / len(instance.facets)

    def unmet_facets(self, instance: TaskInstance, solution: str) -> list[Facet]:
        """The facets the document does not address, in the intent's order."""
        text = content_stems(solution)
        return [f for f in instance.facets if not covers(text, f)]

    def mention(self, instance: TaskInstance, facet: Facet, solution: str = "") -> str:
        """A long facet (more than ``2 * MAX_DETAILS`` content words) is told a detail at a time:
        the stretch of the brief from the first content word ``solution`` lacks, holding at most
        ``MAX_DETAILS`` content words, in the first person; a short facet by its statement.

        >>> facet = intent_facets("Apology: Write a sincere letter apologizing to a friend for a "
        ...                       "misunderstanding.", "email", "Hi")[1]
        >>> task = SimulatorArenaDataset.__new__(SimulatorArenaDataset)
        >>> task.mention(None, facet), task.mention(None, facet, "A sincere letter.")
        ("It's about a sincere letter.", "It's about apologizing to a friend.")
        """
        if len(facet.keywords) <= 2 * MAX_DETAILS:
            return facet.statement
        have, tokens = content_stems(solution), facet.value.split()
        content = [bool(content_stems(t)) for t in tokens]
        lacking = [i for i, t in enumerate(tokens) if content[i] and not content_stems(t) <= have]
        if not lacking:
            return facet.statement
        start = end = lacking[0]
        start -= start > 0 and tokens[start - 1].lower() in _DETERMINERS
        while end < len(tokens) and sum(content[lacking[0] : end]) < MAX_DETAILS:
            end += 1
        return _statement(" ".join(tokens[start:end]).strip(" ,;:.!?"), main=True)

    def draft(self, messages: Sequence[ChatMessage]) -> str:
        """A document made of what the user said, one paragraph per message (public knowledge only)."""
        said = [m for m in contents(messages, "user") if m.strip()]
        return "Here is the draft:\n\n" + "\n\n".join(said or ["A first draft of the document."])


def intent_facets(intent: str, doc_type: str, opening: str) -> list[Facet]:
    """The facets of an intent: its title as the purpose, each clause of the rest as content.

    >>> [f.statement for f in intent_facets("Career Advice: Offer guidance on job hunting, such as interviews.",
    ...                                     "blog post", "Hello")]
    ["It's a blog post: career advice.", 'I want to offer guidance on job hunting.', 'It should touch on interviews.']
    """
    title, sep, rest = intent.partition(":")
    if not sep or len(title.split()) > 8:
        title, rest = "", intent
    pieces = [
        (p, k == 0)
        for s in _SENTENCE.split(rest.strip())
        if s.strip()
        for k, p in enumerate(_CLAUSE.split(s))
    ]
    said = content_stems(opening)
    facets = []
    if title.strip():
        statement = f"It's {_kind(doc_type)}: {title.strip().lower()}."
        facets.append(_facet("purpose", "purpose", title.strip(), statement, said))
    for n, (piece, main) in enumerate(p for p in pieces if content_stems(p[0])):
        piece = piece.strip().rstrip(".!?")
        kind = "purpose" if not facets else "content"
        facets.append(_facet(f"{kind}_{n}", kind, piece, _statement(piece, main), said))
    return facets


def _facet(name: str, kind: str, value: str, statement: str, said: set[str]) -> Facet:
    keywords = tuple(sorted(content_stems(value)))
    facet = Facet(name, kind, value, statement, keywords)
    return Facet(name, kind, value, statement, keywords, in_opening=covers(said, facet))


def _statement(piece: str, main: bool) -> str:
    """What the user says to reveal one clause of the intent, in the first person."""
    low = piece[0].lower() + piece[1:]
    if piece.split()[0] == "I":  # already the user's own words
        return f"{piece}."
    if not main:
        return f"It should touch on {low}."
    if piece.split()[0].lower() in _IMPERATIVE:
        return f"I want to {low}."
    if piece.endswith("?") or piece.split()[0].lower() in {
        "is",
        "are",
        "why",
        "how",
        "what",
        "does",
        "do",
        "can",
    }:
        return f"It's about this question: {piece}?"
    return f"It's about {low}."


def _kind(doc_type: str) -> str:
    """``"an email"``, ``"a blog post"``, ``"a piece of creative writing"``."""
    if doc_type.lower().endswith("writing"):
        return f"a piece of {doc_type}"
    return f"{'an' if doc_type[:1].lower() in 'aeiou' else 'a'} {doc_type}"


def _responses(raw: Any, where: str) -> list[str]:
    """The recorded assistant replies: a list, or a JSON list in a string (as SimulatorArena ships it)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{where}: ai_responses is a string that is not a JSON list ({exc.msg})"
            ) from exc
    if not isinstance(raw, list):
        raise DatasetError(f"{where}: ai_responses should be a list, got {type(raw).__name__}")
    return [str(r) for r in raw]
