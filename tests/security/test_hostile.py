"""Hostile programs run through the sandbox: each one is contained, and the host is unharmed.

The programs and their checks live in :mod:`collab_env.testing.hostile`; the summary line
(N tried / N contained) is printed by ``tests/security/conftest.py``. Programs that run into a
time limit (a second or more each) are marked ``slow``; ``.ci/run`` runs them.
"""

from __future__ import annotations

import logging
import warnings

import pytest

from collab_env import _sandbox_isolation
from collab_env.sandbox import isolation, run_python
from collab_env.testing.hostile import PROGRAMS, try_program

_SLOW = {
    name for name, p in PROGRAMS.items() if p.limits.get("timeout_s", 5.0) <= 1.5 or name == "recursion_bomb"
}
_PARAMS = [
    pytest.param(p, id=name, marks=[pytest.mark.slow] if name in _SLOW else [])
    for name, p in PROGRAMS.items()
]


@pytest.mark.parametrize("program", _PARAMS)
def test_hostile_program_is_contained(program, record_outcome):
    outcome = try_program(program)
    record_outcome(outcome)
    if not program.expected():
        pytest.xfail(f"not contained without bubblewrap ({isolation()}): {outcome.detail}")
    assert outcome.contained, f"{program.name} ({program.attack}): {outcome.detail}"


@pytest.fixture
def fallback(monkeypatch):
    """The sandbox as it runs where bubblewrap is missing; the probe is forgotten afterwards."""
    monkeypatch.setenv("COLLAB_ENV_SANDBOX", "rlimits")
    _sandbox_isolation.reset()
    yield
    _sandbox_isolation.reset()


def _fallback_lines(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == _sandbox_isolation.__name__ and r.levelno == logging.WARNING
    ]


def test_without_bubblewrap_a_single_line_names_what_is_not_isolated(fallback, caplog):
    """One short log line per process (no warnings.warn with a source line), saying what to do."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Python warning at all
        assert run_python("print(1)").isolation == "rlimits"
        run_python("print(2)")
    (line,) = _fallback_lines(caplog)
    assert "\n" not in line and len(line) < 250, line
    assert "network" in line and "this user's files" in line and "COLLAB_ENV_SANDBOX=rlimits" in line


def test_the_line_names_what_to_install_when_bubblewrap_is_missing(monkeypatch, caplog):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("COLLAB_ENV_SANDBOX", raising=False)
    caplog.set_level(logging.WARNING)
    _sandbox_isolation.reset()
    try:
        assert isolation() == "rlimits"
    finally:
        _sandbox_isolation.reset()
    (line,) = _fallback_lines(caplog)
    assert "apt-get install bubblewrap" in line, line


def test_a_bwrap_that_cannot_run_falls_back(monkeypatch, tmp_path, caplog):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    caplog.set_level(logging.WARNING)
    _sandbox_isolation.reset()
    try:
        assert isolation() == "rlimits"
        assert run_python("print(6 * 7)").stdout == "42\n"
    finally:
        _sandbox_isolation.reset()
    (line,) = _fallback_lines(caplog)
    assert "does not run here" in line, line


@pytest.mark.parametrize(
    "name", ["read_environment", "background_process", "os_exit", "segfault", "huge_stdout"]
)
def test_the_fallback_still_contains_what_it_promises(fallback, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        outcome = try_program(PROGRAMS[name])
    assert outcome.result.isolation == "rlimits" and outcome.contained, outcome.detail
