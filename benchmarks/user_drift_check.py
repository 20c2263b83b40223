"""The user card's independent drift check, old rules against the data-driven role check.

The card's independent check (:mod:`collab_env.harness.usercheck.checks`) had only hand rules;
issue 44 adds a role check (:mod:`collab_env.harness.usercheck.role`): a sentence classifier
trained at run time on SimulatorArena's recorded conversations, whose threshold leaves at most
1% of the training conversations' people's turns flagged. This benchmark prints and writes:

- **False flags on people**: the role check on the held-out conversations' people's turns and
  sentences (25% of the conversations, split by conversation with seed 0), which must stay at
  or under 1% of turns.
- **The frozen hand labels** (``benchmarks/data/user_drift_labels_05b.jsonl``): the 0.5 B
  model's 26 messages in ``benchmarks/results/user_card_05b/``, labelled by hand *before* the
  role check was written. Recall and precision of the old rules, the role check and both (a
  message is flagged by any), against drift of the kinds the drift check reads (``false_fact``
  rows are the card's false statements, counted apart, and are left out of the targets). These
  labels were read once the check existed (they chose nothing in it, but were seen while it was
  built); from now on they are a regression test, not a held-out figure.
- **Issue 23's labelled messages** (``benchmarks/data/user_drift.jsonl``, 267 messages of two
  small models, labelled before the guards ran): the same three readings, against every drift
  kind and against the voice kinds (``assistant_voice``, ``narration``), with false flags on
  the rows labelled ``user``. The rules were written after these were read; the role check never
  saw them.
- **Other budgets** (1%, 2%, 5%, 10% of the training people's turns): the trade-off between
  false flags on held-out people and what the rules with the role check catch on both label
  sets, for the reader; the card keeps 1%.
- **The 0.5 B cards re-read**: the acts and grounded cards' saved episodes and people's replays
  with the new independent check (no model called): the drift share the verdict reads.

Run::

    python -m benchmarks.user_drift_check --out benchmarks/results/user_drift_check.json

Figures in docs/models.md (the card's section).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from collab_env.harness.usercheck import fidelity, role
from collab_env.harness.usercheck.checks import drift_kinds, own_part
from collab_env.harness.usercheck.summary import summarise

ROOT = Path(__file__).resolve().parent.parent
SIMARENA = ROOT.parent / "shared" / "data" / "simarena"
LABELS = ROOT / "benchmarks" / "data" / "user_drift_labels_05b.jsonl"
ISSUE23 = ROOT / "benchmarks" / "data" / "user_drift.jsonl"
CARDS = ROOT / "benchmarks" / "results" / "user_card_05b"
VOICE = ("assistant_voice", "narration")
#: False-flag budgets of the trade-off table (the card's is 1%).
BUDGETS = (0.01, 0.02, 0.05, 0.10)


def scores(flags: list[tuple[bool, bool]]) -> dict[str, Any]:
    """Recall and precision of ``(flagged, target)`` pairs."""
    tp = sum(f and t for f, t in flags)
    fp = sum(f and not t for f, t in flags)
    fn = sum(t and not f for f, t in flags)
    return {"tp": tp, "fp": fp, "fn": fn, "recall": tp / (tp + fn) if tp + fn else None,
            "precision": tp / (tp + fp) if tp + fp else None}  # fmt: skip


def readings(rows: list[dict[str, Any]], target: str) -> dict[str, Any]:
    """Recall and precision of the rules, the role check and both over rows that carry
    ``rules`` (kinds), ``role`` (flagged) and the boolean ``target``."""
    return {
        "rules": scores([(bool(r["rules"]), r[target]) for r in rows]),
        "role": scores([(r["role"], r[target]) for r in rows]),
        "both": scores([(bool(r["rules"]) or r["role"], r[target]) for r in rows]),
    }


def _instances() -> dict[str, Any]:
    """The task instances of the cards' episodes, and the SimulatorArena task, by key."""
    from collab_env.config import EnvConfig
    from collab_env.tasks.doc.simarena import SimulatorArenaDataset

    tasks = {}
    for env_id in ("CollabDoc-v0", "CollabCode-v0", "CollabMath-v0", "CollabQA-v0"):
        tasks[env_id] = EnvConfig(env_id=env_id, split="test").make().unwrapped.task
    people = SimulatorArenaDataset(SIMARENA / "doc_conversations.jsonl")
    return {"tasks": tasks, "people": {i.metadata["id"]: i for i in people.instances}}


