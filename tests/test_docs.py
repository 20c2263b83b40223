"""The README's and the docs' Python examples run as written."""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gymnasium as gym
import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Pages whose examples take minutes on 2 cores (servers started, sessions played over the wire):
#: ``slow``, so that the default run prints progress throughout; ``.ci/run`` runs them.
SLOW_DOCS = {"docs/serving.md"}
DOCS = [
    pytest.param(path, marks=[pytest.mark.slow] if str(path.relative_to(ROOT)) in SLOW_DOCS else [])
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
#: A tqdm bar's line: ``Map: 100%|██| 10/10 [00:00<00:00, 233.81 examples/s]``, ``2 examples [00:00, 9 examples/s]``.
_BAR = re.compile(r"%\||\w/s\]")


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run(path, monkeypatch, tmp_path, capfd, caplog):
    """Each page's examples run and print no warning a user would read as failure; the fast pages
    print no progress bar either (a slow page's TRL run shows TRL's own, as TRL does)."""
    blocks = _BLOCK.findall(path.read_text())
    if not blocks:
        pytest.skip(f"{path.name} has no Python example")
    monkeypatch.chdir(tmp_path)
    _fresh_interpreter(path, monkeypatch)
    namespace: dict = {"__name__": "__docs__"}
    with warnings.catch_warnings(record=True) as caught, _own_environ():
        _python_default_filters()
        for block in blocks:
            exec(compile(block, str(path), "exec"), namespace)  # noqa: S102 - our own docs
    page = str(path.relative_to(ROOT))
    stderr = capfd.readouterr().err.splitlines()  # a bar's redraws (\r) split too
    bars = [line for line in stderr if _BAR.search(line)]
    assert page in SLOW_DOCS or not bars, f"{page} prints {len(bars)} progress bar lines:\n" + "\n".join(
        bars[:20]
    )
    stderr += [str(warnings.formatwarning(w.message, w.category, w.filename, w.lineno)) for w in caught]
    stderr += [f"{r.levelname}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [line for line in stderr if "warning" in line.lower()], f"{page} warns:\n" + "\n".join(stderr)


def _fresh_interpreter(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user runs a page in a fresh interpreter: ids it registers that an earlier run in this
    process registered too are taken out of the registry while it runs (no "Overriding" warning)."""
    for env_id in re.findall(r'register\(id="([^"]+)"', path.read_text()):
        if env_id in gym.registry:
            monkeypatch.delitem(gym.registry, env_id)


@contextmanager
def _own_environ() -> Iterator[None]:
    """What a page sets in ``os.environ`` ends with it, as with the user's process."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        os.environ.update(saved)


def _python_default_filters() -> None:
    """The warnings a user's ``python`` shows (pytest shows more): FutureWarning and UserWarning,
    not DeprecationWarning (meant for developers) outside ``__main__``."""
    warnings.simplefilter("default")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.filterwarnings("ignore", category=category)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run_twice_in_one_folder(path, monkeypatch, tmp_path):
    """What an example leaves behind (a cache, a run folder) does not break running it again."""
    blocks = _BLOCK.findall(path.read_text())
    if not blocks:
        pytest.skip(f"{path.name} has no Python example")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        _fresh_interpreter(path, monkeypatch)
        namespace: dict = {"__name__": "__docs__"}
        with _own_environ():
            for block in blocks:
                exec(compile(block, str(path), "exec"), namespace)  # noqa: S102 - our own docs
