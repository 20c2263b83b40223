"""benchmarks/real_model_user.py plays an episode over an endpoint (here the loopback server), with
each protocol, and counts what the model wrote (it had stopped building its env unnoticed)."""

from __future__ import annotations

import json

import pytest

from benchmarks.real_model_user import Args, play
from collab_env.testing.openai_server import LoopbackServer


@pytest.mark.parametrize("protocol", ["grounded", "acts"])
def test_one_episode_is_played_and_its_messages_collected(protocol):
    reply = json.dumps({"act": "answer", "reveal": [], "message": "not sure, go on", "end_chat": False})
    with LoopbackServer(reply=lambda m: reply) as server:
        args = Args(base_url=server.base_url, model="small", max_turns=2, protocol=protocol, json_mode=0)
        record, written = play(args, "CollabMath-v0", "clarify", 0)
    assert record["protocol"] == protocol and not record.get("lost")
    assert written and all("not sure, go on" in w["text"] for w in written[1:])
