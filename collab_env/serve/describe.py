"""An env describes itself in the contracts' own files: ``openenv.yaml`` and NeMo Gym's ``manifest.yaml``.

``collab-env serve ENV --describe DIR`` writes both for the env the same flags would serve. Both
name the env, its version and what a trainer relies on: the reward's range and parts, whether a
seed replays an episode exactly, and the pins that make the env what it is (the user simulator,
the engagement judge, the task set, MR). ``openenv.yaml`` follows OpenEnv's manifest (its
``validation:`` block is what ``openenv validate`` parses); ``manifest.yaml`` is our own flat
description of the NeMo Gym resources server (docs/serving.md lists its keys).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import yaml

from collab_env.serve.runner import calls_a_model

DESCRIPTION = "collab-env: an assistant collaborates with a simulated user who holds a hidden goal"


def write_description(
    folder: str | Path, make_env: Callable[[], gym.Env], options: Any, name: str
) -> list[Path]:
    """Write ``openenv.yaml`` and ``manifest.yaml`` describing ``make_env``'s env into ``folder``.

    Args:
        folder: Where to write (created if missing).
        make_env: Builds the env (one is built, described and closed).
        options: The server's :class:`~collab_env.serve.app.ServeOptions`.
        name: The env id.

    Returns:
        The two files' paths.
    """
    env = make_env()
    try:
        facts = describe_env(env, options, name)
    finally:
        env.close()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    files = {"openenv.yaml": openenv_manifest(facts), "manifest.yaml": nemo_gym_manifest(facts, options)}
    for filename, content in files.items():
        text = f"# Written by `collab-env serve {name} --describe`; see docs/serving.md.\n"
        (out / filename).write_text(text + yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return [out / f for f in files]


def describe_env(env: gym.Env, options: Any, name: str) -> dict[str, Any]:
    """What the description files say about ``env``: pins, reward range and parts, determinism."""
    from collab_env import __version__
    from collab_env.rewards.core import IGNORED_COST

    base = env.unwrapped
    config, weights = getattr(base, "config", None), base.reward_config
    low, high = -weights.penalty_cap - weights.w_eng * IGNORED_COST, weights.w_ext + weights.w_eng
    mode = base.reward_mode if options.mr_window is None else "mr"
    if mode == "turn":  # each step pays R*'s change
        low, high = low - high, high - low
    high = high if high > low else low + 1.0  # a range must be increasing, even with every weight at 0
    user = config.user.model_config() if config is not None else None
    judge = config.judge.model_config() if config is not None else None
    split = base.split
    return {
        "name": name, "version": __version__, "description": f"{DESCRIPTION} ({base.task.name} task)",
        "family": base.task.name, "max_turns": base.max_turns, "max_message_chars": base.action_space.max_chars,
        "reward": {"range": [float(low), float(high)], "mode": mode,
                   "weights": {"task_metric": weights.w_ext, "token_penalty": -1.0, "engagement": weights.w_eng},
                   "token_penalty_per_1k_tokens": weights.token_penalty, "penalty_cap": weights.penalty_cap},
        "deterministic": not calls_a_model(env),
        "user": _model_pin(user, "scripted"), "judge": _model_pin(judge, "heuristic"),
        "task_set": {"family": base.task.name, "split": split, "size": base.task.size(split),
                     "dataset": config.dataset if config is not None else None},
        "mr": None if options.mr_window is None else
              {"window": options.mr_window, "samples": options.mr_samples, "policy": options.mr_policy},
        "env_config": _config_fields(config),
    }  # fmt: skip


def openenv_manifest(facts: dict[str, Any]) -> dict[str, Any]:
    """``openenv.yaml``: OpenEnv's manifest, its ``validation:`` block as ``openenv validate`` reads it."""
    reward = facts["reward"]
    llm_judged = facts["judge"]["model"] != "heuristic"
    width = reward["range"][1] - reward["range"][0]
    declared: dict[str, Any] = {"range": reward["range"], "oracle_tolerance": 0.0, "floor_margin": 0.1}
    if llm_judged:
        declared["variance_tolerance"] = round(0.1 * width, 6)
    task_set = facts["task_set"]
    validation: dict[str, Any] = {
        "reward": declared,
        "resources": {"cpu": 1.0, "memory_mb": 1024, "disk_mb": 512,
                      "episode_timeout_s": float(min(3600, facts["max_turns"] * 300))},
        "task_distribution": {"dataset_version": f"{task_set['dataset'] or 'builtin'}:{task_set['split']}"
                              f"@collab-env-{facts['version']}",
                              "generator_model": None if facts["user"]["model"] == "scripted" else facts["user"]["model"]},
        "capabilities": {"verifier": {"kind": "reward_channel"}, "llm_judged": llm_judged},
        "types": {"tags": ["collaboration", "multi-turn", "simulated-user", facts["family"]]},
    }  # fmt: skip
    if llm_judged:
        judge = facts["judge"]
        params = {k: judge[k] for k in ("temperature", "max_tokens") if judge.get(k) is not None}
        validation["judge"] = {"model": judge["model"], "version": judge.get("base_url") or "unpinned",
                               "params": params}  # fmt: skip
    return {
        "spec_version": 1, "name": facts["name"], "version": facts["version"], "description": facts["description"],
        "type": "space", "runtime": "fastapi", "port": 8000, "validation": validation,
        "collab_env": _pins(facts),
    }  # fmt: skip


def nemo_gym_manifest(facts: dict[str, Any], options: Any) -> dict[str, Any]:
    """``manifest.yaml``: the NeMo Gym resources server's profile, reward, determinism and sessions."""
    return {
        "name": facts["name"], "version": facts["version"], "description": facts["description"],
        "profile": "gymnasium",
        "endpoints": {"reset": "POST /reset", "step": "POST /step", "close": "POST /close"},
        "session_model": {"kind": "cookie", "cookie": "collab_env_session", "explicit_close": True,
                          "idle_timeout_s": options.idle_timeout_s, "max_sessions": options.max_sessions,
                          "max_sessions_per_client": options.max_sessions_per_client},
        "reward": {**facts["reward"], "lost_episode": "an error (HTTP 503, code lost), never a reward"},
        "determinism": {"deterministic": facts["deterministic"], "seeded_by": "reset's seed",
                        "reward_tolerance": 0.0 if facts["deterministic"] else None},
        "limits": {"max_turns": facts["max_turns"], "max_message_chars": facts["max_message_chars"],
                   "max_body_bytes": options.max_body_bytes},
        **_pins(facts),
    }  # fmt: skip


def _pins(facts: dict[str, Any]) -> dict[str, Any]:
    """The pins that make the env what it is."""
    keys = ("user", "judge", "task_set", "mr", "deterministic", "env_config")
    return {k: facts[k] for k in keys}


def _model_pin(model: Any, offline: str) -> dict[str, Any]:
    """A model's pin (name, endpoint, sampling), or ``{"model": offline}`` without one."""
    if model is None:
        return {"model": offline}
    from collab_env.llm.backends import parse_model

    pin = {k: getattr(model, k) for k in ("model", "temperature", "max_tokens")}
    parsed = parse_model(model.model)
    if parsed is not None and parsed[0] == "openai":  # the endpoint's model by its name, and where
        return {**pin, "model": parsed[1]["model"], "base_url": parsed[1]["url"]}
    return {**pin, "base_url": None}


def _config_fields(config: Any) -> dict[str, Any] | None:
    """The EnvConfig's own fields (what rebuilds the env), JSON- and YAML-ready."""
    if config is None:
        return None
    return config.as_dict()
