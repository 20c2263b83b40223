"""Issue 26, case 1: an endpoint that dies mid-run stops the run within seconds, not minutes.

One circuit breaker per endpoint, shared by every client of it: retries stay for the transient
case; an endpoint that fails every call for a while gets no new calls, a waiting retry gives up,
the benchmark stops starting episodes, says why and how to resume, and exits 1.
"""

from __future__ import annotations

import functools
import threading
import time

import pytest

from collab_env import llm
from collab_env.cli import main
from collab_env.config import EnvConfig
from collab_env.errors import EndpointDown, ModelCallError
from collab_env.harness.executors import RunStopped
from collab_env.harness.log import read_log
from collab_env.harness.runner import BenchConfig, run_bench
from collab_env.llm import OpenAIChat
from collab_env.llm.breaker import breaker_for
from collab_env.testing.fake_models import SmallModelUser
from collab_env.testing.openai_server import LoopbackServer

HI = [{"role": "user", "content": "hi"}]
DOWN = [500] * 100_000  # every call from now on is a 5xx


def _model(server, **kwargs):
    return OpenAIChat("loopback", base_url=server.base_url, backoff_s=0.01, max_retries=2, **kwargs)


def test_a_transient_fault_is_retried_and_leaves_the_breaker_closed():
    with LoopbackServer(faults=[500, 503]) as server:
        breaker_for(server.base_url, open_after_s=0.0)
        assert _model(server).complete(HI).text == "OK"
        assert not breaker_for(server.base_url).is_open


def test_an_endpoint_failing_every_call_for_a_while_gets_no_more_calls():
    with LoopbackServer(faults=DOWN) as server:
        breaker_for(server.base_url, open_after_s=0.2, cooldown_s=60)
        first, second = _model(server), _model(server)  # two clients of one endpoint share it
        deadline = time.monotonic() + 5
        while not breaker_for(server.base_url).is_open and time.monotonic() < deadline:
            with pytest.raises(ModelCallError):
                first.complete(HI)
        served = server.requests
        with pytest.raises(EndpointDown, match=rf"{server.base_url} is down: every call failed"):
            second.complete(HI)
        assert server.requests == served  # refused here, not sent


def test_a_retry_waiting_its_backoff_gives_up_when_the_breaker_opens():
    with LoopbackServer(faults=DOWN) as server:
        breaker = breaker_for(server.base_url, open_after_s=0.2, min_failures=2, cooldown_s=60)
        slow = OpenAIChat("loopback", base_url=server.base_url, backoff_s=20, backoff_cap_s=20, max_retries=3)
        threading.Timer(0.3, breaker.failure, ("another client's call failed",)).start()
        start = time.monotonic()
        with pytest.raises(EndpointDown):
            slow.complete(HI)
        assert time.monotonic() - start < 5  # not the 20 s backoff


@pytest.fixture
def quick_retries(monkeypatch):
    fast = functools.partial(OpenAIChat, backoff_s=0.01, max_retries=2, timeout_s=1.0)
    monkeypatch.setattr(llm, "OpenAIChat", fast)


def test_a_benchmark_whose_endpoint_dies_stops_says_why_exits_1_and_resumes_to_every_episode(
    tmp_path, capsys, quick_retries
):
    out = str(tmp_path / "die")
    # A worker keeps as many episodes in flight as the endpoint's limit: 2 here, so most episodes
    # are still to start when the endpoint dies.
    run = ["--envs", "CollabQA-v0,CollabMath-v0", "--agents", "clarify", "--episodes", "10", "--workers", "2",
           "--model-option", "user.concurrency=2"]  # fmt: skip
    with LoopbackServer(reply=SmallModelUser(), faults=[None] * 20 + DOWN) as server:
        breaker_for(server.base_url, open_after_s=0.3, cooldown_s=60)
        start = time.monotonic()
        status = main(
            [
                "bench",
                *run,
                "--user-model",
                "m",
                "--judge-model",
                "heuristic",
                "--base-url",
                server.base_url,
                "--out",
                out,
            ]
        )
        took = time.monotonic() - start
    printed = " ".join(capsys.readouterr().out.split())
    assert status == 1 and took < 30
    assert "stopped early" in printed and f"{server.base_url} is down" in printed
    assert f"resume with: collab-env bench --resume --retry-lost --out {out}" in printed
    records = read_log(tmp_path / "die")[1]
    assert len(records) < 20  # it stopped starting episodes
    with LoopbackServer(reply=SmallModelUser()) as back:
        assert main(["bench", "--resume", "--retry-lost", "--out", out, "--base-url", back.base_url]) == 0
    records = read_log(tmp_path / "die")[1]
    assert len(records) == 20 and all(r["status"] == "ok" for r in records)


def test_run_bench_raises_run_stopped_naming_what_was_not_started(tmp_path, quick_retries):
    with LoopbackServer(reply=SmallModelUser(), faults=DOWN) as server:
        breaker_for(server.base_url, open_after_s=0.1, cooldown_s=60)
        config = BenchConfig(
            ["CollabQA-v0"],
            ["clarify"],
            30,
            out=str(tmp_path),
            workers=2,
            # a limit of 2: a worker keeps 2 episodes in flight
            env=EnvConfig.from_kwargs(
                split="test", user_model="u", base_url=server.base_url, model_options=("user.concurrency=2",)
            ),
        )
        with pytest.raises(RunStopped, match="not started") as stopped:
            run_bench(config)
    assert stopped.value.not_started > 0
    assert len(read_log(tmp_path)[1]) + stopped.value.not_started == 30
