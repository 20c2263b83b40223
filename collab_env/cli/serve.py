"""``collab-env serve``: serve an env over the wire, in OpenEnv's or NeMo Gym's contract."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

from collab_env.cli.options import add_config_options, add_env_options, config_kwargs, env_config, examples


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``serve`` on the ``collab-env`` subparsers."""
    from collab_env.serve.app import ServeOptions

    p = sub.add_parser(
        "serve",
        help="serve an env to many sessions over OpenEnv's or NeMo Gym's contract (extra [serve])",
        **examples(
            (
                "collab-env serve CollabDoc-v0 --port 8000",
                "OpenEnv's WebSocket sessions at ws://127.0.0.1:8000/ws until Ctrl-C",
            )
        ),
    )
    p.add_argument("env_arg", nargs="?", metavar="ENV", help="environment id; the same as --env")
    add_env_options(p)
    add_config_options(p, ServeOptions, defaults={})
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Serve until interrupted; report the sessions open at shutdown. Exit 0."""
    from collab_env.cli.preflight import preflight
    from collab_env.errors import ConfigError
    from collab_env.serve.app import ServeOptions, build_app, serve

    options = ServeOptions(**config_kwargs(args, ServeOptions))
    if args.env_arg and args.env_id and args.env_arg != args.env_id:
        raise ConfigError(f"two envs given: {args.env_arg} and --env {args.env_id}; give one")
    config = env_config(args, {}, **({"env_id": args.env_arg} if args.env_arg else {}))
    preflight([config], [options.mr_policy] if options.mr_window is not None else [])
    make_env = env_factory(config, options)
    make_env().close()  # a bad config or policy fails here, before the server listens
    app = build_app(make_env, options, config.env_id, threads=options.threads)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)

    def ready(url: str) -> None:
        mr = (
            f", MR window {options.mr_window} x {options.mr_samples}" if options.mr_window is not None else ""
        )
        console.print(f"serving {config.env_id} ({options.contract}{mr}) at {url}", soft_wrap=True)
        sys.stdout.flush()

    serve(app, options, ready)
    report = app.state.shutdown_report or []
    unfinished = [r for r in report if not r["finished"]]
    console.print(
        f"stopped: {len(report)} session(s) open at shutdown, {len(unfinished)} unfinished (not scored)"
    )
    for r in unfinished:
        console.print(
            f"  unfinished session {r['session']}: seed {r['seed']}, task {r['task_id']}, {r['turns']} turns"
        )
    return 0


def env_factory(config: Any, options: Any) -> Callable[[], Any]:
    """The factory of one session's env (MR-wrapped with ``--mr-window``)."""
    from collab_env.agents.specs import build_agent
    from collab_env.wrappers.mr import MultiturnAwareReward

    def make_env() -> Any:
        env = config.make()
        if options.mr_window is None:
            return env
        policy = build_agent(options.mr_policy, env, options.agent_options)
        return MultiturnAwareReward(env, policy, window=options.mr_window, samples=options.mr_samples)

    return make_env
