"""Answer comparisons that cannot stall their caller: the risky ones run in a worker process.

math-verify hands an answer to sympy, which evaluates it eagerly: ``(10^{10})!`` or
``9^{9^{9^{9}}}`` in a ``\\boxed{}`` never returns, and math-verify's own timeout (``signal.alarm``)
works only in the main thread and cannot interrupt a computation inside C (a big integer power).
An env stepped in a worker thread of the server would lose that thread for good. So an answer
that can only be arithmetic on small literals (:func:`is_plain`: short, shallow, no powers
beyond a small literal or a letter, no factorials, sums or products) is compared in the
calling thread, and every other one in a child process with a hard deadline: past it the child
is killed (a fresh one starts on the next call) and the answer counts as not equivalent, the
failure of whoever wrote it.

Hand-written rather than a ``concurrent.futures`` pool: a pool cannot kill the one worker
that overran, and a stuck worker would hold its slot for good.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

#: Seconds a comparison may take in the worker before the worker is killed.
DEADLINE_S = 5.0
#: Seconds the worker may take to start (it imports sympy and math-verify).
START_S = 60.0
#: What an answer compared in the calling thread may hold: literals, letters, the usual commands,
#: arithmetic; powers only of a literal of at most two digits or of one letter.
_PLAIN = re.compile(r"(?:[^!^]|\^(?:\{-?\d{1,2}\}|\{[a-zA-Z]\}|[\da-zA-Z]))*")
_RISKY_COMMANDS = re.compile(r"\\(?:binom|choose|prod|sum|int|lim|operatorname|mathrm\{lcm|mathrm\{gcd)")
_MAX_PLAIN_CHARS, _MAX_DEPTH = 200, 8


def is_plain(answer: str) -> bool:
    r"""Whether ``answer`` can only be cheap arithmetic (compared in the calling thread).

    >>> is_plain(r"\frac{13}{2}"), is_plain(r"2\sqrt{3} + x^2"), is_plain(r"(10^{10})!"), is_plain(r"9^{9^{9}}")
    (True, True, False, False)
    """
    if len(answer) > _MAX_PLAIN_CHARS or _RISKY_COMMANDS.search(answer) or not _PLAIN.fullmatch(answer):
        return False
    depth = deepest = 0
    for char in answer:
        depth += (char in "({[") - (char in ")}]")
        deepest = max(deepest, depth)
    return deepest <= _MAX_DEPTH


class BoundedCall:
    """Calls ``fn(*args)`` in a child process and waits at most ``deadline_s`` for the answer.

    Args:
        fn: a module-level function (the child imports it by name).
        deadline_s: seconds per call; past it the child is killed and ``default`` returned.
        default: the result of a call that overran or whose child died.
    """

    def __init__(self, fn: Callable[..., Any], deadline_s: float = DEADLINE_S, default: Any = False) -> None:
        self.fn, self.deadline_s, self.default = fn, deadline_s, default
        self._lock = threading.Lock()  # one call at a time on the one child
        self._child: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._owner = os.getpid()  # a forked process starts its own child (it cannot use ours)

    def __call__(self, *args: Any) -> Any:
        """``fn(*args)`` computed in the child, or ``default`` when it overran the deadline."""
        with self._lock:
            conn = self._ready()
            conn.send(args)
            if conn.poll(self.deadline_s):
                try:
                    return conn.recv()
                except EOFError:
                    pass
            log.warning("an answer comparison overran %.0f s; its worker was stopped", self.deadline_s)
            self.close()
            return self.default

    def _ready(self) -> Connection:
        if self._owner != os.getpid():  # forked since: the child and the pipe are the parent's
            self._child, self._conn, self._owner = None, None, os.getpid()
        if self._child is not None and self._child.is_alive() and self._conn is not None:
            return self._conn
        self.close()
        context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        parent, child = context.Pipe()
        self._child = context.Process(target=_serve, args=(self.fn, child), daemon=True, name="math-grader")
        self._child.start()
        child.close()
        if not parent.poll(START_S) or parent.recv() != "ready":
            raise RuntimeError(f"the math grading worker did not start within {START_S:.0f} s")
        self._conn = parent
        return parent

    def close(self) -> None:
        """Stop the child, if one runs (the next call starts a fresh one)."""
        if self._child is not None and self._child.is_alive():
            self._child.kill()
            self._child.join(5)
        if self._conn is not None:
            self._conn.close()
        self._child, self._conn = None, None


def _serve(fn: Callable[..., Any], conn: Connection) -> None:
    """The child's loop: one call per message, until the pipe closes."""
    conn.send("ready")
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = fn(*args)
        except Exception:  # a comparison that raises is one that failed
            result = False
        conn.send(result)
