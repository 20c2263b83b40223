"""``collab-env episode``: run one episode with an agent and show it."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

from collab_env.cli.options import add_config_options, add_env_options, config_kwargs, env_config, examples
from collab_env.cli.render import print_reward, print_transcript

#: What ``episode`` and ``play`` evaluate on unless told otherwise: the fixed test split.
ENV_DEFAULTS = {"split": "test"}


@dataclass
class EpisodeOptions:
    """One episode to watch.

    Attributes:
        agent: Agent spec: passive, clarify, openai:MODEL@BASE_URL, hf:PATH or module:function.
        seed: Episode seed; on the test split, seed k plays instance k (mod the split's size).
        task_id: Play this task instance instead, e.g. doc-test-00003.
        json: Print the episode as JSON instead of a transcript.
        agent_options: KEY=VALUE options of a model agent's model, also written --agent.KEY VALUE:
            max_tokens, temperature, timeout_s, concurrency, max_retries or cache.
    """

    agent: str = "clarify"
    seed: int = 0
    task_id: str | None = None
    json: bool = field(default=False)
    agent_options: tuple[str, ...] = field(default=(), metadata={"metavar": "KEY=VALUE"})


def add_env_argument(p: argparse.ArgumentParser) -> None:
    """The env id as an optional first argument (``collab-env episode CollabDoc-v0``) or ``--env``."""
    p.add_argument("env_arg", nargs="?", metavar="ENV", help="environment id; the same as --env")
    add_env_options(p, defaults=ENV_DEFAULTS)


def episode_env_config(args: argparse.Namespace) -> Any:
    """The :class:`~collab_env.config.EnvConfig` of ``episode`` / ``play`` options.

    Raises:
        ConfigError: for a bad value, or an env given both as ``ENV`` and ``--env``.
    """
    from collab_env.errors import ConfigError

    if args.env_arg and args.env_id and args.env_arg != args.env_id:
        raise ConfigError(f"two envs given: {args.env_arg} and --env {args.env_id}; give one")
    fixed = {"env_id": args.env_arg} if args.env_arg else {}
    return env_config(args, ENV_DEFAULTS, **fixed)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``episode`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "episode",
        help="run one episode with an agent and show it",
        **examples(
            (
                "collab-env episode CollabCode-v0 --agent clarify --seed 3",
                "the transcript of test instance 3, then R* and what each part of it counts",
            )
        ),
    )
    add_env_argument(p)
    add_config_options(p, EpisodeOptions, defaults={})
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Play the episode; print its transcript and R* (or JSON). Exit 1 when it was lost."""
    from collab_env.agents.specs import build_agent
    from collab_env.cli.preflight import preflight
    from collab_env.rollout import run_episode

    options = EpisodeOptions(**config_kwargs(args, EpisodeOptions))
    config = episode_env_config(args)
    preflight([config], [options.agent])
    env = config.make()
    result = run_episode(
        env,
        build_agent(options.agent, env, options.agent_options),
        seed=options.seed,
        task_id=options.task_id,
    )
    error = next((i["error"] for i in result.infos if "error" in i), None)
    if error is not None:
        console.print(
            f"[bold red]episode lost (not scored):[/] {escape(str(error).strip().splitlines()[-1])}"
        )
        return 1
    if options.json:
        console.print_json(
            json.dumps({**_episode_json(result, config.env_id, options), "env": config.as_dict()})
        )
        return 0
    console.rule(f"{config.env_id} · {result.task_id} · agent {escape(options.agent)} · seed {options.seed}")
    print_transcript(console, result.messages)
    details = result.infos[-1].get("task_metric_details") if result.infos else None
    print_reward(console, result.reward, result, metric=env.unwrapped.task.metric_name, details=details)
    return 0


def _episode_json(result: Any, env_id: str, options: EpisodeOptions) -> dict[str, Any]:
    return {
        "env_id": env_id,
        "agent": options.agent,
        "seed": options.seed,
        "task_id": result.task_id,
        "turns": result.turns,
        "terminated": result.terminated,
        "reward": result.reward,
        "messages": result.messages,
    }
