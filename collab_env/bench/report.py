"""A self-contained HTML report of a benchmark run: summary, plots and transcripts, no server."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from collab_env.bench.summary import COLUMNS

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,td:nth-child(2),th{text-align:left}
details{margin:.4em 0}summary{cursor:pointer}.user{color:#0b5394}.assistant{color:#38761d}
pre{white-space:pre-wrap;margin:.2em 0 .6em 1em}.lost{color:#b00}
"""


def write_html(
    header: dict[str, Any],
    rows: list[dict[str, Any]],
    records: list[dict[str, Any]],
    plots: list[Path],
    path: Path,
) -> Path:
    """Write the report to ``path`` (plots embedded as base64 PNG) and return it."""
    head = "".join(f"<th>{html.escape(label)}</th>" for label, _ in COLUMNS.values())
    body = "".join(
        f"<tr><td>{html.escape(r['env_id'])}</td><td>{html.escape(r['agent'])}</td>"
        f"<td>{r['episodes']}</td><td>{r['lost']}</td>"
        + "".join(f"<td>{r[k]}</td>" for k in COLUMNS)
        + "</tr>"
        for r in rows
    )
    images = "".join(
        f'<img alt="{p.stem}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in plots
        if p.exists()
    )
    transcripts = "".join(_episode(r) for r in records)
    run = html.escape(str(header.get("run", {})))
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>collab-env benchmark</title>"
        f"<style>{_STYLE}</style></head><body><h1>collab-env benchmark</h1><p><small>{run}</small></p>"
        f"<h2>Summary (mean ± 95% CI)</h2><table id='summary'><tr><th>env</th><th>agent</th><th>episodes</th>"
        f"<th>lost</th>{head}</tr>{body}</table><h2>Plots</h2>{images}<h2>Episodes</h2>{transcripts}</body></html>"
    )
    path.write_text(page)
    return path


def _episode(record: dict[str, Any]) -> str:
    title = f"{record['env_id']} · {record.get('task_id')} · {record['agent']} · seed {record['seed']}"
    if record["status"] != "ok":
        return f"<details class='lost'><summary>{html.escape(title)} · lost</summary><pre>{html.escape(str(record['error']))}</pre></details>"
    reward = record["reward"]
    title += f" · R* {reward['total']:.3f} · metric {reward['task_metric']:.3f} · {record['turns']} turns"
    turns = "".join(
        f"<div class='{m['role']}'><b>{m['role']}</b><pre>{html.escape(m['content'])}</pre></div>"
        for m in record.get("messages", [])
    )
    return f"<details><summary>{html.escape(title)}</summary>{turns}</details>"
