"""The sandbox: the only way collab-env runs untrusted code (what an assistant writes).

Each run gets a fresh interpreter in its own session and process group, in a scratch
directory that is removed afterwards, with an environment holding no inherited variable (no API
keys), stdin closed, and resource limits: address space, CPU time, file size, processes. On
timeout the whole process group is killed. When running as root, where ``RLIMIT_NPROC`` is not
enforced, the run is also put in its own cgroup-v1 ``pids`` group capped at ``max_processes``
when ``/sys/fs/cgroup/pids`` is writable, so a fork bomb stays contained.

Limits are set by a small launcher that runs in the child before it ``exec``s the code, rather
than by ``preexec_fn``, which is unsafe in threaded programs (the benchmark runner uses threads).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from collab_env.errors import SandboxError

log = logging.getLogger(__name__)
_PIDS_ROOT = Path("/sys/fs/cgroup/pids")
_LAUNCHER = """
import os, resource, sys
cgroup, memory, cpu, nproc, fsize = sys.argv[1], *map(int, sys.argv[2:6])
if cgroup:
    with open(cgroup, "w") as f:
        f.write(str(os.getpid()))
for limit, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu), (resource.RLIMIT_NPROC, nproc),
                     (resource.RLIMIT_FSIZE, fsize), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(limit, (value, value))
os.execv(sys.executable, [sys.executable, "-I", "main.py"])
"""


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one sandboxed run.

    Attributes:
        returncode: The process's exit status (negative: killed by that signal).
        stdout: Standard output, at most ``max_output_bytes``, decoded leniently.
        stderr: Standard error, likewise.
        timed_out: Whether the wall-clock limit killed it.
        wall_s: Wall time of the run, in seconds.
    """

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    wall_s: float

    @property
    def ok(self) -> bool:
        """Whether the code exited normally with status 0."""
        return self.returncode == 0 and not self.timed_out


def run_python(
    code: str,
    *,
    timeout_s: float = 5.0,
    memory_mb: int = 512,
    max_processes: int = 32,
    max_output_bytes: int = 1_000_000,
) -> SandboxResult:
    """Run Python ``code`` in the sandbox and return what it did.

    Args:
        code: Source of a Python program (untrusted).
        timeout_s: Wall-clock limit, in seconds; CPU time is capped at the same value.
        memory_mb: Address-space limit, in MiB.
        max_processes: Processes the run may have at once (fork bombs stop here).
        max_output_bytes: Largest stdout/stderr kept, and largest file it may write.

    Returns:
        The result; the code failing, timing out or hitting a limit is a result, not an error.

    Raises:
        ValueError: for a non-positive limit.
        SandboxError: if the sandbox itself cannot start.
    """
    for name, value in (("timeout_s", timeout_s), ("memory_mb", memory_mb), ("max_processes", max_processes)):
        if value <= 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    with tempfile.TemporaryDirectory(prefix="collab-sandbox-") as scratch:
        Path(scratch, "main.py").write_text(code)
        cgroup = _make_cgroup(max_processes)
        start = time.perf_counter()
        with open(Path(scratch, ".stdout"), "w+b") as out, open(Path(scratch, ".stderr"), "w+b") as err:
            argv = [
                sys.executable, "-I", "-S", "-c", _LAUNCHER, str(cgroup / "cgroup.procs") if cgroup else "",
                str(memory_mb * 2**20), str(max(1, int(timeout_s + 1))), str(max_processes), str(max_output_bytes),
            ]  # fmt: skip
            try:
                proc = subprocess.Popen(
                    argv, cwd=scratch, env=_clean_env(scratch), stdin=subprocess.DEVNULL,
                    stdout=out, stderr=err, start_new_session=True,
                )  # fmt: skip
            except OSError as exc:
                _remove_cgroup(cgroup)
                raise SandboxError(f"cannot start the sandboxed interpreter {sys.executable}: {exc}") from exc
            timed_out = False
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill(proc, cgroup)
                proc.wait()
                _remove_cgroup(cgroup)
            wall = time.perf_counter() - start
            return SandboxResult(
                proc.returncode, _read(out, max_output_bytes), _read(err, max_output_bytes), timed_out, wall
            )


def _clean_env(scratch: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": scratch,
        "TMPDIR": scratch,
        "PYTHONHASHSEED": "0",
    }


def _read(handle, limit: int) -> str:
    handle.seek(0)
    return handle.read(limit).decode("utf-8", errors="replace")


def _kill(proc: subprocess.Popen, cgroup: Path | None) -> None:
    """Kill the process group and every process of the cgroup, reaping the main process.

    With a cgroup, loop until it holds no process; without one, signal the group a few times
    (its exited members stay visible to ``killpg`` as zombies until init reaps them).
    """
    deadline = time.monotonic() + 2
    for attempt in range(10_000):
        pids = _cgroup_pids(cgroup)
        for pid in pids:
            _signal(lambda p=pid: os.kill(p, signal.SIGKILL))
        group_alive = _signal(lambda: os.killpg(proc.pid, signal.SIGKILL))
        proc.poll()  # reap the main process
        done = not pids if cgroup is not None else (not group_alive or attempt >= 3)
        if done or time.monotonic() > deadline:
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
    for _ in range(100):
        try:
            cgroup.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)
    log.warning("sandbox: could not remove cgroup %s", cgroup)
