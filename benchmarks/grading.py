"""Agreement of a grader with an independent, frozen grading set: what both grader benchmarks share.

A set is JSONL, one reply per line with its label (``correct``) and its provenance (``model`` or
``author``, ``prompt_style``); see ``benchmarks/data/``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any


def grade_independent(path: str, grade: Callable[[dict[str, Any]], tuple[bool, str]], style: str) -> dict:
    """Agreement of ``grade`` with the labels of the set at ``path``, by who wrote the reply.

    Args:
        path: The set (JSONL).
        grade: ``case -> (verdict, note)``: the grader's verdict and what to show beside a
            disagreement (the answer it read, the gold answer...).
        style: The group name of cases that record no ``prompt_style``.

    Returns:
        The set's name, its size, how many are labelled correct, how many the grader agrees
        with, the same by group (author or model / prompt style), and every disagreement.
    """
    cases = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    agree, total, differ = Counter(), Counter(), []
    for case in cases:
        verdict, note = grade(case)
        group = f"{case.get('model') or case.get('author')} / {case.get('prompt_style') or case.get('form') or style}"
        total[group] += 1
        agree[group] += verdict == case["correct"]
        if verdict != case["correct"]:
            differ.append(
                {"id": case["id"], "correct": case["correct"], "note": note, "reply": case["reply"]}
            )
    return {
        "set": Path(path).name,
        "cases": len(cases),
        "labelled_correct": sum(case["correct"] for case in cases),
        "agree": sum(agree.values()),
        "by_group": {g: {"cases": n, "agree": agree[g]} for g, n in sorted(total.items())},
        "disagreements": differ,
    }


INDEPENDENT = "independent sets (the accuracy figure; text the rules were not written for)"


def print_independent(sets: list[dict], heading: str = INDEPENDENT, total: str = "all independent") -> None:
    """Print the agreement of each set, by group, its disagreements, and the sum over the sets.

    Args:
        sets: :func:`grade_independent`'s results.
        heading: What the sets are (default: the independent sets, the accuracy figure).
        total: The name of the sum's line.
    """
    print(f"{heading}:")
    for graded in sets:
        n = graded["cases"]
        print(f"  {graded['set']}: {graded['agree']}/{n} agree ({100 * graded['agree'] / max(n, 1):.1f}%)")
        for group, row in graded["by_group"].items():
            print(f"    {group}: {row['agree']}/{row['cases']}")
        for case in graded["disagreements"]:
            label = "correct" if case["correct"] else "wrong"
            reply = case["reply"]
            excerpt = reply if len(reply) <= 100 else f"{reply[:45]} … {reply[-45:]}"
            print(f"    differs ({label}, {case['note']}): {case['id']}: {excerpt!r}")
    agree, n = sum(g["agree"] for g in sets), sum(g["cases"] for g in sets)
    print(f"  {total}: {agree}/{n} agree ({100 * agree / max(n, 1):.1f}%)")


__all__ = ["grade_independent", "print_independent"]
