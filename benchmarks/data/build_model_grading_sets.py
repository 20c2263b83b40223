"""Build the graders' independent sets from replies real models wrote: generate, then label.

Two steps, kept apart so that the labels stay frozen while replies can be regenerated:

- ``replies`` (needs an OpenAI-compatible server, such as the loopback llama.cpp servers of
  ``/work/llm/start.sh``): each model answers math problems and QA passages in several prompt
  styles (:data:`STYLES`). Problems: the first built-in CollabMath and CollabQA test instances,
  and the first records of the shared MATH and Abg-CoQA samples; each asked in full (the hidden
  goal stated, the intended reading given), since the set grades answers, not asking. Greedy
  decoding (temperature 0, a fixed seed). Writes ``model_replies.jsonl``: one reply per line
  with its provenance (source, task id, model, prompt style, the request), no label.
- ``label``: joins ``model_replies.jsonl`` with ``model_reply_labels.jsonl`` (frozen: id ->
  label, labeller, note) into ``math_model_grading.jsonl`` and ``qa_model_grading.jsonl``, and
  lists the replies that have no label yet. Math labels started from math-verify's verdict
  (``verify`` of the reference against ``parse`` of the whole reply) and were then read by hand;
  QA labels are by hand. A regenerated reply whose text changed has a new id and no label.

Run: ``python benchmarks/data/build_model_grading_sets.py replies --base-url URL --model NAME``
(repeat ``--base-url``/``--model`` pairs for more models), then ``... label``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[2] / "shared" / "data"
REPLIES = HERE / "model_replies.jsonl"
LABELS = HERE / "model_reply_labels.jsonl"
#: Prompt style -> (system prompt, max tokens).
STYLES = {
    "brief": ("Answer briefly.", 96),
    "step_by_step": ("Think step by step, then give the final answer.", 256),
    "friend": ("Explain the answer to a friend, in a friendly and casual way.", 200),
}
ENV_IDS = {"math": "CollabMath-v0", "qa": "CollabQA-v0"}
#: Problems of each source (built-in test instances, shared records), from the first.
PER_SOURCE = 4


def problems() -> list[dict]:
    """The math and QA problems to ask: built-in test instances and shared records."""
    from collab_env.tasks.datasets import load_dataset
    from collab_env.tasks.math import MathTask
    from collab_env.tasks.qa import QATask

    out = []
    for family, task in (("math", MathTask()), ("qa", QATask())):
        for index in range(PER_SOURCE):
            instance = task.instance("test", index)
            out.append(_problem(family, f"built-in {ENV_IDS[family]} test split", instance, ""))
    for family, spec in (
        ("math", "math:math/math_level5_sample.jsonl"),
        ("qa", "abgcoqa:qa/abg_coqa_test_sample.jsonl"),
    ):
        name, path = spec.split(":")
        if not (SHARED / path).exists():
            print(f"skipped {spec}: {SHARED / path} is absent", file=sys.stderr)
            continue
        task = load_dataset(f"{name}:{SHARED / path}")
        for index in range(min(PER_SOURCE, task.size("test"))):
            out.append(_problem(family, f"shared sample {path}", task.instance("test", index), "shared-"))
    return out  # fmt: skip


def _problem(family: str, source: str, instance, prefix: str) -> dict:
    reference = instance.reference
    if family == "math":
        answers, others = [reference.answer], []
    else:
        answers = list(getattr(reference, "answers", None) or [reference.answer])
        others = list(getattr(reference, "other_answers", ()))
    return {
        "family": family, "source": source, "task_id": prefix + instance.task_id, "request": instance.request,
        "answers": answers, "others": others,
    }  # fmt: skip


def generate(pairs: list[tuple[str, str]]) -> list[dict]:
    """Every (model, style, problem) reply, with its provenance."""
    from collab_env.llm import OpenAIChat

    rows = []
    for base_url, model in pairs:
        chat = OpenAIChat(model, base_url=base_url, concurrency=2, timeout_s=600)
        asks = [(style, p) for style in STYLES for p in problems()]
        batch = [
            [{"role": "system", "content": STYLES[s][0]}, {"role": "user", "content": p["request"]}]
            for s, p in asks
        ]
        per_call = [{"max_tokens": STYLES[s][1]} for s, _ in asks]
        for (style, problem), result in zip(
            asks, chat.complete_batch(batch, per_call, temperature=0.0, seed=0), strict=True
        ):
            row = {
                **problem,
                "model": model,
                "prompt_style": style,
                "system": STYLES[style][0],
                "reply": result.text,
                "finish_reason": result.finish_reason,
            }
            rows.append({"id": reply_id(row), **row})
            print(f"{model} {style} {problem['task_id']}: {result.text[:60]!r}", file=sys.stderr)
    return rows  # fmt: skip


def reply_id(row: dict) -> str:
    """A stable id of one reply: its family, task, model, style and text."""
    key = "\x1f".join(str(row[k]) for k in ("family", "task_id", "model", "prompt_style", "reply"))
    return f"{row['family']}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def label() -> None:
    """Join the replies with the frozen labels into the two graded sets."""
    rows = _read(REPLIES)
    labels = {row["id"]: row for row in _read(LABELS)} if LABELS.exists() else {}
    missing = [row["id"] for row in rows if row["id"] not in labels]
    for family in ("math", "qa"):
        graded = [
            {**row, "correct": labels[row["id"]]["correct"], "labeller": labels[row["id"]]["labeller"],
             "note": labels[row["id"]].get("note", "")}
            for row in rows if row["family"] == family and row["id"] in labels
        ]  # fmt: skip
        _write(HERE / f"{family}_model_grading.jsonl", graded)
    if missing:
        print(f"{len(missing)} replies have no label yet: {missing[:10]}...")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    labelled = (
        f", {sum(r['correct'] for r in rows)} labelled correct" if rows and "correct" in rows[0] else ""
    )
    print(f"{path}: {len(rows)} rows{labelled}")


def main() -> None:
    """Run the step named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("replies", "label"))
    parser.add_argument("--base-url", action="append", default=[], help="an OpenAI-compatible endpoint")
    parser.add_argument("--model", action="append", default=[], help="the model served there")
    args = parser.parse_args()
    if args.step == "label":
        return label()
    if not args.model or len(args.model) != len(args.base_url):
        parser.error("give one --base-url per --model")
    _write(REPLIES, generate(list(zip(args.base_url, args.model, strict=True))))


if __name__ == "__main__":
    main()
