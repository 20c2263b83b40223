"""Dump the problems of the round-5 fresh QA grading set.

Provenance: ``benchmarks/data/qa_fresh_grading_round5.jsonl`` holds 180 assistant replies written
by hand, and labelled by hand (correct when a reply commits to the intended reading's answer, a
paraphrase a careful human grader would accept included; not correct when it names another
reading's answer, hedges between readings without committing, or is wrong), by a helper who never
read the QA grader's code, rules or earlier grading sets' replies. The set was written, labelled
and committed before the grader was run on it. This script only re-dumps the problems those
replies answer, exactly as the helper saw them; none overlaps round 4's:

* CollabQA-v0's built-in TEST instances 80 to 109 (``gym.make("CollabQA-v0", split="test")``,
  ``task.instance("test", i)``), generated passages about two people and a pronoun question;
* the Abg-CoQA shared sample (``/work/shared/data/qa/abg_coqa_test_sample.jsonl``) loaded as a
  dataset task, its ``.instances`` 0 to 11 (round 4 used 12 to 17); the clarification options are
  read from the raw record for context.

Each reply's ``request`` is the passage, the conversation so far (Abg-CoQA) and the question, joined
by blank lines. Run ``python benchmarks/data/build_qa_fresh_round5.py`` (add ``--json`` for one
JSON object per problem). The replies and labels are data in the JSONL, not generated here.
"""

from __future__ import annotations

# The problems are read as round 4's script reads them (a sibling module: this runs as a script).
from build_qa_fresh_round4 import main

COLLAB_RANGE = range(80, 110)
ABG_RANGE = range(0, 12)

if __name__ == "__main__":
    main(COLLAB_RANGE, ABG_RANGE)
