"""Gymnasium spaces for chat: one message (the action) and a conversation (the observation).

``gymnasium.spaces.Text`` defaults to an alphanumeric charset and ``min_length=1``, so real chat
messages (punctuation, newlines, any Unicode, the empty string) would fail its ``contains``.
These spaces accept any string up to a length limit; ``sample`` draws from a readable charset
with the space's own seeded generator.

Both work in ``gym.make_vec(id, n, vectorization_mode="async")``: the conversation space
registers Gymnasium's shared-memory functions (see the end of this module).
"""

from __future__ import annotations

import json
import multiprocessing
import string
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import create_shared_memory, read_from_shared_memory, write_to_shared_memory

ROLES = ("user", "assistant")
_SAMPLE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " " * 12 + "\n"
_SAMPLE_WORDS = (
    "who what when which how why is the a for to of and audience tone length date price test "
    "answer please can you could I we it draft here should"
).split()


class _NoShape:
    """The shape of a chat space: none. Falsy like ``None``; iterating it (as array-based
    libraries do to allocate buffers, e.g. SB3's ``DummyVecEnv``) says which wrappers give one."""

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        raise TypeError(
            "CollabEnv observations are conversations and its actions are text: they have no fixed "
            "shape. For Stable-Baselines3 (MlpPolicy) or any array-based policy, wrap the env with "
            "collab_env.agents.sb3.ConversationFeatures (a feature vector) and DialogueActs (discrete "
            "acts realised as text), as `collab-env train` does"
        )

    def __repr__(self) -> str:
        return "None"


class MessageSpace(spaces.Space[str]):
    """Any ``str`` of at most ``max_chars`` characters: one chat message.

    Args:
        max_chars: Longest accepted message, in characters.
        seed: Seed of the space's own generator (used by :meth:`sample`).

    >>> space = MessageSpace(max_chars=20, seed=0)
    >>> space.contains("Who is it for?\\n"), space.contains("x" * 21), space.contains(3)
    (True, False, False)
    """

    def __init__(self, max_chars: int = 20_000, seed: int | np.random.Generator | None = None) -> None:
        if max_chars < 1:
            raise ValueError(f"max_chars must be >= 1, got {max_chars}")
        self.max_chars = max_chars
        super().__init__(shape=None, dtype=None, seed=seed)

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is a string of at most ``max_chars`` characters."""
        return isinstance(x, str) and len(x) <= self.max_chars

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random message: words and characters, seeded by the space's generator."""
        n = int(self.np_random.integers(0, min(self.max_chars, 200) + 1))
        if self.np_random.random() < 0.5:
            words, length = [], 0
            while length < n:
                words.append(str(self.np_random.choice(_SAMPLE_WORDS)))
                length += len(words[-1]) + 1
            text = " ".join(words)[:n]
            return (
                text + "?" if text and self.np_random.random() < 0.5 and len(text) < self.max_chars else text
            )
        idx = self.np_random.integers(0, len(_SAMPLE_CHARSET), size=n)
        return "".join(_SAMPLE_CHARSET[i] for i in idx)

    @property
    def is_np_flattenable(self) -> bool:
        """Text has no fixed-size numeric form."""
        return False

    @property
    def shape(self) -> Any:
        """None: text has no fixed shape (iterating it says which wrappers give one)."""
        return _NoShape()

    def __repr__(self) -> str:
        return f"MessageSpace(max_chars={self.max_chars})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MessageSpace) and other.max_chars == self.max_chars


