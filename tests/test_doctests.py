"""Docstring examples in the library run as doctests, so they cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest


def _modules() -> list[str]:
    # tasks/ and agents/ are mapped into collab_env by setup.cfg, so walk them on their own.
    names = {"collab_env.tasks", "collab_env.agents"}
    for package in ("collab_env", "collab_env.tasks", "collab_env.agents"):
        path = importlib.import_module(package).__path__
        names |= {i.name for i in pkgutil.walk_packages(path, f"{package}.")}
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
