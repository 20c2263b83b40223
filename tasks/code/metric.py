"""Code metric: the share of hidden unit tests a solution passes, run in the sandbox."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence

from collab_env.sandbox import run_python

_HARNESS = """
import json as _json, os as _os
_emit, _dumps, _nonce = _os.write, _json.dumps, {nonce!r}
_results, _namespace = {{}}, {{"__name__": "solution"}}
try:
    exec(compile({solution!r}, "solution.py", "exec"), _namespace)
    _loaded = None
except BaseException as _exc:
    _loaded = repr(_exc)
for _name, _test in {tests!r}:
    try:
        if _loaded is not None:
            raise RuntimeError("the solution failed to load: " + _loaded)
        exec(compile(_test, "test_" + _name + ".py", "exec"), dict(_namespace))
        _results[_name] = None
    except BaseException as _exc:
        _results[_name] = type(_exc).__name__ + ": " + str(_exc)[:200]
_emit(1, ("\\n" + _nonce + _dumps(_results) + "\\n").encode())
_os._exit(0)
"""


def run_tests(
    solution: str, tests: Sequence[tuple[str, str]], timeout_s: float = 5.0
) -> dict[str, str | None]:
    """Run each test against ``solution`` in one sandboxed process.

    Args:
        solution: The candidate's source (untrusted).
        tests: ``(name, source)`` pairs; a test passes when it runs without raising.
        timeout_s: Wall-clock limit for the whole run.

    Returns:
        Test name -> ``None`` if it passed, else the failure (exception, timeout, crash).
    """
    nonce = f"__collab_results_{secrets.token_hex(8)}__"
    script = _HARNESS.format(nonce=nonce, solution=solution, tests=list(tests))
    result = run_python(script, timeout_s=timeout_s)
    line = next((ln for ln in reversed(result.stdout.splitlines()) if ln.startswith(nonce)), None)
    if line is not None:
        return json.loads(line[len(nonce) :])
    why = "timed out" if result.timed_out else f"exited with {result.returncode}: {result.stderr[-200:]}"
    return {name: f"the test run {why}" for name, _ in tests}


def pass_rate(results: dict[str, str | None]) -> float:
    """Share of tests that passed, in [0, 1] (0 for no tests).

    >>> pass_rate({"a": None, "b": "AssertionError: "})
    0.5
    """
    return sum(v is None for v in results.values()) / len(results) if results else 0.0
