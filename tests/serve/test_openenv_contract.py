"""OpenEnv's contract: OpenEnv's own clients drive ``collab-env serve`` over WebSocket sessions."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import gymnasium as gym
import pytest
import websockets
from openenv.core.generic_client import GenericEnvClient

from collab_env.agents import make_agent
from collab_env.serve.client import CollabEnvClient, LocalServer, RemoteEnv
from collab_env.serve.openenv_app import CollabAction
from collab_env.serve.session import ServeError
from collab_env.wrappers.mr import MultiturnAwareReward
from tests.serve.helpers import in_process


async def _play(url: str, seed: int, agent) -> dict:
    async with CollabEnvClient(base_url=url) as client:
        result = await client.reset(seed=seed)
        rewards = []
        while not result.done:
            result = await client.step(CollabAction(message=agent(result.observation.messages)))
            rewards.append(result.reward)
        obs = result.observation
        return {"messages": obs.messages, "rewards": rewards, "terminated": obs.terminated,
                "truncated": obs.truncated, "reward_parts": obs.info["reward"], "info": obs.info}  # fmt: skip


def test_64_concurrent_sessions_play_the_same_episodes_as_the_in_process_env(openenv_server):
    agent = make_agent("clarify", gym.make("CollabDoc-v0"))
    seeds = list(range(64))

    async def main():
        return await asyncio.gather(*(_play(openenv_server.url, s, agent) for s in seeds))

    served = asyncio.run(main())
    local = in_process("CollabDoc-v0", seeds, max_turns=4)
    for seed, got, want in zip(seeds, served, local, strict=True):
        info = got.pop("info")
        assert got == want, f"seed {seed}"
        assert info["seed"] == seed and info["task_id"].startswith("doc-train")
        assert info["turn_rewards"] == want["rewards"]  # one per assistant turn


def test_openenvs_generic_client_works_unchanged(openenv_server):
    with GenericEnvClient(base_url=openenv_server.url).sync() as env:
        first = env.reset(seed=5)
        assert first.observation["messages"][0]["role"] == "user"
        result = env.step({"message": "Who is the audience?"})
        assert set(result.observation["info"]["reward"]) >= {
            "total",
            "task_metric",
            "token_penalty",
            "engagement",
        }


def test_mr_and_turn_rewards_come_back_computed_server_side(mr_server):
    env = RemoteEnv(mr_server.url)
    agent = make_agent("clarify", gym.make("CollabMath-v0"))
    obs, _ = env.reset(seed=2)
    rewards, done = [], False
    while not done:
        obs, reward, terminated, truncated, info = env.step(agent(obs))
        rewards.append(reward)
        done = terminated or truncated
        assert info["mr"]["window"] == 1 and len(info["mr"]["scores"]) == 2
        assert info["turn_rewards"] == rewards and info["turn_rewards"][-1] == info["mr"]["mean"]
    env.close()
    policy = make_agent("clarify", gym.make("CollabMath-v0"))
    wrap = lambda e: MultiturnAwareReward(e, policy, window=1, samples=2)  # noqa: E731
    assert rewards == in_process("CollabMath-v0", [2], wrap=wrap, max_turns=3)[0]["rewards"]


def test_bad_input_gets_its_error_and_leaves_other_sessions_untouched(openenv_server):
    bystander = RemoteEnv(openenv_server.url)
    bystander.reset(seed=1)
    env = RemoteEnv(openenv_server.url)
    with pytest.raises(ServeError) as not_reset:
        env.step("hello")
    assert not_reset.value.code == "not_reset"
    env.reset(seed=0)
    with pytest.raises(ServeError) as not_text:
        env._call(env.client.step, CollabAction(message=["not", "text"]))
    assert not_text.value.code == "not_text" and "string" in not_text.value.reason
    with pytest.raises(ServeError) as too_long:
        env.step("x" * 20_001)
    assert too_long.value.code == "too_long"
    with pytest.raises(ServeError) as bad_option:
        env.reset(seed=0, options={"nope": 1})
    assert bad_option.value.code == "bad_option"
    env.reset(seed=0)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step("Here is the draft: hello.")
        done = terminated or truncated
    with pytest.raises(ServeError) as ended:
        env.step("one more")
    assert ended.value.code == "episode_ended" and "reset" in ended.value.retry
    env.close()
    assert bystander.step("Who is it for?")[4]["turn"] == 1  # untouched
    bystander.close()


def test_malformed_json_oversized_frames_and_unknown_sessions_get_errors(openenv_server):
    ws_url = openenv_server.url.replace("http", "ws") + "/ws"

    async def main():
        async with websockets.connect(ws_url) as ws:
            await ws.send("{not json")
            malformed = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "reset", "data": {"seed": 0}}))
            reset = json.loads(await ws.recv())
        async with websockets.connect(ws_url + "?session_id=nope") as ws:
            unknown = json.loads(await ws.recv())
        async with websockets.connect(ws_url, max_size=None) as ws:
            await ws.send(json.dumps({"type": "step", "data": {"message": "x" * 300_000}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        return malformed, reset, unknown, closed.value

    malformed, reset, unknown, closed = asyncio.run(main())
    assert malformed["type"] == "error" and malformed["data"]["code"] == "INVALID_JSON"
    assert reset["type"] == "observation"  # the session survives a malformed message
    assert unknown["type"] == "error" and "Unknown session_id" in unknown["data"]["message"]
    assert closed.rcvd.code == 1009  # message too big: --max-body-bytes


def test_a_killed_clients_session_is_closed_and_an_idle_one_expires(openenv_server):
    code = (f"from collab_env.serve.client import RemoteEnv; e = RemoteEnv({openenv_server.url!r}); "
            "e.reset(seed=0); print('ready', flush=True); import time; time.sleep(60)")  # fmt: skip
    before = len(openenv_server.sessions()["open"])
    client = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert client.stdout.readline().strip() == "ready"
    openenv_server.wait_until(lambda s: len(s["open"]) == before + 1)
    client.kill()
    client.wait()
    openenv_server.wait_until(lambda s: len(s["open"]) == before)
    idle = RemoteEnv(openenv_server.url)
    idle.reset(seed=0)
    openenv_server.wait_until(lambda s: s["expired"])
    with pytest.raises(ServeError) as expired:
        idle.step("hello?")
    assert expired.value.code == "expired"
    idle.close()


def test_shutdown_reports_every_open_session():
    server = LocalServer("CollabDoc-v0")
    unfinished, finished = RemoteEnv(server.url), RemoteEnv(server.url)
    unfinished.reset(seed=4)
    finished.reset(seed=5)
    while not any(finished.step("Here is the draft: hello.")[2:4]):
        pass
    output = server.stop()
    assert "2 session(s) open at shutdown, 1 unfinished (not scored)" in output
    assert "seed 4" in output and "UNFINISHED, not scored" in output
