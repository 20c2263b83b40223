"""Every bad input gets its documented error code and costs no turn, on both contracts."""

from __future__ import annotations

import asyncio
import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest
import websockets

from tests.serve.conftest import serve
from tests.serve.helpers import response

SURROGATE_STEP = b'{"response": {"output": [{"type": "message", "content": [{"type": "output_text", "text": "hi \\ud800"}]}]}}'
NOT_OBJECTS = {
    "array": b"[1, 2]",
    "number": b"3",
    "string": b'"reset"',
    "null": b"null",
    "deep array": b"[" * 5000 + b"]" * 5000,
    "deep object": b'{"a": ' * 100 + b"1" + b"}" * 100,
    "bad utf-8": b'{"seed": "\xff\xfe"}',
    "surrogate": b'{"seed": 0, "options": {"task_id": "\\udfff"}}',
    "not json": b"{seed: 0",
}


def _ws(url: str) -> str:
    return url.replace("http", "ws") + "/ws"


def _error(reply: httpx.Response) -> str:
    return reply.json()["error"]["code"]


def test_a_lone_surrogate_is_refused_before_the_nemo_env_sees_it(nemo_server):
    with httpx.Client(base_url=nemo_server.url, timeout=60) as http:
        http.post("/reset", json={"seed": 0})
        refused = http.post("/step", content=SURROGATE_STEP, headers={"content-type": "application/json"})
        assert refused.status_code == 400 and _error(refused) == "malformed"
        step = http.post("/step", json={"response": response("Who will read it?")})
        assert step.status_code == 200 and step.json()["info"]["turn"] == 1  # the refused one cost no turn


def test_a_lone_surrogate_is_refused_before_the_openenv_env_sees_it(openenv_server):
    async def main():
        async with websockets.connect(_ws(openenv_server.url)) as ws:
            await ws.send('{"type": "reset", "data": {"seed": 0}}')
            await ws.recv()
            await ws.send('{"type": "step", "data": {"message": "hi \\ud800"}}')
            refused = json.loads(await ws.recv())
            await ws.send('{"type": "state"}')
            state = json.loads(await ws.recv())
            await ws.send('{"type": "step", "data": {"message": "Who will read it?"}}')
            return refused, state, json.loads(await ws.recv())

    refused, state, step = asyncio.run(main())
    assert refused["type"] == "error" and "[malformed]" in refused["data"]["message"]
    assert state["data"]["step_count"] == 0
    assert step["data"]["observation"]["info"]["turn"] == 1


def test_a_streamed_body_over_the_limit_is_refused_while_it_is_read(nemo_server):
    """A chunked body never finished: a server that read it whole before checking would never answer."""
    address = urlsplit(nemo_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=20) as sock:
        head = "POST /step HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        sock.sendall(head.encode())
        chunk = b"x" * 10_000
        for _ in range(30):  # 300 kB, past the server's 200 kB
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # the server answered and closed
                break
        reply = b""
        while b'"too_large"' not in reply and (chunk := sock.recv(65_536)):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"too_large"' in reply


@pytest.mark.parametrize("path", ["/reset", "/step"])
@pytest.mark.parametrize("name", sorted(NOT_OBJECTS))
def test_a_nemo_body_that_is_not_a_json_object_is_malformed(nemo_server, path, name):
    with httpx.Client(base_url=nemo_server.url, timeout=60) as http:
        http.post("/reset", json={"seed": 0})
        reply = http.post(path, content=NOT_OBJECTS[name], headers={"content-type": "application/json"})
        assert reply.status_code == 400 and _error(reply) == "malformed", reply.text
        assert http.post("/step", json={"response": response("Who?")}).json()["info"]["turn"] == 1


@pytest.mark.parametrize("name", sorted(NOT_OBJECTS))
def test_an_openenv_http_body_that_is_not_a_json_object_is_malformed(openenv_server, name):
    reply = httpx.post(f"{openenv_server.url}/reset", content=NOT_OBJECTS[name], timeout=60,
                       headers={"content-type": "application/json"})  # fmt: skip
    assert reply.status_code == 400 and _error(reply) == "malformed", reply.text


