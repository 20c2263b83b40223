"""How far the word heuristic agrees with an LLM interactivity judge, on transcripts with an LLM user.

Episodes are played on every env's test split with an LLM user over the loopback server
(:class:`~collab_env.testing.scripted_llm.ScriptedLLM`: the scripted user's decisions in an LLM's
words) by the built-in agents and some of the red team's policies; each finished transcript is
scored by the heuristic (:class:`~collab_env.rewards.HeuristicEngagement`) and by the LLM judge
(:class:`~collab_env.rewards.judges.LLMInteractivityJudge`): the loopback oracle by default, or
a real model with ``--judge-model NAME --judge-url URL``. It reports Pearson's and Spearman's
correlation, the mean absolute difference, and pairwise agreement: the share of transcript
pairs (within an env) that both judges order the same way, among those both order (no tie).

Run: ``python -m benchmarks.judge_agreement [--episodes 10] [--judge-model M --judge-url URL]
[--envs CollabQA-v0,...] [--policies passive,clarify,...]``.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass

from benchmarks import parse_args, save_results
from benchmarks.reward_hacking import ENVS, Decorated, exploits
from collab_env.agents import make_agent
from collab_env.builders import with_parts
from collab_env.errors import ModelCallError
from collab_env.llm import OpenAIChat
from collab_env.rewards import HeuristicEngagement
from collab_env.rewards.judges import LLMInteractivityJudge
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM
from collab_env.users import LLMUser

POLICIES = (
    "passive",
    "clarify",
    "passive+had_in_mind@end",
    "clarify+never_propose",
    "passive+missing_question@end",
)


@dataclass
class Args:
    """What to measure."""

    episodes: int = 10
    """test episodes per (policy, env)"""
    judge_model: str = ""
    """a real judge model (empty: the loopback oracle)"""
    judge_url: str = ""
    """its OpenAI-compatible endpoint"""
    judge_max_tokens: int = 200
    """a real judge's token limit per verdict"""
    judge_timeout_s: float = 300.0
    """a real judge's time limit per call (a small local model on shared cores is slow)"""
    envs: str = ",".join(ENVS)
    """comma-separated envs to play"""
    policies: str = ",".join(POLICIES)
    """comma-separated policies: built-in agents or red-team exploits"""
    out: str = "runs/benchmarks/judge_agreement.json"


def _ranks(xs: list[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    for _, group in itertools.groupby(order, key=lambda i: xs[i]):
        members = list(group)
        mean = statistics.fmean(order.index(i) for i in members)
        for i in members:
            ranks[i] = mean
    return ranks


def agreement(rows: list[dict]) -> dict:
    """Correlations, mean absolute difference and pairwise order agreement of the two judges."""
    h, j = [r["heuristic"] for r in rows], [r["llm"] for r in rows]
    same = differ = 0
    for a, b in itertools.combinations(rows, 2):
        if a["env"] != b["env"]:
            continue
        dh, dj = a["heuristic"] - b["heuristic"], a["llm"] - b["llm"]
        if dh == 0 or dj == 0:  # a tie for either judge: no order to agree on
            continue
        same += (dh > 0) == (dj > 0)
        differ += 1
    safe = lambda f, x, y: f(x, y) if len(set(x)) > 1 and len(set(y)) > 1 else None  # noqa: E731
    return {
        "transcripts": len(rows),
        "pearson": safe(statistics.correlation, h, j),
        "spearman": safe(statistics.correlation, _ranks(h), _ranks(j)),
        "mean_abs_diff": statistics.fmean(abs(a - b) for a, b in zip(h, j, strict=True)) if rows else None,
        "pairwise_agreement": same / differ if differ else None,
        "pairs": differ,
    }


def measure(args: Args, base_url: str, failed: list[dict]) -> list[dict]:
    """Play the episodes and score each transcript with both judges (judge failures go to ``failed``)."""
    if args.judge_model:
        judge_chat = OpenAIChat(
            args.judge_model, base_url=args.judge_url or base_url, timeout_s=args.judge_timeout_s,
            max_tokens=args.judge_max_tokens, concurrency=1,
        )  # fmt: skip
    else:
        judge_chat = OpenAIChat("loopback-judge", base_url=base_url)
    judge, heuristic, rows = LLMInteractivityJudge(judge_chat), HeuristicEngagement(), []
    for env_id in args.envs.split(","):
        user = LLMUser(OpenAIChat("loopback-user", base_url=base_url))
        env = with_parts(env_id, split="test", user=user, judge=heuristic)
        task, table = env.unwrapped.task, exploits(env.unwrapped.task.drafter)
        for name in args.policies.split(","):
            if name in table:
                base, decoration = table[name]
                agent = Decorated(make_agent(base, env), decoration, task.name)
            else:
                agent = make_agent(name, env)
            for seed in range(args.episodes):
                result = run_episode(env, agent, seed=seed)
                if any("error" in info for info in result.infos):
                    continue
                instance = env.unwrapped.instance
                try:
                    verdict = judge(task, instance, result.messages)[0]
                except ModelCallError as exc:  # a real model's unusable output: counted, not scored
                    failed.append({"env": env_id, "policy": name, "seed": seed, "error": str(exc)[:200]})
                    continue
                rows.append({
                    "env": env_id, "policy": name, "seed": seed,
                    "heuristic": heuristic(task, instance, result.messages)[0], "llm": verdict,
                })  # fmt: skip
    return rows


def main() -> None:
    """Measure, print and save."""
    args = parse_args(Args, __doc__)
    with LoopbackServer(
        reply=ScriptedLLM([e.removeprefix("Collab").split("-")[0].lower() for e in args.envs.split(",")])
    ) as s:
        failed: list[dict] = []
        rows = measure(args, s.base_url, failed)
    overall = agreement(rows)
    per_env = {e: agreement([r for r in rows if r["env"] == e]) for e in args.envs.split(",")}
    fmt = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    for name, a in {**per_env, "all": overall}.items():
        print(f"{name:14s} transcripts {a['transcripts']:3d}  pearson {fmt(a['pearson'])}  spearman "
              f"{fmt(a['spearman'])}  mean |diff| {fmt(a['mean_abs_diff'])}  pairwise agreement "
              f"{fmt(a['pairwise_agreement'])} of {a['pairs']} pairs")  # fmt: skip
    judge = args.judge_model or "loopback oracle (ScriptedLLM)"
    print(f"{len(failed)} transcripts left out: the judge's output was unusable after its retries")
    path = save_results(
        "judge_agreement", args, args.out, judge=judge, overall=overall, per_env=per_env, rows=rows,
        judge_failures=failed,
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
