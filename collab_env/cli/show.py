"""``collab-env show``: one episode of a benchmark log in the terminal, or the run's HTML report."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from collab_env.cli.bench import CompareOptions, check_comparable, comparison
from collab_env.cli.options import add_config_options, config_kwargs, examples
from collab_env.cli.render import show_episode
from collab_env.errors import ConfigError


@dataclass
class ShowOptions:
    """Which episodes of a log to print.

    Attributes:
        episode: The seed of the episodes to show (default: the log's first seed).
        env_id: Only the episodes of this env.
        agent: Only the episodes of this agent spec.
    """

    episode: int | None = None
    env_id: str | None = None
    agent: str | None = None


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``show`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "show",
        help="render one episode of a benchmark log, or write the run's HTML report",
        **examples(
            (
                "collab-env show runs/first --episode 3",
                "episode 3 of every env and agent in the run, with R*'s parts",
            ),
            (
                "collab-env show runs/first --html",
                "write runs/first/report.html, one file to open in a browser (with the run's --compare)",
            ),
        ),
    )
    p.add_argument("log", help="episodes.jsonl of a run (or its directory)")
    add_config_options(p, ShowOptions)
    add_config_options(p, CompareOptions)
    p.add_argument(
        "--html", nargs="?", const="", default=None, metavar="PATH",
        help="write a self-contained HTML report of the run (default: report.html beside the log)",
    )  # fmt: skip
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Print the episodes of one seed (every env and agent, or those asked), or write the report."""
    from collab_env.harness.log import read_log

    header, records = read_log(args.log)
    options = CompareOptions(**config_kwargs(args, CompareOptions))
    check_comparable(
        header, options.compare, sorted({r["agent"] for r in records}), options.allow_different_users
    )
    if args.html is not None:
        return _write_report(args, console, header, records)
    options = ShowOptions(**config_kwargs(args, ShowOptions))
    if options.episode is None and records:
        options.episode = min(r["seed"] for r in records)
    chosen = [
        r
        for r in records
        if r["seed"] == options.episode
        and options.env_id in (None, r["env_id"])
        and options.agent in (None, r["agent"])
    ]
    if not chosen:
        seeds = sorted({r["seed"] for r in records})
        span = f"seeds {seeds[0]} to {seeds[-1]}" if seeds else "no episodes"
        raise ConfigError(f"--episode {options.episode}: no such episode in {args.log} (it holds {span})")
    for record in sorted(chosen, key=lambda r: (r["env_id"], r["agent"])):
        show_episode(console, record)
    return 0


def _write_report(args: argparse.Namespace, console: Console, header: dict, records: list[dict]) -> int:
    from collab_env.harness.plots import PLOTS, write_plots
    from collab_env.harness.report import write_html
    from collab_env.harness.summary import summarise

    log = Path(args.log)
    run_dir = log if log.is_dir() else log.parent
    path = Path(args.html) if args.html else run_dir / "report.html"
    rows = summarise(records)
    plots = [run_dir / name for name in PLOTS]
    if not all(p.exists() for p in plots):
        plots = write_plots(rows, records, run_dir)
    options = CompareOptions(**config_kwargs(args, CompareOptions))
    agents = sorted({r["agent"] for r in records})
    if options.compare is None:
        options.compare = _run_compare(header, agents, console)
    changes = comparison(rows, header, options, agents)
    write_html(header, rows, records, plots, path, changes=changes)
    console.print(f"wrote {path} (a single file: open it in a browser)")
    return 0


def _run_compare(header: dict, agents: list[str], console: Console) -> str | None:
    """The ``--compare`` the bench run was given (its log header keeps it), so that its report shows
    the same comparison as its results.md; ``None`` when it had none, or names a run now gone."""
    base = (header.get("config") or {}).get("compare")
    if base is None or base in agents or Path(base).exists():
        return base
    console.print(f"the run was compared with {base}, which is no longer there: the report leaves it out")
    return None
