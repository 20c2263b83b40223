"""The doc family's public templates: document types, facet values and how they render.

Both the generator (to render the user's target) and the drafter (to render a draft from what
the conversation revealed) use these, as a writer and a reader of the same house style would.
"""

from __future__ import annotations

DATES = (
    "Friday, March 14",
    "Monday, June 2",
    "Saturday, September 20",
    "Thursday, November 6",
    "Wednesday, April 23",
)
_EVENT_DETAILS = (
    "lunch will be provided",
    "parking is free on site",
    "the first hundred people get a gift",
    "there will be live music",
    "children are welcome",
)
_EVENT_ACTIONS = (
    "reply by Wednesday to confirm",
    "sign up on our website",
    "bring a friend along",
    "share this with your neighbours",
)
_PEOPLE = ("Maria Lopez", "Tom Becker", "Priya Nair", "Sam Okafor")
_EVENTS = {
    "date": DATES,
    "detail": _EVENT_DETAILS,
    "action": _EVENT_ACTIONS,
    "sender": (*_PEOPLE, "the Events Committee"),
}

#: The compatibility table: per document type, its phrase, its topics with the audiences that fit
#: each topic, and the values of each facet kind that fit the type. A kind a type leaves out does
#: not apply to it (a product description or a cover letter has no event date). The generator
#: draws only from here, so an instance's facets belong together by construction. Tone and length
#: fit every type (``TONES``, ``LENGTHS``).
COMPATIBLE: dict[str, dict] = {
    "announcement": {
        "what": "an announcement",
        "topics": {
            "our team offsite": ("the engineering team", "the whole staff"),
            "the new office opening": ("the whole staff", "local residents"),
            "the spring hackathon": ("the engineering team", "club members"),
            "the library reopening": ("local residents", "club members", "parents of our students"),
        },
        **_EVENTS,
    },
    "invitation": {
        "what": "an invitation",
        "topics": {
            "a retirement party": ("the whole staff", "the engineering team", "club members"),
            "the annual picnic": (
                "our volunteers",
                "club members",
                "parents of our students",
                "local residents",
            ),
            "a charity dinner": ("our volunteers", "local residents", "club members"),
            "a book club launch": ("club members", "local residents"),
        },
        **_EVENTS,
    },
    "product description": {
        "what": "a product description",
        "topics": dict.fromkeys(
            ("our new travel mug", "a solar garden lamp", "the ergonomic desk chair", "a recycled notebook"),
            ("new customers", "our regular customers"),
        ),
        "detail": (
            "it is made from recycled materials",
            "it comes with a two-year warranty",
            "shipping is free this month",
            "the first hundred buyers get a gift",
        ),
        "action": (
            "order online before stock runs out",
            "visit our shop to try it",
            "share this with a friend",
        ),
        "sender": ("the Marketing Team", "the Sales Team"),
    },
    "newsletter intro": {
        "what": "a newsletter intro",
        "topics": {
            "the volunteer open day": ("our volunteers", "local residents"),
            "the summer street party": ("local residents", "club members"),
            "the school science fair": ("parents of our students",),
            "our recycling drive": ("local residents", "our volunteers"),
        },
        **_EVENTS,
    },
    "cover letter": {
        "what": "a cover letter",
        "topics": dict.fromkeys(
            (
                "a junior data analyst role",
                "a museum guide position",
                "a barista job",
                "a lab technician post",
            ),
            ("the hiring manager", "the recruitment team"),
        ),
        "detail": (
            "I have three years of relevant experience",
            "I can start in two weeks",
            "I speak Spanish and English",
            "I recently finished a certificate in the field",
        ),
        "action": ("call me to arrange an interview", "reply by email to set up a call"),
        "sender": _PEOPLE,
    },
}
#: Document type -> (its phrase, its topics): the table as the drafter reads an opening.
DOC_TYPES = {doc_type: (row["what"], tuple(row["topics"])) for doc_type, row in COMPATIBLE.items()}
#: Every audience of the table.
AUDIENCES = tuple(
    dict.fromkeys(a for row in COMPATIBLE.values() for fit in row["topics"].values() for a in fit)
)
TONES = {
    "formal": ("Dear {audience},", "We are pleased to share {what} about {topic}.", "Kind regards,"),
    "friendly": ("Hi {audience}!", "Here is {what} about {topic} that we think you'll like.", "Cheers,"),
    "enthusiastic": (
        "Hello {audience}!!",
        "We are thrilled to bring you {what} about {topic}!",
        "With excitement,",
    ),
}
LENGTHS = ("short", "detailed")
EXTRA_PARAGRAPH = (
    "We have worked hard to make this a success, and your feedback over the past months has shaped every part of it. "
    "If you have questions, our team is happy to help at any time."
)
INTRO_VARIANTS = ("", "As many of you know, ")

#: Defaults a drafter uses for facets it does not know.
DEFAULTS = {
    "audience": "everyone",
    "tone": "friendly",
    "length": "short",
    "date": "soon",
    "detail": "more details will follow",
    "action": "get in touch with any questions",
    "sender": "the team",
}


def kinds(doc_type: str) -> tuple[str, ...]:
    """The facet kinds that apply to ``doc_type``, in the family's order (all of them for a type
    the table does not know).

    >>> kinds("cover letter")
    ('audience', 'tone', 'length', 'detail', 'action', 'sender')
    """
    row = COMPATIBLE.get(doc_type)
    return tuple(k for k in DEFAULTS if row is None or k in ("audience", "tone", "length") or k in row)


def render(doc_type: str, topic: str, values: dict[str, str], variant: int = 0) -> str:
    """Render a document of ``doc_type`` about ``topic`` from facet values (defaults for the rest)."""
    v = {**DEFAULTS, **values}
    greeting, intro, closing = TONES.get(v["tone"], TONES["friendly"])
    what = DOC_TYPES.get(doc_type, ("a note", ()))[0]
    when = f"It takes place on {v['date']}, and please note" if "date" in kinds(doc_type) else "Please note"
    lines = [
        greeting.format(audience=v["audience"]),
        "",
        _with_prefix(INTRO_VARIANTS[variant], intro.format(what=what, topic=topic)),
        f"{when} that {v['detail']}.",
    ]
    if v["length"] == "detailed":
        lines.append(EXTRA_PARAGRAPH)
    lines += [f"We kindly ask you to {v['action']}.", "", closing, v["sender"]]
    return "\n".join(lines)


def marker(kind: str, value: str) -> tuple[str, bool]:
    """The phrase that shows a facet value is met in a document, and whether it must be present."""
    if kind == "tone":
        return TONES[value][2], True  # the closing line is the tone's most distinctive phrase
    if kind == "length":
        return EXTRA_PARAGRAPH[:40], value == "detailed"
    return value, True


def _with_prefix(prefix: str, sentence: str) -> str:
    return prefix + sentence[0].lower() + sentence[1:] if prefix else sentence