class ConversationSpace(spaces.Space[list]):
    """A list of ``{"role": "user" | "assistant", "content": str}`` messages.

    Args:
        max_messages: Longest accepted conversation, in messages.
        max_chars: Longest accepted message content, in characters.
        seed: Seed of the space's own generator.

    >>> space = ConversationSpace(max_messages=4, seed=0)
    >>> space.contains([{"role": "user", "content": "Hi!"}]), space.contains([{"role": "bot", "content": ""}])
    (True, False)
    """

    def __init__(
        self, max_messages: int = 64, max_chars: int = 20_000, seed: int | np.random.Generator | None = None
    ) -> None:
        if max_messages < 1:
            raise ValueError(f"max_messages must be >= 1, got {max_messages}")
        self.max_messages = max_messages
        self.message = MessageSpace(max_chars)
        super().__init__(shape=None, dtype=None, seed=seed)

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is a valid conversation."""
        if not isinstance(x, Sequence) or isinstance(x, str) or len(x) > self.max_messages:
            return False
        return all(
            isinstance(m, dict)
            and set(m) == {"role", "content"}
            and m["role"] in ROLES
            and self.message.contains(m["content"])
            for m in x
        )

    def seed(self, seed: int | None = None) -> int | list[int]:
        """Seed this space and its message space."""
        seeds = super().seed(seed)
        self.message.seed(int(self.np_random.integers(2**31)))
        return seeds

    def sample(self, mask: Any = None, probability: Any = None) -> list[dict[str, str]]:
        """A random conversation alternating user and assistant turns, starting with the user."""
        n = int(self.np_random.integers(1, self.max_messages + 1))
        return [{"role": ROLES[i % 2], "content": self.message.sample()} for i in range(n)]

    @property
    def is_np_flattenable(self) -> bool:
        """Conversations have no fixed-size numeric form."""
        return False

    @property
    def shape(self) -> Any:
        """None: a conversation has no fixed shape (iterating it says which wrappers give one)."""
        return _NoShape()

    def __repr__(self) -> str:
        return f"ConversationSpace(max_messages={self.max_messages}, max_chars={self.message.max_chars})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ConversationSpace)
            and other.max_messages == self.max_messages
            and other.message == self.message
        )


# Shared memory for AsyncVectorEnv (``gym.make_vec(id, n, vectorization_mode="async")``): each
# env's slot holds its conversation as length-prefixed UTF-8 JSON, sized for the longest valid
# conversation; the parent reads a slot when an observation is indexed, so the batch it returns
# is always the latest one (and ``copy=True``, the default, hands out plain lists).


def _slot_bytes(space: ConversationSpace) -> int:
    """Bytes of one env's slot: the longest valid conversation as UTF-8 JSON, plus its length."""
    per_message = (
        6 * space.message.max_chars + 64
    )  # a char is at most 6 bytes as JSON: \\uXXXX, or 4 of UTF-8
    return 8 + space.max_messages * per_message


class SharedConversations(Sequence):
    """The conversations of a vector env, read from its shared memory slot by slot.

    Args:
        space: The single env's observation space.
        buffer: The shared byte array (``n`` slots).
        n: Envs.
    """

    def __init__(self, space: ConversationSpace, buffer: Any, n: int) -> None:
        self.space, self.buffer, self.n, self.size = space, buffer, n, _slot_bytes(space)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self.n)))
        if not -self.n <= index < self.n:
            raise IndexError(index)
        view = memoryview(self.buffer.get_obj()).cast("B")[(index % self.n) * self.size :]
        length = int.from_bytes(view[:8], "little")
        return json.loads(bytes(view[8 : 8 + length]).decode()) if length else []

    def __deepcopy__(self, memo: dict) -> tuple[list, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedConversations({list(self)!r})"


@create_shared_memory.register(ConversationSpace)
def _create(space: ConversationSpace, n: int = 1, ctx: Any = multiprocessing) -> Any:
    return ctx.Array("B", n * _slot_bytes(space))


@read_from_shared_memory.register(ConversationSpace)
def _read(space: ConversationSpace, shared_memory: Any, n: int = 1) -> SharedConversations:
    return SharedConversations(space, shared_memory, n)


@write_to_shared_memory.register(ConversationSpace)
def _write(space: ConversationSpace, index: int, value: list, shared_memory: Any) -> None:
    data = json.dumps(list(value), ensure_ascii=False).encode()
    size = _slot_bytes(space)
    if len(data) + 8 > size:
        raise ValueError(f"a conversation of {len(data)} bytes does not fit its shared memory slot ({size})")
    view = memoryview(shared_memory.get_obj()).cast("B")[index * size : (index + 1) * size]
    view[8 : 8 + len(data)] = data
    view[:8] = len(data).to_bytes(8, "little")
