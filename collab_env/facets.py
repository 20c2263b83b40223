"""Reading an assistant message: which sentences are questions, and which facets they ask about.

The scripted user reads questions and facets (to decide what to reveal); the engagement heuristic
reads only questions and the words of the user's replies, never the facets. Matching is
by keyword stems: lower-cased words with plural and verb endings stripped, so that "Who are the
readers?" matches the keyword ``reader`` and "What tone?" matches ``tone``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from collab_env.types import ChatMessage, Facet, FacetKind

#: Questions beyond this many in one message are not credited by the reward (and count as
#: redundant), and the scripted user answers at most this many: one rule that both follow.
MAX_CREDITED_QUESTIONS = 3

#: General English function words and the words of small talk (greetings, thanks, hedges, "no
#: idea", "up to you"): they carry no information about any task. Written from general English,
#: not from any simulator's phrases.
FUNCTION_WORDS = (
    "a about above after again against all also am an and any anyone anything are aren't as at be because "
    "been before being below between both but by can can't cannot could couldn't did didn't do does doesn't "
    "doing don't down during each either else even ever every few for from further get gets got had hadn't "
    "has hasn't have haven't having he he's her here here's hers herself him himself his how how's i i'd "
    "i'll i'm i've if in into is isn't it it's its itself just let let's like may maybe me might mine more "
    "most much must my myself neither no nor not now of off on once one only or other ought our ours "
    "ourselves out over own per perhaps quite rather really same shall she should shouldn't so some "
    "something somewhat still such than that that's the their theirs them themselves then there there's "
    "these they they're this those though through thus to too under until up upon us very via was wasn't "
    "we we're we've were weren't what what's whatever when where which while who whoever whom whose why "
    "will with won't would wouldn't yet you you'd you'll you're you've your yours yourself yourselves "
    "yes yeah yep yup nope nah ok okay alright sure fine good great nice cool awesome perfect lovely "
    "thanks thank cheers please sorry hi hello hey bye goodbye hmm hm um uh oh ah wow lol haha tbh btw "
    "honestly actually basically literally probably definitely certainly totally absolutely exactly "
    "clue idea know knew sure unsure certain think thought guess suppose believe feel mean meant say "
    "said tell told ask asked answer question questions point thing things stuff way lot bit kind sort "
    "decide decided choose pick prefer preference preferences care matter matters whichever works work "
    "sounds sound seems seem looks look right wrong correct fine well better best worse worst want wanted "
    "need needed help helps helpful make made go going come done do try again figure mind forget forgot "
    "remember sounds see seen glad happy appreciate appreciated welcome sense check checking anywhere "
    "anyway anyhow somewhere everywhere everything nothing someone anybody stop never always once twice "
    "couple enough already start begin continue soon later today moment quick quickly fast keep use "
    "hope hoping wait"
)
#: Words of a feedback or catch-all question that ask for nothing in particular.
GENERIC_WORDS = (
    "anything else more other additional further detail details specific specifics requirement "
    "requirements constraint constraints need needs preference preferences change changes adjust "
    "adjustment adjustments tweak tweaks modify modification edit edits revise revision update "
    "improve improvement add mind had have in what this that look looks right good okay ok correct "
    "want like would you me let know should could can is are does do it any there wish expect "
    "expected satisfied happy fine work works help clarify clear question questions feedback "
    "thoughts thought idea ideas"
)


def is_catch_all(question: str) -> bool:
    """Whether a question names nothing beyond :data:`FUNCTION_WORDS` and :data:`GENERIC_WORDS`
    ("Anything else?", "Can you tell me more?"): the engagement judge's *generic* question, and
    the one the scripted user answers vaguely and loses patience at. One rule that both follow.

    >>> is_catch_all("Can you tell me more?"), is_catch_all("Which shipping carrier do you prefer?")
    (True, False)
    """
    words = stems(question.replace("\u2019", "'"))
    return not [s for s in words if s not in _CATCH_ALL and (len(s) >= 3 or s.isdigit())]


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_SIBILANT_ES = re.compile(r"(ss|x|ch|sh|z)es$")


def stem(word: str) -> str:
    """A crude, deterministic stem: lower case, plural and verb endings stripped.

    >>> [stem(w) for w in ("Readers", "oranges", "boxes", "stories", "asked", "formatting")]
    ['reader', 'orange', 'box', 'story', 'ask', 'formatt']
    """
    word = word.lower()
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if _SIBILANT_ES.search(word):
        return word[:-2]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def stems(text: str) -> list[str]:
    """The stems of the words of ``text``, in order."""
    return [stem(w) for w in _WORD.findall(text.lower())]


def contents(messages: Sequence[ChatMessage], role: str) -> list[str]:
    """The texts of ``role``'s messages, in order (what an assistant-side reader may look at).

    >>> contents([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "user")
    ['Hi']
    """
    return [m["content"] for m in messages if m["role"] == role]


def questions(text: str) -> list[str]:
    """The sentences of ``text`` that are questions (end with a question mark).

    >>> questions("Sure. Who is it for? And what tone do you want?")
    ['Who is it for?', 'And what tone do you want?']
    """
    out = []
    for chunk in _SENTENCE_END.split(text):
        chunk = chunk.strip().lstrip("-*0123456789.) ").strip()
        if chunk.endswith("?"):
            out.append(chunk)
    return out


@functools.lru_cache(maxsize=65536)
def _keyword_stems(keyword: str) -> tuple[str, ...]:
    return tuple(stems(keyword))


def mentions(text_stems: Sequence[str], keyword: str) -> bool:
    """Whether the stems contain ``keyword`` (a word or a contiguous phrase)."""
    key = _keyword_stems(keyword)
    if len(key) <= 1:
        return bool(key) and key[0] in text_stems
    n = len(key)
    return any(tuple(text_stems[i : i + n]) == key for i in range(len(text_stems) - n + 1))


_CATCH_ALL = frozenset(stems(FUNCTION_WORDS) + stems(GENERIC_WORDS))


def match_facets(question: str, facets: Iterable[Facet], kinds: Iterable[FacetKind]) -> list[Facet]:
    """The facets a question asks about, best match first.

    A facet matches when the question mentions one of its own keywords or one of its kind's
    keywords. Facets that match both come first, then those matching their own keywords, then
    those matching only their kind's; ties keep the facets' order. So "How many pens did you
    buy?" prefers the facet *pen count* (own keyword ``pen``, kind keyword ``how many``) to
    *pen price* (own keyword only).
    """
    text = stems(question)
    kind_keywords = {k.name: k.keywords for k in kinds}
    ranked = []
    for position, facet in enumerate(facets):
        own = any(mentions(text, kw) for kw in facet.keywords)
        kind = any(mentions(text, kw) for kw in kind_keywords.get(facet.kind, ()))
        if own or kind:
            ranked.append((-(2 * own + kind), position, facet))
    return [facet for *_, facet in sorted(ranked, key=lambda r: r[:2])]
