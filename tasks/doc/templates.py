"""The doc family's public templates: document types, facet values and how they render.

Both the generator (to render the user's target) and the drafter (to render a draft from what
the conversation revealed) use these, as a writer and a reader of the same house style would.
"""

from __future__ import annotations

DOC_TYPES = {
    "announcement": (
        "an announcement",
        ("our team offsite", "the new office opening", "the spring hackathon", "the library renovation"),
    ),
    "invitation": (
        "an invitation",
        ("a retirement party", "the annual picnic", "a charity dinner", "a book club launch"),
    ),
    "product description": (
        "a product description",
        ("our new travel mug", "a solar garden lamp", "the ergonomic desk chair", "a recycled notebook"),
    ),
    "newsletter intro": (
        "a newsletter intro",
        (
            "the volunteer programme",
            "this month's community news",
            "the school science fair",
            "our recycling drive",
        ),
    ),
    "cover letter": (
        "a cover letter",
        ("a junior data analyst role", "a museum guide position", "a barista job", "a lab technician post"),
    ),
}
AUDIENCES = (
    "the engineering team",
    "our volunteers",
    "new customers",
    "parents of our students",
    "the hiring manager",
    "local residents",
    "club members",
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
DATES = (
    "Friday, March 14",
    "Monday, June 2",
    "Saturday, September 20",
    "Thursday, November 6",
    "Wednesday, April 23",
)
DETAILS = (
    "lunch will be provided",
    "parking is free on site",
    "it is made from recycled materials",
    "the first hundred people get a gift",
    "there will be live music",
    "it comes with a two-year warranty",
    "I have three years of relevant experience",
    "children are welcome",
)
ACTIONS = (
    "reply by Wednesday to confirm",
    "sign up on the team page",
    "order online before stock runs out",
    "bring a friend along",
    "call me to arrange an interview",
    "share this with your neighbours",
)
SENDERS = (
    "Maria Lopez",
    "Tom Becker",
    "Priya Nair",
    "the Events Committee",
    "Sam Okafor",
    "the Marketing Team",
)
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


def render(doc_type: str, topic: str, values: dict[str, str], variant: int = 0) -> str:
    """Render a document of ``doc_type`` about ``topic`` from facet values (defaults for the rest)."""
    v = {**DEFAULTS, **values}
    greeting, intro, closing = TONES.get(v["tone"], TONES["friendly"])
    what = DOC_TYPES.get(doc_type, ("a note", ()))[0]
    lines = [
        greeting.format(audience=v["audience"]),
        "",
        _with_prefix(INTRO_VARIANTS[variant], intro.format(what=what, topic=topic)),
        f"It takes place on {v['date']}, and please note that {v['detail']}.",
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