def reread(
    record: dict[str, Any], found: dict[str, Any], check: role.RoleCheck | None
) -> list[dict[str, Any]]:
    """The user messages of a saved card item (an episode or a people's replay), each with its
    rule kinds, its role score and whether the role check flags it; episodes' rows get the new
    independent ``drift`` in place (their false statements are kept)."""
    out = []
    if "checked" in record:
        instance = found["tasks"][record["env_id"]].get(record["task_id"])
        for row in record["checked"]:
            own = own_part(row["text"], instance)
            history = record["messages"][: row["index"]]
            rules = drift_kinds(own, history)
            score = check.score(own) if check else None
            row["drift"] = drift_kinds(own, history, check)
            out.append({"key": record["key"], "index": row["index"], "rules": rules, "role_score": score,
                        "role": "assistant_like" in row["drift"]})  # fmt: skip
        return out
    instance = found["people"][record["id"]]
    for turn in record["turns"]:
        if turn["text"] is None:
            continue
        history = fidelity.history(instance, turn["place"])
        text = turn["text"].replace("[[TERMINATE CHAT]]", "").strip()
        score = check.score(text) if check else None
        out.append({"key": record["key"], "index": turn["place"], "rules": drift_kinds(text, history),
                    "role_score": score, "role": bool(check and check.flags(text))})  # fmt: skip
    return out


def cards(check: role.RoleCheck | None) -> tuple[dict[str, Any], dict[tuple[str, str, int], dict[str, Any]]]:
    """The 0.5 B cards re-read: per protocol the drift share by the old and the new independent
    check; and every message's reading by ``(protocol, key, index)``."""
    found, out, by_key = _instances(), {}, {}
    for protocol in ("acts", "grounded"):
        records = [json.loads(line) for line in (CARDS / protocol / "items.jsonl").read_text().splitlines()]
        old = summarise(json.loads(json.dumps([r for r in records if "checked" in r])))
        rows = [row for r in records for row in reread(r, found, check)]
        by_key.update({(protocol, row["key"], row["index"]): row for row in rows})
        new = summarise([r for r in records if "checked" in r])
        replays = [row for row in rows if row["key"].startswith("people/llm/")]
        out[protocol] = {
            "messages": new["messages"], "old_drift_messages": old["independent"]["drift_messages"],
            "drift_messages": new["independent"]["drift_messages"], "drift_share": new["independent"]["drift_share"],
            "kinds": new["independent"]["kinds"], "people_replay_turns": len(replays),
            "people_replay_drift": sum(bool(r["rules"]) or r["role"] for r in replays),
        }  # fmt: skip
    return out, by_key


def frozen_labels(by_key: dict[tuple[str, str, int], dict[str, Any]]) -> dict[str, Any]:
    """The frozen hand labels read by the three checks (model messages; the scripted user's
    replays are reported apart as false flags)."""
    rows = []
    for label in map(json.loads, LABELS.read_text().splitlines()):
        protocol = label["file"].split("/")[-2]
        reading = by_key[(protocol, label["key"], label["index"])]
        rows.append({**label, **reading, "target": label["drift"] and label["kind"] != "false_fact"})
    model = [r for r in rows if r["simulator"] == "llm"]
    scripted = [r for r in rows if r["simulator"] == "scripted"]
    return {
        "messages": len(model), "targets": sum(r["target"] for r in model),
        "false_fact_rows": sum(r["kind"] == "false_fact" for r in model),
        "by_check": readings(model, "target"),
        "recall_by_kind": {k: {"rules": sum(bool(r["rules"]) for r in model if r["kind"] == k),
                               "role": sum(r["role"] for r in model if r["kind"] == k),
                               "of": sum(r["kind"] == k for r in model)}
                           for k in sorted({r["kind"] for r in model if r["target"]})},
        "scripted_false_flags": {"messages": len(scripted),
                                 "flagged": sum(bool(r["rules"]) or r["role"] for r in scripted)},
        "rows": [{k: r[k] for k in ("file", "key", "index", "drift", "kind", "rules", "role_score", "role")}
                 for r in rows],
        "all_rows": rows,
    }  # fmt: skip


