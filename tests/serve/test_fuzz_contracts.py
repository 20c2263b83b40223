"""Property-based tests (hypothesis) of both contracts on loopback: any input a client may send gets
a documented answer, the server stays up, and a clean session beside the fuzz plays exactly the
episodes the in-process env plays."""

from __future__ import annotations

import asyncio
import json

import gymnasium as gym
import httpx
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collab_env.agents import make_agent
from collab_env.serve.client import RemoteEnv
from collab_env.serve.session import ServeError
from tests.serve.helpers import in_process, response

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
#: Every code a refusal may carry (docs/serving.md's table; ``internal`` is a bug, never expected).
DOCUMENTED = {"lost", "unknown_session", "expired", "episode_ended", "not_reset", "not_text", "too_long",
              "too_large", "malformed", "capacity", "client_capacity", "bad_option", "no_session", "no_route"}  # fmt: skip

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                    max_size=4), max_leaves=16)  # fmt: skip
SURROGATES = st.builds(lambda text, k: json.dumps(text)[:-1] + f"\\u{0xD800 + k:04x}" + '"', st.text(max_size=10),
                       st.integers(0, 0x7FF))  # fmt: skip
NESTED = st.integers(65, 3000).map(lambda n: "[" * n + "]" * n)
MESSAGES = st.one_of(JSON, SURROGATES.map(json.loads), st.text(max_size=30), st.just("x" * 20_001))


def _raw(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


NEMO_BODIES = st.one_of(
    JSON.map(_raw), SURROGATES, NESTED, st.binary(max_size=100),
    st.builds(lambda seed, options: json.dumps({"seed": seed, "options": options}), JSON, JSON),
    st.builds(lambda text: json.dumps({"response": response("")}).replace('""', text, 1), SURROGATES),
    MESSAGES.map(lambda m: json.dumps({"response": response(m) if isinstance(m, str) else m})),
    st.just("x" * 250_000),
)  # fmt: skip
FRAMES = st.one_of(
    JSON.map(_raw), SURROGATES, NESTED,
    st.builds(lambda kind, data: json.dumps({"type": kind, "data": data}),
              st.sampled_from(["reset", "step", "state", "close", "mcp"]) | st.text(max_size=6), JSON),
    MESSAGES.map(lambda m: json.dumps({"type": "step", "data": {"message": m}})),
    st.builds(lambda seed, options: json.dumps({"type": "reset", "data": {"seed": seed, "options": options}}),
              JSON, JSON),
    st.just("x" * 250_000),
)  # fmt: skip


class CleanPlayer:
    """A clean session beside the fuzz: one step per fuzzed input, whole episodes recorded."""

    def __init__(self, step_fn, reset_fn) -> None:
        self.step_fn, self.reset_fn = step_fn, reset_fn
        self.agent = make_agent("clarify", gym.make("CollabDoc-v0"))
        self.episodes: list[dict] = []
        self._start()

    def _start(self) -> None:
        self.messages, self.rewards = self.reset_fn(len(self.episodes)), []

    def advance(self) -> None:
        self.messages, reward, terminated, truncated, parts = self.step_fn(self.agent(self.messages))
        self.rewards.append(reward)
        if terminated or truncated:
            self.episodes.append({"messages": self.messages, "rewards": self.rewards, "terminated": terminated,
                                  "truncated": truncated, "reward_parts": parts})  # fmt: skip
            self._start()


def _assert_documented(status: int, body: bytes) -> None:
    assert status != 500 and status < 600, body[:300]
    if status != 200:
        assert json.loads(body)["error"]["code"] in DOCUMENTED, body[:300]


def test_fuzzed_nemo_gym_requests_get_documented_answers_and_a_clean_session_is_untouched(nemo_server):
    clean = httpx.Client(base_url=nemo_server.url, timeout=60)

    def reset(seed):
        return clean.post("/reset", json={"seed": seed}).json()["info"]["messages"]

    def step(message):
        out = clean.post("/step", json={"response": response(message)}).json()
        info = out["info"]
        return info["messages"], out["reward"], out["terminated"], out["truncated"], info["reward"]

    player = CleanPlayer(step, reset)
    fuzz = httpx.Client(base_url=nemo_server.url, timeout=60)
    fuzz.post("/reset", json={"seed": 0})

    @FUZZ
    @given(path=st.sampled_from(["/reset", "/step", "/close", "/nowhere"]), body=NEMO_BODIES)
    def one(path, body):
        reply = fuzz.post(path, content=body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body,
                          headers={"content-type": "application/json"})  # fmt: skip
        _assert_documented(reply.status_code, reply.content)
        player.advance()

    one()
    assert httpx.get(f"{nemo_server.url}/sessions").status_code == 200  # still up
    assert player.episodes and player.episodes == in_process(
        "CollabDoc-v0", range(len(player.episodes)), max_turns=4
    )


def test_fuzzed_openenv_frames_get_documented_answers_and_a_clean_session_is_untouched(openenv_server):
    clean = RemoteEnv(openenv_server.url)

    def step(message):
        obs, reward, terminated, truncated, info = clean.step(message)
        return obs, reward, terminated, truncated, info["reward"]

    player = CleanPlayer(step, lambda seed: clean.reset(seed=seed)[0])
    url = openenv_server.url.replace("http", "ws") + "/ws"

    @FUZZ
    @given(frame=FRAMES, reset_first=st.booleans())
    def one(frame, reset_first):
        asyncio.run(_send_frame(url, frame, reset_first))
        player.advance()

    one()
    clean.close()
    assert player.episodes and player.episodes == in_process(
        "CollabDoc-v0", range(len(player.episodes)), max_turns=4
    )


async def _send_frame(url: str, frame: str, reset_first: bool) -> None:
    async with websockets.connect(url, max_size=None) as ws:
        if reset_first:
            await ws.send('{"type": "reset", "data": {"seed": 0}}')
            await ws.recv()
        await ws.send(frame)
        try:
            reply = json.loads(await asyncio.wait_for(ws.recv(), 60))
        except websockets.ConnectionClosed as closed:  # a close message, or a frame over --max-body-bytes
            assert closed.rcvd is None or closed.rcvd.code in (1000, 1009), closed
            return
    if reply["type"] == "error":
        error = ServeError.parse(reply["data"]["message"])
        assert error is not None and error.code in DOCUMENTED, reply
    else:
        assert reply["type"] in ("observation", "state"), reply
