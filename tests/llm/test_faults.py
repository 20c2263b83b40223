"""Every fault the loopback server injects, through the real openai client: what the chat model,
the LLM user, the env and the benchmark do with it.

Retried: 429 (honouring Retry-After), 500, 503, connection resets, stalled responses, bodies that
are not JSON, empty completions. Not retried: client errors and content-filtered completions.
After the last attempt: a ModelCallError naming the endpoint, the model and the status; an
episode ends truncated with ``info["error"]``; the benchmark records it as lost, with its reason.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time

import gymnasium as gym
import pytest

from collab_env import llm
from collab_env.config import EnvConfig
from collab_env.errors import ModelCallError
from collab_env.harness.log import read_log
from collab_env.harness.runner import BenchConfig, run_bench
from collab_env.harness.summary import summarise
from collab_env.llm import OpenAIChat
from collab_env.testing.openai_server import LoopbackServer
from collab_env.types import TERMINATION_SIGNAL

HI = [{"role": "user", "content": "hi"}]
RETRIED = [429, 500, 503, "reset", "stall", "malformed", "empty"]
STATUS = {"reset": "APIConnectionError", "stall": "APITimeoutError", "empty": "EmptyCompletion"}


def _model(server, **kwargs):
    return OpenAIChat("loopback", base_url=server.base_url, backoff_s=0.01, timeout_s=0.3, **kwargs)


@pytest.mark.parametrize("fault", RETRIED, ids=str)
def test_a_transient_fault_is_retried_then_served(fault):
    with LoopbackServer(faults=[fault], stall_s=1.0) as server:
        assert _model(server).complete(HI).text == "OK" and server.requests == 2


@pytest.mark.parametrize("fault", RETRIED, ids=str)
def test_a_fault_that_persists_is_a_clear_error_naming_endpoint_model_and_status(fault):
    with LoopbackServer(faults=[fault] * 3, stall_s=1.0) as server:
        status = STATUS.get(fault, fault if isinstance(fault, int) else "")
        pattern = rf"127\.0\.0\.1:{server.base_url.split(':')[-1]}.*'loopback'.*{status}.* after 3 attempt"
        with pytest.raises(ModelCallError, match=pattern):
            _model(server, max_retries=2).complete(HI)
        assert server.requests == 3


def test_retry_after_is_honoured_when_longer_than_the_backoff():
    with LoopbackServer(faults=[429], retry_after_s=0.4) as server:
        start = time.perf_counter()
        assert _model(server).complete(HI).text == "OK"
        assert time.perf_counter() - start >= 0.4


def test_retry_after_is_capped():
    with LoopbackServer(faults=[429], retry_after_s=3600) as server:
        start = time.perf_counter()
        assert _model(server, backoff_cap_s=0.2).complete(HI).text == "OK"
        assert time.perf_counter() - start < 2


def test_backoff_grows_exponentially():
    with LoopbackServer(faults=[500] * 3) as server:
        start = time.perf_counter()
        OpenAIChat("m", base_url=server.base_url, backoff_s=0.1).complete(HI)
        assert time.perf_counter() - start >= 0.1 + 0.2 + 0.4


def test_a_filtered_completion_is_not_retried_and_says_so():
    with LoopbackServer(faults=["filtered"]) as server:
        with pytest.raises(ModelCallError, match="content_filter after 1 attempt"):
            _model(server).complete(HI)
        assert server.requests == 1


def test_async_calls_retry_the_same_faults():
    with LoopbackServer(faults=["empty", "reset", 503]) as server:
        assert asyncio.run(_model(server).acomplete(HI)).text == "OK" and server.requests == 4


def test_unknown_fault_names_are_rejected():
    with pytest.raises(ValueError, match="unknown fault"):
        LoopbackServer(faults=["explode"])


def _user_json(messages):
    """A model playing the user: one answer, then it ends the chat."""
    done = messages[-1]["content"].count("ASSISTANT:") >= 2
    text = f"Thanks. {TERMINATION_SIGNAL}" if done else "Keep it short."
    return json.dumps({"current_answer": "", "thought": "", "response": text})


@pytest.fixture
def quick_retries(monkeypatch):
    """Models that the env builds from ``user_model=`` retry twice with millisecond backoff."""
    fast = functools.partial(OpenAIChat, backoff_s=0.01, max_retries=2, timeout_s=0.5)
    monkeypatch.setattr(llm, "OpenAIChat", fast)


def test_a_user_model_that_never_emits_json_does_not_lose_the_episode(quick_retries):
    # Issue 23: guards and parse failures never cost an episode; only the endpoint failing does.
    with LoopbackServer(reply=lambda m: "Sure! I'd rather not use JSON.") as server:
        env = gym.make("CollabQA-v0", split="test", user_model="u", base_url=server.base_url)
        env.reset(seed=0)
        obs, *_, info = env.step("What do you mean?")
    assert "error" not in info and obs[-1]["content"] == "Sure! I'd rather not use JSON."
    # three attempts at the written opening (then the template's), three at the reply
    assert info["user"]["accepted_drift"] == "parse" and info["user"]["parse_failures"] == 6
    assert info["user"]["opening"] == "template"


@pytest.mark.slow
def test_a_benchmark_through_faults_accounts_for_every_episode(tmp_path, quick_retries):
    # Every fault, spaced out, and two that no retry survives (three 500s in a row; a filter).
    faults = [429, "reset", None, 500, 503, None, "malformed", "empty", None, "stall", None] * 2
    faults += [500, 500, 500, *[None] * 6, "filtered", None, None, 503]
    with LoopbackServer(reply=_user_json, faults=faults, retry_after_s=0.01, stall_s=1.0) as server:
        config = BenchConfig(
            ["CollabQA-v0", "CollabMath-v0"],
            ["clarify", "passive"],
            3,
            out=str(tmp_path),
            workers=2,
            env=EnvConfig.from_kwargs(
                split="test", user_model="u", judge_model="heuristic", base_url=server.base_url
            ),
        )
        _, records = read_log(run_bench(config))
    ok = [r for r in records if r["status"] == "ok"]
    lost = [r for r in records if r["status"] == "lost"]
    assert len(records) == 12 and len(ok) + len(lost) == 12 and lost and ok
    assert all(server.base_url in r["error"] and "attempt" in r["error"] for r in lost)
    rows = summarise(records)
    assert sum(r["episodes"] for r in rows) == len(ok) and sum(r["lost"] for r in rows) == len(lost)


def test_a_benchmark_whose_user_model_never_emits_json_loses_no_episode_and_logs_the_drift(
    tmp_path, quick_retries
):
    with LoopbackServer(reply=lambda m: "no json here") as server:
        config = BenchConfig(
            ["CollabDoc-v0"],
            ["clarify"],
            2,
            out=str(tmp_path),
            workers=2,
            env=EnvConfig.from_kwargs(
                split="test", user_model="u", judge_model="heuristic", base_url=server.base_url
            ),
        )
        _, records = read_log(run_bench(config))
    assert [r["status"] for r in records] == ["ok", "ok"], records
    assert all(r["user_parse_failures"] > 0 for r in records)
    assert summarise(records)[0]["lost"] == 0 and summarise(records)[0]["episodes"] == 2
