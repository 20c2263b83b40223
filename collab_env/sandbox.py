"""The sandbox: the only way collab-env runs untrusted code (what an assistant writes).

Each run gets a fresh interpreter (``sys.executable -I -S``: isolated, standard library only) in
its own session and process group, in a scratch directory that is its working directory and is
removed afterwards, with an environment holding no inherited variable (no API keys: only
``PATH``, ``LANG``, and ``HOME`` and ``TMPDIR`` pointing into the scratch directory), stdin
closed, output captured up to a size cap, and resource limits: address space (``RLIMIT_AS``), CPU
time, file size, processes, no core dumps.

Where bubblewrap works (:mod:`collab_env._sandbox_isolation`, probed once), the program also
runs under ``bwrap``: a read-only root, a private ``/tmp``, the scratch directory as the only
writable place, the host user's home hidden, private network, PID, IPC and UTS namespaces, no
capabilities. Where it does not, one log line per process says what is not isolated, and the run still
gets a private network namespace when the host is root. :func:`isolation` says which applies.

A small supervisor (:mod:`collab_env._sandbox_supervisor`) starts the program, enforces the
wall-clock limit, and on exit or timeout kills the program's whole process group, and any process
that left it, until none is left, reaping each (it is their *child subreaper*): when
:func:`run_python` returns, nothing the run started is alive, nor lingers as a zombie. Under
bwrap, killing the group also ends the PID namespace, and the kernel kills everything in it.

A timeout is the program's failure unless the supervisor measured that the host stalled the run
(:attr:`SandboxResult.host_stalled`): its own clock (wake-ups that came late: the sandbox was
frozen) and the run's processes' time spent waiting for a CPU (``/proc/PID/schedstat``) tell a
starved or frozen run from one that slept, blocked or spun.

``RLIMIT_NPROC`` is not enforced for root, and a process can leave its group with ``setsid``. So
when running as root with the cgroup-v1 ``pids`` controller writable (``/sys/fs/cgroup/pids``), the
program also runs in its own pids cgroup capped at ``max_processes``: a fork bomb stops there and
every member is killed at the end. Without it the run falls back silently (logged at debug level).

Not contained: disk use within the scratch directory beyond one file's size cap; see
``docs/security.md`` for the hostile programs tried against it and the known limits.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from collab_env import _sandbox_isolation, _sandbox_supervisor
from collab_env.errors import SandboxError

log = logging.getLogger(__name__)
_PIDS_ROOT = Path("/sys/fs/cgroup/pids")
_SUPERVISOR = _sandbox_supervisor.__file__
#: Extra seconds the host gives the supervisor (start-up and its kill phase) past ``timeout_s``.
_GRACE_S = 5.0
#: A wall-clock kill is the host's doing only when the run was kept from running (waiting for a
#: CPU, or frozen) for more than this share of the wall time ...
HOST_STALL_KEPT_SHARE = 0.5
#: ... and it got less CPU time than this share of it (a program that had a quarter of a CPU for
#: its whole window had its chance; one starved below that did not).
HOST_STALL_CPU_SHARE = 0.25


@dataclasses.dataclass(frozen=True)
class SandboxResult:
    """The outcome of one sandboxed run.

    Attributes:
        returncode: The program's exit status (negative: killed by that signal).
        stdout: Standard output, at most ``max_output_bytes``, decoded leniently.
        stderr: Standard error, likewise.
        timed_out: Whether the wall-clock limit stopped it.
        killed: Why the sandbox or the kernel stopped it: ``"timeout"``, ``"cpu_limit"``,
            ``"file_size_limit"``, ``"signal:<NAME>"`` (for example ``"signal:SIGSEGV"``) or
            ``"supervisor_killed"``; ``None`` when it exited by itself. Hitting the memory limit
            shows as a ``MemoryError`` (exit status 1), not here.
        wall_s: Wall time of the run, start-up included, in seconds.
        isolation: ``"bwrap"`` or ``"rlimits"`` (see :func:`isolation`).
        cpu_s: CPU time the run's processes used, in seconds (``None`` when the supervisor
            could not say).
        wait_s: At a timeout, the longest time a live process of the run spent runnable but
            not running (starved of a CPU), in seconds; sleeping or blocking does not count.
        frozen_s: At a timeout, how long the supervisor found the sandbox frozen or starved (its
            own wake-ups late), in seconds; ``None`` when it could not say.
        run_s: Wall time from the program's start to the end of its kill, by the supervisor's
            clock, in seconds (``wall_s`` also counts starting the supervisor); ``None`` when it
            could not say.
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    killed: str | None
    wall_s: float
    isolation: str = "rlimits"
    cpu_s: float | None = None
    wait_s: float | None = None
    frozen_s: float | None = None
    run_s: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the code exited normally with status 0."""
        return self.returncode == 0 and not self.timed_out

    @property
    def host_stalled(self) -> bool:
        """Whether the host, not the program, used up the time of a run the wall clock stopped.

        Measured by the supervisor: the run was kept from running (its most starved process
        waited for a CPU, or the whole sandbox was frozen) for more than
        ``HOST_STALL_KEPT_SHARE`` of the wall time, and it got less CPU time than
        ``HOST_STALL_CPU_SHARE`` of it. A program that sleeps, blocks on I/O or a lock, stops
        itself, ignores signals or spins was not kept from running: its timeout is its own
        failure, and only a measured host stall is lost.
        """
        if not self.timed_out:
            return False
        kept, wall = max(self.wait_s or 0.0, self.frozen_s or 0.0), self.run_s or self.wall_s
        return kept > HOST_STALL_KEPT_SHARE * wall and (self.cpu_s or 0.0) < HOST_STALL_CPU_SHARE * wall

    def stop_reason(self) -> str:
        """Why the run stopped, in words, with the supervisor's measures when the clock stopped it.

        >>> SandboxResult(-9, "", "", True, "timeout", 2.0, cpu_s=0.01, wait_s=0.0, frozen_s=0.0).stop_reason()
        'stopped at its 2.0 s wall-clock limit after 0.01 s of CPU time, 0.00 s waiting for a CPU and 0.00 s frozen: the program slept, blocked or spun'
        """
        if not self.timed_out:
            return f"was stopped ({self.killed})" if self.killed else f"exited with {self.returncode}"
        measured = (
            f" after {self.cpu_s or 0.0:.2f} s of CPU time, {self.wait_s or 0.0:.2f} s waiting for a CPU "
            f"and {self.frozen_s or 0.0:.2f} s frozen"
        )
        whose = "the host stalled it" if self.host_stalled else "the program slept, blocked or spun"
        return f"stopped at its {self.run_s or self.wall_s:.1f} s wall-clock limit{measured}: {whose}"


def isolation() -> str:
    """How runs are isolated here: ``"bwrap"`` (bubblewrap works) or ``"rlimits"`` (it does not).

    The first call probes bubblewrap (a few milliseconds) and caches the answer.
    """
    return _sandbox_isolation.mode()


def run_python(
    code: str,
    *,
    timeout_s: float = 5.0,
    memory_mb: int = 512,
    max_processes: int = 32,
    max_output_bytes: int = 1_000_000,
    site_packages: bool = False,
) -> SandboxResult:
    """Run Python ``code`` in the sandbox and return what it did.

    >>> run_python("print(6 * 7)").stdout
    '42\\n'

    Args:
        code: Source of a Python program (untrusted).
        timeout_s: Wall-clock limit, in seconds; CPU time is capped at its ceiling.
        memory_mb: Address-space limit of each process, in MiB.
        max_processes: Processes the run may have at once (fork bombs stop here).
        max_output_bytes: Largest stdout/stderr kept, and largest file the run may write.
        site_packages: Whether the program may import installed third-party packages. By
            default it runs with ``-I -S``: the standard library only, which also starts
            about 20 ms faster and keeps collab-env itself out of the program's reach.

    Returns:
        The result; the code failing, timing out or hitting a limit is a result, not an error.

    Raises:
        ValueError: for a non-positive limit.
        SandboxError: if the sandbox itself cannot run (the interpreter or the supervisor
            cannot start).
    """
    for name, value in (
        ("timeout_s", timeout_s),
        ("memory_mb", memory_mb),
        ("max_processes", max_processes),
        ("max_output_bytes", max_output_bytes),
    ):
        if value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    with tempfile.TemporaryDirectory(prefix="collab-sandbox-") as scratch:
        Path(scratch, "main.py").write_text(code)
        cgroup = _make_cgroup(max_processes)
        try:
            limits = (timeout_s, memory_mb, max_processes, max_output_bytes)
            return _run(scratch, cgroup, limits, site_packages)
        finally:
            _remove_cgroup(cgroup)


def _run(
    scratch: str, cgroup: Path | None, limits: tuple[float, int, int, int], site_packages: bool
) -> SandboxResult:
    """Start the supervisor, read its report, clean up; see :func:`run_python`."""
    timeout_s, memory_mb, nproc, max_bytes = limits
    procs = str(cgroup / "cgroup.procs") if cgroup else ""
    wrapper = _sandbox_isolation.bwrap_argv(scratch)
    cpu_s = max(1, int(-(-timeout_s // 1)))
    start = time.perf_counter()
    with open(Path(scratch, ".stdout"), "w+b") as out, open(Path(scratch, ".stderr"), "w+b") as err:
        read_fd, write_fd = os.pipe()
        argv = [sys.executable, "-I", "-S", _SUPERVISOR, str(write_fd), procs, str(memory_mb * 2**20),
                str(cpu_s), str(nproc), str(max_bytes), repr(float(timeout_s)), str(int(site_packages)), *wrapper]  # fmt: skip
        try:
            proc = subprocess.Popen(
                argv, cwd=scratch, env=_clean_env(scratch), stdin=subprocess.DEVNULL, stdout=out,
                stderr=err, start_new_session=True, pass_fds=(write_fd,),
            )  # fmt: skip
        except OSError as exc:
            os.close(read_fd)
            raise SandboxError(f"cannot start the sandboxed interpreter {sys.executable}: {exc}") from exc
        finally:
            os.close(write_fd)
        try:
            report, host_timeout = _read_report(read_fd, timeout_s + _GRACE_S)
        finally:
            os.close(read_fd)
        worker = int(report["worker"][0]) if "worker" in report else None
        if "done" not in report:
            _force_kill(proc.pid, worker, cgroup)
        proc.wait()
        _force_kill(None, None, cgroup)  # normally a no-op: the supervisor reaped everything
        wall = time.perf_counter() - start
        stdout, stderr = _read(out, max_bytes), _read(err, max_bytes)
    if "failed" in report:
        raise SandboxError(f"the sandbox could not start the program: {' '.join(report['failed'])}")
    if worker is None:
        raise SandboxError(
            f"the sandbox supervisor did not start the program (exit status {proc.returncode}): {stderr[-500:]}"
        )
    result = _result(report, proc.returncode, host_timeout, stdout, stderr, wall)
    return _unwrap(result) if wrapper else result


def _unwrap(result: SandboxResult) -> SandboxResult:
    """Undo bwrap's report of a signal death as exit status ``128 + signal``, as a shell does.

    A program that itself exits with such a status (129 to 159) reads as killed by that signal.
    """
    code = result.returncode
    if 128 < code < 128 + 32 and not result.timed_out:
        return dataclasses.replace(
            result, returncode=128 - code, killed=_killed(128 - code, False), isolation="bwrap"
        )
    return dataclasses.replace(result, isolation="bwrap")


def _result(
    report: dict[str, list[str]],
    supervisor_rc: int,
    host_timeout: bool,
    stdout: str,
    stderr: str,
    wall: float,
) -> SandboxResult:
    """Turn the supervisor's report into a :class:`SandboxResult`."""
    if "done" not in report:  # the program killed its supervisor, or the supervisor hung
        timed_out = host_timeout
        return SandboxResult(
            supervisor_rc or -signal.SIGKILL, stdout, stderr, timed_out,
            "timeout" if timed_out else "supervisor_killed", wall,
        )  # fmt: skip
    raw, timed_out = int(report["done"][0]), report["done"][1] == "1"
    cpu_s, wait_s, frozen_s, run_s = (float(v) for v in report["done"][2:6])
    returncode = os.waitstatus_to_exitcode(raw) if raw >= 0 else -signal.SIGKILL
    killed = _killed(returncode, timed_out)
    return SandboxResult(
        returncode, stdout, stderr, timed_out, killed, wall, "rlimits", cpu_s, wait_s, frozen_s, run_s
    )


