"""Build collab_env/users/llm/profiles.jsonl from SimulatorArena's user profiles (MIT).

Source: github.com/microsoft/SimulatorArena, commit e9f677c4, files
data/user_simulator_profiles/document_creation/preferences.json (GPT-4o extracted preferences of the
people in the document-creation study) and data/user_simulator_profiles/math_tutoring/knowledge_state.json
(their mathematical knowledge, per concept). Kept per profile: up to three preferences of a kind
that does not compete with a hidden goal's facets (how much detail, structure, examples, wording;
not tone, audience or content), in the second person, and the knowledge background of the
math-tutoring profile of the same rank (its concepts known well count 1, partly 0.5: under 0.3
is 'little', under 0.6 'some', else 'good'). The split is by a
stable hash of the source key (one in five to test).

Usage: python benchmarks/data/build_user_profiles.py REPO_DIR
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

KEPT = (
    "Conciseness vs. Detail", "Structure & Formatting", "Structure and Organization", "Providing Examples",
    "Vocabulary and Language", "Avoiding Redundancy", "Inclusion of Quotes", "Point of View", "Tense",
    "Specificity in Details", "Content Detail", "Personal Anecdotes", "Greeting/Sign-Off Style",
)  # fmt: skip
SCORE = {"Knows well": 1.0, "Partial understanding": 0.5}


def second_person(text: str) -> str:
    """'The user wants ...' as 'You want ...'."""
    text = re.sub(r"\b[Tt]he user's\b", "your", text.strip())
    text = re.sub(r"^(Yes|No), the user (\w+ly )?(\w+?)s\b", r"\1, you \2\3", text)
    text = re.sub(
        r"\b[Tt]he user (\w+ly )?(\w+?)(?<!s)s\b",
        lambda m: f"{'You' if m.start() == 0 else 'you'} {m[1] or ''}{m[2]}",
        text,
    )
    return re.sub(r"\b[Tt]he user\b", "you", text)


def knowledge(entry: dict) -> str:
    """'little', 'some' or 'good': the share of concepts the person understood at the start."""
    statuses = [c.get("Status", "") for c in entry.get("concepts", [])]
    share = sum(SCORE.get(s, 0.0) for s in statuses) / len(statuses) if statuses else 0.0
    return "little" if share < 0.3 else "some" if share < 0.6 else "good"


def main(repo: str) -> None:
    """Write the profiles file."""
    root = Path(repo) / "data" / "user_simulator_profiles"
    prefs = json.loads((root / "document_creation" / "preferences.json").read_text())
    maths = list(json.loads((root / "math_tutoring" / "knowledge_state.json").read_text()).values())
    out = Path(__file__).resolve().parents[2] / "collab_env" / "users" / "llm" / "profiles.jsonl"
    with out.open("w") as f:
        for rank, (key, items) in enumerate(sorted(prefs.items())):
            kept = [
                second_person(p["Preference Question Answer"]) for p in items if p["Preference Name"] in KEPT
            ]
            if not kept:
                continue
            digest = hashlib.sha256(key.encode()).hexdigest()
            row = {
                "id": f"simarena-{digest[:10]}",
                "split": "test" if int(digest, 16) % 5 == 0 else "train",
                "knowledge": knowledge(maths[rank % len(maths)]),
                "preferences": kept[:3],
            }
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
