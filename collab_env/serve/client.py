"""A thin client of ``collab-env serve``: OpenEnv's ``EnvClient`` typed for our env, and a
Gymnasium-shaped wrapper of it.

>>> # env = RemoteEnv("http://127.0.0.1:8000")        # a server started with `collab-env serve`
>>> # obs, info = env.reset(seed=0)
>>> # obs, reward, terminated, truncated, info = env.step("What is the document for?")
"""

from __future__ import annotations

from typing import Any

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient

from collab_env.serve.openenv_app import CollabAction, CollabObservation, CollabState
from collab_env.serve.session import ServeError


class CollabEnvClient(EnvClient[CollabAction, CollabObservation, CollabState]):
    """OpenEnv's ``EnvClient`` for a ``collab-env serve`` server (one WebSocket session).

    Async by default, ``.sync()`` for blocking use, as every OpenEnv client.
    """

    def _step_payload(self, action: CollabAction) -> dict[str, Any]:
        return {"message": action.message}

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[CollabObservation]:
        obs = CollabObservation(**payload.get("observation", {}))
        obs.reward, obs.done = payload.get("reward"), payload.get("done", False)
        return StepResult(observation=obs, reward=payload.get("reward"), done=payload.get("done", False))

    def _parse_state(self, payload: dict[str, Any]) -> CollabState:
        return CollabState(**payload)


class RemoteEnv:
    """A served env with Gymnasium's API: ``reset`` and ``step`` return what ``CollabEnv``'s do.

    Args:
        base_url: The server (``http://HOST:PORT``, as ``collab-env serve`` prints it).
        message_timeout_s: Longest wait for one reply, in seconds (a step with a model user, or MR,
            can take long).

    Raises:
        ServeError: from :meth:`reset` and :meth:`step`, for an error the server reports (a lost
            episode is ``code="lost"``, with the reason and how to retry: never a reward of 0).
    """

    def __init__(self, base_url: str, message_timeout_s: float = 600.0) -> None:
        self.client = CollabEnvClient(base_url=base_url, message_timeout_s=message_timeout_s).sync()
        self.client.connect()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[list, dict]:
        """Start an episode; ``(observation, info)``."""
        result = self._call(self.client.reset, seed=seed, options=options)
        return result.observation.messages, result.observation.info

    def step(self, message: str) -> tuple[list, float, bool, bool, dict]:
        """Send the assistant's message; ``(observation, reward, terminated, truncated, info)``."""
        obs = self._call(self.client.step, CollabAction(message=message)).observation
        return obs.messages, float(obs.reward or 0.0), obs.terminated, obs.truncated, obs.info

    def close(self) -> None:
        """End the session."""
        self.client.close()

    def __enter__(self) -> RemoteEnv:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @staticmethod
    def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RuntimeError as exc:
            error = ServeError.parse(str(exc))
            if error is None:
                raise
            raise error from exc


class LocalServer:
    """``collab-env serve ARGS`` in a subprocess on loopback, until :meth:`stop` (or the ``with`` ends).

    The server never outlives the process that started it: it is given ``--parent-pid`` (this
    process), and stops gracefully once this process has exited, however it exited (SIGKILL
    included). It serves this process alone, so its per-client share is its whole capacity
    (``--max-sessions-per-client`` defaults to ``--max-sessions``).

    Args:
        *args: The command's arguments (``"CollabDoc-v0", "--max-turns", "4"``); ``--port 0`` is
            added unless given, so the OS picks a free port.

    Attributes:
        url: The server's base URL, as the command printed it.
        proc: The server process.
        module: The module run as ``python -m MODULE serve ARGS`` (the ``collab-env`` command's).

    Raises:
        RuntimeError: if the server exits before it listens (with what it printed).
    """

    module = "collab_env.cli"

    def __init__(self, *args: str) -> None:
        import os
        import subprocess
        import sys
        import threading

        extra = [] if _given(args, "--port") else ["--port", "0"]
        if not _given(args, "--parent-pid"):
            extra += ["--parent-pid", str(os.getpid())]
        if not _given(args, "--max-sessions-per-client"):
            extra += ["--max-sessions-per-client", _value(args, "--max-sessions") or "1024"]
        cmd = [sys.executable, "-m", self.module, "serve", *args, *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        for line in self.proc.stdout:
            self.output.append(line)
            if line.startswith("serving "):
                break
        else:
            raise RuntimeError(f"collab-env serve did not start: {''.join(self.output)}")
        self.url = self.output[-1].strip().rsplit(" at ", 1)[1]
        self._drain = threading.Thread(target=lambda: self.output.extend(self.proc.stdout), daemon=True)
        self._drain.start()  # a full pipe would stall the server

    def stop(self, timeout_s: float = 60.0) -> str:
        """Shut the server down gracefully (SIGTERM); returns everything it printed."""
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=timeout_s)
        self._drain.join(timeout=timeout_s)
        return "".join(self.output)

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _given(args: tuple[str, ...], option: str) -> bool:
    """Whether ``option`` is among ``args`` (``--opt VALUE`` or ``--opt=VALUE``)."""
    return any(a == option or a.startswith(option + "=") for a in args)


def _value(args: tuple[str, ...], option: str) -> str | None:
    """The value given to ``option`` in ``args`` (the last one), or ``None``."""
    found = None
    for k, a in enumerate(args):
        if a == option and k + 1 < len(args):
            found = args[k + 1]
        elif a.startswith(option + "="):
            found = a.partition("=")[2]
    return found
