"""``collab-env bench`` and ``collab-env show``."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import collab_env
from collab_env.bench.plots import write_plots
from collab_env.bench.report import write_html
from collab_env.bench.runner import BenchConfig, read_log, run_bench
from collab_env.bench.summary import COLUMNS, compare, markdown, summarise, write_results
from collab_env.errors import ConfigError


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``bench`` and ``show`` on the ``collab-env`` subparsers."""
    from collab_env.cli import add_model_arguments  # cli imports this module: import at call time

    defaults = BenchConfig()
    p = sub.add_parser("bench", help="benchmark agents on the envs; table, results files, episode log")
    p.add_argument("--envs", default="all", help="comma-separated env ids, or 'all' (default)")
    p.add_argument("--agents", default=",".join(defaults.agents), help="comma-separated agent specs")
    p.add_argument("--episodes", type=int, default=defaults.episodes, help="episodes per env and agent")
    p.add_argument("--seed", type=int, default=defaults.seed, help="seed of the first episode")
    p.add_argument("--split", choices=("train", "test"), default=defaults.split)
    p.add_argument("--out", default=None, help="output directory (default: runs/bench-<date>-<time>)")
    p.add_argument("--workers", type=int, default=defaults.workers, help="episodes in flight (processes)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--compare", metavar="BASE", help="report relative changes against agent BASE")
    p.add_argument("--executor", choices=("processes", "ray"), default="processes", help="where episodes run")
    p.add_argument("--ray-address", default=None, help="Ray cluster address (default: running or local Ray)")
    add_model_arguments(p)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("show", help="render one episode of a benchmark log")
    p.add_argument("log", help="path to episodes.jsonl")
    p.add_argument("--episode", type=int, default=0, help="line K of the log's episodes (default 0)")
    p.add_argument(
        "--html",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="write a self-contained HTML report of the run (default: report.html beside the log)",
    )
    p.set_defaults(func=cmd_show)


def cmd_bench(args: argparse.Namespace, console: Console) -> int:
    """Run the benchmark and print its summary."""
    envs = list(collab_env.ENV_IDS) if args.envs == "all" else [e.strip() for e in args.envs.split(",")]
    agents = [a for a in args.agents.split(",") if a.strip()]
    if args.compare and args.compare not in agents:
        raise ConfigError(f"--compare {args.compare!r} is not among --agents {agents}")
    if args.resume and args.out is None:
        raise ConfigError("--resume needs the --out directory of the run to continue")
    args.out = args.out or BenchConfig().out
    config = BenchConfig(
        envs=envs,
        agents=agents,
        episodes=args.episodes,
        seed=args.seed,
        split=args.split,
        out=args.out,
        workers=args.workers,
        resume=args.resume,
        user_model=args.user_model,
        base_url=args.base_url,
        judge_model=args.judge_model,
        executor=args.executor,
        ray_address=args.ray_address,
    )
    metrics: list[float] = []
    spent = {"tokens": 0, "cost": 0.0}
    start = time.perf_counter()
    total = len(envs) * len(agents) * args.episodes
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("episodes", total=total)

        def on_episode(record: dict) -> None:
            if record["status"] == "ok":
                metrics.append(record["reward"]["total"])
            usage = record.get("agent_usage") or {}
            spent["tokens"] += usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
            spent["cost"] += record.get("cost", 0.0) or 0.0
            mean = f"mean R* {statistics.fmean(metrics):.3f}" if metrics else "no episode scored yet"
            models = f", model tokens {spent['tokens']}, cost {spent['cost']:.4f}" if spent["tokens"] else ""
            progress.update(bar, advance=1, description=f"episodes ({mean}{models})")

        if args.resume:
            progress.update(bar, advance=len(read_log(Path(args.out) / "episodes.jsonl")[1]))
        log = run_bench(config, on_episode)
    header, records = read_log(log)
    rows = summarise(records)
    changes = compare(rows, args.compare) if args.compare else None
    write_results(rows, Path(args.out), header, changes)
    write_plots(rows, records, Path(args.out))
    _print_summary(console, rows)
    if changes:
        console.print(markdown([], changes).strip().split("\n", 2)[-1])
    console.print(
        f"{len(records)} episodes in {time.perf_counter() - start:.1f} s; wrote {args.out}/results.md"
    )
    return 0


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """Print one episode's transcript and reward parts."""
    from collab_env.cli import print_reward, print_transcript

    header, records = read_log(args.log)
    if args.html is not None:
        out = Path(args.log).parent
        path = Path(args.html) if args.html else out / "report.html"
        rows = summarise(records)
        plots = [
            p for p in (out / n for n in ("metric_by_agent.png", "turns.png", "efficiency.png")) if p.exists()
        ]
        write_html(header, rows, records, plots or write_plots(rows, records, out), path)
        console.print(f"wrote {path} (open it in a browser)")
        return 0
    if not 0 <= args.episode < len(records):
        raise ConfigError(f"--episode {args.episode} is out of range: the log has {len(records)} episodes")
    record = records[args.episode]
    console.rule(
        f"{record['env_id']} · {record.get('task_id')} · agent {record['agent']} · seed {record['seed']}"
    )
    if record["status"] != "ok":
        console.print(f"[bold red]lost:[/] {record['error']}")
    if record.get("messages"):
        print_transcript(console, record["messages"])
        print_reward(console, record["reward"], None)
    return 0


def _print_summary(console: Console, rows: list[dict]) -> None:
    table = Table(title="mean ± 95% CI; tokens read = assistant tokens, thousands; ITR = engagement")
    for name in ("env", "agent", "n", "lost", *(label for label, _ in COLUMNS.values())):
        table.add_column(name, no_wrap=True)
    for r in rows:
        table.add_row(
            r["env_id"], r["agent"], str(r["episodes"]), str(r["lost"]), *(str(r[k]) for k in COLUMNS)
        )
    console.print(table)
