"""collab-env rank: K candidates per turn ranked by MR, with an endpoint and with a local model."""

from __future__ import annotations

import itertools
import json

import gymnasium as gym
import pytest

from collab_env.agents import LLMAgent
from collab_env.agents.ranking import rank_episode, sample_candidates
from collab_env.cli import main
from collab_env.errors import ConfigError
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer

REPLIES = (
    "Who is the audience, and what tone should it have?",
    "Here is the draft:\n\nHi team, lunch is at noon on Friday. See you there.",
)


def cycling_server() -> LoopbackServer:
    replies = itertools.cycle(REPLIES)
    return LoopbackServer(reply=lambda messages: next(replies))


def test_each_turn_ranks_distinct_candidates_and_plays_the_best():
    env = gym.make("CollabDoc-v0", split="test", max_turns=3)
    with cycling_server() as server:
        agent = LLMAgent(OpenAIChat("loopback", base_url=server.base_url))
        turns = list(rank_episode(env, agent, candidates=4, window=1, samples=2, seed=0))
    assert 1 <= len(turns) <= 3
    for ranked, following in itertools.pairwise(turns):
        assert sorted(ranked.candidates) == sorted(REPLIES)  # four samples, two distinct
        means = [s.mean for s in ranked.scores]
        assert means[ranked.best] == max(means) and means[ranked.worst] == min(means)
        assert following.conversation[-2]["content"] == ranked.candidates[ranked.best]
        assert ranked.gap >= 0 and len(ranked.scores[0].scores) == 2
    record = json.loads(json.dumps(turns[0].as_dict()))
    assert record["candidates"][0]["text"] in REPLIES and "mean" in record["candidates"][0]


def test_sample_candidates_uses_act_batch_and_deduplicates():
    class Batcher:
        calls = 0

        def __call__(self, messages):
            raise AssertionError("act_batch should be used")

        def act_batch(self, conversations):
            Batcher.calls += 1
            return ["a", "b", "a"][: len(conversations)]

    assert sample_candidates(Batcher(), [], 3) == ["a", "b"] and Batcher.calls == 1
    with pytest.raises(ConfigError, match="candidates must be >= 1"):
        sample_candidates(Batcher(), [], 0)


def test_rank_command_with_an_endpoint_writes_json_lines(tmp_path, capsys):
    out = tmp_path / "ranked.jsonl"
    with cycling_server() as server:
        argv = ["rank", "--env", "CollabDoc-v0", "--agent", f"openai:loopback@{server.base_url}",
                "--candidates", "2", "--window", "1", "--samples", "1", "--out", str(out)]  # fmt: skip
        assert main(argv) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and all(len(line["candidates"]) == 2 for line in lines)
    assert "(played)" in capsys.readouterr().out


def test_rank_command_with_a_tiny_local_model(tmp_path):
    pytest.importorskip("transformers", reason="transformers is not installed ('collab-env[train]')")
    from collab_env.testing.tiny_model import build_tiny_checkpoint

    checkpoint = build_tiny_checkpoint(tmp_path / "tiny")
    out = tmp_path / "ranked.jsonl"
    argv = ["rank", "--env", "CollabQA-v0", "--agent", f"hf:{checkpoint}", "--candidates", "3",
            "--window", "1", "--samples", "1", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    first = json.loads(out.read_text().splitlines()[0])
    assert 1 <= len(first["candidates"]) <= 3 and first["conversation"][0]["role"] == "user"


def test_issue26_rank_says_when_its_candidates_are_identical(capsys):
    from collab_env.cli import main

    argv = ["rank", "--env", "CollabQA-v0", "--agent", "clarify", "--candidates", "3", "--window", "1",
            "--samples", "1"]  # fmt: skip
    assert main(argv) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "turns had identical candidates: the 3 samples were one response" in said
