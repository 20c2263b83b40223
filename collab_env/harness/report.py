"""Reading a run: the whole run as a self-contained HTML file.

The HTML report needs no server and fetches nothing: styles inline, plots embedded as base64
PNG, each transcript in a collapsible ``<details>`` with its reward parts.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from collab_env.fileio import atomic_write_text
from collab_env.harness.summary import COLUMNS, lost_reasons, provenance

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 1em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;white-space:nowrap}
td:nth-child(-n+3),th{text-align:left;cursor:pointer}#episodes td{vertical-align:top}th{background:#f3f3f3}
.fit{font-size:90%}#reward-parts td:nth-child(3){text-align:right}.fit th{white-space:normal;vertical-align:bottom;cursor:auto}
.fit td,.fit th{padding:3px 6px}.fit td:nth-child(2){white-space:normal;overflow-wrap:anywhere;min-width:6em}
.fit small{color:#555}.note{font-size:90%;color:#444;max-width:60em}
img{max-width:100%;margin:.5em 1em .5em 0}details{margin:.3em 0}summary{cursor:pointer}
.user{color:#0b5394}.assistant{color:#38761d}.lost{color:#b00}.parts td{font-size:90%;white-space:normal}
pre{white-space:pre-wrap;overflow-wrap:anywhere;text-align:left;margin:.2em 0 .6em 1em}
#episodes{width:100%}#episodes>tbody>tr>td{width:1%}
#episodes>tbody>tr>td:last-child{width:auto;text-align:left;white-space:normal;overflow-wrap:anywhere}
summary{overflow-wrap:anywhere}.scroll{overflow-x:auto;max-width:100%}
"""


