"""Fail before work: resolve every agent spec, data set and model before the first episode.

A run that cannot succeed (an agent module that does not import, a data file that is not there,
an endpoint that is down, refuses the key, or has no key at all, a checkpoint that is not on
disk) stops here with one line that says what is wrong, instead of losing every episode to the
same cause.

Each model (the user simulator's, the judge's, a model agent's) is checked once, by its backend's
probe (:data:`collab_env.llm.backends.BACKENDS`), where it really is: an ``openai:MODEL@URL`` at
its URL (a bare name at ``--base-url``), one one-token chat completion (a 401/403, a 404 and a
connection failure are fatal; a 429 or 5xx is left to the episodes' retries; a URL without
``http://`` or ``https://`` is refused before any request); an ``hf:PATH`` checkpoint on this
machine, without loading it. A judge model is then asked once to score a two-turn conversation:
one that cannot produce a score (no JSON, no number) would lose every episode at its end.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from collab_env.config import EnvConfig
from collab_env.errors import ConfigError
from collab_env.llm.backends import parse_model, probe_backend


def _role_models(env: EnvConfig) -> list[tuple[str, str, str | None]]:
    """The (role, model, base URL) of each user or judge model the env calls, as its parts name
    them (the URL is in the model's name): the one place that reads the config's parts.

    >>> _role_models(EnvConfig.from_kwargs(env_id="CollabQA-v0", user_model="m", base_url="http://h:1/v1"))
    [('user', 'openai:m@http://h:1/v1', None), ('judge', 'openai:m@http://h:1/v1', None)]
    """
    found = [("user", env.user.model, None), ("judge", env.judge.model, None)]
    return [(role, model, url) for role, model, url in found if model is not None]


def model_target(model: str, base_url: str | None = None) -> tuple[str, dict[str, Any]]:
    """The backend and target fields of a user, judge or agent model: a name in the grammar of
    :mod:`collab_env.llm.backends`, else a bare name at the OpenAI-compatible ``base_url``.

    >>> model_target("m", "http://h:1/v1"), model_target("hf:/ckpt", "http://h:1/v1")
    (('openai', {'model': 'm', 'url': 'http://h:1/v1'}), ('hf', {'path': '/ckpt'}))
    """
    return parse_model(model) or ("openai", {"model": model, "url": base_url})


def check_model(model: str, role: str, base_url: str | None = None) -> None:
    """Check that a model can serve the run where it really is, by its backend's probe.

    Args:
        model: ``openai:MODEL@URL``, ``hf:PATH``... or a bare name at ``base_url``.
        role: Who calls it (``"user"``, ``"judge"``, ``"agent SPEC"``), for the message.
        base_url: The OpenAI-compatible endpoint of a bare name (``None``: ``OPENAI_BASE_URL``,
            else OpenAI's).

    Raises:
        ConfigError: one line naming the role, the model, where it is and what is wrong.
    """
    probe_backend(*model_target(model, base_url), role)


def models(envs: Iterable[EnvConfig], agents: Sequence[str] = ()) -> list[tuple[str, str, str | None]]:
    """The (role, model, base URL) of every model a run calls, once each (by where it is).

    Args:
        envs: The run's environment configs (user simulator and judge models).
        agents: The run's agent specs (model specs, ``openai:M@URL`` or ``hf:PATH``, call one).

    >>> models([EnvConfig.from_kwargs(env_id="CollabQA-v0", user_model="m", base_url="http://h:1/v1")], ["clarify"])
    [('user', 'openai:m@http://h:1/v1', None)]
    """
    from collab_env.agents.specs import uses_model

    named = [found for env in envs for found in _role_models(env)]
    # a model spec is the model's name, then '#STYLE' (which no backend's target contains)
    named += [(f"agent {s}", s.strip().partition("#")[0], None) for s in agents if uses_model(s)]
    once: dict[tuple[str, tuple[tuple[str, Any], ...]], tuple[str, str, str | None]] = {}
    for role, model, url in named:
        backend, fields = model_target(model, url)
        once.setdefault((backend, tuple(sorted(fields.items()))), (role, model, url))
    return list(once.values())


def check_judge(env: EnvConfig, model: str, base_url: str | None = None) -> None:
    """Ask the env's judge (``model``, a bare name at ``base_url`` or a named one) once to score
    a short conversation.

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
    where = f"judge model {model!r}" + (f" at {base_url}" if parse_model(model) is None else "")
    try:
        judge(made.task, None, messages)
    except ModelCallError as exc:
        raise ConfigError(
            f"{where}: it could not score a conversation, so every episode would be lost at its "
            f"end ({exc}); use a model that follows the rubric's JSON format, or leave out "
            "--judge-model for the heuristic"
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
    """Resolve agent specs, check each model once (:func:`check_model`), then load data sets
    (``env.dataset``) and ask each judge model to score once.

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
    for role, model, url in models(envs, agents):
        check_model(model, role, url)
    for env in envs:
        if env.dataset is not None:
            env.make().close()  # loads (and caches) the data set, with its own errors
    judged: set[tuple[str, tuple[tuple[str, Any], ...]]] = set()
    for env in envs:
        for role, model, url in _role_models(env):
            backend, fields = model_target(model, url)
            if role == "judge" and (backend, tuple(sorted(fields.items()))) not in judged:
                judged.add((backend, tuple(sorted(fields.items()))))
                check_judge(env, model, url)
