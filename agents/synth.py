"""Training data ranked by the multiturn-aware reward: SFT conversations and DPO pairs.

:func:`synthesize` plays episodes with :func:`~collab_env.agents.ranking.rank_episode`: at each
assistant turn it samples K candidates, scores them by MR and continues with the best. It writes,
in the output directory:

- ``sft.jsonl``: one example per assistant turn of the best path, in TRL's conversational
  prompt-completion format, ``{"prompt": [messages so far], "completion": [the best response]}``
  (TRL's ``SFTTrainer`` then computes the loss on the completion only: the simulated user's
  turns never enter the loss);
- ``dpo.jsonl``: ``{"prompt": [...], "chosen": [best], "rejected": [worst]}`` in TRL's
  conversational preference format, only where the MR gap exceeds ``min_gap`` and twice its
  standard error (the paired differences of the candidates' futures, which share user seeds);
- ``audit.jsonl``: every ranked turn with every candidate's MR, per-future scores, user seeds and
  the simulated futures' transcripts;
- ``episodes.jsonl``: one line per finished episode (what a resumed run skips).

Each file is append-only JSON Lines: a killed run loses at most the episode in progress, and
rerunning with the same output directory resumes it. Examples are deduplicated across the run.
Every line carries ``env_id``, ``task_id``, ``seed`` and ``turn``, so that any example can be
traced to its audit record and replayed.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import gymnasium as gym
from rich.progress import Progress

from collab_env.aio import gather, is_model_backed, run_sync
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError, ModelCallError
from collab_env.executors import concurrency_of
from collab_env.fileio import atomic_write_text
from collab_env.jsonl import append_jsonl, cut_torn_line, read_jsonl
from collab_env.types import Agent

from .ranking import RankedTurn, rank_episode_async

FILES = ("sft.jsonl", "dpo.jsonl", "audit.jsonl", "episodes.jsonl")


@dataclass
class SynthConfig:
    """What :func:`synthesize` runs.

    Attributes:
        env: The env (an :class:`~collab_env.config.EnvConfig`, or a registered id for its
            defaults): split, user and judge models, endpoint, model options, data set, reward.
        agent: The agent spec (``openai:MODEL@URL``, ``hf:PATH``, a built-in or ``module:function``).
        candidates: Responses sampled per turn.
        window: MR's simulated assistant turns after each candidate.
        samples: MR's futures per candidate.
        episodes: Episodes to play; episode k uses seed ``seed + k`` and train instance k.
        seed: First seed.
        min_gap: Smallest MR gap between chosen and rejected kept as a DPO pair.
        temperature: Sampling temperature of a model agent (candidates must differ).
        agent_options: KEY=VALUE options of a model agent's model (--agent.KEY VALUE):
            max_tokens, timeout_s, concurrency, max_retries or cache.
    """

    env: EnvConfig | str = field(
        metadata={"group": "environment (the same options in every command)", "required": ("env_id",)}
    )
    agent: str
    candidates: int = 4
    window: int = 2
    samples: int = 2
    episodes: int = 10
    seed: int = 0
    min_gap: float = 0.05
    temperature: float = 1.0
    agent_options: list[str] = field(default_factory=list, metadata={"metavar": "KEY=VALUE"})

    def __post_init__(self) -> None:
        if isinstance(self.env, str):
            self.env = EnvConfig(self.env)
        if not isinstance(self.env, EnvConfig):
            raise ConfigError(f"env must be an EnvConfig or an env id, got {self.env!r}")
        if any(
            o.strip().startswith("temperature") for o in self.agent_options
        ):  # one knob: candidates sample at temperature
            raise ConfigError(
                "the agent's candidates are sampled at temperature (--temperature); drop the model "
                "option agent.temperature (--agent.temperature)"
            )
        for name in ("candidates", "samples", "episodes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.window < 0 or self.min_gap < 0:
            raise ConfigError(f"window and min_gap must be >= 0, got {self.window} and {self.min_gap}")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields, ``env`` as :meth:`EnvConfig.as_dict` (``config.json``'s)."""
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "env": self.env.as_dict()}


