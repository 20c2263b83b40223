"""How often the math grader agrees with MATH's own reference answers.

For each record of a MATH file (``math:PATH``), the reference answer is the last ``\\boxed{}`` of
its solution. Two checks, each a count of records the grader scores 1:

- *self*: the reference solution itself, graded as an assistant's message would be (the
  task's answer extraction, then math-verify against the reference). Every miss is a grader
  failure, since the answer is the reference.
- *re-rendered*: the answer parsed (math-verify) and written back as LaTeX by sympy
  (``\\dfrac{1}{2}`` comes back as ``\\frac{1}{2}``, ``2\\sqrt{3}`` may come back as
  ``2 \\sqrt{3}``), graded against the original. Answers math-verify cannot parse into sympy
  (text, some tuples) have no re-rendering and are counted apart.

Run: ``python -m collab_env.benchmarks.math_grader_agreement ../shared/data/math``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import sympy
from collab_env.benchmarks import save_results
from collab_env.tasks.datasets import load_dataset
from math_verify import parse


@dataclass
class Args:
    """What to measure."""

    path: str
    """a MATH file or folder (JSONL, or the released one-JSON-per-problem folders)"""
    out: str = "runs/benchmarks/math_grader_agreement.json"
    """where the figures go (benchmarks/results/... updates the tracked ones)"""


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


def main() -> None:
    """Print the agreement figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="a MATH file or folder (JSONL, or one JSON file per problem)")
    parser.add_argument("--out", default=Args.out, help=f"results file (default {Args.out})")
    args = Args(**vars(parser.parse_args()))
    out = measure(args.path)
    save_results("math_grader_agreement", args, args.out, **out)
    print(f"records: {out['records']} graded, {out['rejected']} rejected")
    print(f"self: {out['self']}/{out['records']} reference answers graded correct")
    print(
        f"re-rendered: {out['rerendered_agree']}/{out['rerendered']} agree "
        f"({out['records'] - out['rerendered']} answers have no sympy re-rendering)"
    )
    print(
        f"different answers: {out['pairs'] - len(out['false_accepts'])}/{out['pairs']} pairs of neighbouring "
        "records' different reference answers told apart"
    )
    for a, b in out["false_accepts"]:
        print(f"  false accept: {a!r} vs {b!r}")
    for miss in out["self_misses"]:
        print(f"  self miss: {miss}")


if __name__ == "__main__":
    main()
