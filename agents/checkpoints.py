"""Checkpoints of a training run that resume it exactly, and the check that a resume is the same run.

A checkpoint is taken where a PPO rollout starts (the rollout buffer is empty there) and holds
everything the rest of the run depends on: the model and its optimizer (``ppo_<steps>_steps.zip``,
SB3's format) and, beside it (``ppo_<steps>_steps.state.pkl``), the envs in the middle of their
episodes, PPO's last observations, the random generators of torch, numpy and ``random``, the
learning curve so far and the seconds trained. A run resumed from it goes on as if it had not
stopped: the same curve (from step 0), the same checkpoints, the time of both parts.

``config.json`` is written when a run starts; a resume whose settings differ from it is refused,
naming each setting (only ``device`` and ``eval_episodes`` may change: they change no step).
The learning-curve callback lives here too: its rows are part of a checkpoint.
"""

from __future__ import annotations

import json
import pickle
import random
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from collab_env.errors import ConfigError
from collab_env.fileio import atomic_path, atomic_write_text
from collab_env.wrappers import MultiturnAwareReward

from .sb3 import find_wrapper

#: Settings a resume may change: they change no training step.
MAY_CHANGE = ("device", "eval_episodes")


def config_record(config: Any) -> dict[str, Any]:
    """The JSON-ready settings of a :class:`~collab_env.agents.train.TrainConfig` (``env`` as
    :meth:`~collab_env.config.EnvConfig.as_dict`)."""
    record = {f.name: getattr(config, f.name) for f in fields(config)}
    return json.loads(json.dumps({**record, "env": config.env.as_dict()}, default=list))


def upgrade_record(saved: dict[str, Any]) -> dict[str, Any]:
    """A run's ``config.json`` in today's shape: one written before ``env`` was nested
    (``env_id``, ``max_turns``, ``w_eng`` and ``env_options`` at the top) has them moved into
    ``env``, so that the run resumes."""
    if "env" in saved or "env_id" not in saved:
        return saved
    from collab_env.config import EnvConfig

    moved = ("env_id", "max_turns", "w_eng", "env_options")
    env = EnvConfig.from_kwargs(
        env_id=saved["env_id"], max_turns=saved.get("max_turns", 6), w_eng=saved.get("w_eng"),
        **saved.get("env_options", {}),
    )  # fmt: skip
    return {**{k: v for k, v in saved.items() if k not in moved}, "env": env.as_dict()}


