# ruff: noqa: S102 - running the solution and the tests, inside the sandbox, is this file's job
"""The test harness that runs inside the sandbox: standard library only, read as text, not imported.

:func:`collab_env.tasks.code.harness.script` runs this file's ``main`` in a globals dict of its
own whose built-ins are a copy taken before the solution runs, and binds no name in
``__main__``; :mod:`collab_env.tasks.code.harness` says what that guards against. Every function
and module this file calls after the solution has loaded was bound before it loaded.
"""

import _signal
import builtins as _builtins
import os as _os
import sys as _sys

_write, _exit, _dup, _dup2, _open, _remove = _os.write, _os._exit, _os.dup, _os.dup2, _os.open, _os.remove
_setitimer, _PROF, _REAL = _signal.setitimer, _signal.ITIMER_PROF, _signal.ITIMER_REAL
_CLEAN = dict(vars(_builtins))
_modules, _meta_path = _sys.modules, _sys.meta_path
_PathFinder = _sys.modules["_frozen_importlib_external"].PathFinder
#: What a test imports under these names comes from the copy loaded before the solution ran.
_PRIVATE_TOPS = ("unittest", "contextlib")
#: Modules loaded at start-up that stay shared: codecs' search path, pickling's registry, imports.
_SHARED = ("__main__", "encodings", "copyreg", "importlib", "_distutils_hack", "__editable__")


class _OverBudget(BaseException):
    pass


class _Blocked(BaseException):
    pass


def main(config, path):
    """Run the tests of ``config`` against its solution; write ``nonce`` + the results; exit."""
    out = _dup(1)
    _dup2(_open(_os.devnull, _os.O_WRONLY), 1)
    _remove(path)
    clock = _Clock(config["per_test_s"])
    run = _unittest_tests if "unittest" in config else _snippet_tests
    results = run(config, clock)
    _write(out, ("\n" + config["nonce"] + repr(results) + "\n").encode())
    _exit(0)


def _why(exc):
    """``"Name: message"`` as an exact ``str`` (a solution's exception may answer with anything)."""
    try:
        text = "".join([type(exc).__name__, ": ", str(exc)])
    except BaseException:
        text = "an exception that cannot be shown"
    return text[:300]


def _sched():
    try:
        with open("/proc/self/schedstat") as handle:
            return [int(x) for x in handle.read().split()[:2]]  # ns on the CPU, ns waiting for it
    except (OSError, ValueError):
        return None


class _Clock:
    """A CPU-time budget per call, and a wall-clock window of twice that for blocked calls."""

    def __init__(self, per_test_s):
        self.per_test_s, self.started = per_test_s, None
        _signal.signal(_signal.SIGPROF, self.on_budget)
        _signal.signal(_signal.SIGALRM, self.on_wall)

    def on_budget(self, signum, frame):
        raise _OverBudget(f"used more than {self.per_test_s:.2g} s of CPU time")

    def on_wall(self, signum, frame):
        # Blocked (asleep, waiting on I/O) for most of the window: the code's doing. Otherwise it
        # ran or waited for a CPU: the CPU budget decides, and a starved host meets the sandbox.
        now, wall_ns = _sched(), 2 * self.per_test_s * 1e9
        if now is not None and self.started is not None:
            if wall_ns - (now[0] - self.started[0]) - (now[1] - self.started[1]) > wall_ns / 2:
                raise _Blocked(f"blocked for more than {self.per_test_s:.2g} s of wall-clock time")
        self.started = now
        _setitimer(_REAL, 2 * self.per_test_s)

    def run(self, call):
        self.started = _sched()
        _setitimer(_PROF, self.per_test_s)
        _setitimer(_REAL, 2 * self.per_test_s)
        try:
            return call()
        finally:
            _setitimer(_PROF, 0)
            _setitimer(_REAL, 0)


def _load(source, namespace, clock):
    """Run the solution in ``namespace``: None, or why it failed to load."""
    try:
        clock.run(lambda: exec(compile(source, "solution.py", "exec"), namespace))
        return None
    except BaseException as exc:
        return _why(exc)


def _run_each(calls, clock, loaded):
    """``{name: None or why}`` for each ``(name, call)``; a blocked call ends the run's chances."""
    results = {}
    for name, call in calls:
        try:
            if loaded is not None:
                raise RuntimeError("the solution failed to load: " + loaded)  # harness.NOT_LOADED
            clock.run(call)
            results[name] = None
        except _Blocked as exc:
            results[name] = "Blocked: " + _why(exc)
            loaded = "it blocked in an earlier test"
        except BaseException as exc:
            results[name] = _why(exc)
    return results


