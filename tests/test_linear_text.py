"""Every text path of every family is linear in its input (issue 42; DESIGN.md, "Serving").

A served env is shared: no message a client may legally send may cost more than a fixed price
per character. For each env, each path that reads an assistant's or a user's text (the family's
extraction and metric, the scripted user's step, the engagement heuristic, the LLM user's guards)
is timed on adversarial messages at 20,000 characters (the default ``max_message_chars``) and at
2,000: a linear path costs about 10 times more, a backtracking one 100 times or never ends. The
messages repeat the units that made a path super-linear before (found by a probe over the
characters and words the patterns use). Each time is the best of 3 runs with the garbage
collector paused, on a text made new for each run (no cache answers); no wall-clock bound is
asserted, only the ratio.
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Callable

import gymnasium as gym
import pytest

import collab_env  # noqa: F401  (registers the envs)
from collab_env.rewards import HeuristicEngagement
from collab_env.users.llm import guards, protocol

SMALL, LARGE = 2_000, 20_000
#: Largest ratio of the times at LARGE and SMALL characters (10 for an exactly linear path).
MAX_RATIO = 30
#: Times below this (seconds) are read as this: a path that short-circuits is not timed in noise.
FLOOR_S = 2e-4
REPEATS = 3
#: Measurements of a ratio at most: a second one only when the first is over the bound, so that
#: a burst of load on a shared CI machine during one large run is not read as a hole.
ROUNDS = 2
_FRESH = itertools.count()

#: Units that made a path super-linear (probe of issue 42): line starts (an answer line, a
#: speaker label), "or"s and "either"s (the QA hedge and alternatives), digit runs (a worked
#: equation, an amount), definitions, and the characters of maths answers (sets, boxes, quotes).
UNITS = ("\n", "or ", "either ", "1", "1.5", " \t", "def f()->\n", "Answer: \n", "'", "\\boxed{", "Anna ")
ENV_IDS = ("CollabDoc-v0", "CollabCode-v0", "CollabMath-v0", "CollabQA-v0")
PATHS = ("metric", "scripted_step", "engagement", "guards")


def _text(unit: str, size: int) -> str:
    prefix = f"{next(_FRESH)} "
    return prefix + (unit * (size // len(unit) + 1))[: size - len(prefix)]


def _time(run: Callable[[str], object], unit: str, size: int) -> float:
    text = _text(unit, size)
    gc.disable()
    try:
        start = time.perf_counter()
        run(text)
        return max(time.perf_counter() - start, FLOOR_S)
    finally:
        gc.enable()


def _ratio(run: Callable[[str], object], unit: str) -> float:
    """time(LARGE) / time(SMALL), each the best of ``REPEATS`` runs (fewer large runs once the
    ratio is under the bound: more runs can only lower it), measured again (``ROUNDS``) if over."""
    best = float("inf")
    for _ in range(ROUNDS):
        small = min(_time(run, unit, SMALL) for _ in range(REPEATS))
        large = float("inf")
        for _ in range(REPEATS):
            large = min(large, _time(run, unit, LARGE))
            if large / small < MAX_RATIO:
                return large / small
        best = min(best, large / small)
    return best


def _path(env_id: str, path: str) -> Callable[[str], object]:
    """What ``path`` does with one message of ``env_id``'s test instance (seed 0)."""
    env = gym.make(env_id, split="test")
    env.reset(seed=0)
    core = env.unwrapped
    task, instance = core.task, core._state.instance
    opening = {"role": "user", "content": core._state.messages[0]["content"]}

    def metric(text: str) -> None:
        solution = task.extract_solution(text)
        if solution is not None:
            task.score(instance, solution)
            task.unmet_facets(instance, solution)

    def scripted_step(text: str) -> None:
        fresh = gym.make(env_id, split="test")
        fresh.reset(seed=0)
        fresh.step(text)

    def engagement(text: str) -> None:
        said = [opening, {"role": "assistant", "content": text}, {"role": "user", "content": text}]
        HeuristicEngagement()(task, instance, said)

    def guard(text: str) -> None:
        asked = [opening, {"role": "assistant", "content": "Who is it for? Which one do you mean?"}]
        guards.check(text, asked, instance, task.facet_kinds, 120)
        theirs = [opening, {"role": "assistant", "content": text}]
        guards.check("It is for new employees. I mean Anna.", theirs, instance, task.facet_kinds, 120)
        protocol.answer_status(task, instance, theirs, protocol.unmet_by_answer(task, instance, theirs))

    return {"metric": metric, "scripted_step": scripted_step, "engagement": engagement, "guards": guard}[path]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_text_path_is_linear_in_the_message(env_id: str, path: str) -> None:
    run = _path(env_id, path)
    ratios = {unit: _ratio(run, unit) for unit in UNITS}
    slow = {unit: round(r, 1) for unit, r in ratios.items() if r >= MAX_RATIO}
    assert not slow, f"{env_id} {path}: time({LARGE}) / time({SMALL}) >= {MAX_RATIO} for {slow}"
