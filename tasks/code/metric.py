"""Code metric: which hidden unit tests a solution passes, all run in one sandbox call.

A small harness script loads the solution, runs each test in its own ``try``/``except`` with a
CPU-time budget and twice that in wall-clock time, and writes one result line (a dict literal; ``json`` and ``signal`` are not
imported, as they would add ``re`` and ``enum`` to every run's start-up). It guards against the cheap ways to fake a pass:
test values are compared with :data:`HELPERS`' ``_same``, which demands the same built-in types
(an object whose ``__eq__`` always says yes fails); the tests see the built-ins as they were
before the solution ran (patching ``builtins`` does not reach them); the solution's output goes
to ``/dev/null`` while the result line goes to a private copy of stdout, prefixed by a random
nonce; and the script deletes itself before the solution runs. Code that deliberately digs
through the harness's memory could still forge its result; that would need the tests to run in a
process the solution cannot touch, which costs a second interpreter per run.

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

import ast
import secrets
from collections.abc import Sequence

from collab_env.errors import SandboxError
from collab_env.sandbox import SandboxResult, run_python

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

_HARNESS = """
import _signal, builtins as _builtins, os as _os
_out = _os.dup(1)
_os.dup2(_os.open(_os.devnull, _os.O_WRONLY), 1)
_os.remove(__file__)
__HELPERS__
_helpers, _clean_builtins = _make_helpers(), dict(vars(_builtins))
_per_test_s, _nonce, _tests = __PER_TEST_S__, __NONCE__, __TESTS__


class _OverBudget(BaseException):
    pass


class _Blocked(BaseException):
    pass


def _on_budget(signum, frame):
    raise _OverBudget(f"used more than {_per_test_s:.2g} s of CPU time")


def _sched():
    try:
        with open("/proc/self/schedstat") as handle:
            return [int(x) for x in handle.read().split()[:2]]  # ns on the CPU, ns waiting for it
    except (OSError, ValueError):
        return None


def _on_wall(signum, frame):
    # Blocked (asleep, waiting on I/O) for most of the window: the code's doing. Otherwise it ran
    # or waited for a CPU: the CPU budget decides, and a starved host meets the sandbox's limit.
    now, wall_ns = _sched(), 2 * _per_test_s * 1e9
    if now is not None and _started[0] is not None:
        if wall_ns - (now[0] - _started[0][0]) - (now[1] - _started[0][1]) > wall_ns / 2:
            raise _Blocked(f"blocked for more than {_per_test_s:.2g} s of wall-clock time")
    _started[0] = now
    _signal.setitimer(_signal.ITIMER_REAL, 2 * _per_test_s)


def _run(source, filename, namespace):
    _started[0] = _sched()
    _signal.setitimer(_signal.ITIMER_PROF, _per_test_s)
    _signal.setitimer(_signal.ITIMER_REAL, 2 * _per_test_s)
    try:
        exec(compile(source, filename, "exec"), namespace)
    finally:
        _signal.setitimer(_signal.ITIMER_PROF, 0)
        _signal.setitimer(_signal.ITIMER_REAL, 0)


_signal.signal(_signal.SIGPROF, _on_budget)
_signal.signal(_signal.SIGALRM, _on_wall)
_namespace, _results, _started = {"__name__": "solution"}, {}, [None]
try:
    _run(__SOLUTION__, "solution.py", _namespace)
    _loaded = None
except BaseException as _exc:
    _loaded = type(_exc).__name__ + ": " + str(_exc)[:200]
for _name, _test in _tests:
    try:
        if _loaded is not None:
            raise RuntimeError("the solution failed to load: " + _loaded)
        _run(_test, "test_" + _name + ".py", {**_namespace, **_helpers, "__builtins__": dict(_clean_builtins)})
        _results[_name] = None
    except _Blocked as _exc:
        _results[_name] = "Blocked: " + str(_exc)
        _loaded = "it blocked in an earlier test"
    except BaseException as _exc:
        _results[_name] = (type(_exc).__name__ + ": " + str(_exc))[:300]
_os.write(_out, ("\\n" + _nonce + repr(_results) + "\\n").encode())
_os._exit(0)
"""


def harness(solution: str, tests: Sequence[tuple[str, str]], per_test_s: float, nonce: str) -> str:
    """The script that runs ``tests`` against ``solution`` and prints ``nonce`` + JSON results.

    Args:
        solution: The candidate's source (untrusted).
        tests: ``(name, source)`` pairs.
        per_test_s: CPU-time budget of each test (and of loading the solution), in seconds.
        nonce: Random prefix of the result line.

    Returns:
        Python source for :func:`collab_env.sandbox.run_python`.
    """
    script = _HARNESS.replace("__HELPERS__", HELPERS).replace("__PER_TEST_S__", repr(float(per_test_s)))
    script = script.replace("__NONCE__", repr(nonce)).replace("__TESTS__", repr([tuple(t) for t in tests]))
    return script.replace("__SOLUTION__", repr(solution))  # last: the solution's text is not scanned


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
    nonce = f"__collab_results_{secrets.token_hex(8)}__"
    script = harness(solution, tests, timeout_s / (len(tests) + 2), nonce)
    result = run_python(script, timeout_s=timeout_s)
    line = next((ln for ln in reversed(result.stdout.splitlines()) if ln.startswith(nonce)), None)
    if line is not None:
        return ast.literal_eval(line[len(nonce) :])  # written by the harness: a dict of str/None
    raise_if_host_stalled(result, "the test run")
    return {name: f"the test run {result.stop_reason()}: {result.stderr[-200:]}" for name, _ in tests}


def raise_if_host_stalled(result: SandboxResult, what: str) -> None:
    """Refuse to score a run that the wall clock stopped while the host kept it from running.

    Args:
        result: The sandbox's report of the run.
        what: What ran, for the message (``"the test run"``).

    Raises:
        SandboxError: if ``result.host_stalled``: the outcome is lost, not a failure.
    """
    if result.host_stalled:
        raise SandboxError(f"{what} {result.stop_reason()}, so it is not scored; rerun it")


def pass_rate(results: dict[str, str | None]) -> float:
    """Share of tests that passed, in [0, 1] (0 for no tests).

    >>> pass_rate({"a": None, "b": "AssertionError: "})
    0.5
    """
    return sum(v is None for v in results.values()) / len(results) if results else 0.0
