"""One bound on calls in flight, shared by threads and by every event loop of the process.

An endpoint's ``concurrency`` holds for all its callers together: plain threads (``with
slots:``) and coroutines on any event loop (``async with slots:``), such as the loops that
bench workers run episodes on. An ``asyncio.Semaphore`` belongs to one loop, and a
``threading.Semaphore`` would block a loop: this bound does neither.

>>> import asyncio
>>> slots = Slots(2)
>>> async def call():
...     async with slots:
...         await asyncio.sleep(0)
>>> asyncio.run(call()); slots.free
2
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any


class Slots:
    """At most ``n`` holders at once, across threads and event loops; first come, first served.

    Args:
        n: The bound (>= 1).
    """

    def __init__(self, n: int) -> None:
        self.n, self.free = n, n
        self._lock = threading.Lock()
        self._waiters: deque[Any] = deque()  # threading.Event or (loop, future)

    def resize(self, n: int) -> None:
        """Change the bound to ``n`` (>= 1); holders keep their slots, waiters get any new ones."""
        with self._lock:
            grown, self.n = n - self.n, n
            self.free += grown
        for _ in range(max(0, grown)):
            with self._lock:
                if not self._waiters or self.free <= 0:
                    return
                self.free -= 1
            self.release()

    def __enter__(self) -> Slots:
        with self._lock:
            if self.free > 0 and not self._waiters:
                self.free -= 1
                return self
            event = threading.Event()
            self._waiters.append(event)
        event.wait()  # the releaser hands its slot over
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    async def __aenter__(self) -> Slots:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.free > 0 and not self._waiters:
                self.free -= 1
                return self
            waiter = (loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter[1]
        except asyncio.CancelledError:
            with self._lock:
                handed = waiter not in self._waiters
                if not handed:
                    self._waiters.remove(waiter)
            if handed:  # the slot came as the wait was cancelled: pass it on
                self.release()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        """Give the slot to the longest waiter, or back to the pool."""
        with self._lock:
            if not self._waiters:
                self.free += 1
                return
            waiter = self._waiters.popleft()
        if isinstance(waiter, threading.Event):
            waiter.set()
        else:
            loop, future = waiter
            try:
                loop.call_soon_threadsafe(_wake, future)
            except RuntimeError:  # that loop has closed: its waiter is gone, the next one gets the slot
                self.release()


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)
