"""The sandbox contains what untrusted code does."""

from __future__ import annotations

import os

import pytest

from collab_env.sandbox import run_python


def test_normal_code_returns_its_output():
    result = run_python("print(6 * 7)")
    assert result.ok and result.stdout == "42\n"


def test_infinite_loop_is_killed_at_the_time_limit():
    result = run_python("while True:\n    pass\n", timeout_s=1)
    assert result.timed_out and not result.ok and result.wall_s < 3


def test_memory_hog_fails_within_its_limit():
    result = run_python("x = bytearray(2 * 1024**3)\nprint('allocated')", memory_mb=256)
    assert not result.ok and "MemoryError" in result.stderr and "allocated" not in result.stdout


def test_fork_bomb_is_contained_and_leaves_nothing_behind():
    code = "import os\nprint(os.getpgid(0), flush=True)\nwhile True:\n    os.fork()\n"
    result = run_python(code, timeout_s=1.5, max_processes=16)
    assert result.wall_s < 5
    assert _live_members(int(result.stdout.split()[0])) == []


def _live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are not zombies (read from /proc)."""
    live = []
    for entry in os.listdir("/proc"):
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(entry))
    return live


def test_children_are_killed_with_the_run():
    code = "import os, time\nprint(os.getpgid(0), flush=True)\nif os.fork() == 0:\n    time.sleep(60)\ntime.sleep(60)\n"
    result = run_python(code, timeout_s=1)
    assert result.timed_out
    assert _live_members(int(result.stdout.split()[0])) == []


def test_secrets_in_the_parent_environment_do_not_leak(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-leak")
    result = run_python("import os\nprint(os.environ.get('OPENAI_API_KEY'))")
    assert result.stdout == "None\n"


def test_scratch_directory_is_used_and_removed():
    result = run_python("import os\nopen('x.txt', 'w').write('hi')\nprint(os.getcwd())")
    scratch = result.stdout.strip()
    assert "collab-sandbox-" in scratch and not os.path.exists(scratch)


def test_huge_output_is_capped():
    result = run_python("print('x' * 10_000_000)", max_output_bytes=1000)
    assert len(result.stdout) <= 1000


@pytest.mark.parametrize("kwargs", [{"timeout_s": 0}, {"memory_mb": -1}, {"max_processes": 0}])
def test_invalid_limits_raise(kwargs):
    with pytest.raises(ValueError, match="must be > 0"):
        run_python("pass", **kwargs)
