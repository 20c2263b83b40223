"""OpenAIChat, CachedChat and LLMAgent against a real HTTP endpoint on loopback."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading

import pytest

from collab_env.agents import LLMAgent
from collab_env.errors import ConfigError, ModelCallError
from collab_env.llm import CachedChat, OpenAIChat
from collab_env.testing.openai_server import LoopbackServer

HI = [{"role": "user", "content": "hi"}]


def _model(server, **kwargs):
    return OpenAIChat("loopback", base_url=server.base_url, backoff_s=0.01, **kwargs)


def test_completion_text_usage_and_cost():
    with LoopbackServer(reply=lambda m: "two words") as server:
        model = _model(server, prices={"completion": 1e6})
        result = model.complete(HI)
    assert (result.text, result.completion_tokens, result.finish_reason, result.cost) == (
        "two words",
        2,
        "stop",
        2.0,
    )
    assert model.usage.as_dict() == {"calls": 1, "prompt_tokens": 0, "completion_tokens": 2, "cost": 2.0}


def test_transient_failures_are_retried():
    with LoopbackServer(faults=[429, 500, 503]) as server:
        assert _model(server).complete(HI).text == "OK"
        assert server.requests == 4


def test_last_retry_raises_a_clear_error_naming_endpoint_model_and_status():
    with LoopbackServer(faults=[500] * 10) as server:
        with pytest.raises(ModelCallError, match=r"127\.0\.0\.1.*'loopback'.*500 after 3 attempt"):
            _model(server, max_retries=2).complete(HI)
        assert server.requests == 3


def test_client_errors_are_not_retried():
    with LoopbackServer(faults=[400]) as server:
        with pytest.raises(ModelCallError, match="400 after"):
            _model(server).complete(HI)
        assert server.requests == 1


def test_concurrency_is_bounded():
    with LoopbackServer(latency_s=0.05) as server:
        results = _model(server, concurrency=3).complete_batch([HI] * 12)
    assert len(results) == 12 and 1 < server.max_in_flight <= 3


def test_async_completions_share_the_bound():
    async def run(model):
        return await asyncio.gather(*(model.acomplete(HI) for _ in range(8)))

    with LoopbackServer(latency_s=0.05) as server:
        results = asyncio.run(run(_model(server, concurrency=2)))
    assert [r.text for r in results] == ["OK"] * 8 and server.max_in_flight <= 2


def test_one_bound_holds_across_threads_and_event_loops():
    async def run(model):
        return await asyncio.gather(*(model.acomplete(HI) for _ in range(4)))

    with LoopbackServer(latency_s=0.05) as server:
        model = _model(server, concurrency=2)
        threads = [threading.Thread(target=asyncio.run, args=(run(model),)) for _ in range(3)]
        for thread in threads:
            thread.start()
        model.complete(HI)
        for thread in threads:
            thread.join()
    assert server.requests == 13 and server.max_in_flight == 2  # three loops and a thread, two slots


def test_unknown_sampling_parameter_is_a_config_error():
    with pytest.raises(ConfigError, match="temprature"):
        OpenAIChat("m", base_url="http://127.0.0.1:9/v1", temprature=0.5)


def test_cache_answers_repeats_without_calling_the_endpoint(tmp_path):
    with LoopbackServer(reply=lambda m: m[-1]["content"].upper()) as server:
        model = CachedChat(_model(server), tmp_path / "cache.sqlite")
        first = [model.complete(HI, sample_index=k, temperature=1.0).text for k in range(3)]
        again = [model.complete(HI, sample_index=k, temperature=1.0).text for k in range(3)]
        assert first == again and server.requests == 3
        assert model.stats() == {"hits": 3, "misses": 3}


def test_cache_is_shared_across_processes(tmp_path):
    path = tmp_path / "cache.sqlite"
    with LoopbackServer(reply=lambda m: "stored") as server:
        CachedChat(_model(server), path).complete(HI)
        code = (
            "import json, sys; from collab_env.llm import CachedChat, OpenAIChat;"
            f"m = CachedChat(OpenAIChat('loopback', base_url='{server.base_url}'), sys.argv[1]);"
            "r = m.complete([{'role': 'user', 'content': 'hi'}]); print(json.dumps([r.text, m.stats()]))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout) == ["stored", {"hits": 1, "misses": 0}] and server.requests == 1


def test_llm_agent_sends_its_system_prompt():
    seen = []
    with LoopbackServer(reply=lambda m: seen.append(m) or "Which tone?") as server:
        agent = LLMAgent(_model(server), style="proactive")
        assert agent(HI) == "Which tone?" and agent.act_batch([HI, HI]) == ["Which tone?"] * 2
    assert seen[0][0]["role"] == "system" and "ambiguous" in seen[0][0]["content"] and seen[0][1] == HI[0]


def test_bench_runs_an_openai_spec_end_to_end(tmp_path):
    from collab_env.harness.log import read_log
    from collab_env.harness.runner import BenchConfig, run_bench

    with LoopbackServer(reply=lambda m: "Answer: the market") as server:
        spec = f"openai:loopback@{server.base_url}#proactive"
        config = BenchConfig(["CollabQA-v0"], [spec], 2, out=str(tmp_path), workers=1)
        _, records = read_log(run_bench(config))
    assert [r["status"] for r in records] == ["ok", "ok"] and records[0]["messages"][1][
        "content"
    ] == "Answer: the market"


def test_timeouts_are_retried_then_reported():
    with LoopbackServer(latency_s=0.5) as server:
        with pytest.raises(ModelCallError, match="APITimeoutError after 2 attempt"):
            _model(server, max_retries=1, timeout_s=0.1).complete(HI)
        assert server.requests == 2


def test_a_malformed_body_is_retried():
    with LoopbackServer(faults=[0]) as server:
        assert _model(server).complete(HI).text == "OK" and server.requests == 2
