"""Build the graders' independent sets from text people wrote: MATH's solutions, Abg-CoQA's answers.

Neither text was written for the graders' rules, and both were labelled before any rule changed
(issue 22), so agreement on them is an accuracy figure; the older ``*_grading_cases.jsonl`` sets,
written together with the rules, stay as regression tests.

- ``math_people_grading.jsonl``: each of the 40 MATH Level-5 solutions of
  ``../shared/data/math/`` graded, as a whole reply, against its own boxed answer (form
  ``own_solution``) and against the next record's boxed answer (form ``neighbour_solution``:
  right only where the two answers are equal). Oracle: math-verify (``verify`` of the boxed
  reference against ``parse`` of the whole solution); every case where it disagrees with what
  the text says was checked by hand (:data:`MATH_HAND`), and the label says who decided.
- ``qa_people_grading.jsonl``: for each of the 20 Abg-CoQA records of ``../shared/data/qa/``,
  every answer the annotators wrote (the original answers under each clarification, and the
  answers of the earlier turns of the conversation) as a reply to the target question, graded
  against the target turn's answer alone. Labelled by hand (:data:`QA_HAND`): does the reply
  give the intended reading's answer, by meaning, with the passage at hand.

Run: ``python benchmarks/data/build_people_grading_sets.py ../shared/data`` (rewrites both files;
the labels are the tables below, frozen).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LABELLER = "hand (issue 22 session, before any rule change)"
#: (record, form) -> label, where math-verify's verdict was overruled by reading the solution.
MATH_HAND: dict[tuple[int, str], bool] = {}
#: record -> {reply: label}. Gold: the target turn's answer; the reading is the target's.
QA_HAND: dict[int, dict[str, bool]] = {
    0: {"The UPS worldwide air hub": True, "the University of Louisville and its Louisville Cardinals athletic teams, Louisville Slugger baseball bats, and three of Kentucky's six \"Fortune\" 500 companies": False,
        "University of Louisville and three of Kentucky's six \"Fortune\" 500 companies": False,
        "Louisville is the historical seat and, since 2003, the nominal seat of Jefferson County.": False,
        "Its main airport is also the site of United Parcel Service's worldwide air hub.": True,
        "the Kentucky Derby": False, "Kentucky Fried Chicken": False},
    1: {"unknown": False, "yes": False},
    2: {"Unknown.": False, "-85%": True, "to just below 58,000": False, "Unknown": False, "85 percent": True, "Sunday": False},
    3: {"No, he cannot.": True, "no": True, "Unknown.": False, "Unknown": False, "Yes": False,
        "No, a person with mental retardation is ineligible for the death penalty.": True, "mental retardation": False},
    4: {"The United Nations denied its request": False, "He was overthrown from power": False},
    5: {"sell it to fools who wish to build great houses and spend their goods in feeding a multitude of idle servants": False,
        "sell it to other fools": False, "Lend it out to fools": True, "farm": False, "the Goldsmith": False, "land": False},
    6: {"No, he gained those titles in 2011.": True, "No": True,
        "Yes, he became general counsel in 1997 and president of the board of directors in 2001..": False,
        "Yes": False, "yes": False, "No, he became chairman and CEO in 2011.": True, "Cary Sherman": False},
    7: {"She signaled to them.": False,
        "She solemnly lifted her hand, and signaled them to occupy their customary corner without speaking to her": True,
        "She solemnly lifted her hand on their appearance, signing to them to occupy our customary corner without speaking to her.": True,
        "The servant talked to them.": False, "With formality and a hint of urgency": False,
        'He said, "My mistress wishes you to go home, Master George, as soon as you can."': False,
        "She lifted her hand and signaled to them.": True, "yes": False},
    8: {"Bill O'Reilly declined the invitation.": True, "Conservative host Bill O'Reilly": True, "Unknown.": False,
        "Unknown": False, "No": False},
    9: {"yes": True, "Unknown": False, "Dick": False},
    10: {"Abraham Goodman.": False, "Martin Goodman": False, "Timely Publications": False, "Martin Goodman.": False,
         "Spider-Man": False, "Doctor Doom": False, "Yes": False},
    11: {"yes": False},
    12: {"yes": True, "no": False, "Unknown": False,
         "Rowland said he believed Roderick that it's one of the best he'd ever done": False,
         "Unknown, because Rowland hadn't seen it yet.": False, "Roderick": False},
    # "Anyone else?" -> "Yes": the intended reading's someone else is Lee Westwood.
    13: {"Lee Westwood": True, "Phil Mickelson": False, "Woods": False},
    14: {"She feels nervous.": True, "Nervous": True, "Like she was missing a part of herself.": False,
         "anxious, like she was missing a big part of herself": False, "she was even more anxious": False,
         "It has been a very difficult thing to go through": False, "Chasing the Sun": False},
    15: {"Major.": False, "major": False, "Captains.": True, "captain": True, "Captain": True, "Major": False, "Jack": False},
    # "Is he liked?" -> "no": a reply that he is hated says no.
    16: {"Ninety percent of the people in Tripoli hate Gadhafi.": True, "Ninety percent of the people in Tripoli hate Gadhafi": True,
         "regime officials and government minders tell foreign journalists that Tripoli is a stronghold of Gadhafi": False,
         "Unknown": False, "No, major demonstrations were held against Libya's strongman": True, "Yes": False,
         "No, major demonstrations were held against Libya's strongman as recently as last week": True, "41 years": False},
    17: {"She got married in 2010.": False, "2010": False, "in 2010": False, "In 2012.": True, "2001.": False,
         "2001": False, "In 2004.": False, "2004": False, "about a year later": False, "Luc": False},
    18: {"Moon.": False, "Matthew Moon": False, "Fray.": True, "Thessalonians.": False, "Corinthians": False,
         "Corinthians Thessalonians": False, "Laban Tall": False, "Yes": False},
    19: {"not exactly.": False},
}  # fmt: skip


def math_people(records: list[dict]) -> list[dict]:
    """The MATH cases: each solution against its own and its neighbour's boxed answer."""
    from math_verify import parse, verify

    from collab_env.tasks.math.metric import last_boxed

    out = []
    for index, record in enumerate(records):
        for form, other in (("own_solution", index), ("neighbour_solution", (index + 1) % len(records))):
            reference = last_boxed(record["solution"])
            reply = records[other]["solution"]
            oracle = bool(verify(parse(f"${reference}$"), parse(reply)))
            hand = MATH_HAND.get((index, form))
            out.append({
                "id": f"math-people-{index:02d}-{form}", "source": "MATH test (Level 5), ../shared/data/math",
                "record": index, "reply_record": other, "form": form, "author": "MATH's authors (people)",
                "prompt_style": None, "reference": reference, "reply": reply,
                "correct": oracle if hand is None else hand, "math_verify": oracle,
                "labeller": "math-verify" if hand is None else LABELLER,
            })  # fmt: skip
    return out


