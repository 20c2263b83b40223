"""How a parsed reply of the LLM user becomes its message: the details it reveals told in the
goal's own words, a written opening kept to what a person opens with, and an end the user does
not yet mean asked about (the grounded protocol; the acts protocol shares the first two)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from collab_env.facets import questions
from collab_env.types import TaskInstance
from collab_env.users.llm import acts, guards, protocol
from collab_env.users.llm.state import Pending

# A request: what a repaired opening must still hold (a person opens by asking, or by greeting).
_ASKS = re.compile(
    r"\?|\b(can|could|would|will) you\b|\bplease\b|\bi(?: need|'d like| would like| want)\b|\bhelp\b", re.I
)


def request_line(instance: TaskInstance) -> str:
    """The template opening's request: its last paragraph, without a ``Question:`` label (a QA
    opening's passage is pasted before it as it is)."""
    last = instance.opening.rpartition("\n\n")[2]
    return last.split(":", 1)[1].strip() if ":" in last[:12] else last


def ground(parsed: dict[str, Any], p: Pending) -> str:
    """The message with each revealed detail it does not state added in the goal's words.

    Ids that are not the instance's hidden facets are ignored (only the goal's facts are told),
    and so are details told before, unless the assistant's last answer lacks them: a small model
    names the same ids every turn (issue 23), and a person does not repeat what was taken in.
    In the acts protocol what was told is what followed the opening (:func:`~.acts.told`).
    """
    message, request = parsed["message"].strip(), p.request
    facets = {f.name: f for f in request.instance.hidden_facets}
    said = " ".join(m["content"] for m in request.messages if m["role"] == "user")
    said = acts.told(request.messages) if p.plan is not None else said  # the acts protocol's
    unmet = p.unmet or []
    missing = [
        facets[i].statement
        for i in dict.fromkeys(parsed.get("reveal", []))
        if i in facets
        and not guards.states(message, facets[i], request.instance)
        and (i in unmet or not guards.states(said, facets[i], request.instance))
    ]
    return " ".join([message, *missing]).strip()


def opening_rule(
    text: str, instance: TaskInstance, kinds: Sequence, max_words: int, request: str = ""
) -> str | None:
    """A written opening is drift when it breaks a guard or gives away a hidden detail.

    ``request`` is the template's request the opening rewords (the acts protocol): a detail its
    own words state (a Code request's "running totals of a list" states that a list is
    returned) is not given away by keeping them.
    """
    rule = guards.check(text, [], instance, kinds, max_words)
    said = [{"role": "user", "content": request}] if request else []
    if rule is None and guards.unasked_facts(text, said, instance, kinds):
        return "goal_dump"
    return rule


def opening_kept(p: Pending, kinds: Sequence, max_words: int) -> str:
    """The first rejected opening's sentences that give no hidden detail and break no guard
    (``""`` when no attempt has one): a small model's opening pastes details after its request."""
    instance = p.request.instance
    for problem, parsed, _ in p.attempts:
        if parsed is None or problem in ("parse", "length"):
            continue
        kept = [
            s
            for s in guards.sentences(ground(parsed, p))
            if opening_rule(s, instance, kinds, max_words) is None
        ]
        if kept and _ASKS.search(" ".join(kept)):  # what is left must still ask for something
            return " ".join(kept)
    return ""


def early_end(p: Pending) -> bool:
    """Whether a reply ends the chat while it still wants something, for the first time in this
    reply (asked once whether it means it; a second such attempt ends the chat): the assistant
    has not answered yet (its last message proposes nothing), the reply asks the assistant a
    question, or it reveals details not yet told."""
    if any(problem == "early_end" for problem, _, _ in p.attempts):
        return False
    request = p.request
    if not protocol.can_end(request.messages, p.unmet):
        return True  # people end once answered (or after long without an answer), not while asked
    if questions(guards.unquoted(p.parsed["message"], request.messages)):
        return True
    said = " ".join(m["content"] for m in request.messages if m["role"] == "user")
    hidden = {f.name: f for f in request.instance.hidden_facets}
    return any(
        i in hidden and not guards.states(said, hidden[i], request.instance)
        for i in p.parsed.get("reveal", [])
    )
