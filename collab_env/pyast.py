"""Thread-safe ``ast.parse`` and ``ast.literal_eval``.

CPython before 3.11.8 converts a parse tree to Python objects with a recursion counter shared by
every thread (gh-106905): two threads parsing at once can fail with ``SystemError: AST
constructor recursion depth mismatch``. The library parses in threads (a server's workers, a
thread pool that scores many tasks, the LLM user reading a batch of replies), so every parse goes
through one lock. Parsing is fast next to what runs around it; the lock costs no measurable time.

>>> literal_eval("{'a': [1, 2]}")
{'a': [1, 2]}
>>> type(parse("x = 1")).__name__
'Module'
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """``ast.parse(source)``, one thread at a time."""
    with _LOCK:
        return ast.parse(source)


def literal_eval(text: str) -> object:
    """``ast.literal_eval(text)``, one thread at a time."""
    with _LOCK:
        return ast.literal_eval(text)
