"""Persona and preference profiles for the LLM user, with a train/test split.

A profile gives the simulated person a knowledge background and a few personal preferences, as
the reference simulator's guidance asks (CollabLLM: "Knowledge Background", "Mention Personal
Preferences"). The profiles ship in ``profiles.jsonl`` next to this module, built by
``benchmarks/data/build_user_profiles.py`` from SimulatorArena's user profiles (Dou et al.,
2025; MIT, Microsoft Corporation): the preferences the people of its document-creation study
stated (how much detail, structure, examples, wording: never a competitor of a hidden goal's
facets), and the knowledge state of its math-tutoring students (``little``, ``some``,
``good``). One profile in five is held out for the ``test`` split.

>>> train, test = load_profiles("train"), load_profiles("test")
>>> len(train) > len(test) > 0, {p.id for p in train}.isdisjoint(p.id for p in test)
(True, True)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from collab_env.errors import ConfigError

PROFILES_FILE = Path(__file__).with_name("profiles.jsonl")
SPLITS = ("train", "test")
#: What each knowledge background tells the model (the reference's "Knowledge Background").
KNOWLEDGE = {
    "little": (
        "You know little about this kind of task: you may not notice when the assistant gets a "
        "detail wrong, and you ask simple questions."
    ),
    "some": "You know a fair amount about this kind of task, but not every term the assistant uses.",
    "good": "You know this kind of task well and notice when the assistant gets something wrong.",
}


@dataclass(frozen=True)
class Profile:
    """One simulated person.

    Attributes:
        id: Stable identifier (``simarena-<hash>``), recorded in every episode's ``info``.
        split: ``"train"`` or ``"test"``.
        knowledge: ``"little"``, ``"some"`` or ``"good"``.
        preferences: Personal preferences in the second person ("You prefer short paragraphs.").
    """

    id: str
    split: str
    knowledge: str
    preferences: tuple[str, ...]

    def describe(self) -> str:
        """The profile as the lines of the LLM user's prompt."""
        prefs = " ".join(self.preferences)
        return f"{KNOWLEDGE[self.knowledge]} Your personal preferences (your goal comes first): {prefs}"


@functools.cache
def load_profiles(split: str) -> tuple[Profile, ...]:
    """The profiles of ``split``, in file order.

    Raises:
        ConfigError: for a split other than ``train`` and ``test``.
    """
    if split not in SPLITS:
        raise ConfigError(f"profile split must be one of {SPLITS}, got {split!r}")
    rows = [json.loads(line) for line in PROFILES_FILE.read_text().splitlines() if line.strip()]
    return tuple(
        Profile(r["id"], r["split"], r["knowledge"], tuple(r["preferences"]))
        for r in rows
        if r["split"] == split
    )


def draw_profile(rng: np.random.Generator, split: str) -> Profile:
    """One profile of ``split``, drawn from ``rng`` (the episode's user generator)."""
    profiles = load_profiles(split)
    return profiles[int(rng.integers(len(profiles)))]


__all__ = ["KNOWLEDGE", "PROFILES_FILE", "SPLITS", "Profile", "draw_profile", "load_profiles"]
