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

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import parse_args, save_results
from collab_env.errors import ConfigError
from collab_env.executors import make_executor

# The measures live in the library, where `collab-env user-check` uses them too.
from collab_env.harness.usercheck.fidelity import (  # noqa: F401 - re-exported for callers of this script
    METRICS,
    Turn,
    history,
    measure,
    people,
    places,
    simulate,
    summarise,
    table,
    typos,
)
from collab_env.tasks.doc.simarena import SimulatorArenaDataset
from collab_env.users import LLMUser, ScriptedUser, UserSimulator


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
