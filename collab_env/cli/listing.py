"""``collab-env list``: the registered environment ids, with their task family and metric."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from collab_env.cli.options import examples


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``list`` on the ``collab-env`` subparsers."""
    return sub.add_parser(
        "list",
        help="list the registered environment ids",
        **examples(("collab-env list", "each env id with its task family, metric and facet kinds")),
    )


def run(args: argparse.Namespace, console: Console) -> int:
    """Print one row per env id: family, metric and facet kinds."""
    import gymnasium as gym

    import collab_env

    table = Table("env id", "family", "metric", "facet kinds")
    for env_id in collab_env.ENV_IDS:
        task = gym.make(env_id).unwrapped.task
        table.add_row(env_id, task.name, task.metric_name, ", ".join(k.name for k in task.facet_kinds))
    console.print(table)
    return 0
