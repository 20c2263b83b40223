"""``collab-env bench`` and ``collab-env show``: the benchmark from the command line.

Wired into :mod:`collab_env.cli` by :func:`add_commands`.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import collab_env
from collab_env.bench.log import read_log
from collab_env.bench.plots import PLOTS, write_plots
from collab_env.bench.report import show_episode, write_html
from collab_env.bench.runner import EXECUTORS, BenchConfig, run_bench
from collab_env.bench.summary import COLUMNS, SCORED, compare, describe, provenance, summarise, write_results
from collab_env.errors import ConfigError


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``bench`` and ``show`` on the ``collab-env`` subparsers.

    Args:
        sub: What ``ArgumentParser.add_subparsers()`` returned.
    """
    from collab_env.cli import add_model_arguments  # collab_env.cli imports this module

    defaults = BenchConfig(out="")
    p = sub.add_parser("bench", help="benchmark agents on the envs: table, results files, plots, episode log")
    p.add_argument("--envs", default="all", help="comma-separated env ids, or 'all' (default)")
    p.add_argument(
        "--agents",
        default=",".join(defaults.agents),
        help="comma-separated agent specs: passive, clarify, openai:MODEL@BASE_URL, hf:PATH, module:function",
    )
    p.add_argument(
        "--episodes",
        type=int,
        default=defaults.episodes,
        help=f"per env and agent (default {defaults.episodes})",
    )
    p.add_argument("--seed", type=int, default=defaults.seed, help="episode k uses seed SEED + k (default 0)")
    p.add_argument(
        "--split", choices=("train", "test"), default=defaults.split, help="task split (default test)"
    )
    p.add_argument("--out", default=None, help="output directory (default: runs/bench-<date>-<time>)")
    p.add_argument(
        "--workers", type=int, default=defaults.workers, help="episodes in flight (default: cores)"
    )
    p.add_argument(
        "--resume", action="store_true", help="continue the run in --out, skipping finished episodes"
    )
    p.add_argument("--retry-lost", action="store_true", help="with --resume, run lost episodes again")
    p.add_argument("--compare", metavar="BASE", help="report relative changes against agent BASE")
    p.add_argument("--executor", choices=EXECUTORS, default=defaults.executor, help="where episodes run")
    p.add_argument("--ray-address", default=None, help="Ray cluster address (default: running or local Ray)")
    add_model_arguments(p)
    p.add_argument(
        "--dataset", action="append", default=[], metavar="NAME:PATH",
        help="a public data set for the env of its family (repeatable), e.g. math:data/MATH/test",
    )  # fmt: skip
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("show", help="render one episode of a benchmark log, or write the run's HTML report")
    p.add_argument("log", help="episodes.jsonl of a run (or its directory)")
    p.add_argument("--episode", type=int, default=0, help="the K-th episode of the log (default 0)")
    p.add_argument(
        "--html",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="write a self-contained HTML report of the run (default: report.html beside the log)",
    )
    p.set_defaults(func=cmd_show)


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """The :class:`BenchConfig` that ``collab-env bench`` arguments describe.

    Raises:
        ConfigError: for unknown envs, bad agent specs, ``--compare`` naming no listed agent,
            or ``--resume`` without ``--out``.
    """
    envs = (
        list(collab_env.ENV_IDS)
        if args.envs == "all"
        else [e.strip() for e in args.envs.split(",") if e.strip()]
    )
    agents = [a.strip() for a in args.agents.split(",") if a.strip()]
    if args.compare and args.compare not in agents:
        raise ConfigError(f"--compare {args.compare!r} is not among --agents {agents}")
    if (args.resume or args.retry_lost) and args.out is None:
        raise ConfigError("--resume needs the --out directory of the run to continue")
    if args.retry_lost and not args.resume:
        raise ConfigError("--retry-lost goes with --resume")
    config = BenchConfig(
        envs=envs,
        agents=agents,
        episodes=args.episodes,
        seed=args.seed,
        split=args.split,
        workers=args.workers,
        resume=args.resume,
        retry_lost=args.retry_lost,
        datasets=args.dataset,
        user_model=args.user_model,
        base_url=args.base_url,
        judge_model=args.judge_model,
        executor=args.executor,
        ray_address=args.ray_address,
    )
    if args.out:
        config.out = args.out
    return config


