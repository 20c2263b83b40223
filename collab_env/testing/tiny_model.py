"""A tiny random ``transformers`` chat model, built here from a config (no hub, no download).

For tests and docs of everything that takes a local checkpoint (``HFChat``, ``hf:PATH`` agent
specs, the TRL trainers): a two-layer Llama of a few thousand parameters and a word-level
tokenizer trained on a small corpus, saved as an ordinary checkpoint directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from collab_env.hf_progress import no_progress_bars

#: The corpus the tokenizer is trained on, in the chat format of the envs.
CORPUS = (
    "user: who is the audience ?",
    "assistant: it is for the team . what tone should it have ?",
    "user: friendly please , and keep it short",
    "assistant: here is the draft : hi team , lunch is at noon .",
)
#: A plain chat template: ``role: content <eos>`` per message.
TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }} <eos> {% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def build_tiny_checkpoint(
    path: str | Path,
    corpus: Sequence[str] = CORPUS,
    seed: int = 0,
    hidden_size: int = 32,
    layers: int = 2,
    chat_template: str = TEMPLATE,
    eos_token: str = "<eos>",
) -> Path:
    """Write a tiny random Llama and its tokenizer to ``path`` and return it.

    Args:
        path: Directory to write (created if needed).
        corpus: Texts the word-level tokenizer learns its vocabulary from.
        seed: Seed of the random weights (the caller's torch RNG state is left as it was).
        hidden_size: Width of the model (a multiple of 4; 32 is tiny, 1024 with 16 layers is
            about 0.2 B parameters with a real vocabulary, a few million here).
        layers: Transformer layers.
        chat_template: The tokenizer's chat template (a trainer that parses tool calls wants one
            it knows, such as TRL's ``qwen3_chat_template``).
        eos_token: The token that ends a message, in the tokenizer and the model's config alike
            (``"<|im_end|>"`` with a Qwen template).

    Raises:
        ImportError: without ``torch``, ``transformers`` and ``tokenizers`` (extra ``[train]``).
    """
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.train_from_iterator(
        list(corpus), trainers.WordLevelTrainer(special_tokens=["<unk>", "<pad>", eos_token])
    )
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token=eos_token
    )
    tokenizer.chat_template = chat_template
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=2 * hidden_size, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    path = Path(path)
    with torch.random.fork_rng(devices=[]):  # seed the weights without touching the caller's RNG
        torch.manual_seed(seed)
        model = transformers.LlamaForCausalLM(config)
    with no_progress_bars("transformers"):  # a few kilobytes: no "Writing model shards" bar
        model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
