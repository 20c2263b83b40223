"""Fail before work: resolve every agent spec, data set and endpoint before the first episode.

A run that cannot succeed (an agent module that does not import, a data file that is not there,
an endpoint that is down, refuses the key, or has no key at all) stops here with one line that
says what is wrong, instead of losing every episode to the same cause.

One request per endpoint and model: a one-token chat completion, sent once. A 401/403 (the key),
a 404 (the model) and a connection failure are fatal; a 429 or 5xx is left to the episodes'
retries. A URL without ``http://`` or ``https://`` is refused before any request. A judge model is
then asked once to score a two-turn conversation: one that cannot produce a score (no JSON, no
number) would lose every episode at its end.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlparse

from collab_env.config import EnvConfig
from collab_env.errors import ConfigError

log = logging.getLogger(__name__)
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
_TIMEOUT_S = 15.0


def endpoints(envs: Iterable[EnvConfig], agents: Sequence[str] = ()) -> list[tuple[str, str | None, str]]:
    """The (model, base URL, role) of every endpoint a run calls, once each.

    Args:
        envs: The run's environment configs (user simulator and judge models).
        agents: The run's agent specs (``openai:MODEL@URL`` ones call an endpoint).

    >>> endpoints([EnvConfig("CollabQA-v0", user_model="m", base_url="http://h:1/v1")], ["clarify"])
    [('m', 'http://h:1/v1', 'user')]
    """
    from collab_env.agents.specs import openai_endpoint

    found: dict[tuple[str, str | None], str] = {}
    for env in envs:
        for role, model in (("user", env.user_model), ("judge", env.judge_model)):
            if model is not None:
                found.setdefault((model, env.base_url), role)
    for spec in agents:
        target = openai_endpoint(spec)
        if target is not None:
            found.setdefault(target, f"agent {spec}")
    return [(model, url, role) for (model, url), role in found.items()]


def check_endpoint(model: str, base_url: str | None, role: str) -> None:
    """Send one tiny request to an endpoint; raise if it cannot serve the run.

    Raises:
        ConfigError: naming the role, model and URL, for a missing key, a refused key,
            an unknown model or an endpoint that cannot be reached.
    """
    import openai

    url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
    check_url(url, role)
    key = os.environ.get("OPENAI_API_KEY")
    where = f"{role} model {model!r} at {url}"
    if not key and urlparse(url).hostname not in _LOOPBACK:
        raise ConfigError(
            f"{where}: OPENAI_API_KEY is not set; export it (any value, e.g. EMPTY, for a server "
            "that takes no key)"
        )
    client = openai.OpenAI(base_url=url, api_key=key or "EMPTY", max_retries=0, timeout=_TIMEOUT_S)
    try:
        client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "ping"}], max_tokens=1
        )
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        raise ConfigError(f"{where}: the key was refused ({exc.status_code}); check OPENAI_API_KEY") from exc
    except openai.NotFoundError as exc:
        raise ConfigError(
            f"{where}: not found (404): is the model served there, and the URL .../v1?"
        ) from exc
    except openai.APIConnectionError as exc:
        raise ConfigError(f"{where}: cannot connect ({exc.__cause__ or exc}); is the server up?") from exc
    except openai.APIError as exc:  # 429, 5xx, a malformed body: transient, the episodes retry
        log.warning("%s answered the preflight request with %s; going on", where, exc)


def check_url(url: str, role: str = "model") -> None:
    """Refuse an endpoint URL without an ``http://`` or ``https://`` scheme.

    Raises:
        ConfigError: naming the URL and how to write it.

    >>> check_url("localhost:8000/v1", "user")
    Traceback (most recent call last):
    ...
    collab_env.errors.ConfigError: user endpoint 'localhost:8000/v1' has no http:// or https:// scheme; write http://localhost:8000/v1
    """
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
        raise ConfigError(
            f"{role} endpoint {url!r} has no http:// or https:// scheme; write http://{url.split('://')[-1]}"
        )


def check_judge(env: EnvConfig) -> None:
    """Ask the env's judge model once to score a short conversation.

    Raises:
        ConfigError: if it cannot produce a score (its output has no usable score), naming it.
    """
    from collab_env.errors import ModelCallError

    made = env.make().unwrapped
    judge = made.engagement_judge
    messages = [
        {"role": "user", "content": "Can you help me write a short note?"},
        {"role": "assistant", "content": "Sure. Who is the note for, and what should it say?"},
    ]
    try:
        judge(made.task, None, messages)
    except ModelCallError as exc:
        raise ConfigError(
            f"judge model {env.judge_model!r} at {env.base_url}: it could not score a conversation, "
            f"so every episode would be lost at its end ({exc}); use a model that follows the "
            "rubric's JSON format, or leave out --judge-model for the heuristic"
        ) from exc
    finally:
        made.close()


def check_ray_address(address: str | None) -> None:
    """Check that a Ray cluster answers at ``address`` before Ray is asked to join it.

    ``ray.init`` waits minutes on a cluster that is gone (``auto`` finds the last one started on
    this machine, alive or not) and says why in a traceback; this takes a few seconds at most.
    ``None`` (a local Ray started for the run) and ``ray://`` client addresses are not checked.

    Raises:
        ConfigError: if ``auto`` finds no cluster, or nothing listens at the address.
    """
    if address is None or address.startswith("ray://"):
        return
    where = address
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS") or _last_ray_cluster()
        if not address:
            raise ConfigError(
                "--executor ray --ray-address auto: no Ray cluster is running on this machine "
                "(start one with `ray start --head`, or leave out --ray-address for a local Ray)"
            )
        where = f"auto ({address})"
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=3).close()
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--executor ray: no Ray cluster answers at {where} ({exc})") from exc


def _last_ray_cluster() -> str | None:
    """The address of the last Ray cluster started on this machine (what ``auto`` reads)."""
    temp = os.environ.get("RAY_TMPDIR") or os.environ.get("TMPDIR") or "/tmp"  # as Ray looks, on Linux
    path = Path(temp) / "ray" / "ray_current_cluster"
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def preflight(envs: Iterable[EnvConfig], agents: Sequence[str] = ()) -> None:
    """Resolve agent specs and data sets (``env.dataset``), then check each endpoint once.

    Args:
        envs: The run's environment configs.
        agents: Agent specs (each is imported or checked; ``module:function`` from the working folder).

    Raises:
        ConfigError: for the first thing that would make every episode fail.
        DatasetError: for a data set that cannot be read.
    """
    from collab_env.agents.specs import resolve_spec

    envs = list(envs)
    for spec in agents:
        resolve_spec(spec)
    for env in envs:
        if env.dataset is not None:
            env.make().close()  # loads (and caches) the data set, with its own errors
    for model, url, role in endpoints(envs, agents):
        check_endpoint(model, url, role)
    judged: set[tuple[str, str | None]] = set()
    for env in envs:
        if env.judge_model is not None and (env.judge_model, env.base_url) not in judged:
            judged.add((env.judge_model, env.base_url))
            check_judge(env)
