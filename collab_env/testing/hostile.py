"""Hostile programs, each run through the sandbox with a check that it was contained.

The suite that ``tests/security/test_hostile.py`` and ``python -m
benchmarks.sandbox`` run, and that ``docs/security.md`` reports as *N tried / N
contained*; run it on your own machine to see what its sandbox contains:

>>> outcome = try_program(PROGRAMS["os_exit"])
>>> outcome.contained, outcome.result.returncode
(True, 3)

Each :class:`Hostile` program gets a :class:`Probe` (host-side bait: a file to delete, a place
outside the scratch directory to write to, a loopback port to connect to, a host process holding
a secret in its environment, API keys in the host's environment) and a check that looks, from the
host, for what escaped. Every check also requires that the run ended within its limit plus grace
and that no process of the run is left (a process whose ``HOME`` is the run's scratch directory).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collab_env import sandbox
from collab_env.sandbox import SandboxResult, run_python

#: Seconds a run may take past its ``timeout_s`` (start-up, the kill, the report).
GRACE_S = 3.0
SECRET_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "HF_TOKEN")
_PREAMBLE = "import os as _os\nprint('SCRATCH', _os.getcwd(), flush=True)\n"


@dataclass
class Probe:
    """Host-side bait for one hostile run (see the module docstring)."""

    victim: Path
    outside: Path
    port: int
    marker: str
    secret: str
    listener: socket.socket = field(repr=False)

    def fill(self, code: str) -> str:
        """``code`` with ``{victim}``, ``{outside}``, ``{port}``, ``{marker}``, ``{secret}`` filled in."""
        return code.format(
            victim=str(self.victim),
            outside=str(self.outside),
            port=self.port,
            marker=self.marker,
            secret=self.secret,
        )

    def connections(self) -> int:
        """Connections the loopback listener received."""
        count = 0
        while True:
            try:
                self.listener.accept()[0].close()
                count += 1
            except BlockingIOError:
                return count


Check = Callable[[SandboxResult, Probe], str | None]


@dataclass(frozen=True)
class Hostile:
    """A hostile program and how to tell it was contained.

    Attributes:
        name: Identifier.
        attack: What it tries, in words.
        code: Python source; may name ``{victim}``, ``{outside}``, ``{port}``, ``{marker}``, ``{secret}``.
        check: Returns what escaped (a sentence), or ``None`` when the program was contained.
        limits: Keyword arguments for :func:`~collab_env.sandbox.run_python`.
        needs: ``"bwrap"`` if only bubblewrap contains it, ``"netns"`` if bubblewrap or a root
            host does; ``""`` if the fallback does too.
    """

    name: str
    attack: str
    code: str
    check: Check
    limits: dict[str, Any] = field(default_factory=dict)
    needs: str = ""

    def expected(self) -> bool:
        """Whether this machine's sandbox is expected to contain it (see ``needs``)."""
        mode = sandbox.isolation()
        if self.needs == "bwrap":
            return mode == "bwrap"
        if self.needs == "netns":
            return mode == "bwrap" or os.geteuid() == 0
        return True


@dataclass(frozen=True)
class Outcome:
    """What happened when a hostile program ran: contained or not, and why."""

    name: str
    contained: bool
    detail: str
    result: SandboxResult


