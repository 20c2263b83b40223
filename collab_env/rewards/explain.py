"""R*'s parts in words: what the task metric, the token penalty and engagement each counted.

The same lines wherever a reward is shown (``collab-env episode``, ``play`` and ``show``, and
the HTML report), so that a score is explained where it is read.
"""

from __future__ import annotations

from typing import Any

from collab_env.rewards.engagement import COUNTS, IGNORED_COST


def explain_reward(
    parts: dict[str, Any], metric: str | None = None, details: dict[str, Any] | None = None
) -> list[str]:
    """What each part of R* counted, one line each: the metric's verdict, the tokens, engagement.

    >>> parts = {"task_metric": 1.0, "token_penalty": 0.05, "assistant_tokens": 100,
    ...          "solution_found": True, "config": {"token_penalty": 0.5, "penalty_cap": 1.0}}
    >>> explain_reward(parts, "accuracy")[:2]
    ['task metric (accuracy): 1.000, the final answer is correct', 'token penalty: 100 assistant tokens × 0.5 per thousand = 0.050 (capped at 1)']

    Args:
        parts: ``info["reward"]``, or a benchmark record's ``reward``.
        metric: The task's metric name, when known.
        details: ``info["task_metric_details"]``, when known.
    """
    weights = parts.get("config", {})
    lines = [
        f"task metric ({metric or 'R_ext'}): {parts['task_metric']:.3f}, {_verdict(parts, metric, details)}"
    ]
    if "assistant_tokens" in parts and "token_penalty" in weights:
        lines.append(
            f"token penalty: {parts['assistant_tokens']} assistant tokens × {weights['token_penalty']:g} per "
            f"thousand = {parts['token_penalty']:.3f} (capped at {weights.get('penalty_cap', 1.0):g})"
        )
    engagement = _engagement(parts)
    if engagement:
        unpaid = "; not paid in this env (weight 0)" if weights.get("w_eng", 1.0) == 0 else ""
        lines.append(f"engagement ({parts.get('engagement_judge', 'judge')}): {engagement}{unpaid}")
    return lines


#: What a binary metric's 1 and 0 mean, in words.
_BINARY = {
    "all_tests_pass": ("the code passes every hidden test", "the code fails a hidden test"),
    "accuracy": ("the final answer is correct", "the final answer is wrong"),
}


def _verdict(parts: dict[str, Any], metric: str | None, details: dict[str, Any] | None) -> str:
    if not parts.get("solution_found", True):
        return "no solution found in the conversation"
    tests = details or {}
    ran = f" ({tests['tests_passed']} of {tests['tests']} pass)" if "tests" in tests else ""
    if metric in _BINARY:
        passed, failed = _BINARY[metric]
        return (passed if parts["task_metric"] >= 1.0 else failed) + ran
    if metric == "bleu":
        return "the final document's BLEU against the target document (1: identical)"
    return f"the {metric or 'task'} metric of the final solution{ran}"


def _engagement(parts: dict[str, Any]) -> str:
    """The heuristic's counts and its formula, or an LLM judge's evidence, in one line."""
    details = parts.get("engagement_details") or {}
    if not all(name in details for name in COUNTS):  # an LLM judge: its own evidence
        return ", ".join(f"{k} {v}" for k, v in details.items() if not isinstance(v, dict | list))
    counts = ", ".join(f"{name} {details[name]}" for name in COUNTS if details[name])
    judged = sum(details[name] for name in COUNTS)
    if not judged:
        return "no question judged, so 0"
    if not details.get("solution_proposed", True):
        return f"{counts}; no solution proposed, so 0"
    answered, ignored = details["answered"], details["ignored"]
    formula = f"(answered {answered} − {IGNORED_COST:g} × ignored {ignored}) / {judged} judged"
    return f"{counts} → {formula} = {parts['engagement']:.3f}{_legend(details)}"


#: What each count means (shown for those that are not 0 and not self-explanatory).
_MEANING = {
    "unanswered": "a question the reply brought nothing new for",
    "generic": "a question that names nothing in particular",
    "excess": "questions past the first few of a message",
    "repeated": "a question asked twice in one message",
    "missed": "new information the user volunteered after a solution",
    "ignored": "an answer the user had to repeat after a solution",
}


def _legend(details: dict[str, Any]) -> str:
    said = [f"{name}: {meaning}" for name, meaning in _MEANING.items() if details.get(name)]
    return f" ({'; '.join(said)})" if said else ""
