r"""Build ``math_grading_cases.jsonl``: messages that state a MATH answer as LLMs write them.

For each record of the shared MATH Level-5 sample (``../shared/data/math``), the reference is the
last ``\boxed{}`` of its solution. Each reference is written into assistant messages in every
form the grader must read (boxed, boxed after an earlier boxed guess, "the answer is" with LaTeX
and plain, inline ``$…$`` with and without chatter after it, ``$$…$$``, ``\[…\]``, ``\(…\)``, a
plain sentence, a trailing question), together with equivalent rewrites and near-miss wrong
answers written by hand below (a wrong answer that contains the right number: ``\sqrt{2}`` for
``2``, ``49\pi`` for ``49``). Each case carries its intended label.

Run: ``python benchmarks/data/build_math_grading_cases.py ../shared/data/math/math_level5_sample.jsonl``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# index -> (equivalent rewrites, near-miss wrong answers, plain-text form or None)
REWRITES: dict[int, tuple[list[str], list[str], str | None]] = {
    0: (["1112112_{3}"], ["1112111_3", "2012_3"], None),
    1: (["60.0"], ["600", r"\sqrt{60}"], "60"),
    2: ([r"\left[0, \infty\right)"], [r"(0,\infty)", "0"], None),
    3: ([r"\dfrac{12}{7}", "12/7", r"\frac{24}{14}"], [r"\frac{7}{12}", "12"], "12/7"),
    4: ([r"\frac{16}{5}", "3.20"], ["32", "3.25"], "3.2"),
    5: (["7.0"], ["17", r"\sqrt{7}"], "7"),
    6: ([r"-2+\pi"], [r"\pi+2", r"2-\pi"], None),
    7: (["0.5", "1/2"], ["2", r"\frac{1}{4}"], "1/2"),
    8: ([r"\sqrt{5040}"], ["12", r"12\sqrt{53}"], None),
    9: ([r"\frac{36}{5}"], ["72", "7"], "7.2"),
    10: (["16,592"], ["1659", "16593"], "16592"),
    11: (["12.0"], [r"\frac{1}{12}", "2^{12}"], "12"),
    12: (["1.0"], ["-1", "11"], "1"),
    13: (["1,440"], ["144", "1440^2"], "1440"),
    14: (["5.0"], [r"\sqrt{5}", "25"], "5"),
    15: ([r"\left[-36, 104\right]"], ["(-36,104)", "[-36,140]"], None),
    16: (
        [r"\frac{\sqrt{5}+1}{4}", r"\frac{1}{4}+\frac{\sqrt{5}}{4}"],
        [r"\frac{1+\sqrt{5}}{2}", r"\frac{1-\sqrt{5}}{4}"],
        None,
    ),
    17: ([r"\sqrt{40}"], [r"2\sqrt{5}", "10"], None),
    18: (["20{,}160"], ["2016", "40320"], "20160"),
    19: ([r"\frac{9+\sqrt{69}}{3}"], [r"3+\sqrt{69}", r"\frac{\sqrt{69}}{3}"], None),
    20: (["4.0"], ["2^{4}", r"\frac{1}{4}"], "4"),
    21: (["-99.0"], ["99", "-9.9"], "-99"),
    22: ([r"\frac{14}{2}"], ["7^2", "77"], "7"),
    23: (["9.0"], [r"\sqrt{9}", "-9"], "9"),
    24: (["50625", "50{,}625"], ["50", "625"], "50,625"),
    25: ([r"\frac{26}{2}"], [r"\frac{13}{2}", "31"], "13"),
    26: ([r"\sqrt{1152}"], ["24", r"24\sqrt{3}"], None),
    27: (["3.0"], [r"\sqrt{3}", "3^{2}"], "3"),
    28: (["-3.0"], ["3", r"-\frac{1}{3}"], "-3"),
    29: (["87.0"], ["8.7", "870"], "87"),
    30: (["49.0"], [r"49\pi", r"\sqrt{49}"], "49"),
    31: (["53.0"], ["35", "5.3"], "53"),
    32: ([r"\frac{23}{2}"], ["115", "11"], "11.5"),
    33: (
        [r"\begin{pmatrix} -\frac{5}{13} \\ \frac{12}{13} \end{pmatrix}"],
        [r"\begin{pmatrix} 5/13 \\ 12/13 \end{pmatrix}"],
        None,
    ),
    34: (["0.35", r"\frac{35}{100}"], [r"\frac{20}{7}", "7"], "0.35"),
    35: (["224.0"], ["22.4", r"\sqrt{224}"], "224"),
    36: (["108.0"], ["10.8", "180"], "108"),
    37: ([r"\frac{60}{2}"], [r"\frac{30}{2}", "3"], "30"),
    38: (["351.0"], ["35.1", "153"], "351"),
    39: (["81.0"], ["9", r"\sqrt{81}"], "81"),
}

#: How a message states an answer ``{a}`` (LaTeX unless named plain).
RIGHT_FORMS = {
    "boxed": "Working through it step by step, we get $\\boxed{{{a}}}$.",
    "boxed_after_a_guess": "At first I got $\\boxed{{{w}}}$, but I dropped a term. Correcting it: $\\boxed{{{a}}}$.",
    "answer_is_latex": "Putting it all together, the answer is ${a}$.",
    "answer_colon_display": "Answer: $${a}$$",
    "inline": "Combining the two cases, the result is ${a}$.",
    "inline_then_chatter": "That gives ${a}$, which you can check against step 2 of the method.",
    "display_dollars": "Substituting back in, we find\n$$\n{a}\n$$",
    "display_brackets": "Therefore\n\\[\n{a}\n\\]",
    "inline_parens": "So the value we want is \\({a}\\).",
    "inline_then_question": "Simplifying, we get ${a}$. Would you like me to go through the algebra?",
    "markdown_answer": "Here is the short version of the working.\n\n**Answer:** ${a}$",
    "equation_last_side": "Solving for the unknown, $x = {a}$.",
    "period_inside_latex": "Collecting terms, the quantity equals ${a}.$",
}
PLAIN_FORMS = {
    "plain_sentence": "Adding everything up, there are {a} in total.",
    "plain_answer_is": "The answer is {a}.",
}
WRONG_FORMS = ("inline", "boxed", "answer_is_latex", "display_brackets")


def cases(records: list[dict]) -> list[dict]:
    """Every grading case of the records (see the module docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from collab_env.tasks.math.metric import last_boxed

    out = []
    for index, record in enumerate(records):
        reference = last_boxed(record["solution"])
        equivalents, wrongs, plain = REWRITES[index]
        for form, template in RIGHT_FORMS.items():
            out.append(_case(index, reference, form, template.format(a=reference, w=wrongs[0]), True))
        for k, answer in enumerate(equivalents):
            form = list(RIGHT_FORMS)[(index + k) % len(RIGHT_FORMS)]
            out.append(
                _case(
                    index,
                    reference,
                    f"equivalent/{form}",
                    RIGHT_FORMS[form].format(a=answer, w=wrongs[0]),
                    True,
                )
            )
        if plain is not None:
            for form, template in PLAIN_FORMS.items():
                out.append(_case(index, reference, form, template.format(a=plain), True))
        for k, wrong in enumerate(wrongs):
            for form in WRONG_FORMS[k::2]:
                message = RIGHT_FORMS[form].format(a=wrong, w=reference)
                out.append(_case(index, reference, f"wrong/{form}", message, False))
        if plain is not None and wrongs[0].replace(".", "").lstrip("-").isdigit():
            out.append(
                _case(
                    index,
                    reference,
                    "wrong/plain_sentence",
                    PLAIN_FORMS["plain_sentence"].format(a=wrongs[0]),
                    False,
                )
            )
    return out


def _case(index: int, reference: str, form: str, message: str, correct: bool) -> dict:
    return {"record": index, "reference": reference, "form": form, "message": message, "correct": correct}


def main() -> None:
    """Write the cases next to this script."""
    records = [json.loads(line) for line in Path(sys.argv[1]).read_text().splitlines() if line.strip()]
    path = Path(__file__).with_name("math_grading_cases.jsonl")
    path.write_text("".join(json.dumps(c) + "\n" for c in cases(records)))
    print(f"{path}: {len(cases(records))} cases")


if __name__ == "__main__":
    main()
