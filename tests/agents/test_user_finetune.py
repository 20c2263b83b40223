"""``collab-env finetune sft --role user``: a tiny random model learns people's turns, is saved, and
plays the user of a CollabDoc episode as ``hf:PATH``."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("trl", reason="trl is not installed ('collab-env[train]')")
torch = pytest.importorskip("torch", reason="torch is not installed ('collab-env[train]')")

import gymnasium as gym  # noqa: E402

from collab_env.agents import make_agent  # noqa: E402
from collab_env.agents.user_finetune import has_peft  # noqa: E402
from collab_env.cli import main  # noqa: E402
from collab_env.errors import ConfigError  # noqa: E402
from collab_env.parts import UserSpec  # noqa: E402
from collab_env.rollout import run_episode  # noqa: E402
from collab_env.testing.tiny_model import CORPUS, build_tiny_checkpoint  # noqa: E402

from .test_user_sft_data import doc_record, write  # noqa: E402

SMALL = ["--max-steps", "2", "--batch-size", "2", "--report-to", "none", "--learning-rate", "1e-2"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("user_sft")
    data = write(root / "people.jsonl", [doc_record(n) for n in range(4)])
    words = " ".join(json.dumps(doc_record(0)).replace('"', " ").split())
    return build_tiny_checkpoint(root / "tiny", corpus=[*CORPUS, words]), data, root


def trained(root, name, checkpoint, data, *extra) -> tuple[int, object]:
    out = root / name
    argv = [
        "finetune",
        "sft",
        "--role",
        "user",
        "--data",
        str(data),
        "--model",
        str(checkpoint),
        "--out",
        str(out),
    ]
    return main([*argv, *SMALL, *extra]), out


def moved(out, checkpoint) -> bool:
    from transformers import AutoModelForCausalLM

    after = AutoModelForCausalLM.from_pretrained(out).state_dict()
    before = AutoModelForCausalLM.from_pretrained(checkpoint).state_dict()
    return set(after) == set(before) and any(not torch.equal(after[k], before[k]) for k in before)


def test_a_user_model_trains_saves_and_plays_the_user(workspace, capsys):
    checkpoint, data, root = workspace
    status, out = trained(root, "user", checkpoint, data, "--eval-share", "0.25")
    printed = " ".join(capsys.readouterr().out.split())  # the console wraps lines
    assert status == 0, printed
    assert "sft --role user: 2 steps" in printed and "eval loss" in printed
    assert "--user.model hf:" in printed
    held = [json.loads(line) for line in (out / "user_sft" / "eval.jsonl").read_text().splitlines()]
    kept = [json.loads(line) for line in (out / "user_sft" / "train.jsonl").read_text().splitlines()]
    assert len({r["conversation"] for r in held}) == 1 and len({r["conversation"] for r in kept}) == 3
    assert (out / "adapter").is_dir() == has_peft()  # LoRA where peft is installed, merged into out
    assert not (out / "adapter_config.json").exists()  # out is a plain checkpoint, not an adapter
    assert moved(out, checkpoint)
    user = UserSpec("llm", f"hf:{out}", {"protocol": "roleplay", "max_tokens": 16, "max_attempts": 2})
    env = gym.make("CollabDoc-v0", user=user, max_turns=3)
    result = run_episode(env, make_agent("clarify", env), seed=0)
    spoken = [m for m in result.messages if m["role"] == "user"]
    assert len(spoken) >= 2 and all(m["content"].strip() for m in spoken)  # it opened and replied
    assert result.terminated or result.truncated
    assert len(result.rewards) <= 3


@pytest.mark.skipif(not has_peft(), reason="peft is not installed: every run is a full fine-tune")
def test_no_lora_trains_every_weight(workspace, capsys):
    checkpoint, data, root = workspace
    status, out = trained(root, "full", checkpoint, data, "--no-lora")
    assert status == 0, capsys.readouterr().out
    assert not (out / "adapter").exists() and moved(out, checkpoint)


def test_the_user_role_options_are_refused_where_they_do_not_apply(workspace, capsys):
    checkpoint, data, root = workspace
    argv = [
        "finetune",
        "dpo",
        "--role",
        "user",
        "--data",
        str(data),
        "--model",
        str(checkpoint),
        "--out",
        str(root / "d"),
    ]
    assert main(argv) == 2
    assert "--role user trains with sft" in " ".join(capsys.readouterr().out.split())
    argv = [
        "finetune",
        "sft",
        "--data",
        str(root),
        "--model",
        str(checkpoint),
        "--out",
        str(root / "a"),
        "--eval-share",
        "0.2",
    ]
    assert main(argv) == 2
    assert "--eval-share: only with --role user" in " ".join(capsys.readouterr().out.split())
    status, _ = trained(root, "long", checkpoint, data, "--max-length", "8")
    assert status == 2
    assert "no example fits max_length=8 tokens" in " ".join(capsys.readouterr().out.split())


def test_a_gguf_base_is_loaded_as_a_plain_dense_model(tmp_path, monkeypatch):
    import transformers

    from collab_env.agents import user_finetune

    tiny = build_tiny_checkpoint(tmp_path / "tiny")
    calls = []

    def from_pretrained(**kwargs):  # what transformers >= 5 gives for a GGUF: a model marked quantised
        calls.append(kwargs)
        model = transformers.AutoModelForCausalLM.from_config(transformers.AutoConfig.from_pretrained(tiny))
        model.hf_quantizer = object()
        model.config.quantization_config = {"quant_method": "gguf"}
        return model

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", from_pretrained)
    model = user_finetune._dense_gguf({"pretrained_model_name_or_path": str(tmp_path), "gguf_file": "q.gguf"})
    assert calls[0]["gguf_file"] == "q.gguf"
    if hasattr(transformers, "GgufConfig"):
        assert calls[0]["quantization_config"].dequantize is True  # every weight unpacked
    assert model.hf_quantizer is None and "quantization_config" not in vars(model.config)
    from transformers.trainer_utils import validate_quantization_for_training

    validate_quantization_for_training(model)  # the Trainer's check passes
    with pytest.raises(ConfigError, match="no such GGUF file"):
        user_finetune.load_base(tmp_path / "missing.gguf")
