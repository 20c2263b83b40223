"""The sandbox's supervisor: starts the untrusted program, enforces its time limit, reaps it all.

Run by :func:`collab_env.sandbox.run_python` as ``python -I -S _sandbox_supervisor.py ARGS`` in
the run's scratch directory (standard library only, no imports from collab_env). It makes itself
a *child subreaper* (``PR_SET_CHILD_SUBREAPER``), so every process the program leaves behind is
re-parented to it rather than to init; forks the worker, which joins the run's pids cgroup (when
given), becomes its own process group, sets its resource limits and ``exec``s
``python -I -S main.py`` (``-I`` alone when site-packages are allowed), under the
``bwrap ... --`` prefix given after the other arguments when there is one (else it first tries a
private network namespace, which needs root); waits for it at most ``timeout_s``; then kills the worker's process group
and every remaining child until it has none left, reaping each, so that nothing of the run
survives it (not even a zombie). It reports on the file descriptor it was given: ``worker PID``
once the worker exists, ``failed REASON`` if the worker could not start the program, and
``done STATUS TIMED_OUT CPU_S WAIT_S FROZEN_S RUN_S`` at the end (``STATUS`` is the worker's raw
wait status, ``-1`` if unknown; ``CPU_S`` the CPU seconds the run's processes used; ``RUN_S`` the
seconds from the fork to the end of the kill, by this supervisor's clock).

At a timeout it also measures whether the host, not the program, used up the time, so that the
host can tell a program that slept, blocked or spun (its own failure) from one the host starved
or froze (lost, not scored). ``WAIT_S`` is the longest time any live process of the run spent
runnable but not running (``/proc/PID/schedstat``'s run delay: starved of a CPU); sleeping,
blocking and being stopped do not count. ``FROZEN_S`` is how late this supervisor's own clock
found its wake-ups (it wakes every ``TICK_S``): time the whole sandbox was stopped or starved.
A freeze ended by a ``SIGCONT`` that a process of the run sent (it stopped its own supervisor)
counts for nothing.

Limits are set here, in the forked worker before ``exec``, rather than with ``subprocess``'s
``preexec_fn``, which is unsafe in threaded programs such as the benchmark runner.
"""

from __future__ import annotations

# The C module behind ``signal``: importing ``signal`` pulls in ``enum``, a third of this
# script's start-up time.
import _signal as signal
import ctypes
import os
import resource
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNET = 0x40000000
KILL_DEADLINE_S = 2.0
#: How often the supervisor wakes to check its own clock, in seconds.
TICK_S = 0.1
SCHED_BATCH, SCHED_IDLE = 3, 5