def _snippet_tests(config, clock):
    """The built-in tasks: each test is a snippet run with the helpers and clean built-ins."""
    helpers = {"__builtins__": dict(_CLEAN)}
    exec(compile(config["helpers"], "helpers.py", "exec"), helpers)
    helpers = helpers["_make_helpers"]()
    namespace = {"__name__": "solution"}
    loaded = _load(config["solution"], namespace, clock)

    def call(name, source):
        scope = {**namespace, **helpers, "__builtins__": dict(_CLEAN)}
        return lambda: exec(compile(source, "test_" + name + ".py", "exec"), scope)

    return _run_each([(name, call(name, source)) for name, source in config["tests"]], clock, loaded)


def _unittest_tests(config, clock):
    """A ``unittest`` class ``TestCases``, run on a unittest loaded before the solution."""
    private, failed = _private_world(config["preload"]), []
    case = private["unittest.case"]
    _distrust_equality(case.TestCase)
    _record_failures(case.TestCase, failed)
    swallowers = (case._AssertRaisesContext, case._AssertWarnsContext, private["contextlib"].suppress)
    test_builtins = dict(_CLEAN)
    test_builtins["__import__"] = _importer(private)
    namespace = {"__name__": "solution"}
    loaded = _load(config["solution"], namespace, clock)
    scope = {**namespace, "__builtins__": test_builtins, "unittest": private["unittest"]}
    scope["__collab_guard__"] = _guard(failed, swallowers)
    try:
        clock.run(lambda: exec(compile(config["unittest"], "test.py", "exec"), scope))
        cls = scope["TestCases"]
        if not issubclass(cls, case.TestCase):
            raise TypeError("TestCases does not derive from unittest.TestCase")
        names = private["unittest.loader"].defaultTestLoader.getTestCaseNames(cls)
        if loaded is None:
            clock.run(cls.setUpClass)
    except BaseException as exc:
        return {"TestCases": _why(exc)}

    def call(name):
        return lambda: _one(cls(name), name, failed, case.SkipTest)

    results = _run_each([(name, call(name)) for name in names], clock, loaded)
    if loaded is None:
        try:
            clock.run(cls.tearDownClass)
        except BaseException as exc:
            results = dict.fromkeys(results, "tearDownClass: " + _why(exc))
    return results


def _one(test, name, failed, skip):
    """One test method, as unittest runs it; it fails on any assertion that failed, caught or not."""
    del failed[:]
    try:
        test.setUp()
        try:
            returned = getattr(test, name)()
        finally:
            test.tearDown()
        if returned is not None:
            raise TypeError("the test method returned a value, not None")
    except skip:
        pass
    finally:
        cleaned = test.doCleanups()
    if not cleaned:
        raise RuntimeError("a cleanup of the test failed")
    if failed:
        raise AssertionError(failed[0])


