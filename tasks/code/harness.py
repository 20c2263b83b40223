"""The one harness that runs a solution's hidden tests in the sandbox, for every CollabCode task.

The built-in tasks' tests are snippets run with the helpers of
:data:`collab_env.tasks.code.metric.HELPERS`; a BigCodeBench task's test is a ``unittest`` class
``TestCases``. Either way one sandboxed program (``_harness_main.py``) loads the solution, runs
each test under a CPU-time budget, and writes one result line, ``nonce`` + a dict of test name
-> ``None`` (passed) or why it failed.

The solution runs in the same process as the tests, so the harness keeps what decides a verdict
out of its reach by name:

- the harness runs in a globals dict of its own (``import __main__`` finds nothing of it) whose
  built-ins are a copy taken before the solution ran, and it calls only functions it bound
  before then (patching ``builtins``, ``os``, ``json``, ``io``... does not reach it);
- the tests run with that copy of the built-ins; a ``unittest`` test runs on a ``unittest`` (and
  ``contextlib``, and every pure-Python module they import) loaded afresh before the solution
  and hidden from ``sys.modules``: patching ``unittest.TestCase.assertEqual``, the runner, the
  result class, ``unittest.main`` or ``sys.modules["unittest"]`` changes only the copy the
  solution sees. The harness runs each test method itself (no ``TextTestRunner``): a test passes
  when it returns ``None`` and none of its assertions failed, even one whose exception a context
  manager swallowed; of the test's own ``with`` statements only ``assertRaises``-style ones and
  ``contextlib.suppress`` may swallow an exception;
- the solution's stdout goes to ``/dev/null``; the result line goes to a private copy of stdout,
  prefixed by a random nonce that is nowhere on disk (the script deletes itself) nor in any
  module; exiting, raising ``SystemExit`` / ``KeyboardInterrupt`` or any ``BaseException``, or
  an exception whose text is a hostile ``str`` subclass fails the tests.

Not guarded: code that digs through the interpreter itself (frames, ``gc``, ``ctypes``,
``/proc/self/mem``, a thread or trace function left running) could still forge a verdict; that
would need the tests to run in a process the solution cannot touch. Nor is a returned object
whose ``__eq__`` always says yes caught in a ``unittest`` test (the built-in tests' ``_same``
demands built-in types).
"""

from __future__ import annotations

import ast
import functools
import secrets
from collections.abc import Sequence
from pathlib import Path

from collab_env import pyast
from collab_env.errors import SandboxError
from collab_env.sandbox import SandboxResult, run_python

#: The name each ``with`` of a ``unittest`` test calls on its context manager (see the module doc).
GUARD = "__collab_guard__"
#: How the harness words a test that did not run because the solution failed to load.
NOT_LOADED = "RuntimeError: the solution failed to load: "
_BOOTSTRAP = (
    "(lambda g: (exec(compile(%r, 'harness.py', 'exec'), g), g['main'](%r, __file__)))"
    "({'__builtins__': dict(vars(__import__('builtins'))), '__name__': '__collab_harness__'})\n"
)


@functools.cache
def _main_source() -> str:
    return Path(__file__).with_name("_harness_main.py").read_text()


def script(solution: str, tests: Sequence[tuple[str, str]] | str, per_test_s: float, nonce: str, helpers: str = "") -> str:  # fmt: skip
    """The program that runs ``tests`` against ``solution`` and prints ``nonce`` + the results.

    Args:
        solution: The candidate's source (untrusted).
        tests: ``(name, source)`` snippets, or the source of a ``unittest`` class ``TestCases``.
        per_test_s: CPU-time budget of each test (and of loading the solution), in seconds.
        nonce: Random prefix of the result line.
        helpers: Source defining ``_make_helpers()`` for the snippets (unused for ``unittest``).

    Returns:
        Python source for :func:`collab_env.sandbox.run_python`.
    """
    config: dict = {"nonce": nonce, "per_test_s": float(per_test_s), "solution": solution}
    if isinstance(tests, str):
        config.update(unittest=guard_with_statements(tests), preload=preload(tests))
    else:
        config.update(tests=[tuple(t) for t in tests], helpers=helpers)
    return _BOOTSTRAP % (_main_source(), config)


def run_harness(
    solution: str,
    tests: Sequence[tuple[str, str]] | str,
    *,
    per_test_s: float,
    timeout_s: float,
    helpers: str = "",
    **limits: int | bool,
) -> tuple[dict[str, str | None] | None, str]:
    """Run :func:`script` in the sandbox: (test name -> None or why it failed, or None; why not).

    Args:
        solution: The candidate's source (untrusted).
        tests: As for :func:`script`.
        per_test_s: CPU-time budget of each test, in seconds.
        timeout_s: Wall-clock limit of the whole run, in seconds.
        helpers: As for :func:`script`.
        **limits: Further keyword arguments of :func:`collab_env.sandbox.run_python`
            (``memory_mb``, ``site_packages``).

    Returns:
        The harness's results, or ``None`` with the reason when it wrote none (the program
        exited, crashed or met the wall clock first: every test failed).

    Raises:
        SandboxError: if the sandbox cannot run, or the host stalled the run (lost, not scored).
    """
    nonce = f"__collab_results_{secrets.token_hex(8)}__"
    result = run_python(script(solution, tests, per_test_s, nonce, helpers), timeout_s=timeout_s, **limits)
    line = next((ln for ln in reversed(result.stdout.splitlines()) if ln.startswith(nonce)), None)
    if line is not None:
        return pyast.literal_eval(line[len(nonce) :]), ""  # written by the harness: a dict of str/None
    raise_if_host_stalled(result, "the test run")
    return None, f"the test run {result.stop_reason()}: {result.stderr[-200:]}"


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


class _GuardWith(ast.NodeTransformer):
    def visit_With(self, node: ast.With) -> ast.With:
        self.generic_visit(node)
        for item in node.items:
            item.context_expr = ast.Call(ast.Name(GUARD, ast.Load()), [item.context_expr], [])
        return node


@functools.lru_cache(maxsize=256)
def guard_with_statements(source: str) -> str:
    """``source`` with each ``with`` statement's context manager passed through :data:`GUARD`.

    >>> guard_with_statements("with open(p) as f:\\n    pass")
    'with __collab_guard__(open(p)) as f:\\n    pass'

    Source that does not parse is returned as it is (the harness reports its ``SyntaxError``).
    """
    try:
        tree = pyast.parse(source)
    except SyntaxError:
        return source
    return ast.unparse(ast.fix_missing_locations(_GuardWith().visit(tree)))


def preload(source: str) -> tuple[str, ...]:
    """The modules a ``unittest`` test needs from the private copy loaded before the solution.

    >>> preload("from unittest.mock import patch")
    ('unittest', 'contextlib', 'unittest.mock')
    """
    names = ["unittest", "contextlib"]
    for needed, module in (("mock", "unittest.mock"), ("Logs", "unittest._log"), ("Asyncio", "unittest.async_case")):  # fmt: skip
        if needed in source:
            names.append(module)
    return tuple(names)
