"""Generated passages with an ambiguous question (two people fit the pronoun)."""

from __future__ import annotations

import re

import numpy as np

from collab_env.types import Facet, TaskInstance

from .types import QAReference

NAMES = {
    "she": ("Anna", "Beth", "Clara", "Dana", "Elena", "Fiona", "Grace", "Hana", "Iris", "Julia"),
    "he": ("Adam", "Ben", "Carlos", "David", "Emil", "Felix", "George", "Hugo", "Ivan", "Jonas"),
}
# place -> (verb phrase, objects)
PLACES = {
    "market": ("bought", ("apples", "fresh bread", "a basket of plums", "goat cheese")),
    "library": ("borrowed", ("a mystery novel", "a cookbook", "an atlas", "a poetry collection")),
    "hardware store": ("bought", ("a hammer", "a can of paint", "garden gloves", "a ladder")),
    "museum": ("photographed", ("a dinosaur skeleton", "an old map", "a bronze statue", "a silk kimono")),
    "harbour": ("watched", ("the ferries", "a sailing race", "the fishing boats", "a cargo ship")),
    "bakery": ("ordered", ("a birthday cake", "cinnamon rolls", "a rye loaf", "lemon tarts")),
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RELATIONS = ("two cousins", "two neighbours", "two old friends", "two colleagues", "two siblings")
SETTINGS = ("a small coastal town", "a busy city", "a quiet village", "a university town")
FILLERS = (
    "The weather had been mild all week.",
    "Both of them like to plan their errands carefully.",
    "Neither of them owns a car, so they walk everywhere.",
    "The town was preparing for its summer festival.",
    "They often compare notes about their week over dinner.",
)
# question kind -> the ambiguous question
KIND_QUESTIONS = {
    "place": "Where did {pronoun} go?",
    "day": "When did {pronoun} go?",
    "object": "What did {pronoun} get?",
}


def make_instance(rng: np.random.Generator, task_id: str) -> TaskInstance:
    """One passage about two people of the same pronoun and a question that fits both."""
    pronoun = str(rng.choice(list(NAMES)))
    people = [str(n) for n in rng.choice(NAMES[pronoun], size=2, replace=False)]
    places = [str(p) for p in rng.choice(list(PLACES), size=2, replace=False)]
    days = [str(d) for d in rng.choice(DAYS, size=2, replace=False)]
    objects = [str(rng.choice(PLACES[p][1])) for p in places]
    events = [
        f"On {day}, {name} went to the {place} and {PLACES[place][0]} {obj}."
        for name, place, day, obj in zip(people, places, days, objects, strict=True)
    ]
    intro = f"{people[0]} and {people[1]} are {rng.choice(RELATIONS)} who live in {rng.choice(SETTINGS)}."
    filler = [str(f) for f in rng.choice(FILLERS, size=2, replace=False)]
    passage = " ".join([intro, filler[0], events[0], filler[1], events[1]])
    kind = str(rng.choice(list(KIND_QUESTIONS)))
    question = KIND_QUESTIONS[kind].format(pronoun=pronoun)
    answers = {"place": [f"the {p}" for p in places], "day": days, "object": objects}[kind]
    pick = int(rng.integers(2))
    intended = people[pick]
    facet = Facet(
        name="reading",
        kind="reading",
        value=intended,
        statement=f"I mean {intended}.",
        keywords=tuple(people),
    )
    opening = f"{passage}\n\nQuestion: {question}"
    reference = QAReference(answers[pick], (answers[1 - pick],), tuple(people), intended)
    named = re.sub(rf"\b{pronoun}\b", intended, question, count=1)  # "When did he go?": not "WIvann"
    request = f"{passage}\n\nQuestion: {named} (I mean {intended}.)"
    return TaskInstance(task_id, "qa", opening, (facet,), reference, request, {"question_kind": kind})
