"""How often the LLM user's guards reject what people write, and catch what real models drift to.

- **False rejections** on human user turns, every turn people wrote in the shared conversations
  (``../shared/data/``), replayed against the assistant's recorded responses: the 203 turns of
  SimulatorArena's document-creation conversations, the 430 of its math-tutoring conversations,
  and the clarification answers of Abg-CoQA (the answer to the annotators' clarifying question).
  A rejection is any guard rule (:func:`collab_env.users.llm.guards.check`). The document turns
  are checked twice: against a facet-less goal (the intent), where only the rules without facets
  can fire (the assistant's voice, narration, solving, length, empty), and against the instance
  the library plays (:class:`~collab_env.tasks.doc.simarena.SimulatorArenaDataset`, as the
  fidelity benchmark builds it), where the facet-aware ones run too (a contradicted detail, a goal
  dump). The math-tutoring problems are redacted in the release, and the Abg-CoQA goals here
  carry no facets. ``false_rejections_human`` counts every shared turn once, the document turns
  with their facets.
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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import gymnasium as gym

import collab_env
from benchmarks import parse_args, save_results
from collab_env.tasks.doc.simarena import SimulatorArenaDataset
from collab_env.types import TaskInstance
from collab_env.users.llm import guards

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass
class Args:
    """What to measure."""

    simarena: str = str(DATA / "simarena" / "doc_conversations.jsonl")
    """SimulatorArena's human conversations (JSONL)"""
    math: str = str(DATA / "simarena" / "math_conversations.jsonl")
    """SimulatorArena's human math-tutoring conversations (JSONL)"""
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


def replay(
    source: str,
    instance: TaskInstance,
    queries: list[str],
    responses: list[str],
    kinds: tuple,
    max_words: int,
) -> list[dict[str, Any]]:
    """Each of the person's turns with its guard verdict, after the conversation it answered."""
    rows, messages = [], []
    for i, query in enumerate(queries):
        rule = guards.check(query, messages, instance, kinds, max_words)
        rows.append({"source": source, "id": f"{instance.task_id}#{i}", "text": query, "rule": rule})
        if i < len(responses):
            messages += [{"role": "user", "content": query}, {"role": "assistant", "content": responses[i]}]
    return rows


def simarena_turns(args: Args) -> list[dict[str, Any]]:
    """The document-creation turns, twice: against a facet-less goal (``simarena``), and against
    the instance with facets that the library plays (``simarena_faceted``, as the fidelity
    benchmark builds it), so that the facet-aware checks run on people's turns too."""
    rows = []
    for line in Path(args.simarena).read_text().splitlines():
        c = json.loads(line)
        instance = _instance("doc", c["user_queries"][0], c["intent"], c["id"])
        rows += replay("simarena", instance, c["user_queries"], c["ai_responses"], (), args.max_words)
    task = SimulatorArenaDataset(args.simarena)
    for instance in task.instances:
        c = instance.metadata["conversation"]
        instance = replace(instance, task_id=instance.metadata["id"])
        queries, responses = c["user_queries"], c["ai_responses"]
        rows += replay("simarena_faceted", instance, queries, responses, task.facet_kinds, args.max_words)
    return rows


def math_turns(args: Args) -> list[dict[str, Any]]:
    """The math-tutoring turns, against a facet-less goal (the released problem text is redacted)."""
    rows = []
    for line in Path(args.math).read_text().splitlines():
        c = json.loads(line)
        instance = _instance("math", c["user_queries"][0], c["user_queries"][0], c["id"])
        rows += replay("math", instance, c["user_queries"], c["ai_responses"], (), args.max_words)
    return rows


def abgcoqa_turns(args: Args) -> list[dict[str, Any]]:
    """Abg-CoQA's clarification answers, each after the story, the question and the clarifying question."""
    rows = []
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


def human_turns(args: Args) -> list[dict[str, Any]]:
    """Every human turn, with the conversation it answered and its guard verdict (see :func:`replay`)."""
    return simarena_turns(args) + math_turns(args) + abgcoqa_turns(args)


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


#: The sources of human turns, in the order of the figures.
SOURCES = ("simarena", "simarena_faceted", "math", "abgcoqa")


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
        **{f"false_rejections_{s}": rates([r for r in humans if r["source"] == s]) for s in SOURCES},
        # every shared human turn once, each against the goal with the most the library knows of it
        "false_rejections_human": rates([r for r in humans if r["source"] != "simarena"]),
        "false_rejections_human_facetless": rates([r for r in humans if r["source"] != "simarena_faceted"]),
        "catch_rate_drift": rates([r for r in drift if r["label"] == "drift"]),
        "catch_rate_drift_held_out": rates(
            [r for r in drift if r["label"] == "drift" and not r.get("tuned_on")]
        ),
        "false_rejections_model_user_turns": rates([r for r in drift if r["label"] == "user"]),
        "rejected_human_turns": [
            {k: r[k] for k in ("source", "id", "rule", "text")} for r in humans if r["rule"]
        ],
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
            print(f"  rejected human turn {r['source']} {r['id']} ({r['rule']}): {r['text'][:100]!r}")
    for r in drift:
        if r["label"] == "drift" and not r["rule"]:
            print(f"  missed drift ({r['kind']}, {r['model']}): {r['text'][:100]!r}")
    print(
        f"wrote {save_results('user_guards', args, args.out, collab_env_version=collab_env.__version__, **figures)}"
    )


if __name__ == "__main__":
    main()
