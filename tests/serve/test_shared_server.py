"""A shared server that no input can stall: one slow session, a vanished client or a parent killed
by SIGKILL costs the others nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import websockets

from collab_env.serve.client import RemoteEnv
from tests.serve.helpers import response
from tests.serve.slow_server import SlowServer


@pytest.fixture(scope="module")
def slow_server():
    """CollabDoc-v0 over OpenEnv's contract, its env spinning on ``SPIN N`` messages."""
    server = SlowServer("CollabDoc-v0", "--max-turns", "6")
    yield server
    server.stop()


async def _timed_step(env: RemoteEnv, message: str, finished: list[str], name: str) -> float:
    start = time.perf_counter()
    await asyncio.to_thread(env.step, message)
    finished.append(name)
    return time.perf_counter() - start


def _race(url: str) -> tuple[list[str], float, float]:
    slow, fast = RemoteEnv(url), RemoteEnv(url)
    for env, seed in ((slow, 0), (fast, 1)):
        env.reset(seed=seed)
        env.step("Hello, who will read it?")  # warm: the first step of a server loads the tokenizer

    async def main():
        finished: list[str] = []
        spin = asyncio.create_task(_timed_step(slow, "SPIN 1.5", finished, "slow"))
        await asyncio.sleep(0.3)  # the slow step is spinning now
        fast_s = await _timed_step(fast, "Who will read it?", finished, "fast")
        return finished, await spin, fast_s

    try:
        return asyncio.run(main())
    finally:
        slow.close()
        fast.close()


def test_a_slow_step_does_not_delay_another_sessions_step(slow_server):
    finished, slow_s, fast_s = _race(slow_server.url)
    assert finished == ["fast", "slow"]  # the fast session did not wait for the spinning one
    assert fast_s < slow_s / 3, (fast_s, slow_s)


def test_the_same_race_on_the_event_loop_shows_what_the_workers_buy():
    server = SlowServer("CollabDoc-v0", "--max-turns", "6", "--threads", "0")
    try:
        _, slow_s, fast_s = _race(server.url)
    finally:
        server.stop()
    assert fast_s > slow_s / 3, (fast_s, slow_s)  # inline, the fast step waits out most of the spin


def test_a_client_that_goes_away_mid_step_costs_one_log_line(slow_server):
    async def leave_mid_step():
        async with websockets.connect(slow_server.url.replace("http", "ws") + "/ws") as ws:
            await ws.send('{"type": "reset", "data": {"seed": 0}}')
            await ws.recv()
            await ws.send('{"type": "step", "data": {"message": "SPIN 0.6"}}')
            await asyncio.sleep(0.1)  # leave while the step spins

    before = len(slow_server.output)
    asyncio.run(leave_mid_step())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        "went away" in line for line in slow_server.output[before:]
    ):
        time.sleep(0.05)
    time.sleep(0.3)
    logged = "".join(slow_server.output[before:])
    assert logged.count("went away") == 1, logged
    assert "Traceback" not in logged


def test_a_nemo_client_that_goes_away_mid_step_costs_one_log_line():
    server = SlowServer("CollabDoc-v0", "--contract", "nemo-gym", "--max-turns", "6")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            http.post("/reset", json={"seed": 0})
            with pytest.raises(httpx.ReadTimeout):
                http.post("/step", json={"response": response("SPIN 0.6")}, timeout=0.1)
            time.sleep(1.0)
            kept = http.post("/step", json={"response": response("Who will read it?")})
        assert kept.status_code == 200 and kept.json()["info"]["turn"] == 2  # the dropped step ran
    finally:
        logged = server.stop()
    assert logged.count("went away") == 1, logged
    assert "Traceback" not in logged


_ORPHAN = """
import sys
from collab_env.serve.client import LocalServer
server = LocalServer("CollabDoc-v0")
print(server.proc.pid, server.url, flush=True)
sys.stdin.read()
"""


def test_a_local_server_stops_when_the_script_that_started_it_is_killed():
    script = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    pid, url = script.stdout.readline().split()
    assert httpx.get(f"{url}/health").status_code == 200
    script.send_signal(signal.SIGKILL)
    script.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and _alive(int(pid)):
        time.sleep(0.1)
    assert not _alive(int(pid)), "the server outlived the script that started it"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not yet reaped) is gone
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
