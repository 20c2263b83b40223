"""TRL trainers on MR-ranked data: a tiny random model on the CPU computes a loss and changes."""

from __future__ import annotations

import importlib.util
import warnings

import pytest

pytest.importorskip("trl", reason="trl is not installed ('collab-env[train]')")
torch = pytest.importorskip("torch", reason="torch is not installed ('collab-env[train]')")

import gymnasium as gym  # noqa: E402

from collab_env.agents import make_agent  # noqa: E402
from collab_env.agents.finetune import (  # noqa: E402
    MRRewardFunction,
    check_chat_template,
    dpo,
    grpo,
    sft,
    trl_config,
)
from collab_env.agents.synth import synthesize  # noqa: E402
from collab_env.errors import ConfigError  # noqa: E402
from collab_env.testing.tiny_model import build_tiny_checkpoint  # noqa: E402

from .test_synth import TwoWays, config  # noqa: E402

SMALL = {"max_steps": 2, "per_device_train_batch_size": 2, "max_length": 128}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("finetune")
    synthesize(config(3), root / "data", agent=TwoWays(), progress=False)
    return build_tiny_checkpoint(root / "tiny"), root / "data", root


def weights(trainer) -> dict:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def changed(before: dict, trainer) -> int:
    return sum(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())


def test_sft_trains_on_assistant_turns_only(workspace):
    checkpoint, data, root = workspace
    trainer = sft(checkpoint, data, root / "sft", **SMALL)
    example = trainer.train_dataset[0]
    template = trainer.processing_class.apply_chat_template
    prompt = template(example["prompt"], add_generation_prompt=True, return_dict=True)["input_ids"]
    masked = len(prompt)
    assert example["input_ids"][:masked] == list(prompt)
    assert set(example["labels"][:masked]) == {-100}  # the prompt (every user turn) is out of the loss
    assert all(label != -100 for label in example["labels"][masked:])
    history = [h for h in trainer.state.log_history if "loss" in h]
    assert history and all(float(h["loss"]) > 0 for h in history)
    reloaded = build_tiny_checkpoint(root / "fresh")
    from transformers import AutoModelForCausalLM

    trained = AutoModelForCausalLM.from_pretrained(root / "sft").state_dict()
    fresh = AutoModelForCausalLM.from_pretrained(reloaded).state_dict()
    assert any(not torch.equal(trained[k], fresh[k]) for k in fresh)  # saved, and moved


def test_dpo_computes_a_preference_loss_and_moves_the_weights(workspace):
    checkpoint, data, root = workspace
    trainer = dpo(checkpoint, data, root / "dpo", learning_rate=1e-3, **SMALL)
    first = next(h for h in trainer.state.log_history if "loss" in h)
    assert abs(float(first["loss"]) - 0.693) < 0.01  # log(2): policy and reference start equal
    from transformers import AutoModelForCausalLM

    trained = AutoModelForCausalLM.from_pretrained(root / "dpo").state_dict()
    start = AutoModelForCausalLM.from_pretrained(checkpoint).state_dict()
    assert any(not torch.equal(trained[k], start[k]) for k in start)


def test_grpo_rewards_sampled_responses_with_mr(workspace):
    checkpoint, data, root = workspace
    env = gym.make("CollabDoc-v0")
    reward = MRRewardFunction("CollabDoc-v0", make_agent("clarify", env), window=1, samples=1)
    calls = []
    original = reward.__call__

    class Spy(MRRewardFunction):
        def __call__(self, *args, **kwargs):
            calls.append(original(*args, **kwargs))
            return calls[-1]

    spy = Spy("CollabDoc-v0", reward.policy, 1, 1)
    trainer = grpo(checkpoint, data, root / "grpo", spy, max_steps=1, per_device_train_batch_size=4,
                   num_generations=4, max_completion_length=6)  # fmt: skip
    assert calls and all(len(batch) == 4 for batch in calls)
    assert all(-1.0 <= r <= 2.0 for batch in calls for r in batch)
    assert any("reward" in h for h in trainer.state.log_history)


def test_progress_is_the_steps_bar_only_and_nothing_without_it(workspace, capfd):
    checkpoint, data, root = workspace
    sft(checkpoint, data, root / "quiet", progress=False, **SMALL)
    quiet = capfd.readouterr()
    assert "%|" not in quiet.err and "'loss'" not in quiet.out + quiet.err  # no bar, no loss lines
    sft(checkpoint, data, root / "shown", **SMALL)
    shown = capfd.readouterr().err
    assert "2/2 [" in shown  # the training steps' bar
    for step in ("Loading weights", "Writing model shards", "Generating train split", "Tokenizing"):
        assert step not in shown  # the steps around training draw no bar


def test_trl_config_gives_the_fine_tuning_defaults_without_a_deprecation_warning(tmp_path):
    from trl import GRPOConfig

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        args = trl_config(GRPOConfig, tmp_path, progress=False, max_steps=3, report_to="none")
    assert (args.output_dir, args.max_steps, args.disable_tqdm, args.save_steps) == (
        str(tmp_path),
        3,
        True,
        500,
    )
    assert args.use_cpu == (not torch.cuda.is_available())


def test_a_template_that_rewrites_earlier_turns_is_refused(workspace):
    checkpoint, _, _ = workspace
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    conversation = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
                    {"role": "user", "content": "more"}, {"role": "assistant", "content": "sure"}]  # fmt: skip
    check_chat_template(tokenizer, conversation)
    tokenizer.chat_template = (  # drops every assistant turn but the last, as some reasoning templates do
        "{% for m in messages %}{% if m['role'] == 'user' or loop.last %}{{ m['role'] }}: {{ m['content'] }} "
        "{% endif %}{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}"
    )
    with pytest.raises(ConfigError, match="up to assistant turn 1 differently"):
        check_chat_template(tokenizer, conversation)


def test_finetune_command_runs_dpo_on_a_synth_directory(workspace):
    from collab_env.cli import main

    checkpoint, data, root = workspace
    argv = ["finetune", "dpo", "--model", str(checkpoint), "--data", str(data), "--out", str(root / "cli-dpo"),
            "--max-steps", "2", "--batch-size", "2", "--save-steps", "1", "--report-to", "tensorboard"]  # fmt: skip
    assert main(argv) == 0
    assert (root / "cli-dpo" / "model.safetensors").exists()
    assert (root / "cli-dpo" / "checkpoint-2").is_dir()  # checkpoints, the last two kept
    assert list((root / "cli-dpo").rglob("events.out.tfevents.*"))  # TensorBoard logs
    if importlib.util.find_spec("wandb") is None:  # a logger that is not installed: one line, status 2
        assert main([*argv[:-2], "--report-to", "wandb"]) == 2
    missing = [
        "finetune",
        "sft",
        "--model",
        str(checkpoint),
        "--data",
        str(root / "nothing"),
        "--out",
        str(root / "x"),
    ]
    assert main(missing) == 2


def test_a_tiny_checkpoint_takes_a_chat_template_and_its_end_of_message_token(tmp_path):
    from transformers import AutoConfig, AutoTokenizer

    path = build_tiny_checkpoint(
        tmp_path, chat_template="{{ messages[0]['content'] }}", eos_token="<|im_end|>"
    )
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert tokenizer.eos_token == "<|im_end|>"
    assert AutoConfig.from_pretrained(path).eos_token_id == tokenizer.eos_token_id  # no realignment warning
    assert tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False) == "hi"
