"""Helpers for the family tests: conversations built from an instance's own statements."""

from __future__ import annotations


def opening_only(instance):
    """The conversation before the assistant's first turn."""
    return [{"role": "user", "content": instance.opening}]


def fully_informed(instance):
    """The opening, a question, and a chatty user message stating every hidden facet."""
    statements = " ".join(f.statement for f in instance.hidden_facets)
    return [
        *opening_only(instance),
        {"role": "assistant", "content": "Could you tell me more?"},
        {"role": "user", "content": f"Oh right, I forgot to say. {statements} Does that make sense?"},
    ]
