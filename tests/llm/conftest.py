"""Fixtures of the chat-model tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest


def _at_once(n: int, call: Callable[[int], Any]) -> list[Any]:
    """``call(i)`` for i < n from n threads released together; results (or exceptions) in order."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return call(i)
        except Exception as exc:  # returned for the test to inspect
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def at_once() -> Callable[[int, Callable[[int], Any]], list[Any]]:
    """Run calls from many threads at once (see ``_at_once``)."""
    return _at_once
