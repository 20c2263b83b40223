"""Programs that run past the sandbox's wall clock, and host stalls made on purpose.

What ``tests/test_sandbox.py`` and ``python -m benchmarks.sandbox_charging`` use to
check who a timeout is charged to: :data:`OWN_TIMEOUTS` are the program's own doing (never a host
stall); :func:`frozen_run` and :func:`starved_run` make the host stall a run (it must be found).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from collab_env.sandbox import SandboxResult, run_python

_IGNORE_ALARMS = "import signal\nfor _s in (signal.SIGALRM, signal.SIGPROF, signal.SIGTERM):\n    signal.signal(_s, signal.SIG_IGN)\n"
#: Programs that run past the wall clock by their own doing: each is the program's failure, never
#: a host stall (``SandboxResult.host_stalled`` false), whatever signals it ignores.
OWN_TIMEOUTS: dict[str, str] = {
    "sleep_ignoring_alarms": _IGNORE_ALARMS + "import time\ntime.sleep(600)\n",
    "busy_spin": _IGNORE_ALARMS + "while True:\n    pass\n",
    "blocking_read_on_a_pipe": _IGNORE_ALARMS + "import os\nr, w = os.pipe()\nos.read(r, 1)\n",
    "wait_on_a_lock": "import threading\nlock = threading.Lock()\nlock.acquire()\nlock.acquire()\n",
    "stop_itself": "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)\n",
}


def sandbox_processes() -> list[int]:
    """This process's running sandbox supervisors and every process under them."""
    parents = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, IndexError):
            parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
    found = [
        pid for pid, parent in parents.items()
        if parent == os.getpid() and b"_sandbox_supervisor" in _cmdline(pid)
    ]  # fmt: skip
    for pid in found:
        found.extend(p for p, parent in parents.items() if parent == pid and p not in found)
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def frozen_run(
    code: str, timeout_s: float = 1.0, after_s: float = 0.2, freeze_s: float = 2.0
) -> SandboxResult:
    """Run ``code`` and, ``after_s`` into the run, stop the whole sandbox for ``freeze_s``.

    What a paused VM or container does to a run: the supervisor and the program are stopped
    with ``SIGSTOP`` from outside and continued with ``SIGCONT``; the supervisor's clock should
    find the run frozen (a host stall) when ``freeze_s`` is most of its time.
    """
    results: list[SandboxResult] = []
    thread = threading.Thread(target=lambda: results.append(run_python(code, timeout_s=timeout_s)))
    thread.start()
    deadline = time.monotonic() + 10
    while not sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(after_s)
    frozen = sandbox_processes()
    for pid in frozen:
        with contextlib.suppress(OSError):
            os.kill(pid, 19)  # SIGSTOP
    time.sleep(freeze_s)
    for pid in reversed(frozen):
        with contextlib.suppress(OSError):
            os.kill(pid, 18)  # SIGCONT
    thread.join()
    return results[0]


_STARVE = """
import dataclasses, json, os, sys, time
from collab_env.sandbox import run_python
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
hogs = []
while len(hogs) < HOGS and (pid := os.fork()):
    hogs.append(pid)
if len(hogs) < HOGS:
    os.setsid()  # its own autogroup, as another session of the host would be
    end = time.monotonic() + 30
    while time.monotonic() < end:
        pass
    os._exit(0)
result = run_python(sys.argv[1], timeout_s=TIMEOUT)
for pid in hogs:
    os.kill(pid, 9)
print(json.dumps(dataclasses.asdict(result)))
"""


def starved_run(code: str, timeout_s: float = 1.0, hogs: int = 6) -> SandboxResult:
    """Run ``code`` on one CPU shared with ``hogs`` busy sessions of the host (a starved host).

    Runs in a child interpreter, pinned to one CPU with the hogs, so that this process keeps its
    CPUs. A program that wants the CPU gets about ``1 / (hogs + 1)`` of it.
    """
    script = _STARVE.replace("HOGS", str(hogs)).replace("TIMEOUT", repr(float(timeout_s)))
    out = subprocess.run([sys.executable, "-c", script, code], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"the starved run failed: {out.stderr[-500:]}")
    return SandboxResult(**json.loads(out.stdout.strip().splitlines()[-1]))


__all__ = ["OWN_TIMEOUTS", "frozen_run", "sandbox_processes", "starved_run"]
