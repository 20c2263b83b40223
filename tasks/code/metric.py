"""Code metric: which hidden unit tests a solution passes, all run in one sandbox call.

The tests run in the shared harness (:mod:`collab_env.tasks.code.harness`, which says what it
guards against: a solution cannot reach the harness, its built-ins or its result line by name).
Test values are compared with :data:`HELPERS`' ``_same``, which demands the same built-in types
(an object whose ``__eq__`` always says yes fails).

Time is judged by who used it. A test over its CPU budget fails. One that spends most of a
wall-clock window of twice that budget neither running nor waiting for a CPU (it slept or
blocked; ``/proc/self/schedstat`` tells) fails too, and the tests after it are not run. One that
waited for a CPU gets another window: a busy host slows it but does not fail it. Code that gets
past those guards (it ignores ``SIGALRM`` and sleeps, blocks, or spins) meets the sandbox's wall
clock: every test fails, with the sandbox's measures as the reason. Only a run that the
supervisor measured the host starved or froze (``SandboxResult.host_stalled``) is lost
(``SandboxError``), never scored.
"""

from __future__ import annotations

from collections.abc import Sequence

from .harness import raise_if_host_stalled, run_harness

__all__ = ["HELPERS", "pass_rate", "raise_if_host_stalled", "run_tests"]

#: Helpers that every test may call (also used to check the family's own templates in-process).
HELPERS = '''
def _make_helpers(_type=type, _abs=abs, _len=len, _zip=zip, _all=all, _max=max, _base=BaseException):
    def same(actual, expected, exact=False):
        """Equal, with the same built-in types all the way down (numbers within 1e-9)."""
        kind = _type(expected)
        if expected is None or kind is bool:
            return actual is expected
        if kind in (int, float):
            if _type(actual) not in ((kind,) if exact else (int, float)):
                return False
            return _abs(actual - expected) <= 1e-9 * _max(1.0, _abs(expected))
        if kind is str:
            return _type(actual) is str and actual == expected
        if kind in (list, tuple):
            return (_type(actual) is kind and _len(actual) == _len(expected)
                    and _all(same(a, e, exact) for a, e in _zip(actual, expected)))
        if kind is dict:
            return (_type(actual) is dict and _len(actual) == _len(expected)
                    and _all(_type(k) in (str, int) and k in expected and same(v, expected[k], exact)
                             for k, v in actual.items()))
        return False

    def plain(value):
        """Tuples and lists to lists, recursively (for tests that ignore the container type)."""
        if _type(value) in (list, tuple):
            return [plain(v) for v in value]
        return value

    def raises(error, call):
        """Whether ``call()`` raises ``error``."""
        try:
            call()
        except error:
            return True
        except _base:
            return False
        return False

    def rejected(call):
        """Whether ``call()`` raises ValueError or returns None."""
        try:
            return call() is None
        except ValueError:
            return True

    return {"_same": same, "_plain": plain, "_raises": raises, "_rejected": rejected}
'''


def run_tests(
    solution: str, tests: Sequence[tuple[str, str]], timeout_s: float = 5.0
) -> dict[str, str | None]:
    """Run each test against ``solution`` in one sandboxed process.

    Args:
        solution: The candidate's source (untrusted).
        tests: ``(name, source)`` pairs; a test passes when it runs without raising.
        timeout_s: Wall-clock limit for the whole run, in seconds; each test (and loading the
            solution) also gets a CPU-time budget of ``timeout_s / (len(tests) + 2)``.

    Returns:
        Test name -> ``None`` if it passed, else why it failed (exception, CPU budget spent,
        blocked past its wall-clock budget, crash).

    Raises:
        SandboxError: if the sandbox itself cannot run, or the host stalled the run (the
            supervisor measured it starved of a CPU or frozen for most of its wall time): such a
            run is lost, not scored. A program that sleeps, blocks or spins past the wall clock
            fails every test instead.
    """
    per_test_s = timeout_s / (len(tests) + 2)
    results, why = run_harness(solution, tests, per_test_s=per_test_s, timeout_s=timeout_s, helpers=HELPERS)
    return results if results is not None else {name: why for name, _ in tests}


def pass_rate(results: dict[str, str | None]) -> float:
    """Share of tests that passed, in [0, 1] (0 for no tests).

    >>> pass_rate({"a": None, "b": "AssertionError: "})
    0.5
    """
    return sum(v is None for v in results.values()) / len(results) if results else 0.0
