"""How often the QA metric agrees with an independent oracle, and with its regression set.

The accuracy figure is agreement on the *independent sets*: text the rules were not written for,
labelled by hand before the rules changed, with provenance in each record. Now that is the
round-3 set, ``benchmarks/data/qa_model_grading_round3.jsonl`` (144 replies of two real models
in four prompt styles no earlier round used, labelled blind and committed before the round-3
rules were written; built by ``benchmarks/data/build_model_grading_sets.py replies --round 3``,
then ``label --round 3``), and the round-6 set, ``benchmarks/data/qa_fresh_grading_round6.jsonl``
(221 replies to 50 problems no earlier set used, written and labelled by a helper blind to the
grader, committed before it was graded; ``benchmarks/data/build_qa_fresh_round6.py``): 203/221
with the rules, 211/221 with ``--meaning minilm``, measured once. No rule may be written from a set's misses
while it is counted here; a rule that is moves it to the seen sets.

The earlier sets were independent until rules were written from their misses, and are *seen*
sets since (``--seen``), regression tests printed apart from the accuracy figure:
``qa_people_grading.jsonl`` (Abg-CoQA annotators' answers as replies,
``benchmarks/data/build_people_grading_sets.py``) and ``qa_model_grading.jsonl`` (real models'
replies), whose misses the round-2 rules came from (a count the reply leaves out, a polar answer
that restates the question); ``qa_model_grading_round2.jsonl``, whose misses the round-3 rules
came from (a head noun or a name's part for the whole, a derived word, an answer sentence then
its justification, elliptical polar answers only); ``qa_annotator_grading.jsonl`` (150
Abg-CoQA annotators' answers labelled by the reading the data set wrote them under, built by
``benchmarks/data/build_qa_annotator_grading.py`` and committed before issue 40's rules: 135/150
agreed then), whose misses issue 40's rules came from (a paraphrase by a word no other reading's
answer has, a full name to a who-question, a gold that opens with "Yes,"/"No,");
``qa_fresh_grading_round4.jsonl`` (170 replies written and labelled by a helper who never read
the grader or its rules, in varied styles, committed before it was graded: 155/170 agreed then;
``benchmarks/data/build_qa_fresh_round4.py``), whose misses issue 40's grading by meaning came
from (general normalisations: abbreviations, British and American spellings, hyphens, number
words; the part a reply commits to when it names more than one reading's answer; an article noun
phrase named by its head); ``qa_fresh_grading_round5.jsonl`` (180 replies to 42 problems no
earlier set used, written and labelled by a helper who never read the grader, committed before it
was graded: 166/180 agreed then; ``benchmarks/data/build_qa_fresh_round5.py``), whose misses the
lexical reading came from (a reply's near-words read as the answers' words: typos, compounds,
prefix and contraction abbreviations, ordinals, derivations; :mod:`collab_env.tasks.qa.lexical`),
with names joined by "and", a spaced hyphen as a dash, the last cue's choice in other words
("so: the poetry book"), and the opt-in meaning mode for synonyms (``--meaning minilm``).

The *regression cases* (``benchmarks/data/qa_grading_cases.jsonl``, built by
``benchmarks/data/build_qa_grading_cases.py`` from the shared Abg-CoQA sample) were written
together with the rules (short and long, right, wrong, hedging), so their agreement is a
regression test, not an accuracy figure. For each, the QA family's answer extraction and :func:`is_correct` give a verdict;
agreement with the labels is counted by kind of reply. With ``--judge-model`` (and ``--base-url``
for an OpenAI-compatible endpoint), the LLM accuracy judge grades the same replies, and its
agreement with the labels and with the metric is reported too.

Run: ``python -m benchmarks.qa_grader_agreement`` (the default cases; writes
``benchmarks/results/qa_grader_agreement.json``). ``--meaning minilm`` grades with the metric's
opt-in sentence model (the ``grade`` extra) where the rules find no commitment. With other cases,
a judge or a meaning mode, the results go to ``--out`` only: the tracked file describes the
default, offline run.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks import grading, save_results
from collab_env.tasks.qa import QATask
from collab_env.tasks.qa.meaning import MODES
from collab_env.tasks.qa.metric import is_correct, question_of

HERE = Path(__file__).resolve().parent
DEFAULT_CASES = HERE / "data" / "qa_grading_cases.jsonl"
DEFAULT_OUT = HERE / "results" / "qa_grader_agreement.json"
#: Sets no rule was written from. A fresh set, written and labelled blind and committed before
#: any rule is written from it, is added here (its file name beside round 3's); once rules are
#: written from its misses, it moves to DEFAULT_SEEN.
DEFAULT_INDEPENDENT = tuple(
    str(HERE / "data" / name) for name in ("qa_model_grading_round3.jsonl", "qa_fresh_grading_round6.jsonl")
)
#: Independent until rules were written from their misses (round 2's rules from the first two,
#: round 3's from round 2, issue 40's from the annotator set, then grading by meaning from
#: round 4, then the lexical reading, names joined and the final commitment from round 5):
#: regression sets since.
DEFAULT_SEEN = tuple(
    str(HERE / "data" / f"qa_{name}.jsonl")
    for name in (
        "people_grading",
        "model_grading",
        "model_grading_round2",
        "annotator_grading",
        "fresh_grading_round4",
        "fresh_grading_round5",
    )
)
SEEN = "sets whose misses the rules were written from (independent before; regression now)"


@dataclass
class Args:
    """What to measure."""

    cases: str = str(DEFAULT_CASES)
    """regression cases, written with the rules (JSONL: question, answers, reply, kind, correct)"""
    independent: tuple[str, ...] = DEFAULT_INDEPENDENT
    """independent sets (JSONL: question, answers, others, reply, correct, provenance)"""
    seen: tuple[str, ...] = DEFAULT_SEEN
    """sets of the same form whose misses the rules were written from: regression sets"""
    judge_model: str | None = None
    """an LLM accuracy judge to compare with (optional)"""
    base_url: str | None = None
    """the judge's OpenAI-compatible endpoint"""
    meaning: str | None = None
    """the metric's meaning mode (``"minilm"``: a sentence model reads replies the rules cannot)"""
    out: str | None = None
    """where to write the results (default: benchmarks/results/, for the default offline run only)"""