class _Clock:
    """The supervisor's own clock: how late its wake-ups came, and who woke it from a stop."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.frozen_s = 0.0
        self.continued_by: set[int] = set()  # senders of SIGCONT
        self.reaped: set[int] = set()  # every process of the run this supervisor reaped

    def note(self, info: object) -> None:
        """Record who sent a ``SIGCONT`` (``sigtimedwait`` interrupted by a stop returns junk)."""
        if info is not None and info.si_signo == signal.SIGCONT:
            self.continued_by.add(info.si_pid)

    def frozen(self) -> float:
        """Seconds the sandbox was frozen, 0 if a process of the run continued its supervisor."""
        for _ in range(8):  # a SIGCONT still pending
            self.note(signal.sigtimedwait((signal.SIGCONT,), 0))
        return 0.0 if self.continued_by & self.reaped else self.frozen_s


def main(argv: list[str]) -> int:
    """Run the worker as described in the module docstring; ``argv`` as built by ``run_python``."""
    report, procs = int(argv[0]), argv[1]
    memory, cpu, nproc, fsize = (int(a) for a in argv[2:6])
    timeout_s, flags = float(argv[6]), ["-I"] if argv[7] == "1" else ["-I", "-S"]
    command = [*argv[8:], sys.executable, *flags, "main.py"]  # argv[8:]: the bwrap prefix, if any
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        _complain("cannot become a child subreaper; orphans will go to init")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD, signal.SIGCONT})  # taken by sigtimedwait
    clock, worker = _Clock(), os.fork()
    if worker == 0:
        _exec_worker(report, procs, command, [(resource.RLIMIT_AS, memory, memory),
                                     (resource.RLIMIT_CPU, cpu, cpu + 1),
                                     (resource.RLIMIT_NPROC, nproc, nproc),
                                     (resource.RLIMIT_FSIZE, fsize, fsize),
                                     (resource.RLIMIT_CORE, 0, 0)])  # fmt: skip
    try:
        os.setpgid(worker, worker)  # also done by the worker; whichever runs first wins
    except OSError:
        pass
    os.write(report, f"worker {worker}\n".encode())
    status, timed_out = _wait(worker, timeout_s, clock)
    wait_s = _longest_run_delay() if timed_out else 0.0  # before the kill: the live processes
    final = _kill_all(worker, clock)
    status = final if status is None else status
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker and every orphan reaped
    cpu_s = usage.ru_utime + usage.ru_stime
    run_s = time.monotonic() - clock.start
    line = f"done {-1 if status is None else status} {int(timed_out)} {cpu_s:.3f} {wait_s:.3f} {clock.frozen():.3f} {run_s:.3f}\n"
    os.write(report, line.encode())
    return 0


def _exec_worker(report: int, procs: str, command: list[str], limits: list[tuple[int, int, int]]) -> None:
    """In the forked child: join the cgroup, own a process group, limit, exec. Never returns.

    Without bwrap (``command`` starts with the interpreter) it first tries to leave the host's
    network namespace; that needs root, and failing it is not an error.

    The report pipe is closed by ``exec`` (the program never holds it); a failure before that is
    reported on it as ``failed REASON``, which the host raises as a ``SandboxError``.
    """
    try:
        os.set_inheritable(report, False)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())  # the program starts with no signal blocked
        os.setpgid(0, 0)
        if procs:
            with open(procs, "w") as handle:
                handle.write(str(os.getpid()))
        for limit, soft, hard in limits:
            resource.setrlimit(limit, (soft, hard))
        if command[0] == sys.executable:
            ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNET)
        os.execv(command[0], command)
    except BaseException as exc:  # report anything, then leave without cleanup
        os.write(report, f"failed {exc!r}\n".encode())
    os._exit(127)


def _wait(worker: int, timeout_s: float, clock: _Clock) -> tuple[int | None, bool]:
    """Reap children until the worker exits or ``timeout_s`` passes: (its wait status, timed out).

    Wakes at least every ``TICK_S``; a wake-up later than asked for adds its delay to
    ``clock.frozen_s``.
    """
    deadline = clock.start + timeout_s
    while True:
        while True:  # orphans are reaped as they come, so none pile up
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            clock.reaped.add(pid)
            if pid == worker:
                return status, False
        now = time.monotonic()
        if now >= deadline:
            return None, True
        asked = min(TICK_S, deadline - now)
        info = signal.sigtimedwait((signal.SIGCHLD, signal.SIGCONT), asked)
        clock.frozen_s += max(0.0, time.monotonic() - now - asked)  # a signal comes early, not late
        clock.note(info)


def _longest_run_delay() -> float:
    """The longest run delay (runnable, waiting for a CPU) of any live process of the run, in s.

    A process that lowered its own priority (a higher nice value than this supervisor's, or the
    ``SCHED_BATCH`` or ``SCHED_IDLE`` policy) asked to wait: its delay does not count.
    """
    stats = _stats()
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    me = os.getpid()
    nice = int(stats[me][16]) if me in stats else 0
    longest, todo = 0.0, list(children.get(me, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        if int(stats[pid][16]) > nice or int(stats[pid][38]) in (SCHED_BATCH, SCHED_IDLE):
            continue
        try:
            with open(f"/proc/{pid}/schedstat") as handle:
                longest = max(longest, int(handle.read().split()[1]) / 1e9)
        except (OSError, IndexError, ValueError):
            continue
    return longest


def _kill_all(worker: int, clock: _Clock) -> int | None:
    """Kill the worker's group and every child until none is left; the worker's status if reaped."""
    status = None
    deadline = time.monotonic() + KILL_DEADLINE_S
    while True:
        _send(lambda: os.killpg(worker, signal.SIGKILL))
        while True:
            try:
                pid, raw = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return status  # no child left: everything the run started is dead and reaped
            if pid == 0:
                break
            clock.reaped.add(pid)
            status = raw if pid == worker else status
        if time.monotonic() > deadline:
            _complain("children survived the kill deadline")
            return status
        for pid in _children():  # processes that left the group (setsid) and were orphaned
            _send(lambda p=pid: os.kill(p, signal.SIGKILL))
        time.sleep(0.001)


def _children() -> list[int]:
    """Pids whose parent is this process (read from /proc)."""
    me = str(os.getpid())
    return [pid for pid, fields in _stats().items() if fields[1] == me]


def _stats() -> dict[int, list[str]]:
    """Each visible process's ``/proc/PID/stat`` fields after its name (state, parent pid, ...)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 38:
                found[int(entry)] = fields
    return found


def _complain(message: str) -> None:
    """Write to the run's stderr (which the host returns)."""
    os.write(2, f"sandbox supervisor: {message}\n".encode())


def _send(kill) -> None:
    try:
        kill()
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
    os._exit(0)  # skip interpreter finalization: the host waits for this process to end