def write_config(config: Any, out: Path) -> None:
    """Write ``out/config.json`` (at the start of a run, so an interrupted run has it)."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.json", json.dumps(config_record(config), indent=2) + "\n")


def check_resume(config: Any, out: Path) -> None:
    """Refuse to resume the run in ``out`` with other settings.

    Raises:
        ConfigError: naming each setting that differs from ``out/config.json`` (with both values).
    """
    path = out / "config.json"
    if not path.exists():
        return  # a run from before config.json was written first: nothing to check against
    saved, now = _flat(upgrade_record(json.loads(path.read_text()))), _flat(config_record(config))
    differ = [k for k in now if k not in MAY_CHANGE and saved.get(k) != now[k]]
    if differ:
        what = "; ".join(f"{k}: {saved.get(k)!r} in the run, {now[k]!r} now" for k in differ)
        raise ConfigError(
            f"--resume: {out} was trained with other settings ({what}); resume with the run's "
            "settings, or choose another --out"
        )


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """``{"env": {"max_turns": 6}, ...}`` as ``{"env.max_turns": 6, ...}``: each setting by its name."""
    flat: dict[str, Any] = {}
    for name, value in record.items():
        flat.update({f"env.{k}": v for k, v in value.items()} if name == "env" else {name: value})
    return flat


def make_callback(out: Path | None, every: int, curve: Any, venv: Any, seconds: float = 0.0) -> Any:
    """An SB3 callback that takes exact checkpoints where rollouts start.

    Args:
        out: Run directory (``None``: checkpoints stay in memory, for nothing).
        every: Steps between checkpoints written to ``out/checkpoints`` (0: none).
        curve: The learning-curve callback (its rows and counters are part of a checkpoint).
        venv: The vectorised envs being trained on.
        seconds: Seconds trained before this part of the run (a resumed run's).
    """
    from stable_baselines3.common.callbacks import BaseCallback

    class ExactCheckpoints(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.latest: tuple[bytes, int] | None = None  # the state where the last rollout started
            self.start = time.perf_counter()

        def _on_rollout_start(self) -> None:
            self.latest = (_state(self.model, venv, curve, self.seconds()), self.num_timesteps)
            if out is not None and every and self.num_timesteps and self.num_timesteps % every == 0:
                self.save()

        def _on_step(self) -> bool:
            return True

        def seconds(self) -> float:
            return seconds + time.perf_counter() - self.start

        def save(self) -> None:
            """Write the state where the last rollout started (what Ctrl-C keeps)."""
            if out is None or self.latest is None:
                return
            state, steps = self.latest
            folder = out / "checkpoints"
            folder.mkdir(parents=True, exist_ok=True)
            _write_bytes(folder / f"ppo_{steps}_steps.state.pkl", state)
            model_state = pickle.loads(state)["model"]
            _write_bytes(folder / f"ppo_{steps}_steps.zip", model_state)

    return ExactCheckpoints()


def _write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _state(model: Any, venv: Any, curve: Any, seconds: float) -> bytes:
    """Everything the rest of the run depends on, pickled (the MR futures' policy left out)."""
    import io

    import torch

    buffer = io.BytesIO()
    model.save(buffer)
    policies = _mr_wrappers(venv)
    for wrapper in policies:
        wrapper.policy.policy = None
    try:
        return pickle.dumps({
            "model": buffer.getvalue(), "venv": venv.__dict__, "last_obs": model._last_obs,
            "last_episode_starts": model._last_episode_starts, "ep_info_buffer": model.ep_info_buffer,
            "ep_success_buffer": model.ep_success_buffer, "rng": (torch.get_rng_state(),
            np.random.get_state(), random.getstate()), "curve": (curve.rows, curve._questions),
            "seconds": seconds,
        })  # fmt: skip
    finally:
        for wrapper in policies:
            wrapper.policy.policy = model


def _mr_wrappers(venv: Any) -> list[MultiturnAwareReward]:
    """The MR wrappers of the envs (none for the ``final`` and ``turn`` rewards)."""
    try:
        return [find_wrapper(env, MultiturnAwareReward) for env in venv.envs]
    except ConfigError:
        return []


def restore(model: Any, venv: Any, curve: Any, path: Path) -> float:
    """Put the run back where the checkpoint ``path`` (``ppo_<n>_steps.zip``) was taken.

    Returns:
        The seconds trained up to it (0 for a checkpoint without its state file: the model only).
    """
    import torch

    state_path = path.with_name(path.stem + ".state.pkl")
    if not state_path.exists():
        return 0.0
    state = pickle.loads(state_path.read_bytes())
    venv.__dict__.update(state["venv"])
    model.env = venv
    model._last_obs, model._last_episode_starts = state["last_obs"], state["last_episode_starts"]
    model.ep_info_buffer, model.ep_success_buffer = state["ep_info_buffer"], state["ep_success_buffer"]
    torch_rng, numpy_rng, python_rng = state["rng"]
    torch.set_rng_state(torch_rng)
    np.random.set_state(numpy_rng)
    random.setstate(python_rng)
    curve.rows, curve._questions = state["curve"]
    return float(state["seconds"])


def curve_callback() -> Any:
    """An SB3 callback whose ``rows`` record each finished training episode.

    Each row: the timestep, and the finished conversation's R*, task metric and questions asked
    (ask acts). The training reward differs between reward modes; R* of the finished
    conversation is what every mode is after, so learning curves compare on it.
    """
    from stable_baselines3.common import callbacks

    class CurveCallback(callbacks.BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[dict[str, float]] = []
            self._questions: list[int] = []
            self.lost = 0

        def _on_step(self) -> bool:
            infos, dones = self.locals["infos"], self.locals["dones"]
            if len(self._questions) != len(infos):
                self._questions = [0] * len(infos)
            for i, (info, done) in enumerate(zip(infos, dones, strict=True)):
                if "error" in info:  # a lost step (MR's futures all lost, or the user's model)
                    self.lost += 1
                    self.logger.record("rollout/lost_steps", self.lost)
                    leave_out(self.locals, i)
                self._questions[i] += info.get("act", "").startswith("ask")
                if done and "reward" in info:
                    reward = info["reward"]
                    self.rows.append({
                        "timestep": self.num_timesteps, "r_star": reward["total"],
                        "task_metric": reward["task_metric"], "questions": self._questions[i],
                    })  # fmt: skip
                    for name, value in (
                        ("task_metric", reward["task_metric"]), ("r_star", reward["total"]),
                        ("engagement", reward["engagement"]), ("assistant_tokens", reward["assistant_tokens"]),
                        ("questions", self._questions[i]),
                    ):  # fmt: skip
                        self.logger.record_mean(f"rollout/{name}", value)
                    self._questions[i] = 0
            return True

    return CurveCallback()


def leave_out(rollout: dict[str, Any], i: int) -> None:
    """Make env ``i``'s lost step of a PPO rollout carry no signal: its reward is not a 0.

    Called from a callback's ``on_step``, before SB3 stores the step: the reward becomes the
    value the critic predicted for that state, and the step is treated as terminal (no
    bootstrap from the state after it), so its TD error, and its share of every earlier
    step's advantage, is zero. What the policy did there neither gains nor loses.
    """
    values = rollout["values"]
    rollout["rewards"][i] = float(values[i].item() if hasattr(values[i], "item") else values[i])
    rollout["infos"][i]["TimeLimit.truncated"] = False


__all__ = [
    "MAY_CHANGE",
    "check_resume",
    "config_record",
    "curve_callback",
    "leave_out",
    "make_callback",
    "restore",
    "write_config",
]
