"""Dump the problems of the round-6 fresh QA grading set.

Provenance: ``benchmarks/data/qa_fresh_grading_round6.jsonl`` holds 221 assistant replies to 50
problems, written by hand and labelled by hand by a helper blind to the grader: one who never
opened the QA grader's code or rules (``tasks/qa``), the agreement script's logic, the regression
cases or any earlier round's misses. The set was written, labelled and committed before any grader
was run on it; its labels are frozen. This script only re-dumps the problems those replies answer,
exactly as the helper saw them.

Problems: CollabQA-v0's built-in TEST instances 110 to 159 (``gym.make("CollabQA-v0",
split="test")``, ``task.instance("test", i)``), generated passages about two people and a pronoun
question, read as round 4's script reads them. No earlier round used them (round 4: 36 to 60,
round 5: 80 to 109; nor do the model, people and annotator grading sets, and the regression cases
come from the Abg-CoQA sample). The Abg-CoQA shared sample was not used: the loader keeps 18 of its
20 records and rounds 4 and 5 used all 18.

Label rule, one for every reply: ``correct`` iff the reply commits to the intended reading's
answer (its meaning, any wording: paraphrase, synonym, partial name, spelling slip, abbreviation),
and does not also commit to another reading's answer. A hedge between readings is incorrect, and
so is a reply that names every reading's answer side by side without choosing (a list of both
people, a conditional over both); a reply that gives its answer and mentions the other person's
item in passing, or negates it ("not the bakery, the library"), is correct. A reply that answers
another question (where for when), refuses, only asks a clarifying question, names no item, or
names something both readings share ("bread" when both items are bread) is incorrect. ``note``
explains hard cases.

Styles (hand-written, one reply each): terse answers and full sentences, paraphrases and
synonyms, typos, abbreviations, nicknames, answers with reasons, answers after the user's
clarification, openers ("Sure", "Surely", "Great question"), markdown and lists, passing mentions
and negations of the other reading's answer, hedges, wrong readings, other questions' answers,
close-but-wrong items, refusals and clarifying questions. 123 of 221 are correct (55.7%).

Run ``python benchmarks/data/build_qa_fresh_round6.py`` (add ``--json`` for one JSON object per
problem). The replies and labels are data in the JSONL, not generated here.
"""

from __future__ import annotations

import json
import sys

# The problems are read as round 4's script reads them (a sibling module: this runs as a script).
from build_qa_fresh_round4 import collab_problems

COLLAB_RANGE = range(110, 160)


def main(collab: range = COLLAB_RANGE) -> None:
    """Print the CollabQA problems ``collab`` (``--json``: one JSON object per problem)."""
    problems = collab_problems(collab)
    if "--json" in sys.argv[1:]:
        for p in problems:
            print(json.dumps(p, ensure_ascii=False))
        return
    for p in problems:
        print("=" * 78)
        print(f"{p['task_id']}  ({p['source']})")
        print(p["passage"])
        print(f"QUESTION: {p['question']}")
        for r in p["readings"]:
            print(f"  reading {r['name']!r}: {r['answer']}")
        print(f"INTENDED: {p['intended']}")


if __name__ == "__main__":
    main()
