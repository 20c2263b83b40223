"""BatchingQueue: calls from many threads served in batches by one worker thread."""

from __future__ import annotations

import time

import pytest

from collab_env.errors import ConfigError
from collab_env.llm.batching import BatchingQueue


def test_concurrent_calls_are_served_together_each_with_its_own_result(at_once):
    batches = []
    queue = BatchingQueue(lambda items, key: batches.append(items) or [i * 10 for i in items], 8, 0.2)
    assert at_once(8, lambda i: queue.submit(i)) == [i * 10 for i in range(8)]
    assert len(batches) < 8 and sorted(i for b in batches for i in b) == list(range(8))


def test_batches_hold_at_most_max_batch_calls(at_once):
    batches = []
    queue = BatchingQueue(lambda items, key: batches.append(len(items)) or items, 3, 0.2)
    at_once(7, lambda i: queue.submit(i))
    assert max(batches) <= 3 and sum(batches) == 7


def test_calls_with_different_keys_never_share_a_batch(at_once):
    batches = []
    queue = BatchingQueue(lambda items, key: batches.append((key, items)) or items, 8, 0.2)
    at_once(8, lambda i: queue.submit(i, key=i % 2))
    assert all(all(i % 2 == key for i in items) for key, items in batches)


def test_an_error_reaches_every_caller_of_the_batch_and_the_worker_lives_on(at_once):
    def run(items, key):
        if key == "bad":
            raise RuntimeError("boom")
        return items

    queue = BatchingQueue(run, 4, 0.2)
    errors = at_once(4, lambda i: queue.submit(i, key="bad"))
    assert all(isinstance(e, RuntimeError) and str(e) == "boom" for e in errors)
    assert queue.submit(5, key="good") == 5


def test_the_worker_exits_when_idle_and_restarts_on_the_next_call():
    queue = BatchingQueue(lambda items, key: items, 4, 0.0, idle_s=0.05)
    assert queue.submit(1) == 1
    deadline = time.monotonic() + 5
    while queue._worker is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert queue._worker is None and queue.submit(2) == 2


@pytest.mark.parametrize("bounds", [(0, 0.1, 1.0), (1, -1.0, 1.0), (1, 0.1, 0.0)])
def test_bad_bounds_are_a_clear_error(bounds):
    with pytest.raises(ConfigError, match="max_batch"):
        BatchingQueue(lambda items, key: items, *bounds)


def test_a_forked_child_gets_its_own_worker():
    import multiprocessing

    queue = BatchingQueue(lambda items, key: [i + 1 for i in items], 4, 0.0)
    assert queue.submit(1) == 2  # the parent's worker is running now
    results = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=lambda: results.put(queue.submit(41)))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0 and results.get(timeout=5) == 42
