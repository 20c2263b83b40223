"""How often the LLM user's guards reject what people write, and catch what real models drift to.

- **False rejections** on human user turns: the 203 turns people wrote in SimulatorArena's
  document-creation conversations (``../shared/data/simarena/``: the intent is the hidden goal,
  the person's turns replayed against the assistant's recorded responses), and the
  clarification answers of Abg-CoQA (``../shared/data/qa/``: the answer to the annotators'
  clarifying question). A rejection is any guard rule (:func:`collab_env.users.llm.guards.check`).
  These goals come without facets, so the guards that need facets (a goal dump, a contradicted
  detail) cannot fire on them; the others (the assistant's voice, narration, solving, length,
  empty) are what is measured here.
- **Catch rate** on real drift: the messages real small models wrote as the user, collected by
  ``real_model_user --collect`` and labelled by hand *before* the guards were tuned on them,
  frozen in ``benchmarks/data/user_drift.jsonl`` (one row per message: the env and task
  instance, the conversation it answered, the text, the model, and the label ``drift`` or
  ``user`` with the kind). Catch rate: drift rows rejected; the ``user`` rows of the same file
  give a second false-rejection rate, on model-written user turns. A row with ``tuned_on``
  true was read before a guard rule was written or widened for what it shows; the held-out
  catch rate leaves those rows out (messages collected with the guards as they are).

The hand labels follow these criteria, fixed before any message was collected. ``drift`` with
its kind: ``assistant_voice`` (speaks as the assistant: offers help, tells the other side what it
can do, a role label "ASSISTANT:", announces that it writes the solution), ``narration``
(describes the conversation, its role or its reasoning instead of talking in it), ``solving``
(writes the solution, its code or its calculation), ``contradiction`` (a detail the hidden goal
contradicts), ``goal_dump`` (three or more goal details nobody asked for, at once), ``format``
(the prompt's or the reply format's text in the message), ``empty``. ``user``: anything a person
could write in that place, however vague or unhelpful.

Run::

    python -m benchmarks.user_guards --out benchmarks/results/user_guards.json

Figures in docs/models.md.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym

import collab_env
from benchmarks import parse_args, save_results
from collab_env.types import TaskInstance
from collab_env.users.llm import guards

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass
class Args:
    """What to measure."""

    simarena: str = str(DATA / "simarena" / "doc_conversations.jsonl")
    """SimulatorArena's human conversations (JSONL)"""
    abgcoqa: str = str(DATA / "qa" / "abg_coqa_test_sample.jsonl")
    """Abg-CoQA records with clarification turns (JSONL)"""
    drift: str = str(Path(__file__).with_name("data") / "user_drift.jsonl")
    """the frozen, hand-labelled messages of real models"""
    max_words: int = 300
    """the LLM user's length limit (its default)"""
    out: str = "runs/benchmarks/user_guards.json"
    """where to write the figures"""


def _instance(family: str, opening: str, request: str, task_id: str) -> TaskInstance:
    """A task instance without facets, for a human conversation's goal."""
    return TaskInstance(task_id, family, opening, (), None, request)


def human_turns(args: Args) -> list[dict[str, Any]]:
    """Every human turn, with the conversation it answered and its guard verdict."""
    rows = []
    for line in Path(args.simarena).read_text().splitlines():
        c = json.loads(line)
        instance = _instance("doc", c["user_queries"][0], c["intent"], c["id"])
        messages: list[dict[str, str]] = []
        for i, query in enumerate(c["user_queries"]):
            rule = guards.check(query, messages, instance, (), args.max_words)
            rows.append({"source": "simarena", "id": f"{c['id']}#{i}", "text": query, "rule": rule})
            messages += [
                {"role": "user", "content": query},
                {"role": "assistant", "content": c["ai_responses"][i]},
            ]
    for line in Path(args.abgcoqa).read_text().splitlines():
        r = json.loads(line)
        question = r["question"] if "question" in r else r.get("history_turns", [{}])[-1].get("question", "")
        opening = f"{r['story']}\n\nMy question: {question}"
        instance = _instance("qa", opening, opening, r["id"])
        for key in ("clarification_turn", "clarification_turn_2"):
            turn = r.get(key)
            if not turn:
                continue
            messages = [
                {"role": "user", "content": opening},
                {"role": "assistant", "content": turn["question"]},
            ]
            for j, answer in enumerate(turn["answers"]):
                rule = guards.check(answer["clr_ans"], messages, instance, (), args.max_words)
                rows.append(
                    {
                        "source": "abgcoqa",
                        "id": f"{r['id']}#{key}#{j}",
                        "text": answer["clr_ans"],
                        "rule": rule,
                    }
                )
    return rows


def drift_rows(args: Args) -> list[dict[str, Any]]:
    """The frozen model messages, each with its guard verdict in its own env and task instance."""
    rows, envs = [], {}
    path = Path(args.drift)
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        row = json.loads(line)
        env = envs.setdefault(row["env_id"], gym.make(row["env_id"], split="test").unwrapped)
        instance = env.task.get(row["task_id"])
        rule = guards.check(row["text"], row["messages"], instance, env.task.facet_kinds, args.max_words)
        rows.append({**row, "rule": rule})
    return rows


def rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rejections over ``rows``: the share, the count, and the rules that fired."""
    rejected = [r for r in rows if r["rule"]]
    return {
        "turns": len(rows),
        "rejected": len(rejected),
        "rate": len(rejected) / len(rows) if rows else None,
        "rules": dict(Counter(r["rule"] for r in rejected)),
    }


def main() -> None:
    """Measure, print and save."""
    args = parse_args(Args, __doc__)
    humans = human_turns(args)
    drift = drift_rows(args)
    figures = {
        "false_rejections_simarena": rates([r for r in humans if r["source"] == "simarena"]),
        "false_rejections_abgcoqa": rates([r for r in humans if r["source"] == "abgcoqa"]),
        "false_rejections_human": rates(humans),
        "catch_rate_drift": rates([r for r in drift if r["label"] == "drift"]),
        "catch_rate_drift_held_out": rates(
            [r for r in drift if r["label"] == "drift" and not r.get("tuned_on")]
        ),
        "false_rejections_model_user_turns": rates([r for r in drift if r["label"] == "user"]),
        "drift_models": sorted({r["model"] for r in drift}),
        "drift_kinds": dict(Counter(r["kind"] for r in drift if r["label"] == "drift")),
    }
    for name, value in figures.items():
        if isinstance(value, dict) and "rate" in value:
            rate = "n/a" if value["rate"] is None else f"{100 * value['rate']:.1f}%"
            print(f"{name}: {rate} ({value['rejected']}/{value['turns']}) {value['rules']}")
    print("models:", figures["drift_models"], "drift kinds:", figures["drift_kinds"])
    for r in humans:
        if r["rule"]:
            print(f"  rejected human turn {r['id']} ({r['rule']}): {r['text'][:100]!r}")
    for r in drift:
        if r["label"] == "drift" and not r["rule"]:
            print(f"  missed drift ({r['kind']}, {r['model']}): {r['text'][:100]!r}")
    print(
        f"wrote {save_results('user_guards', args, args.out, collab_env_version=collab_env.__version__, **figures)}"
    )


if __name__ == "__main__":
    main()