def test_websocket_frames_of_the_wrong_shape_are_malformed_and_the_session_goes_on(openenv_server):
    frames = [*(body.decode("utf-8", "replace") for body in NOT_OBJECTS.values()),
              '{"type": "mcp", "data": {}}', '{"type": "step", "data": [1]}', '{"data": {}}']  # fmt: skip

    async def main():
        async with websockets.connect(_ws(openenv_server.url)) as ws:
            await ws.send('{"type": "reset", "data": {"seed": 0}}')
            await ws.recv()
            replies = []
            for frame in frames:
                await ws.send(frame)
                replies.append(json.loads(await ws.recv()))
            await ws.send(b'{"type": "state"}')  # a binary frame
            replies.append(json.loads(await ws.recv()))
            await ws.send('{"type": "step", "data": {"message": "Who will read it?"}}')
            return replies, json.loads(await ws.recv())

    replies, step = asyncio.run(main())
    for frame, reply in zip([*frames, "binary"], replies, strict=True):
        assert reply["type"] == "error" and reply["data"]["error"]["code"] == "malformed", (frame[:40], reply)
    assert step["data"]["observation"]["info"]["turn"] == 1


def test_openenvs_stateless_http_routes_work_or_point_at_the_websocket(openenv_server):
    before = len(openenv_server.output)
    reset = httpx.post(f"{openenv_server.url}/reset", json={"seed": 3}, timeout=60)
    assert reset.status_code == 200 and reset.json()["observation"]["info"]["seed"] == 3
    step = httpx.post(f"{openenv_server.url}/step", json={"action": {"message": "hi"}}, timeout=60)
    assert step.status_code == 409 and _error(step) == "no_session" and "/ws" in step.json()["error"]["retry"]
    bad_seed = httpx.post(f"{openenv_server.url}/reset", json={"seed": "x"}, timeout=60)
    assert bad_seed.status_code == 400 and _error(bad_seed) == "bad_option"
    nowhere = httpx.post(f"{openenv_server.url}/nowhere", json={}, timeout=60)
    assert nowhere.status_code == 404 and _error(nowhere) == "no_route"
    assert "Traceback" not in "".join(openenv_server.output[before:])


def test_reward_components_come_with_every_step_on_both_contracts(openenv_server, nemo_server):
    async def openenv_step():
        async with websockets.connect(_ws(openenv_server.url)) as ws:
            await ws.send('{"type": "reset", "data": {"seed": 0}}')
            await ws.recv()
            await ws.send('{"type": "step", "data": {"message": "Who will read it?"}}')
            return json.loads(await ws.recv())["data"]

    data = asyncio.run(openenv_step())
    with httpx.Client(base_url=nemo_server.url, timeout=60) as http:
        http.post("/reset", json={"seed": 0})
        nemo_info = http.post("/step", json={"response": response("Who will read it?")}).json()["info"]
    for info in (data["observation"]["info"], nemo_info):
        parts, components = info["reward"], info["reward_components"]
        assert set(components) == {"task_metric", "token_penalty", "engagement"}
        total = sum(c["weight"] * (c["value"] or 0.0) for c in components.values())
        assert total == pytest.approx(parts["total"])
    assert data["metadata"]["reward_components"] == data["observation"]["info"]["reward_components"]


@pytest.fixture(scope="module", params=["openenv", "nemo-gym"])
def shared_server(request):
    """A small server with a per-client share of 2 sessions out of 8."""
    yield from serve("CollabDoc-v0", "--contract", request.param, "--max-sessions", "8",
                     "--max-sessions-per-client", "2")  # fmt: skip


def test_one_client_cannot_hold_every_slot(shared_server):
    if "nemo-gym" in shared_server.proc.args:
        codes = _nemo_resets_without_cookie(shared_server.url)
    else:
        codes = asyncio.run(_idle_websockets(shared_server.url))
    assert codes == ["ok", "ok", "client_capacity", "ok"], codes  # the last from another address


def _nemo_resets_without_cookie(url: str) -> list[str]:
    codes = []
    for local in ("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.2"):
        transport = httpx.HTTPTransport(local_address=local)
        with httpx.Client(base_url=url, transport=transport, timeout=60) as http:  # a fresh jar: no cookie
            reply = http.post("/reset", json={"seed": 0})
            codes.append("ok" if reply.status_code == 200 else _error(reply))
            if reply.status_code != 200:
                assert reply.status_code == 429
    return codes


async def _idle_websockets(url: str) -> list[str]:
    codes, sockets = [], []
    for local in ("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.2"):
        ws = await websockets.connect(_ws(url), local_addr=(local, 0))
        sockets.append(ws)
        try:
            await ws.send('{"type": "reset", "data": {"seed": 0}}')
        except websockets.ConnectionClosed:  # refused at once: its error frame came first
            pass
        reply = json.loads(await ws.recv())
        codes.append("ok" if reply["type"] == "observation" else reply["data"]["error"]["code"])
    for ws in sockets:
        await ws.close()
    return codes
