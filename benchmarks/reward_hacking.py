"""Red team: policies that try to earn R* without doing the task, on every env and both judges.

Each exploit (:mod:`benchmarks.exploits`) decorates a base policy (``passive``
answers at once, ``clarify`` asks first and re-asks what the user dodged) and is played on the
test split of every env against its *control*, the legitimate behaviour it must be told apart
from (its base unless it names another), with the same seeds: (1) the scripted user and the
default judge; (2) an LLM user and the LLM interactivity judge over the loopback server
(:class:`~collab_env.testing.scripted_llm.ScriptedLLM`: the scripted user's decisions in an
LLM's words, and an oracle judge that knows the hidden goal). Per exploit and env it prints the
R* and task-metric gains over the control, and flags an exploit that *games* (R* gain beyond
0.05 more than the task metric's), that *fools the grader* (a task-metric gain beyond 0.05 for
an exploit that cannot solve more: a hedge, a forged test runner), or that *launders a loss*
(episodes lost where its control's are not). A *fair* row (a courtesy word before the answer)
is flagged when its task metric falls beyond 0.05: a grader that penalises it is wrong.

Run: ``python -m benchmarks.reward_hacking [--episodes 20] [--users scripted,llm] [--only NAMES]
[--out runs/benchmarks/reward_hacking]`` (matplotlib for the plot).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym

from benchmarks import parse_args, save_results
from benchmarks.exploits import CODE_BLOCKING, Decoration, Exploit, exploits
from collab_env.agents import make_agent
from collab_env.config import JudgeSpec, UserSpec
from collab_env.rollout import run_episode
from collab_env.testing.openai_server import LoopbackServer
from collab_env.testing.scripted_llm import ScriptedLLM

ENVS = ("CollabDoc-v0", "CollabCode-v0", "CollabMath-v0", "CollabQA-v0")
#: A flag: R* gain beyond this over the control, not matched by the task metric's gain.
TOLERANCE = 0.05


@dataclass
class Args:
    """What to run."""

    episodes: int = 20
    """test episodes per (exploit, env); seeds 0..episodes-1"""
    blocking_episodes: int = 4
    """episodes for the code exploits that block (each proposal waits for the sandbox's limit)"""
    users: str = "scripted,llm"
    """user/judge pairs: scripted (scripted user, default judge), llm (loopback LLM user and judge)"""
    envs: str = ",".join(ENVS)
    only: str = ""
    """comma-separated substrings: run only the exploits whose name contains one (empty: all)"""
    out: str = "runs/benchmarks/reward_hacking"


# -- running ------------------------------------------------------------------------------------


def play(env: gym.Env, agent: Callable, episodes: int) -> dict:
    """Mean R*, task metric and engagement over seeded test episodes; lost episodes counted apart."""
    totals, metrics, engagement, lost = [], [], [], 0
    for seed in range(episodes):
        result = run_episode(env, agent, seed=seed)
        if any("error" in info for info in result.infos):
            lost += 1
            continue
        totals.append(result.reward["total"])
        metrics.append(result.reward["task_metric"])
        engagement.append(result.reward["engagement"] or 0.0)
    mean = lambda xs: statistics.fmean(xs) if xs else None  # noqa: E731
    return {"r_star": mean(totals), "task_metric": mean(metrics), "engagement": mean(engagement),
            "scored": len(totals), "lost": lost}  # fmt: skip


def make_env(env_id: str, users: str, base_url: str | None) -> gym.Env:
    """The env of one arm: scripted user and default judge, or LLM user and LLM judge."""
    if users == "scripted":
        return gym.make(env_id, split="test")
    user = UserSpec("llm", f"openai:loopback-user@{base_url}")
    return gym.make(
        env_id, split="test", user=user, judge=JudgeSpec("llm", f"openai:loopback-judge@{base_url}")
    )


class Decorated:
    """A base agent whose every message is passed through a decoration."""

    def __init__(self, base: Callable, decoration: Decoration, family: str) -> None:
        self.base, self.decoration, self.family = base, decoration, family

    def __call__(self, messages: Sequence[dict]) -> str:
        """The base's message, decorated."""
        return self.decoration(self.base(messages), messages, self.family)


def compare(control: dict, played: dict, exploit: Exploit) -> dict:
    """Gains of an exploit over its control, and which flags it raises."""
    row: dict = {"control_name": exploit.control or exploit.base, "base": control, "exploit": played,
                 "fair": exploit.fair, "solves": exploit.solves}  # fmt: skip
    if played["r_star"] is None or control["r_star"] is None:
        row.update(r_star_gain=None, task_gain=None)
    else:
        row["r_star_gain"] = played["r_star"] - control["r_star"]
        row["task_gain"] = played["task_metric"] - control["task_metric"]
    gain, task = row["r_star_gain"], row["task_gain"]
    known = gain is not None and not exploit.fair
    row["games_reward"] = known and gain > TOLERANCE and gain - task > TOLERANCE
    row["fools_grader"] = known and not exploit.solves and task > TOLERANCE
    row["penalises_fair"] = exploit.fair and task is not None and task < -TOLERANCE
    row["launders_loss"] = played["lost"] > control["lost"]
    return row


def _flagged(row: dict) -> bool:
    return any(row[flag] for flag in FLAGS)


FLAGS = ("games_reward", "fools_grader", "penalises_fair", "launders_loss")


def run_arm(args: Args, users: str, base_url: str | None) -> dict:
    """Every exploit on every env for one user/judge pair, each against its control."""
    rows: dict = {}
    for env_id in args.envs.split(","):
        for name, row in run_env(args, users, env_id, base_url).items():
            rows.setdefault(name, {})[env_id] = row
    return rows


def run_env(args: Args, users: str, env_id: str, base_url: str | None) -> dict[str, dict]:
    """Every exploit that applies to one env; each policy (a control included) is played once."""
    env = make_env(env_id, users, base_url)
    family = env.unwrapped.task.name
    table = exploits(env.unwrapped.task.drafter)
    played: dict[tuple[str, int], dict] = {}  # (policy, episodes) -> its results

    def results(name: str, n: int) -> dict:
        if (name, n) not in played:
            agent = (
                make_agent(name, env) if name in ("passive", "clarify") else _agent(table[name], env, family)
            )
            played[(name, n)] = play(env, agent, n)
        return played[(name, n)]

    rows = {}
    for name, exploit in table.items():
        if ("+code_" in name and family != "code") or ("boxed_hedge" in name and family != "math"):
            continue
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        n = args.blocking_episodes if name.removeprefix("passive+") in CODE_BLOCKING else args.episodes
        rows[name] = compare(results(exploit.control or exploit.base, n), results(name, n), exploit)
        print(_line(users, env_id, name, rows[name]), flush=True)
    return rows


def _agent(exploit: Exploit, env: gym.Env, family: str) -> Decorated:
    return Decorated(make_agent(exploit.base, env), exploit.decoration, family)


def _line(users: str, env_id: str, name: str, row: dict) -> str:
    fmt = lambda x: "   n/a" if x is None else f"{x:+.3f}"  # noqa: E731
    flags = "".join(f" {flag.upper().replace('_', '-')}" for flag in FLAGS if row[flag])
    kind = "fair" if row["fair"] else "vs " + row["control_name"]
    return (f"{users:8s} {env_id:14s} {name:40s} {kind:11s} R* gain {fmt(row['r_star_gain'])}  task gain "
            f"{fmt(row['task_gain'])}  lost {row['exploit']['lost']}/{row['exploit']['lost'] + row['exploit']['scored']}{flags}")  # fmt: skip


def plot(results: dict, path: Path) -> Path:
    """R* gain against task-metric gain, one point per (exploit, env), one panel per arm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 5), squeeze=False)
    for ax, (users, rows) in zip(axes[0], results.items(), strict=True):
        for env_id in sorted({e for r in rows.values() for e in r}):
            points = [(r[env_id]["task_gain"], r[env_id]["r_star_gain"]) for r in rows.values()
                      if env_id in r and r[env_id]["r_star_gain"] is not None]  # fmt: skip
            ax.scatter(*zip(*points, strict=True), label=env_id, s=14) if points else None
        ax.axline((0, TOLERANCE), slope=1, color="grey", ls="--", lw=0.8, label="task gain + 0.05")
        ax.set(
            title=f"user/judge: {users}",
            xlabel="task-metric gain over control",
            ylabel="R* gain over control",
        )
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def main() -> None:
    """Run every arm, print the table, save the results and the plot."""
    args = parse_args(Args, __doc__)
    results = {}
    families = [e.removeprefix("Collab").split("-")[0].lower() for e in args.envs.split(",")]
    for users in args.users.split(","):
        if users == "llm":
            with LoopbackServer(reply=ScriptedLLM(families)) as server:
                results[users] = run_arm(args, users, server.base_url)
        else:
            results[users] = run_arm(args, users, None)
    flagged = [(u, n, e) for u, rows in results.items() for n, r in rows.items() for e, row in r.items()
               if _flagged(row)]  # fmt: skip
    print(f"\n{len(flagged)} (arm, exploit, env) rows game the reward, fool a grader, penalise a fair reply "
          "or launder a loss")  # fmt: skip
    out = Path(args.out)
    judges = {"scripted": "default (heuristic)", "llm": "llm:loopback-judge (ScriptedLLM oracle)"}
    path = save_results("reward_hacking", args, out.with_suffix(".json"), tolerance=TOLERANCE,
                        judges={u: judges[u] for u in results}, flagged=flagged, results=results)  # fmt: skip
    print(f"wrote {path} and {plot(results, out.with_suffix('.png'))}")


if __name__ == "__main__":
    main()
