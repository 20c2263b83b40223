"""HFChat with a tiny random model and a tokenizer trained here (no hub)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'collab-env[train]')")
transformers = pytest.importorskip("transformers", reason="transformers is not installed")

from collab_env.llm import HFChat  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from collab_env.testing.tiny_model import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-llama"))


def test_generates_from_a_local_checkpoint(checkpoint):
    model = HFChat(str(checkpoint), max_tokens=8)
    result = model.complete([{"role": "user", "content": "who is the audience ?"}])
    assert isinstance(result.text, str) and 0 < result.completion_tokens <= 8 and result.prompt_tokens > 5
    assert model.device == "cpu" and model.usage.calls == 1


def test_batches_conversations_of_different_lengths(checkpoint):
    model = HFChat(str(checkpoint), batch_size=2, max_tokens=4)
    batch = [
        [{"role": "user", "content": "hi"}],
        [{"role": "user", "content": "who is the audience ? friendly please , and keep it short"}],
        [{"role": "user", "content": "what tone should it have ?"}],
    ]
    results = model.complete_batch(batch)
    assert len(results) == 3 and results[0].prompt_tokens < results[1].prompt_tokens
    assert model.tokenizer.padding_side == "left"


def test_respects_max_tokens(checkpoint):
    model = HFChat(str(checkpoint))
    results = [model.complete([{"role": "user", "content": "hi"}], max_tokens=n) for n in (1, 3)]
    assert results[0].completion_tokens <= 1 and results[1].completion_tokens <= 3
    assert all(r.finish_reason in ("stop", "length") for r in results)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    from collab_env.errors import ConfigError

    with pytest.raises(ConfigError, match="no checkpoint"):
        HFChat(str(tmp_path / "nothing-here"))


def test_bench_runs_an_hf_spec(checkpoint, tmp_path):
    from collab_env.benchmarks.harness.runner import BenchConfig, read_log, run_bench

    config = BenchConfig(["CollabQA-v0"], [f"hf:{checkpoint}"], 1, out=str(tmp_path), workers=1)
    _, records = read_log(run_bench(config))
    assert records[0]["status"] == "ok" and records[0]["turns"] >= 1