def write_html(
    header: dict[str, Any],
    rows: list[dict[str, Any]],
    records: list[dict[str, Any]],
    plots: list[Path],
    path: Path,
    changes: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the report of a run to ``path`` and return it.

    Episodes are listed in seed order, as a table that sorts by a click on its header and filters
    by env, agent, status and a lowest R* (a few lines of inline script: nothing is fetched). A
    run in which no episode was scored says so, with the reasons, instead of drawing empty plots.

    Args:
        header: The log's header (versions, configuration).
        rows: Rows of :func:`~collab_env.harness.summary.summarise`.
        records: The episode records (each becomes a collapsible transcript).
        plots: PNG files to embed (missing ones are skipped).
        path: Where to write the HTML.
        changes: Rows of :func:`~collab_env.harness.summary.compare` (``--compare``).
    """
    scored = [r for r in records if r["status"] == "ok"]
    ordered = sorted(records, key=lambda r: (r["seed"], r["env_id"], r["agent"]))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>collab-env benchmark</title>"
        f"<style>{_STYLE}</style></head><body><h1>collab-env benchmark</h1>"
        f"<p>{html.escape(provenance(header))}</p>"
        f"<h2>Summary (mean ± 95% CI)</h2>{_fit(_summary(rows))}{_changes(changes)}{_parts(records)}"
        f"{_controls(records)}"
        f"<h2>Plots</h2>{_plots(plots) if scored else _all_lost(records)}"
        f"<h2>Episodes ({len(records)})</h2>{_filters(records)}"
        f"<table id='episodes'><thead><tr>{''.join(f'<th>{h}</th>' for h in _EPISODE_COLUMNS)}</tr></thead>"
        f"<tbody>{''.join(_episode(r) for r in ordered)}</tbody></table><script>{_SCRIPT}</script></body></html>"
    )
    atomic_write_text(path, page)
    return path


_EPISODE_COLUMNS = ("seed", "env", "agent", "status", "R*", "task metric", "turns", "transcript")
_SCRIPT = """
const t=document.getElementById('episodes'),b=t.tBodies[0],f=document.querySelectorAll('.filter');
function apply(){const v={};f.forEach(e=>v[e.name]=e.value);for(const r of b.rows){const d=r.dataset;
r.hidden=(v.env&&d.env!==v.env)||(v.agent&&d.agent!==v.agent)||(v.status&&d.status!==v.status)||
(v.score!==''&&!(parseFloat(d.score)>=parseFloat(v.score)));}}
f.forEach(e=>e.addEventListener('input',apply));
t.tHead.querySelectorAll('th').forEach((h,i)=>h.addEventListener('click',()=>{const up=h.dataset.up!=='1';
h.dataset.up=up?'1':'0';const key=r=>{const x=r.cells[i].dataset.v??r.cells[i].textContent;
return isNaN(parseFloat(x))?x:parseFloat(x);};[...b.rows].sort((p,q)=>{const a=key(p),c=key(q);
return (a>c?1:a<c?-1:0)*(up?1:-1);}).forEach(r=>b.appendChild(r));}));
"""


def _fit(table: str) -> str:
    """A wide table in a box that scrolls sideways only as a last resort (very long agent specs):
    the table's style (small font, wrapping headers, ± on a line of its own) fits 1280 px."""
    return f"<div class='scroll'>{table}</div>"


def _stat_cell(value: Any) -> str:
    """A mean ± 95% CI cell, the CI on a second, smaller line so that the column stays narrow."""
    if not getattr(value, "n", 0):
        return "<td>n/a</td>"
    return f"<td data-v='{value.mean:.6g}'>{value.mean:.3f}<br><small>± {value.ci95:.3f}</small></td>"


def _summary(rows: list[dict[str, Any]]) -> str:
    labels = ["env", "agent", "metric", "scored", "lost", "agent errors", *(lb for lb, _ in COLUMNS.values())]
    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(r.get(k, 0)))}</td>"
            for k in ("env_id", "agent", "metric", "episodes", "lost", "agent_errors")
        )
        + "".join(_stat_cell(r[k]) for k in COLUMNS)
        + "</tr>"
        for r in rows
    )
    return f"<table id='summary' class='fit'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _parts(records: list[dict[str, Any]]) -> str:
    """R*'s parts per env and agent (means per scored episode) and engagement's counts."""
    from collab_env.harness.parts import reward_parts, shown_counts
    from collab_env.rewards.engagement import IGNORED_COST

    rows = reward_parts(records)
    if not rows:
        return ""
    counts = shown_counts(rows)
    labels = ["env", "agent", "task metric (R_ext) × w_ext", "token penalty", "engagement (R_eng) × w_eng",
              "R*", "ITR judge", *counts]  # fmt: skip
    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)

    def row(r: dict[str, Any]) -> str:
        cells = (
            html.escape(r["env_id"]), html.escape(r["agent"]),
            f"{r['task_metric']:.3f} <small>× {r['w_ext']:g}</small>", f"−{r['token_penalty']:.3f}",
            f"{r['engagement']:.3f} <small>× {r['w_eng']:g}</small>", f"{r['total']:.3f}", html.escape(r["judge"]),
            *(f"{r['counts'][n]:.2f}" if r["counts"] else "n/a" for n in counts),
        )  # fmt: skip
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    note = (
        "Means per scored episode. R* = w_ext·R_ext − token penalty + w_eng·R_eng, episode by episode, "
        "so each row's parts add up to its R*. The counts (per episode) are the heuristic judge's: "
        f"R_eng = (answered − {IGNORED_COST:g} × ignored) / questions judged, and 0 before a solution "
        "is proposed; unanswered: a question the reply brought nothing new for; missed: new information "
        "the user volunteered after a solution; ignored: an answer the user had to repeat. "
        "Each transcript below spells out its own."
    )
    table = f"<table id='reward-parts' class='fit'><thead><tr>{head}</tr></thead><tbody>{''.join(map(row, rows))}</tbody></table>"
    return f"<h2>R* and its parts</h2>{_fit(table)}<p class='note'>{html.escape(note)}</p>"


