"""Issue 26, cases 2, 3 and 6: a resumed training run is the run that was not interrupted; it
trains the steps it was asked for; a device that is not there fails before work.
"""

from __future__ import annotations

import csv
import json

import pytest

pytest.importorskip("stable_baselines3", reason="stable-baselines3 is not installed")

import torch

from collab_env.agents.sb3 import DialogueActs
from collab_env.agents.train import TrainConfig, train
from collab_env.cli import main
from collab_env.errors import ConfigError

CONFIG = TrainConfig(env="CollabQA-v0", reward="final", timesteps=96, n_envs=2, n_steps=16, eval_episodes=0)


def _curve(out):
    with open(out / "curve.csv") as handle:
        return list(csv.DictReader(handle))


def _interrupt_at(monkeypatch, calls):
    """Ctrl-C in the middle of a rollout, at the ``calls``-th env step."""
    step, seen = DialogueActs.step, [0]

    def interrupted(self, action):
        seen[0] += 1
        if seen[0] == calls:
            raise KeyboardInterrupt
        return step(self, action)

    monkeypatch.setattr(DialogueActs, "step", interrupted)


def test_case2_a_run_interrupted_and_resumed_is_the_run_that_was_not(tmp_path, monkeypatch):
    whole = train(CONFIG, out=tmp_path / "whole", progress=False, checkpoints=3)
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 75)  # in the third rollout (steps 64 to 96): the last one started at 64
        with pytest.raises(KeyboardInterrupt):
            train(CONFIG, out=tmp_path / "cut", progress=False, checkpoints=3)
    assert (tmp_path / "cut" / "config.json").exists()  # written when the run started
    resumed = train(CONFIG, out=tmp_path / "cut", progress=False, checkpoints=3, resume=True)
    assert _curve(tmp_path / "cut") == _curve(tmp_path / "whole")  # from step 0, the same episodes
    assert _curve(tmp_path / "cut")[0]["timestep"] == _curve(tmp_path / "whole")[0]["timestep"]
    names = sorted(p.name for p in (tmp_path / "whole" / "checkpoints").glob("*.zip"))
    assert sorted(p.name for p in (tmp_path / "cut" / "checkpoints").glob("*.zip")) == names
    for a, b in zip(whole.model.policy.parameters(), resumed.model.policy.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed.seconds > 0 and resumed.model.num_timesteps == 96


def test_case2_a_resume_with_other_settings_is_refused_naming_each(tmp_path, monkeypatch, capsys):
    with monkeypatch.context() as patch:
        _interrupt_at(patch, 40)
        with pytest.raises(KeyboardInterrupt):
            train(CONFIG, out=tmp_path, progress=False)
    other = TrainConfig(env="CollabMath-v0", reward="turn", window=3, timesteps=96, n_envs=2, n_steps=16)
    with pytest.raises(
        ConfigError, match=r"env.env_id: 'CollabQA-v0' in the run, 'CollabMath-v0' now.*reward.*window"
    ):
        train(other, out=tmp_path, progress=False, resume=True)
    argv = ["train", "--env", "CollabQA-v0", "--reward", "mr", "--timesteps", "96", "--n-envs", "2",
            "--n-steps", "16", "--out", str(tmp_path), "--resume"]  # fmt: skip
    assert main(argv) == 2
    said = capsys.readouterr().out
    assert "reward: 'final' in the run, 'mr' now" in said and "Traceback" not in said


def test_case3_timesteps_64_trains_64_and_the_report_says_so(tmp_path, capsys):
    argv = ["train", "--env", "CollabQA-v0", "--reward", "final", "--timesteps", "64", "--eval-episodes", "0",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "n_steps 16 instead of 128" in said and "after 64 steps" in said
    assert int(_curve(tmp_path)[-1]["timestep"]) <= 64
    assert len(list((tmp_path / "checkpoints").glob("*.zip"))) <= 4
    assert json.loads((tmp_path / "config.json").read_text())["timesteps"] == 64


def test_case3_steps_that_no_rollout_fits_get_one_warning_saying_what_is_trained():
    assert TrainConfig(timesteps=1030, n_envs=4, n_steps=128).plan().timesteps == 1536
    assert TrainConfig(timesteps=4096).plan().note == ""


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_case6_device_cuda_without_cuda_fails_before_work(capsys):
    assert main(["train", "--env", "CollabQA-v0", "--device", "cuda", "--out", "nowhere"]) == 2
    said = capsys.readouterr().out
    assert "device 'cuda' is not available on this machine" in said and "Traceback" not in said