def _killed(returncode: int, timed_out: bool) -> str | None:
    if timed_out:
        return "timeout"
    if returncode >= 0:
        return None
    signum = -returncode
    if signum == signal.SIGXCPU:
        return "cpu_limit"
    if signum == signal.SIGXFSZ:
        return "file_size_limit"
    try:
        return f"signal:{signal.Signals(signum).name}"
    except ValueError:
        return f"signal:{signum}"


def _read_report(fd: int, limit_s: float) -> tuple[dict[str, list[str]], bool]:
    """Read the supervisor's report lines until it closes the pipe: (lines by key, host timed out).

    A host that itself wakes up well past the deadline (it was frozen with the sandbox) gives
    the supervisor one more ``_GRACE_S`` to report what it measured.
    """
    data, deadline, extended = b"", time.monotonic() + limit_s, False
    while True:
        asked = max(0.0, deadline - time.monotonic())
        if not select.select([fd], [], [], asked)[0]:
            late = time.monotonic() - deadline
            if late > 1.0 and not extended:
                deadline, extended = time.monotonic() + _GRACE_S, True
                continue
            timed_out = True
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            timed_out = False
            break
        data += chunk
    report = {}
    for line in data.decode(errors="replace").splitlines():
        if line.strip():
            key, *values = line.split()
            report[key] = values
    return report, timed_out


