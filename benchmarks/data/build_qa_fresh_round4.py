"""Dump the problems of the round-4 fresh QA grading set (Issue 40).

Provenance: ``benchmarks/data/qa_fresh_grading_round4.jsonl`` holds assistant replies written by
hand, and labelled by hand (1 when a reply commits to the intended reading's answer, 0 when it
names another reading's answer, hedges between readings, or is wrong), by a helper who never read
the QA grader's code, rules or earlier grading sets. This script only re-dumps the problems those
replies answer, exactly as the helper saw them:

* CollabQA-v0's built-in TEST instances 36 to 60 (``gym.make("CollabQA-v0", split="test")``,
  ``task.instance("test", i)``), generated passages about two people and a pronoun question;
* the Abg-CoQA shared sample (``/work/shared/data/qa/abg_coqa_test_sample.jsonl``) loaded as a
  dataset task, its ``.instances`` 12 to 20 (the loader keeps 18 of the 20 records, so this is
  indices 12 to 17); the clarification options are read from the raw record for context.

Run ``python benchmarks/data/build_qa_fresh_round4.py`` (add ``--json`` for one JSON object per
problem). The replies and labels are data in the JSONL, not generated here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import gymnasium as gym

import collab_env  # noqa: F401  (registers the environments)
from collab_env.tasks.datasets import load_dataset

ABG_PATH = Path("/work/shared/data/qa/abg_coqa_test_sample.jsonl")
COLLAB_RANGE = range(36, 61)
ABG_RANGE = range(12, 21)


def collab_problems(indices: range = COLLAB_RANGE) -> list[dict]:
    """CollabQA-v0 test instances ``indices`` (round 4: 36 to 60)."""
    env = gym.make("CollabQA-v0", split="test")
    task = env.unwrapped.task
    problems = []
    for index in indices:
        inst = task.instance("test", index)
        ref = inst.reference
        passage, question = inst.opening.split("\n\nQuestion: ", 1)
        answers = {ref.intended: ref.answer}
        other = next(r for r in ref.readings if r != ref.intended)
        answers[other] = ref.other_answers[0]
        problems.append(
            {
                "task_id": inst.task_id,
                "source": "collabqa-test",
                "passage": passage,
                "question": question,
                "readings": [{"name": r, "answer": [answers[r]]} for r in ref.readings],
                "intended": ref.intended,
                "gold": [ref.answer],
                "others": list(ref.other_answers),
            }
        )
    env.close()
    return problems


def abg_problems(indices: range = ABG_RANGE) -> list[dict]:
    """Abg-CoQA shared-sample instances ``indices``, those that exist (round 4: 12 to 20)."""
    raw = {}
    for line in ABG_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            raw[record["id"]] = record
    dataset = load_dataset(f"abgcoqa:{ABG_PATH}")
    problems = []
    for inst in dataset.instances[indices.start : indices.stop]:
        ref = inst.reference
        record = raw[inst.metadata["abgcoqa_id"]]
        question = inst.opening.rsplit("My question: ", 1)[-1]
        history = inst.opening[len(record["story"].strip()) :].rsplit("My question:", 1)[0].strip()
        clar = record.get("clarification_turn") or {}
        intended = inst.facets[0].value if inst.facets else "the question as asked"
        readings = [{"name": intended, "answer": list(ref.answers)}]
        if ref.other_answers:
            readings.append({"name": "other reading", "answer": list(ref.other_answers)})
        problems.append(
            {
                "task_id": inst.task_id,
                "abgcoqa_id": record["id"],
                "source": "abgcoqa-sample",
                "passage": ref.story,
                "history": history,
                "question": question,
                "clarifying_question": clar.get("question", ""),
                "options": [o.get("clr_ans") for o in clar.get("answers", []) if isinstance(o, dict)],
                "readings": readings,
                "intended": intended,
                "gold": list(ref.answers),
                "others": list(ref.other_answers),
            }
        )
    return problems


def main(collab: range = COLLAB_RANGE, abg: range = ABG_RANGE) -> None:
    """Print the problems of ``collab`` and ``abg`` (``--json``: one JSON object per problem)."""
    problems = collab_problems(collab) + abg_problems(abg)
    if "--json" in sys.argv[1:]:
        for p in problems:
            print(json.dumps(p, ensure_ascii=False))
        return
    for p in problems:
        print("=" * 78)
        print(f"{p['task_id']}  ({p['source']})")
        print(p["passage"])
        if p.get("history"):
            print("--- conversation so far ---")
            print(p["history"])
        print(f"QUESTION: {p['question']}")
        if p.get("clarifying_question"):
            print(f"clarifying question: {p['clarifying_question']}  options: {p['options']}")
        for r in p["readings"]:
            print(f"  reading {r['name']!r}: {r['answer']}")
        print(f"INTENDED: {p['intended']}")


if __name__ == "__main__":
    main()
