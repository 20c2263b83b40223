"""The user card's role check (collab_env/harness/usercheck/role.py): trained at run time on
people's recorded conversations, it flags a user message that reads like the assistant's."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from collab_env.errors import ConfigError
from collab_env.harness.usercheck import role
from collab_env.harness.usercheck.checks import drift_kinds

pytest.importorskip("sklearn", reason="the role check needs scikit-learn (the bench and dev extras)")

ROOT = Path(__file__).resolve().parents[2]
SIMARENA = ROOT.parent / "shared" / "data" / "simarena"
needs_simarena = pytest.mark.skipif(
    not all((SIMARENA / f).exists() for f in role.FILES),
    reason=f"SimulatorArena's conversations ({', '.join(role.FILES)}) are not in {SIMARENA}",
)

_ASKS = ["Can you make it shorter?", "It's for my team at work.", "Please call the function parse_date.",
         "I need it by Friday, not Monday.", "My budget is about two hundred dollars.", "Why did you divide by two there?",
         "The tone should be formal.", "I don't get the second step."]  # fmt: skip
_SAYS = ["Here is the revised draft with your changes.", "Let me know if you'd like any further adjustments!",
         "I hope this helps, feel free to ask more questions.", "Certainly, I have updated the letter for you.",
         "Great question, let's break this down step by step.", "I'd be happy to help you with that."]  # fmt: skip


def _toy(n: int = 30, seed: int = 0) -> list[role.Conversation]:
    """Conversations of a person's stock turns against an assistant's stock replies."""
    rng = random.Random(seed)
    return [role.Conversation(f"c{i}", tuple(" ".join(rng.sample(_ASKS, 2)) for _ in range(3)),
                              tuple(" ".join(rng.sample(_SAYS, 2)) for _ in range(3))) for i in range(n)]  # fmt: skip


def test_sentences_drop_code_short_lines_and_list_marks():
    text = "Thanks!\n```python\nx = 1  # the assistant wrote this\n```\n1. keep the title short\nOk. Can you fix it?"
    assert role.sentences(text) == ["keep the title short", "Can you fix it?"]
    assert role.style("Call it parse_date for 3 users") == "W it w _ w for 0 w"


def test_a_trained_check_flags_an_assistant_sign_off_and_passes_a_persons_turn():
    check = role.train(_toy(), budget=0.0)
    assert 0 < check.threshold < 1 and check.info["train_people_turns"] == 90
    assert check.flags("I hope this helps! Let me know if you'd like any further adjustments.")
    assert not check.flags("The tone should be formal. I need it by Friday, not Monday.")
    kinds = drift_kinds("Let me know if you'd like any further adjustments, I'd be happy to help.", [], check)
    assert kinds[-1] == "assistant_like"
    assert check.threshold_at(1 / 90) <= check.threshold_at(0.0) == check.threshold


def test_without_scikit_learn_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    with pytest.raises(ConfigError, match=r"scikit-learn.*collab-env\[card\]"):
        role.train(_toy(4), folds=2)
    with pytest.raises(ConfigError, match="budget must be in"):
        role.train(_toy(4), budget=1.5)


def test_without_simarena_files_the_card_runs_on_the_rules_and_says_so(tmp_path, capsys):
    from collab_env.cli import main

    people = tmp_path / "people.jsonl"  # one conversation, and no math_conversations.jsonl beside it
    people.write_text(json.dumps({"id": "simarena-doc-000", "intent": "Apology Letter: Write a letter to a friend.",
                                  "document_type": "email", "user_queries": ["Hi, I need a letter", "Thanks!"],
                                  "ai_responses": ["Sure, who is it for?", "Dear friend, sorry."]}) + "\n")  # fmt: skip
    rc = main(["user-check", "--user", "scripted", "--quick", "--envs", "CollabMath-v0", "--people-data", str(people),
               "--out", str(tmp_path / "card")])  # fmt: skip
    card = json.loads((tmp_path / "card" / "card.json").read_text())
    assert rc == 0 and card["role_check"]["ran"] is False
    why = card["role_check"]["why"]
    assert "role check not run" in why and "doc_conversations.jsonl not found" in why
    assert card["verdict"].endswith("[scripted]") and "rules only (role check not run)" in card["verdict"]
    assert "role check not run" in capsys.readouterr().out
    assert role.for_card(people) == (None, why)


@needs_simarena
def test_the_threshold_keeps_its_budget_on_held_out_peoples_turns():
    check, why = role.for_folder(str(SIMARENA))
    held = check.info["held_out"]
    # the threshold is chosen on the training conversations alone; the held-out people's turns
    # (a quarter of the conversations, split by conversation) must keep the 1% budget too
    assert held["turns"] >= 100 and held["turn_rate"] <= role.BUDGET
    assert set(check.train_ids).isdisjoint(check.test_ids) and len(check.test_ids) >= 15
    assert "held-out people's turns" in why
    # a letter's sign-off in the user's mouth; a person's plain turn from the recorded data
    assert check.flags("Best regards, [Your Name]")
    assert not check.flags("My friend's name is Susan. Can you fix this?")


@needs_simarena
def test_frozen_labels_of_the_05b_model_stay_caught():
    """A regression test on the hand labels of benchmarks/data/user_drift_labels_05b.jsonl (read
    once the check existed): the role check flags what it flagged then and no message labelled clean."""
    check, _ = role.for_folder(str(SIMARENA))
    rows = [
        json.loads(line)
        for line in (ROOT / "benchmarks/data/user_drift_labels_05b.jsonl").read_text().splitlines()
    ]
    flagged = [r for r in rows if check.flags(r["text"])]
    assert sum(r["drift"] and r["kind"] != "false_fact" for r in flagged) >= 2
    assert [r["text"] for r in flagged if not r["drift"]] == []
