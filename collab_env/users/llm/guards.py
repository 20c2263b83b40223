"""Guards against what real users never do, applied to a model's reply before it is accepted.

A small model playing the user (issue 18: Qwen2.5-Coder-0.5B-Instruct) sent empty messages,
spoke as the assistant ("I'm glad I could help you", "Once you have the price, you can proceed
to..."), did the maths itself, and pasted its hidden goal. Each guard below is one rule, with the
reason a real user would not write that; a reply that breaks one is retried with a reminder
naming the rule (:data:`REMINDERS`). A message is judged by what it does to the task
(:mod:`~collab_env.users.llm.facts`), not by its form: a step of arithmetic is a person's, the
task's answer worked out is solving. A message that ends the chat is checked for its facts only
(:func:`ending_rule`: the answer worked out, a contradicted detail, a wrong answer accepted); its
other drift is dropped (:func:`repair`), as the user's intent to end is what counts.

Legitimate user content is kept apart: text the user quotes from the conversation (a code fence
or a line that repeats the assistant's draft) is removed before the checks, and a short pasted
snippet (an error message, an example) is not a solution.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from collab_env.facets import match_facets, questions
from collab_env.types import ChatMessage, TaskInstance
from collab_env.users.llm import facts, register
from collab_env.users.llm.contradictions import asks_which, contradicted, wrong_reading
from collab_env.users.llm.wording import _bare, _normal, _states, sentences, states

#: What a reminder tells the model for each broken rule.
REMINDERS = {
    "empty": "Your message was empty. Write your next message to the assistant, as the user.",
    "assistant_voice": (
        "You wrote like the assistant (offering help, telling the other side what to do next). "
        "You are the user who needs help: reply briefly, in your own voice."
    ),
    "solving": (
        "You worked out the task's answer yourself. You are the user: you do not write the solution, "
        "its code or its answer; say what you want, or what is wrong with the assistant's answer."
    ),
    "goal_dump": (
        "You gave away many details of your goal that the assistant did not ask about. Reveal "
        "only what it asks about, one or two details at a time, in your own words."
    ),
    "long": "Your message was too long for a user. Reply in one to three short sentences.",
    "narration": (
        "You described the conversation (what the assistant asked, what you should say) instead of "
        "talking to the assistant. Write only the words you say to it, as the user."
    ),
    "contradiction": (
        "Your message stated a detail that is not your goal's (a number, name, date or document your "
        "goal does not have), or accepted an answer that misses details of yours. Give the details "
        "exactly as your goal states them."
    ),
    "early_end": (
        "You ended the chat before the assistant could answer you: it has not given an answer yet, "
        "or you are still asking it something or giving it details of your goal. Do you mean to "
        "end? End the chat only when its answer already gives you what you want, or you give up."
    ),
}
#: The rules from the worst to the mildest: after the retries the mildest reply is used.
SEVERITY = (
    "empty",
    "assistant_voice",
    "narration",
    "solving",
    "contradiction",
    "goal_dump",
    "long",
    "early_end",
)

#: A pasted snippet is at most this many lines; longer unquoted code is a solution.
MAX_SNIPPET_LINES = 4
#: More goal facts than this, unasked, in one message is a dump (one volunteered detail is human).
MAX_UNASKED_FACTS = 2


def check(
    text: str,
    messages: Sequence[ChatMessage],
    instance: TaskInstance,
    kinds: Sequence,
    max_words: int,
    unmet: Sequence[str] | None = None,
) -> str | None:
    """The first rule that the user message ``text`` breaks, or ``None``.

    Args:
        text: The reply's message (the termination signal already checked by the caller).
        messages: The conversation so far, ending with the assistant message it answers.
        instance: The task instance (the hidden goal and its facets).
        kinds: The task's facet kinds (to see which facets the assistant asked about).
        max_words: Longest message, in words, that a user writes (quotes not counted).
        unmet: The task's verdict on the assistant's last answer (the hidden details it lacks,
            :func:`~collab_env.users.llm.protocol.unmet_by_answer`; ``None``: no answer, or not
            known): a message that accepts an answer found wrong is a contradiction. Pass it for
            a message that ends the chat: one that goes on may accept part and ask for the rest.

    Returns:
        A key of :data:`REMINDERS`, or ``None`` when the message is one a user could write.
    """
    if not text.strip() or register.FORMAT_PLACEHOLDER.fullmatch(text):
        return "empty"
    # Two views of the message: ``mine`` without what it quotes of the assistant (its register
    # is judged on it: a drifted message of its own said again drifts again), ``own`` without any
    # quote (its facts are judged on it: the story it shared in its opening is quoted, not told).
    theirs = [m for m in messages if m["role"] == "assistant"]
    # A question asked back verbatim is the assistant's voice, not a quote: the echo is judged
    # before quotes are stripped, but for what the user marks as quoted (a fence, a "> " line,
    # the line after "...:"), as when asking to change a line of the draft.
    if echoes_question(re.sub(r"(?m)^>.*$|(?<=:)[ \t]*\n.*$", "", register.FENCE.sub("", text)), messages):
        return "assistant_voice"
    mine, own = unquoted(text, theirs), unquoted(text, messages)
    if not mine.strip() or (mine != text.strip() and register.GREETING.match(mine)):
        if not picks_option(text, theirs):
            return "solving"  # the assistant's words pasted back as the user's, at most a greeting retyped
    if register.VOICE.search(mine):
        return "assistant_voice"
    if register.NARRATION.search(mine):
        return "narration"
    if solves(mine):
        return "solving"
    rule = ending_rule(text, messages, instance, unmet)
    if rule:
        return rule
    if len(unasked_facts(own, messages, instance, kinds)) > MAX_UNASKED_FACTS:
        return "goal_dump"
    if len(own.split()) > max_words:
        return "long"
    return None


def ending_rule(
    text: str, messages: Sequence[ChatMessage], instance: TaskInstance, unmet: Sequence[str] | None = None
) -> str | None:
    """The rule ``text`` breaks by its facts, which holds wherever the message stands, the one
    that ends the chat included: ``solving`` when it works out the task's answer (a worked
    solution, the reference answer or a function's output the user computed itself:
    :mod:`~collab_env.users.llm.facts`), ``contradiction`` when it states what the goal or the
    conversation contradicts (:func:`contradicted`, a document the goal is not, or an answer
    accepted that the task's verdict ``unmet`` finds wrong); else ``None``.

    >>> from collab_env.types import TaskInstance
    >>> goal = TaskInstance("t", "math", "", (), None, "How much will I pay?")
    >>> ending_rule("That's correct! Thanks.", [], goal, ["price"]), ending_rule("Thanks!", [], goal, ["price"])
    ('contradiction', None)
    """
    theirs = [m for m in messages if m["role"] == "assistant"]
    mine, own = unquoted(text, theirs), unquoted(text, messages)
    if facts.worked(mine) or facts.states_answer(mine, messages, instance):
        return "solving"
    # Asked which reading it means, a QA user's answer is judged with the passage's words it
    # repeats: "Anna went to the market." picks the wrong cousin however much of the story it copies.
    which = theirs and asks_which(theirs[-1]["content"], instance)
    if (
        contradicted(own, messages, instance)
        or (which and wrong_reading(mine, messages, instance))
        or facts.foreign_documents(own, messages, instance)
        or facts.affirms_wrong(mine, unmet)
    ):
        return "contradiction"
    return None


def unquoted(text: str, messages: Sequence[ChatMessage]) -> str:
    """``text`` without what it quotes from the conversation (fenced blocks or lines said before).

    >>> said = [{"role": "assistant", "content": "def f(x):\\n    return 2 * x"}]
    >>> unquoted("Change this:\\n```python\\ndef f(x):\\n    return 2 * x\\n```\\nto triple it", said)
    'Change this:\\n\\nto triple it'
    """
    earlier = _normal("\n".join(m["content"] for m in messages))

    def drop_quoted(match: re.Match) -> str:
        body = _normal(match.group(1))
        return "" if body and body in earlier else match.group(0)

    text = register.FENCE.sub(drop_quoted, text)
    lines = [line for line in text.split("\n") if not _quoted_line(line, earlier)]
    # A sentence the assistant said is quoted too (a model joins the draft's lines into one, or
    # drops a comma): compared by its words alone.
    theirs = _bare("\n".join(m["content"] for m in messages if m["role"] == "assistant"))
    kept = [" ".join(s for s in sentences(line) if not _quoted_sentence(s, theirs)) for line in lines]
    return "\n".join(kept).strip()


def picks_option(text: str, messages: Sequence[ChatMessage]) -> bool:
    """Whether ``text`` answers the assistant's last question with words of one of its options.

    >>> said = [{"role": "assistant", "content": "Do you mean the one that starts with 's' or with 't'?"}]
    >>> picks_option('The one that starts with "s".', said), picks_option("Or with 't'?", said)
    (True, False)
    """
    last = next((m["content"] for m in reversed(messages) if m["role"] == "assistant"), "")
    body = _bare(text)
    return bool(body) and not text.rstrip().endswith("?") and any(body in _bare(q) for q in questions(last))


def echoes_question(text: str, messages: Sequence[ChatMessage]) -> bool:
    """Whether ``text`` asks one of the assistant's questions back as its own (a model that
    slips into the assistant's role: asked "Who is the audience?", it asks "Who is the audience?").

    >>> said = [{"role": "assistant", "content": "Quick question: Who is the audience?"}]
    >>> echoes_question("Sure! Who is the audience?", said), echoes_question("The audience? Kids.", said)
    (True, False)
    """
    last = [m["content"] for m in messages if m["role"] == "assistant"]
    theirs = _normal("\n".join(last))
    if any(len(q.split()) >= 3 and _normal(q) in theirs for q in questions(text)):
        return True
    # The assistant's lead-in to its question, retyped to open the user's own ("Before I start,
    # a quick question: What is the length?").
    leads = {_normal(lead) for m in last[-1:] for lead in _LEAD.findall(m)}
    return any(_normal(lead) in leads for lead in _LEAD.findall(text))


def solves(text: str) -> bool:
    """Whether a user message writes the solution itself: a worked solution (a boxed answer, more
    than :data:`~collab_env.users.llm.facts.MAX_STEPS` steps of arithmetic; a step or two is a
    person's own working), code that is more than a pasted snippet (a function definition, or a
    long unquoted block), or a document with a template's placeholder ("Dear [Recipient]"), a
    letter's salutation or sign-off line, or sales copy addressed to its readers ("Welcome to
    our desk chair!"). The task's answer stated is judged against the instance
    (:func:`ending_rule`).

    >>> solves("So 40 * 0.9 = 36, plus tax"), solves("40 * 0.9 = 36, 36 * 1.08 = 38.88, 50 - 38.88 = 11.12")
    (False, True)
    >>> solves("I get this error:\\n```\\nKeyError: 'a'\\n```"), solves("```\\ndef f(a):\\n    return a\\n```")
    (False, True)
    """
    if facts.worked(text):
        return True
    for block in register.FENCE.findall(text):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        if len(lines) > MAX_SNIPPET_LINES or register.DEFINITION.search(block):
            return True
    return bool(
        register.DEFINITION.search(text)
        or register.PLACEHOLDER.search(text)
        or register.DELIVERABLE.search(text)
    )


def unasked_facts(
    text: str, messages: Sequence[ChatMessage], instance: TaskInstance, kinds: Sequence
) -> list[str]:
    """Hidden facets that ``text`` states for the first time although the last assistant message
    did not ask about them (by the facets' keywords, as the scripted user matches questions; a
    sentence that asks without a "?", "Please list every detail: audience, tone", asks too).
    """
    said = _normal("\n".join(m["content"] for m in messages))
    asked = asked_facets(messages, instance, kinds)
    mine, found, values = _normal(text), [], set()
    for f in instance.hidden_facets:  # two facets of one value ("$2 each" for both) are one fact said
        if (
            f.name not in asked
            and _states(mine, f, instance)
            and not _states(said, f, instance)
            and f.value not in values
        ):
            found.append(f.name)
            values.add(f.value)
    return found


def asked_facets(messages: Sequence[ChatMessage], instance: TaskInstance, kinds: Sequence) -> list[str]:
    """The facets the last assistant message asks about (a question, or a sentence that asks)."""
    last = next((m["content"] for m in reversed(messages) if m["role"] == "assistant"), "")
    asking = [*questions(last), *(s for s in sentences(last) if register.REQUEST.search(s))]
    found = (f.name for q in asking for f in match_facets(q, instance.facets, kinds))
    return list(dict.fromkeys(found))


def _quoted_line(line: str, earlier: str) -> bool:
    body = _normal(line.lstrip("> "))
    return len(body.split()) >= 6 and body in earlier


def _quoted_sentence(sentence: str, theirs: str) -> bool:
    body = _bare(sentence)
    return len(body.split()) >= 6 and f" {body} " in f" {theirs} "


_LEAD = re.compile(
    r"(?:^|(?<=[.!?]\s))([^.!?:\n]{12,60}:)(?=\s)", re.M
)  # "Before I start, a quick question:"


def repair(
    text: str,
    messages: Sequence[ChatMessage],
    instance: TaskInstance,
    kinds: Sequence,
    max_words: int,
    unmet: Sequence[str] | None = None,
) -> str:
    """``text`` without its sentences that break a rule worse than a dump or a long message
    (the assistant's voice, narration, solving, a contradicted detail, an answer accepted that
    the task's verdict ``unmet`` finds wrong); ``""`` when none is left.

    >>> repair("Thanks. The assistant asked about the price. I will write the function now.", [], None, (), 120)
    'Thanks.'
    """
    kept = []
    for sentence in sentences(text):
        if instance is None:
            rule = (
                "narration"
                if register.NARRATION.search(sentence)
                else "assistant_voice"
                if register.VOICE.search(sentence)
                else None
            )
        else:
            rule = check(sentence, messages, instance, kinds, max_words, unmet)
        if rule in (None, "goal_dump", "long"):
            kept.append(sentence)
    return " ".join(kept)


__all__ = [
    "MAX_SNIPPET_LINES",
    "MAX_UNASKED_FACTS",
    "REMINDERS",
    "SEVERITY",
    "asked_facets",
    "asks_which",
    "check",
    "contradicted",
    "echoes_question",
    "ending_rule",
    "picks_option",
    "repair",
    "sentences",
    "solves",
    "states",
    "unasked_facts",
    "unquoted",
    "wrong_reading",
]
