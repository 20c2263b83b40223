"""Whose failure a sandbox timeout is: the program's, or the host's (lost, not scored).

Runs each program of :data:`collab_env.testing.stalls.OWN_TIMEOUTS` (sleep, spin, block on a
pipe or a lock, stop itself, each ignoring the harness's signals) past its wall clock, then two
real host stalls: a sleeping program whose whole sandbox is stopped from outside for most of its
time (:func:`~collab_env.testing.stalls.frozen_run`, a paused VM or container), and a spinner
that shares one CPU with six busy sessions (:func:`~collab_env.testing.stalls.starved_run`).
For each it prints how often the sandbox charged the program and how often it found a host
stall, with the supervisor's measures (CPU time, time waiting for a CPU, time frozen). The
first group must be charged to the program every time, the last two found stalled.

Run: ``python -m benchmarks.sandbox_charging`` (``--repeats``, ``--timeout-s``).
"""

from __future__ import annotations

import statistics
import warnings
from dataclasses import dataclass

from benchmarks import parse_args, save_results
from collab_env.sandbox import SandboxResult, isolation, run_python
from collab_env.testing.stalls import OWN_TIMEOUTS, frozen_run, starved_run


@dataclass
class Args:
    """What to measure."""

    repeats: int = 3
    """runs of each program"""
    timeout_s: float = 1.0
    """each run's wall-clock limit, in seconds"""
    out: str = "runs/benchmarks/sandbox_charging.json"
    """where to write the results"""


def summarise(name: str, expected: str, results: list[SandboxResult]) -> dict:
    """One program's verdicts and the median of the supervisor's measures."""
    stalls = sum(r.host_stalled for r in results)
    return {
        "program": name,
        "expected": expected,
        "runs": len(results),
        "program_failure": len(results) - stalls,
        "host_stall": stalls,
        **{
            f"median_{key}": statistics.median(getattr(r, key) or 0.0 for r in results)
            for key in ("cpu_s", "wait_s", "frozen_s", "run_s")
        },
    }


def main() -> None:
    """Run every program, print the verdicts and save them."""
    args = parse_args(Args, __doc__.splitlines()[0])
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, code in OWN_TIMEOUTS.items():
            results = [run_python(code, timeout_s=args.timeout_s) for _ in range(args.repeats)]
            rows.append(summarise(name, "program", results))
        sleep = "import time\ntime.sleep(600)\n"
        frozen = [frozen_run(sleep, args.timeout_s, freeze_s=2 * args.timeout_s) for _ in range(args.repeats)]
        rows.append(summarise("sandbox_frozen_from_outside", "host", frozen))
        starved = [starved_run("while True:\n    pass\n", args.timeout_s) for _ in range(args.repeats)]
        rows.append(summarise("starved_of_a_cpu", "host", starved))
    print(f"isolation: {isolation()}, {args.repeats} runs each, {args.timeout_s} s wall-clock limit")
    print(f"{'program':<30} {'expected':<8} {'program':>7} {'host':>5}  cpu_s  wait_s frozen_s  run_s")
    for row in rows:
        print(
            f"{row['program']:<30} {row['expected']:<8} {row['program_failure']:>7} {row['host_stall']:>5}  "
            f"{row['median_cpu_s']:5.2f}  {row['median_wait_s']:5.2f}  {row['median_frozen_s']:6.2f}  "
            f"{row['median_run_s']:5.2f}"
        )
    right = sum(r["program_failure" if r["expected"] == "program" else "host_stall"] for r in rows)
    total = sum(r["runs"] for r in rows)
    print(f"charged as expected: {right}/{total} runs")
    print(f"wrote {save_results('sandbox_charging', args, args.out, isolation=isolation(), programs=rows)}")


if __name__ == "__main__":
    main()
