"""Train a conversation strategy with Stable-Baselines3 PPO (extra ``[train]``).

:func:`train` builds vectorised envs (``CollabEnv`` → optional :class:`MultiturnAwareReward` →
:class:`~collab_env.agents.sb3.DialogueActs` → :class:`~collab_env.agents.sb3.ConversationFeatures`),
runs PPO with a progress bar, TensorBoard logs and checkpoints, records a learning curve of the
episodes' R*, and evaluates the trained strategy on the test split. ``collab-env train`` is its
command line.

Three rewards:

- ``mr``: each turn is paid its multiturn-aware reward over ``window`` simulated turns, whose
  assistant turns are played by the policy being trained (``window=0`` is the myopic reward,
  the R* of the conversation as it stands); the paper's setting, with ``gamma=0``;
- ``final``: R* once, at the end (sparse; ordinary RL, ``gamma`` near 1);
- ``turn``: the change of R* at each turn (dense; sums to the final R*).
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from collab_env.config import EnvConfig
from collab_env.errors import ConfigError
from collab_env.fileio import atomic_write_text
from collab_env.rollout import run_episode
from collab_env.wrappers import MultiturnAwareReward

from .acts import COMPACT_ACTS, DraftRealiser, check_acts, default_acts
from .checkpoints import check_resume, curve_callback, make_callback, restore, write_config
from .sb3 import ConversationFeatures, ConversationFeaturizer, DialogueActs, PolicyAgent, find_wrapper

REWARDS = ("mr", "final", "turn")
#: Assistant turns of a training env unless its config says otherwise.
TRAIN_TURNS = 6


@dataclass
class TrainConfig:
    """What :func:`train` runs.

    Attributes:
        env: The env (an :class:`~collab_env.config.EnvConfig`, or a registered id for its
            defaults and 6 turns): user and judge models, endpoint, model options, data set,
            max turns, reward weights (``w_eng`` 0 leaves task metric and token cost); training
            sets its split and its reward mode (from ``reward``).
        reward: mr (each turn paid its multiturn-aware reward over ``window`` simulated turns),
            final (R* once, at the end) or turn (R*'s change each turn).
        window: MR's simulated assistant turns (``reward="mr"`` only; 0 is myopic; 2 is the
            README's and the ablation's setting).
        samples: MR's simulated futures per turn.
        timesteps: PPO environment steps (assistant turns) in all.
        seed: Seed of PPO, the envs and the futures.
        gamma: Discount (default: 0 with mr, each turn optimised on its own reward as the paper
            does; 0.99 with final and turn).
        acts: Dialogue acts; ``"compact"`` (propose, ask_missing, ask_open), ``"full"`` (also
            ``ask:<kind>`` per facet kind) or an explicit list.
        n_envs: Envs stepped together (in this process: MR's futures call the policy).
        n_steps: Steps per env between PPO updates.
        eval_episodes: Test-split episodes of the final evaluation (0: none).
        hash_dim: Buckets of the feature vector's bag of words.
        device: Torch device of the policy (``cpu``, ``cuda``, ``auto``).
    """

    env: EnvConfig | str = field(
        default_factory=lambda: EnvConfig(max_turns=TRAIN_TURNS),
        metadata={
            "group": "environment (the same options in every command)",
            "omit": ("split", "reward_mode"),
        },
    )
    reward: str = field(default="mr", metadata={"choices": REWARDS})
    window: int = 2
    samples: int = 2
    timesteps: int = 4096
    seed: int = 0
    gamma: float | None = None
    acts: str | Sequence[str] = "compact"
    n_envs: int = 4
    n_steps: int = 128
    eval_episodes: int = 50
    hash_dim: int = 32
    device: str = "cpu"

    def __post_init__(self) -> None:
        if isinstance(self.env, str):
            self.env = EnvConfig(self.env, max_turns=TRAIN_TURNS)
        if not isinstance(self.env, EnvConfig):
            raise ConfigError(f"env must be an EnvConfig or an env id, got {self.env!r}")
        if self.reward not in REWARDS:
            raise ConfigError(f"reward must be one of {REWARDS}, got {self.reward!r}")
        for name in ("timesteps", "n_envs", "n_steps", "samples"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.window < 0 or self.eval_episodes < 0:
            raise ConfigError(
                f"window and eval_episodes must be >= 0, got {self.window}, {self.eval_episodes}"
            )
        if self.gamma is not None and not 0 <= self.gamma <= 1:
            raise ConfigError(f"gamma must be in [0, 1], got {self.gamma}")
        check_device(self.device)

    def plan(self) -> StepPlan:
        """How PPO trains exactly ``timesteps`` steps: it trains whole rollouts of ``n_envs`` ×
        ``n_steps`` steps, so ``n_steps`` shrinks to fit a shorter run (64 steps on 4 envs: 16).

        >>> TrainConfig(timesteps=64, n_envs=4, n_steps=128).plan()
        StepPlan(n_steps=16, batch_size=64, timesteps=64, note='')
        >>> TrainConfig(timesteps=1030, n_envs=4, n_steps=128).plan().note
        'PPO trains whole rollouts of n_envs × n_steps = 4 × 128 steps: 1,536 steps, not 1,030 (give --timesteps a multiple of 512)'
        """
        per_env, rollout = -(-self.timesteps // self.n_envs), self.n_envs * self.n_steps
        if self.timesteps % rollout == 0:
            n_steps = self.n_steps
        elif self.timesteps < rollout:
            n_steps = per_env
        else:
            fits = [
                d
                for d in range(self.n_steps, self.n_steps // 2, -1)
                if self.timesteps % (self.n_envs * d) == 0
            ]
            n_steps = fits[0] if fits else self.n_steps
        size = self.n_envs * n_steps
        trained = -(-self.timesteps // size) * size
        note = ""
        if trained != self.timesteps:
            note = (
                f"PPO trains whole rollouts of n_envs × n_steps = {self.n_envs} × {n_steps} steps: "
                f"{trained:,} steps, not {self.timesteps:,} (give --timesteps a multiple of {size})"
            )
        batch = max(d for d in range(1, min(64, size) + 1) if size % d == 0)
        return StepPlan(n_steps, batch, trained, note)

    @property
    def discount(self) -> float:
        """The gamma PPO uses."""
        if self.gamma is not None:
            return self.gamma
        return 0.0 if self.reward == "mr" else 0.99

    def act_list(self) -> Sequence[str] | None:
        """The acts for :class:`DialogueActs` (``None``: every act of the family)."""
        if self.acts == "compact":
            return COMPACT_ACTS
        if self.acts == "full":
            return None
        if isinstance(self.acts, str):
            raise ConfigError(f"acts must be 'compact', 'full' or a list of acts, got {self.acts!r}")
        return tuple(self.acts)


@dataclass(frozen=True)
class StepPlan:
    """How a run's steps are laid out (see :meth:`TrainConfig.plan`).

    Attributes:
        n_steps: Steps per env between PPO updates.
        batch_size: PPO's minibatch (it divides the rollout).
        timesteps: Steps that will be trained.
        note: Why ``timesteps`` differs from the configured one (``""`` when it does not).
    """

    n_steps: int
    batch_size: int
    timesteps: int
    note: str = ""


@dataclass
class TrainResult:
    """What :func:`train` returns (and writes to its output directory).

    Attributes:
        config: The configuration.
        curve: One row per finished training episode: timestep, R*, task metric, questions.
        evaluation: Means over the test episodes (empty with ``eval_episodes=0``).
        seconds: Wall time of the training.
        model: The trained PPO model.
    """

    config: TrainConfig
    curve: list[dict[str, float]] = field(default_factory=list)
    evaluation: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    model: Any = None


def make_train_env(config: TrainConfig, split: str = "train") -> gym.Env:
    """One wrapped env of ``config``.

    With ``reward="mr"``, MR's simulated turns are played by a :class:`PolicyAgent` whose policy
    is unset (``find_wrapper(env, MultiturnAwareReward).policy``): :func:`train` sets it to the
    model being trained.
    """
    env = config.env.make(split=split, reward_mode="turn" if config.reward == "turn" else "final")
    task = env.unwrapped.task
    chosen = config.act_list()
    acts = check_acts(chosen if chosen is not None else default_acts(task), task)
    realiser = DraftRealiser(task.drafter)
    if config.reward == "mr":
        featurizer = ConversationFeaturizer(task, config.env.max_turns, config.hash_dim)
        future = PolicyAgent(None, featurizer, acts, realiser, deterministic=False)
        env = MultiturnAwareReward(
            env, future, window=config.window, samples=config.samples, seed=config.seed
        )
    return DialogueActs(ConversationFeatures(env, hash_dim=config.hash_dim), acts=acts, realiser=realiser)


def train(
    config: TrainConfig, out: str | Path | None = None, progress: bool = True, checkpoints: int = 4,
    resume: bool = False,
) -> TrainResult:  # fmt: skip
    """Train a strategy with PPO, then evaluate it on the test split.

    TensorBoard (``out/tb``) gets SB3's ``train/*`` scalars and, per rollout, ``rollout/ep_rew_mean``
    (the training reward of an episode) and the means of the finished conversations' task metric,
    R*, engagement, assistant tokens and questions (``rollout/task_metric``...).

    Args:
        config: What to run.
        out: Directory for ``model.zip``, ``config.json``, ``curve.csv``, ``evaluation.json``,
            TensorBoard logs (``tb/``) and checkpoints (``checkpoints/``); ``None`` writes nothing.
        progress: Show a progress bar.
        checkpoints: Checkpoints saved during training (with ``out``).
        resume: Continue from the latest checkpoint in ``out/checkpoints`` (its steps count).

    Returns:
        The curve, the evaluation and the model.

    Raises:
        ConfigError: for ``resume`` without ``out`` or without a checkpoint there.
        KeyboardInterrupt: after saving a checkpoint (with ``out``), so ``resume`` continues.
    """
    PPO, callbacks_module, DummyVecEnv = _sb3()
    out = Path(out) if out is not None else None
    if out is not None:
        check_resume(config, out) if resume else write_config(config, out)
    venv = DummyVecEnv([_env_thunk(config, rank) for rank in range(config.n_envs)])
    model, curve = _model(PPO, venv, config, out, resume), curve_callback()
    seconds = restore(model, venv, curve, latest_checkpoint(out)) if resume else 0.0
    if config.reward == "mr":  # MR's futures are played by the policy being trained
        for env in venv.envs:
            find_wrapper(env, MultiturnAwareReward).policy.policy = model
    rollout = config.n_envs * config.plan().n_steps
    every = max(1, config.timesteps // checkpoints // rollout) * rollout if checkpoints else 0
    saver = make_callback(out, every, curve, venv, seconds)
    try:
        with warnings.catch_warnings():  # SB3's bar is tqdm.rich, which warns that it is experimental
            warnings.filterwarnings("ignore", message="rich is experimental")
            model.learn(
                max(0, config.timesteps - model.num_timesteps),
                callback=callbacks_module.CallbackList([curve, saver]),
                progress_bar=progress, reset_num_timesteps=not resume,
            )  # fmt: skip
    except KeyboardInterrupt:
        saver.save()  # the state where the last rollout started: a resume is exact from there
        raise
    result = TrainResult(config, curve.rows, seconds=saver.seconds(), model=model)
    if config.eval_episodes:
        result.evaluation = evaluate(model, config)
    if out is not None:
        _write(result, out)
    return result


def check_device(device: str) -> None:
    """Refuse a torch device that this machine does not have (``cuda`` without CUDA, say).

    Raises:
        ConfigError: naming the device and what the machine has.
    """
    if device in ("cpu", "auto"):
        return
    import torch

    try:
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as exc:
        cuda = "CUDA available" if torch.cuda.is_available() else "no CUDA"
        raise ConfigError(
            f"device {device!r} is not available on this machine ({cuda}: {str(exc).splitlines()[0]}); "
            "use --device cpu or --device auto"
        ) from exc


def _env_thunk(config: TrainConfig, rank: int) -> Any:
    from stable_baselines3.common.monitor import Monitor  # episode returns: rollout/ep_rew_mean

    def thunk() -> gym.Env:
        env = Monitor(make_train_env(config))
        env.reset(seed=config.seed * 1000 + rank)
        return env

    return thunk


def _model(PPO: Any, venv: Any, config: TrainConfig, out: Path | None, resume: bool) -> Any:
    """A new PPO model, or the latest checkpoint of ``out`` with ``resume``."""
    tensorboard = str(out / "tb") if out is not None and _has_tensorboard() else None
    if resume:
        latest = latest_checkpoint(out)
        return PPO.load(latest, env=venv, device=config.device, tensorboard_log=tensorboard)
    plan = config.plan()
    return PPO(
        "MlpPolicy", venv, n_steps=plan.n_steps, batch_size=plan.batch_size,
        gamma=config.discount, seed=config.seed, verbose=0, device=config.device, tensorboard_log=tensorboard,
    )  # fmt: skip


def latest_checkpoint(out: Path | None) -> Path:
    """The checkpoint of ``out/checkpoints`` with the most steps.

    Raises:
        ConfigError: if there is none.
    """
    found = sorted(
        (int(p.stem.split("_")[1]), p) for p in Path(out or ".").glob("checkpoints/ppo_*_steps.zip")
    )
    if out is None or not found:
        raise ConfigError(f"--resume: no checkpoint in {out}/checkpoints to continue from")
    return found[-1][1]


def evaluate(model: Any, config: TrainConfig, episodes: int | None = None) -> dict[str, float]:
    """Mean task metric, R*, engagement, assistant tokens, questions and turns on the test split.

    The strategy acts greedily (its most likely act); episode ``i`` plays test instance ``i``
    with seed ``i``.
    """
    episodes = config.eval_episodes if episodes is None else episodes
    env = make_train_env(replace(config, reward="final"), split="test")
    return evaluate_agent(PolicyAgent.for_env(model, env, deterministic=True), env, episodes)


def evaluate_agent(agent: Any, env: gym.Env, episodes: int) -> dict[str, float]:
    """:func:`evaluate`'s means for any agent (a scripted baseline beside the policy).

    Args:
        agent: A ``messages -> str`` agent for ``env``'s task family.
        env: A test-split env (wrapped or not); episode ``i`` plays test instance ``i``, seed ``i``.
        episodes: Episodes to play.

    Returns:
        The means of task metric, R*, engagement, assistant tokens, questions and turns.
    """
    base = env.unwrapped
    rows = []
    for i in range(episodes):
        result = run_episode(base, agent, seed=i, task_id=base.task.task_id("test", i))
        reward = result.reward
        rows.append({
            "task_metric": reward["task_metric"], "r_star": reward["total"],
            "engagement": reward["engagement"], "assistant_tokens": reward["assistant_tokens"],
            "questions": result.questions_asked, "turns": result.turns,
        })  # fmt: skip
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]} if rows else {}


def _has_tensorboard() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def _write(result: TrainResult, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result.model.save(out / "model.zip")
    atomic_write_text(out / "evaluation.json", json.dumps(result.evaluation, indent=2) + "\n")
    with open(out / "curve.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["timestep", "r_star", "task_metric", "questions"])
        writer.writeheader()
        writer.writerows(result.curve)


def _sb3():
    """Stable-Baselines3's PPO, callbacks module and DummyVecEnv, with a clear error when missing."""
    try:
        from stable_baselines3 import PPO
        from stable_baselines3.common import callbacks
        from stable_baselines3.common.vec_env import DummyVecEnv
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("training needs Stable-Baselines3: pip install 'collab-env[train]'") from exc
    return PPO, callbacks, DummyVecEnv
