"""How the command line prints a conversation and its reward: shared by episode, play and show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from collab_env.rewards.explain import explain_reward
from collab_env.types import ChatMessage

_ROLE_STYLE = {"user": "bold cyan", "assistant": "bold green"}


def print_transcript(console: Console, messages: Sequence[ChatMessage]) -> None:
    """Print messages with their roles, one block per turn.

    Args:
        console: Where to print.
        messages: The conversation (or its new part).
    """
    for m in messages:
        console.print(f"[{_ROLE_STYLE[m['role']]}]{m['role']}[/]")
        console.print(escape(m["content"]), soft_wrap=True)
        console.print()


def print_reward(
    console: Console,
    parts: dict[str, Any],
    result: Any = None,
    reward: float | None = None,
    *,
    metric: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Print R* as a table of its weighted parts, then a line per part saying what it counted.

    Args:
        console: Where to print.
        parts: ``info["reward"]``: task metric, token penalty, engagement and its counts, total.
        result: The :class:`~collab_env.rollout.EpisodeResult`, for turns and questions.
        reward: The reward paid by the last step (``play``).
        metric: The task's metric name (``bleu``, ``all_tests_pass``, ``accuracy``).
        details: ``info["task_metric_details"]`` (hidden tests passed...), when known.
    """
    weights = parts.get("config", {})
    table = Table("part", "value", "weight", "in R*", title="reward (R*)")
    w_ext, w_eng = weights.get("w_ext", 1.0), weights.get("w_eng", 1.0)
    table.add_row("task metric (R_ext)", f"{parts['task_metric']:.3f}", f"× {w_ext:g}",
                  f"{w_ext * parts['task_metric'] + 0.0:+.3f}")  # fmt: skip
    table.add_row("token penalty", f"{parts['token_penalty']:.3f}", "", f"{-parts['token_penalty']:+.3f}")
    table.add_row(f"engagement (R_eng, {parts['engagement_judge']})", f"{parts['engagement']:.3f}",
                  f"× {w_eng:g}", f"{w_eng * parts['engagement'] + 0.0:+.3f}")  # fmt: skip
    table.add_row("[bold]R*[/]", "", "", f"[bold]{parts['total']:.3f}[/]")
    if reward is not None:
        table.add_row("reward paid this step", "", "", f"{reward:.3f}")
    if result is not None:
        ending = "user ended the chat" if result.terminated else "truncated"
        table.add_row("turns", f"{result.turns} ({ending})", "", "")
        table.add_row("questions asked", str(result.questions_asked), "", "")
    console.print(table)
    for line in explain_reward(parts, metric, details):
        console.print(escape(line), soft_wrap=True)


def show_episode(console: Console, record: dict[str, Any]) -> None:
    """Print one benchmark episode record: a title line, the transcript, and R* with its parts.

    Args:
        console: Where to print.
        record: An episode record of a benchmark log.
    """
    console.rule(
        f"{record['env_id']} · {record.get('task_id')} · agent {escape(record['agent'])} · "
        f"seed {record['seed']} · {record['status']}"
    )
    if record.get("messages"):
        print_transcript(console, record["messages"])
    if record["status"] != "ok":
        console.print(f"[bold red]lost (not scored):[/] {escape(str(record.get('error')))}")
        return
    print_reward(console, record["reward"], metric=record.get("metric"))
    console.print(
        f"{record['turns']} turns ({'user ended the chat' if record.get('terminated') else 'truncated'}), "
        f"{record.get('questions', 0)} questions, {record.get('assistant_tokens', 0)} tokens read "
        f"(assistant), {record.get('user_tokens', 0)} typed (user), {record.get('user_calls', 0)} user "
        f"simulator calls, cost {record.get('cost', 0.0):.4f}"
    )
