"""Every text path of the engagement heuristic and of R* is linear in its input.

A served env is shared (shared/DESIGN.md, "Serving"): no message a client may legally send may
cost more than a fixed price per character. Each adversarial message is timed at 20,000
characters (the largest message an env accepts by default) and at 2,000: a linear path costs
about 10 times more, a backtracking or quadratic one about 100 times. Times are this thread's
CPU time (not wall-clock time, which a loaded machine's other processes stretch), the best of
several runs with the garbage collector paused, so that they measure the algorithm; no bound
on the time itself is asserted.
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Callable

import pytest

from collab_env.facets import questions, stems
from collab_env.rewards import HeuristicEngagement, conversation_reward
from collab_env.rewards.engagement import facts, informative_sentences

SMALL, LARGE = 2_000, 20_000
#: Largest ratio of the times at LARGE and SMALL characters (10 for an exactly linear path).
MAX_RATIO = 30
_FRESH = itertools.count()  # numbers that make every timed text new

#: Inputs that hit the patterns of the heuristic's text paths: sentence splits (punctuation
#: followed by whitespace, newlines), question marks, words and their stems (apostrophes,
#: endings), choice questions ("or"), and runs that nothing splits.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "question_marks": lambda n: "?" * n,
    "full_stops": lambda n: "." * n,
    "spaces": lambda n: " " * n,
    "newlines": lambda n: "\n" * n,
    "one_word": lambda n: "a" * n,
    "short_words": lambda n: "a " * (n // 2),
    "sentences": lambda n: ". " * (n // 2),
    "questions": lambda n: "? " * (n // 2),
    "apostrophes": lambda n: "a'" * (n // 2),
    "endings": lambda n: "x" + "es" * (n // 2),
    "choices": lambda n: "red or blue? " * (n // 13),
    "distinct_words": lambda n: " ".join(f"w{i}x" for i in range(n // 6)),
    "punctuation_then_tabs": lambda n: ";\t" * (n // 2),
    "list_markers": lambda n: "- 1. ) * " * (n // 9),
}


def _best_time(
    run: Callable[[str], object], make: Callable[[int], str], size: int, repeats: int = 5
) -> float:
    """Best time of ``run`` on texts of ``size`` characters, each new (no cache of a text's
    reading answers for it)."""
    best = float("inf")
    for _ in range(repeats):
        prefix = f"{next(_FRESH)}"
        text = prefix + make(size - len(prefix))
        gc.disable()
        try:
            start = time.thread_time()
            run(text)
            best = min(best, time.thread_time() - start)
        finally:
            gc.enable()
    return best


def _conversation(text: str) -> list[dict[str, str]]:
    """The adversarial text as an assistant message and as the user's reply to it."""
    return [
        {"role": "user", "content": "Make me a widget."},
        {"role": "assistant", "content": text},
        {"role": "user", "content": text},
        {"role": "assistant", "content": f"ANSWER: {text}"},
    ]


def _paths(task) -> dict[str, Callable[[str], object]]:
    return {
        "questions": questions,
        "stems": stems,
        "facts": facts,
        "informative_sentences": lambda t: informative_sentences(t, set(), ["Red or blue?"]),
        "heuristic": lambda t: HeuristicEngagement()(task, None, _conversation(t)),
        "conversation_reward": lambda t: conversation_reward(task, None, _conversation(t)[:3]),
    }


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_every_text_path_of_the_heuristic_costs_a_bounded_price_per_character(toy_task, name):
    make = ADVERSARIAL[name]
    for path, run in _paths(toy_task).items():
        small, large = _best_time(run, make, SMALL), _best_time(run, make, LARGE)
        assert large / small < MAX_RATIO, f"{path} on {name}: {large / small:.0f}x the time for 10x the text"
