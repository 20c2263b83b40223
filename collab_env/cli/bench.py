"""``collab-env bench``: benchmark agents on the envs; table, results files, plots, episode log.

Options: every field of :class:`~collab_env.harness.config.BenchConfig`, its ``env``
flattened into the environment's options (:class:`~collab_env.config.EnvConfig`'s, without
``--env`` and ``--dataset``: a run takes several envs, ``--envs``, and a data set per family).
``--resume --out DIR`` takes every option that is not given from the run's log header.
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collab_env.cli.options import add_config_options, build_config, config_kwargs, examples, merge_configs
from collab_env.errors import ConfigError
from collab_env.harness.config import BenchConfig, upgrade_record
from collab_env.harness.executors import RunStopped
from collab_env.harness.log import check_same_users, read_log
from collab_env.harness.log import header as log_header
from collab_env.harness.parts import LABELS, cells_of, reward_parts, shown_counts
from collab_env.harness.parts import markdown as parts_markdown
from collab_env.harness.plots import write_plots
from collab_env.harness.runner import run_bench
from collab_env.harness.summary import (
    COLUMNS,
    SCORED,
    compare,
    compare_runs,
    describe,
    lost_reasons,
    provenance,
    summarise,
    write_results,
)

#: BenchConfig fields that describe this invocation, not the run (never read from a log header).
_INVOCATION = ("out", "resume", "retry_lost", "workers", "executor", "ray_address")


@dataclass
class CompareOptions:
    """How the run is reported (in ``bench``, ``--compare`` is the :class:`BenchConfig` field, which a
    resume keeps).

    Attributes:
        compare: Report relative changes against this agent spec of the run, or against another
            run (its directory or episodes.jsonl: each env and agent against the same env and
            agent there); runs played by different user simulators are refused.
        allow_different_users: Compare with another run even if its user simulator's version
            differs.
    """

    compare: str | None = None
    allow_different_users: bool = False


def base_run(base: str | None, agents: list[str]) -> Path | None:
    """The other run that ``--compare`` names, or ``None`` when it names an agent of this run.

    Raises:
        ConfigError: if ``base`` is neither one of ``agents`` nor an existing run.
    """
    if base is None or base in agents:
        return None
    path = Path(base)
    if path.is_dir() or path.is_file():
        return path
    raise ConfigError(f"--compare {base!r} is not among --agents {agents}, nor a run's directory or log")


def check_comparable(header: dict[str, Any], base: str | None, agents: list[str], allow: bool) -> None:
    """Refuse, before any work, a ``--compare`` with a run played by another user simulator.

    Raises:
        ConfigError: for a bad ``--compare``, or different user versions without ``allow``.
    """
    other = base_run(base, agents)
    if other is not None:
        check_same_users({"this run": header, str(other): read_log(other)[0]}, allow)


def comparison(
    rows: list[dict[str, Any]], header: dict[str, Any], options: CompareOptions, agents: list[str]
) -> list[dict[str, Any]] | None:
    """The changes ``--compare`` asks for: against an agent of this run, or against another run.

    Raises:
        ConfigError: as :func:`check_comparable`.
    """
    if options.compare is None:
        return None
    check_comparable(header, options.compare, agents, options.allow_different_users)
    other = base_run(options.compare, agents)
    if other is None:
        return compare(rows, options.compare)
    return compare_runs(rows, summarise(read_log(other)[1]), str(other))


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``bench`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "bench",
        help="benchmark agents on the envs: table, results files, plots, episode log",
        **examples(
            ("collab-env bench", "both scripted agents, 50 test episodes on each of the four envs"),
            (
                "collab-env bench --envs CollabMath-v0 --agents clarify,my_agents:polite --episodes 20",
                "your function polite(messages) -> str in ./my_agents.py against clarify, on Math",
            ),
        ),
    )
    run_fields = {f.name for f in fields(BenchConfig)} - {"env"}
    add_config_options(p, BenchConfig, skip=run_fields)  # the environment's options first, in their group
    group = p.add_argument_group("the run")
    add_config_options(
        group, BenchConfig, skip={"env"},
        defaults={"envs": ["all"], "out": "runs/bench-<date>-<time>", "workers": "the number of cores"},
    )  # fmt: skip
    add_config_options(group, CompareOptions, skip={"compare"})
    return p


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """The :class:`BenchConfig` that ``collab-env bench`` options describe.

    With ``--resume``, the options not given are those of the run in ``--out`` (its log header).

    Raises:
        ConfigError: for unknown envs, bad agent specs, ``--compare`` naming no listed agent
            (``--resume`` keeps the run's ``--compare`` unless given again),
            ``--resume`` without ``--out``, or options that differ from the run resumed.
    """
    given = config_kwargs(args, BenchConfig)
    if given.get("envs") == ["all"]:
        given["envs"] = _all_envs()
    if given.get("retry_lost") and not given.get("resume"):
        raise ConfigError("--retry-lost goes with --resume")
    if given.get("resume"):
        if not given.get("out"):
            raise ConfigError("--resume needs the --out directory of the run to continue")
        given = merge_configs(_saved_config(Path(given["out"])), given)
    return build_config(BenchConfig, given)


def _all_envs() -> list[str]:
    import collab_env

    return list(collab_env.ENV_IDS)


def _saved_config(out: Path) -> dict[str, Any]:
    """The run options recorded in the log header of ``out`` (of today's shape or an older one)."""
    saved = upgrade_record(read_log(out)[0].get("config", {}))
    names = {f.name for f in fields(BenchConfig)} - set(_INVOCATION)
    return {k: v for k, v in saved.items() if k in names}


def run(args: argparse.Namespace, console: Console) -> int:
    """Run the benchmark, print its summary and write results, plots and the log.

    Returns:
        0; 1 when episodes were lost (the summary says how many and why) or when an endpoint
        went down and the run stopped early (it prints why and the command that resumes it).
    """
    from collab_env.cli.preflight import check_ray_address, preflight

    config = config_from_args(args)
    options = CompareOptions(config.compare, args.allow_different_users)
    check_comparable(log_header(config), options.compare, config.agents, options.allow_different_users)
    preflight([config.env_config(e) for e in config.envs], config.agents)
    if config.executor == "ray":
        check_ray_address(config.ray_address)
    args.resume_hint = f"collab-env bench --resume --out {config.out}"
    # math-verify warns at every call from a worker thread that its signal-based timeout is off
    # (the math task turns it off there on purpose: only the main thread may set signals).
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    start = time.perf_counter()
    try:
        log = _run_with_progress(config, console)
    except RunStopped as stop:
        return _stopped(console, config, stop)
    header, records = read_log(log)
    out = Path(config.out)
    rows = summarise(records)
    changes = comparison(rows, header, options, config.agents)
    from collab_env.harness.reliability import controls

    tables = controls(records)
    parts = reward_parts(records) if config.parts else []
    write_results(rows, out, header, changes, with_parts(tables, parts))
    write_plots(rows, records, out)
    print_summary(console, rows, header)
    if parts:
        print_parts(console, parts)
    if tables[0]:  # the cost of underspecification and pass^k, where the run measured them
        console.print(tables[0], markup=False, highlight=False, soft_wrap=True)
    for change in changes or []:
        console.print(describe(change))
    lost = [r for r in records if r["status"] == "lost"]
    console.print(
        f"{len(records)} episodes ({len(lost)} lost) in {time.perf_counter() - start:.1f} s wall time; "
        f"wrote {out}/results.md, results.csv, results.json, plots and episodes.jsonl"
    )
    print_lost_reasons(console, lost)
    if lost:
        console.print(
            f"resume with: collab-env bench --resume --retry-lost --out {config.out}", soft_wrap=True
        )
    return 1 if lost else 0


def _stopped(console: Console, config: BenchConfig, stop: RunStopped) -> int:
    """Say why the run stopped early, what it kept and how to resume it; exit status 1."""
    records = read_log(Path(config.out))[1]
    lost = [r for r in records if r["status"] == "lost"]
    console.print(f"[bold red]stopped early[/]: {escape(stop.reason)}")
    console.print(
        f"{len(records) - len(lost)} episodes finished and {len(lost)} lost are in "
        f"{config.out}/episodes.jsonl; {stop.not_started} were not started"
    )
    print_lost_reasons(console, lost)
    resume = f"collab-env bench --resume --retry-lost --out {config.out}"
    console.print(f"once the endpoint is back, resume with: {resume}", soft_wrap=True)  # copyable
    return 1


def _run_with_progress(config: BenchConfig, console: Console) -> Path:
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
        return run_bench(config, on_episode)


def print_lost_reasons(console: Console, lost: list[dict[str, Any]], shown: int = 5) -> None:
    """Print why episodes were lost: each reason with its count, the most frequent first."""
    if not lost:
        return
    reasons = lost_reasons(lost)
    console.print(f"[bold red]{len(lost)} episodes lost[/], by reason:")
    for reason, n in reasons[:shown]:
        console.print(f"  {n} × {escape(reason)}")
    if len(reasons) > shown:
        console.print(f"  ... and {len(reasons) - shown} other reasons (see episodes.jsonl)")


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


def print_summary(console: Console, rows: list[dict[str, Any]], header: dict[str, Any] | None = None) -> None:
    """Print the summary table (mean ± 95% CI per env and agent) with rich.

    On a terminal the table fits its width; into a file or a pipe it is printed whole.

    Args:
        console: Where to print.
        rows: Rows of :func:`~collab_env.harness.summary.summarise`.
        header: The log's header, for the caption naming versions, user simulator and judge.
    """
    table = Table(title="collab-env bench: mean ± 95% CI", caption=provenance(header) if header else None)
    names = (
        "env",
        "agent",
        "metric",
        "scored",
        "lost",
        "agent errors",
        *(label for label, _ in COLUMNS.values()),
    )
    for name in names:
        table.add_column(name, justify="left" if name in ("env", "agent", "metric") else "right")
    for r in rows:
        lost = f"[red]{r['lost']}[/]" if r["lost"] else "0"
        stats = (f"{r[k].mean:.3f}±{r[k].ci95:.3f}" if r[k].n else "n/a" for k in COLUMNS)
        errors = f"[red]{r['agent_errors']}[/]" if r.get("agent_errors") else "0"
        table.add_row(r["env_id"], escape(r["agent"]), r["metric"], str(r["episodes"]), lost, errors, *stats)
    if not console.is_terminal:  # a file or a pipe: no terminal width to fit, print the table whole
        console = Console(file=console.file, width=max(console.width, 160), highlight=False)
    console.print(table)


def with_parts(tables: tuple[str, dict[str, Any]], parts: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The controls' Markdown and JSON for the results files, with R*'s parts after them if asked."""
    if not parts:
        return tables
    text, data = tables
    return f"{text}\n{parts_markdown(parts)}" if text else parts_markdown(parts), {
        **data,
        "reward_parts": parts,
    }


def print_parts(console: Console, rows: list[dict[str, Any]]) -> None:
    """Print R*'s parts per env and agent (``bench --parts``): each row's weighted parts add up to R*.

    Args:
        console: Where to print.
        rows: Rows of :func:`~collab_env.harness.parts.reward_parts`.
    """
    counts = shown_counts(rows)
    table = Table(
        title="R* = task metric × w_ext − token penalty + engagement × w_eng (means per scored episode)",
        caption="engagement's counts: per episode, from the heuristic ITR judge (n/a for another judge)",
    )
    for name in (*LABELS, *counts):
        table.add_column(name, justify="left" if name in ("env", "agent", "ITR judge") else "right")
    for r in rows:
        shown = (f"{r['counts'][n]:.2f}" if r["counts"] else "n/a" for n in counts)
        table.add_row(*map(escape, cells_of(r)), *shown)
    if not console.is_terminal:  # as the summary: printed whole into a file or a pipe
        console = Console(file=console.file, width=max(console.width, 160), highlight=False)
    console.print(table)
