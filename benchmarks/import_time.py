"""Wall time of ``import collab_env`` in a fresh interpreter, and the heavy modules it loads.

Each run starts a new Python process, so nothing is cached in ``sys.modules``; the time is
measured inside the process around the import alone (interpreter start-up not included). The
target is under 0.3 s: the tokenizer tables, the openai client, torch, transformers, sympy and
math-verify load on first use.

Run: ``python -m benchmarks.import_time`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass

from benchmarks import save_results

HEAVY = ("bpe_openai", "openai", "torch", "transformers", "sympy", "math_verify")
PROBE = (
    "import json, sys, time; t = time.perf_counter(); import collab_env; "
    "s = time.perf_counter() - t; print(json.dumps([s, sorted({m.partition('.')[0] for m in sys.modules})]))"
)


@dataclass
class Args:
    """What to measure."""

    repeats: int = 7
    """fresh interpreters; the median is reported"""
    out: str = "runs/benchmarks/import_time.json"


def measure() -> tuple[float, list[str]]:
    """One fresh interpreter: (seconds to import collab_env, heavy modules it left loaded)."""
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    seconds, loaded = json.loads(out.stdout)
    return seconds, sorted(set(loaded) & set(HEAVY))


def main() -> None:
    """Measure, print and save."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=Args.repeats)
    parser.add_argument("--out", default=Args.out)
    args = Args(**vars(parser.parse_args()))
    runs = [measure() for _ in range(args.repeats)]
    times = sorted(seconds for seconds, _ in runs)
    median, heavy = statistics.median(times), runs[-1][1]
    print(
        f"import collab_env: median {median:.3f} s (min {times[0]:.3f} s, max {times[-1]:.3f} s, {args.repeats} runs)"
    )
    print(f"heavy modules loaded at import: {', '.join(heavy) or 'none'}")
    out = save_results(
        "import_time", args, args.out, median_s=median, min_s=times[0], max_s=times[-1], heavy_loaded=heavy
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
