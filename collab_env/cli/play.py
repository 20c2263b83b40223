"""``collab-env play``: type the assistant's turns yourself."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from collab_env.cli.episode import add_env_argument, episode_env_config
from collab_env.cli.options import add_config_options, config_kwargs, examples
from collab_env.cli.render import print_reward, print_transcript


@dataclass
class PlayOptions:
    """The episode you play.

    Attributes:
        seed: Episode seed; on the test split, seed k plays instance k (mod the split's size).
        task_id: Play this task instance instead, e.g. doc-test-00003.
    """

    seed: int = 0
    task_id: str | None = None


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``play`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "play",
        help="type the assistant's turns yourself",
        **examples(("collab-env play CollabMath-v0 --seed 1", "you are the assistant; /quit ends the chat")),
    )
    add_env_argument(p)
    add_config_options(p, PlayOptions)
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Read assistant turns from stdin until the chat ends or ``/quit``."""
    from collab_env.cli.preflight import preflight

    options = PlayOptions(**config_kwargs(args, PlayOptions))
    config = episode_env_config(args)
    preflight([config])
    env = config.make()
    task = {"task_id": options.task_id} if options.task_id else None
    obs, info = env.reset(seed=options.seed, options=task)
    console.rule(f"{config.env_id} · {info['task_id']} · you are the assistant")
    console.print("Type your message; finish it with an empty line. Type /quit to stop.\n")
    print_transcript(console, obs)
    while True:
        text = _read_message(console)
        if text is None or text.strip() == "/quit":
            console.print("[dim]stopped[/]")
            return 0
        obs, reward, terminated, truncated, info = env.step(text)
        if "error" in info:
            console.print(f"[bold red]the user simulator failed:[/] {escape(str(info['error']))}")
            return 1
        print_transcript(console, obs[-1:])
        print_reward(
            console, info["reward"], reward=reward, metric=env.unwrapped.task.metric_name,
            details=info.get("task_metric_details"),
        )  # fmt: skip
        if terminated or truncated:
            console.rule("the user ended the chat" if terminated else "turn limit reached")
            return 0


def _read_message(console: Console) -> str | None:
    lines: list[str] = []
    console.print("[bold green]assistant>[/] ", end="")
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line and lines:
            break
        if line:
            lines.append(line)
        if line.strip() == "/quit":
            break
    return "\n".join(lines) if lines else None
