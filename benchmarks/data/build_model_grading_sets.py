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
(repeat ``--base-url``/``--model`` pairs for more models; ``--style``, ``--family``, ``--source`` to ask fewer;
``--round N`` keeps a later labelling round in its own files; replies are appended), then
``... label`` (with the same ``--round``).
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


def round_paths(round_: int) -> tuple[Path, Path, str]:
    """The replies file, the labels file and the graded sets' suffix of one labelling round.

    Round 1 is the first set; a later round is a fresh set kept apart, labelled before the rules
    of that round change (``qa_model_grading_round2.jsonl``, ...).
    """
    if round_ < 1:
        raise ValueError(f"round must be >= 1, got {round_}")
    if round_ == 1:
        return REPLIES, LABELS, ""
    suffix = f"_round{round_}"
    return HERE / f"model_replies{suffix}.jsonl", HERE / f"model_reply_labels{suffix}.jsonl", suffix


#: Prompt style -> (system prompt, max tokens).
STYLES = {
    "brief": ("Answer briefly.", 64),
    "friend": ("Explain the answer to a friend, in a friendly and casual way.", 128),
    "step_by_step": ("Think step by step, then give the final answer.", 192),
    # Round 2 (issue 22, the set measured before the QA rules of that round changed).
    "one_word": ("Answer in one word or a short phrase, nothing else.", 16),
    "sentence": ("Answer with one full sentence.", 48),
    "quote": ("Answer by quoting the words of the passage that answer the question.", 64),
    "justify": ("Give the answer first, then justify it in one sentence.", 80),
    # Round 3 (issue 22, the set measured before the QA rules of that round changed).
    "casual": ("Reply casually, like in a chat with a friend, in a sentence or two.", 64),
    "formal": ("Respond formally and precisely.", 64),
    "detailed": ("Answer the question, then add the relevant detail from the passage.", 96),
    "labelled": ("Reply in the form 'Answer: ...'.", 32),
}
ENV_IDS = {"math": "CollabMath-v0", "qa": "CollabQA-v0"}
#: Problems of each source (built-in test instances, shared records), from the first.
PER_SOURCE = 3
#: Where problems come from: the built-in test splits, and the shared public samples.
SOURCES = ("built-in", "shared")


def problems(start: int = 0, per_source: int = PER_SOURCE, sources=SOURCES) -> list[dict]:
    """The math and QA problems to ask: built-in test instances and shared records.

    Args:
        start: Index of the first instance of each source.
        per_source: Instances of each source, from ``start``.
        sources: Which of :data:`SOURCES` to ask.
    """
    from collab_env.tasks.datasets import load_dataset
    from collab_env.tasks.math import MathTask
    from collab_env.tasks.qa import QATask

    out = []
    builtin = (("math", MathTask()), ("qa", QATask())) if "built-in" in sources else ()
    for family, task in builtin:
        for index in range(start, start + per_source):
            instance = task.instance("test", index)
            out.append(_problem(family, f"built-in {ENV_IDS[family]} test split", instance, ""))
    shared = (("math", "math:math/math_level5_sample.jsonl"), ("qa", "abgcoqa:qa/abg_coqa_test_sample.jsonl"))
    for family, spec in shared if "shared" in sources else ():
        name, path = spec.split(":")
        if not (SHARED / path).exists():
            print(f"skipped {spec}: {SHARED / path} is absent", file=sys.stderr)
            continue
        task = load_dataset(f"{name}:{SHARED / path}")
        for index in range(start, min(start + per_source, task.size("test"))):
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


def generate(
    pairs: list[tuple[str, str]],
    path: Path,
    styles=tuple(STYLES),
    families=("math", "qa"),
    asked: list[dict] | None = None,
    max_tokens: int | None = None,
    concurrency: int = 2,
) -> None:
    """Every (model, style, problem) reply with its provenance, appended to ``path`` as it comes.

    ``asked`` defaults to :func:`problems`; ``max_tokens`` overrides the styles' limits; a
    reply already in ``path`` (same id) is not written twice.
    """
    from concurrent.futures import ThreadPoolExecutor

    from collab_env.llm import OpenAIChat

    def ask(chat, model: str, style: str, problem: dict) -> dict:
        messages = [
            {"role": "system", "content": STYLES[style][0]},
            {"role": "user", "content": problem["request"]},
        ]
        limit = max_tokens or STYLES[style][1]
        result = chat.complete(messages, max_tokens=limit, temperature=0.0, seed=0)
        row = {
            **problem,
            "model": model,
            "prompt_style": style,
            "system": STYLES[style][0],
            "max_tokens": limit,
            "reply": result.text,
            "finish_reason": result.finish_reason,
        }
        return {"id": reply_id(row), **row}

    path.touch()
    asked = problems() if asked is None else asked
    for base_url, model in pairs:
        chat = OpenAIChat(model, base_url=base_url, concurrency=concurrency, timeout_s=900)
        with ThreadPoolExecutor(concurrency) as pool, path.open("a") as out:
            asks = [(chat, model, s, p) for s in styles for p in asked if p["family"] in families]
            for row in pool.map(lambda a: ask(*a), asks):
                if row["id"] in {r["id"] for r in _read(path)}:
                    continue
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
                print(
                    f"{model} {row['prompt_style']} {row['task_id']}: {row['reply'][:60]!r}", file=sys.stderr
                )


def reply_id(row: dict) -> str:
    """A stable id of one reply: its family, task, model, style and text."""
    key = "\x1f".join(str(row[k]) for k in ("family", "task_id", "model", "prompt_style", "reply"))
    return f"{row['family']}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def label(round_: int = 1) -> None:
    """Join one round's replies with its frozen labels into the graded sets of each family."""
    replies, labels_path, suffix = round_paths(round_)
    rows = _read(replies)
    labels = {row["id"]: row for row in _read(labels_path)} if labels_path.exists() else {}
    missing = [row["id"] for row in rows if row["id"] not in labels]
    for family in sorted({row["family"] for row in rows}):
        graded = [
            {**row, "correct": labels[row["id"]]["correct"], "labeller": labels[row["id"]]["labeller"],
             "note": labels[row["id"]].get("note", "")}
            for row in rows if row["family"] == family and row["id"] in labels
        ]  # fmt: skip
        _write(HERE / f"{family}_model_grading{suffix}.jsonl", graded)
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
    parser.add_argument("--style", action="append", choices=STYLES, help="prompt styles (default: all)")
    parser.add_argument("--family", action="append", choices=("math", "qa"), help="families (default: both)")
    parser.add_argument(
        "--round", type=int, default=1, help="labelling round: its replies, labels and sets (1: the first)"
    )
    parser.add_argument("--source", action="append", choices=SOURCES, help="problem sources (default: both)")
    parser.add_argument("--start", type=int, default=0, help="first instance of each source")
    parser.add_argument("--per-source", type=int, default=PER_SOURCE, help="instances of each source")
    parser.add_argument("--max-tokens", type=int, help="override the prompt styles' token limits")
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight per endpoint")
    args = parser.parse_args()
    if args.step == "label":
        return label(args.round)
    if not args.model or len(args.model) != len(args.base_url):
        parser.error("give one --base-url per --model")
    pairs = list(zip(args.base_url, args.model, strict=True))
    generate(
        pairs,
        round_paths(args.round)[0],
        tuple(args.style or STYLES),
        tuple(args.family or ("math", "qa")),
        problems(args.start, args.per_source, tuple(args.source or SOURCES)),
        args.max_tokens,
        args.concurrency,
    )


if __name__ == "__main__":
    main()
