"""A circuit breaker per endpoint: stop calling an endpoint that has failed every call for a while.

Retries with backoff serve the transient case (a 503, a dropped connection, one slow answer).
An endpoint that is down (its server killed, every call refused, every answer a 5xx or a
timeout) is another case: retrying each call six times, one call after another, costs minutes per
episode and turns a dead server into a run of lost episodes. The breaker of an endpoint (one per
``base_url``, shared by every client of that endpoint in the process) opens once the endpoint has
failed every attempt for ``open_after_s`` seconds (and at least ``min_failures`` attempts): from
then on a call is refused at once with :class:`~collab_env.errors.EndpointDown`, and a retry that
was waiting its backoff wakes up and gives up. After ``cooldown_s`` one call is let through again:
its success closes the breaker, its failure opens it for another ``cooldown_s``.

Only the endpoint's own failures count (connections refused or reset, timeouts, 5xx); any
answer below 500 (a 429 included) shows that the endpoint is alive and ends the streak.

>>> b = CircuitBreaker("http://127.0.0.1:9/v1", open_after_s=0.0, min_failures=2)
>>> b.failure("connection refused"); b.is_open
False
>>> b.failure("connection refused"); b.is_open
True
>>> b.success(); b.is_open
False
"""

from __future__ import annotations

import asyncio
import threading
import time

from collab_env.errors import ConfigError, EndpointDown

#: Seconds an endpoint must fail every attempt before its breaker opens.
OPEN_AFTER_S = 5.0
#: Failed attempts, at least, before the breaker opens.
MIN_FAILURES = 3
#: Seconds an open breaker refuses calls before it lets one through to try the endpoint again.
COOLDOWN_S = 10.0


class CircuitBreaker:
    """The breaker of one endpoint (thread-safe).

    Args:
        endpoint: The endpoint's URL (named in every refusal).
        open_after_s: Seconds of nothing but failures after which it opens.
        min_failures: Failed attempts, at least, before it opens.
        cooldown_s: Seconds it stays open before letting one call try the endpoint again.
    """

    def __init__(
        self,
        endpoint: str,
        open_after_s: float = OPEN_AFTER_S,
        min_failures: int = MIN_FAILURES,
        cooldown_s: float = COOLDOWN_S,
    ) -> None:
        if open_after_s < 0 or min_failures < 1 or cooldown_s < 0:
            raise ConfigError(
                "open_after_s and cooldown_s must be >= 0 and min_failures >= 1, got "
                f"{open_after_s}, {cooldown_s} and {min_failures}"
            )
        self.endpoint, self.open_after_s = endpoint, open_after_s
        self.min_failures, self.cooldown_s = min_failures, cooldown_s
        self._lock = threading.Lock()
        self._opened = threading.Event()
        self._failures, self._since, self._opened_at, self._last = 0, 0.0, 0.0, ""

    @property
    def is_open(self) -> bool:
        """Whether the breaker refuses calls now (an open breaker past its cooldown lets one try)."""
        return self._opened.is_set()

    def reason(self) -> str:
        """Why the breaker is open (or ``""``)."""
        with self._lock:
            if not self._opened.is_set():
                return ""
            return (
                f"{self.endpoint} is down: every call failed for {self._opened_at - self._since:.1f} s "
                f"({self._failures} failed attempts, the last: {self._last}); the circuit breaker "
                f"refuses calls to it for {self.cooldown_s:g} s"
            )

    def check(self) -> None:
        """Call before an attempt.

        Raises:
            EndpointDown: if the breaker is open and its cooldown has not passed.
        """
        if self._opened.is_set() and time.monotonic() - self._opened_at < self.cooldown_s:
            raise EndpointDown(self.reason())

    def success(self) -> None:
        """The endpoint answered (with any status below 500): close the breaker, end the streak."""
        with self._lock:
            self._failures = 0
            self._opened.clear()

    def failure(self, what: str) -> None:
        """An attempt failed because of the endpoint (refused, reset, timed out, 5xx)."""
        with self._lock:
            now = time.monotonic()
            if self._failures == 0:
                self._since = now
            self._failures += 1
            self._last = what[:200]
            if self._opened.is_set() or (
                self._failures >= self.min_failures and now - self._since >= self.open_after_s
            ):
                self._opened_at = now
                self._opened.set()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a retry's backoff), or less if the breaker opens meanwhile."""
        self._opened.wait(seconds)

    async def asleep(self, seconds: float) -> None:
        """:meth:`sleep` for a coroutine."""
        deadline = time.monotonic() + seconds
        while not self._opened.is_set() and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.1))


_BREAKERS: dict[str, CircuitBreaker] = {}
_REGISTRY_LOCK = threading.Lock()


def breaker_for(endpoint: str, **settings: float) -> CircuitBreaker:
    """The breaker of ``endpoint`` in this process (made with ``settings`` the first time)."""
    with _REGISTRY_LOCK:
        if endpoint not in _BREAKERS:
            _BREAKERS[endpoint] = CircuitBreaker(endpoint, **settings)  # type: ignore[arg-type]
        return _BREAKERS[endpoint]


def open_breakers() -> list[CircuitBreaker]:
    """The breakers that are open now, in this process."""
    with _REGISTRY_LOCK:
        return [b for b in _BREAKERS.values() if b.is_open]


def reset_breakers() -> None:
    """Forget every breaker (tests; a process that knows its endpoints were restarted)."""
    with _REGISTRY_LOCK:
        _BREAKERS.clear()


__all__ = [
    "COOLDOWN_S",
    "MIN_FAILURES",
    "OPEN_AFTER_S",
    "CircuitBreaker",
    "breaker_for",
    "open_breakers",
    "reset_breakers",
]