def synthesize(
    config: SynthConfig, out: str | Path, agent: Agent | None = None,
    progress: bool = True,
) -> dict[str, int]:  # fmt: skip
    """Play the episodes, write the data files, and return how many lines each file gained.

    A turn whose candidates' futures were all lost gives no SFT or DPO example; it is audited
    (``"lost": true``) and counted in the returned ``lost_turns``.

    Args:
        config: What to run.
        out: Output directory; if it holds a run of the same configuration, that run resumes.
        agent: The agent itself, instead of building ``config.agent`` from its spec.
        progress: Show a progress bar.

    Raises:
        ConfigError: if ``out`` holds a run of another configuration.
        ModelCallError: if a model call fails after its retries (finished episodes are kept).
    """
    out = Path(out)
    done, seen = _prepare(out, config)
    env = config.env.make()
    if agent is None:
        agent = _build_agent(config, env)
    todo = [k for k in range(config.episodes) if k not in done]
    counts = {**dict.fromkeys(FILES, 0), "lost_turns": 0}
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"synth {config.env.env_id}", total=config.episodes, completed=len(done))
        chunk = _in_flight(agent, config)
        for start in range(0, len(todo), chunk):
            ks = todo[start : start + chunk]
            envs = [env] if len(ks) == 1 else [config.env.make() for _ in ks]
            ranked = run_sync(gather([_ranked(e, agent, config, k) for e, k in zip(envs, ks, strict=True)]))
            for k, turns in zip(ks, ranked, strict=True):  # written in episode order, as a serial run
                if isinstance(turns, BaseException):
                    raise turns
                lines = _episode(env, config, k, turns, seen)
                for name, records in lines.items():  # episodes.jsonl last: it marks the episode done
                    append_jsonl(out / name, records)
                    counts[name] += len(records)
                counts["lost_turns"] += sum(bool(r.get("lost")) for r in lines["audit.jsonl"])
                bar.advance(task)
    return counts