def grade(cases: list[dict], judge=None, meaning: str | None = None) -> dict:
    """Verdicts of the metric (and the judge) on each case, and their agreement counts."""
    task = QATask()
    agree: dict[str, Counter] = {"metric": Counter(), "judge": Counter(), "judge_vs_metric": Counter()}
    differ = []
    for case in cases:
        metric = is_correct(
            task.extract_solution(case["reply"]) or "",
            case["answers"],
            question=case["question"],
            meaning=meaning,
        )
        agree["metric"][case["kind"]] += metric == case["correct"]
        verdict = None
        if judge is not None:
            verdict = judge(case["question"], " / ".join(case["answers"]), case["reply"])
            agree["judge"][case["kind"]] += verdict == case["correct"]
            agree["judge_vs_metric"][case["kind"]] += verdict == metric
        if metric != case["correct"] or (verdict is not None and verdict != case["correct"]):
            differ.append({**case, "metric": metric, "judge": verdict})
    kinds = Counter(case["kind"] for case in cases)
    used = ("metric", "judge", "judge_vs_metric") if judge is not None else ("metric",)
    return {
        "cases": len(cases),
        "agree": {name: sum(agree[name].values()) for name in used},
        "by_kind": {
            k: {"cases": n, **{name: agree[name][k] for name in used}} for k, n in sorted(kinds.items())
        },
        "disagreements": differ,
    }


def grade_independent(path: str, meaning: str | None = None) -> dict:
    """Agreement of the metric with an independent set's labels, by who wrote the reply."""
    task = QATask()

    def grade(case: dict) -> tuple[bool, str]:
        answer = task.extract_solution(case["reply"])
        question = case.get("question") or question_of(case.get("request", ""))
        verdict = answer is not None and is_correct(
            answer,
            case["answers"],
            others=case.get("others", ()),
            question=question,
            context=case.get("request"),
            meaning=meaning,
        )
        return verdict, f"gold {case['answers'][0]!r}"

    return grading.grade_independent(path, grade, "as written")


def main() -> None:
    """Print the agreement figures and write them where the data allows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", default=Args.cases, help="regression cases, written with the rules (JSONL)"
    )
    parser.add_argument(
        "--independent", nargs="*", default=list(Args.independent), help="independent sets (JSONL)"
    )
    parser.add_argument(
        "--seen", nargs="*", default=list(Args.seen), help="sets the rules were written from (JSONL)"
    )
    parser.add_argument(
        "--meaning", default=None, choices=MODES, help="the metric's meaning mode (default: the rules alone)"
    )
    parser.add_argument("--judge-model", default=None, help="LLM accuracy judge to compare with")
    parser.add_argument("--base-url", default=None, help="the judge's OpenAI-compatible endpoint")
    parser.add_argument(
        "--out", default=None, help="results file (default: benchmarks/results/ for the default run)"
    )
    args = Args(**vars(parser.parse_args()))
    judge = None
    if args.judge_model:
        from collab_env.llm import OpenAIChat
        from collab_env.rewards.judges import LLMAccuracyJudge

        judge = LLMAccuracyJudge(OpenAIChat(args.judge_model, base_url=args.base_url))
    cases = [json.loads(line) for line in Path(args.cases).read_text().splitlines() if line.strip()]
    result = grade(cases, judge, args.meaning)
    independent = [grade_independent(path, args.meaning) for path in args.independent if Path(path).exists()]
    seen = [grade_independent(path, args.meaning) for path in args.seen if Path(path).exists()]
    default_run = args.cases == str(DEFAULT_CASES) and judge is None and args.meaning is None
    out = args.out or (str(DEFAULT_OUT) if default_run else None)
    if out:
        save_results("qa_grader_agreement", args, out, independent=independent, seen=seen, regression=result)
    grading.print_independent(independent)
    if seen:
        grading.print_independent(seen, SEEN, "all seen")
    n = result["cases"]
    print(f"regression cases (written with the rules; not an accuracy figure): {n}")
    for name, label in (
        ("metric", "metric"),
        ("judge", "LLM judge"),
        ("judge_vs_metric", "LLM judge vs metric"),
    ):
        if name in result["agree"]:
            print(f"{label}: {result['agree'][name]}/{n} agree ({100 * result['agree'][name] / n:.1f}%)")
    for kind, row in result["by_kind"].items():
        print(f"  {kind}: " + ", ".join(f"{name} {row[name]}/{row['cases']}" for name in result["agree"]))
    for case in result["disagreements"]:
        print(
            f"  differs ({case['kind']}): metric {case['metric']}, judge {case['judge']}: {case['reply']!r}"
        )
    print(f"results: {out}" if out else "results not written (other cases or a judge: pass --out PATH)")


if __name__ == "__main__":
    main()
