"""``collab-env serve`` whose env spins the CPU when a message asks it to: one slow session beside others.

``python -m tests.serve.slow_server serve ARGS`` is the command with every session's env wrapped
in :class:`SpinsOnCue`: a step whose message reads ``"SPIN <seconds>"`` holds the CPU (a busy
loop, as a CPU-heavy metric or user would) for that long before the env steps.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import gymnasium as gym

import collab_env.cli.serve as serve_command
from collab_env.cli import main
from collab_env.serve.client import LocalServer

CUE = "SPIN"


class SpinsOnCue(gym.Wrapper):
    """Busy-loops for ``N`` seconds on a ``"SPIN N"`` message, then steps the env with it."""

    def step(self, action: Any) -> tuple:
        if isinstance(action, str) and action.startswith(CUE):
            deadline = time.perf_counter() + float(action.split()[1])
            while time.perf_counter() < deadline:
                pass
        return self.env.step(action)


class SlowServer(LocalServer):
    """:class:`LocalServer` of this module's command."""

    module = "tests.serve.slow_server"


def _spinning_factory(config: Any, options: Any) -> Any:
    make_env = _plain_factory(config, options)
    return lambda: SpinsOnCue(make_env())


if __name__ == "__main__":
    _plain_factory = serve_command.env_factory
    serve_command.env_factory = _spinning_factory
    sys.exit(main(sys.argv[1:]))
