"""NeMo Gym's Gymnasium contract: /reset, /step, /close with a session cookie, as its
``gymnasium_agent`` drives a resources server."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import gymnasium as gym
import httpx

from collab_env.agents import make_agent
from tests.serve.helpers import in_process, response


async def _play(url: str, seed: int, agent) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:  # its cookie jar carries the session
        reset = (
            await http.post("/reset", json={"responses_create_params": {"input": []}, "seed": seed})
        ).json()
        assert reset["info"]["supports_explicit_close"] is True
        messages, rewards, step = reset["info"]["messages"], [], {"terminated": False, "truncated": False}
        while not (step["terminated"] or step["truncated"]):
            r = await http.post("/step", json={"responses_create_params": {"input": []},
                                               "response": response(agent(messages))})  # fmt: skip
            assert r.status_code == 200, r.text
            step = r.json()
            messages = step["info"]["messages"]
            rewards.append(step["reward"])
        assert (await http.post("/close", json={})).json() == {"closed": True}
        return {"messages": messages, "rewards": rewards, "terminated": step["terminated"],
                "truncated": step["truncated"], "reward_parts": step["info"]["reward"]}  # fmt: skip


def test_64_concurrent_sessions_play_the_same_episodes_as_the_in_process_env(nemo_server):
    agent = make_agent("clarify", gym.make("CollabDoc-v0"))
    seeds = list(range(64))

    async def main():
        return await asyncio.gather(*(_play(nemo_server.url, s, agent) for s in seeds))

    assert asyncio.run(main()) == in_process("CollabDoc-v0", seeds, max_turns=4)


def test_bad_input_gets_its_error_and_leaves_other_sessions_untouched(nemo_server):
    body = {"responses_create_params": {"input": []}}
    with (
        httpx.Client(base_url=nemo_server.url, timeout=120) as bystander,
        httpx.Client(base_url=nemo_server.url, timeout=120) as http,
    ):
        bystander.post("/reset", json={**body, "seed": 1})
        unknown = http.post("/step", json={**body, "response": response("hi")})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_session"
        http.post("/reset", json={**body, "seed": 0})
        malformed = http.post("/step", content=b"{not json", headers={"content-type": "application/json"})
        assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed"
        not_text = http.post("/step", json={**body, "response": {"output": [{"type": "function_call"}]}})
        assert not_text.status_code == 422 and not_text.json()["error"]["code"] == "not_text"
        too_large = http.post("/step", json={**body, "response": response("x" * 300_000)})
        assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "too_large"
        too_long = http.post("/step", json={**body, "response": response("x" * 20_001)})
        assert too_long.status_code == 413 and too_long.json()["error"]["code"] == "too_long"
        step = {"terminated": False, "truncated": False}
        while not (step["terminated"] or step["truncated"]):
            step = http.post("/step", json={**body, "response": response("Here is the draft: hello.")}).json()
        ended = http.post("/step", json={**body, "response": response("more")})
        assert ended.status_code == 409 and ended.json()["error"]["code"] == "episode_ended"
        kept = bystander.post("/step", json={**body, "response": response("Who is it for?")})
        assert kept.status_code == 200 and kept.json()["info"]["turn"] == 1


def test_a_killed_clients_session_expires(nemo_server):
    code = (
        f"import httpx; c = httpx.Client(base_url={nemo_server.url!r}); c.post('/reset', json={{'seed': 0}}); "
        "print(c.cookies['collab_env_session'], flush=True); import time; time.sleep(60)"
    )
    client = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    sid = client.stdout.readline().strip()
    client.kill()
    client.wait()
    nemo_server.wait_until(lambda s: sid in s["expired"] and sid not in s["open"])
    with httpx.Client(base_url=nemo_server.url, cookies={"collab_env_session": sid}) as http:
        gone = http.post("/step", json={"response": response("hello?")})
    assert gone.status_code == 404 and "expired" in gone.json()["error"]["reason"]
