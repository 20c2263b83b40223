"""Which way MR points where a question is needed: the family drafter's question against a premature answer.

For each of ``instances`` test instances of each env, at the opening turn, where the instance has
hidden facets (the opening leaves part of the hidden goal unknown, so a question is needed), two
candidates are scored by MR (:func:`~collab_env.wrappers.multiturn_aware_reward`, ``window`` 2 as
in the paper, ``samples`` futures each, common user seeds, the clarify agent playing the futures):
the question the built-in ``clarify`` agent asks first, and the answer ``passive`` proposes at
once. Reported per env: the share of instances where MR prefers the question (strictly higher MR;
ties counted apart), the mean MR gap (question minus answer, in R* units) with its standard error,
and the seeds. An instance with no hidden facet, or where clarify asks nothing, is skipped and
counted; a candidate whose futures were all lost is counted as lost, never scored.

Users: ``scripted`` (the scripted user, offline) or ``llm`` (an LLM user with the heuristic judge:
:class:`~collab_env.testing.scripted_llm.ScriptedLLM` on the loopback server, or the endpoint of
``--model openai:NAME@URL``, a real model such as the 0.5 B one served locally).

Run: ``python -m benchmarks.mr_direction [--envs CollabMath-v0] [--instances 20] [--users llm]``.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from typing import Any

from benchmarks import parse_args, save_results
from collab_env.agents import make_agent
from collab_env.config import EnvConfig, JudgeSpec, UserSpec
from collab_env.errors import ConfigError
from collab_env.registration import ENV_IDS
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM
from collab_env.wrappers import multiturn_aware_reward

USERS = ("scripted", "llm")


@dataclass
class Args:
    """What to measure."""

    envs: tuple[str, ...] = tuple(ENV_IDS)
    """Environments whose test instances are played."""
    instances: int = 20
    """Test instances per env (seeds 0 .. instances-1; seed k plays instance k)."""
    window: int = 2
    """MR's window: policy turns after each candidate and its sampled user reply."""
    samples: int = 3
    """Futures per candidate."""
    users: str = field(default="scripted", metadata={"choices": USERS})
    """Who plays the user: scripted, or llm (the loopback ScriptedLLM unless --model is given)."""
    model: str | None = None
    """With --users llm: the user's model as openai:NAME@URL instead of the loopback ScriptedLLM."""
    user_options: tuple[str, ...] = ()
    """With --model: the LLM user's options as KEY=VALUE (concurrency=1,json_mode=0,timeout_s=900)."""
    out: str = "runs/benchmarks/mr_direction.json"
    """Where the JSON goes."""


def compare(config: EnvConfig, args: Args) -> dict[str, Any]:
    """MR of clarify's question and of passive's answer at the opening of each instance of one env.

    Returns:
        The env's summary: ``share_prefers_question`` in [0, 1] over the scored instances,
        ``mean_gap`` and ``gap_stderr`` (R* units), counts of ties, skipped and lost instances,
        the seeds scored, and one row per instance.
    """
    env = config.make()
    question, answer = make_agent("clarify", env), make_agent("passive", env)
    rows, skipped, lost = [], [], []
    for seed in range(args.instances):
        obs, info = env.reset(seed=seed)
        asking, proposing = question(obs), answer(obs)
        if not env.unwrapped.instance.hidden_facets or asking == proposing:
            skipped.append(seed)
            continue
        asked, answered = multiturn_aware_reward(
            env, obs, [asking, proposing], question, window=args.window, samples=args.samples
        )
        if asked.is_lost or answered.is_lost:
            lost.append(seed)
            continue
        rows.append({"seed": seed, "task_id": info["task_id"], "mr_question": asked.mean,
                     "mr_answer": answered.mean, "gap": asked.mean - answered.mean})  # fmt: skip
    env.close()
    gaps = [r["gap"] for r in rows]
    return {
        "scored": len(rows),
        "share_prefers_question": sum(g > 0 for g in gaps) / len(gaps) if gaps else None,
        "ties": sum(g == 0 for g in gaps),
        "mean_gap": statistics.fmean(gaps) if gaps else None,
        "gap_stderr": statistics.stdev(gaps) / len(gaps) ** 0.5 if len(gaps) > 1 else None,
        "seeds": [r["seed"] for r in rows],
        "skipped": skipped,
        "lost": lost,
        "rows": rows,
    }


def measure(args: Args, user: UserSpec) -> dict[str, dict[str, Any]]:
    """:func:`compare` on every env of ``args``, with ``user`` and the heuristic judge; prints a table."""
    print(f"MR (window {args.window}, {args.samples} samples) of clarify's question vs passive's answer, "
          f"{args.users} user{' ' + user.model if user.model else ''}, heuristic judge")  # fmt: skip
    print(
        f"{'env':14s} {'scored':>6s} {'prefers Q':>9s} {'ties':>4s} {'mean gap (R*)':>16s} {'skipped':>7s} {'lost':>4s}"
    )
    envs = {}
    for env_id in args.envs:
        config = EnvConfig(env_id, split="test", user=user, judge=JudgeSpec())
        row = envs[env_id] = compare(config, args)
        share = "-" if row["share_prefers_question"] is None else f"{row['share_prefers_question']:.0%}"
        gap = "-" if row["mean_gap"] is None else f"{row['mean_gap']:+.3f}"
        err = "" if row["gap_stderr"] is None else f" ± {row['gap_stderr']:.3f}"
        print(f"{env_id:14s} {row['scored']:6d} {share:>9s} {row['ties']:4d} {gap + err:>16s} "
              f"{len(row['skipped']):7d} {len(row['lost']):4d}")  # fmt: skip
    return envs


def main() -> None:
    """Measure, print and save."""
    args = parse_args(Args, __doc__)
    if args.users not in USERS:
        raise ConfigError(f"users must be one of {USERS}, got {args.users!r}")
    if args.model and args.users != "llm":
        raise ConfigError(f"--model needs --users llm, got --users {args.users}")
    if any("=" not in option for option in args.user_options):
        raise ConfigError(f"user_options must be KEY=VALUE, got {list(args.user_options)}")
    if args.users == "scripted":
        envs, user = measure(args, UserSpec()), "scripted"
    elif args.model:
        options = dict(option.split("=", 1) for option in args.user_options)
        envs, user = measure(args, UserSpec("llm", args.model, options)), f"llm {args.model}"
    else:
        os.environ.setdefault("OPENAI_API_KEY", "loopback")
        with LoopbackServer(reply=ScriptedLLM(list(ENV_IDS.values()))) as server:
            envs = measure(args, UserSpec("llm", f"openai:oracle@{server.base_url}"))
        user = "llm ScriptedLLM on the loopback server"
    print(f"wrote {save_results('mr_direction', args, args.out, user=user, judge='heuristic', envs=envs)}")


if __name__ == "__main__":
    main()
