"""Sandbox start-up latency with and without bubblewrap, and the hostile-program suite.

Run: ``python -m benchmarks.sandbox`` (``--help`` for options). Prints the median
latency of a trivial run (``print(1)``, milliseconds, start-up and clean-up included) for each
isolation mode available here, then each hostile program of
:mod:`collab_env.testing.hostile` and the line *N tried / N contained*, and writes the figures
to a JSON file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from dataclasses import dataclass

from benchmarks import save_results
from collab_env import _sandbox_isolation
from collab_env.sandbox import isolation, run_python
from collab_env.testing.hostile import PROGRAMS, try_program


@dataclass
class Args:
    """What to measure."""

    runs: int = 50
    """trivial runs per isolation mode; the median is reported"""
    hostile: bool = True
    """also run the hostile-program suite"""
    out: str = "runs/benchmarks/sandbox.json"


def latency_ms(mode: str, runs: int) -> float | None:
    """Median milliseconds of ``run_python("print(1)")`` under ``mode``; None if not available here."""
    os.environ["COLLAB_ENV_SANDBOX"] = mode
    _sandbox_isolation.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if isolation() != mode:
            return None
        run_python("print(1)")  # warm the page cache
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            run_python("print(1)")
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    """Measure latency per mode, run the suite under the default mode; print and save."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=Args.runs)
    parser.add_argument("--no-hostile", dest="hostile", action="store_false")
    parser.add_argument("--out", default=Args.out)
    args = Args(**vars(parser.parse_args()))
    saved = os.environ.get("COLLAB_ENV_SANDBOX")
    latency = {mode: latency_ms(mode, args.runs) for mode in ("bwrap", "rlimits")}
    os.environ.pop("COLLAB_ENV_SANDBOX") if saved is None else os.environ.update(COLLAB_ENV_SANDBOX=saved)
    _sandbox_isolation.reset()
    for mode, ms in latency.items():
        print(f"latency {mode:<8} " + (f"{ms:6.1f} ms (median of {args.runs})" if ms else "not available"))
    outcomes = [try_program(p) for p in PROGRAMS.values()] if args.hostile else []
    for o in outcomes:
        print(
            f"{o.name:<34} {'contained' if o.contained else 'NOT contained: ' + o.detail}  {o.result.wall_s:5.2f} s"
        )
    contained = sum(o.contained for o in outcomes)
    if outcomes:
        print(f"hostile suite: {len(outcomes)} tried / {contained} contained (isolation: {isolation()})")
    hostile = [
        {"name": o.name, "contained": o.contained, "detail": o.detail, "wall_s": o.result.wall_s}
        for o in outcomes
    ]
    out = save_results("sandbox", args, args.out, isolation=isolation(), latency_ms=latency, hostile=hostile,
                       tried=len(outcomes), contained=contained)  # fmt: skip
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