def cmd_bench(args: argparse.Namespace, console: Console) -> int:
    """Run the benchmark, print its summary and write results, plots and the log."""
    config = config_from_args(args)
    # math-verify warns at every call from a worker thread that its signal-based timeout is off
    # (the math task turns it off there on purpose: only the main thread may set signals).
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    start = time.perf_counter()
    tally = Tally()
    total = len(config.envs) * len(config.agents) * config.episodes
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("episodes", total=total)

        def on_episode(record: dict[str, Any]) -> None:
            tally.add(record)
            progress.update(bar, advance=1, description=tally.describe())

        if config.resume:
            log = Path(config.out) / "episodes.jsonl"
            done = read_log(log)[1] if log.exists() else []
            already = sum(r["status"] != "lost" or not config.retry_lost for r in done)
            progress.update(bar, advance=already)
        log = run_bench(config, on_episode)
    header, records = read_log(log)
    out = Path(config.out)
    rows = summarise(records)
    changes = compare(rows, args.compare) if args.compare else None
    write_results(rows, out, header, changes)
    write_plots(rows, records, out)
    print_summary(console, rows, header)
    for change in changes or []:
        console.print(describe(change))
    lost = sum(r["lost"] for r in rows)
    console.print(
        f"{len(records)} episodes ({lost} lost) in {time.perf_counter() - start:.1f} s wall time; "
        f"wrote {out}/results.md, results.csv, results.json, plots and episodes.jsonl"
    )
    return 0


class Tally:
    """Running means of a run's metrics, and its model tokens and cost, for the progress bar."""

    def __init__(self) -> None:
        self.sums = dict.fromkeys(COLUMNS, 0.0)
        self.scored = self.lost = self.agent_errors = self.tokens = 0
        self.cost = 0.0

    def add(self, record: dict[str, Any]) -> None:
        """Count one finished episode."""
        if record["status"] in SCORED:
            self.scored += 1
            self.agent_errors += record["status"] == "agent_error"
            for key, (_, read) in COLUMNS.items():
                self.sums[key] += read(record)
        else:
            self.lost += 1
        for usage in (record.get("usage") or {}).values():
            self.tokens += (
                usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0) + usage.get("tokens", 0)
            )
        self.cost += record.get("cost", 0.0) or 0.0

    def describe(self) -> str:
        """The progress line: running means, lost episodes, model tokens and cost.

        >>> t = Tally(); t.add({"status": "ok", "reward": {"task_metric": 1, "engagement": 0.5, "total": 1.4},
        ...                     "assistant_tokens": 100, "turns": 2, "cost": 0.01,
        ...                     "usage": {"agent": {"prompt_tokens": 30, "completion_tokens": 12}}})
        >>> t.describe()
        'task metric 1.000 · tokens read (k) 0.100 · ITR 0.500 · R* 1.400 · turns 2.000 · model tokens 42 · cost 0.0100'
        """
        if self.scored:
            means = [f"{label} {self.sums[k] / self.scored:.3f}" for k, (label, _) in COLUMNS.items()]
        else:
            means = ["no episode scored yet"]
        if self.lost:
            means.append(f"[red]{self.lost} lost[/]")
        if self.agent_errors:
            means.append(f"[red]{self.agent_errors} agent errors[/]")
        means += [f"model tokens {self.tokens}", f"cost {self.cost:.4f}"]
        return " · ".join(means)


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """Print one episode's transcript and reward parts, or write the run's HTML report."""
    header, records = read_log(args.log)
    log = Path(args.log)
    run_dir = log if log.is_dir() else log.parent
    if args.html is not None:
        path = Path(args.html) if args.html else run_dir / "report.html"
        rows = summarise(records)
        plots = [run_dir / name for name in PLOTS]
        if not all(p.exists() for p in plots):
            plots = write_plots(rows, records, run_dir)
        write_html(header, rows, records, plots, path)
        console.print(f"wrote {path} (a single file: open it in a browser)")
        return 0
    if not 0 <= args.episode < len(records):
        raise ConfigError(f"--episode {args.episode} is out of range: the log has {len(records)} episodes")
    show_episode(console, records[args.episode])
    return 0


def print_summary(console: Console, rows: list[dict[str, Any]], header: dict[str, Any] | None = None) -> None:
    """Print the summary table (mean ± 95% CI per env and agent) with rich.

    On a terminal the table fits its width; into a file or a pipe it is printed whole.

    Args:
        console: Where to print.
        rows: Rows of :func:`~collab_env.bench.summary.summarise`.
        header: The log's header, for the caption naming versions, user simulator and judge.
    """
    table = Table(title="collab-env bench: mean ± 95% CI", caption=provenance(header) if header else None)
    for name in (
        "env",
        "agent",
        "metric",
        "scored",
        "lost",
        "agent errors",
        *(label for label, _ in COLUMNS.values()),
    ):
        table.add_column(name, justify="left" if name in ("env", "agent", "metric") else "right")
    for r in rows:
        lost = f"[red]{r['lost']}[/]" if r["lost"] else "0"
        stats = (f"{r[k].mean:.3f}±{r[k].ci95:.3f}" if r[k].n else "n/a" for k in COLUMNS)
        errors = f"[red]{r['agent_errors']}[/]" if r.get("agent_errors") else "0"
        table.add_row(r["env_id"], escape(r["agent"]), r["metric"], str(r["episodes"]), lost, errors, *stats)
    if not console.is_terminal:  # a file or a pipe: no terminal width to fit, print the table whole
        console = Console(file=console.file, width=max(console.width, 160), highlight=False)
    console.print(table)
