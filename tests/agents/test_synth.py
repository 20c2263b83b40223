"""collab-env synth: MR-ranked SFT and DPO data in TRL's formats, resumable and deduplicated."""

from __future__ import annotations

import json

import gymnasium as gym
import pytest

from collab_env.agents import ClarifyAgent, PassiveAgent
from collab_env.agents.synth import SynthConfig, synthesize
from collab_env.cli import main
from collab_env.errors import ConfigError
from collab_env.jsonl import read_jsonl
from collab_env.testing.openai_server import LoopbackServer


class TwoWays:
    """A deterministic sampler: sample 0 of an opening asks (clarify), sample 1 drafts at once
    (passive); later turns draft from what the conversation revealed."""

    def __init__(self):
        drafter = gym.make("CollabDoc-v0").unwrapped.task.drafter
        self.ask, self.draft = ClarifyAgent(drafter), PassiveAgent(drafter)

    def __call__(self, messages):
        return self.act_batch([messages])[0]

    def act_batch(self, conversations, per_call=None):
        indices = [p.get("sample_index", 0) for p in per_call] if per_call else range(len(conversations))
        return [
            self.ask(c) if len(c) == 1 and k % 2 == 0 else self.draft(c)
            for k, c in zip(indices, conversations, strict=True)
        ]


#: For agent specs on the command line: ``tests.agents.test_synth:TWO_WAYS``.
TWO_WAYS = TwoWays()


def config(episodes: int) -> SynthConfig:
    return SynthConfig("CollabDoc-v0", "tests.agents.test_synth:TwoWays", candidates=2, window=1, samples=2,
                       episodes=episodes, min_gap=0.05)  # fmt: skip


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_writes_sft_dpo_and_audit_files_that_trace_to_each_other(tmp_path):
    counts = synthesize(config(3), tmp_path, agent=TwoWays(), progress=False)
    assert counts["episodes.jsonl"] == 3 and counts["sft.jsonl"] == counts["audit.jsonl"] >= 2
    sft, dpo, audit = (lines(tmp_path / f) for f in ("sft.jsonl", "dpo.jsonl", "audit.jsonl"))
    assert sft[0]["prompt"][0]["role"] == "user" and sft[0]["completion"][0]["role"] == "assistant"
    assert dpo and all(p["gap"] > 0.05 and p["chosen"] != p["rejected"] for p in dpo)
    first = next(a for a in audit if (a["task_id"], a["turn"]) == (dpo[0]["task_id"], dpo[0]["turn"]))
    texts = [c["text"] for c in first["candidates"]]
    assert dpo[0]["chosen"][0]["content"] == texts[first["best"]]
    assert all(c["futures"] and len(c["scores"]) == 2 for c in first["candidates"])


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path):
    synthesize(config(3), tmp_path / "straight", agent=TwoWays(), progress=False)
    synthesize(config(1), tmp_path / "resumed", agent=TwoWays(), progress=False)
    with open(tmp_path / "resumed" / "sft.jsonl", "a") as torn:  # a kill mid-write of episode 2
        torn.write('{"prompt": [{"role": "us')
    synthesize(config(3), tmp_path / "resumed", agent=TwoWays(), progress=False)
    for name in ("sft.jsonl", "dpo.jsonl", "audit.jsonl", "episodes.jsonl"):
        assert lines(tmp_path / "resumed" / name) == lines(tmp_path / "straight" / name)


def test_examples_are_deduplicated_and_another_configuration_is_refused(tmp_path):
    synthesize(config(2), tmp_path, agent=TwoWays(), progress=False)
    sft = lines(tmp_path / "sft.jsonl")
    keys = {json.dumps([r["prompt"], r["completion"]]) for r in sft}
    assert len(keys) == len(sft)
    with pytest.raises(ConfigError, match="differs in: agent, window"):
        synthesize(SynthConfig("CollabDoc-v0", "x:y", candidates=2, window=2, samples=2), tmp_path, TwoWays())


