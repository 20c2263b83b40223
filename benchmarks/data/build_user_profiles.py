"""Build collab_env/users/llm/profiles.jsonl from SimulatorArena's people (MIT), per task family.

Sources: github.com/microsoft/SimulatorArena, commit e9f677c4, files
data/user_simulator_profiles/document_creation/preferences.json (GPT-4o extracted preferences of the
people in the document-creation study) and data/user_simulator_profiles/math_tutoring/knowledge_state.json
(their mathematical knowledge, per concept); and the shared sample of its math-tutoring
conversations (``../shared/data/simarena/math_conversations.jsonl``, the same commit).

- ``doc`` profiles, one per person of the document-creation study: up to three preferences of a
  kind that does not compete with a hidden goal's facets (how much detail, structure, examples,
  wording; not tone, audience or content), in the second person, and the knowledge background of
  the math-tutoring profile of the same rank (its concepts known well count 1, partly 0.5: under
  0.3 is 'little', under 0.6 'some', else 'good').
- ``math`` profiles, one per person of the math-tutoring conversations: two sentences of our own
  for the categories the person chose (``math_expertise``: how far they studied maths;
  ``why_ask_tutor``: why they asked), none of their free text; knowledge 'little' for a person
  who was lost, 'good' for graduate training, else 'some'.
- ``code``, ``qa`` and ``*`` (any family no profile names): the same people's knowledge
  background only, since no study of people fits these families.

The split is by a stable hash of the source key (one in five to test).

Usage: python benchmarks/data/build_user_profiles.py REPO_DIR [MATH_CONVERSATIONS]
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATH_CONVERSATIONS = ROOT.parent / "shared" / "data" / "simarena" / "math_conversations.jsonl"
KEPT = (
    "Conciseness vs. Detail", "Structure & Formatting", "Structure and Organization", "Providing Examples",
    "Vocabulary and Language", "Avoiding Redundancy", "Inclusion of Quotes", "Point of View", "Tense",
    "Specificity in Details", "Content Detail", "Personal Anecdotes", "Greeting/Sign-Off Style",
)  # fmt: skip
SCORE = {"Knows well": 1.0, "Partial understanding": 0.5}
#: The math-tutoring study's ``math_expertise`` categories, in our words.
EXPERTISE = {
    "9-12": "You learned your maths in high school.",
    "undergrad": "You studied maths at university.",
    "grad": "You have graduate training in maths.",
}
#: Its ``why_ask_tutor`` categories (by their opening words), in our words, with the knowledge they imply.
WHY_ASK = {
    "I'm completely lost": ("Problems like this one often leave you unsure what they ask.", "little"),
    "I understand the problem": ("You follow problems like this one but often do not know where to start.", "some"),
    "I've written some steps": ("You usually work out a few steps yourself before you get stuck.", "some"),
}  # fmt: skip


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


def _split(key: str) -> tuple[str, str]:
    """The key's digest (for the id) and its split."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return digest, "test" if int(digest, 16) % 5 == 0 else "train"


def doc_rows(repo: str) -> Iterator[dict]:
    """One profile per person of the document-creation study."""
    root = Path(repo) / "data" / "user_simulator_profiles"
    prefs = json.loads((root / "document_creation" / "preferences.json").read_text())
    maths = list(json.loads((root / "math_tutoring" / "knowledge_state.json").read_text()).values())
    for rank, (key, items) in enumerate(sorted(prefs.items())):
        kept = [second_person(p["Preference Question Answer"]) for p in items if p["Preference Name"] in KEPT]
        if kept:
            digest, split = _split(key)
            yield {"id": f"simarena-{digest[:10]}", "split": split, "knowledge": knowledge(maths[rank % len(maths)]),
                   "preferences": kept[:3], "families": ["doc"]}  # fmt: skip


def math_rows(conversations: str) -> Iterator[dict]:
    """Per person of the math-tutoring conversations: a ``math`` profile and a knowledge-only one."""
    for line in Path(conversations).read_text().splitlines():
        person = json.loads(line)
        why, level = next(v for k, v in WHY_ASK.items() if person["why_ask_tutor"].startswith(k))
        level = "good" if person["math_expertise"] == "grad" and level != "little" else level
        digest, split = _split(person["user_id"])
        row = {"split": split, "knowledge": level, "preferences": []}
        yield {"id": f"math-{digest[:10]}", **row, "families": ["math"],
               "background": [EXPERTISE[person["math_expertise"]], why]}  # fmt: skip
        yield {"id": f"general-{digest[:10]}", **row, "families": ["code", "qa", "*"]}


def main(repo: str, conversations: str = str(MATH_CONVERSATIONS)) -> None:
    """Write the profiles file."""
    out = ROOT / "collab_env" / "users" / "llm" / "profiles.jsonl"
    with out.open("w") as f:
        for row in (*doc_rows(repo), *math_rows(conversations)):
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
