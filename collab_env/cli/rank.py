"""``collab-env rank``: sample K responses per turn from an agent and rank them by MR."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from collab_env.cli.options import add_config_options, config_kwargs, examples
from collab_env.cli.synth import add_ranking_options, ranking_config

#: What ``rank`` plays unless told otherwise: one episode of the fixed test split.
RANK_DEFAULTS = {"episodes": 1, "env.split": "test"}


@dataclass
class RankRun:
    """Where the ranked turns go, besides the terminal.

    Attributes:
        out: Also write each ranked turn as a JSON line to this file.
    """

    out: str | None = None


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``rank`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "rank",
        help="sample K responses per turn from an agent and rank them by MR",
        **examples(
            (
                "collab-env rank --env CollabMath-v0 --agent openai:qwen2.5-7b-instruct@http://localhost:8000/v1",
                "4 sampled replies per turn of one episode, each scored by the mean R* of 2 simulated futures",
            )
        ),
    )
    add_ranking_options(p, skip=("min_gap",), defaults=RANK_DEFAULTS)
    add_config_options(p, RankRun)
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Rank each turn's candidates; print a table per turn (and append JSON lines to --out)."""
    from collab_env.agents.ranking import identical_candidates, rank_episode
    from collab_env.agents.specs import build_agent
    from collab_env.cli.preflight import preflight

    config = ranking_config(args, RANK_DEFAULTS)
    preflight([config.env], [config.agent])
    env = config.env.make()
    agent = build_agent(config.agent, env, config.agent_options)
    if hasattr(agent, "sampling"):
        agent.sampling.setdefault("temperature", config.temperature)
    out = RankRun(**config_kwargs(args, RankRun)).out
    sink = open(out, "a") if out else None
    turns = []
    try:
        for k in range(config.episodes):
            seed = config.seed + k
            for ranked in rank_episode(
                env, agent, config.candidates, config.window, config.samples, seed=seed
            ):
                _print_turn(console, ranked, k)
                turns.append(ranked)
                if sink is not None:
                    sink.write(json.dumps({"episode": k, "seed": seed, **ranked.as_dict()}) + "\n")
                    sink.flush()
    finally:
        if sink is not None:
            sink.close()
    if warning := identical_candidates(turns, config.candidates):
        console.print(f"[yellow]warning[/]: {warning}")
    return 0


def _print_turn(console: Console, ranked: Any, episode: int) -> None:
    table = Table("#", "MR", "±", "response", title=f"episode {episode}, turn {ranked.turn}")
    order = sorted(range(len(ranked.candidates)), key=lambda i: -ranked.scores[i].mean)
    for i in order:
        mark = " (played)" if i == ranked.best else ""
        preview = " ".join(ranked.candidates[i].split())[:90]
        table.add_row(
            f"{i}{mark}", f"{ranked.scores[i].mean:.3f}", f"{ranked.scores[i].std:.3f}", escape(preview)
        )
    console.print(table)