def test_synth_command_with_an_endpoint_writes_datasets_loadable_by_datasets(tmp_path):
    datasets = pytest.importorskip("datasets", reason="datasets is not installed ('collab-env[train]')")
    replies = iter(["Who is the audience?", "Here is the draft:\n\nHello all."] * 1000)
    with LoopbackServer(reply=lambda m: next(replies)) as server:
        argv = ["synth", "--env", "CollabDoc-v0", "--agent", f"openai:m@{server.base_url}", "--episodes", "2",
                "--candidates", "2", "--window", "1", "--samples", "1", "--out", str(tmp_path)]  # fmt: skip
        assert main(argv) == 0
    sft = datasets.load_dataset("json", data_files=str(tmp_path / "sft.jsonl"), split="train")
    assert {"prompt", "completion"} <= set(sft.column_names) and len(sft) >= 2
    dpo = []
    if (tmp_path / "dpo.jsonl").stat().st_size:  # pairs only where the MR gap is clear
        dpo = datasets.load_dataset("json", data_files=str(tmp_path / "dpo.jsonl"), split="train")
        assert {"prompt", "chosen", "rejected"} <= set(dpo.column_names)
    try:
        from trl.data_utils import is_conversational
    except ImportError:  # pragma: no cover - trl is in [train]
        return
    assert is_conversational(sft[0]) and (len(dpo) == 0 or is_conversational(dpo[0]))


@pytest.mark.slow
def test_a_synth_run_killed_at_random_points_and_resumed_equals_an_uninterrupted_one(tmp_path):
    import sys

    from collab_env.testing.interrupt import kill_and_resume

    def command(out):
        return [sys.executable, "-m", "collab_env.cli", "synth", "--env", "CollabDoc-v0", "--agent",
                "tests.agents.test_synth:TWO_WAYS", "--candidates", "2", "--window", "1", "--episodes", "8",
                "--out", str(out)]  # fmt: skip

    def whole(log):
        for name in ("sft.jsonl", "dpo.jsonl", "audit.jsonl"):
            if (log.parent / name).exists():
                read_jsonl(log.parent / name)  # a torn last line at most

    kill_and_resume(command(tmp_path / "straight"), [], tmp_path / "straight" / "episodes.jsonl", kills=0)
    report = kill_and_resume(command(tmp_path / "cut"), command(tmp_path / "cut"), tmp_path / "cut" / "episodes.jsonl",
                             kills=3, seed=4, max_step=2, after_kill=whole)  # fmt: skip
    assert report.kills >= 2, report
    for name in ("sft.jsonl", "dpo.jsonl", "audit.jsonl", "episodes.jsonl"):
        assert lines(tmp_path / "cut" / name) == lines(tmp_path / "straight" / name), name


def test_the_candidates_temperature_is_one_knob_not_two():
    with pytest.raises(ConfigError, match=r"drop the model option agent\.temperature"):
        SynthConfig("CollabDoc-v0", "clarify", agent_options=("temperature=0.2",))


def test_episodes_of_a_model_agent_are_ranked_together_and_write_what_a_serial_run_writes(
    tmp_path, monkeypatch
):
    from collab_env.agents import LLMAgent, synth
    from collab_env.llm import OpenAIChat

    def reply(messages, request):  # candidates differ by their seed
        return ["Who is the audience?", "Here is the description: a lamp."][request["seed"] % 2]

    with LoopbackServer(reply=reply, latency_s=0.05) as server:
        agent = LLMAgent(OpenAIChat("policy", base_url=server.base_url))
        synthesize(config(3), tmp_path / "together", agent=agent, progress=False)
        assert server.max_in_flight > 2 * 2  # more than one episode's candidates × samples at once
        monkeypatch.setattr(synth, "_in_flight", lambda agent, config: 1)
        synthesize(config(3), tmp_path / "serial", agent=agent, progress=False)
    for name in ("sft.jsonl", "dpo.jsonl", "audit.jsonl", "episodes.jsonl"):
        assert read_jsonl(tmp_path / "together" / name) == read_jsonl(tmp_path / "serial" / name), name
