"""Is a facet visible when a message states it? The literal match against the meaning match.

The LLM user's guards (the goal-dump check, the opening check, "already told") ask whether a
message states a hidden facet. Until issue 44 they asked whether the facet's value was a
substring of the message (``literal`` below); :func:`collab_env.meaning.states_facet` reads
meaning. Measured over every hidden facet of the CollabCode/Doc/Math/QA test instances and of
SimulatorArena's goals (:class:`~collab_env.tasks.doc.simarena.SimulatorArenaDataset`, as the
fidelity benchmark builds them):

- **own statement**: the facet is visible in the goal's own sentence for it;
- **paraphrase**: against hand labels written before the matcher
  (``benchmarks/data/facet_meaning_labels.jsonl``: people's turns 0-4 of SimulatorArena's
  document conversations, and model-written user messages of ``user_drift.jsonl``, each with the
  facets of its instance, labelled stated or not by reading). Recall, precision and false
  matches on each half; the matcher was tuned on ``tune`` only, ``held_out`` was not looked at.
  A turn is read with the opening as context, but for the opening itself (turn 0);
- **false matches**: the facet said visible in a message that does not state it: another facet's
  statement of the same instance; a statement of the same kind with another value (from another
  instance: "Skip any None values." for "raise on None"); the statement with its number changed
  (``3`` -> ``4``); the value negated ("Not 3.").

    python -m benchmarks.facet_meaning --out benchmarks/results/facet_meaning.json
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

import collab_env  # noqa: F401 - registers the envs
from benchmarks import parse_args, save_results
from collab_env.meaning import states_facet, tokens
from collab_env.tasks.doc.simarena import SimulatorArenaDataset
from collab_env.types import Facet, TaskInstance


@dataclass
class Args:
    """Data and output."""

    simarena: str = "../shared/data/simarena/doc_conversations.jsonl"
    labels: str = "benchmarks/data/facet_meaning_labels.jsonl"
    out: str = "benchmarks/results/facet_meaning.json"


def literal(text: str, facet: Facet, instance: TaskInstance) -> bool:
    """The match before issue 44: the value as whole words of the text, case and spacing aside."""
    text, value = " ".join(text.lower().split()), " ".join(facet.value.lower().split())
    return bool(value) and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text) is not None


def meaning(text: str, facet: Facet, instance: TaskInstance, opening: bool = True) -> bool:
    """The meaning match, with the instance's other facets and (unless told not to) its opening."""
    return states_facet(text, facet, instance.facets, instance.opening if opening else "")


MATCHERS = {"literal": literal, "meaning": meaning}


def instances(args: Args) -> dict[str, list[TaskInstance]]:
    """The test instances of the four envs, and SimulatorArena's goals."""
    out = {}
    for family in ("Code", "Doc", "Math", "QA"):
        task = gym.make(f"Collab{family}-v0", split="test").unwrapped.task
        out[family] = [task.instance("test", i) for i in range(task.size("test"))]
    out["SimulatorArena"] = list(SimulatorArenaDataset(args.simarena).instances)
    return out


def _changed_number(statement: str, value: str) -> str | None:
    """The statement with the value's first number raised by one, or ``None`` without a number."""
    numbers = [t for t in tokens(value) if t[0].isdigit()]
    if not numbers or numbers[0] not in statement:
        return None
    n = numbers[0]
    return re.sub(rf"(?<![\d.]){re.escape(n)}(?![\d])", str(int(float(n)) + 1), statement, count=1)


def probes(family: list[TaskInstance]) -> list[tuple[str, TaskInstance, Facet, str, bool]]:
    """(probe kind, instance, facet, text, states it?) for every hidden facet of a family."""
    by_kind: dict[str, list[Facet]] = defaultdict(list)
    for inst in family:
        for f in inst.facets:
            by_kind[f.kind].append(f)
    out = []
    for inst in family:
        for f in inst.hidden_facets:
            out.append(("own_statement", inst, f, f.statement, True))
            out += [("other_facet", inst, f, g.statement, False) for g in inst.facets if g.value != f.value]
            others = list(dict.fromkeys(g.statement for g in by_kind[f.kind] if g.value != f.value))
            out += [("same_kind_other_value", inst, f, s, False) for s in others[:3]]
            changed = _changed_number(f.statement, f.value)
            if changed:
                out.append(("wrong_number", inst, f, changed, False))
            if not re.search(r"\b(not|no|don't)\b", f.statement, re.I):
                out.append(("negated", inst, f, f"Not {f.value}.", False))
    return out


def visibility(data: dict[str, list[TaskInstance]]) -> dict[str, Any]:
    """Per family and probe kind: the share of probes each matcher calls visible."""
    out: dict[str, Any] = {}
    for name, family in data.items():
        rows: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
        for kind, inst, facet, text, _ in probes(family):
            for m, match in MATCHERS.items():
                rows[kind][m].append(match(text, facet, inst))
        out[name] = {
            kind: {"probes": len(ms["literal"]), **{m: round(sum(v) / len(v), 4) for m, v in ms.items()}}
            for kind, ms in rows.items()
        }
    return out


def paraphrases(args: Args, data: dict[str, list[TaskInstance]]) -> dict[str, Any]:
    """Recall, precision and false-match rate of each matcher on the hand labels, per half."""
    by_id = {i.metadata["id"]: i for i in data["SimulatorArena"]}
    envs = {f"Collab{f}-v0": {i.task_id: i for i in data[f]} for f in ("Code", "Doc", "Math", "QA")}
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    misses: list[dict[str, Any]] = []
    for line in Path(args.labels).read_text().splitlines():
        row = json.loads(line)
        inst = by_id[row["id"]] if row["source"] == "simarena" else envs[row["env_id"]][row["task_id"]]
        facet = inst.facet(row["facet"])
        for m, match in MATCHERS.items():
            said = (
                match(row["text"], facet, inst, row.get("turn", 1) > 0)
                if m == "meaning"
                else match(row["text"], facet, inst)
            )
            key = ("t" if said == row["stated"] else "f") + ("p" if said else "n")
            counts[row["half"]][m][key] += 1
            if m == "meaning" and row["half"] == "tune" and said != row["stated"]:
                misses.append(
                    {"id": row["id"], "facet": row["facet"], "stated": row["stated"], "text": row["text"]}
                )
    out: dict[str, Any] = {}
    for half, ms in counts.items():
        out[half] = {}
        for m, c in ms.items():
            tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
            out[half][m] = {
                "stated": tp + fn, "not_stated": fp + tn,
                "recall": round(tp / (tp + fn), 4) if tp + fn else None,
                "precision": round(tp / (tp + fp), 4) if tp + fp else None,
                "false_match_rate": round(fp / (fp + tn), 4) if fp + tn else None,
            }  # fmt: skip
    return {"by_half": out, "tune_misses": misses}


def main() -> None:
    """Measure, print and save."""
    args = parse_args(Args, __doc__)
    data = instances(args)
    vis = visibility(data)
    para = paraphrases(args, data)
    for family, kinds in vis.items():
        for kind, row in kinds.items():
            print(
                f"{family:15s} {kind:24s} n={row['probes']:5d} literal={row['literal']:.3f} meaning={row['meaning']:.3f}"
            )
    for half, ms in para["by_half"].items():
        for m, row in ms.items():
            print(f"paraphrase {half:9s} {m:8s} {row}")
    path = save_results("facet_meaning", args, args.out, visibility=vis, paraphrases=para)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
