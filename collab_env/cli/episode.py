"""The ``collab-env`` command line: list the envs, play one yourself, or watch an agent."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
from rich.console import Console
from rich.markup import escape
from rich.table import Table

import collab_env
from collab_env.errors import CollabEnvError
from collab_env.registration import check_env_id
from collab_env.rollout import EpisodeResult, run_episode
from collab_env.types import ChatMessage

_ROLE_STYLE = {"user": "bold cyan", "assistant": "bold green"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``collab-env``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    try:
        return args.func(args, console)
    except (CollabEnvError, gym.error.Error) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="collab-env", description=__doc__)
    parser.add_argument("--version", action="version", version=f"collab-env {collab_env.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the registered environment ids")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("episode", help="run one episode with a built-in agent and show it")
    _env_arguments(p)
    p.add_argument("--agent", default="clarify", help="built-in agent: passive or clarify (default: clarify)")
    p.add_argument("--json", action="store_true", help="print the episode as JSON instead of a transcript")
    p.set_defaults(func=_cmd_episode)

    p = sub.add_parser("play", help="type the assistant's turns yourself")
    _env_arguments(p)
    p.set_defaults(func=_cmd_play)

    from collab_env.agents.cli import add_commands as add_agent_commands
    from collab_env.bench.cli import add_commands

    add_commands(sub)
    add_agent_commands(sub)
    return parser


def _env_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("env_id", help="environment id, e.g. CollabDoc-v0 (see `collab-env list`)")
    p.add_argument("--seed", type=int, default=0, help="episode seed (default: 0)")
    p.add_argument("--split", choices=("train", "test"), default="test", help="task split (default: test)")
    p.add_argument("--task-id", default=None, help="play this task instance, e.g. doc-test-00003")
    p.add_argument(
        "--max-turns", type=int, default=10, help="assistant turns before truncation (default: 10)"
    )
    add_model_arguments(p)
    p.add_argument(
        "--dataset", default=None, metavar="NAME:PATH", help="a public data set, e.g. math:data/MATH/test"
    )


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """--user-model, --judge-model and --base-url: models for the user simulator and the judge."""
    p.add_argument(
        "--user-model", default=None, help="model that plays the user (default: the scripted user)"
    )
    p.add_argument(
        "--judge-model", default=None, help="model that scores engagement (default: the heuristic)"
    )
    p.add_argument(
        "--base-url", default=None, help="OpenAI-compatible endpoint of --user-model / --judge-model"
    )


def _make_env(args: argparse.Namespace) -> gym.Env:
    return gym.make(
        check_env_id(args.env_id),
        split=args.split,
        max_turns=args.max_turns,
        user_model=args.user_model,
        base_url=args.base_url,
        judge_model=args.judge_model,
        dataset=args.dataset,
    )


def _cmd_list(args: argparse.Namespace, console: Console) -> int:
    table = Table("env id", "family", "metric", "facet kinds")
    for env_id in collab_env.ENV_IDS:
        task = gym.make(env_id).unwrapped.task
        table.add_row(env_id, task.name, task.metric_name, ", ".join(k.name for k in task.facet_kinds))
    console.print(table)
    return 0


def _cmd_episode(args: argparse.Namespace, console: Console) -> int:
    from collab_env.agents import make_agent

    env = _make_env(args)
    result = run_episode(env, make_agent(args.agent, env), seed=args.seed, task_id=args.task_id)
    if args.json:
        console.print_json(json.dumps(_episode_json(result, args)))
        return 0
    console.rule(f"{args.env_id} · {result.task_id} · agent {args.agent} · seed {args.seed}")
    print_transcript(console, result.messages)
    print_reward(console, result.reward, result)
    return 0


def _cmd_play(args: argparse.Namespace, console: Console) -> int:
    env = _make_env(args)
    obs, info = env.reset(seed=args.seed, options={"task_id": args.task_id} if args.task_id else None)
    console.rule(f"{args.env_id} · {info['task_id']} · you are the assistant")
    console.print("Type your message; finish it with an empty line. Type /quit to stop.\n")
    print_transcript(console, obs)
    while True:
        text = _read_message(console)
        if text is None or text.strip() == "/quit":
            console.print("[dim]stopped[/]")
            return 0
        obs, reward, terminated, truncated, info = env.step(text)
        print_transcript(console, obs[-1:])
        print_reward(console, info["reward"], None, reward=reward)
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


def print_transcript(console: Console, messages: Sequence[ChatMessage]) -> None:
    """Print messages with their roles, one block per turn."""
    for m in messages:
        console.print(f"[{_ROLE_STYLE[m['role']]}]{m['role']}[/]")
        console.print(escape(m["content"]), soft_wrap=True)
        console.print()


def print_reward(
    console: Console, parts: dict[str, Any], result: EpisodeResult | None, reward: float | None = None
) -> None:
    """Print R* and its parts as a table."""
    table = Table("part", "value", title="reward (R*)")
    table.add_row("task metric (R_ext)", f"{parts['task_metric']:.3f}")
    table.add_row(
        "token penalty", f"-{parts['token_penalty']:.3f} ({parts['assistant_tokens']} assistant tokens)"
    )
    table.add_row(f"engagement (R_eng, {parts['engagement_judge']})", f"{parts['engagement']:.3f}")
    table.add_row("[bold]R*[/]", f"[bold]{parts['total']:.3f}[/]")
    if reward is not None:
        table.add_row("reward paid this step", f"{reward:.3f}")
    if result is not None:
        ending = "user ended the chat" if result.terminated else "truncated"
        table.add_row("turns", f"{result.turns} ({ending})")
        table.add_row("questions asked", str(result.questions_asked))
    console.print(table)


def _episode_json(result: EpisodeResult, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "env_id": args.env_id,
        "agent": args.agent,
        "seed": args.seed,
        "task_id": result.task_id,
        "turns": result.turns,
        "terminated": result.terminated,
        "reward": result.reward,
        "messages": result.messages,
    }


if __name__ == "__main__":
    sys.exit(main())
