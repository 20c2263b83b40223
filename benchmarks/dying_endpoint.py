"""An endpoint that dies mid-run: how long ``collab-env bench`` takes to stop, its exit status, and
whether ``--resume --retry-lost`` then recovers every episode.

The user simulator's endpoint is the loopback server (:mod:`collab_env.testing.openai_server`,
playing a small model's user) in a process of its own. The benchmark runs
``collab-env bench --envs CollabQA-v0,CollabMath-v0 --episodes 30 --user-model m --base-url URL``
(passive and clarify: 120 episodes), kills the server with SIGKILL ``kill_after_s`` seconds after
the episodes started (start-up and the preflight check, which needs the server, come first),
and measures the time from the kill to the bench's exit (target: under 30 s, where retrying every
call six times, one episode after another, took 780 s). It then restarts the server at the same
URL and runs ``collab-env bench --resume --retry-lost --out DIR``, which should end with every
episode scored.

Run: ``python -m benchmarks.dying_endpoint`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import save_results
from collab_env.harness.log import read_log

SERVER = (
    "import sys, time; from collab_env.testing.fake_models import SmallModelUser; "
    "from collab_env.testing.openai_server import LoopbackServer; "
    "s = LoopbackServer(reply=SmallModelUser(), latency_s=float(sys.argv[2]), port=int(sys.argv[1])).start(); "
    "print(s.base_url, flush=True); time.sleep(1e9)"
)


@dataclass
class Args:
    """What to run."""

    episodes: int = 30
    kill_after_s: float = 6.0
    latency_s: float = 0.05
    out: str = "runs/benchmarks/dying_endpoint.json"


def start_server(port: int, latency_s: float) -> tuple[subprocess.Popen, str]:
    """The loopback server in its own process, and its URL once it listens."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(latency_s)], stdout=subprocess.PIPE, text=True
    )
    return server, server.stdout.readline().strip()


def bench(argv: list[str], log: Path) -> subprocess.Popen:
    """``collab-env bench`` with ``argv``, its output into ``log``."""
    command = [sys.executable, "-m", "collab_env.cli", "bench", *argv]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)


def main() -> None:
    """Run, kill, resume; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=Args.episodes, help="episodes per env and agent")
    parser.add_argument(
        "--kill-after-s", type=float, default=Args.kill_after_s, help="seconds before the kill"
    )
    parser.add_argument("--latency-s", type=float, default=Args.latency_s, help="seconds per model call")
    parser.add_argument("--out", default=Args.out, help="where the figures go (JSON)")
    args = Args(**vars(parser.parse_args()))
    with socket.socket() as probe:  # a free port, so that the server can come back at the same URL
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_dir = Path(tempfile.mkdtemp(prefix="dying-endpoint-")) / "die"
    server, url = start_server(port, args.latency_s)
    argv = ["--envs", "CollabQA-v0,CollabMath-v0", "--episodes", str(args.episodes), "--user-model", "m",
            "--judge-model", "heuristic",
            "--base-url", url, "--out", str(run_dir)]  # fmt: skip
    start = time.monotonic()
    first = bench(argv, run_dir.with_name("first.log"))
    while not (run_dir / "episodes.jsonl").exists() and first.poll() is None:
        time.sleep(0.05)  # start-up and preflight (which needs the server up) are done
    started = time.monotonic()
    time.sleep(args.kill_after_s)
    server.kill()
    killed = time.monotonic()
    status = first.wait()
    stop_s, total = time.monotonic() - killed, 4 * args.episodes
    kept = read_log(run_dir)[1]
    print(
        f"endpoint killed {killed - started:.1f} s into the episodes ({killed - start:.1f} s after the "
        f"command started): bench exited {stop_s:.1f} s after the kill with status "
        f"{status}; {sum(r['status'] == 'ok' for r in kept)} scored, "
        f"{sum(r['status'] == 'lost' for r in kept)} lost, {total - len(kept)} not started of {total}"
    )
    print(run_dir.with_name("first.log").read_text().strip()[-600:])
    server, _ = start_server(port, args.latency_s)
    try:
        resumed_at = time.monotonic()
        again = bench(["--resume", "--retry-lost", "--out", str(run_dir)], run_dir.with_name("resume.log"))
        resumed_status, resume_s = again.wait(), time.monotonic() - resumed_at
    finally:
        server.kill()
    records = read_log(run_dir)[1]
    scored = sum(r["status"] == "ok" for r in records)
    print(f"--resume --retry-lost: {scored}/{total} scored in {resume_s:.1f} s, status {resumed_status}")
    path = save_results(
        "dying_endpoint", args, args.out, kill_to_exit_s=stop_s, exit_status=status,
        kept_before_resume=len(kept), resumed_scored=scored, episodes=total, resume_s=resume_s,
        resume_status=resumed_status,
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