def qa_people(records: list[dict]) -> list[dict]:
    """The Abg-CoQA cases: every annotator's answer of a record as a reply to its target question."""
    out = []
    for index, record in enumerate(records):
        gold = record["target_turn"]["answer"]
        for k, (reply, label) in enumerate(QA_HAND[index].items()):
            if reply not in _answers(record):
                raise ValueError(f"record {index}: {reply!r} is not an answer the annotators wrote")
            out.append({
                "id": f"qa-people-{index:02d}-{k:02d}", "source": "Abg-CoQA test, ../shared/data/qa",
                "record": index, "author": "Abg-CoQA's annotators (people)", "prompt_style": None,
                "question": record["target_turn"]["question"], "answers": [gold], "others": [],
                "reply": reply, "correct": label, "labeller": LABELLER,
            })  # fmt: skip
    return out


def _answers(record: dict) -> set[str]:
    """Every answer text the annotators wrote in a record, other than the target's."""
    found = {turn["answer"] for turn in record["history_turns"]}
    for key in ("clarification_turn", "clarification_turn_2"):
        for answer in (record.get(key) or {}).get("answers", []):
            found |= {answer[k] for k in ("org_ans", "org_ans_2", "org_ans_3") if k in answer}
    return found


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    print(f"{path}: {len(rows)} cases, {sum(r['correct'] for r in rows)} labelled correct")


def main(shared: str) -> None:
    """Rebuild both people sets from the shared data folder."""
    root = Path(shared)
    _write(HERE / "math_people_grading.jsonl", math_people(_read(root / "math" / "math_level5_sample.jsonl")))
    _write(HERE / "qa_people_grading.jsonl", qa_people(_read(root / "qa" / "abg_coqa_test_sample.jsonl")))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(HERE.parents[2] / "shared" / "data"))
