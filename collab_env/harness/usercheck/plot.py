"""The card's figure: drift by kind (both checks), endings, people-likeness and the judge's scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The people-likeness measures the figure shows (shares of turns).
SHARES = ("informative", "questions", "typos", "dump")


def plot(card: dict[str, Any], path: Path) -> Path:
    """Draw the card to ``path`` (PNG): one panel per part, the verdict as the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = card["summary"]
    panels = [_drift, _endings, *([_people] if card.get("people") else []), *([_judge] if s["judge"] else [])]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        panel(ax, card)
        ax.tick_params(labelsize=7)
    fig.suptitle(card["verdict"], fontsize=8, wrap=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _drift(ax: Any, card: dict[str, Any]) -> None:
    s = card["summary"]
    n = max(s["messages"], 1)
    independent = {
        **s["independent"]["kinds"],
        **{f"false: {k}": v for k, v in s["false_statements"]["kinds"].items()},
    }
    guards = s["guards"]["accepted"]
    kinds = list(dict.fromkeys([*independent, *guards])) or ["none"]
    y = range(len(kinds))
    ax.barh([i + 0.2 for i in y], [independent.get(k, 0) / n for k in kinds], 0.4, label="independent check")
    ax.barh([i - 0.2 for i in y], [guards.get(k, 0) / n for k in kinds], 0.4, label="guards (accepted)")
    ax.set_yticks(list(y), kinds, fontsize=7)
    ax.axvline(0.10, color="grey", lw=0.8, ls="--")
    ax.set_title(f"drift by kind, share of {s['messages']} messages", fontsize=9)
    ax.legend(fontsize=7)


def _endings(ax: Any, card: dict[str, Any]) -> None:
    e = card["summary"]["endings"]
    names = (
        "recognised",
        "premature_no_answer",
        "premature_unmet",
        "none",
        "affirms_wrong",
        "correct_answers_gone_on_after",
    )
    ax.bar(
        range(len(names)),
        [e[k] for k in names],
        color=["#2ca02c", "#ff7f0e", "#ff7f0e", "#999999", "#d62728", "#1f77b4"],
    )
    ax.set_xticks(
        range(len(names)), [k.replace("_", " ") for k in names], rotation=30, ha="right", fontsize=7
    )
    ax.set_title(f"endings ({card['summary']['episodes']} episodes)", fontsize=9)


def _people(ax: Any, card: dict[str, Any]) -> None:
    results = card["people"]["results"]
    names = list(results)
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = [results[name][k]["mean"] or 0.0 for k in SHARES]
        ax.bar([x + i * width for x in range(len(SHARES))], values, width, label=name)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(SHARES))], SHARES, fontsize=7)
    ax.set_title("people-likeness (share of turns)", fontsize=9)
    ax.legend(fontsize=7)


def _judge(ax: Any, card: dict[str, Any]) -> None:
    j = card["summary"]["judge"]
    ax.hist(j["scores"], bins=10, range=(min(0.0, *j["scores"]), max(1.0, *j["scores"])))
    ax.set_title(f"judge's scores: sd {j['stdev']:.2f}, {j['distinct']} distinct", fontsize=9)


__all__ = ["plot"]
