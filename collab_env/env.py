"""CollabEnv: one Gymnasium environment for every collaboration task."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from collab_env import aio
from collab_env.config import EnvConfig
from collab_env.errors import ConfigError, EpisodeError, ModelCallError, SandboxError
from collab_env.registration import REWARD_WEIGHTS
from collab_env.rewards import EngagementJudge, RewardBreakdown, RewardConfig, conversation_reward
from collab_env.rewards.core import ConversationTally
from collab_env.spaces import ConversationSpace, MessageSpace
from collab_env.task import SPLITS, Task
from collab_env.types import ChatMessage, EnvState, TaskInstance, UserReply
from collab_env.users import ScriptedUser, UserSimulator

REWARD_MODES = ("final", "turn")
#: What ``reset(options=...)`` accepts, and the values of its ``reveal`` option.
RESET_OPTIONS = ("task_id", "reveal")
REVEAL = ("default", "all")


class CollabEnv(gym.Env[list, str]):
    """A conversation between an assistant (the agent) and a simulated user with a hidden goal.

    ## Task
    The user wants something (a document, a function, the answer to a problem or to a
    question) but the opening request omits most of it: the *facets* of the hidden goal. The
    assistant may ask about them, propose solutions and revise them; the user simulator
    answers, gives feedback on solutions, and ends the chat when satisfied or out of patience.

    ## Observation
    The conversation so far: a list of ``{"role": "user" | "assistant", "content": str}``
    (:class:`~collab_env.spaces.ConversationSpace`). Never the hidden goal.

    ## Action
    The assistant's next message, any ``str`` up to ``max_message_chars`` characters
    (:class:`~collab_env.spaces.MessageSpace`).

    ## Reward
    R* = w_ext · R_ext − min(λ · k, cap) + w_eng · R_eng of the whole conversation
    (:func:`~collab_env.rewards.conversation_reward`). ``reward_mode="final"`` pays R* once, on
    the last step; ``"turn"`` pays the change of R* each turn (the sum is R* of the episode).
    ``info["reward"]`` carries every part at every step.

    ## Episode end
    ``terminated`` when the user ends the chat (its message carries the termination signal);
    ``truncated`` after ``max_turns`` assistant turns, or when a model call failed after its
    retries or the sandbox's host failed or starved a test run (then ``info["error"]`` says what
    failed; the episode is lost, not scored).

    ## Async API
    :meth:`reset_async` and :meth:`step_async` play exactly the episode that ``reset`` and
    ``step`` play, awaiting the user simulator's model calls, so that one event loop holds many
    episodes (served sessions, a benchmark worker's episodes, MR's futures), each advancing as
    soon as its own reply arrives (:mod:`collab_env.aio`). :attr:`state`, :attr:`done`,
    :attr:`in_progress` and :meth:`append_action` are what rollout code reads and does.

    ## Arguments
    The env takes its parts (objects), as Jumanji's envs do: the objects door. The description
    door is ``gym.make(id, **fields)``: :func:`~collab_env.builders.make_env` (the registered
    entry point) builds the parts that an :class:`~collab_env.config.EnvConfig`'s fields name and
    records that description as :attr:`config`.

    Args:
        task: The :class:`~collab_env.task.Task` (family) whose instances are played.
        user: The :class:`~collab_env.users.UserSimulator`; the scripted user by default.
        reward: Weights of R*; the family's defaults by default.
        judge: Judge of R_eng; the offline heuristic by default.
        extractor: Pulls the final solution out of the conversation (e.g.
            :class:`~collab_env.rewards.judges.LLMSolutionExtractor`); default: the family's.
        reward_mode: ``"final"`` or ``"turn"``.
        max_turns: Assistant turns before truncation.
        split: ``"train"`` (unlimited) or ``"test"`` (fixed) instances.
        max_message_chars: Longest accepted message.
        render_mode: ``"ansi"`` or ``"human"``.

    Attributes:
        config: The :class:`~collab_env.config.EnvConfig` that describes the env, set by the
            factory (``None`` for an env built from objects), so that a replay
            (``env.unwrapped.config.make()``, or ``gym.make(env.spec)``) rebuilds the same env.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"], "render_fps": 1}

    def __init__(
        self,
        task: Task,
        user: UserSimulator | None = None,
        reward: RewardConfig | None = None,
        judge: EngagementJudge | None = None,
        extractor: Callable[[Task, list], str | None] | None = None,
        reward_mode: str = "final",
        max_turns: int = 10,
        split: str = "train",
        max_message_chars: int = 20_000,
        render_mode: str | None = None,
    ) -> None:
        _check_parts(task, user, reward, reward_mode, max_turns, split)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.task = task
        self.user = user if user is not None else ScriptedUser()
        self.config: EnvConfig | None = None
        self.extractor = extractor
        self.reward_config = reward or RewardConfig(**REWARD_WEIGHTS.get(self.task.name, {}))
        self.reward_mode, self.max_turns, self.split = reward_mode, max_turns, split
        self.engagement_judge = judge
        self.render_mode = render_mode
        self.observation_space = ConversationSpace(
            max_messages=2 * max_turns + 1, max_chars=max_message_chars
        )
        self.action_space = MessageSpace(max_chars=max_message_chars)
        self._state: EnvState | None = None
        self._tally: ConversationTally | None = None  # what R* has read of the episode's conversation
        #: How steps before the last report R*: ``"full"`` (offline judges: every part, every
        #: step), ``"partial"`` (a model-backed judge or extractor is asked once, at the end; the
        #: other steps carry the offline parts and mark the rest not yet judged), ``"none"``
        #: (branches: only the last step, which is all a simulated future needs).
        self.scoring = "full" if getattr(judge, "per_step", True) and extractor is None else "partial"
        self._model_scored = self.scoring == "partial"  # R* asks a model (kept by branches)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[list, dict]:
        """Start an episode: pick a task instance (or ``options["task_id"]``) and open the chat.

        On a split of fixed size (``test``), ``seed=k`` plays instance ``k`` modulo the size, as
        ``collab-env episode --seed k`` and episode ``k`` of ``collab-env bench`` do; without a
        seed, or on the unlimited ``train`` split, the instance is drawn from ``np_random``.
        ``options["reveal"] = "all"`` plays the same instance fully specified (the control
        condition: the opening states every facet, :meth:`TaskInstance.fully_specified`), so the
        cost of underspecification is the task metric's drop from it; ``"default"`` (or none)
        plays it as the task asks it.

        Raises:
            ConfigError: for an unknown option, task id or ``reveal`` value.
        """
        instance, user_rng, reveal = self._draw(seed, options)
        opening, user_state = self.user.start(self.task, instance, user_rng)
        return self._open(instance, user_rng, reveal, opening, user_state)

    async def reset_async(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[list, dict]:
        """:meth:`reset`, awaited: a model-backed user simulator writes its opening asynchronously.

        The same episode as ``reset`` with the same arguments; a scripted user is called in place
        (no thread, no suspension). What a served session or an async rollout calls.

        Raises:
            ConfigError: as :meth:`reset`.
        """
        instance, user_rng, reveal = self._draw(seed, options)
        opening, user_state = await self.user.start_async(self.task, instance, user_rng)
        return self._open(instance, user_rng, reveal, opening, user_state)

    def _draw(self, seed: int | None, options: dict[str, Any] | None) -> tuple[TaskInstance, Any, str]:
        """First half of a reset: seed, check the options, draw the instance and the user's generator."""
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - set(RESET_OPTIONS)
        if unknown:
            raise ConfigError(f"unknown reset option(s) {sorted(unknown)}; accepted: {list(RESET_OPTIONS)}")
        reveal = options.get("reveal") or "default"
        if reveal not in REVEAL:
            raise ConfigError(f"reset option reveal must be one of {REVEAL}, got {reveal!r}")
        size = self.task.size(self.split)
        if options.get("task_id") is not None:
            instance = self.task.get(options["task_id"])
        elif seed is not None and size:  # a fixed split: seed k plays instance k (mod its size)
            instance = self.task.instance(self.split, seed % size)
        else:
            instance = self.task.sample(self.np_random, self.split)
        if reveal == "all":
            instance = instance.fully_specified()
        return instance, np.random.default_rng(int(self.np_random.integers(2**63))), reveal

    def _open(
        self, instance: TaskInstance, user_rng: Any, reveal: str, opening: str, user_state: Any
    ) -> tuple:
        """Second half of a reset: the episode starts with the user's opening."""
        messages: list[ChatMessage] = [{"role": "user", "content": opening}]
        self._state = EnvState(instance, messages, user_state, user_rng)
        if self.render_mode == "human":
            self.render()
        info = {"task_id": instance.task_id, "family": self.task.name, "turn": 0, "reveal": reveal}
        return self._observation(), info

    def step(self, action: str) -> tuple[list, float, bool, bool, dict]:
        """Send the assistant message ``action``; the user simulator replies.

        Raises:
            TypeError: if ``action`` is not a ``str``.
            ValueError: if it is longer than ``max_message_chars``.
            EpisodeError: before :meth:`reset` or after the episode ended.
        """
        state = self._act(action)
        try:
            reply = self.user.reply(
                self.task, state.instance, state.messages, state.user_state, state.user_rng
            )
        except (ModelCallError, SandboxError) as exc:  # the user's model, or the sandbox host checking code
            return self._lost(exc, self._user_counts(state))
        return self._answer(reply)

    async def step_async(self, action: str) -> tuple[list, float, bool, bool, dict]:
        """:meth:`step`, awaited: the user simulator's reply (a model call) does not block the loop.

        Returns exactly what ``step`` would for the same episode state. A scripted user is called
        in place; a model-backed judge or extractor (whose scoring is synchronous) is asked in a
        thread, and so is the scripted work (reading and grading the message) where
        :data:`collab_env.aio.OFFLOAD_CPU` is set (a shared server). Many episodes (an MR step's futures, a benchmark's episodes, served sessions)
        can then advance concurrently on one event loop, each as soon as its own reply arrives.

        Raises:
            TypeError, ValueError, EpisodeError: as :meth:`step`.
        """
        state = await aio.cpu(self._act, action)
        try:
            reply = await self.user.reply_async(
                self.task, state.instance, state.messages, state.user_state, state.user_rng
            )
        except (ModelCallError, SandboxError) as exc:
            return self._lost(exc, self._user_counts(state))
        if self._model_scored:
            return await asyncio.to_thread(self._answer, reply)
        return await aio.cpu(self._answer, reply)

    def append_action(self, action: str) -> None:
        """Append an assistant message that no user reply answers (a simulated future's last turn).

        The turn counts (``turn``, the token penalty) but the episode does not end here; the
        conversation's R* is what :meth:`conversation_reward` then reports.

        Raises:
            TypeError, ValueError, EpisodeError: as :meth:`step`.
        """
        self._act(action)

    def _act(self, action: Any) -> EnvState:
        """First half of a step: check and append the assistant message."""
        state = self._check_step(action)
        state.messages.append({"role": "assistant", "content": action})
        state.turn += 1
        return state

    def _answer(self, reply: UserReply) -> tuple[list, float, bool, bool, dict]:
        """Second half of a step: the user's reply, the episode's end and the reward."""
        state = self._require_state()
        info: dict[str, Any] = {
            "task_id": state.instance.task_id,
            "family": self.task.name,
            "turn": state.turn,
        }
        state.messages.append({"role": "user", "content": reply.text})
        terminated = reply.terminated
        truncated = not terminated and state.turn >= self.max_turns
        info["user"] = dict(reply.info)
        reward = 0.0
        done = terminated or truncated
        try:
            if self.scoring != "none" or done:
                breakdown = self.conversation_reward(final=done or self.scoring == "full")
                if self.reward_mode == "turn":
                    reward, state.last_total = breakdown.total - state.last_total, breakdown.total
                elif done:
                    reward = breakdown.total
                info.update(reward=breakdown.as_dict(), assistant_tokens=breakdown.assistant_tokens)
                info["task_metric_details"] = self._metric_details(state)
        except (ModelCallError, SandboxError) as exc:  # a model or the sandbox host failed: lost, not 0
            return self._lost(exc, info)
        state.done = done
        if self.render_mode == "human":
            self.render()
        return self._observation(), float(reward), terminated, truncated, info

    def _user_counts(self, state: EnvState) -> dict[str, Any] | None:
        """``info`` for a turn whose user reply failed: the user's counters so far, when it keeps any."""
        counts = getattr(state.user_state, "counts", None)
        if not callable(counts):
            return None
        info = {"task_id": state.instance.task_id, "family": self.task.name, "turn": state.turn}
        return {**info, "user": {"simulator": self.user.name, **counts()}}

    def _lost(
        self, exc: Exception, info: dict[str, Any] | None = None
    ) -> tuple[list, float, bool, bool, dict]:
        """End the episode as lost: a model call failed after its retries, or the sandbox's host
        failed a test run (an infrastructure failure: never scored 0)."""
        state = self._require_state()
        info = info or {"task_id": state.instance.task_id, "family": self.task.name, "turn": state.turn}
        info["error"] = f"{type(exc).__name__}: {exc}"
        state.done = True
        return self._observation(), 0.0, False, True, info

    def render(self) -> str | None:
        """The transcript as text (``"ansi"``) or printed (``"human"``)."""
        if self._state is None:
            return "" if self.render_mode == "ansi" else None
        lines = [f"[{self._state.instance.task_id}]"]
        lines += [f"{m['role'].upper():>9}: {m['content']}" for m in self._state.messages]
        text = "\n".join(lines)
        if self.render_mode == "human":
            print(text)  # noqa: T201 - rendering to the terminal is what "human" asks for
            return None
        return text

    def close(self) -> None:
        """Drop the episode."""
        self._state = None

    # -- beyond the Gymnasium API -----------------------------------------------------------

    @property
    def instance(self) -> TaskInstance:
        """The current task instance (the hidden goal: for wrappers and audits, not agents)."""
        return self._require_state().instance

    @property
    def state(self) -> EnvState:
        """The live episode state (not a copy: :meth:`snapshot` gives one).

        Raises:
            EpisodeError: before :meth:`reset`.
        """
        return self._require_state()

    @property
    def done(self) -> bool:
        """Whether the episode ended (``False`` before :meth:`reset`)."""
        return self._state is not None and self._state.done

    @property
    def in_progress(self) -> bool:
        """Whether an episode is under way: reset and not ended (a step may follow)."""
        return self._state is not None and not self._state.done

    @property
    def messages(self) -> list[ChatMessage]:
        """A copy of the conversation so far."""
        return self._observation()

    def conversation_reward(self, final: bool = True) -> RewardBreakdown:
        """R* of the conversation as it stands, with its parts.

        Args:
            final: Ask model-backed judges too. With ``False`` (what non-final steps of an
                episode with an LLM judge report), the parts that need a model call are left
                out and marked not yet judged (``engagement=None``; ``total`` without them).
        """
        state = self._require_state()
        return conversation_reward(
            self.task,
            state.instance,
            state.messages,
            self.reward_config,
            self.engagement_judge,
            self.extractor,
            pending=not final,
            tally=self._conversation_tally(state),
        )

    def _conversation_tally(self, state: EnvState) -> ConversationTally:
        """The episode's :class:`~collab_env.rewards.core.ConversationTally`, so that a step reads
        only its new messages; a new one for another conversation (a reset, a restore, a branch,
        which never updates the tally it was copied with)."""
        if self._tally is None or not self._tally.reads(self.task, state.messages):
            self._tally = ConversationTally(self.task, state.messages)
        return self._tally

    def _metric_details(self, state: EnvState) -> dict[str, Any]:
        """The task's details of the last solution proposed (tests passed...), ``{}`` if none."""
        tally = self._conversation_tally(state)
        tally.update()
        solution = tally.final_solution()
        return {} if solution is None else self.task.metric_details(state.instance, solution)

    def snapshot(self) -> EnvState:
        """A deep copy of the whole episode state, generators included."""
        state = copy.deepcopy(self._require_state())
        state.np_random_state = copy.deepcopy(self.np_random.bit_generator.state)
        return state

    def restore(self, state: EnvState) -> None:
        """Put back a state from :meth:`snapshot`; the env then continues exactly as it would have."""
        if not isinstance(state, EnvState):
            raise TypeError(f"restore expects an EnvState from snapshot(), got {type(state).__name__}")
        self._state = copy.deepcopy(state)
        self.np_random.bit_generator.state = copy.deepcopy(state.np_random_state)

    def branch(self, user_seed: int | None = None, state: EnvState | None = None) -> CollabEnv:
        """A new env at the current episode state (or at ``state``), sharing task, user and config.

        The branch has its own copy of the episode, so stepping it never changes this env, and it
        computes R* only when its episode ends (what simulated futures need). With ``user_seed``,
        the branch's user simulator draws from a fresh generator seeded with it, so several
        branches from one state explore different futures.
        """
        state = copy.deepcopy(state) if state is not None else self.snapshot()
        if user_seed is not None:
            state.user_rng = np.random.default_rng(user_seed)
        clone = copy.copy(self)
        clone._np_random, clone._state = None, None  # own generator and episode, not shared ones
        clone.np_random = np.random.default_rng()
        clone.restore(state)
        clone.scoring, clone.render_mode = "none", None
        return clone

    # -- helpers ----------------------------------------------------------------------------

    def _observation(self) -> list:
        return [dict(m) for m in self._require_state().messages]

    def _require_state(self) -> EnvState:
        if self._state is None:
            raise EpisodeError("call reset() before using the episode")
        return self._state

    def _check_step(self, action: Any) -> EnvState:
        state = self._require_state()
        if state.done:
            raise EpisodeError("the episode has ended; call reset() to start a new one")
        if not isinstance(action, str):
            raise TypeError(f"action must be a str (the assistant's message), got {type(action).__name__}")
        if not self.action_space.contains(action):
            raise ValueError(
                f"action is {len(action)} characters long; the limit is {self.action_space.max_chars} (max_message_chars)"
            )
        return state


def _check_parts(task: Any, user: Any, reward: Any, reward_mode: str, max_turns: Any, split: str) -> None:
    """Refuse parts of the wrong kind and bad limits, naming the argument.

    Raises:
        ConfigError: naming the argument and the value.
    """
    if not isinstance(task, Task):
        raise ConfigError(
            f"task must be a Task, got {task!r}; build an env from a family name or an id with "
            "collab_env.make_env (what gym.make calls)"
        )
    if user is not None and not isinstance(user, UserSimulator):
        raise ConfigError(f"user must be a UserSimulator, got {user!r}")
    if reward is not None and not isinstance(reward, RewardConfig):
        raise ConfigError(f"reward must be a RewardConfig, got {type(reward).__name__}")
    if reward_mode not in REWARD_MODES:
        raise ConfigError(f"reward_mode must be one of {REWARD_MODES}, got {reward_mode!r}")
    if not isinstance(max_turns, int) or max_turns < 1:
        raise ConfigError(f"max_turns must be an int >= 1, got {max_turns!r}")
    if split not in SPLITS:
        raise ConfigError(f"split must be one of {SPLITS}, got {split!r}")
