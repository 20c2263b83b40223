"""Start ``collab-env serve`` on loopback in a subprocess, as a user would."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

pytest.importorskip("openenv", reason="the [serve] extra is not installed")

from collab_env.serve.client import LocalServer


class Server(LocalServer):
    """A running ``collab-env serve`` process, with what the tests ask of it."""

    def sessions(self) -> dict:
        import httpx

        return httpx.get(f"{self.url}/sessions", timeout=120).json()

    def wait_until(self, predicate, timeout_s: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.sessions()
            if predicate(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"timed out; sessions: {self.sessions()}")


def serve(*args: str) -> Iterator[Server]:
    server = Server(*args)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def openenv_server() -> Iterator[Server]:
    """CollabDoc-v0 in OpenEnv's contract, sessions idle for 4 s expire."""
    yield from serve(
        "CollabDoc-v0", "--max-turns", "4", "--idle-timeout-s", "4", "--max-body-bytes", "200000"
    )


@pytest.fixture(scope="package")
def nemo_server() -> Iterator[Server]:
    """CollabDoc-v0 in NeMo Gym's contract, sessions idle for 4 s expire."""
    yield from serve("CollabDoc-v0", "--contract", "nemo-gym", "--max-turns", "4", "--idle-timeout-s", "4",
                     "--max-body-bytes", "200000")  # fmt: skip


@pytest.fixture(scope="package")
def mr_server() -> Iterator[Server]:
    """CollabMath-v0 with MR computed server-side (window 1, 2 samples, the clarify policy)."""
    yield from serve("CollabMath-v0", "--max-turns", "3", "--mr-window", "1", "--mr-samples", "2")
