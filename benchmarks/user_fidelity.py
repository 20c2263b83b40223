"""Do our simulated users talk like people? SimulatorArena's human conversations, replayed place by place.

SimulatorArena (MIT) recorded people writing a document with an assistant. Each conversation is
replayed with the person's intent as the hidden goal (:mod:`collab_env.tasks.doc.simarena`) and
the person's first query as the opening; at each place where the person spoke again, the
simulated user is shown the recorded conversation so far (the person's earlier turns and the
assistant's recorded replies) and writes its turn there instead. Its turns are then compared with
the person's, per place, over every conversation (a simulator that ends the chat stops there):

- **words**: length of a turn, in words (the termination signal left out);
- **informative**: share of turns that give new goal information: at least two content words
  (not function words or pleasantries) that no earlier user turn of the conversation used;
- **questions back**: share of turns that ask the assistant a question;
- **typos**: share of turns with a misspelt word (lower-case words of three letters or more
  unknown to pyspellchecker's English dictionary and not written by the assistant in the same
  conversation, which keeps rare correct words such as "spatchcock"; names are capitalised and
  left out);
- **goal dump**: share of turns that state at least half of the intent's content words at once,
  and share of conversations with such a turn;
- **end**: the user turn at which the chat ends (people: their last turn), the share of
  conversations a simulator ended before the person did, and the share it had not ended by the
  person's last turn.

Sources: the people, the scripted user, and the LLM user when an endpoint is given
(``--base-url``, ``--model``: a local llama.cpp server, for instance; ``--workers N`` replays N
conversations at once, for a server with N slots). Prints the table, writes ``--out`` (JSON) and
a plot beside it (``.png``)::

    python -m benchmarks.user_fidelity --base-url http://127.0.0.1:8089/v1 \\
        --model qwen2.5-coder-0.5b-instruct-q4

Figures and how our users differ from people: docs/tasks.md.
"""

from __future__ import annotations

import functools
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import parse_args, save_results
from collab_env.errors import ConfigError, ModelCallError
from collab_env.executors import make_executor
from collab_env.facets import questions
from collab_env.harness.summary import stat
from collab_env.tasks.doc.simarena import SimulatorArenaDataset, content_stems
from collab_env.types import TERMINATION_SIGNAL, ChatMessage, TaskInstance
from collab_env.users import LLMUser, ScriptedUser, UserSimulator

METRICS = {
    "words": "words per turn",
    "informative": "informative turns",
    "questions": "turns with a question",
    "typos": "turns with a typo",
    "dump": "goal-dump turns",
}
_WORD = re.compile(r"[A-Za-z][a-z']*")


@dataclass
class Args:
    """What to replay and with which users."""

    data: str = "../shared/data/simarena/doc_conversations.jsonl"
    conversations: int = 0
    ids: str = ""
    """comma-separated conversation ids (``simarena-doc-001``...) to replay instead of the first ``--conversations``"""
    users: str = "scripted,llm"
    base_url: str = ""
    model: str = "qwen2.5-coder-0.5b-instruct-q4"
    max_tokens: int = 256
    temperature: float = 0.7
    timeout_s: float = 300.0
    seed: int = 0
    workers: int = 1
    out: str = "runs/benchmarks/user_fidelity.json"


@dataclass
class Turn:
    """One user turn at one place of a conversation (``text`` is ``None`` for a lost turn)."""

    place: int
    text: str | None
    terminated: bool = False


def history(instance: TaskInstance, place: int) -> list[ChatMessage]:
    """The recorded conversation before user turn ``place`` (1-based after the opening): it ends
    with the assistant's recorded reply."""
    conversation = instance.metadata["conversation"]
    messages: list[ChatMessage] = []
    queries, responses = conversation["user_queries"][:place], conversation["ai_responses"][:place]
    for query, response in zip(queries, responses, strict=True):
        messages += [{"role": "user", "content": query}, {"role": "assistant", "content": response}]
    return messages


def places(instance: TaskInstance) -> int:
    """User turns of the person after the opening (the places a simulator speaks at)."""
    conversation = instance.metadata["conversation"]
    return min(len(conversation["user_queries"]), len(conversation["ai_responses"]) + 1) - 1