def survivors(scratch: str) -> list[int]:
    """Pids of live processes whose ``HOME`` is ``scratch`` (a sandboxed run's processes)."""
    needle, found = f"HOME={scratch}\0".encode(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if needle in Path(f"/proc/{entry}/environ").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def marked(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            with contextlib.suppress(OSError):
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
    return found


@contextlib.contextmanager
def probe() -> Iterator[Probe]:
    """Set up the bait (and secrets in this process's environment); remove it all afterwards."""
    marker, secret = f"collab-hostile-{uuid.uuid4().hex[:12]}", f"sk-hostile-{uuid.uuid4().hex}"
    saved = {name: os.environ.get(name) for name in SECRET_VARS}
    holder = None
    with tempfile.TemporaryDirectory(prefix="collab-hostile-host-") as host, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        victim = Path(host, "victim.txt")
        victim.write_text("precious")
        try:
            os.environ.update(dict.fromkeys(SECRET_VARS, secret))
            env = {"PATH": "/usr/bin:/bin", "OPENAI_API_KEY": secret}
            holder = subprocess.Popen(["sleep", "60"], env=env)  # a host process holding the secret
            yield Probe(
                victim, Path(host, "outside.txt"), listener.getsockname()[1], marker, secret, listener
            )
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
            if holder is not None:
                holder.kill()
                holder.wait()


def try_program(program: Hostile) -> Outcome:
    """Run ``program`` through the sandbox against fresh bait and judge the outcome."""
    with probe() as bait:
        result = run_python(_PREAMBLE + bait.fill(program.code), **program.limits)
        escaped = _common_check(result, program) or program.check(result, bait)
        for pid in marked(bait.marker):  # never leave a stray process behind, contained or not
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
    return Outcome(program.name, escaped is None, escaped or "contained", result)


def _common_check(result: SandboxResult, program: Hostile) -> str | None:
    limit = program.limits.get("timeout_s", 5.0) + GRACE_S
    if result.wall_s > limit:
        return f"the run took {result.wall_s:.1f} s, past its limit plus grace ({limit:.1f} s)"
    lines = result.stdout.splitlines()
    if not lines or not lines[0].startswith("SCRATCH "):
        return f"the program did not start (stderr: {result.stderr[-300:]!r})"
    if "NameError" in result.stderr or "SyntaxError" in result.stderr:
        return f"the hostile program is broken, so it tried nothing: {result.stderr[-300:]!r}"
    scratch = lines[0].split(" ", 1)[1]
    deadline = time.monotonic() + 1.0
    while (left := survivors(scratch)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return f"processes of the run outlived it: {left}" if left else None


def _host_forks_and_allocates() -> bool:
    """Whether this process can still start a process and allocate 64 MiB."""
    return subprocess.run([sys.executable, "-c", "pass"]).returncode == 0 and len(bytearray(64 << 20)) > 0


def _secret_absent(result: SandboxResult, bait: Probe) -> str | None:
    if bait.secret in result.stdout + result.stderr or "LEAKED" in result.stdout:
        return "a secret from the host reached the program"
    return None


def _require(condition: bool, failure: str) -> str | None:
    return None if condition else failure


def _timeout_or_cpu(result: SandboxResult, bait: Probe) -> str | None:
    return _require(result.killed in ("timeout", "cpu_limit"), f"not stopped by a limit: {result.killed}")


def _program(name: str, attack: str, code: str, check: Check, needs: str = "", **limits: Any) -> Hostile:
    return Hostile(name, attack, code, check, limits, needs)


_LOOP = "while True:\n    pass\n"
#: The suite, by name.
PROGRAMS: dict[str, Hostile] = {p.name: p for p in (
    _program("infinite_loop", "spin forever", _LOOP, _timeout_or_cpu, timeout_s=1.0),
    _program(
        "thread_busy_loop", "spin in eight threads",
        "import threading\ndef spin():\n    while True:\n        pass\nfor _ in range(8):\n    threading.Thread(target=spin).start()\n",
        _timeout_or_cpu, timeout_s=1.5,
    ),
    _program(
        "fork_bomb", "fork without end", "while True:\n    try:\n        _os.fork()\n    except OSError:\n        pass\n",
        lambda r, b: _require(not r.ok and _host_forks_and_allocates(), "the host cannot fork or allocate"),
        timeout_s=1.5, max_processes=16,
    ),
    _program(
        "memory_balloon", "allocate 64 MiB blocks until something gives",
        "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))\n",
        lambda r, b: _require(
            "MemoryError" in r.stderr and _host_forks_and_allocates(), f"no MemoryError ({r.killed})"
        ),
        timeout_s=3.0, memory_mb=256,
    ),
    _program(
        "huge_stdout", "write 200 MB to stdout", "import sys\nfor _ in range(200):\n    sys.stdout.write('x' * (1 << 20))\n",
        lambda r, b: _require(len(r.stdout) <= 100_000, f"{len(r.stdout)} characters came back"),
        timeout_s=3.0, max_output_bytes=100_000,
    ),
    _program(
        "huge_stderr", "write 200 MB to stderr", "import sys\nfor _ in range(200):\n    sys.stderr.write('x' * (1 << 20))\n",
        lambda r, b: _require(len(r.stderr) <= 100_000, f"{len(r.stderr)} characters came back"),
        timeout_s=3.0, max_output_bytes=100_000,
    ),
    _program(
        "write_outside_scratch", "write a file beside the host's files and in the host's /tmp",
        "for path in ({outside!r}, '/tmp/{marker}.txt'):\n    try:\n        open(path, 'w').write('pwned')\n    except OSError as e:\n        print(e)\n",
        lambda r, b: _require(
            not b.outside.exists() and not Path(f"/tmp/{b.marker}.txt").exists(), "a file appeared outside"
        ),
        needs="bwrap",
    ),
    _program(
        "delete_files", "delete a host file",
        "import shutil\ntry:\n    _os.remove({victim!r})\nexcept OSError as e:\n    print(e)\nshutil.rmtree(_os.path.dirname({victim!r}), ignore_errors=True)\n",
        lambda r, b: _require(b.victim.exists() and b.victim.read_text() == "precious", "the host file is gone"),
        needs="bwrap",
    ),
    _program(
        "read_environment", "print every environment variable",
        "print(dict(_os.environ))\nprint('LEAKED' if any(k.startswith(('OPENAI', 'ANTHROPIC', 'HF_')) for k in _os.environ) else 'clean')\n",
        _secret_absent,
    ),
    _program(
        "read_other_processes_environment", "read /proc/*/environ of the host's processes",
        "for pid in filter(str.isdigit, _os.listdir('/proc')):\n    try:\n        if b'{secret}' in open(f'/proc/{{pid}}/environ', 'rb').read():\n            print('LEAKED')\n    except OSError:\n        pass\n",
        _secret_absent, needs="bwrap",
    ),
    _program(
        "network_socket", "connect to a TCP port the host listens on",
        "import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=1).send(b'hi')\nexcept OSError as e:\n    print(e)\n",
        lambda r, b: _require(b.connections() == 0, "the program reached the host's loopback listener"),
        needs="netns",
    ),
    _program(
        "background_process", "start a detached process that outlives the run",
        "import subprocess, sys\nsubprocess.Popen(['sleep', '600', '{marker}'], start_new_session=True)\n",
        lambda r, b: _require(r.ok and not marked(b.marker), f"the background process lives: {marked(b.marker)}"),
    ),
    _program(
        "os_exit", "leave with os._exit, skipping clean-up", "_os._exit(3)\n",
        lambda r, b: _require(r.returncode == 3 and r.killed is None, f"exit status {r.returncode}"),
    ),
    _program(
        "segfault", "dereference NULL through ctypes", "import ctypes\nctypes.string_at(0)\n",
        lambda r, b: _require(r.killed == "signal:SIGSEGV", f"not reported as SIGSEGV: {r.killed}"),
    ),
    _program(
        "recursion_bomb", "recurse without end, the recursion limit lifted",
        "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1) + 1\nf(0)\n",
        lambda r, b: _require(not r.ok and _host_forks_and_allocates(), "the run succeeded"),
        timeout_s=3.0, memory_mb=128,
    ),
    _program(
        "ignore_sigterm", "ignore SIGTERM, SIGINT and SIGHUP, then sleep",
        "import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n    signal.signal(s, signal.SIG_IGN)\ntime.sleep(600)\n",
        lambda r, b: _require(r.killed == "timeout", f"not stopped at the time limit: {r.killed}"), timeout_s=1.0,
    ),
    _program(
        "kill_supervisor", "SIGKILL its parent, then sleep",
        "import time\ntry:\n    _os.kill(_os.getppid(), 9)\nexcept OSError:\n    pass\ntime.sleep(600)\n",
        lambda r, b: _require(not r.ok, "the run succeeded"), timeout_s=1.0,
    ),
)}  # fmt: skip

__all__ = [
    "GRACE_S",
    "PROGRAMS",
    "Hostile",
    "Outcome",
    "Probe",
    "marked",
    "probe",
    "survivors",
    "try_program",
]
