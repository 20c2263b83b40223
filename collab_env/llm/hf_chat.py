"""HFChat: a local ``transformers`` causal LM behind the chat-model protocol (extra ``[train]``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from collab_env.errors import ConfigError
from collab_env.llm.base import ChatResult, Message, Usage


class HFChat:
    """Any causal LM from a path (or already loaded), prompted with its tokenizer's chat template.

    Generation is batched with left padding. The device is CUDA when present, else the CPU; the
    dtype bfloat16 on a GPU that supports it, else float32. Sampling draws from torch's global
    generator, so reproducible samples across runs come from :class:`~collab_env.llm.CachedChat`
    (keyed by sample index), not from seeds.

    Args:
        model: A path to a checkpoint, or a loaded ``PreTrainedModel``.
        tokenizer: A path or a loaded tokenizer (default: the model's path).
        device: ``"cuda"``, ``"cpu"``... (default: CUDA when available).
        dtype: A ``torch.dtype`` (default: as above).
        batch_size: Conversations generated together.
        **defaults: Default sampling parameters: temperature (0 = greedy), top_p, max_tokens.
    """

    concurrency = 1

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        device: str | None = None,
        dtype: Any = None,
        batch_size: int = 8,
        **defaults: Any,
    ) -> None:
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ConfigError("HFChat needs torch and transformers: pip install 'collab-env[train]'") from exc
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if dtype is None:
            cuda_bf16 = self.device.startswith("cuda") and torch.cuda.is_bf16_supported()
            dtype = torch.bfloat16 if cuda_bf16 else torch.float32
        if isinstance(model, str | Path):
            if not Path(model).exists():
                raise ConfigError(f"no checkpoint at {model} (HFChat loads local checkpoints only)")
            tokenizer = tokenizer or str(model)
            model = AutoModelForCausalLM.from_pretrained(str(model), dtype=dtype, local_files_only=True)
        if tokenizer is None:
            raise ConfigError("pass the tokenizer with an already-loaded model")
        if isinstance(tokenizer, str | Path):
            tokenizer = AutoTokenizer.from_pretrained(str(tokenizer), local_files_only=True)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.model, self.tokenizer = model.to(self.device).eval(), tokenizer
        self.name = getattr(model.config, "_name_or_path", "") or type(model).__name__
        self.batch_size, self.defaults, self.usage = batch_size, defaults, Usage()
        self._lock = threading.Lock()

    def complete(self, messages: Sequence[Message], **params: Any) -> ChatResult:
        """One completion."""
        return self.complete_batch([messages], **params)[0]

    async def acomplete(self, messages: Sequence[Message], **params: Any) -> ChatResult:
        """One completion, in a worker thread."""
        return await asyncio.to_thread(self.complete, messages, **params)

    def complete_batch(
        self, batch: Sequence[Sequence[Message]], per_call: Sequence[Any] | None = None, **params: Any
    ) -> list[ChatResult]:
        """One completion per conversation, ``batch_size`` at a time, in order."""
        params = {**self.defaults, **{k: v for k, v in params.items() if k not in ("seed", "sample_index")}}
        results: list[ChatResult] = []
        for start in range(0, len(batch), self.batch_size):
            results += self._generate(batch[start : start + self.batch_size], **params)
        for result in results:
            self.usage.add(result)
        return results

    def _generate(
        self,
        chunk: Sequence[Sequence[Message]],
        temperature: float = 0.0,
        top_p: float = 1.0,
        max_tokens: int = 256,
    ) -> list[ChatResult]:
        texts = [
            self.tokenizer.apply_chat_template(
                [dict(m) for m in c], tokenize=False, add_generation_prompt=True
            )
            for c in chunk
        ]
        inputs = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(
            self.device
        )
        sampling = (
            {"do_sample": True, "temperature": temperature, "top_p": top_p}
            if temperature > 0
            else {"do_sample": False}
        )
        with self._lock, self._torch.no_grad():
            output = self.model.generate(
                **inputs, max_new_tokens=max_tokens, pad_token_id=self.tokenizer.pad_token_id, **sampling
            )
        new = output[:, inputs["input_ids"].shape[1] :]
        results = []
        for i, tokens in enumerate(new):
            eos = (tokens == self.tokenizer.eos_token_id).nonzero()
            length = int(eos[0]) if len(eos) else len(tokens)
            results.append(
                ChatResult(
                    text=self.tokenizer.decode(tokens[:length], skip_special_tokens=True),
                    prompt_tokens=int(inputs["attention_mask"][i].sum()),
                    completion_tokens=length,
                    finish_reason="stop" if len(eos) else "length",
                    model=self.name,
                )
            )
        return results
