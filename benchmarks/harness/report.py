"""Reading a run: one episode in the terminal, or the whole run as a self-contained HTML file.

The HTML report needs no server and fetches nothing: styles inline, plots embedded as base64
PNG, each transcript in a collapsible ``<details>`` with its reward parts.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from collab_env.bench.summary import COLUMNS, provenance
from collab_env.fileio import atomic_write_text

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}
td:nth-child(-n+3),th{text-align:left}th{background:#f3f3f3}
img{max-width:100%;margin:.5em 1em .5em 0}details{margin:.3em 0}summary{cursor:pointer}
.user{color:#0b5394}.assistant{color:#38761d}.lost{color:#b00}.parts td{font-size:90%}
pre{white-space:pre-wrap;margin:.2em 0 .6em 1em}
"""


def show_episode(console: Console, record: dict[str, Any]) -> None:
    """Print one episode record: a title line, the transcript, and R* with its parts.

    Args:
        console: Where to print.
        record: An episode record of the log.
    """
    from collab_env.cli import print_reward, print_transcript  # the CLI's own renderers

    console.rule(
        f"{record['env_id']} · {record.get('task_id')} · agent {escape(record['agent'])} · "
        f"seed {record['seed']} · {record['status']}"
    )
    if record.get("messages"):
        print_transcript(console, record["messages"])
    if record["status"] != "ok":
        console.print(f"[bold red]lost (not scored):[/] {escape(str(record.get('error')))}")
        return
    print_reward(console, record["reward"], None)
    console.print(
        f"{record['turns']} turns ({'user ended the chat' if record.get('terminated') else 'truncated'}), "
        f"{record.get('questions', 0)} questions, {record.get('assistant_tokens', 0)} tokens read "
        f"(assistant), {record.get('user_tokens', 0)} typed (user), {record.get('user_calls', 0)} user "
        f"simulator calls, cost {record.get('cost', 0.0):.4f}"
    )


def write_html(
    header: dict[str, Any],
    rows: list[dict[str, Any]],
    records: list[dict[str, Any]],
    plots: list[Path],
    path: Path,
) -> Path:
    """Write the report of a run to ``path`` and return it.

    Args:
        header: The log's header (versions, configuration).
        rows: Rows of :func:`~collab_env.bench.summary.summarise`.
        records: The episode records (each becomes a collapsible transcript).
        plots: PNG files to embed (missing ones are skipped).
        path: Where to write the HTML.
    """
    labels = ["env", "agent", "metric", "scored", "lost", *(label for label, _ in COLUMNS.values())]
    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(r[k]))}</td>" for k in ("env_id", "agent", "metric", "episodes", "lost")
        )
        + "".join(f"<td>{html.escape(str(r[k]))}</td>" for k in COLUMNS)
        + "</tr>"
        for r in rows
    )
    images = "".join(
        f'<img alt="{html.escape(p.stem)}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in plots
        if p.exists()
    )
    transcripts = "".join(_episode(r) for r in records)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>collab-env benchmark</title>"
        f"<style>{_STYLE}</style></head><body><h1>collab-env benchmark</h1>"
        f"<p>{html.escape(provenance(header))}</p>"
        f"<h2>Summary (mean ± 95% CI)</h2><table id='summary'><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table><h2>Plots</h2>{images or '<p>no plots (matplotlib missing)</p>'}"
        f"<h2>Episodes ({len(records)})</h2>{transcripts}</body></html>"
    )
    atomic_write_text(path, page)
    return path


def _episode(record: dict[str, Any]) -> str:
    title = f"{record['env_id']} · {record.get('task_id')} · {record['agent']} · seed {record['seed']}"
    turns = "".join(
        f"<div class='{html.escape(m['role'])}'><b>{html.escape(m['role'])}</b><pre>{html.escape(m['content'])}</pre></div>"
        for m in record.get("messages") or []
    )
    if record["status"] != "ok":
        error = html.escape(str(record.get("error")))
        return f"<details class='lost'><summary>{html.escape(title)} · lost</summary>{turns}<pre>{error}</pre></details>"
    reward = record["reward"]
    title += f" · R* {reward['total']:.3f} · {record.get('metric', 'metric')} {reward['task_metric']:.3f} · {record['turns']} turns"
    parts = (
        ("task metric (R_ext)", f"{reward['task_metric']:.3f}"),
        ("token penalty", f"-{reward['token_penalty']:.3f} ({record.get('assistant_tokens')} assistant tokens)"),
        (f"engagement (R_eng, {reward.get('engagement_judge')})", f"{reward['engagement']:.3f}"),
        ("R*", f"{reward['total']:.3f}"),
        ("questions / user tokens / cost", f"{record.get('questions')} / {record.get('user_tokens')} / {record.get('cost', 0):.4f}"),
    )  # fmt: skip
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in parts)
    return f"<details><summary>{html.escape(title)}</summary><table class='parts'>{table}</table>{turns}</details>"
