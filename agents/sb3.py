"""The Stable-Baselines3 route: a vector observation, a discrete action, and the policy as an agent.

PPO cannot read a conversation or write text, so two wrappers translate:

- :class:`ConversationFeatures` turns the conversation into a ``Box`` vector (counters, the
  facet kinds the assistant still lacks, a hashed bag of words of the user's last message);
- :class:`DialogueActs` turns a ``Discrete`` action into a dialogue act that a realiser writes as
  text (see :mod:`collab_env.agents.acts`).

PPO thus learns a conversation *strategy* (when to ask, about what, when to answer) and the
realiser writes the words: a hierarchical agent. :class:`PolicyAgent` makes a trained policy an
ordinary ``agent(messages) -> str``, for benchmarks and for the futures of the multiturn-aware
reward. Both wrappers use nothing but the conversation and the family's public drafter.

>>> import gymnasium as gym
>>> env = DialogueActs(ConversationFeatures(gym.make("CollabQA-v0")))
>>> env.action_space, env.observation_space.shape
(Discrete(4), (73,))
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

from collab_env.errors import ConfigError
from collab_env.facets import questions
from collab_env.task import Task
from collab_env.tokens import count_tokens
from collab_env.types import ChatMessage

from .acts import DraftRealiser, Realiser, check_acts, default_acts

_COUNTERS = (
    "turn",
    "assistant_tokens",
    "questions",
    "proposals",
    "last_asked",
    "last_proposed",
    "missing_share",
    "user_words",
)


class ConversationFeaturizer:
    """The feature vector of a conversation: a pure, deterministic function of the messages.

    Layout: ``len(COUNTERS)`` counters (turn / max_turns, assistant tokens / 1000, questions asked
    / 10, proposals / 5, whether the last assistant message asked or proposed, the share of facet
    kinds still missing, the user's last message's words / 100), then one flag per facet kind of
    the family (1 = the drafter does not know it yet), then ``hash_dim`` hashed word counts of the
    user's last message (L2-normalised; CRC32, so identical across processes and runs).

    Args:
        task: The family (its drafter and facet kinds).
        max_turns: The env's turn limit (scales the turn counter).
        hash_dim: Buckets of the hashed bag of words.
    """

    def __init__(self, task: Task, max_turns: int = 10, hash_dim: int = 64) -> None:
        if hash_dim < 1 or max_turns < 1:
            raise ConfigError(f"hash_dim and max_turns must be >= 1, got {hash_dim} and {max_turns}")
        self.task, self.max_turns, self.hash_dim = task, max_turns, hash_dim
        self.kinds = tuple(k.name for k in task.facet_kinds)

    @property
    def dim(self) -> int:
        """Length of the vector."""
        return len(_COUNTERS) + len(self.kinds) + self.hash_dim

    def __call__(self, messages: Sequence[ChatMessage]) -> np.ndarray:
        """The vector of ``messages`` (float32, values in [0, 1] except rare long counters)."""
        assistant = [m["content"] for m in messages if m["role"] == "assistant"]
        last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        missing = set(self.task.drafter.missing(messages))
        last = assistant[-1] if assistant else ""
        counters = [
            len(assistant) / self.max_turns,
            sum(count_tokens(a) for a in assistant) / 1000,
            sum(len(questions(a)) for a in assistant) / 10,
            sum(self.task.extract_solution(a) is not None for a in assistant) / 5,
            float(bool(questions(last))),
            float(bool(last) and self.task.extract_solution(last) is not None),
            len(missing) / max(1, len(self.kinds)),
            len(last_user.split()) / 100,
        ]
        flags = [float(kind in missing) for kind in self.kinds]
        bag = np.zeros(self.hash_dim, dtype=np.float32)
        for word in last_user.lower().split():
            bag[zlib.crc32(word.strip(".,!?;:'\"()").encode()) % self.hash_dim] += 1.0
        norm = float(np.linalg.norm(bag))
        return np.concatenate([np.array(counters + flags, dtype=np.float32), bag / norm if norm else bag])


class ConversationFeatures(gym.ObservationWrapper):
    """Observe a ``Box`` feature vector of the conversation instead of its messages.

    Args:
        env: A collaboration environment (possibly wrapped).
        hash_dim: Buckets of the hashed bag of words (see :class:`ConversationFeaturizer`).

    Attributes:
        featurizer: The function from messages to vector, reusable outside the env.
    """

    def __init__(self, env: gym.Env, hash_dim: int = 64) -> None:
        super().__init__(env)
        base = env.unwrapped
        self.featurizer = ConversationFeaturizer(base.task, base.max_turns, hash_dim)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (self.featurizer.dim,), np.float32)

    def observation(self, observation: list) -> np.ndarray:
        """The feature vector of the conversation ``observation``."""
        return self.featurizer(observation)


class DialogueActs(gym.ActionWrapper):
    """Act with a ``Discrete`` index into a list of dialogue acts, realised as text.

    The realised text and the act are added to each step's ``info`` (``"act"``, ``"act_text"``).

    Args:
        env: A collaboration environment (possibly wrapped).
        acts: The act list (default: :func:`~collab_env.agents.acts.default_acts` of the family).
        realiser: Writes the acts (default: the family's drafter, offline).

    Raises:
        ConfigError: for an unknown act or kind.
    """

    def __init__(
        self, env: gym.Env, acts: Sequence[str] | None = None, realiser: Realiser | None = None
    ) -> None:
        super().__init__(env)
        task = env.unwrapped.task
        self.acts = check_acts(acts if acts is not None else default_acts(task), task)
        self.realiser = realiser if realiser is not None else DraftRealiser(task.drafter)
        self.action_space = gym.spaces.Discrete(len(self.acts))
        self._last: tuple[str, str] | None = None

    def action(self, action: Any) -> str:
        """The text of act number ``action`` in the current conversation."""
        if not self.action_space.contains(np.int64(action)):
            raise ConfigError(f"action must be an int in [0, {len(self.acts)}), got {action!r}")
        act = self.acts[int(action)]
        text = self.realiser(act, self.env.unwrapped.messages)
        self._last = (act, text)
        return text

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """Realise the act, step, and record the act in ``info``."""
        obs, reward, terminated, truncated, info = self.env.step(self.action(action))
        info["act"], info["act_text"] = self._last
        return obs, reward, terminated, truncated, info


class PolicyAgent:
    """A strategy (an SB3 model, or any ``features -> act index`` callable) as a text agent.

    Args:
        policy: An SB3 model (its ``predict`` is used) or a callable from the feature vector
            to an act index. May be set later (``agent.policy = model``), as when the agent
            plays the multiturn-aware reward's futures of the model being trained.
        featurizer: The training env's :class:`ConversationFeaturizer`.
        acts: The training env's act list.
        realiser: The training env's realiser.
        deterministic: Take the most likely act (evaluation) rather than sample one (futures).
    """

    def __init__(
        self,
        policy: Any,
        featurizer: ConversationFeaturizer,
        acts: Sequence[str],
        realiser: Realiser,
        deterministic: bool = True,
    ) -> None:
        self.policy, self.featurizer, self.acts = policy, featurizer, tuple(acts)
        self.realiser, self.deterministic = realiser, deterministic
        self.family = featurizer.task.name  # the family it plays (collab_env.task.check_policy_family)

    @classmethod
    def for_env(cls, policy: Any, env: gym.Env, deterministic: bool = True) -> PolicyAgent:
        """The agent of ``policy`` trained on ``env`` (wrapped in both wrappers)."""
        features = find_wrapper(env, ConversationFeatures)
        acts = find_wrapper(env, DialogueActs)
        return cls(policy, features.featurizer, acts.acts, acts.realiser, deterministic)

    def choose(self, messages: Sequence[ChatMessage]) -> str:
        """The act the policy takes after ``messages``."""
        if self.policy is None:
            raise ConfigError("PolicyAgent has no policy yet; set agent.policy first")
        features = self.featurizer(messages)
        if hasattr(self.policy, "predict"):
            index, _ = self.policy.predict(features, deterministic=self.deterministic)
        else:
            index = self.policy(features)
        return self.acts[int(index)]

    def __call__(self, messages: Sequence[ChatMessage]) -> str:
        """The next assistant message: the chosen act, realised."""
        return self.realiser(self.choose(messages), messages)


def find_wrapper(env: gym.Env, wrapper: type) -> Any:
    """The ``wrapper`` instance in ``env``'s chain of wrappers.

    Raises:
        ConfigError: if there is none.
    """
    current = env
    while isinstance(current, gym.Wrapper):
        if isinstance(current, wrapper):
            return current
        current = current.env
    raise ConfigError(f"the env is not wrapped in {wrapper.__name__}")