def issue23(check: role.RoleCheck | None) -> dict[str, Any]:
    """Issue 23's labelled model messages read by the three checks."""
    rows = []
    for r in map(json.loads, ISSUE23.read_text().splitlines()):
        drift = r["label"] == "drift"
        score = check.score(r["text"]) if check else None
        rows.append({"rules": drift_kinds(r["text"], r["messages"]), "role": bool(check and score > check.threshold),
                     "role_score": score,
                     "drift": drift, "voice": drift and r["kind"] in VOICE, "kind": r["kind"] if drift else None})  # fmt: skip
    user = [r for r in rows if not r["drift"]]
    voice_or_user = [r for r in rows if r["voice"] or not r["drift"]]
    return {
        "rows": rows,
        "messages": len(rows), "drift": sum(r["drift"] for r in rows), "user": len(user),
        "kinds": dict(Counter(r["kind"] for r in rows if r["drift"])),
        "all_drift": readings(rows, "drift"), "voice_vs_user": readings(voice_or_user, "voice"),
        "false_flags_on_user": {c: sum(f(r) for r in user) for c, f in
                                (("rules", lambda r: bool(r["rules"])), ("role", lambda r: r["role"]),
                                 ("both", lambda r: bool(r["rules"]) or r["role"]))},
    }  # fmt: skip


def sweep(
    check: role.RoleCheck, labels: list[dict[str, Any]], issue23_rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What other false-flag budgets would give (thresholds read from the same out-of-fold
    scores): held-out people's turns flagged, and the rules with the role check on both label
    sets. Shown for the trade-off; the card keeps :data:`~collab_env.harness.usercheck.role.BUDGET`."""
    test = role.split(role.load_conversations(SIMARENA))[1]
    model = [r for r in labels if r["simulator"] == "llm"]
    out = []
    for budget in BUDGETS:
        t = check.threshold_at(budget)
        both = [
            (bool(r["rules"]) or r["role_score"] > t, r["drift"] and r["kind"] != "false_fact") for r in model
        ]
        voice = [
            (bool(r["rules"]) or r["role_score"] > t, r["voice"])
            for r in issue23_rows
            if r["voice"] or not r["drift"]
        ]
        out.append({"budget": budget, "threshold": t, "held_out": role.false_flags(check, test, t),
                    "frozen_labels_both": scores(both), "issue23_voice_vs_user_both": scores(voice)})  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train the role check, read the labelled sets and the saved cards; print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/user_drift_check.json")
    args = parser.parse_args(argv)
    check, why = role.for_folder(str(SIMARENA))
    print(why)
    card_figures, by_key = cards(check)
    labels, rows23 = frozen_labels(by_key), issue23(check)
    result = {"role_check": check.describe() if check else {"ran": False, "why": why},
              "frozen_labels_05b": labels, "issue23_labels": rows23, "cards_05b": card_figures,
              "budgets": sweep(check, labels.pop("all_rows"), rows23.pop("rows")) if check else None}  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    _report(result)
    print(f"wrote {args.out}")
    return result


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _report(result: dict[str, Any]) -> None:
    held = result["role_check"].get("held_out")
    if held:
        print(f"held-out people: {held['flagged_turns']}/{held['turns']} turns flagged ({_pct(held['turn_rate'])}), "
              f"{held['flagged_sentences']}/{held['sentences']} sentences")  # fmt: skip
    for name, block, target in (("frozen 0.5B labels", result["frozen_labels_05b"]["by_check"], "drift"),
                                ("issue 23 labels, all drift", result["issue23_labels"]["all_drift"], "drift"),
                                ("issue 23 labels, voice vs user", result["issue23_labels"]["voice_vs_user"], "voice")):  # fmt: skip
        line = ", ".join(f"{c} recall {_pct(s['recall'])} precision {_pct(s['precision'])} ({s['tp']} tp, {s['fp']} fp)"
                         for c, s in block.items())  # fmt: skip
        print(f"{name} ({target}): {line}")
    for b in result["budgets"] or []:
        f, v, h = b["frozen_labels_both"], b["issue23_voice_vs_user_both"], b["held_out"]
        print(f"budget {_pct(b['budget'])} (threshold {b['threshold']:.3f}): held-out people {h['flagged_turns']}/"
              f"{h['turns']} turns; rules+role on the 0.5B labels {f['tp']} tp {f['fp']} fp, on issue 23's "
              f"voice vs user {v['tp']} tp {v['fp']} fp")  # fmt: skip
    for protocol, c in result["cards_05b"].items():
        print(f"0.5B {protocol} card: drift {c['drift_messages']}/{c['messages']} messages ({_pct(c['drift_share'])}; "
              f"old check {c['old_drift_messages']}), kinds {c['kinds']}; people's replays "
              f"{c['people_replay_drift']}/{c['people_replay_turns']}")  # fmt: skip


if __name__ == "__main__":
    main()
