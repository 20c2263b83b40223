"""The ``collab-env`` command line: one module per command, options generated from the configs.

Commands: ``list``, ``episode``, ``play`` (one env), ``bench`` and ``show`` (the benchmark
harness), ``train``, ``rank``, ``synth`` and ``finetune`` (agents),
``serve`` (an env over the wire), ``user-check`` (a user model's card). Each module has
``add_parser(subparsers)`` and ``run(args, console) -> int``; its options come from the config
dataclasses through :mod:`collab_env.cli.options`, so a field has the same option in every
command. The environment's options are :class:`~collab_env.config.EnvConfig`'s everywhere; a
command that plays one env takes ``--env ID``, ``bench`` (several envs) takes ``--envs ID,ID``.

Exit status: 0 done, 1 every episode of a run was lost, 2 a user error (one line, no
traceback), 130 interrupted (with the command that resumes, where there is one).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

COMMANDS = (
    "list",
    "episode",
    "play",
    "bench",
    "show",
    "train",
    "rank",
    "synth",
    "finetune",
    "serve",
    "user-check",
)
#: The module of a command whose name is a Python builtin or has a dash.
_MODULES = {"list": "listing", "user-check": "user_check"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``collab-env``; returns the exit status.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 1 when every episode of a run was lost, 2 for a user error, 130 on Ctrl-C.
    """
    import gymnasium as gym

    from collab_env.arguments import expand_paths
    from collab_env.errors import CollabEnvError

    _import_like_python_m()
    args = build_parser().parse_args(expand_paths(sys.argv[1:] if argv is None else argv))
    console = Console(highlight=False)
    try:
        return args.run(args, console)
    except (CollabEnvError, gym.error.Error, ImportError) as exc:  # ImportError: a missing extra
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        hint = getattr(args, "resume_hint", None)
        resume = f"; resume with: {escape(hint)}" if hint else ""
        console.print(f"[bold yellow]interrupted[/]{resume}", soft_wrap=True)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The ``collab-env`` parser with every command's subparser."""
    from collab_env import __version__

    parser = argparse.ArgumentParser(
        prog="collab-env",
        description=(
            "Gymnasium environments in which an assistant collaborates with a simulated user: "
            "play, benchmark, train and serve them. Every command runs offline by default."
        ),
        epilog=(
            "examples:\n"
            "  collab-env bench\n"
            "      both scripted agents on the four envs: the table, results files, plots\n"
            "  collab-env episode CollabDoc-v0 --agent clarify --seed 0\n"
            "      one episode's transcript and R* with its parts\n"
            "  collab-env COMMAND --help\n"
            "      a command's options, with an example"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"collab-env {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"collab_env.cli.{_MODULES.get(name, name)}")
        module.add_parser(sub).set_defaults(run=module.run)
    return parser


def _import_like_python_m() -> None:
    """Put the working folder first on the import path, as ``python -m`` does.

    The console script does not; without this, ``module:function`` agent specs of a module in
    the working folder could not be imported.
    """
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


__all__ = ["COMMANDS", "build_parser", "main"]
