"""HFChat with a tiny random model and a tokenizer trained here (no hub)."""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'collab-env[train]')")
transformers = pytest.importorskip("transformers", reason="transformers is not installed")

from collab_env.errors import ConfigError  # noqa: E402
from collab_env.llm import HFChat, hf_chat  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from collab_env.testing.tiny_model import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def loads(monkeypatch):
    """Checkpoint loads in this test, counted; the process's shared models start empty."""
    from collab_env.agents import specs

    counted = []
    load = transformers.AutoModelForCausalLM.from_pretrained

    def counting(*args, **kwargs):
        counted.append(args[0])
        return load(*args, **kwargs)

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", counting)
    monkeypatch.setattr(hf_chat, "_SHARED", {})
    specs._shared_model.cache_clear()
    yield counted
    specs._shared_model.cache_clear()


def generate_calls(model: HFChat) -> list[dict]:
    """Wrap ``model.model.generate`` to record (rows, max_new_tokens) of every call."""
    calls, generate = [], model.model.generate

    def counting(**kwargs):
        calls.append({"rows": len(kwargs["input_ids"]), "max_new_tokens": kwargs["max_new_tokens"]})
        return generate(**kwargs)

    model.model.generate = counting
    return calls


def conversation(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": " ".join(["hi"] * (i + 1))}]


def test_generates_from_a_local_checkpoint(checkpoint):
    model = HFChat(str(checkpoint), max_tokens=8)
    result = model.complete([{"role": "user", "content": "who is the audience ?"}])
    assert isinstance(result.text, str) and 0 < result.completion_tokens <= 8 and result.prompt_tokens > 5
    assert model.usage.calls == 1


def test_device_and_dtype_follow_the_machine(checkpoint):
    model = HFChat(str(checkpoint), max_tokens=2)
    cuda = torch.cuda.is_available()
    assert model.device.startswith("cuda" if cuda else "cpu")
    bf16 = cuda and torch.cuda.is_bf16_supported()
    assert model.model.dtype == (torch.bfloat16 if bf16 else torch.float32)
    assert model.complete(conversation(0)).completion_tokens <= 2


def test_batches_conversations_of_different_lengths(checkpoint):
    model = HFChat(str(checkpoint), batch_size=2, max_tokens=4)
    calls = generate_calls(model)
    batch = [
        [{"role": "user", "content": "hi"}],
        [{"role": "user", "content": "who is the audience ? friendly please , and keep it short"}],
        [{"role": "user", "content": "what tone should it have ?"}],
    ]
    results = model.complete_batch(batch)
    assert len(results) == 3 and results[0].prompt_tokens < results[1].prompt_tokens
    assert model.tokenizer.padding_side == "left"
    assert [c["rows"] for c in calls] == [2, 1]  # one generate call per batch_size chunk


def test_respects_max_tokens(checkpoint):
    model = HFChat(str(checkpoint))
    results = [model.complete([{"role": "user", "content": "hi"}], max_tokens=n) for n in (1, 3)]
    assert results[0].completion_tokens <= 1 and results[1].completion_tokens <= 3
    assert all(r.finish_reason in ("stop", "length") for r in results)


def test_concurrent_calls_share_generate_calls_and_get_their_own_results(checkpoint, at_once):
    model = HFChat(str(checkpoint), batch_size=8, max_wait_s=0.2, max_tokens=3)
    calls, n = generate_calls(model), 8
    results = at_once(n, lambda i: model.complete(conversation(i)))
    assert len(calls) < n and sum(c["rows"] for c in calls) == n
    alone = [model.complete_batch([conversation(i)])[0] for i in range(n)]
    assert [r.prompt_tokens for r in results] == [r.prompt_tokens for r in alone]  # each its own prompt
    assert len({r.prompt_tokens for r in results}) == n and model.usage.calls == 2 * n


def test_coroutines_calls_are_coalesced_without_a_thread_each(checkpoint):
    import asyncio

    model = HFChat(str(checkpoint), batch_size=8, max_wait_s=0.05, max_tokens=3)
    calls = generate_calls(model)

    async def eight():
        return await asyncio.gather(*(model.acomplete(conversation(i)) for i in range(8)))

    results = asyncio.run(eight())
    assert [c["rows"] for c in calls] == [8]  # the free-running callers share one generate call
    assert len({r.prompt_tokens for r in results}) == 8


def test_an_mr_step_of_an_hf_policy_makes_at_most_two_generate_calls_per_policy_turn(checkpoint):
    import gymnasium as gym

    from collab_env.agents import LLMAgent
    from collab_env.wrappers import MultiturnAwareReward

    model = HFChat(str(checkpoint), batch_size=8, max_tokens=4, temperature=1.0)
    calls, window = generate_calls(model), 2
    wrapped = MultiturnAwareReward(
        gym.make("CollabQA-v0", split="test"), LLMAgent(model), window=window, samples=8
    )
    wrapped.reset(seed=0)
    wrapped.step("Which one do you mean?")
    assert sum(c["rows"] for c in calls) == 8 * window and len(calls) <= 2 * (window + 1)


def test_calls_with_different_sampling_are_never_mixed(checkpoint, at_once):
    model = HFChat(str(checkpoint), batch_size=8, max_wait_s=0.2)
    calls = generate_calls(model)
    results = at_once(8, lambda i: model.complete(conversation(i), max_tokens=1 + i % 2))
    assert 2 <= len(calls) < 8 and {c["max_new_tokens"] for c in calls} == {1, 2}
    assert all(r.completion_tokens <= 1 + i % 2 for i, r in enumerate(results))


def test_an_error_in_generate_reaches_every_caller_of_the_batch(checkpoint, at_once):
    model = HFChat(str(checkpoint), batch_size=4, max_wait_s=0.2, max_tokens=2)

    def broken(**kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    model.model.generate = broken
    errors = at_once(4, lambda i: model.complete(conversation(i)))
    assert all(isinstance(e, RuntimeError) and "out of memory" in str(e) for e in errors)


def test_seeded_batches_sample_the_same_and_leave_torch_rng_alone(checkpoint):
    model = HFChat(str(checkpoint), temperature=1.0, max_tokens=8)
    batch = [conversation(i) for i in range(4)]
    seeds = [{"seed": 7, "sample_index": k} for k in range(4)]
    state = torch.random.get_rng_state()
    first, again = (model.complete_batch(batch, per_call=seeds) for _ in range(2))
    assert [r.text for r in first] == [r.text for r in again]
    assert torch.equal(state, torch.random.get_rng_state())
    other = model.complete_batch(batch, per_call=[{"seed": 8, "sample_index": k} for k in range(4)])
    assert [r.text for r in other] != [r.text for r in first]


def test_unknown_parameters_are_a_clear_error(checkpoint):
    model = HFChat(str(checkpoint), max_tokens=2)
    with pytest.raises(ConfigError, match="stop"):
        model.complete(conversation(0), stop=["\n"])
    with pytest.raises(ConfigError, match="temperature"):
        model.complete_batch([conversation(0)], per_call=[{"temperature": 1.0}])


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no checkpoint"):
        HFChat(str(tmp_path / "nothing-here"))


def test_threads_building_the_shared_model_load_it_once(checkpoint, loads, at_once):
    models = at_once(8, lambda i: HFChat.shared(checkpoint if i % 2 else str(checkpoint), max_tokens=2))
    assert len(loads) == 1 and all(m is models[0] for m in models)
    assert HFChat.shared(checkpoint, max_tokens=3) is not models[0] and len(loads) == 2


def test_bench_runs_an_hf_spec(checkpoint, tmp_path, loads):
    from collab_env.harness.log import read_log
    from collab_env.harness.runner import BenchConfig, run_bench

    config = BenchConfig(["CollabQA-v0"], [f"hf:{checkpoint}"], 1, out=str(tmp_path), workers=1)
    _, records = read_log(run_bench(config))
    assert records[0]["status"] == "ok" and records[0]["turns"] >= 1 and len(loads) == 1


def test_threads_in_a_fresh_process_import_and_load_once(checkpoint):
    """The import race of issue 16: transformers not yet imported, 8 threads build the model."""
    code = f"""
import threading
from collab_env.llm import HFChat
models, errors = [], []
def build():
    try:
        models.append(HFChat.shared({str(checkpoint)!r}))
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=build) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(errors), len({{id(m) for m in models}}), errors)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stdout.split()[:2] == ["0", "1"], out.stdout + out.stderr


def test_bench_with_8_workers_loses_no_episode_and_loads_once(checkpoint, tmp_path, loads):
    from collab_env.harness.log import read_log
    from collab_env.harness.runner import BenchConfig, run_bench

    model = HFChat.shared(str(checkpoint))  # the model the bench's agent spec will get
    calls = generate_calls(model)
    config = BenchConfig(["CollabQA-v0"], [f"hf:{checkpoint}"], 8, out=str(tmp_path), workers=8)
    _, records = read_log(run_bench(config))
    assert len(records) == 8 and [r["status"] for r in records] == ["ok"] * 8
    assert len(loads) == 1 and 0 < len(calls) < model.usage.calls  # episodes' calls were batched
