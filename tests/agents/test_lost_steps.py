"""A lost step never becomes a reward a learner sees (issue 22, point 4): GRPO, ranking, synth, PPO."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from collab_env.agents import make_agent
from collab_env.agents.checkpoints import leave_out
from collab_env.agents.finetune import MRRewardFunction
from collab_env.agents.ranking import rank_episode
from collab_env.agents.synth import SynthConfig, dpo_pair_kept, synthesize
from collab_env.errors import ModelCallError


class _FailsInFutures:
    """Clarify for the real turns; its model fails in MR's futures.

    Candidates are sampled with seeds ``turn_seed * 1_000_003 + i``; futures with hashed ones.
    """

    def __init__(self, env):
        self.clarify = make_agent("clarify", env)

    def __call__(self, messages):
        return self.clarify(messages)

    def act_batch(self, conversations, per_call):
        if any(c.get("seed", 0) % 1_000_003 > 10 for c in per_call):
            raise ModelCallError("the policy's endpoint is down")
        return [self.clarify(c) for c in conversations]


def test_grpos_reward_is_none_for_a_lost_completion_and_counted():
    def down(messages):
        raise ModelCallError("the policy's endpoint is down")

    env = gym.make("CollabDoc-v0", split="train")
    obs, _ = env.reset(seed=3, options={"task_id": "doc-train-00003"})
    reward = MRRewardFunction("CollabDoc-v0", down, window=1, samples=2)
    question = make_agent("clarify", env)(obs)
    assert reward([obs], [question], ["doc-train-00003"], [3]) == [None]
    assert reward.lost == 1


def test_a_turn_whose_futures_are_all_lost_is_ranked_as_lost_and_the_episode_goes_on():
    env = gym.make("CollabDoc-v0", split="train")
    turns = list(rank_episode(env, _FailsInFutures(env), candidates=1, window=1, samples=2, seed=0))
    lost = [t for t in turns if t.lost]
    assert len(turns) > 1 and turns[0].lost and all(t.gap == 0.0 for t in lost)
    assert all(t.scores[0].lost == 2 and t.scores[0].mean is None for t in lost)
    # a turn whose futures ended before the policy's turn lost nothing
    assert all(b["final_state"] == "ended" for t in turns if not t.lost for b in t.scores[0].breakdowns)
    assert not any(dpo_pair_kept(t, 0.0) for t in lost)


def test_synth_writes_no_example_from_a_lost_turn_and_counts_it(tmp_path):
    env = gym.make("CollabDoc-v0", split="train")
    config = SynthConfig("CollabDoc-v0", "clarify", candidates=1, window=1, samples=1, episodes=1)
    counts = synthesize(config, tmp_path, agent=_FailsInFutures(env), progress=False)
    assert counts["lost_turns"] > 0 and counts["dpo.jsonl"] == 0
    assert counts["sft.jsonl"] == counts["audit.jsonl"] - counts["lost_turns"]  # only turns not lost


def test_ppos_lost_step_carries_the_critics_value_and_no_bootstrap():
    torch = pytest.importorskip("torch")
    rollout = {
        "values": torch.tensor([[0.3], [0.7]]),
        "rewards": np.zeros(2, dtype=np.float32),
        "infos": [{}, {"TimeLimit.truncated": True, "error": "MR: all 2 futures lost"}],
    }
    leave_out(rollout, 1)
    assert rollout["rewards"][0] == 0.0 and rollout["rewards"][1] == pytest.approx(0.7)
    assert rollout["infos"][1]["TimeLimit.truncated"] is False  # TD error r - V(s) = 0
