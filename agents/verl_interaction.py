"""A verl multi-turn *interaction*: the env's user simulator and reward inside verl's rollouts.

verl (github.com/volcengine/verl) trains LLMs with PPO/GRPO across a Ray cluster, with vLLM or
SGLang generating. Its multi-turn rollout calls an interaction object after each assistant turn:
``start_interaction``, ``generate_response`` (the user's reply, whether to stop, the turn's
score), ``calculate_score`` and ``finalize_interaction``. :class:`CollabInteraction` implements
that protocol with a :class:`~collab_env.env.CollabEnv` per rollout, so verl's engine does the
distributed training and collab-env supplies the simulated user and R* (or MR). Episodes are
stepped on verl's own event loop with the env's async API (``reset_async``/``step_async``), so
the rollouts' user replies and MR futures are all in flight together, bounded only by each
endpoint's concurrency limit.

verl is not a dependency: the class follows the protocol by name (it subclasses verl's
``BaseInteraction`` when verl is installed), and is tested here without verl. Point verl's
``interaction_config_path`` at a YAML naming ``collab_env.agents.verl_interaction.CollabInteraction``
(see docs/training.md), and build the prompts with :func:`interaction_rows`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import gymnasium as gym

from collab_env.aio import reset_async, step_async
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError, ModelCallError
from collab_env.registration import check_env_id
from collab_env.wrappers import MultiturnAwareReward

try:  # pragma: no cover - verl is optional and heavy
    from verl.interactions.base import BaseInteraction as _Base
except ImportError:  # pragma: no cover

    class _Base:  # type: ignore[no-redef]
        def __init__(self, config: dict[str, Any]) -> None:
            self.config = config
            self.name = config.get("name", "collab")


class CollabInteraction(_Base):
    """verl's interaction protocol over collab-env episodes (one env per rollout instance).

    Config keys (verl passes the YAML's ``config`` mapping): ``env_id`` (required), ``name``
    (default ``"collab"``), ``reward`` (``"final"``: the turn score is 0 until the last turn,
    which scores R*; ``"turn"``: each turn scores the change of R*; ``"mr"``: each turn scores
    its multiturn-aware reward), and any :class:`~collab_env.config.EnvConfig` field
    (``max_turns``, ``split``, ``dataset``, ``user`` and ``judge`` as ``{kind, model, options}``,
    ``w_ext``, ``w_eng``, ``token_penalty``; yesterday's ``user_model``, ``base_url``,
    ``judge_model`` and ``model_options`` are read as aliases), so the env of the rollouts is
    exactly the one described, as everywhere else.

    With ``reward: mr``: ``window`` (default 2) and ``samples`` (default 3), verl's CollabLLM
    recipe; ``policy``, the agent spec that plays the simulated futures, which should be the
    policy under training as its rollout engine serves it (``openai:MODEL@URL`` of the vLLM or
    SGLang OpenAI-compatible server; required: futures played by another agent would value a
    response under someone else's behaviour). A future whose model call fails after its
    retries is lost: :meth:`generate_response` raises :class:`~collab_env.errors.ModelCallError`
    rather than hand verl a score of 0 for an unscored turn.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.name = config.get("name", "collab")
        try:
            check_env_id(str(config.get("env_id")))
        except ConfigError as exc:
            raise ConfigError(f"interaction config needs env_id, a registered id: {exc}") from exc
        if config.get("reward", "final") not in ("final", "turn", "mr"):
            raise ConfigError(f"interaction reward must be final, turn or mr, got {config['reward']!r}")
        if config.get("reward") == "mr" and not config.get("policy"):
            raise ConfigError(
                "interaction reward mr needs `policy`: the agent spec of the policy under training "
                "(e.g. openai:MODEL@http://localhost:8000/v1, the rollout engine's server)"
            )
        fields = {f.name for f in dataclasses.fields(EnvConfig)} | set(EnvConfig.CLI_ALIASES)
        unknown = set(config) - fields - {"name", "reward", "window", "samples", "policy", "env_id"}
        if unknown:
            raise ConfigError(
                f"unknown interaction config key(s) {sorted(unknown)}; EnvConfig fields: {sorted(fields)}"
            )
        env = {k: v for k, v in config.items() if k in fields}
        env["reward_mode"] = "turn" if config.get("reward") == "turn" else "final"
        self.env_config = EnvConfig.from_kwargs(**env)
        self._envs: dict[str, gym.Env] = {}

    async def start_interaction(self, instance_id: str | None = None, **kwargs: Any) -> str:
        """Start an episode; ``task_id`` and ``seed`` (from the row's interaction kwargs) pick it."""
        instance_id = instance_id or str(uuid.uuid4())
        env = await asyncio.to_thread(self._make_env)
        options = {"task_id": kwargs["task_id"]} if kwargs.get("task_id") else None
        await reset_async(env, seed=kwargs.get("seed"), options=options)
        self._envs[instance_id] = env
        return instance_id

    async def generate_response(
        self, instance_id: str, messages: list[dict[str, Any]], **kwargs: Any
    ) -> tuple[bool, str, float, dict[str, Any]]:
        """Step the episode with the last assistant message: (stop, user reply, turn score, info)."""
        env = self._env(instance_id)
        action = next((m["content"] for m in reversed(messages) if m["role"] == "assistant"), None)
        if action is None:
            raise ConfigError(f"interaction {instance_id}: no assistant message to respond to")
        obs, reward, terminated, truncated, info = await step_async(env, action)
        if "error" in info:
            raise ModelCallError(f"interaction {instance_id} lost its turn (not scored): {info['error']}")
        done = terminated or truncated
        extra = {"reward": info.get("reward", {}), "mr": info.get("mr"), "error": info.get("error")}
        return done, obs[-1]["content"] if obs[-1]["role"] == "user" else "", float(reward), extra

    async def calculate_score(self, instance_id: str | None = None, **kwargs: Any) -> float:
        """R* of the episode's conversation as it stands."""
        if instance_id is None:
            return 0.0
        return self._env(instance_id).unwrapped.conversation_reward().total

    async def finalize_interaction(self, instance_id: str | None = None, **kwargs: Any) -> None:
        """Release the episode."""
        if instance_id is not None:
            env = self._envs.pop(instance_id, None)
            if env is not None:
                env.close()

    def _env(self, instance_id: str) -> gym.Env:
        if instance_id not in self._envs:
            raise ConfigError(f"unknown interaction instance {instance_id!r}; call start_interaction first")
        return self._envs[instance_id]

    def _make_env(self) -> gym.Env:
        env = self.env_config.make()
        if self.config.get("reward") == "mr":
            from collab_env.agents.specs import build_agent

            policy = build_agent(self.config["policy"], env)
            env = MultiturnAwareReward(
                env, policy, window=self.config.get("window", 2), samples=self.config.get("samples", 3)
            )
        return env


def interaction_rows(env_id: str, n: int, split: str = "train", name: str = "collab") -> list[dict[str, Any]]:
    """verl dataset rows: the opening of ``n`` instances, with what starts their interaction.

    Write them with ``datasets.Dataset.from_list(rows).to_parquet(path)`` for verl's
    ``data.train_files``.
    """
    env = gym.make(env_id, split=split)
    rows = []
    for k in range(n):
        task_id = env.unwrapped.task.task_id(split, k)
        obs, _ = env.reset(seed=k, options={"task_id": task_id})
        rows.append({
            "prompt": obs, "data_source": f"collab_env/{env_id}",
            "extra_info": {"index": k, "interaction_kwargs": {"name": name, "task_id": task_id, "seed": k}},
        })  # fmt: skip
    return rows
