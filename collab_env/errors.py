"""The project's error hierarchy: one class per place a run can break."""

from __future__ import annotations


class CollabEnvError(Exception):
    """Base class of every error raised by collab-env."""


class ConfigError(CollabEnvError, ValueError):
    """A configuration value (an argument, a spec string, an option) is invalid."""


class DatasetError(CollabEnvError, ValueError):
    """A task set or data file could not be read or is malformed."""


class ModelCallError(CollabEnvError, RuntimeError):
    """A call to a model endpoint failed after its retries."""


class EndpointDown(ModelCallError):
    """An endpoint failed every call for a while; its circuit breaker refuses calls to it.

    A benchmark stops starting episodes on it, and its message says how to resume.
    """


class SandboxError(CollabEnvError, RuntimeError):
    """The sandbox could not run untrusted code (not: the code itself failed)."""


class EpisodeError(CollabEnvError, RuntimeError):
    """The environment was used out of order (a step after the episode ended)."""
