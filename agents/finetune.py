"""Fine-tune a chat model on MR-ranked data with TRL (extra ``[train]``): SFT, DPO, and online GRPO.

- :func:`sft` runs TRL's ``SFTTrainer`` on ``sft.jsonl`` from ``collab-env synth``
  (prompt-completion: the loss covers the assistant's completion only, never the simulated
  user's turns);
- :func:`dpo` runs TRL's ``DPOTrainer`` on ``dpo.jsonl``;
- :func:`grpo` is the online route: TRL's ``GRPOTrainer`` samples responses to conversation
  states and :class:`MRRewardFunction` rewards each with its multiturn-aware reward, computed by
  replaying the state in the env and simulating the futures.

Each takes a checkpoint directory (a real model on a GPU, or the tiny random model of
:mod:`collab_env.testing.tiny_model` on a CPU, as the tests do) and writes the trained model to
``out``. Keyword arguments beyond the named ones go to the TRL config (``SFTConfig``...), so any
TRL option is reachable. The TRL versions these were written against: 1.x (see setup.cfg).

What they print: the training steps' bar and a line of losses per logging step, or nothing with
``progress=False``; never the bars of the steps around training (loading and saving the weights,
reading and tokenizing the data set, :mod:`collab_env.hf_progress`).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from collab_env.aio import gather, run_sync
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError
from collab_env.hf_progress import no_progress_bars
from collab_env.types import Agent, ChatMessage
from collab_env.wrappers import multiturn_aware_reward_async

logger = logging.getLogger(__name__)
#: Whose progress bars the fine-tuning functions turn off around training (collab_env.hf_progress).
_LIBRARIES = ("transformers", "datasets")


def sft(
    checkpoint: str | Path, data: str | Path, out: str | Path, progress: bool = True, **config: Any
) -> Any:
    """Supervised fine-tuning on the best-path turns; returns the trained TRL trainer.

    Args:
        checkpoint: The model to start from (a directory with weights and tokenizer).
        data: ``sft.jsonl``, or the ``collab-env synth`` directory holding it.
        out: Where checkpoints and the final model go.
        progress: Show the training steps' bar and losses.
        **config: ``trl.SFTConfig`` options (``max_steps``, ``learning_rate``...).
    """
    check_checkpoint(checkpoint)
    from trl import SFTConfig, SFTTrainer

    with no_progress_bars(*_LIBRARIES):
        dataset = _load(data, "sft.jsonl")
        check_chat_template(_tokenizer(checkpoint), dataset[0]["prompt"] + dataset[0]["completion"])
        args = trl_config(SFTConfig, out, progress, **config)
        return run_trainer(SFTTrainer(model=str(checkpoint), args=args, train_dataset=dataset), out)


def dpo(
    checkpoint: str | Path, data: str | Path, out: str | Path, progress: bool = True, **config: Any
) -> Any:
    """Offline DPO on the MR preference pairs; returns the trained TRL trainer.

    Args:
        checkpoint: The model to start from; it is also the frozen reference model.
        data: ``dpo.jsonl``, or the ``collab-env synth`` directory holding it.
        out: Where checkpoints and the final model go.
        progress: Show the training steps' bar and losses.
        **config: ``trl.DPOConfig`` options (``beta``, ``max_steps``...).
    """
    check_checkpoint(checkpoint)
    from trl import DPOConfig, DPOTrainer

    with no_progress_bars(*_LIBRARIES):
        dataset = _load(data, "dpo.jsonl")
        args = trl_config(DPOConfig, out, progress, **config)
        return run_trainer(DPOTrainer(model=str(checkpoint), args=args, train_dataset=dataset), out)


class MRRewardFunction:
    """A TRL reward function: the multiturn-aware reward of each sampled completion.

    The dataset's rows carry ``prompt`` (a conversation state ending with a user message),
    ``task_id`` and ``seed`` (the episode it comes from, as ``sft.jsonl`` records them); each
    completion is scored by rebuilding that state in the env ``env`` describes (the same user
    simulator, judge, data set and reward weights as the data was made with) and simulating
    ``samples`` futures of ``window`` turns played by ``policy``. The completions of one call
    are scored together: all their futures, of every group, run at once.

    Args:
        env: The :class:`~collab_env.config.EnvConfig` the conversations come from (an env id
            stands for its defaults: the scripted user and the offline judge).
        policy: Plays the simulated futures: an ``LLMAgent`` on an endpoint serving the policy
            being trained (the paper's setting), or a built-in agent offline.
        window: MR's simulated assistant turns.
        samples: MR's futures per completion.

    A completion whose futures were all lost (a model call failed after its retries, twice) gets
    ``None``, which TRL's GRPO leaves out of its group's baseline with no advantage (never a
    reward of 0); ``lost`` counts them, and each is logged.
    """

    def __init__(self, env: str | EnvConfig, policy: Agent, window: int = 1, samples: int = 1) -> None:
        self.config = env if isinstance(env, EnvConfig) else EnvConfig(env)
        self.policy, self.window, self.samples = policy, window, samples
        self.lost = 0
        self.__name__ = f"mr_w{window}"  # TRL logs each reward function under its name

    def __call__(
        self, prompts: list, completions: list, task_id: list[str], seed: list[int], **_: Any
    ) -> list[float | None]:
        """MR of each completion (conversational or plain text) given its prompt; ``None`` when lost.

        The completions of one prompt (GRPO's group) are scored as candidates of one MR call,
        with common random numbers: their differences are not simulator noise. Every group of
        the batch is scored at once on the async core, so a batch takes about as long as one
        group, bounded only by the endpoints' concurrency.
        """
        groups: dict[str, list[int]] = {}
        for i, (prompt, tid, s) in enumerate(zip(prompts, task_id, seed, strict=True)):
            groups.setdefault(json.dumps([prompt, tid, s], sort_keys=True), []).append(i)
        scored = run_sync(
            gather([self._group(prompts, completions, task_id, seed, m) for m in groups.values()])
        )
        rewards: list[float | None] = [None] * len(completions)
        for members, results in zip(groups.values(), scored, strict=True):
            for i, result in zip(members, results, strict=True):
                rewards[i] = result.mean
                if result.is_lost:
                    self.lost += 1
                    logger.warning("MR reward: completion %d of %s lost (%d so far): %s", i, task_id[i],
                                   self.lost, result.errors[0])  # fmt: skip
        return rewards

    async def _group(
        self, prompts: list, completions: list, task_id: list, seed: list, members: list[int]
    ) -> list:
        """The MR results of one group's completions (the candidates of one conversation state)."""
        first = members[0]
        return await multiturn_aware_reward_async(
            self.config, prompts[first], [_text(completions[i]) for i in members], self.policy, self.window,
            self.samples, task_id=task_id[first], env_seed=seed[first],
        )  # fmt: skip


def _text(completion: Any) -> str:
    return completion[-1]["content"] if isinstance(completion, list) else str(completion)


def grpo(
    checkpoint: str | Path,
    data: str | Path,
    out: str | Path,
    reward: MRRewardFunction,
    progress: bool = True,
    **config: Any,
) -> Any:
    """Online RL: GRPO on conversation states, each sampled response rewarded by its MR.

    Args:
        checkpoint: The model to train.
        data: A JSONL of conversation states with ``prompt``, ``task_id`` and ``seed`` (the
            ``sft.jsonl`` of a synth run serves; its completions are ignored).
        out: Where checkpoints and the final model go.
        reward: The MR reward function.
        progress: Show the training steps' bar and losses.
        **config: ``trl.GRPOConfig`` options (``num_generations``, ``max_completion_length``...).
    """
    check_checkpoint(checkpoint)
    from trl import GRPOConfig, GRPOTrainer

    with no_progress_bars(*_LIBRARIES):
        dataset = _load(data, "sft.jsonl").select_columns(["prompt", "task_id", "seed"])
        args = trl_config(GRPOConfig, out, progress, **config)
        trainer = GRPOTrainer(model=str(checkpoint), reward_funcs=[reward], args=args, train_dataset=dataset)
        return run_trainer(trainer, out)


def check_chat_template(tokenizer: Any, conversation: Sequence[ChatMessage]) -> None:
    """Check that the chat template never rewrites earlier turns.

    Multi-turn training assumes that the tokens of a conversation's prefix do not change when
    turns are added (templates that drop past reasoning, for example, break this). For each
    assistant turn i: the conversation before it, rendered with a generation prompt, must be a
    prefix of the conversation up to turn i, which must be a prefix of the whole conversation.

    Raises:
        ConfigError: naming the first assistant turn whose rendering later turns change.
    """
    render = tokenizer.apply_chat_template
    whole = render(list(conversation), tokenize=False)
    for i, message in enumerate(conversation):
        if message["role"] != "assistant":
            continue
        head = render(list(conversation[:i]), tokenize=False, add_generation_prompt=True)
        upto = render(list(conversation[: i + 1]), tokenize=False)
        if not (upto.startswith(head) and whole.startswith(upto)):
            raise ConfigError(
                f"the chat template renders the conversation up to assistant turn {i} differently once "
                "later turns are added: multi-turn training would learn from tokens the model never sees "
                "at inference; use a template that keeps past turns as they were"
            )


def _load(data: str | Path, name: str) -> Any:
    path = Path(data)
    if path.is_dir():
        path = path / name
    if not path.is_file():
        raise ConfigError(f"no training data at {path}; write it with `collab-env synth --out DIR`")
    if not any(line.strip() for line in path.open(encoding="utf-8")):
        raise ConfigError(
            f"{path} holds no examples (synth wrote none: see its warnings); rerun `collab-env synth` "
            "with more episodes, candidates or a sampling temperature"
        )
    import datasets

    return datasets.load_dataset("json", data_files=str(path), split="train")


def check_checkpoint(checkpoint: str | Path) -> None:
    """Fail before work for a model that cannot be loaded: no directory on disk, not in the
    Hugging Face cache, and no hub access configured (rather than a long wait on the hub and a
    traceback).

    Raises:
        ConfigError: naming the model and what to give instead.
    """
    path = Path(checkpoint)
    if path.is_dir():
        return
    if path.exists():
        raise ConfigError(f"model {str(checkpoint)!r} is a file; give the checkpoint's directory")
    why = _hub_unreachable(str(checkpoint))
    if why:
        raise ConfigError(
            f"model {str(checkpoint)!r}: no checkpoint directory there, and no Hugging Face model "
            f"of that name can be loaded ({why}); give a directory with the weights and tokenizer, "
            "or set HF_TOKEN (or run `hf auth login`) to download it from the hub"
        )


def _hub_unreachable(name: str) -> str:
    """Why ``name`` cannot come from the hub (``""``: it is cached, or hub access is configured)."""
    import os

    try:
        import huggingface_hub
        from huggingface_hub.errors import HFValidationError
    except ImportError:
        return "huggingface_hub is not installed"
    try:
        if isinstance(huggingface_hub.try_to_load_from_cache(name, "config.json"), str):
            return ""
    except HFValidationError:
        return "not a valid model id"
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return "not in the local cache, and HF_HUB_OFFLINE is set"
    if huggingface_hub.get_token() is None:
        return "not in the local cache, and no hub access is configured"
    return ""


def _tokenizer(checkpoint: str | Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(checkpoint))


def trl_config(config_class: type, out: str | Path, progress: bool = True, **options: Any) -> Any:
    """A TRL trainer's config (``SFTConfig``, ``DPOConfig``, ``GRPOConfig``...) with the defaults
    that :func:`sft`, :func:`dpo` and :func:`grpo` use, under ``options``: for a trainer of your
    own (``GRPOTrainer(environment_factory=...)``, docs/serving.md).

    Args:
        config_class: The TRL config class.
        out: Its ``output_dir``: where checkpoints and the final model go.
        progress: Show the training steps' bar (``disable_tqdm``).
        **options: The config's options; they win over the defaults.

    Raises:
        ConfigError: for a ``report_to`` whose package is not installed.
    """
    return config_class(**_defaults(out, options, progress))


def _defaults(out: str | Path, config: dict[str, Any], progress: bool = True) -> dict[str, Any]:
    """Our defaults under the caller's options.

    TensorBoard logs when it is installed (``report_to``: ``"tensorboard"``, ``"wandb"``, ``"none"``),
    a checkpoint every 500 steps in ``out`` (the last two kept), CPU when there is no GPU, the
    steps' bar as ``progress`` says (``disable_tqdm``).

    Raises:
        ConfigError: for a ``report_to`` whose package is not installed.
    """
    import importlib.util

    import torch

    defaults = {
        "output_dir": str(out), "logging_steps": 1, "save_strategy": "steps", "save_steps": 500,
        "save_total_limit": 2,
        "report_to": "tensorboard" if importlib.util.find_spec("tensorboard") else "none",
        "disable_tqdm": not progress,
    }  # fmt: skip
    if not torch.cuda.is_available():
        defaults["use_cpu"] = True
    options = {**defaults, **config}
    if _has_activation_checkpointing() and "activation_checkpointing" not in options:
        # TRL's default (checkpointing on) under transformers' current name: TRL sets the old
        # name, gradient_checkpointing, which transformers >= 5 warns about (a FutureWarning)
        options["activation_checkpointing"] = options.pop("gradient_checkpointing", True)
    for logger in [options["report_to"]] if isinstance(options["report_to"], str) else options["report_to"]:
        if logger not in ("none", "all") and importlib.util.find_spec(logger) is None:
            raise ConfigError(
                f"report_to {logger!r}: the {logger} package is not installed (pip install {logger})"
            )
    return options


def _has_activation_checkpointing() -> bool:
    """Whether ``TrainingArguments`` names checkpointing ``activation_checkpointing`` (transformers >= 5)."""
    import dataclasses

    from transformers import TrainingArguments

    return any(f.name == "activation_checkpointing" for f in dataclasses.fields(TrainingArguments))


def run_trainer(trainer: Any, out: str | Path | None = None) -> Any:
    """Train a TRL trainer as :func:`sft`, :func:`dpo` and :func:`grpo` do, and return it.

    Unlike a bare ``trainer.train()``: no deprecation warnings about what TRL's internals call on
    the model (transformers >= 5's ``gradient_checkpointing*`` names), and with ``disable_tqdm``
    no line of losses per logging step either; then the model is saved to ``out``, when given.

    Args:
        trainer: A TRL (or transformers) trainer, built with :func:`trl_config`'s config or any.
        out: Where to save the trained model (``None``: not saved).
    """
    if trainer.args.disable_tqdm:
        from transformers import PrinterCallback

        trainer.remove_callback(PrinterCallback)  # it prints each logging step's dict in the bar's place
    with warnings.catch_warnings():
        # transformers' Trainer and TRL call the model's gradient_checkpointing_enable/_disable and
        # is_gradient_checkpointing, which transformers >= 5 deprecates (FutureWarning): their
        # internals, not the caller's options, so not the caller's to fix
        warnings.filterwarnings("ignore", r"`(is_)?gradient_checkpointing\w*` is deprecated", FutureWarning)
        trainer.train()
    if out is not None:
        trainer.save_model(str(out))
    return trainer
