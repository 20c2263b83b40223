"""The user simulator protocol: a hidden goal and a conversation in, the next user message out."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from collab_env.aio import cpu, in_thread, is_model_backed
from collab_env.executors import concurrency_of, make_executor
from collab_env.types import ChatMessage, TaskInstance, UserReply

if TYPE_CHECKING:
    from collab_env.task import Task


@dataclass
class ReplyRequest:
    """One pending user reply of a batch: the arguments of :meth:`UserSimulator.reply`.

    Attributes:
        task: The task family.
        instance: The task instance (hidden goal).
        messages: The conversation, ending with the assistant message to answer.
        state: The episode's user state (updated in place).
        rng: The episode's (or the simulated future's) user generator.
    """

    task: Task
    instance: TaskInstance
    messages: Sequence[ChatMessage]
    state: Any
    rng: np.random.Generator


class UserSimulator(abc.ABC):
    """Plays the user of one episode at a time, holding no per-episode state on ``self``.

    Per-episode state (what was revealed, patience...) lives in the object :meth:`start`
    returns; the environment keeps it, copies it in snapshots and passes it back to
    :meth:`reply`. One simulator object can therefore serve many concurrent episodes.

    Attributes:
        name: Short name reported in ``info`` (``"scripted"``).
    """

    name: str = "user"

    @property
    def version(self) -> str:
        """What pins this simulator's behaviour, recorded in every results file.

        Two runs whose users have different versions measured agents against different
        instruments; ``collab-env show --compare`` and ``bench --compare`` refuse to compare
        them unless told to. Subclasses name their protocol, prompt and model; the default is
        the class's qualified name, which says only which simulator it was.
        """
        cls = type(self)
        return f"{self.name}:{cls.__module__}.{cls.__qualname__}"

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

    async def start_async(
        self, task: Task, instance: TaskInstance, rng: np.random.Generator
    ) -> tuple[str, Any]:
        """:meth:`start`, awaited. The default calls ``start`` in place when the simulator calls
        no model (the scripted user: no thread), else in a thread pool sized to its model's
        concurrency; a model-backed simulator overrides it with its model's async call."""
        if is_model_backed(self):
            return await in_thread(self, self.start, task, instance, rng)
        return self.start(task, instance, rng)

    async def reply_async(
        self,
        task: Task,
        instance: TaskInstance,
        messages: Sequence[ChatMessage],
        state: Any,
        rng: np.random.Generator,
    ) -> UserReply:
        """:meth:`reply`, awaited (what :meth:`CollabEnv.step_async` calls).

        The same reply and the same update of ``state`` as ``reply``. The default calls
        ``reply`` in place when the simulator calls no model (the scripted user: no thread),
        else in a thread pool sized to its model's concurrency; a model-backed simulator
        overrides it with its model's async call (:class:`~collab_env.users.LLMUser` does).
        """
        if is_model_backed(self):
            return await in_thread(self, self.reply, task, instance, messages, state, rng)
        return await cpu(self.reply, task, instance, messages, state, rng)  # in place unless OFFLOAD_CPU

    def reply_batch(self, requests: Sequence[ReplyRequest]) -> list[UserReply]:
        """The replies of several conversations at once, in order (a caller with a batch in hand).

        The default answers them one after another, or from as many threads as the simulator's
        model serves at once (``self.model.concurrency``); a model-backed simulator may override
        it to send every request to its model as one ``complete_batch``. Each request's
        ``state`` is updated as :meth:`reply` would.
        """
        executor = make_executor(None, concurrency_of(self))
        return executor.map(lambda r: self.reply(r.task, r.instance, r.messages, r.state, r.rng), requests)
