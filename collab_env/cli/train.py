"""``collab-env train``: train a conversation strategy with SB3 PPO, then evaluate it.

Options: every field of :class:`~collab_env.agents.train.TrainConfig`, its ``env`` flattened into
the environment's options (:class:`~collab_env.config.EnvConfig`'s: user and judge models,
endpoint, data set...; training sets the split and the reward mode itself).
Stable-Baselines3 is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from collab_env.cli.options import add_config_options, build_config, config_kwargs, examples
from collab_env.errors import ConfigError


@dataclass
class TrainRun:
    """Where a training run goes.

    Attributes:
        out: Output directory (default runs/train-<date>-<time>).
        resume: Continue the run in --out from its latest checkpoint.
    """

    out: str | None = None
    resume: bool = False


def _train_config_class() -> type:
    from collab_env.agents.train import TrainConfig

    return TrainConfig


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``train`` on the ``collab-env`` subparsers."""
    p = sub.add_parser(
        "train",
        help="train a conversation strategy with SB3 PPO, then evaluate it (extra [train])",
        **examples(
            (
                "collab-env train --env CollabDoc-v0 --reward mr --window 2 --w-eng 1",
                "4,096 PPO steps paid by MR over 2 simulated turns, then 50 test episodes",
            )
        ),
    )
    add_config_options(p, _train_config_class())
    add_config_options(p, TrainRun)
    return p


def run(args: argparse.Namespace, console: Console) -> int:
    """Train, print the evaluation, write the model, curve, checkpoints and TensorBoard logs."""
    from collab_env.agents.train import train
    from collab_env.cli.preflight import preflight

    TrainConfig = _train_config_class()
    given = config_kwargs(args, TrainConfig)
    if "," in given.get("acts", ""):  # an explicit list of acts: ask_missing,propose,...
        given["acts"] = [act.strip() for act in given["acts"].split(",") if act.strip()]
    config = build_config(TrainConfig, given)
    options = TrainRun(**config_kwargs(args, TrainRun))
    if options.resume and options.out is None:
        raise ConfigError("--resume needs the --out directory of the run to continue")
    out = Path(options.out or time.strftime("runs/train-%Y%m%d-%H%M%S"))
    if (out / "model.zip").exists():
        raise ConfigError(f"{out} already holds a trained model; choose another --out")
    preflight([config.env])
    args.resume_hint = f"collab-env train {_argv_hint(args)} --out {out} --resume"
    window = f", window {config.window}, {config.samples} samples" if config.reward == "mr" else ""
    console.print(f"training on {config.env.env_id}: reward {config.reward}{window}, gamma {config.discount}")
    plan = config.plan()
    if plan.note:
        console.print(f"[yellow]warning[/]: {escape(plan.note)}")
    elif plan.n_steps != config.n_steps:
        console.print(
            f"[yellow]warning[/]: n_steps {plan.n_steps} instead of {config.n_steps}, so that PPO's "
            f"rollouts of n_envs × n_steps steps make exactly {config.timesteps} steps"
        )
    result = train(config, out=out, progress=True, resume=options.resume)
    steps = result.model.num_timesteps
    print_evaluation(console, config, result.evaluation, steps, result.seconds)
    console.print(f"wrote {escape(str(out))}: model.zip, curve.csv, evaluation.json, checkpoints/, tb/")
    return 0


#: Fewer PPO steps than this train nothing worth reading (the learning tests' budget is 2,048).
SHORT_RUN = 2048
#: The scripted baselines evaluated beside the policy, on the same test episodes.
BASELINES = ("passive", "clarify")


def print_evaluation(
    console: Console, config: Any, evaluation: dict[str, float], steps: int, seconds: float
) -> None:
    """The policy's test means beside the scripted baselines', and a note when the run was short.

    Args:
        console: Where to print.
        config: The run's ``TrainConfig``.
        evaluation: The policy's means (``TrainResult.evaluation``).
        steps: PPO steps trained.
        seconds: Training time.
    """
    from collab_env.agents import make_agent
    from collab_env.agents.train import evaluate_agent, make_train_env

    title = f"{config.env.env_id} after {steps} steps ({seconds:.0f} s)"
    if not evaluation:
        console.print(f"{title}: no test evaluation (--eval-episodes 0)")
    else:
        env = make_train_env(replace(config, reward="final"), split="test")
        episodes = config.eval_episodes
        baselines = {name: evaluate_agent(make_agent(name, env), env, episodes) for name in BASELINES}
        table = Table("mean", "policy", *(f"{name} (scripted)" for name in BASELINES),
                      title=f"{title}, {episodes} test episodes")  # fmt: skip
        for key, value in evaluation.items():
            table.add_row(key, f"{value:.3f}", *(f"{baselines[name][key]:.3f}" for name in BASELINES))
        console.print(table)
    if steps < SHORT_RUN:
        console.print(
            f"[yellow]note[/]: {steps} steps is a smoke run, too short for the policy's figures to mean "
            f"much; the learning tests train {SHORT_RUN:,} steps and the README's ablation 4,096 per seed"
        )


def _argv_hint(args: argparse.Namespace) -> str:
    """The options given, as they would be typed again (for the resume hint)."""
    from collab_env.cli.options import flag

    TrainConfig = _train_config_class()
    given = config_kwargs(args, TrainConfig)
    given = {**{k: v for k, v in given.items() if k != "env"}, **given.get("env", {})}
    return " ".join(
        f"{flag(k)} {','.join(map(str, v)) if isinstance(v, list | tuple) else v}" for k, v in given.items()
    )
