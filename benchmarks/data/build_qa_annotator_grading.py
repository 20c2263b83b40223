"""Build ``qa_annotator_grading.jsonl``: Abg-CoQA's answers, graded by the reading they were written for.

Abg-CoQA asks each ambiguous question again under each of its readings: ``clarification_turn``
has, per reading (an option, ``clr_ans``), three annotators' answers (``org_ans``, ``org_ans_2``,
``org_ans_3``); ``clarification_turn_2`` has one per reading. The data set thus says which reading
every answer belongs to, and this set takes its labels from that alone: no rule of ours wrote a
reply or decided a label. For each reading taken as the intended one:

- ``same_reading``: each annotator's answer to it, graded against the other annotators' answers
  to it (label: correct, the data set says it answers the intended reading);
- ``other_reading``: each answer written for another reading of the same clarification, graded
  against every answer to the intended one (label: wrong).

The other readings' answers go with each case as ``others`` (a reply that also states one of
them does not commit). The request is the loader's: passage, conversation, question and the
intended reading, stated with the clarifying question. Left out, by the data alone and before
any grader ran on the set: "Unknown" answers (the passage does not answer that reading: nothing
to grade); an answer text written under several readings of one clarification, except under the
reading where most annotators wrote it (a tie: under none); a yes/no answer that the majority of
its reading's yes/no answers contradict; repeated (reading, reply) pairs.

Frozen before the issue-40 grader changes; measured by ``benchmarks/qa_grader_agreement.py``.

Run: ``python benchmarks/data/build_qa_annotator_grading.py ../shared/data`` (rewrites the file).
"""

from __future__ import annotations

import json
import string
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "qa_annotator_grading.jsonl"
SLOTS = ("org_ans", "org_ans_2", "org_ans_3")
TURNS = ("clarification_turn", "clarification_turn_2")
LABELLER = "Abg-CoQA's annotation (the reading each answer was written under)"


def _key(text: str) -> str:
    """A text compared as the data's annotators wrote it: case, punctuation and spaces aside."""
    return " ".join(text.lower().translate(str.maketrans("", "", string.punctuation)).split())


def _polar(text: str) -> str | None:
    words = _key(text).split()
    return words[0] if words and words[0] in ("yes", "no") else None


def readings(turn: dict) -> list[list[str]]:
    """Each option's answers, less those the data cannot label (see the module docstring)."""
    options = [
        [o[s] for s in SLOTS if o.get(s) and not _key(o[s]).startswith("unknown")] for o in turn["answers"]
    ]
    where = [Counter(_key(a) for a in answers) for answers in options]
    kept = []
    for own, answers in zip(where, options, strict=True):
        mine = [
            a for a in answers if all(own[_key(a)] > other[_key(a)] for other in where if other is not own)
        ]
        sides = Counter(_polar(a) for a in mine if _polar(a))
        kept.append([a for a in mine if not _polar(a) or 2 * sides[_polar(a)] > sum(sides.values())])
    return kept


def request(record: dict, question: str, clarification: str) -> str:
    """The loader's request: passage, conversation, question and the intended reading."""
    history = "\n".join(f"Q: {t['question']}\nA: {t['answer']}" for t in record["history_turns"])
    return (
        f"{record['story'].strip()}\n\n{history}\n\nMy question: {record['target_turn']['question']}"
        f'\n\nWhat I mean: To be clear, about "{question}": {clarification}'
    ).replace("\n\n\n\n", "\n\n")


def cases(index: int, record: dict) -> list[dict]:
    """The cases of one record: every reading of each clarification taken as the intended one.

    A reply's own answer is left out of what it is graded against: the golds (the intended
    reading's answers) for a same-reading reply, the others for an other-reading reply.
    """
    out, seen = [], set()
    for turn_name in TURNS:
        turn = record.get(turn_name) or {}
        options = readings(turn) if turn.get("answers") else []
        answers = [(j, k, a) for j, option in enumerate(options) for k, a in enumerate(option)]
        for intended in range(len(options)):
            for j, k, reply in answers:
                golds = [a for jj, kk, a in answers if jj == intended and (jj, kk) != (j, k)]
                others = [a for jj, kk, a in answers if jj != intended and (jj, kk) != (j, k)]
                if not golds or (turn_name, intended, _key(reply)) in seen:
                    continue
                seen.add((turn_name, intended, _key(reply)))
                clarification = turn["answers"][intended]["clr_ans"]
                out.append({
                    "id": f"qa-annotator-{index:02d}-{turn_name[-1]}{intended}-{len(out):02d}",
                    "source": "Abg-CoQA test, ../shared/data/qa", "record": index, "turn": turn_name,
                    "author": "Abg-CoQA's annotators (people)", "prompt_style": None,
                    "form": "same_reading" if j == intended else "other_reading",
                    "question": record["target_turn"]["question"],
                    "request": request(record, turn.get("question", ""), clarification),
                    "answers": golds, "others": others, "reply": reply, "correct": j == intended,
                    "labeller": LABELLER,
                })  # fmt: skip
    return out


def build(records: list[dict]) -> list[dict]:
    """Every case of the ambiguous records, in record order."""
    return [c for i, r in enumerate(records) if r["ambiguity"] == "ambiguous" for c in cases(i, r)]


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(shared: str) -> None:
    """Rebuild the set from the shared data folder."""
    rows = build(_read(Path(shared) / "qa" / "abg_coqa_test_sample.jsonl"))
    OUT.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    print(f"{OUT}: {len(rows)} cases, {sum(r['correct'] for r in rows)} labelled correct")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(HERE.parents[2] / "shared" / "data"))
