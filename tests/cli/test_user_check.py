"""``collab-env user-check`` over the loopback server: the card shows what the fake user model did."""

from __future__ import annotations

import json
import re

import pytest

from collab_env.cli import main
from collab_env.testing.openai_server import LoopbackServer

PEOPLE = {
    "id": "simarena-doc-000", "intent": "Apology Letter: Write a sincere letter apologizing to a friend for missing her party.",
    "document_type": "email", "user_queries": ["Hi, I need help with a letter", "Make it warmer", "It's for Anna", "Thanks!"],
    "ai_responses": ["Sure, who is it for?", "Here is a draft: Dear friend, sorry.", "Dear Anna, I am so sorry I missed it."],
}  # fmt: skip


def _is_judge(messages):
    text = "\n".join(m["content"] for m in messages)
    return "Conversation:\n\n" in text and "<hidden_goal>" not in text


_ACT = re.compile(r'^- "(\w+)": ', re.M)


def fake_user(message, end=False, score=1.0):
    """A model that writes ``message`` as the user every time (the judge's score ``score``), in
    the protocol its prompt asks for: acts (the default; the first act open, the opening the
    template's request) or grounded."""

    def reply(messages):
        prompt = messages[-1]["content"]
        if _is_judge(messages):
            return json.dumps({"thought": "fine", "score": score})
        if "<opening>" in prompt:  # the acts protocol's opening: the request reworded
            opening = prompt.split("<opening>\n", 1)[1].split("\n</opening>", 1)[0]
            return json.dumps({"act": "answer", "message": f"hi, {opening}"})
        if '{"act": ' in prompt:
            acts = _ACT.findall(prompt.rpartition("(your act):")[2]) or ["answer"]
            return json.dumps({"act": acts[0], "message": message})
        if "<conversation>" not in prompt:  # the opening
            return json.dumps({"reveal": [], "message": "can you help me with this?", "end_chat": False})
        return json.dumps({"reveal": [], "message": message, "end_chat": end})

    return reply


def _card(tmp_path, argv, reply=None):
    data = tmp_path / "people.jsonl"
    data.write_text(json.dumps(PEOPLE) + "\n")
    common = ["user-check", "--people-data", str(data), "--out", str(tmp_path / "card"), *argv]
    if reply is None:
        return main(common), json.loads((tmp_path / "card" / "card.json").read_text())
    with LoopbackServer(reply=reply) as server:
        rc = main([*common, "--user", "llm", "--user.model", f"openai:m@{server.base_url}"])
    return rc, json.loads((tmp_path / "card" / "card.json").read_text())


SMALL = ["--envs", "CollabMath-v0,CollabQA-v0", "--episodes", "1", "--max-turns", "3", "--people-turns", "2"]


def test_the_scripted_user_is_the_baseline_column(tmp_path, capsys):
    rc, card = _card(tmp_path, ["--user", "scripted", "--quick"])
    out = capsys.readouterr().out
    s = card["summary"]
    assert rc == 0 and card["complete"] and s["episodes"] == 4 and s["lost"] == 0
    assert s["messages"] >= 8 and s["independent"]["drift_messages"] == 0
    assert s["endings"]["affirms_wrong"] == 0 and s["endings"]["recognised"] >= 2
    assert list(card["people"]["results"]) == ["people", "scripted"]
    assert card["verdict"].startswith("usable: ") and card["verdict"] in out
    assert (tmp_path / "card" / "card.png").stat().st_size > 0
    assert s["judge"] is None  # the heuristic judged


