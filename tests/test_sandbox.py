"""The sandbox contains what untrusted code does, and leaves nothing behind."""

from __future__ import annotations

import os
import threading
import warnings

import pytest

from collab_env import _sandbox_isolation, sandbox
from collab_env.errors import SandboxError
from collab_env.sandbox import run_python
from collab_env.testing.hostile import survivors
from collab_env.testing.stalls import OWN_TIMEOUTS, frozen_run, starved_run


def _nothing_left(result) -> bool:
    """No process of the run is alive (the code printed its working directory first)."""
    return not survivors(result.stdout.split()[0])


def test_normal_code_returns_its_output():
    result = run_python("print(6 * 7)")
    assert result.ok and result.stdout == "42\n" and result.killed is None


def test_failing_code_is_a_result_not_an_error():
    result = run_python("raise KeyError('boom')")
    assert result.returncode == 1 and "KeyError: 'boom'" in result.stderr and result.killed is None


def test_infinite_loop_is_killed_at_the_time_limit():
    result = run_python("while True:\n    pass\n", timeout_s=1)
    assert result.timed_out and result.killed == "timeout" and not result.ok
    assert 1 <= result.wall_s < 2


def test_memory_hog_fails_within_its_limit():
    result = run_python("x = bytearray(2 * 1024**3)\nprint('allocated')", memory_mb=256, timeout_s=2)
    assert not result.ok and "MemoryError" in result.stderr and "allocated" not in result.stdout
    assert len(bytearray(64 * 1024**2)) > 0  # the test process itself is unaffected


def test_fork_bomb_is_contained_and_leaves_no_process_of_its_group():
    code = "import os\nprint(os.getcwd(), flush=True)\nwhile True:\n    os.fork()\n"
    result = run_python(code, timeout_s=1.5, max_processes=16)
    assert not result.ok and result.wall_s < 3
    assert _nothing_left(result)


def test_sleeping_children_are_killed_with_the_run():
    code = "import os, time\nprint(os.getcwd(), flush=True)\nif os.fork() == 0:\n    time.sleep(60)\ntime.sleep(60)\n"
    result = run_python(code, timeout_s=1)
    assert result.timed_out and _nothing_left(result)


def test_a_process_that_leaves_the_group_is_killed_too():
    code = (
        "import os, time\n"
        "print(os.getcwd(), flush=True)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(60)\n"
        "time.sleep(0.3)\n"
    )
    result = run_python(code, timeout_s=2)
    assert result.ok and _nothing_left(result)


def test_without_a_pids_cgroup_the_group_is_still_killed_and_reaped(monkeypatch):
    monkeypatch.setattr(sandbox, "_make_cgroup", lambda max_processes: None)
    code = (
        "import os, time\n"
        "print(os.getcwd(), flush=True)\n"
        "for _ in range(20):\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "time.sleep(60)\n"
    )
    result = run_python(code, timeout_s=1)
    assert result.timed_out and _nothing_left(result)


def test_secrets_in_the_parent_environment_do_not_leak(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-leak")
    result = run_python("import os\nprint(sorted(os.environ))\nprint(os.environ.get('OPENAI_API_KEY'))")
    names, key = result.stdout.splitlines()
    assert set(eval(names)) <= {"HOME", "LANG", "PATH", "TMPDIR", "PWD"} and key == "None"  # PWD: bwrap's


def test_stdin_is_closed():
    assert run_python("import sys\nprint(repr(sys.stdin.read()))").stdout == "''\n"


def test_scratch_directory_is_the_working_directory_and_is_removed():
    result = run_python("import os\nopen('x.txt', 'w').write('hi')\nprint(os.getcwd())")
    scratch = result.stdout.strip()
    assert "collab-sandbox-" in scratch and not os.path.exists(scratch)


def test_huge_output_is_capped():
    result = run_python("print('x' * 10_000_000)", max_output_bytes=1000)
    assert len(result.stdout) <= 1000


def test_site_packages_are_out_of_reach_by_default():
    result = run_python("import numpy")
    assert "ModuleNotFoundError" in result.stderr
    # numpy, not collab_env: an editable install's sources may sit under /tmp, hidden by bwrap
    assert run_python("import numpy", site_packages=True).ok


def test_concurrent_runs_do_not_interfere():
    results: dict[int, str] = {}

    def run(i: int) -> None:
        results[i] = run_python(f"print({i})").stdout

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"{i}\n" for i in range(6)}


def test_a_sandbox_that_cannot_start_raises_sandbox_error(monkeypatch):
    monkeypatch.setattr(sandbox.sys, "executable", "/nonexistent/python")
    with pytest.raises(SandboxError, match="cannot start"):
        run_python("print(1)")


