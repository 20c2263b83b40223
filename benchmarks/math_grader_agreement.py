"""How often the math grader agrees with an independent oracle, and with its regression set.

The accuracy figure is agreement on the *independent sets*: text the rules were not written for,
labelled before any rule changed (issue 22), with provenance in each record:
``benchmarks/data/math_people_grading.jsonl`` (MATH's own solutions as replies, graded against
their own and a neighbour's boxed answer; oracle math-verify, disagreements read by hand; built
by ``benchmarks/data/build_people_grading_sets.py``) and ``benchmarks/data/math_model_grading.jsonl``
(replies of real models in several prompt styles, labelled by math-verify and by hand; built by
``benchmarks/data/build_model_grading_sets.py``).

Two more measurements, not accuracy figures:

- *regression cases*, written together with the rules (``benchmarks/data/math_grading_cases.jsonl``, built by
  ``benchmarks/data/build_math_grading_cases.py``): assistant messages that state a MATH Level-5
  answer in every form LLMs use (boxed, "the answer is", ``$…$``, ``$$…$$``, ``\\(…\\)``,
  ``\\[…\\]``, plain sentences), equivalent rewrites and near-miss wrong answers, each with its
  intended label. Agreement with the labels is counted for the project's grader (the task's
  answer extraction, then :func:`answers_equivalent`) and for math-verify alone (``parse`` of
  the whole message, ``verify`` against the reference), by form, with every case where they
  differ.
- *MATH records* (``math:PATH``, when given or present at ``../shared/data/math``): the
  reference solution graded as an assistant's message (*self*), and the answer re-rendered by
  sympy (*re-rendered*), as before.

Run: ``python -m benchmarks.math_grader_agreement`` (the default data; writes
``benchmarks/results/math_grader_agreement.json``). With other data (``--cases``, ``--math``) the
results go to ``--out`` only: the tracked file describes the default data.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import sympy
from math_verify import parse, verify

from benchmarks import grading, save_results
from collab_env.tasks.datasets import load_dataset
from collab_env.tasks.math.metric import answers_equivalent, extract_answer

HERE = Path(__file__).resolve().parent
DEFAULT_CASES = HERE / "data" / "math_grading_cases.jsonl"
DEFAULT_MATH = HERE.parents[1] / "shared" / "data" / "math"
DEFAULT_INDEPENDENT = tuple(str(HERE / "data" / f"math_{who}_grading.jsonl") for who in ("people", "model"))


@dataclass
class Args:
    """What to measure."""

    cases: str = str(DEFAULT_CASES)
    """regression cases, written with the rules (JSONL: message, reference, correct, form)"""
    independent: tuple[str, ...] = DEFAULT_INDEPENDENT
    """independent sets (JSONL: reply, reference, correct, provenance)"""
    math: str | None = None
    """a MATH file or folder for the self and re-rendered checks (default: the shared sample, if present)"""
    out: str = "runs/benchmarks/math_grader_agreement.json"
    """where to write the results (benchmarks/results/math_grader_agreement.json updates the tracked ones)"""


def rerender(answer: str) -> str | None:
    """The answer parsed by math-verify and written back by ``sympy.latex``, or ``None``."""
    parsed = parse(f"${answer}$")
    if not parsed or not isinstance(parsed[0], sympy.Basic):
        return None
    return sympy.latex(parsed[0])


def measure(path: str) -> dict:
    """Agreement counts of the grader on the MATH records at ``path``."""
    task = load_dataset(f"math:{path}")
    n, self_ok, rendered, rendered_ok, misses = task.size("test"), 0, 0, 0, []
    for index in range(n):
        instance = task.instance("test", index)
        answer = instance.reference.answer
        ok = task.score(instance, task.extract_solution(instance.metadata["solution"]) or "")
        self_ok += int(ok)
        again = rerender(answer)
        if again is not None:
            rendered += 1
            rendered_ok += int(task.score(instance, again))
        if not ok:
            misses.append(answer)
    answers = [task.instance("test", i).reference.answer for i in range(n)]
    pairs = [(a, b) for a, b in zip(answers, answers[1:] + answers[:1], strict=True) if a != b]
    false_accepts = [(a, b) for a, b in pairs if task.score(task.instance("test", answers.index(a)), b)]
    return {
        "records": n,
        "rejected": len(task.rejected),
        "self": self_ok,
        "rerendered": rendered,
        "rerendered_agree": rendered_ok,
        "self_misses": misses,
        "pairs": len(pairs),
        "false_accepts": false_accepts,
    }


def grade_cases(path: str) -> dict:
    """Agreement of the project's grader and of math-verify alone with each case's label."""
    cases = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    agree: dict[str, Counter] = {"project": Counter(), "math_verify": Counter()}
    differ = []
    for case in cases:
        answer = extract_answer(case["message"])
        project = answer is not None and answers_equivalent(answer, case["reference"])
        alone = bool(verify(parse(f"${case['reference']}$"), parse(case["message"])))
        form = case["form"]
        agree["project"][form] += project == case["correct"]
        agree["math_verify"][form] += alone == case["correct"]
        if project != case["correct"] or alone != case["correct"]:
            differ.append({**case, "project": project, "project_answer": answer, "math_verify": alone})
    forms = Counter(case["form"] for case in cases)
    return {
        "cases": len(cases),
        "intended_correct": sum(case["correct"] for case in cases),
        "agree": {name: sum(counts.values()) for name, counts in agree.items()},
        "by_form": {
            f: {"cases": n, **{name: agree[name][f] for name in agree}} for f, n in sorted(forms.items())
        },
        "disagreements": differ,
    }


def project_verdict(reply: str, reference: str) -> tuple[bool, str | None]:
    """The project grader's verdict on a reply (the task's answer extraction, then equivalence)."""
    answer = extract_answer(reply)
    return answer is not None and answers_equivalent(answer, reference), answer


def grade_independent(path: str) -> dict:
    """Agreement of the project grader with an independent set's labels, by who wrote the reply."""

    def grade(case: dict) -> tuple[bool, str]:
        verdict, answer = project_verdict(case["reply"], case.get("reference") or case["answers"][0])
        return verdict, f"read {answer!r}"

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
        "--math", default=None, help="a MATH file or folder (JSONL, or one JSON file per problem)"
    )
    parser.add_argument("--out", default=Args.out, help=f"results file (default {Args.out})")
    args = Args(**vars(parser.parse_args()))
    math_path = args.math or (str(DEFAULT_MATH) if DEFAULT_MATH.exists() else None)
    independent = [grade_independent(path) for path in args.independent if Path(path).exists()]
    graded = grade_cases(args.cases)
    records = measure(math_path) if math_path else None
    out = args.out
    save_results(
        "math_grader_agreement", args, out, math_data=math_path, independent=independent,
        regression=graded, math_records=records,
    )  # fmt: skip
    grading.print_independent(independent)
    n = graded["cases"]
    print(
        f"regression cases (written with the rules; not an accuracy figure): {n} "
        f"({graded['intended_correct']} intended correct, {n - graded['intended_correct']} wrong)"
    )
    for name, label in (("project", "project grader"), ("math_verify", "math-verify alone")):
        print(
            f"  {label}: {graded['agree'][name]}/{n} agree with the labels ({100 * graded['agree'][name] / n:.1f}%)"
        )
    print("  by form (cases: project / math-verify):")
    for form, row in graded["by_form"].items():
        if row["project"] != row["cases"] or row["math_verify"] != row["cases"]:
            print(f"    {form}: {row['cases']}: {row['project']} / {row['math_verify']}")
    for case in graded["disagreements"]:
        print(
            f"  differs from the label ({'correct' if case['correct'] else 'wrong'}): project {case['project']} "
            f"(read {case['project_answer']!r}), math-verify {case['math_verify']}: {case['message'][:80]!r}"
        )
    if records:
        _print_records(records)
    print(f"results: {out}")


def _print_records(out: dict) -> None:
    print(f"MATH records: {out['records']} graded, {out['rejected']} rejected")
    print(f"  self: {out['self']}/{out['records']} reference answers graded correct")
    print(
        f"  re-rendered: {out['rerendered_agree']}/{out['rerendered']} agree "
        f"({out['records'] - out['rerendered']} answers have no sympy re-rendering)"
    )
    print(
        f"  different answers: {out['pairs'] - len(out['false_accepts'])}/{out['pairs']} pairs of neighbouring "
        "records' different reference answers told apart"
    )
    for a, b in out["false_accepts"]:
        print(f"    false accept: {a!r} vs {b!r}")
    for miss in out["self_misses"]:
        print(f"    self miss: {miss}")


if __name__ == "__main__":
    main()
