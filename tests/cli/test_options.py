"""The command line is generated from the configs: every field an option, one name everywhere."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from collab_env.cli import COMMANDS, build_parser
from collab_env.cli.options import add_config_options, config_kwargs, flag
from collab_env.config import EnvConfig

ENV_COMMANDS = ("episode", "play", "bench", "train", "rank", "synth", "serve")


def options_of(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {s for a in sub.choices[command]._actions for s in a.option_strings}


@pytest.mark.parametrize("command", ENV_COMMANDS)
def test_every_command_takes_the_environment_options_by_the_same_names(command):
    wanted = {flag(f.name) for f in dataclasses.fields(EnvConfig) if f.init}
    wanted -= {"--env", "--dataset"} if command == "bench" else set()
    wanted -= {"--split", "--reward-mode"} if command == "train" else set()  # train sets them itself
    assert wanted <= options_of(command)
    shared = {"--user-model", "--base-url", "--judge-model", "--dataset", "--model-option"}
    assert shared <= options_of(command)
    assert ("--envs" in options_of(command)) == (command == "bench")


@pytest.mark.parametrize(
    ("command", "module", "name"),
    [("train", "collab_env.agents.train", "TrainConfig"), ("synth", "collab_env.agents.synth", "SynthConfig"),
     ("bench", "collab_env.harness.config", "BenchConfig"),
     ("serve", "collab_env.serve.app", "ServeOptions")],
)  # fmt: skip
def test_every_field_of_a_command_config_is_an_option(command, module, name):
    cls = getattr(__import__(module, fromlist=[name]), name)
    fields = {flag(f.name) for f in dataclasses.fields(cls) if f.name != "env"}  # env: its own fields
    assert fields <= options_of(command)


def test_every_command_has_a_module_and_a_help():
    assert set(COMMANDS) == {"list", "episode", "play", "bench", "show", "train", "rank", "synth", "finetune",
                             "serve", "user-check"}  # fmt: skip
    for command in COMMANDS:
        assert options_of(command) >= {"-h"}


@dataclasses.dataclass
class Example:
    """An example.

    Attributes:
        name: A required name.
        items: Things, comma-separated or repeated.
        loud: Shout.
        ratio: A ratio.
    """

    name: str
    items: tuple[str, ...] = ()
    loud: bool = False
    ratio: float | None = dataclasses.field(
        default=None, metadata={"help": "the ratio", "choices": (0.5, 1.0)}
    )


def test_the_generator_handles_required_lists_bools_optionals_and_choices():
    parser = argparse.ArgumentParser()
    add_config_options(parser, Example)
    args = parser.parse_args(["--name", "x", "--items", "a,b", "--items", "c", "--loud", "--ratio", "0.5"])
    assert Example(**config_kwargs(args, Example)) == Example("x", ("a", "b", "c"), True, 0.5)
    assert config_kwargs(parser.parse_args(["--name", "x"]), Example) == {"name": "x"}  # only what was given
    assert "A ratio" not in parser.format_help() and "the ratio" in parser.format_help()
    with pytest.raises(SystemExit):
        parser.parse_args([])  # --name is required
    with pytest.raises(SystemExit):
        parser.parse_args(["--name", "x", "--ratio", "2"])  # not a choice
