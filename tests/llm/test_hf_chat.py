"""HFChat with a tiny random model and a tokenizer trained here (no hub)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'collab-env[train]')")
transformers = pytest.importorskip("transformers", reason="transformers is not installed")

from collab_env.llm import HFChat  # noqa: E402

CORPUS = [
    "user: who is the audience ?",
    "assistant: it is for the team . what tone should it have ?",
    "user: friendly please , and keep it short",
    "assistant: here is the draft : hi team , lunch is at noon .",
]
TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }} <eos> {% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>", "<eos>"]))
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>"
    )
    tokenizer.chat_template = TEMPLATE
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(0)  # the random weights only; nothing in the library seeds globally
    path = tmp_path_factory.mktemp("tiny-llama")
    transformers.LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


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
    from collab_env.bench.runner import BenchConfig, read_log, run_bench

    config = BenchConfig(["CollabQA-v0"], [f"hf:{checkpoint}"], 1, out=str(tmp_path), workers=1)
    _, records = read_log(run_bench(config))
    assert records[0]["status"] == "ok" and records[0]["turns"] >= 1
