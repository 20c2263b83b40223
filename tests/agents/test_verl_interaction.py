"""The verl interaction adapter, driven as verl's multi-turn rollout drives it (without verl)."""

from __future__ import annotations

import asyncio

import gymnasium as gym
import pytest

from collab_env.agents import make_agent
from collab_env.agents.verl_interaction import CollabInteraction, interaction_rows
from collab_env.errors import ConfigError
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer


async def rollout(interaction, row, agent):
    """What verl's rollout does: start, then alternate assistant turns and interaction replies."""
    kwargs = row["extra_info"]["interaction_kwargs"]
    instance = await interaction.start_interaction(**kwargs)
    messages, scores, done = list(row["prompt"]), [], False
    while not done:
        messages.append({"role": "assistant", "content": agent(messages)})
        done, reply, score, _ = await interaction.generate_response(instance, messages)
        scores.append(score)
        messages.append({"role": "user", "content": reply})
    final = await interaction.calculate_score(instance)
    await interaction.finalize_interaction(instance)
    return messages, scores, final


def test_a_verl_style_rollout_equals_the_env_episode():
    rows = interaction_rows("CollabMath-v0", 3)
    interaction = CollabInteraction({"env_id": "CollabMath-v0", "reward": "final"})
    env = gym.make("CollabMath-v0")
    agent = make_agent("clarify", env)

    async def all_at_once():
        return await asyncio.gather(*(rollout(interaction, row, agent) for row in rows))

    results = asyncio.run(all_at_once())
    for row, (messages, scores, final) in zip(rows, results, strict=True):
        kwargs = row["extra_info"]["interaction_kwargs"]
        expected = run_episode(env, agent, seed=kwargs["seed"], task_id=kwargs["task_id"])
        assert messages == expected.messages  # concurrent instances never share state
        assert scores[-1] == pytest.approx(final) == pytest.approx(expected.reward["total"])
        assert all(s == 0 for s in scores[:-1])
    assert interaction._envs == {}


def test_turn_and_mr_rewards_score_every_turn():
    row = interaction_rows("CollabDoc-v0", 1)[0]
    agent = make_agent("clarify", gym.make("CollabDoc-v0"))
    _, turn_scores, final = asyncio.run(
        rollout(CollabInteraction({"env_id": "CollabDoc-v0", "reward": "turn"}), row, agent)
    )
    assert sum(turn_scores) == pytest.approx(final)
    mr = CollabInteraction(
        {"env_id": "CollabDoc-v0", "reward": "mr", "window": 1, "samples": 1, "policy": "clarify"}
    )
    _, mr_scores, _ = asyncio.run(rollout(mr, row, agent))
    assert len(mr_scores) == len(turn_scores) and mr_scores[0] != 0


def test_mr_futures_are_played_by_the_configured_policy_endpoint_with_the_configured_user():
    """A counting endpoint sees the policy's future turns and the LLM user's replies."""
    seen = {"policy": 0, "user": 0}

    def reply(messages):
        if "playing a human user" in messages[0]["content"] or "hidden_goal" in str(messages):
            seen["user"] += 1
            return '{"thought": "ok", "response": "It is for the team."}'
        seen["policy"] += 1
        return "Who is the audience?"

    with LoopbackServer(reply=reply) as server:
        row = interaction_rows("CollabDoc-v0", 1)[0]
        config = {"env_id": "CollabDoc-v0", "reward": "mr", "window": 1, "samples": 2, "max_turns": 2,
                  "policy": f"openai:policy@{server.base_url}", "user_model": "user", "base_url": server.base_url,
                  "judge_model": "heuristic"}  # fmt: skip
        interaction = CollabInteraction(config)
        assert interaction.env_config.user.model == f"openai:user@{server.base_url}"
        _, scores, _ = asyncio.run(rollout(interaction, row, lambda m: "Who is the audience?"))
    assert seen["policy"] >= 2 and seen["user"] >= 2 + 2 * len(scores)  # real replies and sampled ones
    with pytest.raises(ConfigError, match="needs `policy`"):
        CollabInteraction({"env_id": "CollabDoc-v0", "reward": "mr"})


def test_bad_configuration_and_unknown_instances_are_clear_errors():
    with pytest.raises(ConfigError, match="needs env_id"):
        CollabInteraction({})
    interaction = CollabInteraction({"env_id": "CollabQA-v0"})
    with pytest.raises(ConfigError, match="call start_interaction first"):
        asyncio.run(interaction.generate_response("nope", [{"role": "assistant", "content": "hi"}]))
