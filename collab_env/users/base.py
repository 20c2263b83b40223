"""The user simulator protocol: a hidden goal and a conversation in, the next user message out."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from collab_env.types import ChatMessage, TaskInstance, UserReply

if TYPE_CHECKING:
    from collab_env.task import Task


class UserSimulator(abc.ABC):
    """Plays the user of one episode at a time, holding no per-episode state on ``self``.

    Per-episode state (what was revealed, patience...) lives in the object :meth:`start`
    returns; the environment keeps it, copies it in snapshots and passes it back to
    :meth:`reply`. One simulator object can therefore serve many concurrent episodes.

    Attributes:
        name: Short name reported in ``info`` (``"scripted"``).
    """

    name: str = "user"

    @abc.abstractmethod
    def start(self, task: Task, instance: TaskInstance, rng: np.random.Generator) -> tuple[str, Any]:
        """Begin an episode: return the opening request and the episode's user state."""

    @abc.abstractmethod
    def reply(
        self,
        task: Task,
        instance: TaskInstance,
        messages: Sequence[ChatMessage],
        state: Any,
        rng: np.random.Generator,
    ) -> UserReply:
        """Answer the last assistant message of ``messages``, updating ``state`` in place."""
