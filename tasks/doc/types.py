"""Types of the doc family."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocReference:
    """What a document is compared with.

    Attributes:
        target: The document the user has in mind (rendered from every facet).
        markers: (facet name, phrase, must be present) for each facet: how to tell it is met.
    """

    target: str
    markers: tuple[tuple[str, str, bool], ...]
