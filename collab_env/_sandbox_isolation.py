"""How the sandbox isolates a run: bubblewrap where it works, else process limits alone.

`bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, Debian package
``bubblewrap``) gives each run a read-only view of the root filesystem, a private ``/tmp``, the
scratch directory as the only writable place, its own network namespace (loopback only: no
network), PID namespace (no other process is visible or signalable), IPC and UTS namespaces, and
no capabilities, even when the host runs as root. Whether it works here (installed, and user or
mount namespaces allowed) is found out once, at the first sandboxed run, by running ``true``
under it; the answer is cached for the life of the process.

Without it, the sandbox keeps its process group, resource limits, pids cgroup and clean
environment, tries a private network namespace (which needs root), and logs one warning line
per process that says what is not isolated and what to install (:data:`NOT_ISOLATED` has the
whole story, at the info level). ``COLLAB_ENV_SANDBOX=rlimits`` chooses that fallback on
purpose.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

#: The one warning line of a process whose sandbox runs without bubblewrap; ``{why}``: the reason.
FALLBACK_WARNING = (
    "sandbox: bubblewrap {why}, so sandboxed code (CollabCode's tests) runs with process limits "
    "only and can read this user's files and reach the network; {fix}"
)
#: What a run under the fallback shares with the host (logged at the info level).
NOT_ISOLATED = (
    "bubblewrap (bwrap) is unavailable or turned off (COLLAB_ENV_SANDBOX), so sandboxed code runs with process-group, rlimit and "
    "clean-environment isolation only: it can read and write whatever this user can outside its "
    "scratch directory, see and signal this user's other processes and read their /proc entries, "
    "and reach the network unless the host runs as root (then a private network namespace blocks "
    "it). Install bubblewrap (apt-get install bubblewrap) for a read-only root, a private /tmp, "
    "and private network and PID namespaces."
)
_lock = threading.Lock()
_bwrap: list[str] | bool | None = False  # False: not probed yet


def bwrap_argv(scratch: str) -> list[str]:
    """The ``bwrap ... --`` prefix that runs a command isolated, writable only in ``scratch``.

    Returns an empty list when bubblewrap is unavailable (see :func:`mode`).

    Args:
        scratch: The run's scratch directory, bind-mounted read-write at its own path.
    """
    base = _probe()
    if not base:
        return []
    return [*base, "--bind", scratch, scratch, "--chdir", scratch, "--"]


def mode() -> str:
    """``"bwrap"`` when runs are isolated by bubblewrap, else ``"rlimits"`` (probes on first call)."""
    return "bwrap" if _probe() else "rlimits"


def _base_argv(bwrap: str) -> list[str]:
    argv = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    hidden = ["/tmp"]
    home = os.environ.get("HOME")
    if home and home != "/" and Path(home).is_dir() and not _holds_interpreter(home):
        argv += ["--tmpfs", home]  # the host user's dotfiles (credentials) stay out of sight
        hidden.append(home)
    for path in _interpreter_dirs():  # e.g. a virtual environment in a checkout under /tmp
        if any(Path(path) == Path(h).resolve() or Path(h).resolve() in Path(path).parents for h in hidden):
            argv += ["--ro-bind", path, path]
    return [*argv, "--unshare-all", "--cap-drop", "ALL", "--die-with-parent", "--new-session"]


def _interpreter_dirs() -> list[str]:
    """The directories the interpreter needs: its environment, its installation, its binary's."""
    paths = {
        sys.prefix,
        sys.base_prefix,
        os.path.dirname(sys.executable),
        os.path.dirname(os.path.realpath(sys.executable)),
    }
    return sorted(str(Path(p).resolve()) for p in paths)


def _holds_interpreter(directory: str) -> bool:
    """Whether the interpreter, its environment or its standard library lives under ``directory``."""
    root = Path(directory).resolve()
    paths = (sys.prefix, sys.base_prefix, sys.executable, os.path.realpath(sys.executable))
    return any(root == Path(p).resolve() or root in Path(p).resolve().parents for p in paths)


def _probe() -> list[str] | None:
    """The cached base ``bwrap`` argv if it runs a trivial command here, else ``None``."""
    global _bwrap
    with _lock:
        if _bwrap is False:
            _bwrap = _find_bwrap()
            if _bwrap is None:
                log.info("sandbox: %s", NOT_ISOLATED)
                log.warning(FALLBACK_WARNING.format(**_why_not()))
        return _bwrap


def _find_bwrap() -> list[str] | None:
    choice = os.environ.get("COLLAB_ENV_SANDBOX", "auto")
    if choice not in ("auto", "bwrap", "rlimits"):
        log.warning("sandbox: COLLAB_ENV_SANDBOX=%r is not auto, bwrap or rlimits; using auto", choice)
    if choice == "rlimits":
        return None
    path = shutil.which("bwrap")
    if path is None:
        return None
    argv = _base_argv(path)
    try:
        # The interpreter itself, not just `true`: it must be visible inside (a venv under /tmp).
        probe = subprocess.run(
            [*argv, "--", sys.executable, "-I", "-S", "-c", "pass"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.info("sandbox: bwrap does not run here (%s)", exc)
        return None
    if probe.returncode != 0:
        reason = probe.stderr.decode(errors="replace").strip()
        log.info("sandbox: bwrap does not run here (exit %d: %s)", probe.returncode, reason)
        return None
    return argv


def _why_not() -> dict[str, str]:
    """Why bubblewrap is not used and what would change that (for the one warning line)."""
    if os.environ.get("COLLAB_ENV_SANDBOX") == "rlimits":
        return {"why": "is turned off (COLLAB_ENV_SANDBOX=rlimits)", "fix": "unset it to isolate it"}
    if shutil.which("bwrap"):
        return {"why": "does not run here", "fix": "allow user namespaces to isolate it (docs/security.md)"}
    return {"why": "is not installed", "fix": "install bubblewrap (apt-get install bubblewrap) to isolate it"}


def reset() -> None:
    """Forget the cached probe, so that the next run probes again (for tests)."""
    global _bwrap
    with _lock:
        _bwrap = False