def test_an_assistant_voice_the_guards_miss_is_drift_by_the_independent_check(tmp_path):
    rc, card = _card(tmp_path, [*SMALL, "--agents", "informed"],
                     fake_user("I'll provide you with a Python function that does this."))  # fmt: skip
    s = card["summary"]
    # Two episodes of two replies, every one the fake's words: informed asks, then answers
    # rightly, where the acts protocol (the default) opens only accept and the chat ends.
    replies = 2 * 2
    assert rc == 0 and s["episodes"] == 2
    assert s["independent"]["kinds"]["voice_or_narration"] == replies == s["independent"]["drift_messages"]
    assert s["guards"]["accepted"] == {}  # the guards let it through (issue 44's finding)
    assert s["endings"]["recognised"] == 2 and s["endings"]["correct_answers_gone_on_after"] == 0
    assert s["messages"] == replies + 2 and card["verdict"].startswith(
        "not usable: drift 67% of 6 messages"
    )  # openings clean
    assert card["people"]["drift"]["llm"] == {"turns": 2, "drift_turns": 2}
    assert list(card["people"]["results"]) == ["people", "scripted", "llm"]


def test_an_assistant_voice_the_guards_catch_is_drift_by_the_guards(tmp_path):
    rc, card = _card(tmp_path, [*SMALL, "--agents", "informed", "--people", "0", "--judge", "heuristic"],
                     fake_user("How can I help you today? I'd be happy to help."))  # fmt: skip
    guards = card["summary"]["guards"]
    # Four replies (each episode: a question, then the right answer, which ends it), each of
    # their three attempts rejected; used with the drift dropped (the act's details, the thanks).
    assert rc == 0 and guards["rejected_attempts"].get("assistant_voice", 0) == 4 * 3
    assert guards["accepted"].get("assistant_voice", 0) == 4 and guards["accepted_share"] > 0


def test_an_ending_that_accepts_a_wrong_answer_is_named_in_the_verdict(tmp_path):
    # "That's correct!" is now retried by the guards (7c79b71); "Looks good" passes them, and the
    # card's own check, which the guards do not use, still names it. The grounded protocol: with
    # acts (the default) an ending is open only after a right answer (tests/users/test_acts_user.py)
    rc, card = _card(tmp_path, [*SMALL, "--agents", "passive", "--people", "0", "--user.protocol", "grounded"],
                     fake_user("Looks good, thanks!", end=True, score=0.5))  # fmt: skip
    s = card["summary"]
    assert rc == 0 and s["endings"]["affirms_wrong"] == 2 == s["endings"]["premature_unmet"]
    assert s["false_statements"]["kinds"] == {"calls a wrong answer right": 2}
    assert "2 endings affirming a wrong answer" in card["verdict"] and card["verdict"].startswith(
        "not usable"
    )
    assert s["judge"]["scores"] == [0.5, 0.5] and s["judge"]["stdev"] == 0 and s["judge"]["distinct"] == 1


def test_lost_episodes_exit_non_zero_and_resume_plays_them_again(tmp_path, capsys):
    argv = ["user-check", *SMALL, "--agents", "passive", "--people", "0", "--judge", "heuristic",
            "--out", str(tmp_path / "card"), "--user", "llm", "--user.max_retries", "0"]  # fmt: skip
    with LoopbackServer(reply=fake_user("ok"), faults=[500] * 50, port=0) as server:
        url = f"openai:m@{server.base_url}"
        assert main([*argv, "--user.model", url]) == 1
    assert "lost" in capsys.readouterr().out
    card = json.loads((tmp_path / "card" / "card.json").read_text())
    assert card["summary"]["lost"] == 2 and "LOST" in card["verdict"]
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with LoopbackServer(reply=fake_user("it's fine"), port=port):  # the same URL, now answering
        assert main([*argv, "--user.model", url, "--resume"]) == 0
    card = json.loads((tmp_path / "card" / "card.json").read_text())
    assert card["summary"]["lost"] == 0 and card["summary"]["episodes"] == 2 and card["complete"]


@pytest.mark.parametrize("argv", [["--agents", "smart"], ["--episodes", "0"]])
def test_bad_options_are_one_line_errors(tmp_path, argv, capsys):
    assert main(["user-check", "--user", "scripted", "--out", str(tmp_path), *argv]) == 2
    assert "error:" in capsys.readouterr().out