def _record_failures(test_case, failed):
    """Make every ``assert*`` and ``fail`` method of ``test_case`` note its failure in ``failed``."""

    def recording(method):
        def recorded(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except BaseException as exc:
                failed.append(_why(exc))
                raise

        return recorded

    for attr, method in list(vars(test_case).items()):
        if (attr.startswith("assert") or attr == "fail") and callable(method):
            setattr(test_case, attr, recording(method))


#: The assertions that ask a value whether it equals another (``in`` asks its items).
_EQUALITY = ("assertEqual", "assertNotEqual", "assertListEqual", "assertTupleEqual", "assertDictEqual",
             "assertSetEqual", "assertSequenceEqual", "assertCountEqual", "assertMultiLineEqual",
             "assertAlmostEqual", "assertNotAlmostEqual", "assertIn", "assertNotIn")  # fmt: skip
_FunctionType, _WALKED = type(lambda: 0), (list, tuple, set, frozenset)


def _distrust_equality(test_case):
    """Make the equality assertions of ``test_case`` fail on a value whose ``==`` the solution
    wrote (an object that says it equals anything): they compare only values whose classes' equality
    comes from a module's code, walking lists, tuples, sets and dicts."""

    def checked(method):
        def check(self, first, second, *args, **kwargs):
            for value in (first, second):
                why = _forged_equality(value)
                if why:
                    raise self.failureException("the solution's own equality: " + why)
            return method(self, first, second, *args, **kwargs)

        return check

    for attr in _EQUALITY:
        setattr(test_case, attr, checked(getattr(test_case, attr)))


def _forged_equality(value, limit=100_000):
    """Why ``value`` (or an item in it) compares by equality a module did not define, else ``""``."""
    stack, modules = [value], None
    while stack and limit:
        item, limit = stack.pop(), limit - 1
        kind = type(item)
        if isinstance(item, dict):
            stack.extend(dict.keys(item))
            stack.extend(dict.values(item))
        elif isinstance(item, _WALKED):
            stack.extend(list(tuple.__iter__(item) if isinstance(item, tuple) else iter(item)))
        for cls in kind.__mro__:
            for name in ("__eq__", "__ne__"):
                method = vars(cls).get(name)
                if method is None or getattr(method, "__objclass__", None) is cls:
                    continue  # none here, or the class's own built-in comparison
                if type(method) is _FunctionType:
                    modules = modules or {id(vars(m)) for n, m in list(_modules.items()) if n != "solution"
                                          and getattr(getattr(m, "__spec__", None), "origin", None)}  # fmt: skip
                    if id(method.__globals__) in modules:
                        continue
                return kind.__qualname__ + "." + name
    return ""


def _guard(failed, swallowers):
    """What each ``with`` of the test wraps its context manager in: only ``swallowers`` may
    swallow an exception (``assertRaises``, ``suppress``); any other that tries fails the test."""

    class Guarded:
        __slots__ = ("cm",)

        def __init__(self, cm):
            self.cm = cm

        def __enter__(self):
            return type(self.cm).__enter__(self.cm)

        def __exit__(self, kind, value, trace):
            if not type(self.cm).__exit__(self.cm, kind, value, trace) or kind is None:
                return False
            for allowed in swallowers:
                if type(self.cm) is allowed:
                    return True
            failed.append("a context manager swallowed " + _why(value))
            return False

    return Guarded


def _importer(private, original=__import__):
    """``__import__`` that gives the names under ``_PRIVATE_TOPS`` from ``private`` (or refuses)."""

    def load(name, globals=None, locals=None, fromlist=(), level=0):
        full = name
        if level:
            base = ((globals or {}).get("__package__") or "").rsplit(".", level - 1)[0]
            full = base + "." + name if name else base
        top = full.partition(".")[0]
        if not private or top not in _PRIVATE_TOPS:
            return original(name, globals, locals, fromlist, level)
        if full not in private:
            raise ImportError(full + " was not loaded before the solution, so the tests cannot use it")
        return private[full] if fromlist or level else private[top]

    return load


class _Loader:
    """Loads a pure-Python module with the built-ins given (a copy, out of the solution's reach)."""

    def __init__(self, inner, builtins):
        self.inner, self.builtins = inner, builtins

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__dict__["__builtins__"] = self.builtins
        exec(self.inner.get_code(module.__name__), module.__dict__)


def _private_world(names):
    """Import ``names`` afresh, with every pure-Python module they import, then hide them all.

    Modules already loaded (by ``site``) are loaded afresh too, except those named in ``_SHARED``.

    Returns the private modules by name; ``sys.modules`` is as it was, so the solution and the
    tests' other imports get the shared modules.
    """
    private, builtins = {}, dict(_CLEAN)
    builtins["__import__"] = _importer(private)

    class Finder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            spec = _PathFinder.find_spec(name, path, target)
            if spec is not None and (spec.origin or "").endswith(".py"):
                spec.loader = _Loader(spec.loader, builtins)
            return spec

    before = dict(_modules)
    for key, module in before.items():  # what site.py imported is loaded afresh too
        origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
        if origin.endswith(".py") and not key.startswith(_SHARED):
            del _modules[key]
    _meta_path.insert(0, Finder)
    try:
        for name in names:
            __import__(name)
    finally:
        _meta_path.remove(Finder)
        found = {k: m for k, m in _modules.items() if isinstance(getattr(m, "__loader__", None), _Loader)}
        for key in found:
            del _modules[key]
        _modules.update(before)
        private.update(found)
    if "unittest._log" in private:  # assertLogs watches the loggers the solution logs to
        private["unittest._log"].logging = __import__("logging")
    return private
