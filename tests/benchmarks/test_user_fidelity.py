"""The user fidelity benchmark: simulated users' turns against people's, place by place."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from collab_env.testing.fake_models import SmallModelUser
from collab_env.testing.openai_server import LoopbackServer

SIMARENA = Path(__file__).resolve().parents[3] / "shared" / "data" / "simarena" / "doc_conversations.jsonl"
pytestmark = pytest.mark.skipif(
    not SIMARENA.is_file(), reason=f"SimulatorArena's human conversations are absent ({SIMARENA})"
)
pytest.importorskip("spellchecker", reason="the typo measure needs pyspellchecker (collab-env[bench])")


def test_two_conversations_replayed_by_scripted_and_llm_users_beside_the_people(
    tmp_path, monkeypatch, capsys
):
    from benchmarks import user_fidelity

    out = tmp_path / "user_fidelity.json"
    with LoopbackServer(reply=SmallModelUser(end_after=3)) as server:
        argv = [
            "user_fidelity",
            "--data",
            str(SIMARENA),
            "--conversations",
            "2",
            "--base-url",
            server.base_url,
        ]
        monkeypatch.setattr(sys, "argv", [*argv, "--model", "fake-user", "--out", str(out)])
        user_fidelity.main()
        assert server.requests > 0
    printed = capsys.readouterr().out
    assert "| measure | people | scripted | llm |" in printed and "goal-dump turns" in printed
    results = json.loads(out.read_text())["results"]
    assert out.with_suffix(".png").stat().st_size > 0
    people, llm = results["people"], results["llm"]
    assert people["conversations"] == llm["conversations"] == 2 and people["turns"] == 8 + 4
    assert people["ended_before_person"] == 0 and people["end_turn"] == (9 + 5) / 2
    assert llm["end_turn"] == 4 and llm["ended_before_person"] == 1.0  # the fake ends after 3 replies
    assert llm["version"].endswith("/fake-user") and results["scripted"]["version"] == "scripted-v4"
    for source in results.values():
        assert all(0 <= source[k]["mean"] <= 1 for k in ("informative", "questions", "typos", "dump"))


def test_the_simulator_speaks_where_the_person_did_with_the_recorded_history():
    from benchmarks.user_fidelity import history, people, places
    from collab_env.tasks.doc.simarena import SimulatorArenaDataset

    instance = SimulatorArenaDataset(SIMARENA).instances[0]
    queries = instance.metadata["conversation"]["user_queries"]
    assert places(instance) == len(queries) - 1 and [t.text for t in people(instance)] == queries[1:]
    before_third = history(instance, 3)
    assert [m["role"] for m in before_third] == ["user", "assistant"] * 3 and before_third[-2][
        "content"
    ] == queries[2]
