"""Parsing Python from many threads: every parse in the library goes through one lock.

CPython 3.11 before 3.11.8 can fail two concurrent ``ast.parse`` calls with ``SystemError: AST
constructor recursion depth mismatch`` (gh-106905); CI met it while scoring BigCodeBench tasks in a
thread pool. The race is rare, so besides running parses concurrently the test checks the source:
no library module calls ``ast.parse`` / ``ast.literal_eval`` / ``compile(..., PyCF_ONLY_AST)``
directly.
"""

from __future__ import annotations

import ast
import concurrent.futures
import re
from pathlib import Path

from collab_env import pyast

ROOT = Path(__file__).resolve().parents[1]
DIRECT = re.compile(r"\bast\.(?:parse|literal_eval)\(|PyCF_ONLY_AST")


def test_no_library_module_parses_outside_the_lock():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("collab_env", "tasks", "agents")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "pyast.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if DIRECT.search(line)
    ]
    assert offenders == [], "parse through collab_env.pyast: " + ", ".join(offenders)


def test_parses_from_threads_at_different_depths_all_succeed():
    source = "\n".join(f"def f{i}(x):\n    return " + "(" * 30 + "x" + ")" * 30 for i in range(50))

    def at_depth(n: int) -> int:
        return at_depth(n - 1) if n else len(pyast.parse(source).body)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert list(pool.map(at_depth, [i % 9 for i in range(64)])) == [50] * 64
    assert pyast.literal_eval("{'passed': None}") == {"passed": None}
    assert isinstance(pyast.parse("x = 1").body[0], ast.Assign)