def _in_flight(agent: Any, config: SynthConfig) -> int:
    """Episodes ranked at once: one for a scripted or stateful agent, else as many as keep the
    agent's endpoint busy (its concurrency over the futures of one turn, N·S)."""
    if callable(getattr(agent, "reset", None)) or not is_model_backed(agent):
        return 1
    return max(1, concurrency_of(agent) // (config.candidates * config.samples))


async def _ranked(env: gym.Env, agent: Any, config: SynthConfig, k: int) -> list[RankedTurn] | BaseException:
    """Every ranked turn of episode ``k`` (or the model error that ended it)."""
    seed, task_id = config.seed + k, env.unwrapped.task.task_id(config.env.split, k)
    turns: list[RankedTurn] = []
    try:
        async for ranked in rank_episode_async(env, agent, config.candidates, config.window, config.samples,
                                               seed=seed, task_id=task_id, keep_futures=True):  # fmt: skip
            turns.append(ranked)
    except ModelCallError as exc:
        return exc
    return turns


def diagnose(out: str | Path) -> list[str]:
    """Warnings about a synth run's data: turns whose candidates were all identical, no DPO pair.

    Args:
        out: The run's output directory.

    Returns:
        One line per problem (empty when the data looks usable).
    """
    out = Path(out)
    audit = read_jsonl(out / "audit.jsonl") if (out / "audit.jsonl").exists() else []
    pairs = len(read_jsonl(out / "dpo.jsonl")) if (out / "dpo.jsonl").exists() else 0
    same = sum(len({c["text"] for c in turn["candidates"]}) == 1 for turn in audit)
    warnings = []
    if same:
        warnings.append(
            f"{same} of {len(audit)} turns had identical candidates: the agent is deterministic "
            "(raise --temperature, or use a model agent); those turns give no preference pair"
        )
    if audit and not pairs:
        warnings.append(
            f"wrote 0 DPO pairs from {len(audit)} turns: no candidate gap exceeded --min-gap and its "
            "noise; `collab-env finetune dpo` needs pairs (more --samples, --candidates or episodes)"
        )
    return warnings


def dpo_pair_kept(ranked: RankedTurn, min_gap: float) -> bool:
    """Whether a turn's best and worst candidates make a preference pair worth training on.

    The gap must exceed ``min_gap`` and twice the standard error of the paired differences of
    their futures' R* (with one future per candidate there is no error estimate: ``min_gap``
    alone decides).
    """
    if ranked.lost or ranked.best == ranked.worst or ranked.gap <= min_gap:
        return False
    best, worst = ranked.scores[ranked.best], ranked.scores[ranked.worst]  # type: ignore[index]
    worse = dict(zip(worst.kept, worst.scores, strict=True))  # futures pair by sample (shared user seed)
    diffs = [b - worse[k] for k, b in zip(best.kept, best.scores, strict=True) if k in worse]
    if len(diffs) < 2:
        return True
    return ranked.gap > 2 * statistics.stdev(diffs) / len(diffs) ** 0.5


def _episode(
    env: gym.Env, config: SynthConfig, k: int, turns: list[RankedTurn], seen: set[str]
) -> dict[str, list]:
    """The data lines of episode ``k`` from its ranked turns (``seen``: the examples already written)."""
    seed, task_id = config.seed + k, env.unwrapped.task.task_id(config.env.split, k)
    lines: dict[str, list] = {name: [] for name in FILES}
    for ranked in turns:
        tag = {"env_id": config.env.env_id, "task_id": task_id, "seed": seed, "turn": ranked.turn}
        if ranked.lost:  # every candidate's futures lost: no example, counted in the audit
            if _fresh(tag, seen):
                lines["audit.jsonl"].append({**tag, **ranked.as_dict()})
            continue
        prompt, best = ranked.conversation, ranked.candidates[ranked.best]  # type: ignore[index]
        sft = {"prompt": prompt, "completion": [{"role": "assistant", "content": best}]}
        if _fresh(sft, seen):
            lines["sft.jsonl"].append({**sft, **tag})
        if dpo_pair_kept(ranked, config.min_gap):
            worst = ranked.candidates[ranked.worst]  # type: ignore[index]
            pair = {"prompt": prompt, "chosen": [{"role": "assistant", "content": best}],
                    "rejected": [{"role": "assistant", "content": worst}]}  # fmt: skip
            if _fresh(pair, seen):
                lines["dpo.jsonl"].append({**pair, **tag, "gap": ranked.gap})
        if _fresh(tag, seen):  # a resumed episode's turns already audited are not repeated
            lines["audit.jsonl"].append({**tag, **ranked.as_dict()})
    lines["episodes.jsonl"].append({"episode": k, "task_id": task_id, "seed": seed})
    return lines


def _fresh(example: dict, seen: set[str]) -> bool:
    digest = _digest(example)
    if digest in seen:
        return False
    seen.add(digest)
    return True


def _digest(example: dict) -> str:
    fields = ("prompt", "completion", "chosen", "rejected")
    core = {k: example[k] for k in fields if k in example} or {
        k: example[k] for k in ("task_id", "seed", "turn")
    }
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


def _prepare(out: Path, config: SynthConfig) -> tuple[set[int], set[str]]:
    """Start or resume a run in ``out``: (finished episodes, digests of the examples written)."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / "config.json"
    wanted = {k: v for k, v in config.as_dict().items() if k != "episodes"}
    if stamp.exists():
        previous = {k: v for k, v in upgrade_stamp(json.loads(stamp.read_text())).items() if k != "episodes"}
        if previous != wanted:
            differ = sorted(k for k in wanted if previous.get(k) != wanted[k])
            raise ConfigError(
                f"{out} holds a synth run of another configuration (differs in: {', '.join(differ)})"
            )
    atomic_write_text(stamp, json.dumps(config.as_dict(), indent=2) + "\n")
    done: set[int] = set()
    seen: set[str] = set()
    for name in FILES:
        path = out / name
        if not path.exists():
            continue
        cut_torn_line(path)
        for record in read_jsonl(path):
            if name == "episodes.jsonl":
                done.add(record["episode"])
            else:
                seen.add(_digest(record))
    return done, seen


def upgrade_stamp(stamp: dict[str, Any]) -> dict[str, Any]:
    """A run's ``config.json`` in today's shape: one written before ``env`` was nested (``env_id``,
    ``split`` and ``env_options`` at the top) has them moved into ``env``, so that the run resumes."""
    if "env" in stamp or "env_id" not in stamp:
        return stamp
    old = {k: v for k, v in stamp.items() if k not in ("env_id", "split", "env_options")}
    env = EnvConfig.from_kwargs(
        env_id=stamp["env_id"], split=stamp.get("split", "train"), **stamp.get("env_options", {})
    )
    return {**old, "env": env.as_dict()}


def _build_agent(config: SynthConfig, env: Any) -> Any:
    from collab_env.agents.specs import build_agent

    agent = build_agent(config.agent, env, config.agent_options)
    if hasattr(agent, "sampling"):
        agent.sampling.setdefault("temperature", config.temperature)
    return agent