def people(instance: TaskInstance) -> list[Turn]:
    """The person's own turns after the opening; the last one ends the chat."""
    queries, n = instance.metadata["conversation"]["user_queries"], places(instance)
    return [Turn(i, queries[i], terminated=i == n) for i in range(1, n + 1)]


def simulate(
    user: UserSimulator, task: SimulatorArenaDataset, instance: TaskInstance, seed: int
) -> list[Turn]:
    """The simulator's turn at each place the person spoke, until it ends the chat.

    A turn the simulator's model could not give (``ModelCallError``) is recorded as lost
    (``text=None``) and the replay goes on: the next place's history is the recorded one.
    """
    rng = np.random.default_rng([seed, int(instance.task_id.rsplit("-", 1)[1])])
    _, state = user.start(task, instance, rng)
    turns = []
    for place in range(1, places(instance) + 1):
        try:
            reply = user.reply(task, instance, history(instance, place), state, rng)
        except ModelCallError:
            turns.append(Turn(place, None))
            continue
        turns.append(Turn(place, reply.text, reply.terminated))
        if reply.terminated:
            break
    return turns


@functools.cache
def _speller() -> Any:
    try:
        from spellchecker import SpellChecker
    except ImportError as exc:
        raise ConfigError("the typo measure needs pyspellchecker: pip install 'collab-env[bench]'") from exc
    return SpellChecker()


def typos(text: str, known: frozenset[str] = frozenset()) -> list[str]:
    """The misspelt words of ``text``: lower-case words of 3+ letters that neither the English
    dictionary nor ``known`` (the assistant's words in the same conversation) has.

    >>> typos("I hope to create a sincere appoly", frozenset())
    ['appoly']
    """
    words = [w for w in _WORD.findall(text) if w.islower() and len(w) >= 3 and "'" not in w]
    return sorted(w for w in _speller().unknown(words) if w not in known)


@functools.lru_cache(maxsize=256)
def _assistant_words(responses: tuple[str, ...]) -> frozenset[str]:
    """Words the recorded assistant wrote (correctly spelt words the dictionary may lack: "spatchcock")."""
    return frozenset(w.lower() for r in responses for w in _WORD.findall(r))


def measure(instance: TaskInstance, turns: list[Turn]) -> dict[str, Any]:
    """Per-turn measures of one conversation's turns (lost turns left out), and its end."""
    queries = instance.metadata["conversation"]["user_queries"]
    goal = content_stems(" ".join(f.value for f in instance.facets))
    known = _assistant_words(tuple(instance.metadata["conversation"]["ai_responses"]))
    rows = []
    for turn in turns:
        if turn.text is None:
            continue
        text = turn.text.replace(TERMINATION_SIGNAL, " ").strip()
        said = set().union(*(content_stems(q) for q in queries[: turn.place]))
        mine = content_stems(text)
        rows.append(
            {
                "words": len(text.split()),
                "informative": len(mine - said) >= 2,
                "questions": bool(questions(text)),
                "typos": bool(typos(text, known)),
                "dump": bool(goal) and len(mine & goal) * 2 >= len(goal),
            }
        )
    ended = next((t.place for t in turns if t.terminated), None)
    return {
        "turns": rows,
        "end": ended,
        "places": places(instance),
        "lost": sum(t.text is None for t in turns),
    }


