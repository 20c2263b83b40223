"""One concurrency limit per endpoint, shared by every model and conversation that calls it."""

from __future__ import annotations

import asyncio

import pytest

from collab_env.errors import ConfigError
from collab_env.llm import OpenAIChat
from collab_env.llm.limits import DEFAULT_CONCURRENCY
from collab_env.testing.openai_server import LoopbackServer, Together

HI = [{"role": "user", "content": "hi"}]


def test_two_roles_on_one_endpoint_share_its_limit():
    async def run(agent, user):
        return await asyncio.gather(*(m.acomplete(HI) for m in (agent, user) * 6))

    together = Together(3)  # 12 calls in 4 waves of 3: a smaller shared limit never gathers one
    with LoopbackServer(reply=together) as server:
        agent = OpenAIChat("agent", base_url=server.base_url, concurrency=3)
        user = OpenAIChat("user", base_url=server.base_url)  # the default keeps the endpoint's limit
        asyncio.run(run(agent, user))
    assert user.concurrency == agent.concurrency == 3 and server.max_in_flight == 3 and not together.broken


def test_the_default_limit_keeps_every_future_of_an_8_by_8_mr_step_in_flight():
    async def run(model):
        return await asyncio.gather(*(model.acomplete(HI) for _ in range(64)))

    together = Together(64)
    with LoopbackServer(reply=together) as server:
        model = OpenAIChat("m", base_url=server.base_url)
        asyncio.run(run(model))
    assert (
        model.concurrency == DEFAULT_CONCURRENCY == 64 and server.max_in_flight == 64 and not together.broken
    )


def test_calls_sent_one_at_a_time_never_gather_and_break_the_barrier():
    """The check the concurrency tests rely on: a serial caller is caught, not waited on forever."""
    together = Together(2, timeout_s=0.3)
    with LoopbackServer(reply=together) as server:
        model = OpenAIChat("m", base_url=server.base_url, concurrency=1)
        texts = [c.text for c in model.complete_batch([HI, HI])]
    assert texts == ["OK", "OK"] and together.broken and server.max_in_flight == 1


def test_a_different_limit_for_the_same_endpoint_is_refused_not_clamped():
    first = OpenAIChat("a", base_url="http://127.0.0.1:9/v1", concurrency=2)
    with pytest.raises(ConfigError, match="already has concurrency 2"):
        OpenAIChat("b", base_url="http://127.0.0.1:9/v1", concurrency=5)
    assert first.concurrency == 2


def test_the_endpoints_threads_are_all_running_before_the_first_call_returns():
    """A wave of calls never waits for a thread to start (each start stalled the event loop)."""
    with LoopbackServer() as server:
        model = OpenAIChat("m", base_url=server.base_url, concurrency=8)
        asyncio.run(model.acomplete(HI))
        assert len(model.limit._pool._threads) == 8


def test_models_of_one_endpoint_share_one_client_and_its_connections():
    """Each env builds its own models; they share the endpoint's connection pool (and SSL context)."""
    a = OpenAIChat("a", base_url="http://127.0.0.1:9/v1", api_key="k")
    b = OpenAIChat("b", base_url="http://127.0.0.1:9/v1", api_key="k")
    other_key = OpenAIChat("c", base_url="http://127.0.0.1:9/v1", api_key="other")
    assert a._client is b._client and other_key._client is not a._client


def _call_in_child(model, pipe):
    pipe.send(asyncio.run(model.acomplete(HI)).text)


def test_a_forked_child_calls_on_threads_of_its_own():
    """The parent's pool threads do not exist in a forked child: it starts its own, not hangs."""
    import multiprocessing

    with LoopbackServer() as server:
        model = OpenAIChat("m", base_url=server.base_url, concurrency=4)
        expected = asyncio.run(model.acomplete(HI)).text
        here, there = multiprocessing.Pipe()
        child = multiprocessing.get_context("fork").Process(target=_call_in_child, args=(model, there))
        child.start()
        got = here.recv() if here.poll(60) else None
        child.join(timeout=10)
    assert got == expected
