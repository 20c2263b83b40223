"""``collab-env finetune``: fine-tune a local checkpoint with TRL: the assistant on ``collab-env synth``
data (``--role assistant``, the default), or a user model on people's conversations (``--role user``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

from collab_env.cli.options import add_config_options, config_kwargs, examples
from collab_env.errors import ConfigError


@dataclass
class FinetuneOptions:
    """A fine-tuning run (``sft``: best-path turns; ``dpo``: MR preference pairs).

    Attributes:
        model: Checkpoint directory to start from (with --role user, a .gguf file too).
        data: The `collab-env synth` output directory; with --role user, people's conversations
            (SimulatorArena JSON Lines, FILE[,FILE]).
        role: Whose turns are learnt: the assistant's (synth data) or the user's (people's turns,
            a user model served as --user llm --user.model hf:OUT --user.protocol roleplay; sft only).
        out: Where checkpoints and the trained model go.
        max_steps: Optimizer steps (-1: one epoch).
        learning_rate: Learning rate (default: TRL's trainer's own, 2e-5 for SFT, 1e-6 for DPO).
        batch_size: Per-device batch size.
        report_to: Where training logs go: tensorboard (in OUT/runs), wandb, or none.
        save_steps: A checkpoint every this many steps (in OUT/checkpoint-N, the last two kept).
        max_length: Longest example in tokens (default: TRL's, 1024); with --role user longer
            examples are left out, not cut.
        lora: With --role user: train a LoRA adapter, merged into the saved model (default: where
            peft is installed), or every weight (--no-lora).
        eval_share: With --role user: share of the conversations held out, whole, for an eval loss.
        math_root: With --role user: a MATH checkout (test/algebra/1.json...) whose problem texts
            fill the redacted math-tutoring goals.
    """

    model: str
    data: str
    out: str
    max_steps: int = -1
    learning_rate: float | None = None
    batch_size: int = 8
    report_to: str | None = field(default=None, metadata={"choices": ("tensorboard", "wandb", "none")})
    save_steps: int = 500
    role: str = field(default="assistant", metadata={"choices": ("assistant", "user")})
    max_length: int | None = None
    lora: bool | None = None
    eval_share: float = 0.0
    math_root: str | None = None


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``finetune`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "finetune",
        help="fine-tune a local checkpoint on synth data with TRL (sft or dpo; extra [train])",
        **examples(
            (
                "collab-env finetune dpo --model models/qwen2.5-0.5b --data data/math --out runs/dpo",
                "DPO on the MR preference pairs that `collab-env synth --out data/math` wrote",
            ),
            (
                "collab-env finetune sft --role user --data ../shared/data/simarena/doc_conversations.jsonl "
                "--model models/qwen2.5-0.5b --out runs/user",
                "a user model trained on people's turns (docs/train_user.md)",
            ),
        ),
    )
    p.add_argument("method", choices=("sft", "dpo"), help="sft: best-path turns; dpo: MR preference pairs")
    add_config_options(p, FinetuneOptions, defaults={"report_to": "tensorboard where installed, else none"})
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Train with TRL's SFTTrainer or DPOTrainer; print steps and the last loss."""
    options = FinetuneOptions(**config_kwargs(args, FinetuneOptions))
    trl_options: dict[str, Any] = {
        "max_steps": options.max_steps, "per_device_train_batch_size": options.batch_size,
        "save_steps": options.save_steps,
    }  # fmt: skip
    for key in ("learning_rate", "report_to", "max_length"):
        if getattr(options, key) is not None:
            trl_options[key] = getattr(options, key)
    args.resume_hint = None  # TRL keeps checkpoints in --out; a new run starts from --model
    if options.role == "user":
        return _run_user(args.method, options, trl_options, console)
    given = [f"--{k.replace('_', '-')}" for k in USER_ONLY if getattr(options, k) != getattr(DEFAULTS, k)]
    if given:
        raise ConfigError(f"{', '.join(given)}: only with --role user")
    from collab_env.agents import finetune

    trainer = getattr(finetune, args.method)(options.model, options.data, options.out, **trl_options)
    console.print(f"{args.method}: {_summary(trainer)}; wrote {escape(options.out)}")
    return 0


#: The options of a user model's training only, and the defaults they are compared with.
USER_ONLY = ("lora", "eval_share", "math_root")
DEFAULTS = FinetuneOptions(model="", data="", out="")


def _run_user(method: str, options: FinetuneOptions, trl_options: dict[str, Any], console: Console) -> int:
    """``--role user``: SFT on people's turns (collab_env.agents.user_finetune)."""
    if method != "sft":
        raise ConfigError(
            f"--role user trains with sft (people's turns have no preference pairs), not {method}"
        )
    from collab_env.agents.user_finetune import sft_user

    trainer = sft_user(
        options.model, options.data, options.out, eval_share=options.eval_share, lora=options.lora,
        math_root=options.math_root, **trl_options,
    )  # fmt: skip
    evaluated = trainer.eval_metrics.get("eval_loss")
    extra = f", eval loss {evaluated:.4f}" if evaluated is not None else ""
    dropped = f", {trainer.dropped} examples over --max-length left out" if trainer.dropped else ""
    console.print(
        f"sft --role user: {_summary(trainer)}{extra}{dropped}; wrote {escape(options.out)} "
        f"(serve it: --user llm --user.model hf:{escape(options.out)} --user.protocol roleplay)"
    )
    return 0


def _summary(trainer: Any) -> str:
    """``N steps, last loss X`` of a trained TRL trainer."""
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return f"{trainer.state.global_step} steps, last loss {losses[-1] if losses else 'n/a'}"
