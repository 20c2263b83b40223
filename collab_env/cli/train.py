"""``collab-env train`` and ``collab-env rank``: conversation strategies and MR ranking.

Wired into :mod:`collab_env.cli` by :func:`add_commands`; Stable-Baselines3 is imported only when
``train`` runs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import gymnasium as gym
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from collab_env.errors import ConfigError
from collab_env.registration import check_env_id


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``train`` and ``rank`` on the ``collab-env`` subparsers."""
    from .train import REWARDS  # light: no SB3 import at module level below

    p = sub.add_parser("train", help="train a conversation strategy with SB3 PPO, then evaluate it")
    p.add_argument("--env", default="CollabDoc-v0", help="env id (default CollabDoc-v0)")
    p.add_argument("--reward", choices=REWARDS, default="mr", help="training reward (default mr)")
    p.add_argument("--window", type=int, default=1, help="MR's simulated turns; 0 is myopic (default 1)")
    p.add_argument("--samples", type=int, default=2, help="MR's futures per turn (default 2)")
    p.add_argument("--timesteps", type=int, default=4096, help="PPO steps in all (default 4096)")
    p.add_argument("--gamma", type=float, default=None, help="discount (default 0 for mr, else 0.99)")
    p.add_argument(
        "--acts", choices=("compact", "full"), default="compact", help="dialogue acts (default compact)"
    )
    p.add_argument("--n-envs", type=int, default=4, help="envs stepped together (default 4)")
    p.add_argument("--eval-episodes", type=int, default=50, help="test episodes at the end (default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--out", default=None, help="output directory (default runs/train-<date>-<time>)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("rank", help="sample K responses per turn from an agent and rank them by MR")
    _ranking_arguments(p)
    p.add_argument("--episodes", type=int, default=1, help="episodes (default 1)")
    p.add_argument("--split", choices=("train", "test"), default="test", help="task split (default test)")
    p.add_argument("--out", default=None, help="also write each ranked turn as a JSON line to this file")
    p.set_defaults(func=_cmd_rank)

    p = sub.add_parser("synth", help="write SFT and DPO data ranked by MR (TRL formats), with an audit trail")
    _ranking_arguments(p)
    p.add_argument("--episodes", type=int, default=10, help="episodes (default 10)")
    p.add_argument("--min-gap", type=float, default=0.05, help="smallest MR gap of a DPO pair (default 0.05)")
    p.add_argument("--out", required=True, help="output directory; an existing run there resumes")
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser("finetune", help="fine-tune a local checkpoint on synth data with TRL (sft or dpo)")
    p.add_argument("method", choices=("sft", "dpo"), help="sft: best-path turns; dpo: MR preference pairs")
    p.add_argument("--model", required=True, help="checkpoint directory to start from")
    p.add_argument("--data", required=True, help="the `collab-env synth` output directory")
    p.add_argument("--out", required=True, help="where the trained model goes")
    p.add_argument("--max-steps", type=int, default=-1, help="optimizer steps (default: one epoch)")
    p.add_argument("--learning-rate", type=float, default=None, help="learning rate (default: TRL's)")
    p.add_argument("--batch-size", type=int, default=8, help="per-device batch size (default 8)")
    p.set_defaults(func=_cmd_finetune)


def _ranking_arguments(p: argparse.ArgumentParser) -> None:
    """What rank and synth share: the env, the agent, and how candidates are sampled and scored."""
    p.add_argument("--env", default="CollabDoc-v0", help="env id (default CollabDoc-v0)")
    p.add_argument(
        "--agent", required=True, help="agent spec: openai:MODEL@BASE_URL, hf:PATH, module:function..."
    )
    p.add_argument("--candidates", type=int, default=4, help="responses sampled per turn (default 4)")
    p.add_argument("--window", type=int, default=2, help="MR's simulated turns (default 2)")
    p.add_argument("--samples", type=int, default=2, help="MR's futures per candidate (default 2)")
    p.add_argument(
        "--temperature", type=float, default=1.0, help="sampling temperature of a model agent (default 1)"
    )
    p.add_argument("--seed", type=int, default=0, help="episode k uses seed SEED + k (default 0)")


def _cmd_train(args: argparse.Namespace, console: Console) -> int:
    from .train import TrainConfig, train

    config = TrainConfig(
        env_id=check_env_id(args.env), reward=args.reward, window=args.window, samples=args.samples,
        timesteps=args.timesteps, seed=args.seed, gamma=args.gamma, acts=args.acts, n_envs=args.n_envs,
        eval_episodes=args.eval_episodes,
    )  # fmt: skip
    out = Path(args.out or time.strftime("runs/train-%Y%m%d-%H%M%S"))
    if (out / "model.zip").exists():
        raise ConfigError(f"{out} already holds a trained model; choose another --out")
    window = f", window {config.window}, {config.samples} samples" if config.reward == "mr" else ""
    console.print(f"training on {config.env_id}: reward {config.reward}{window}, gamma {config.discount}")
    result = train(config, out=out, progress=True)
    table = Table(
        "test split", "mean", title=f"{config.env_id} after {config.timesteps} steps ({result.seconds:.0f} s)"
    )
    for key, value in result.evaluation.items():
        table.add_row(key, f"{value:.3f}")
    console.print(table)
    console.print(f"wrote {escape(str(out))}: model.zip, curve.csv, evaluation.json, checkpoints/, tb/")
    return 0


def _cmd_rank(args: argparse.Namespace, console: Console) -> int:
    from collab_env.bench.specs import build_agent

    from .ranking import rank_episode

    env = gym.make(check_env_id(args.env), split=args.split)
    agent = build_agent(args.agent, env)
    if hasattr(agent, "sampling"):
        agent.sampling.setdefault("temperature", args.temperature)
    sink = open(args.out, "a") if args.out else None
    try:
        for k in range(args.episodes):
            for ranked in rank_episode(
                env, agent, args.candidates, args.window, args.samples, seed=args.seed + k
            ):
                _print_turn(console, ranked, k)
                if sink is not None:
                    sink.write(json.dumps({"episode": k, "seed": args.seed + k, **ranked.as_dict()}) + "\n")
                    sink.flush()
    finally:
        if sink is not None:
            sink.close()
    return 0


def _print_turn(console: Console, ranked, episode: int) -> None:
    table = Table("#", "MR", "±", "response", title=f"episode {episode}, turn {ranked.turn}")
    order = sorted(range(len(ranked.candidates)), key=lambda i: -ranked.scores[i].mean)
    for i in order:
        mark = " (played)" if i == ranked.best else ""
        preview = " ".join(ranked.candidates[i].split())[:90]
        table.add_row(
            f"{i}{mark}", f"{ranked.scores[i].mean:.3f}", f"{ranked.scores[i].std:.3f}", escape(preview)
        )
    console.print(table)


def _cmd_synth(args: argparse.Namespace, console: Console) -> int:
    from .synth import SynthConfig, synthesize

    config = SynthConfig(
        env_id=check_env_id(args.env), agent=args.agent, candidates=args.candidates, window=args.window,
        samples=args.samples, episodes=args.episodes, seed=args.seed, min_gap=args.min_gap,
        temperature=args.temperature,
    )  # fmt: skip
    counts = synthesize(config, args.out)
    written = ", ".join(f"{name} +{n}" for name, n in counts.items())
    console.print(f"wrote {escape(args.out)}: {written}")
    return 0


def _cmd_finetune(args: argparse.Namespace, console: Console) -> int:
    from . import finetune

    options = {"max_steps": args.max_steps, "per_device_train_batch_size": args.batch_size}
    if args.learning_rate is not None:
        options["learning_rate"] = args.learning_rate
    trainer = getattr(finetune, args.method)(args.model, args.data, args.out, **options)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    console.print(
        f"{args.method}: {trainer.state.global_step} steps, last loss {losses[-1] if losses else 'n/a'}; "
        f"wrote {escape(args.out)}"
    )
    return 0
