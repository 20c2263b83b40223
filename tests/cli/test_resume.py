"""Issue 17, case 3 (and synth/finetune of case 2): every long command resumes, and says so.

Also case 4's command-line half: ``episode --seed k``, bench episode k and ``show --episode k``
play and show the same task instance.
"""

from __future__ import annotations

import json

import pytest

from collab_env.cli import main
from collab_env.harness.log import read_log

RUN = ["--envs", "CollabQA-v0,CollabMath-v0", "--agents", "passive,clarify", "--episodes", "3", "--seed", "4"]


def test_case3_bench_resume_takes_its_settings_from_the_log_header(tmp_path, capsys):
    out = str(tmp_path / "mine")
    assert main(["bench", *RUN, "--max-turns", "4", "--out", out]) == 0
    log = tmp_path / "mine" / "episodes.jsonl"
    lines = log.read_text().splitlines()
    log.write_text("\n".join(lines[:-5]) + "\n")  # as if interrupted: five episodes missing
    assert main(["bench", "--out", out, "--resume"]) == 0  # exactly the documented command
    header, records = read_log(log)
    assert (
        len(records) == 12
        and header["config"]["env"]["max_turns"] == 4
        and header["run"]["env_options"] == {"max_turns": 4}
    )
    assert main(["bench", "--out", out, "--resume", "--episodes", "5"]) == 2  # a real difference
    assert "differs in: episodes, seeds" in capsys.readouterr().out


def test_a_bench_log_written_before_env_was_nested_still_resumes_with_its_settings(tmp_path):
    out = str(tmp_path / "old")
    assert main(["bench", *RUN, "--max-turns", "4", "--out", out]) == 0
    log = tmp_path / "old" / "episodes.jsonl"
    header, *lines = log.read_text().splitlines()
    first = json.loads(header)
    env = first["config"].pop("env")  # the header as schema 2 wrote it before BenchConfig.env
    first["config"].update({"split": env["split"], "user_model": None, "base_url": None, "judge_model": None})
    first["config"]["env_options"] = {"max_turns": 4}
    log.write_text("\n".join([json.dumps(first), *lines[:-5]]) + "\n")  # and interrupted
    assert main(["bench", "--out", out, "--resume"]) == 0
    header, records = read_log(log)
    assert len(records) == 12 and {len(r["messages"]) <= 9 for r in records} == {True}  # 4 turns


def test_a_synth_run_stamped_before_env_was_nested_still_resumes(tmp_path):
    from collab_env.agents.synth import SynthConfig, synthesize

    config = SynthConfig("CollabQA-v0", "clarify", candidates=2, window=1, samples=1, episodes=1)
    synthesize(config, tmp_path, progress=False)
    old = {**config.as_dict(), "env_id": "CollabQA-v0", "split": "train", "env_options": {}}
    del old["env"]
    (tmp_path / "config.json").write_text(json.dumps(old))
    again = SynthConfig("CollabQA-v0", "clarify", candidates=2, window=1, samples=1, episodes=2)
    assert synthesize(again, tmp_path, progress=False)["episodes.jsonl"] == 1  # only the new one


def test_a_train_run_configured_before_env_was_nested_still_resumes_and_a_change_is_named(tmp_path):
    from collab_env.agents.checkpoints import check_resume
    from collab_env.agents.train import TrainConfig
    from collab_env.config import EnvConfig
    from collab_env.errors import ConfigError

    config = TrainConfig(env=EnvConfig("CollabQA-v0", max_turns=4, w_eng=0.5), timesteps=64)
    old = {k: v for k, v in json.loads(json.dumps(config.__dict__, default=str)).items() if k != "env"}
    (tmp_path / "config.json").write_text(json.dumps({**old, "env_id": "CollabQA-v0", "max_turns": 4,
                                                      "w_eng": 0.5, "env_options": {}}))  # fmt: skip
    check_resume(config, tmp_path)  # the same settings, in the old shape: accepted
    with pytest.raises(ConfigError, match=r"env\.max_turns: 4 in the run, 6 now"):
        check_resume(
            TrainConfig(env=EnvConfig("CollabQA-v0", max_turns=6, w_eng=0.5), timesteps=64), tmp_path
        )