def _changes(changes: list[dict[str, Any]] | None) -> str:
    """The ``--compare`` table: each agent's change against the baseline, in percent."""
    if not changes:
        return ""
    head = "".join(
        f"<th>{html.escape(label)}</th>" for label in ("env", "agent", *(lb for lb, _ in COLUMNS.values()))
    )

    def cell(change: dict[str, Any], k: str) -> str:
        if change.get(k) is not None:
            return f"{change[k]:+.1f}%"
        return f"{change[f'{k}_abs']:+.3f} (baseline 0)" if f"{k}_abs" in change else "n/a"

    body = "".join(
        f"<tr><td>{html.escape(c['env_id'])}</td><td>{html.escape(c['agent'])}</td>"
        + "".join(f"<td>{html.escape(cell(c, k))}</td>" for k in COLUMNS)
        + "</tr>"
        for c in changes
    )
    return f"<h2>Against {html.escape(changes[0]['base'])} (relative change)</h2>" + _fit(
        f"<table id='compare' class='fit'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _controls(records: list[dict[str, Any]]) -> str:
    """The cost of underspecification and pass^k tables, where the run measured them."""
    from collab_env.harness.reliability import controls

    out = []
    for block in controls(records)[0].split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if not lines[0].startswith("|"):
            out.append(f"<h2>{html.escape(lines[0].split(':')[0])}</h2><p>{html.escape(lines[0])}</p>")
            continue
        cells = [
            [html.escape(c.strip()) for c in line.strip("|").split("|")]
            for line in lines
            if "---" not in line
        ]
        head = "".join(f"<th>{c}</th>" for c in cells[0])
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells[1:])
        out.append(f"<table class='controls'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    return "".join(out)


def _plots(plots: list[Path]) -> str:
    images = "".join(
        f'<img alt="{html.escape(p.stem)}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in plots
        if p.exists()
    )
    return images or "<p>no plots (matplotlib missing)</p>"


def _all_lost(records: list[dict[str, Any]]) -> str:
    """The message of a run in which no episode was scored: nothing to plot, and why."""
    items = "".join(f"<li>{n} × {html.escape(reason)}</li>" for reason, n in lost_reasons(records))
    return (
        f"<p class='lost'><b>No episode was scored: all {len(records)} were lost</b>, so there is "
        f"nothing to plot. Reasons:</p><ul>{items}</ul>"
    )


def _filters(records: list[dict[str, Any]]) -> str:
    def select(name: str, values: list[str]) -> str:
        options = "".join(f"<option>{html.escape(v)}</option>" for v in values)
        return f"<label>{name} <select class='filter' name='{name}'><option value=''>all</option>{options}</select></label> "

    envs, agents = (sorted({str(r[k]) for r in records}) for k in ("env_id", "agent"))
    return (
        f"<p>{select('env', envs)}{select('agent', agents)}{select('status', sorted({r['status'] for r in records}))}"
        "<label>R* at least <input class='filter' name='score' type='number' step='0.1'></label>"
        " (click a column header to sort)</p>"
    )


def _episode(record: dict[str, Any]) -> str:
    """One episode as a table row whose last cell holds the collapsible transcript."""
    ok = record["status"] == "ok"
    reward = record.get("reward") or {}
    score = f"{reward['total']:.3f}" if ok else ""
    metric = f"{reward['task_metric']:.3f}" if ok else ""
    cells = (str(record["seed"]), record["env_id"], record["agent"], record["status"], score, metric,
             str(record.get("turns", "")) if ok else "")  # fmt: skip
    data = " ".join(
        f"data-{k}='{html.escape(str(v), quote=True)}'"
        for k, v in (("env", record["env_id"]), ("agent", record["agent"]), ("status", record["status"]),
                     ("score", score if ok else "nan"))
    )  # fmt: skip
    row = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
    return f"<tr {data}{'' if ok else ' class=lost'}>{row}<td>{_transcript(record)}</td></tr>"


def _transcript(record: dict[str, Any]) -> str:
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
    from collab_env.rewards.explain import explain_reward  # the same words as `collab-env show`

    why = "".join(f"<li>{html.escape(line)}</li>" for line in explain_reward(reward, record.get("metric")))
    return (
        f"<details><summary>{html.escape(title)}</summary><table class='parts'>{table}</table>"
        f"<ul class='note'>{why}</ul>{turns}</details>"
    )
