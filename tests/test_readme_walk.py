"""Issue 43, a newcomer's walk: the README's commands after the set-up run as the README says.

The commands are read from README.md, so that the test breaks when the README drifts: every
``bash`` block after the set-up block (the CI block, which ``.ci/run`` runs itself), run one
line at a time in a plain ``bash -lc`` shell after the activation the README asks for, in a
scratch folder. ``pip install`` lines are left out (no network in tests). Every inline
``collab-env ...`` command of the prose must parse, and every ``python -m`` module exist.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from collab_env.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ACTIVATE = "source .venv/bin/activate"
_CI_BLOCK = re.compile(r"<!-- ci:begin -->.*?<!-- ci:end -->", re.S)
_BASH = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
_INLINE = re.compile(r"`([^`\n]+)`")


def walk_commands(readme: str = README) -> list[str]:
    """The README's shell commands after the set-up block, as a newcomer types them."""
    blocks = _BASH.findall(_CI_BLOCK.sub("", readme))
    lines = [line.split(" #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and "pip install" not in line]


def test_the_readme_asks_for_the_activation_once_before_the_walk():
    commands = walk_commands()
    assert commands[0] == ACTIVATE, commands
    assert ACTIVATE not in commands[1:]
    assert any(c.startswith("collab-env episode") for c in commands)


def test_a_newcomer_runs_every_readme_command_after_the_set_up(tmp_path):
    """About 40 s on 2 cores, a 512-step training most of it (so not ``slow``)."""
    if not (ROOT / ".venv" / "bin" / "activate").exists():
        pytest.skip("no .venv at the checkout's root: command 1 of the README was not run here")
    for command in walk_commands()[1:]:
        script = f"cd {shlex.quote(str(ROOT))} && {ACTIVATE} && cd {shlex.quote(str(tmp_path))} && {command}"
        done = subprocess.run(
            ["bash", "-lc", script], capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
        )
        assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        noise = [line for line in done.stderr.splitlines() if "Traceback" in line or "Warning:" in line]
        assert not noise, f"{command} printed what reads as a failure: {noise}"
    assert (tmp_path / "runs" / "first" / "report.html").exists()
    assert (tmp_path / "runs" / "first-ppo" / "model.zip").exists()


def _inline_commands() -> list[str]:
    spans = [span for span in _INLINE.findall(README) if "collab-env " in span or "python -m " in span]
    parts = [part.strip() for span in spans for part in span.split("&&")]
    return sorted({p for p in parts if p.startswith(("collab-env ", "python -m "))})


@pytest.mark.parametrize("command", _inline_commands())
def test_every_command_the_readme_names_exists(command):
    argv = shlex.split(command)
    if argv[:2] == ["python", "-m"]:
        assert importlib.util.find_spec(argv[2]) is not None, f"{command}: no module {argv[2]}"
        return
    if len(argv) == 2 or any(re.fullmatch(r"[A-Z][A-Z_]*", a) for a in argv):  # a name, a form
        assert argv[1] in COMMANDS or argv[1] == "COMMAND", f"{command}: no such command"
        return
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit as exit_:
        assert exit_.code == 0, f"{command} does not parse"