def test_case4_episode_bench_and_show_agree_on_what_a_seed_plays(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["bench", *RUN, "--out", out]) == 0
    records = read_log(tmp_path / "run")[1]
    bench = {r["task_id"] for r in records if r["seed"] == 5 and r["env_id"] == "CollabMath-v0"}
    capsys.readouterr()
    assert main(["episode", "CollabMath-v0", "--seed", "5", "--json"]) == 0
    assert {json.loads(capsys.readouterr().out)["task_id"]} == bench == {"math-test-00005"}
    assert main(["show", out, "--episode", "5", "--env", "CollabMath-v0", "--agent", "clarify"]) == 0
    shown = capsys.readouterr().out
    assert "math-test-00005" in shown and "seed 5" in shown


def test_case2_synth_warns_when_candidates_are_identical_and_no_pair_was_written(tmp_path, capsys):
    argv = ["synth", "--env", "CollabQA-v0", "--agent", "clarify", "--episodes", "1", "--candidates", "2",
            "--window", "1", "--samples", "1", "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "had identical candidates: the agent is deterministic" in out
    assert "wrote 0 DPO pairs" in out


def test_case2_finetune_refuses_an_empty_preference_file_in_one_line(tmp_path, capsys):
    pytest.importorskip("trl", reason="TRL is not installed ('collab-env[train]')")
    (tmp_path / "dpo.jsonl").write_text("")
    assert (
        main(
            [
                "finetune",
                "dpo",
                "--model",
                str(tmp_path),
                "--data",
                str(tmp_path),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    out = capsys.readouterr().out
    assert "holds no examples" in out and "Traceback" not in out


def test_case3_train_saves_a_checkpoint_on_ctrl_c_and_resumes_from_it(tmp_path, capsys, monkeypatch):
    pytest.importorskip("stable_baselines3", reason="stable-baselines3 is not installed")
    out = tmp_path / "run"
    argv = ["train", "--env", "CollabQA-v0", "--reward", "final", "--timesteps", "64", "--n-envs", "1",
            "--n-steps", "32", "--eval-episodes", "1", "--device", "cpu", "--out", str(out)]  # fmt: skip
    from collab_env.agents.sb3 import DialogueActs

    step, seen = DialogueActs.step, [0]

    def interrupted(self, action):  # Ctrl-C in the second rollout
        seen[0] += 1
        if seen[0] == 40:
            raise KeyboardInterrupt
        return step(self, action)

    monkeypatch.setattr(DialogueActs, "step", interrupted)
    assert main(argv) == 130
    said = capsys.readouterr().out
    assert "resume with: collab-env train" in said and "--resume" in said and "Traceback" not in said
    assert list((out / "checkpoints").glob("ppo_*_steps.zip"))
    monkeypatch.setattr(DialogueActs, "step", step)
    assert main([*argv, "--resume"]) == 0
    assert (out / "model.zip").exists()
    assert main(["train", "--resume", "--out", str(tmp_path / "empty")]) == 2
    assert "no checkpoint" in capsys.readouterr().out


def test_issue26_case4_bench_resume_keeps_the_comparison_unless_given_again(tmp_path):
    out = str(tmp_path / "cmp")
    run = ["--envs", "CollabQA-v0", "--agents", "passive,clarify", "--episodes", "2", "--out", out]
    assert main(["bench", *run, "--compare", "passive"]) == 0
    assert main(["bench", "--resume", "--out", out]) == 0
    compared = json.loads((tmp_path / "cmp" / "results.json").read_text())["compare"]
    assert compared and {c["base"] for c in compared} == {"passive"}
    assert main(["bench", "--resume", "--out", out, "--compare", "clarify"]) == 0  # given again: it wins
    compared = json.loads((tmp_path / "cmp" / "results.json").read_text())["compare"]
    assert {c["base"] for c in compared} == {"clarify"}