def test_a_worker_that_cannot_start_raises_sandbox_error(monkeypatch, tmp_path):
    # A cgroup whose process list cannot be written: the worker fails before running any code.
    monkeypatch.setattr(sandbox, "_make_cgroup", lambda max_processes: tmp_path / "missing")
    monkeypatch.setattr(sandbox, "_remove_cgroup", lambda cgroup: None)
    with pytest.raises(SandboxError, match="could not start the program"):
        run_python("print(1)")


def test_code_cannot_fake_a_sandbox_failure():
    code = "import sys\nprint('sandbox supervisor: cannot start the worker', file=sys.stderr)\nsys.exit(127)"
    assert run_python(code).returncode == 127


@pytest.mark.parametrize("kwargs", [{"timeout_s": 0}, {"memory_mb": -1}, {"max_processes": 0}])
def test_invalid_limits_raise(kwargs):
    with pytest.raises(ValueError, match="must be > 0"):
        run_python("pass", **kwargs)


# -- whose failure a timeout is ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("code", OWN_TIMEOUTS.values(), ids=OWN_TIMEOUTS.keys())
def test_a_program_that_sleeps_blocks_or_spins_past_the_clock_is_its_own_failure(code):
    result = run_python(code, timeout_s=1.0)
    if code == OWN_TIMEOUTS["busy_spin"] and result.host_stalled:
        # The one case a busy host can turn: a spinner starved below a quarter of a CPU is, by
        # measure, a host stall (test_a_program_starved_of_a_cpu_is_a_host_stall).
        pytest.skip(f"this host starved the spinner: {result.stop_reason()}")
    assert result.timed_out and result.killed == "timeout" and not result.host_stalled, result
    assert "the program slept, blocked or spun" in result.stop_reason()


@pytest.mark.slow
def test_a_sandbox_frozen_from_outside_is_a_host_stall():
    # The host stops the supervisor and the program (as a paused VM or container would) past the
    # program's time limit: the run is lost, though the same sleep alone is the program's failure.
    result = frozen_run("import time\ntime.sleep(600)\n", timeout_s=1.0, freeze_s=2.0)
    assert result.timed_out and result.frozen_s > 1.5 and result.host_stalled, result
    assert "the host stalled it" in result.stop_reason()


@pytest.mark.slow
def test_a_program_starved_of_a_cpu_is_a_host_stall():
    # Six busy sessions of the host share the sandbox's only CPU: the spinner gets a seventh.
    result = starved_run("while True:\n    pass\n", timeout_s=1.0, hogs=6)
    assert result.timed_out and result.host_stalled, result


@pytest.mark.slow
def test_a_program_that_freezes_its_own_supervisor_is_not_a_host_stall(fallback_isolation):
    # Without bubblewrap the program can signal its supervisor; a freeze it ends itself is its own.
    code = (
        "import os, signal, time\n"
        "sup = os.getppid()\n"
        "os.kill(sup, signal.SIGSTOP)\n"
        "time.sleep(2.0)\n"
        "os.kill(sup, signal.SIGCONT)\n"
        "time.sleep(600)\n"
    )
    result = run_python(code, timeout_s=1.0)
    assert result.timed_out and not result.host_stalled, result


@pytest.fixture
def fallback_isolation(monkeypatch):
    """Runs isolated by process limits only (the program can see its supervisor)."""
    monkeypatch.setenv("COLLAB_ENV_SANDBOX", "rlimits")
    _sandbox_isolation.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
    _sandbox_isolation.reset()


@pytest.mark.parametrize(
    ("measures", "stalled"),
    [
        ({"cpu_s": 0.02, "wait_s": 0.01, "frozen_s": 0.0}, False),  # slept or blocked
        ({"cpu_s": 1.9, "wait_s": 0.1, "frozen_s": 0.0}, False),  # spun
        ({"cpu_s": 0.8, "wait_s": 1.2, "frozen_s": 0.1}, False),  # spun on a busy host: it had its chance
        ({"cpu_s": 0.2, "wait_s": 1.7, "frozen_s": 0.2}, True),  # starved of a CPU
        ({"cpu_s": 0.05, "wait_s": 0.0, "frozen_s": 1.8}, True),  # the sandbox was frozen
    ],
)
def test_only_a_measured_host_stall_is_the_hosts(measures, stalled):
    result = sandbox.SandboxResult(-9, "", "", True, "timeout", 2.0, **measures)
    assert result.host_stalled is stalled
