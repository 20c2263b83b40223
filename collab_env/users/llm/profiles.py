"""Persona and preference profiles for the LLM user, per task family, with a train/test split.

A profile gives the simulated person a knowledge background and, where a study of people fits
the task family, a little more about them, as the reference simulator's guidance asks
(CollabLLM: "Knowledge Background", "Mention Personal Preferences"). Each profile names the task
families it fits (``families``), and an episode draws only from those that fit its instance's
family. The profiles ship in ``profiles.jsonl`` next to this module, built by
``benchmarks/data/build_user_profiles.py`` from SimulatorArena (Dou et al., 2025; MIT, Microsoft
Corporation):

- ``doc``: the people of its document-creation study, each with up to three preferences they
  stated (how much detail, structure, examples, wording: never a competitor of a hidden goal's
  facets) and a knowledge background (``little``, ``some``, ``good``) from its math-tutoring
  students' knowledge states.
- ``math``: the people of its math-tutoring study, each described in our own words from the
  categories they chose: how far they studied maths and why they asked the tutor.
- ``code``, ``qa`` and any family no profile names (``"*"``): a knowledge background only (that
  of a math-tutoring person), since no study of people fits them: nothing of another task leaks in.

One person in five is held out for the ``test`` split.

>>> train, test = load_profiles("train"), load_profiles("test")
>>> len(train) > len(test) > 0, {p.id for p in train}.isdisjoint(p.id for p in test)
(True, True)
>>> {p.families for p in load_profiles("test", "math")}
{('math',)}
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from collab_env.errors import ConfigError

PROFILES_FILE = Path(__file__).with_name("profiles.jsonl")
SPLITS = ("train", "test")
#: In ``families``: the profile fits a family that no profile names.
ANY_FAMILY = "*"
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
        id: Stable identifier (``simarena-<hash>``, ``math-<hash>``, ``general-<hash>``),
            recorded in every episode's ``info``.
        split: ``"train"`` or ``"test"``.
        knowledge: ``"little"``, ``"some"`` or ``"good"``.
        preferences: Personal preferences in the second person ("You prefer short paragraphs.").
        families: The task families the profile fits (``"doc"``...); ``"*"``: any family that no
            profile of the draw names.
        background: Who the person is, in the second person ("You studied maths at university.").
    """

    id: str
    split: str
    knowledge: str
    preferences: tuple[str, ...]
    families: tuple[str, ...] = (ANY_FAMILY,)
    background: tuple[str, ...] = ()

    def describe(self) -> str:
        """The profile as the lines of the LLM user's prompt."""
        parts = [KNOWLEDGE[self.knowledge], *self.background]
        if self.preferences:
            parts.append(f"Your personal preferences (your goal comes first): {' '.join(self.preferences)}")
        return " ".join(parts)


def fitting(profiles: Sequence[Profile], family: str | None) -> tuple[Profile, ...]:
    """The profiles that fit ``family``: those that name it, else those marked ``"*"`` (``None``: all)."""
    if family is None:
        return tuple(profiles)
    named = tuple(p for p in profiles if family in p.families)
    return named or tuple(p for p in profiles if ANY_FAMILY in p.families)


@functools.cache
def _split(split: str) -> tuple[Profile, ...]:
    if split not in SPLITS:
        raise ConfigError(f"profile split must be one of {SPLITS}, got {split!r}")
    rows = [json.loads(line) for line in PROFILES_FILE.read_text().splitlines() if line.strip()]
    keys = ("preferences", "families", "background")
    return tuple(
        Profile(r["id"], r["split"], r["knowledge"], *(tuple(r.get(k, ())) for k in keys))
        for r in rows
        if r["split"] == split
    )


def load_profiles(split: str, family: str | None = None) -> tuple[Profile, ...]:
    """The profiles of ``split`` that fit ``family`` (see :func:`fitting`; ``None``: all), in file order.

    Raises:
        ConfigError: for a split other than ``train`` and ``test``.
    """
    return fitting(_split(split), family)


def draw_profile(
    rng: np.random.Generator, split: str | Sequence[Profile], family: str | None = None
) -> Profile:
    """One profile of ``split`` (or of the given profiles) that fits ``family``, drawn from ``rng``.

    ``rng`` is the episode's user generator; one integer is drawn from it.

    Raises:
        ConfigError: for an unknown split, or when no profile fits ``family``.
    """
    profiles = load_profiles(split, family) if isinstance(split, str) else fitting(split, family)
    if not profiles:
        raise ConfigError(f"no profile fits task family {family!r} (a profile's families name it, or '*')")
    return profiles[int(rng.integers(len(profiles)))]


__all__ = [
    "ANY_FAMILY", "KNOWLEDGE", "PROFILES_FILE", "SPLITS", "Profile", "draw_profile", "fitting", "load_profiles",
]  # fmt: skip
