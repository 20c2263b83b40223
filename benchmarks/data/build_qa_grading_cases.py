"""Build ``qa_grading_cases.jsonl``: natural replies to the shared Abg-CoQA sample, labelled.

For each of the 20 records of ``../shared/data/qa/abg_coqa_test_sample.jsonl`` the table below
holds replies written by hand as a chat model or a person would write them: a short and a long
reply that state the right answer, a short and a long wrong one, and one that hedges between
several candidates (wrong: it does not commit to an answer). "Right" means one of the answers
the data set accepts for the intended reading (the loader's ``reference.answers``: annotators
sometimes disagree, so record 18 also accepts "Moon" and record 12 also "no"). Each case carries the record's
question, its accepted answers (the target turn's and the intended reading's), the reply and
its label.

Run: ``python benchmarks/data/build_qa_grading_cases.py ../shared/data/qa/abg_coqa_test_sample.jsonl``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KINDS = ("right_short", "right_long", "wrong_short", "wrong_long", "hedge")
# record index -> one reply per kind, in KINDS' order.
REPLIES: dict[int, tuple[str, str, str, str, str]] = {
    0: (
        "UPS's worldwide air hub.",
        "Its main airport is the site of United Parcel Service's worldwide air hub.",
        "The Kentucky Derby.",
        "It's best known as the home of the Kentucky Derby and Kentucky Fried Chicken.",
        "Either the UPS worldwide air hub or the Kentucky Derby, depending on what you mean.",
    ),
    1: (
        "Cesc Fabregas and Fernando Torres.",
        "Cesc Fabregas and Liverpool striker Fernando Torres were also injured.",
        "Steven Gerrard.",
        "Only the goalkeeper was hurt, nobody else.",
        "It might be Cesc Fabregas, or maybe someone else; the article isn't clear.",
    ),
    2: (
        "85 per cent.",
        "Circulation was down 85 per cent from its 1990 peak.",
        "About 40 per cent.",
        "It fell by roughly half since 1990.",
        "Either 85 per cent or 40 per cent, depending on whether you mean daily or Sunday circulation.",
    ),
    3: (
        "No.",
        "No, he is ineligible for the death penalty because of his mental retardation.",
        "Yes.",
        "Yes, the state can still execute him.",
        "Yes and no: it depends on which court you ask.",
    ),
    4: (
        "On 1 November 2000.",
        "They were readmitted to the UN on 1 November 2000.",
        "In 1992.",
        "They rejoined the UN in March 2003.",
        "Either in 1992 or on 1 November 2000, I'm not sure which.",
    ),
    5: (
        "Hire it out to fools to farm.",
        "You could hire the land out to fools to farm.",
        "Build a house on it.",
        "You could sell it to someone who wants to build a great house.",
        "You could hire it out to fools to farm or sell it to fools who wish to build houses.",
    ),
    6: (
        "No.",
        "No, he only gained those titles in 2011.",
        "Yes.",
        "Yes, he already held them in 2010.",
        "Maybe; it depends on which title you mean.",
    ),
    7: (
        "She lifted her hand.",
        "She acknowledged them by lifting her hand.",
        "She nodded.",
        "She waved and called out to them.",
        "Either she lifted her hand or the servant talked to them, depending on who you mean.",
    ),
    8: (
        "Bill O'Reilly.",
        "Conservative host Bill O'Reilly decided not to go.",
        "Jon Stewart.",
        "Stephen Colbert decided to skip the rally.",
        "It was either Bill O'Reilly or Glenn Beck, I can't tell which.",
    ),
    9: (
        "Yes.",
        "Yes, Dick and his chum were friends.",
        "No.",
        "No, they were rivals.",
        "Yes or no, depending on whether you mean Dick and his chum or Dick and Peter Slade.",
    ),
    10: (
        "The Avengers.",
        "One of the teams is called the Avengers.",
        "The Fantastic Four.",
        "It's called the Justice League.",
        "It could be the Avengers or the X-Men, depending on which team you mean.",
    ),
    11: (
        "Madame de Selinville.",
        "The response is meant for Madame de Selinville.",
        "The messenger.",
        "It is for the king himself.",
        "Either Madame de Selinville or the messenger, I'm not sure which.",
    ),
    12: (
        "Yes.",
        "Yes, he declared it magnificent and one of the best things he had done.",
        "It was Rowland who liked it.",
        "Rowland liked it, but Roderick never saw it finished.",
        "Yes or no, depending on whether you mean Roderick or Rowland.",
    ),
    13: (
        "Yes.",
        "Yes, Lee Westwood is also in the running.",
        "No.",
        "No, Woods is the only one in the running.",
        "Maybe Lee Westwood, or perhaps Phil Mickelson, depending on what you mean.",
    ),
    14: (
        "Nervous.",
        "She feels nervous about it.",
        "Happy.",
        "She feels confident and relaxed.",
        "She could be nervous or she could feel she is missing a part of herself, depending on when.",
    ),
    15: (
        "The two captains.",
        "The two captains are also being voted on.",
        "The treasurer.",
        "They are also voting for a new secretary.",
        "Either the two captains or the major, depending on which one you mean.",
    ),
    16: (
        "No.",
        "No, ninety percent of the people in Tripoli hate him.",
        "Yes.",
        "Yes, he is very popular.",
        "It depends: not in Tripoli, but I'm not sure about the rest of Libya.",
    ),
    17: (
        "In 2012.",
        "Her son was born in 2012.",
        "In 2010.",
        "She got married in 2010.",
        "Either 2010 or 2012, depending on whether you mean the wedding or the birth.",
    ),
    18: (
        "Fray.",
        "The other one is named Fray.",
        "Thessalonians.",
        "The other book is called Thessalonians.",
        "Either Fray or Moon, I'm not sure which one you mean.",
    ),
    19: (
        "A hot air balloon.",
        "Then came the first untethered human flight, in a hot air balloon.",
        "A glider.",
        "Then the Wright brothers flew the first airplane.",
        "Maybe a hot air balloon, or maybe a glider; it's hard to say.",
    ),
}


def cases(path: str) -> list[dict]:
    """Every labelled reply of the records at ``path`` (see the module docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from collab_env.tasks.datasets import load_dataset

    task = load_dataset(f"abgcoqa:{path}")
    out = []
    for index, instance in enumerate(task.instances):
        question = instance.opening.rsplit("My question:", 1)[-1].strip()
        for kind, reply in zip(KINDS, REPLIES[index], strict=True):
            out.append({
                "record": index, "question": question, "answers": list(instance.reference.answers),
                "kind": kind, "reply": reply, "correct": kind.startswith("right"),
            })  # fmt: skip
    return out


def main() -> None:
    """Write the cases next to this script."""
    path = Path(__file__).with_name("qa_grading_cases.jsonl")
    built = cases(sys.argv[1])
    path.write_text("".join(json.dumps(c) + "\n" for c in built))
    print(f"{path}: {len(built)} cases")


if __name__ == "__main__":
    main()
