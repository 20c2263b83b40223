"""A local ``transformers`` model in the loop: generate calls and wall time of MR, and bench episodes.

Builds a random Llama (no download: a word-level tokenizer trained here and random weights of
the size asked for) and serves it through :class:`~collab_env.llm.HFChat` (CUDA and bf16 when
present, else the CPU). Then measures, with an ``LLMAgent`` on it as the policy and the scripted
user:

1. one call, and one batch of ``samples`` calls (the floor of one policy turn of every future;
   medians of 5, with random weights the lengths of samples vary);
2. one MR step (window w, S samples): how many ``generate`` calls it makes (the futures run free
   on the async core and the model coalesces the calls that arrive together: the target is at
   most 2 · (w + 1), not w · S) and its wall time against w × one batch of S;
3. ``collab-env bench`` with an ``hf:`` agent and several workers: episodes lost and how many
   times the checkpoint was loaded (one model per process, shared by every worker).

Run: ``python -m benchmarks.local_model_throughput [--hidden-size 1024 --layers 16]
[--out PATH.json]`` (extra ``[train]``).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import gymnasium as gym

from benchmarks import parse_args, save_results
from collab_env.agents import LLMAgent
from collab_env.testing.tiny_model import build_tiny_checkpoint
from collab_env.wrappers import MultiturnAwareReward


@dataclass
class Args:
    """What to measure."""

    env: str = "CollabQA-v0"
    hidden_size: int = 128
    layers: int = 2
    max_tokens: int = 32
    window: int = 2
    samples: int = 8
    bench_episodes: int = 8
    workers: int = 8
    out: str = "runs/benchmarks/local_model_throughput.json"


class GenerateCounter:
    """Counts ``generate`` calls of a model (and the rows they generated)."""

    def __init__(self, model) -> None:
        self.calls, self.rows, self._generate = 0, 0, model.generate
        model.generate = self

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.rows += len(kwargs.get("input_ids", args[0] if args else []))
        return self._generate(*args, **kwargs)


def _median_time(call, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def model_speed(args: Args, checkpoint: Path) -> dict:
    """Parts 1 and 2: one call, one batch, and an MR step's generate calls and wall time."""
    from collab_env.llm import HFChat

    chat = HFChat(str(checkpoint), max_tokens=args.max_tokens, batch_size=args.samples, temperature=1.0)
    counter = GenerateCounter(chat.model)
    env = gym.make(args.env, split="test")
    obs, _ = env.reset(seed=0)
    prompt = [{"role": "system", "content": "You are a helpful assistant."}, *obs]
    chat.complete_batch([prompt] * args.samples)  # warm-up
    one = _median_time(lambda: chat.complete(prompt))
    batch = _median_time(lambda: chat.complete_batch([prompt] * args.samples))
    policy = LLMAgent(chat, temperature=1.0, max_tokens=args.max_tokens)
    wrapped = MultiturnAwareReward(env, policy, window=args.window, samples=args.samples)
    obs, _ = wrapped.reset(seed=0)
    action = "Which one do you mean?"
    counter.calls = counter.rows = 0
    start = time.perf_counter()
    wrapped.step(action)
    step = time.perf_counter() - start
    row = {
        "device": chat.device, "dtype": str(chat.model.dtype), "parameters": sum(p.numel() for p in chat.model.parameters()),
        "one_call_s": one, "batch_s": batch, "mr_step_s": step, "mr_generate_calls": counter.calls,
        "mr_generated_rows": counter.rows, "mr_generate_calls_bound": 2 * (args.window + 1), "floor_s": args.window * batch, "ratio_to_floor": step / (args.window * batch),
    }  # fmt: skip
    print(
        f"{row['parameters'] / 1e6:.1f} M parameters on {row['device']} ({row['dtype']}): one call {one:.2f} s, "
        f"one batch of {args.samples} {batch:.2f} s; MR step (window {args.window} × {args.samples} samples) "
        f"{step:.2f} s in {counter.calls} generate calls ({counter.rows} rows; target <= 2 · (window + 1) = "
        f"{2 * (args.window + 1)}) = {row['ratio_to_floor']:.2f}× "
        f"window × one batch ({row['floor_s']:.2f} s)"
    )
    return row


def bench_run(args: Args, checkpoint: Path) -> dict:
    """Part 3: ``collab-env bench`` with an ``hf:`` agent in several workers."""
    import transformers

    from collab_env.harness.log import read_log
    from collab_env.harness.runner import BenchConfig, run_bench

    loads = 0
    load = transformers.AutoModelForCausalLM.from_pretrained

    def counting(*a, **k):
        nonlocal loads
        loads += 1
        return load(*a, **k)

    with (
        tempfile.TemporaryDirectory() as out,
        mock.patch.object(transformers.AutoModelForCausalLM, "from_pretrained", counting),
    ):
        config = BenchConfig(envs=[args.env], agents=[f"hf:{checkpoint}"], episodes=args.bench_episodes,
                             workers=args.workers, out=out)  # fmt: skip
        start = time.perf_counter()
        _, records = read_log(run_bench(config))
        wall = time.perf_counter() - start
    lost = sum(r["status"] != "ok" for r in records)
    row = {
        "episodes": len(records),
        "lost": lost,
        "checkpoint_loads": loads,
        "wall_s": wall,
        "workers": args.workers,
    }
    print(f"bench: {len(records)} episodes with {args.workers} workers in {wall:.1f} s, {lost} lost, "
          f"checkpoint loaded {loads} time(s)")  # fmt: skip
    return row


def main() -> None:
    """Build the model, measure, print and save."""
    args = parse_args(Args, __doc__)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = build_tiny_checkpoint(
            Path(tmp) / "model", hidden_size=args.hidden_size, layers=args.layers
        )
        speed = model_speed(args, checkpoint)
        bench = bench_run(args, checkpoint)
    print(f"wrote {save_results('local_model_throughput', args, args.out, speed=speed, bench=bench)}")


if __name__ == "__main__":
    main()
