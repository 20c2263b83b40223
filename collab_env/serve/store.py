"""The server's sessions: opened, found by id, expired when idle, reported at shutdown, and shared
fairly: one client address holds at most ``max_per_client`` of them."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import gymnasium as gym

from collab_env.errors import ConfigError
from collab_env.serve.session import EnvRunner, ServeError, Session

logger = logging.getLogger(__name__)


class SessionStore:
    """Every open session of a server, each its own env instance keyed by session id.

    Args:
        make_env: Builds the env of a new session.
        runner: How sessions call their envs (:class:`~collab_env.serve.session.EnvRunner`).
        max_sessions: Sessions open at once; one more is refused (``capacity``).
        idle_timeout_s: A session with no request for this long is closed (``None``: never).
        max_per_client: Sessions one client (address) may hold at once; one more is refused
            (``client_capacity``). ``None``: a quarter of ``max_sessions`` (at least 1).

    Attributes:
        expired: Ids of the sessions closed for idleness.
    """

    def __init__(
        self,
        make_env: Callable[[], gym.Env],
        runner: EnvRunner,
        max_sessions: int = 1024,
        idle_timeout_s: float | None = 600.0,
        max_per_client: int | None = None,
    ) -> None:
        if not isinstance(max_sessions, int) or max_sessions < 1:
            raise ConfigError(f"max_sessions must be an int >= 1, got {max_sessions!r}")
        if max_per_client is None:
            max_per_client = max(1, max_sessions // 4)
        if not isinstance(max_per_client, int) or max_per_client < 1:
            raise ConfigError(f"max_per_client must be an int >= 1, got {max_per_client!r}")
        if idle_timeout_s is not None and idle_timeout_s <= 0:
            raise ConfigError(f"idle_timeout_s must be > 0 or None, got {idle_timeout_s!r}")
        self.make_env, self.runner = make_env, runner
        self.max_sessions, self.idle_timeout_s = max_sessions, idle_timeout_s
        self.max_per_client = max_per_client
        self.expired: list[str] = []
        self._held: Counter[str] = Counter()  # slots by client: its sessions and WebSocket connections
        self._owners: dict[str, str] = {}
        self.closing = False
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()  # OpenEnv builds session envs in worker threads

    def open(self, client: str | None = None) -> tuple[str, Session]:
        """A new session with its own env.

        Args:
            client: Who opens it (the client's address), counted against ``max_per_client``;
                ``None``: not counted (a WebSocket session, whose connection holds the slot).

        Raises:
            ServeError: ``shutting_down``; ``capacity`` when ``max_sessions`` are open;
                ``client_capacity`` when ``client`` holds ``max_per_client``.
        """
        with self._lock:
            if self.closing:
                raise ServeError("shutting_down", "the server is shutting down",
                                 "open the session on another server, or when this one is back", status=503)  # fmt: skip
            if len(self._sessions) >= self.max_sessions:
                raise ServeError(
                    "capacity", f"{self.max_sessions} sessions are open (the server's --max-sessions)",
                    "close a session, wait for idle ones to expire, or start another server", status=503,
                )  # fmt: skip
            sid = uuid.uuid4().hex
            if client is not None:
                self._claim(client)
                self._owners[sid] = client
            self._sessions[sid] = None  # type: ignore[assignment]  # reserved while the env is built
        try:
            session = Session(self.make_env(), self.runner)
        except BaseException:
            with self._lock:
                self._sessions.pop(sid, None)
                self._release(self._owners.pop(sid, None))
            raise
        with self._lock:
            self._sessions[sid] = session
        return sid, session

    def claim(self, client: str) -> None:
        """Hold one of ``client``'s slots (a WebSocket connection: its session is opened apart).

        Raises:
            ServeError: ``client_capacity`` when ``client`` holds ``max_per_client``.
        """
        with self._lock:
            self._claim(client)

    def release(self, client: str) -> None:
        """Give back a slot taken by :meth:`claim`."""
        with self._lock:
            self._release(client)

    def held(self, client: str) -> int:
        """Slots ``client`` holds now."""
        return self._held.get(client, 0)

    def _claim(self, client: str) -> None:
        if self._held[client] >= self.max_per_client:
            raise ServeError(
                "client_capacity",
                f"client {client} holds {self._held[client]} sessions, its share (--max-sessions-per-client "
                f"{self.max_per_client} of --max-sessions {self.max_sessions})",
                "close sessions you no longer use (NeMo Gym: POST /close, or reset with the session cookie to "
                "reuse it; OpenEnv: close the WebSocket), or wait for idle ones to expire",
                status=429,
            )
        self._held[client] += 1

    def _release(self, client: str | None) -> None:
        if client is not None and self._held[client] > 0:
            self._held[client] -= 1
            if not self._held[client]:
                del self._held[client]

    def get(self, sid: str | None) -> Session:
        """The open session ``sid``.

        Raises:
            ServeError: ``unknown_session`` (never opened, closed or expired).
        """
        session = self._sessions.get(sid) if sid else None
        if session is None:
            why = "expired after being idle" if sid in self.expired else "is not open on this server"
            raise ServeError(
                "unknown_session", f"session {sid!r} {why}", "call reset to open a new session", status=404
            )
        return session

    def close(self, sid: str) -> bool:
        """Close ``sid``; ``False`` if it was not open."""
        with self._lock:
            session = self._sessions.pop(sid, None)
            self._release(self._owners.pop(sid, None))
        if session is None:
            return False
        session.close()
        return True

    def __len__(self) -> int:
        return len(self._sessions)

    def describe(self) -> dict[str, dict[str, Any]]:
        """Every open session's state, by id."""
        return {sid: s.describe() for sid, s in list(self._sessions.items()) if s is not None}

    def expire_idle(self, now: float | None = None) -> list[str]:
        """Close the sessions idle past ``idle_timeout_s`` (none in a step); returns their ids."""
        if self.idle_timeout_s is None:
            return []
        now = time.monotonic() if now is None else now
        stale = [
            sid for sid, s in list(self._sessions.items())
            if s is not None and not s.describe()["in_step"] and now - s.last_active > self.idle_timeout_s
        ]  # fmt: skip
        for sid in stale:
            if self.close(sid):
                self.expired.append(sid)
                logger.info("session %s expired after %.1f s idle", sid, self.idle_timeout_s)
        return stale

    async def reap_forever(self) -> None:
        """Expire idle sessions until cancelled (checks four times per timeout, at least once a second)."""
        if self.idle_timeout_s is None:
            return
        interval = min(max(self.idle_timeout_s / 4, 0.05), 1.0)
        while True:
            await asyncio.sleep(interval)
            try:
                self.expire_idle()
            except Exception:  # keep reaping: one env that fails to close must not keep the rest open
                logger.exception("expiring idle sessions failed")

    async def shutdown(self, grace_s: float = 30.0) -> list[dict[str, Any]]:
        """Let the steps in flight finish (up to ``grace_s``), then close and report every open session.

        Returns:
            One record per session that was open: its id, seed, task id, turns and whether its
            episode had finished (``finished=False``: it is left unfinished, not scored).
        """
        self.closing = True
        deadline = time.monotonic() + grace_s
        while any(s["in_step"] for s in self.describe().values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        report = [{"session": sid, **state} for sid, state in self.describe().items()]
        for record in report:
            self.close(record["session"])
            logger.warning(
                "shutdown: session %s closed (%s after %d turns, seed %s, task %s)", record["session"],
                "finished" if record["finished"] else "UNFINISHED, not scored", record["turns"],
                record["seed"], record["task_id"],
            )  # fmt: skip
        self.runner.close()
        return report
