"""Issue 43: every command's --help is written for users: forms spelt out, an example, no internals."""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import re

import pytest

from collab_env.cli import COMMANDS
from collab_env.cli import build_parser as _build_parser

#: One parser for the module (building one imports every command's options).
build_parser = functools.cache(_build_parser)

#: What a user cannot act on: module paths, Python values, pointers into the source, constants.
INTERNALS = {
    "a module path": re.compile(r"\bcollab_env\b|\b[a-z_]+(?:\.[a-z_]+){2,}\b"),
    "a Python value": re.compile(r"\b(?:None|True|False)\b|\[\]|\{\}"),
    "a pointer into the source": re.compile(r"docstring|\bsee :|:mod:|:func:|:class:|``"),
    "an internal constant": re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b"),
}
#: Placeholders a user types their own value for (the usage line's metavars are not checked).
PLACEHOLDERS = {"BASE_URL"}


def _help(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 0
    return out.getvalue()


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices[name]


def _prose(parser: argparse.ArgumentParser) -> list[str]:
    """What the help says in words: each option's help, the description and the epilog."""
    texts = [a.help for a in parser._actions if a.help and a.help != argparse.SUPPRESS]
    return [*texts, parser.description or "", parser.epilog or ""]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_speaks_to_users(command):
    parser = build_parser() if command is None else _subparser(command)
    for text in _prose(parser):
        for what, pattern in INTERNALS.items():
            found = {m.group(0) for m in pattern.finditer(text)} - PLACEHOLDERS
            assert not found, f"{command or 'collab-env'} --help shows {what} {sorted(found)}: {text!r}"


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_an_example_of_itself(command):
    text = _help([command, "--help"])
    example = text.partition("\nexample")[2]
    assert example, f"collab-env {command} --help has no example"
    lines = [line.strip() for line in example.splitlines()[1:] if line.strip()]
    assert lines[0].startswith(f"collab-env {command}"), lines


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in ("rank", "synth", "finetune", "serve")])
def test_the_offline_examples_parse(command):
    """An example that needs no model or server is a command line the parser accepts as written."""
    example = _help([command, "--help"]).partition("\nexample")[2]
    for line in example.splitlines()[1:]:
        if line.startswith("  collab-env "):
            build_parser().parse_args(line.split()[1:])


def test_the_top_level_help_lists_every_command_and_an_example():
    text = _help(["--help"])
    assert all(command in text for command in COMMANDS)
    assert "examples:\n  collab-env bench" in text


def test_choices_are_spelt_out():
    from collab_env.tasks.datasets import DATASETS

    bench = _help(["bench", "--help"])
    assert all(name in bench for name in DATASETS), "--dataset names every data set"
    assert "passive, clarify" in bench and "module:function" in bench
    assert "{mr,final,turn}" in _help(["train", "--help"])
    assert "(default: off)" in _help(["episode", "--help"])
