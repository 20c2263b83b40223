"""Incremental scoring: each step reads only the new messages, and R* is exactly the full read's."""

from __future__ import annotations

import re

import numpy as np
import pytest

from collab_env.agents.scripted import ClarifyAgent
from collab_env.builders import with_parts
from collab_env.facets import MAX_CREDITED_QUESTIONS, questions
from collab_env.registration import ENV_IDS
from collab_env.rewards import HeuristicEngagement, conversation_reward
from collab_env.rewards.core import GENERIC_STEMS, IGNORED_COST, content_stems, facts
from collab_env.tokens import count_tokens
from collab_env.users import ScriptedUser

# -- the heuristic as it read a conversation before incremental scoring: every message, every call --

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def _reference_informative(text, said, asked):
    options = [content_stems(q) - GENERIC_STEMS for q in asked if re.search(r"\bor\b", q, re.I)]
    count, stated, picked = 0, set(), set()
    for sentence in _SENTENCE.split(text):
        named, sentence_facts = content_stems(sentence), facts(sentence)
        picks = {frozenset(named & choice) for choice in options if named & choice and not choice <= named}
        count += bool(sentence_facts - said - stated or picks - picked)
        stated |= sentence_facts
        picked |= picks
    return count


def _reference_told(text, said, asked):
    named = content_stems(text)
    picked = {
        stem for q in asked for stem in (content_stems(q) - GENERIC_STEMS) & named if re.search(r"\bor\b", q)
    }
    return (facts(text) - said) | picked


def _reference_distinct(asked):
    seen, out = set(), []
    for question in asked:
        key = frozenset(content_stems(question) - GENERIC_STEMS)
        if not key or key not in seen:
            out.append(question)
        seen.add(key)
    return out


def _reference_engagement(task, messages):
    keys = ("answered", "unanswered", "generic", "excess", "repeated", "missed", "ignored")
    counts = dict.fromkeys(keys, 0)
    said, answers, asked, proposal = set(), [], [], False
    for message in messages:
        if message["role"] == "assistant":
            proposal = task.extract_solution(message["content"]) is not None
            asked = [] if proposal else questions(message["content"])
            counts["excess"] += max(0, len(asked) - MAX_CREDITED_QUESTIONS)
            distinct = _reference_distinct(asked[:MAX_CREDITED_QUESTIONS])
            counts["repeated"] += min(len(asked), MAX_CREDITED_QUESTIONS) - len(distinct)
            asked = distinct
            continue
        text = message["content"]
        specific = [q for q in asked if content_stems(q) - GENERIC_STEMS]
        informative = _reference_informative(text, said, specific)
        counts["generic"] += len(asked) - len(specific)
        counts["answered"] += min(len(specific), informative)
        counts["unanswered"] += max(0, len(specific) - informative)
        counts["missed"] += int(proposal and informative > 0)
        if proposal:
            repeated = [a for a in answers if a & facts(text)]
            counts["answered"] -= len(repeated)
            counts["ignored"] += len(repeated)
            answers = [a for a in answers if not a & facts(text)]
        elif specific and informative:
            answers.append(_reference_told(text, said, specific))
        said |= facts(text)
        asked, proposal = [], False
    proposed = task.final_solution(messages) is not None
    judged = sum(counts.values())
    earned = counts["answered"] - IGNORED_COST * counts["ignored"]
    return (earned / judged if judged and proposed else 0.0), {**counts, "solution_proposed": proposed}


# -- seeded policies that mix every kind of message ------------------------------------------------


class _Mixed:
    """Each turn one of: clarify's message, a draft, a draft with a question, a question asked
    twice, generic questions, a choice question, a draft from the opening alone (ignoring the
    answers), four questions at once, drawn from a seeded generator."""

    def __init__(self, drafter, seed: int) -> None:
        self.drafter, self.clarify = drafter, ClarifyAgent(drafter)
        self.rng = np.random.default_rng(seed)

    def __call__(self, messages) -> str:
        missing = self.drafter.missing(messages)
        question = self.drafter.question(missing[0], messages) if missing else "What else matters?"
        moves = (
            lambda: self.clarify(messages),
            lambda: self.drafter.draft(messages),
            lambda: f"{self.drafter.draft(messages)}\n\nIs this what you had in mind? {question}",
            lambda: f"{question} {question}",
            lambda: "Anything else I should know? Does this look right?",
            lambda: f"{question} Or should I just pick for you, formal or casual?",
            lambda: self.drafter.draft(messages[:1]),
            lambda: f"{question} What else? Anything else I should know? Does this look right?",
        )
        return moves[int(self.rng.integers(len(moves)))]()


def _episodes(env_id: str, seeds: range):
    """(env, messages) after every step of mixed-policy episodes, with the step's info."""
    env = with_parts(env_id, split="test", max_turns=8, user=ScriptedUser(patience=(2, 4, 8)))
    for seed in seeds:
        policy = _Mixed(env.unwrapped.task.drafter, seed)
        messages, _ = env.reset(seed=seed)
        done = False
        while not done:
            messages, _, terminated, truncated, info = env.step(policy(messages))
            yield env.unwrapped, messages, info
            done = terminated or truncated


SEEDS = {"CollabCode-v0": range(12)}  # each new solution runs the sandbox


@pytest.mark.parametrize("env_id", list(ENV_IDS))
def test_every_step_reports_exactly_what_a_full_read_of_the_conversation_gives(env_id):
    seeds, steps, judged = SEEDS.get(env_id, range(40)), 0, set()
    for env, messages, info in _episodes(env_id, seeds):
        task, instance = env.task, env.instance
        reward = info["reward"]
        score, details = _reference_engagement(task, messages)
        assert (reward["engagement"], reward["engagement_details"]) == (score, details)
        assert HeuristicEngagement()(task, instance, messages) == (score, details)
        assert reward["assistant_tokens"] == sum(
            count_tokens(m["content"]) for m in messages if m["role"] == "assistant"
        )
        full = conversation_reward(task, instance, messages, env.reward_config)
        assert full.as_dict() == reward
        solution = task.final_solution(messages)
        assert reward["task_metric"] == (0.0 if solution is None else task.score(instance, solution))
        steps += 1
        judged |= {key for key, count in details.items() if count}
    assert steps >= 2 * len(seeds)
    assert {"answered", "unanswered", "generic", "excess", "repeated"} <= judged