def _clean_env(scratch: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": scratch, "TMPDIR": scratch}


def _read(handle, limit: int) -> str:
    handle.seek(0)
    return handle.read(limit).decode("utf-8", errors="replace")


def _force_kill(supervisor: int | None, worker: int | None, cgroup: Path | None) -> None:
    """The host's backstop: kill the supervisor's and worker's groups and the cgroup's members.

    Used when the supervisor did not finish (the program killed it, or it hung); orphans left
    then go to init, which reaps them.
    """
    deadline = time.monotonic() + 2
    while True:
        pids = _cgroup_pids(cgroup)
        for pid in pids:
            _signal(lambda p=pid: os.kill(p, signal.SIGKILL))
        for group in (supervisor, worker):
            if group is not None:
                _signal(lambda g=group: os.killpg(g, signal.SIGKILL))
        if not pids or time.monotonic() > deadline:
            return
        time.sleep(0.005)


def _signal(send) -> bool:
    try:
        send()
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _make_cgroup(max_processes: int) -> Path | None:
    if os.geteuid() != 0 or not os.access(_PIDS_ROOT, os.W_OK):
        return None
    path = _PIDS_ROOT / f"collab-sandbox-{uuid.uuid4().hex[:12]}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(max_processes))
        return path
    except OSError as exc:
        log.debug("sandbox: no pids cgroup (%s); relying on RLIMIT_NPROC and the process group", exc)
        _remove_cgroup(path if path.exists() else None)
        return None


def _cgroup_pids(cgroup: Path | None) -> list[int]:
    if cgroup is None:
        return []
    try:
        return [int(p) for p in (cgroup / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _remove_cgroup(cgroup: Path | None) -> None:
    if cgroup is None:
        return
    delay, deadline = 0.0002, time.monotonic() + 2
    while time.monotonic() < deadline:  # the kernel releases a reaped member's pid a moment later
        try:
            cgroup.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(delay)
            delay = min(2 * delay, 0.05)
    log.warning("sandbox: could not remove cgroup %s", cgroup)
