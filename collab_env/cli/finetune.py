"""``collab-env finetune``: fine-tune a local checkpoint on ``collab-env synth`` data with TRL."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape

from collab_env.cli.options import add_config_options, config_kwargs, examples


@dataclass
class FinetuneOptions:
    """A fine-tuning run (``sft``: best-path turns; ``dpo``: MR preference pairs).

    Attributes:
        model: Checkpoint directory to start from.
        data: The `collab-env synth` output directory.
        out: Where checkpoints and the trained model go.
        max_steps: Optimizer steps (-1: one epoch).
        learning_rate: Learning rate (default: TRL's trainer's own, 2e-5 for SFT, 1e-6 for DPO).
        batch_size: Per-device batch size.
        report_to: Where training logs go: tensorboard (in OUT/runs), wandb, or none.
        save_steps: A checkpoint every this many steps (in OUT/checkpoint-N, the last two kept).
    """

    model: str
    data: str
    out: str
    max_steps: int = -1
    learning_rate: float | None = None
    batch_size: int = 8
    report_to: str | None = field(default=None, metadata={"choices": ("tensorboard", "wandb", "none")})
    save_steps: int = 500


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``finetune`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "finetune",
        help="fine-tune a local checkpoint on synth data with TRL (sft or dpo; extra [train])",
        **examples(
            (
                "collab-env finetune dpo --model models/qwen2.5-0.5b --data data/math --out runs/dpo",
                "DPO on the MR preference pairs that `collab-env synth --out data/math` wrote",
            )
        ),
    )
    p.add_argument("method", choices=("sft", "dpo"), help="sft: best-path turns; dpo: MR preference pairs")
    add_config_options(p, FinetuneOptions, defaults={"report_to": "tensorboard where installed, else none"})
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Train with TRL's SFTTrainer or DPOTrainer; print steps and the last loss."""
    from collab_env.agents import finetune

    options = FinetuneOptions(**config_kwargs(args, FinetuneOptions))
    trl_options = {
        "max_steps": options.max_steps, "per_device_train_batch_size": options.batch_size,
        "save_steps": options.save_steps,
    }  # fmt: skip
    if options.learning_rate is not None:
        trl_options["learning_rate"] = options.learning_rate
    if options.report_to is not None:
        trl_options["report_to"] = options.report_to
    args.resume_hint = None  # TRL keeps checkpoints in --out; a new run starts from --model
    trainer = getattr(finetune, args.method)(options.model, options.data, options.out, **trl_options)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    console.print(
        f"{args.method}: {trainer.state.global_step} steps, last loss {losses[-1] if losses else 'n/a'}; "
        f"wrote {escape(options.out)}"
    )
    return 0