def summarise(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """One source's figures over every conversation: the per-turn shares and the ending."""
    turns = [t for m in measured for t in m["turns"]]
    out: dict[str, Any] = {"conversations": len(measured), "turns": len(turns)}
    for key in METRICS:
        s = stat(float(t[key]) for t in turns)
        out[key] = {"mean": s.mean, "ci95": s.ci95}
    out["words_median"] = statistics.median(t["words"] for t in turns) if turns else None
    out["dump_conversations"] = statistics.fmean(any(t["dump"] for t in m["turns"]) for m in measured)
    ends = [m["end"] for m in measured if m["end"] is not None]
    out["end_turn"] = statistics.fmean(e + 1 for e in ends) if ends else None  # the opening is turn 1
    out["ended_before_person"] = statistics.fmean(
        m["end"] is not None and m["end"] < m["places"] for m in measured
    )
    out["not_ended_by_person_end"] = statistics.fmean(m["end"] is None for m in measured)
    out["lost_turns"] = sum(m["lost"] for m in measured)
    return out


def make_users(args: Args) -> dict[str, UserSimulator]:
    """The simulators to replay: the scripted user, and the LLM user when an endpoint is given."""
    users: dict[str, UserSimulator] = {}
    for name in args.users.split(","):
        if name == "scripted":
            users[name] = ScriptedUser()
        elif name == "llm" and args.base_url:
            from collab_env.llm import OpenAIChat

            model = OpenAIChat(
                args.model, base_url=args.base_url, concurrency=args.workers, max_retries=1, timeout_s=args.timeout_s,
                max_tokens=args.max_tokens, temperature=args.temperature,
            )  # fmt: skip
            users[name] = LLMUser(model)
        elif name != "llm":
            raise ConfigError(f"--users: unknown user {name!r}; use scripted and llm")
    return users


def table(results: dict[str, dict[str, Any]]) -> str:
    """The people-vs-simulators table, as Markdown."""
    names = list(results)
    lines = ["| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(results[n]) for n in names) + " |")

    row("conversations / turns", lambda r: f"{r['conversations']} / {r['turns']}")
    for key, label in METRICS.items():
        row(label, lambda r, k=key: _fmt(r[k]["mean"], r[k]["ci95"], share=k != "words"))
    row("median words per turn", lambda r: str(r["words_median"]))
    row("conversations with a goal dump", lambda r: f"{100 * r['dump_conversations']:.0f}%")
    row("turn the chat ends at (mean)", lambda r: "n/a" if r["end_turn"] is None else f"{r['end_turn']:.2f}")
    row("ended before the person did", lambda r: f"{100 * r['ended_before_person']:.0f}%")
    row("not ended by the person's last turn", lambda r: f"{100 * r['not_ended_by_person_end']:.0f}%")
    row("lost turns (model failures)", lambda r: str(r["lost_turns"]))
    return "\n".join(lines)


def _fmt(mean: float, ci95: float, share: bool) -> str:
    if mean != mean:  # NaN: no turn
        return "n/a"
    return f"{100 * mean:.0f}% ± {100 * ci95:.0f}" if share else f"{mean:.1f} ± {ci95:.1f}"


def plot(results: dict[str, dict[str, Any]], path: Path) -> Path:
    """One panel per measure, one bar per source (people first), with 95% CIs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(METRICS), figsize=(3.2 * len(METRICS), 3.2))
    names = list(results)
    for ax, (key, label) in zip(axes, METRICS.items(), strict=True):
        means = [results[n][key]["mean"] for n in names]
        errors = [results[n][key]["ci95"] for n in names]
        ax.bar(names, means, yerr=errors, color=["#555555", "#1f77b4", "#ff7f0e", "#2ca02c"][: len(names)])
        ax.set_title(label + (" (words)" if key == "words" else " (share)"), fontsize=9)
        ax.tick_params(labelsize=8)
    fig.suptitle("Simulated users vs people, SimulatorArena document conversations", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run(args: Args) -> dict[str, dict[str, Any]]:
    """Replay the conversations with every user; the figures per source (people first)."""
    path = Path(args.data)
    if not path.exists():
        raise ConfigError(f"--data {path}: no such file (SimulatorArena's doc_conversations.jsonl)")
    task = SimulatorArenaDataset(path)
    instances = task.instances[: args.conversations or None]
    if args.ids:
        wanted = args.ids.split(",")
        instances = [i for i in task.instances if i.metadata["id"] in wanted]
        if len(instances) != len(wanted):
            raise ConfigError(f"--ids {args.ids}: not all in {path}; its ids are simarena-doc-NNN")
    results = {"people": summarise([measure(i, people(i)) for i in instances])}
    executor = make_executor(None, args.workers)  # conversations at once (an endpoint's slots)
    for name, user in make_users(args).items():
        start = time.perf_counter()
        measured = executor.map(lambda i, u=user: measure(i, simulate(u, task, i, args.seed)), instances)
        results[name] = summarise(list(measured))
        results[name].update(version=user.version, seconds=round(time.perf_counter() - start, 1))
    return results


def main() -> None:
    """Replay, print the table, write the JSON and the plot."""
    args = parse_args(Args, __doc__)
    results = run(args)
    print(table(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure = plot(results, out.with_suffix(".png"))
    path = save_results("user_fidelity", args, out, results=results, table=table(results))
    print(f"wrote {path} and {figure}")


if __name__ == "__main__":
    main()
