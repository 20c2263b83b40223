"""HFChat: a local ``transformers`` causal LM behind the chat-model protocol (extra ``[train]``)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from collab_env.errors import ConfigError
from collab_env.hf_progress import no_progress_bars
from collab_env.llm.base import ChatResult, Usage, per_call_params
from collab_env.llm.batching import BatchingQueue
from collab_env.model_config import ROLE_DEFAULTS
from collab_env.types import ChatMessage

#: Sampling parameters ``generate`` reads; calls that differ in them never share a generate call.
SAMPLING = ("temperature", "top_p", "max_tokens")
#: Per-call parameters that only pick a sample (they seed the batch, see ``complete_batch``).
PER_CALL = ("seed", "sample_index")
# One lock for every load in the process: two threads importing transformers at once, or loading
# the same checkpoint twice onto one GPU, is what lost benchmark episodes (issue 16).
_LOAD_LOCK = threading.RLock()
_SHARED: dict[tuple[str, Hashable], HFChat] = {}


class HFChat:
    """Any causal LM from a path (or already loaded), prompted with its tokenizer's chat template.

    Generation is batched with left padding. The device is CUDA when present, else the CPU; the
    dtype bfloat16 on a GPU that supports it, else float32. Build a checkpoint's model with
    :meth:`shared` to load it once per process, whatever the number of callers.

    Two ways in: :meth:`complete_batch` generates the batch it is given, one ``generate`` call
    per ``batch_size`` conversations. :meth:`complete` (and :meth:`acomplete`), called from many
    threads at once, is coalesced: the calls that arrive within ``max_wait_s`` of each other (at
    most ``batch_size``) share one ``generate`` call per set of sampling parameters, served by
    one worker thread; each caller gets its own result, and an error in ``generate`` reaches
    every caller of that batch. One model never runs two ``generate`` calls at once.

    Args:
        model: A path to a checkpoint (a directory, or a ``.gguf`` file, which transformers
            dequantises: the ``gguf`` package), or a loaded ``PreTrainedModel``.
        tokenizer: A path or a loaded tokenizer (default: the model's path).
        device: ``"cuda"``, ``"cpu"``... (default: CUDA when available).
        dtype: A ``torch.dtype`` (default: as above).
        batch_size: Most conversations in one ``generate`` call (>= 1); also the calls callers
            should keep in flight (``concurrency``).
        max_wait_s: How long a coalesced call waits for others to join its batch (seconds).
        **defaults: Default sampling parameters: temperature (0 = greedy, the default), top_p,
            max_tokens (default: the agent role's, ``ROLE_DEFAULTS["agent"]["max_tokens"]``; never
            more than the model's context window leaves after the prompt).

    Raises:
        ConfigError: if torch or transformers is missing, the checkpoint does not exist, a loaded
            model comes without its tokenizer, or an argument is out of range.
    """

    #: Capabilities (see :mod:`collab_env.llm.backends`): no JSON mode; bounds its own generations.
    json_mode: ClassVar[bool] = False
    bounds_tokens: ClassVar[bool] = True

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        device: str | None = None,
        dtype: Any = None,
        batch_size: int = 8,
        max_wait_s: float = 0.005,
        **defaults: Any,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        _check_params(defaults, SAMPLING)
        with _LOAD_LOCK:
            torch, model, tokenizer = _load(model, tokenizer, device, dtype)
        self._torch, self.device = torch, str(model.device)
        self.model, self.tokenizer = model, tokenizer
        self.name = getattr(model.config, "_name_or_path", "") or type(model).__name__
        self.batch_size = self.concurrency = batch_size
        self.defaults, self.usage = defaults, Usage()
        self._lock = threading.Lock()  # one generate call at a time
        self._queue = BatchingQueue(self._serve, max_batch=batch_size, max_wait_s=max_wait_s)

    @classmethod
    def shared(cls, path: str | Path, **options: Any) -> HFChat:
        """The process's one model for this checkpoint and these options, loaded on first use.

        Thread-safe: concurrent first calls load the checkpoint once (under a lock), and every
        caller gets the same object, whose :meth:`complete` coalesces their calls into batches.

        Args:
            path: The checkpoint directory (paths naming the same directory share a model).
            **options: Constructor arguments (``batch_size``, ``device``, sampling defaults...).

        Raises:
            ConfigError: as the constructor, or if an option value is not hashable.
        """
        try:
            key = (os.path.realpath(path), tuple(sorted(options.items())))
            hash(key)
        except TypeError as exc:
            raise ConfigError(f"HFChat.shared options must be hashable values, got {options!r}") from exc
        with _LOAD_LOCK:
            if key not in _SHARED:
                _SHARED[key] = cls(path, **options)
            return _SHARED[key]

    def complete(self, messages: Sequence[ChatMessage], **params: Any) -> ChatResult:
        """One completion, batched with the calls other threads make at the same time."""
        _check_params(params, SAMPLING + PER_CALL)
        result = self._queue.submit((messages, _sample_key(params)), key=self._sampling(params))
        self.usage.add(result)
        return result

    async def acomplete(self, messages: Sequence[ChatMessage], **params: Any) -> ChatResult:
        """One completion, awaited: coalesced with the calls that coroutines and threads make at
        the same time (the requests of free-running conversations share ``generate`` calls)."""
        _check_params(params, SAMPLING + PER_CALL)
        result = await self._queue.asubmit((messages, _sample_key(params)), key=self._sampling(params))
        self.usage.add(result)
        return result

    def complete_batch(
        self, batch: Sequence[Sequence[ChatMessage]], per_call: Sequence[Any] | None = None, **params: Any
    ) -> list[ChatResult]:
        """One completion per conversation, one ``generate`` call per ``batch_size`` of them, in order.

        With sampling (temperature > 0) and seeds in ``per_call`` (or ``params``), torch's
        generator is seeded for each ``generate`` call from the seeds and sample indices of its
        conversations, so the same batch gives the same samples. Seeds cannot be per
        conversation: one ``generate`` call draws every row from one generator, so a
        conversation's sample depends on the others in its batch.

        Args:
            batch: Conversations (chat messages).
            per_call: Parameters of conversation i alone (``seed``, ``sample_index``); they may
                not change the sampling parameters, which hold for the whole batch.
            **params: Sampling parameters for every conversation.

        Raises:
            ConfigError: for an unknown parameter, or sampling parameters in ``per_call``.
        """
        _check_params(params, SAMPLING + PER_CALL)
        for extra in per_call or ():
            _check_params(extra, PER_CALL)
        calls = per_call_params(len(batch), per_call, params)
        sampling, samples = self._sampling(params), [_sample_key(call) for call in calls]
        results: list[ChatResult] = []
        for start in range(0, len(batch), self.batch_size):
            stop = start + self.batch_size
            results += self._generate(batch[start:stop], samples[start:stop], **dict(sampling))
        for result in results:
            self.usage.add(result)
        return results

    def _sampling(self, params: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
        """The sampling parameters of a call, defaults filled in, as a hashable batching key."""
        merged = {"temperature": 0.0, "top_p": 1.0, "max_tokens": ROLE_DEFAULTS["agent"]["max_tokens"]}
        merged.update(
            {k: v for k, v in {**self.defaults, **params}.items() if k in SAMPLING and v is not None}
        )
        return tuple((k, merged[k]) for k in SAMPLING)

    def _serve(
        self, items: list[tuple[Sequence[ChatMessage], Hashable]], sampling: Hashable
    ) -> list[ChatResult]:
        """The batching queue's worker: one batch of coalesced calls that share ``sampling``."""
        return self._generate([m for m, _ in items], [s for _, s in items], **dict(sampling))

    def _generate(
        self,
        chunk: Sequence[Sequence[ChatMessage]],
        samples: Sequence[Hashable],
        temperature: float,
        top_p: float,
        max_tokens: int,
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
        prompt_length = inputs["input_ids"].shape[1]
        context = getattr(self.model.config, "max_position_embeddings", None)
        if context:  # never past the model's context window (GPT-2-like models fail there)
            max_tokens = max(1, min(max_tokens, context - prompt_length))
        sampled = temperature > 0
        sampling = {"temperature": temperature, "top_p": top_p} if sampled else {}
        seeded = sampled and any(seed is not None for seed, _ in samples)
        with self._lock, self._torch.no_grad(), self._seeded(samples if seeded else None):
            output = self.model.generate(
                **inputs,
                max_new_tokens=max_tokens,
                pad_token_id=self.tokenizer.pad_token_id,
                do_sample=sampled,
                **sampling,
            )
        return self._results(output[:, prompt_length:], inputs["attention_mask"])

    @contextlib.contextmanager
    def _seeded(self, samples: Sequence[Hashable] | None) -> Iterator[None]:
        """Torch's generators seeded from a batch's (seed, sample_index) pairs, restored after."""
        if samples is None:
            yield
            return
        torch = self._torch
        devices = list(range(torch.cuda.device_count())) if self.device.startswith("cuda") else []
        digest = hashlib.blake2b(repr(list(samples)).encode(), digest_size=8).digest()
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(int.from_bytes(digest, "big"))
            yield

    def _results(self, new: Any, attention_mask: Any) -> list[ChatResult]:
        results = []
        for i, tokens in enumerate(new):
            eos = (tokens == self.tokenizer.eos_token_id).nonzero()
            length = int(eos[0]) if len(eos) else len(tokens)
            results.append(
                ChatResult(
                    text=self.tokenizer.decode(tokens[:length], skip_special_tokens=True),
                    prompt_tokens=int(attention_mask[i].sum()),
                    completion_tokens=length,
                    finish_reason="stop" if len(eos) else "length",
                    model=self.name,
                )
            )
        return results


def _load(model: Any, tokenizer: Any, device: str | None, dtype: Any) -> tuple[Any, Any, Any]:
    """(torch, the model on its device in eval mode, its left-padding tokenizer); under _LOAD_LOCK."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ConfigError("HFChat needs torch and transformers: pip install 'collab-env[train]'") from exc
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dtype is None:
        cuda_bf16 = device.startswith("cuda") and torch.cuda.is_bf16_supported()
        dtype = torch.bfloat16 if cuda_bf16 else torch.float32
    if isinstance(model, str | Path):
        if not Path(model).exists():
            raise ConfigError(f"no checkpoint at {model} (HFChat loads local checkpoints only)")
        tokenizer = tokenizer or str(model)
        with no_progress_bars("transformers"):  # no "Loading weights" bar inside an agent's first call
            path, gguf = _where(model)
            model = AutoModelForCausalLM.from_pretrained(path, **gguf, dtype=dtype, local_files_only=True)
    if tokenizer is None:
        raise ConfigError("pass the tokenizer with an already-loaded model")
    if isinstance(tokenizer, str | Path):
        path, gguf = _where(tokenizer)
        tokenizer = AutoTokenizer.from_pretrained(path, **gguf, local_files_only=True)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return torch, model.to(device).eval(), tokenizer


def _where(path: str | Path) -> tuple[str, dict[str, str]]:
    """``from_pretrained``'s path and keyword arguments for a checkpoint directory, or a GGUF file
    (``gguf_file=``: transformers dequantises it, with the ``gguf`` package)."""
    path = Path(path)
    if path.suffix.lower() == ".gguf" and path.is_file():
        return str(path.parent), {"gguf_file": path.name}
    return str(path), {}


def _sample_key(params: Mapping[str, Any]) -> tuple[Any, Any]:
    """A call's (seed, sample_index): what seeds its batch's generator."""
    return params.get("seed"), params.get("sample_index")


def _check_params(params: Mapping[str, Any], accepted: Sequence[str]) -> None:
    unknown = set(params) - set(accepted)
    if unknown:
        raise ConfigError(f"unknown HFChat parameter(s) {sorted(unknown)}; accepted: {sorted(accepted)}")


def build(target: dict[str, Any], options: dict[str, Any]) -> HFChat:
    """The ``hf`` backend (:mod:`collab_env.llm.backends`): ``hf:PATH``, loaded once per process.

    ``max_tokens`` and ``temperature`` become the model's sampling defaults; ``concurrency`` is
    its ``batch_size`` (the calls it serves in one ``generate``).
    """
    if "concurrency" in options:
        options["batch_size"] = options.pop("concurrency")
    return HFChat.shared(target["path"], **options)


def _is_gguf(path: str) -> bool:
    """Whether ``path`` is a GGUF file (``hf:model.gguf``: loaded with ``gguf_file=``)."""
    return path.lower().endswith(".gguf") and os.path.isfile(path)


def check(target: dict[str, Any]) -> None:
    """Check an ``hf:PATH`` model without loading it: the checkpoint directory (or GGUF file) exists.

    Raises:
        ConfigError: naming the path.
    """
    if _is_gguf(target["path"]):
        return
    if not os.path.isdir(target["path"]):
        raise ConfigError(f"model 'hf:{target['path']}': no checkpoint directory at {target['path']!r}")


#: Files of which a checkpoint directory has one: a model's config, or a PEFT adapter's.
CONFIG_FILES = ("config.json", "adapter_config.json")


def probe(target: dict[str, Any], role: str) -> None:
    """The ``hf`` backend's preflight, on this machine only (no torch, no network): the checkpoint
    directory exists and holds a model config, or the GGUF file exists.

    Args:
        target: The parsed ``hf:PATH`` (``path``).
        role: Who calls the model (``"user"``, ``"judge"``, ``"agent SPEC"``), for the message.

    Raises:
        ConfigError: starting with ``role``, naming the path and what is missing.
    """
    try:
        check(target)
    except ConfigError as exc:
        raise ConfigError(f"{role} {exc}") from exc
    path = target["path"]
    if _is_gguf(path):
        return
    if not any((Path(path) / name).is_file() for name in CONFIG_FILES):
        raise ConfigError(
            f"{role} model 'hf:{path}': {path!r} holds no config.json, so it is not a "
            "transformers checkpoint (save one with save_pretrained)"
        )
