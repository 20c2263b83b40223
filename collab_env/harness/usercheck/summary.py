"""The card's figures over its episodes and people's turns, and its one line of verdict.

The verdict's thresholds are issue 44's Done-when figures (:data:`THRESHOLDS`), read by the
independent check: accepted drift at most 10% of the user's messages, false statements at most
0.1 per episode, correct answers recognised in at least 80% of the episodes that offered one,
and no ending that affirms a wrong answer.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Any

#: The verdict's thresholds (issue 44's Done-when).
THRESHOLDS = {"drift_share": 0.10, "false_per_episode": 0.1, "recognised_rate": 0.80, "affirms_wrong": 0}


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The card's figures over episode records (lost ones counted apart, not read)."""
    played = [r for r in records if not r.get("lost")]
    rows = [c for r in played for c in r["checked"]]
    n, episodes = len(rows), len(played)
    independent = Counter(k for c in rows for k in c["drift"])
    false = Counter(f.split(" ")[0] if f.startswith("number") else f for c in rows for f in c["false"])
    guarded = Counter(c["guard"] for c in rows if c["guard"])
    rejected: Counter = Counter()
    for r in played:
        rejected.update(r["guard_rejected"])
    offered = [r for r in played if r.get("could_recognise")]
    recognised = sum(r["ending"] == "recognised" for r in offered)
    return {
        "episodes": episodes, "lost": len(records) - episodes, "messages": n,
        "independent": {"kinds": dict(independent), "drift_messages": sum(bool(c["drift"]) for c in rows),
                        "drift_share": _share(sum(bool(c["drift"]) for c in rows), n)},
        "guards": {"rejected_attempts": dict(rejected), "accepted": dict(guarded),
                   "accepted_share": _share(sum(guarded.values()), n), "fallbacks": sum(c["fallback"] for c in rows)},
        "false_statements": {"total": sum(len(c["false"]) for c in rows), "kinds": dict(false),
                             "per_episode": _share(sum(len(c["false"]) for c in rows), episodes)},
        "asked_never_given": {"total": sum(len(r["asked_never_given"]) for r in played),
                              "per_episode": _share(sum(len(r["asked_never_given"]) for r in played), episodes)},
        "endings": {**{k: sum(r["ending"] == k for r in played) for k in
                       ("recognised", "premature_no_answer", "premature_unmet", "none")},
                    "episodes_with_correct_answer": len(offered), "recognised_rate": _share(recognised, len(offered)),
                    "correct_answers_gone_on_after": sum(r["missed"] for r in played),
                    "affirms_wrong": sum(r["affirms_wrong"] for r in played)},
        "judge": judge_spread(played),
    }  # fmt: skip


def judge_spread(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The model judge's discrimination: the spread of its scores over the episodes, and its
    mean per agent (``None`` when the heuristic judged)."""
    scored = [(r["agent"], r["judge_score"]) for r in records if r.get("judge_score") is not None]
    if not scored:
        return None
    scores = [s for _, s in scored]
    mode_share = Counter(scores).most_common(1)[0][1] / len(scores)
    by_agent = {
        a: statistics.fmean(s for b, s in scored if b == a) for a in dict.fromkeys(a for a, _ in scored)
    }
    return {"scores": scores, "mean": statistics.fmean(scores), "stdev": statistics.pstdev(scores),
            "distinct": len(set(scores)), "mode_share": mode_share, "by_agent": by_agent}  # fmt: skip


def _share(count: float, total: int) -> float | None:
    return count / total if total else None


def verdict(card: dict[str, Any]) -> str:
    """The card's one line: ``usable: ...`` when every threshold holds, else ``not usable:``
    naming the failed ones first (a figure the run could not measure fails); it says so where
    the independent check ran without its role classifier (:mod:`.role`)."""
    s = card["summary"]
    drift, false = s["independent"]["drift_share"], s["false_statements"]["per_episode"]
    rate, endings = s["endings"]["recognised_rate"], s["endings"]
    checks = [
        (drift is not None and drift <= THRESHOLDS["drift_share"],
         f"drift {_pct(drift)} of {s['messages']} messages (≤ 10%)"),
        (false is not None and false <= THRESHOLDS["false_per_episode"],
         f"false statements {_num(false)}/episode (≤ 0.1)"),
        (rate is not None and rate >= THRESHOLDS["recognised_rate"],
         f"correct answers recognised {_pct(rate)} of {endings['episodes_with_correct_answer']} episodes (≥ 80%)"),
        (endings["affirms_wrong"] == 0, f"{endings['affirms_wrong']} endings affirming a wrong answer (0)"),
    ]  # fmt: skip
    failed = [text for ok, text in checks if not ok]
    passed = [text for ok, text in checks if ok]
    guards = s["guards"]["accepted_share"]
    tail = f"; the guards accepted drift in {_pct(guards)}" if guards is not None else ""
    lost = f"; {s['lost']} episodes LOST" if s["lost"] else ""
    if not card.get("role_check", {"ran": True})["ran"]:
        tail += "; rules only (role check not run)"
    head = "not usable: " + ", ".join(failed) + (" (holds: " + ", ".join(passed) + ")" if passed else "")
    line = head if failed else "usable: " + ", ".join(passed)
    return f"{line}{tail}{lost} [{card['user']}]"


def _pct(x: float | None) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.0f}%"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def clean(value: Any) -> Any:
    """``value`` with NaN as ``None`` (strict JSON)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


__all__ = ["THRESHOLDS", "clean", "judge_spread", "summarise", "verdict"]
