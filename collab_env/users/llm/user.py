"""LLMUser: a chat model plays the user from the hidden goal.

The prompt gives the hidden goal and the conversation as data, each between its own tags, and
puts the instruction last, with the answer's format: a small model given a transcript that ends
the prompt continues the transcript instead of answering (issue 18: 58 of 58 first attempts).
With ``prompt="swapped"`` the conversation is sent as chat messages with the roles swapped
instead (the model speaks as the ``assistant``; both built by :mod:`~collab_env.users.llm.prompts`).
What the model answers, and how it is read, is the protocol: ``acts``
(:mod:`~collab_env.users.llm.acts`) by default, ``grounded``
(:mod:`~collab_env.users.llm.protocol`) or the paper's free ``roleplay`` on request (issue 44:
the card rated a 0.5 B model usable with ``acts``, not with ``grounded``, ``docs/models.md``).

A reply that cannot be used is retried with a reminder that says why: not JSON, cut off at
``max_tokens``, or one of the :mod:`~collab_env.users.llm.guards` broken. Guards never cost an
episode: after the retries the mildest reply is used (its drifting sentences dropped, or, with
none left, the goal's own answer to what was asked) and the drift is recorded in ``info``. Only
a failed model call (the endpoint) loses the episode.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from collab_env.aio import Steps, adrive, drive, gather
from collab_env.errors import ConfigError, ModelCallError
from collab_env.llm import bounded
from collab_env.llm import json_mode as serves_json
from collab_env.llm.base import ChatModel, ChatResult
from collab_env.types import (
    TERMINATION_SIGNAL,
    ChatMessage,
    TaskInstance,
    UserReply,
)
from collab_env.users.base import ReplyRequest, UserSimulator
from collab_env.users.llm import acts, guards, protocol
from collab_env.users.llm import prompts as prompting
from collab_env.users.llm.grounding import early_end, ground, opening_kept, opening_rule, request_line
from collab_env.users.llm.profiles import PROFILES_FILE, Profile, draw_profile
from collab_env.users.llm.protocol import PROTOCOLS, delimit, first_json_object, parse_reply, reminders
from collab_env.users.llm.state import LLMUserState, Pending, fallback_text

if TYPE_CHECKING:
    from collab_env.task import Task

GUIDANCE = protocol.ROLEPLAY_GUIDANCE
RETRY_REMINDERS = {**protocol.reminders("roleplay"), **protocol.reminders("grounded")}
PROMPTS = ("data", "swapped")
OPENINGS = ("model", "template")
FORMATS = ("schema", "json", "none")
_DONE = "Thanks, that's what I needed."


class LLMUser(UserSimulator):
    """A user simulator backed by a chat model, with the paper's role-play guidance in our words.

    Args:
        model: Any :class:`~collab_env.llm.ChatModel`.
        max_attempts: Tries per reply when the output is not JSON, is cut off, or breaks a guard.
        max_words: Longer replies (quotes aside) are drift: a person may paste their notes (SimulatorArena:
            236 words), a small model rambles on to ``max_tokens``.
        json_mode: Constrain the reply to JSON (``response_format``); ``None``: where the
            endpoint is an :class:`~collab_env.llm.OpenAIChat` (every OpenAI-compatible server
            we know offers it; a local ``HFChat`` does not).
        prompt: ``"data"`` (the conversation as data, the instruction last) or ``"swapped"``
            (the conversation as chat messages, roles swapped).
        protocol: ``"acts"`` (the default: the model picks an act the env allows and words it;
            the env decides the facts each act tells and the ending, see :mod:`~.acts`),
            ``"grounded"`` (the model names the facts of the hidden goal it tells, see
            :mod:`~.protocol`) or ``"roleplay"`` (the paper's free role-play).
        schema: With JSON on (acts, grounded), hold the reply to the protocol's JSON schema
            (``json_schema``); ``False`` asks for plain JSON mode.
        opening: ``"model"`` (the model writes the first message from the hidden goal; the
            template's opening where it fails) or ``"template"`` (the task's opening sentence).
        profiles: The split of :mod:`~.profiles` to draw the episode's person from (``"auto"``:
            the test profiles for a test instance, else the train ones), a sequence of
            profiles, or ``None`` for none.
        **sampling: Sampling parameters for every call (temperature...). ``max_tokens`` defaults
            to the user role's (:data:`~collab_env.config.ROLE_DEFAULTS`) unless the model has one.

    Each call's ``seed`` is drawn from the generator passed to :meth:`reply`: every simulated
    future has its own, so futures against a seeded endpoint differ, and replay alike.
    """

    name = "llm"

    def __init__(
        self,
        model: ChatModel,
        max_attempts: int = 3,
        max_words: int = 300,
        json_mode: bool | None = None,
        prompt: str = "data",
        protocol: str = "acts",
        schema: bool = True,
        opening: str = "model",
        profiles: str | Sequence[Profile] | None = "auto",
        **sampling: Any,
    ) -> None:
        if max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, got {max_attempts}")
        for arg, value, allowed in (("prompt", prompt, PROMPTS), ("protocol", protocol, PROTOCOLS),
                                    ("opening", opening, OPENINGS)):  # fmt: skip
            if value not in allowed:
                raise ConfigError(f"{arg} must be one of {allowed}, got {value!r}")
        if isinstance(profiles, str) and profiles not in ("auto", "train", "test"):
            raise ConfigError(f"profiles must be 'auto', 'train', 'test', profiles or None, got {profiles!r}")
        self.model, self.max_attempts, self.max_words, self.prompt = model, max_attempts, max_words, prompt
        self.protocol, self.opening, self.profiles = protocol, opening, profiles
        json_mode = serves_json(model) if json_mode is None else json_mode
        self.format = ("schema" if schema else "json") if json_mode else "none"
        self._schema_form = "schema"
        self.sampling = bounded("user", model, sampling)
        self.reminders = reminders(protocol)

    @property
    def version(self) -> str:
        """``llm/<protocol>-<layout>/p<prompt hash>/<model>``: what makes two LLM users the same instrument.

        The hash covers the guidance, the output format, the retry reminders, the opening, the
        profiles, the reply-length bound and the sampling parameters (temperature, ``max_tokens``),
        so a changed prompt or temperature is a different user.
        """
        pinned = {
            "guidance": self._guidance(), "format": protocol.output_format(self.protocol),
            "reminders": self.reminders, **({"acts": acts.MEANING, "opening_ask": acts.OPENING_ASK,
                                             "keep_share": acts.KEEP_SHARE, "revision": acts.REVISION}
                                            if self.protocol == "acts" else {}),
            "format_no_end": protocol.GROUNDED_FORMAT_NO_END, "give_up_after": protocol.GIVE_UP_AFTER,
            "opening": self.opening, "profiles": self._profiles_pin(), "response_format": self.format,
            "max_words": self.max_words, "max_attempts": self.max_attempts,
            "sampling": {k: v for k, v in sorted(self.sampling.items()) if k != "seed"},
        }  # fmt: skip
        digest = hashlib.sha256(json.dumps(pinned, sort_keys=True, default=str).encode()).hexdigest()[:10]
        model = getattr(self.model, "name", type(self.model).__name__)
        return f"llm/{self.protocol}-{self.prompt}/p{digest}/{model}"

    def _profiles_pin(self) -> Any:
        """What the version pins of the profiles: a split with the shipped file's digest (the
        persons a seed draws change with the file), or the given profiles' ids."""
        if self.profiles is None:
            return None
        if isinstance(self.profiles, str):
            return f"{self.profiles}:{hashlib.sha256(PROFILES_FILE.read_bytes()).hexdigest()[:10]}"
        return [getattr(p, "id", str(p)) for p in self.profiles]

    def start(self, task: Task, instance: TaskInstance, rng: np.random.Generator) -> tuple[str, LLMUserState]:
        """Draw the episode's profile and open the chat (see ``opening``).

        Raises:
            ModelCallError: when the model call for a written opening failed (the endpoint).
        """
        return drive(self._start_steps(task, instance, rng), self._send_each)

    async def start_async(
        self, task: Task, instance: TaskInstance, rng: np.random.Generator
    ) -> tuple[str, LLMUserState]:
        """:meth:`start`, awaited: the opening is written with the model's async call."""
        return await adrive(self._start_steps(task, instance, rng), self._send_async)

    def _start_steps(self, task: Task, instance: TaskInstance, rng: np.random.Generator) -> Steps:
        state = LLMUserState(profile=self._profile(instance, rng))
        # A fully specified instance (the reveal="all" control) keeps its opening, which states every facet.
        if self.opening == "template" or instance.metadata.get("reveal") == "all":
            state.opening = "template"
            return instance.opening, state
        request = ReplyRequest(task, instance, [], state, rng)
        p = (yield from self._attempts([self._pending(request, opening=True)]))[0]
        material, _, last = instance.opening.rpartition("\n\n")
        label = last.split(":", 1)[0] + ": " if ":" in last[:12] else ""
        if self.protocol == "acts":  # the request reworded, or the template's
            message = "" if p.problem else p.parsed["text"]
        else:
            message = p.parsed["text"] if not p.problem else opening_kept(p, task.facet_kinds, self.max_words)
        if not message:
            state.opening = "template"
            return instance.opening, state
        state.opening = "model"
        text = f"{label}{message}"
        return f"{material}\n\n{text}" if material else text, state

    def reply(
        self,
        task: Task,
        instance: TaskInstance,
        messages: Sequence[ChatMessage],
        state: LLMUserState,
        rng: np.random.Generator,
    ) -> UserReply:
        """The user's next message; drift is retried, then the mildest reply used.

        Raises:
            ModelCallError: when the model call failed (the endpoint, after its retries).
        """
        return self.reply_batch([ReplyRequest(task, instance, messages, state, rng)])[0]

    async def reply_async(
        self,
        task: Task,
        instance: TaskInstance,
        messages: Sequence[ChatMessage],
        state: LLMUserState,
        rng: np.random.Generator,
    ) -> UserReply:
        """:meth:`reply`, awaited: each attempt is the model's async call (the same reply and state).

        Raises:
            ModelCallError: when the model call failed (the endpoint, after its retries).
        """
        requests = [ReplyRequest(task, instance, messages, state, rng)]
        return (await adrive(self._reply_steps(requests), self._send_async))[0]

    def reply_batch(self, requests: Sequence[ReplyRequest]) -> list[UserReply]:
        """Every request's reply, each round of attempts sent as one ``complete_batch``.

        The first round holds every request; a retry round only those whose reply was unusable.
        Each request's state is updated as :meth:`reply` would.

        Raises:
            ModelCallError: when the model call failed (the endpoint, after its retries).
        """
        send = self._send_each if len(requests) == 1 else self._send_batch
        return drive(self._reply_steps(requests), send)

    def _reply_steps(self, requests: Sequence[ReplyRequest]) -> Steps:
        pending = yield from self._attempts([self._pending(r) for r in requests])
        return [self._finish(p) for p in pending]

    def _profile(self, instance: TaskInstance, rng: np.random.Generator) -> Profile | None:
        """The episode's person, drawn from the profiles that fit the instance's task family."""
        if self.profiles is None or (not isinstance(self.profiles, str) and not self.profiles):
            return None
        split = self.profiles
        if split == "auto":
            split = "test" if "-test-" in instance.task_id else "train"
        return draw_profile(rng, split, instance.family)

    def _send_each(self, prompts: list, per_call: list[dict[str, Any]]) -> list[ChatResult]:
        """One ``complete`` per prompt (a single reply needs no batch)."""
        return [
            self.model.complete(p, **{**self.sampling, **c}) for p, c in zip(prompts, per_call, strict=True)
        ]

    def _send_batch(self, prompts: list, per_call: list[dict[str, Any]]) -> list[ChatResult]:
        """All prompts as one ``complete_batch``, each with its own parameters."""
        return self.model.complete_batch(prompts, per_call=per_call, **self.sampling)

    async def _send_async(self, prompts: list, per_call: list[dict[str, Any]]) -> list[ChatResult]:
        """Every prompt's ``acomplete``, all in flight at once."""
        calls = [
            self.model.acomplete(p, **{**self.sampling, **c}) for p, c in zip(prompts, per_call, strict=True)
        ]
        return await gather(calls)

    def _attempts(self, pending: list[Pending]) -> Steps:
        """The attempt rounds: each pending reply until it is usable or out of attempts.

        A step generator (:func:`collab_env.aio.drive`): it yields each round's prompts and
        per-call parameters and receives the model's results.
        """
        todo = pending
        for _ in range(self.max_attempts):
            per_call = []
            for p in todo:
                p.seed = int(p.request.rng.integers(2**31))
                fmt = self._response_format(p)
                per_call.append({"seed": p.seed, **({"response_format": fmt} if fmt else {})})
            results = yield from self._send_formatted(todo, per_call)
            for p, result in zip(todo, results, strict=True):
                p.judge(result, self._read, self._rule)
            todo = [p for p in todo if p.problem]
            if not todo:
                break
        return pending

    def _response_format(self, p: Pending) -> dict[str, Any] | None:
        """The call's ``response_format``: the protocol's schema in the endpoint's spelling."""
        return prompting.response_format(self.protocol, p, self._mode())

    def _guidance(self) -> str:
        """The system prompt's guidance of the protocol."""
        return prompting.guidance(self.protocol)

    def _mode(self) -> str:
        """The ``response_format`` mode of the next call (the endpoint's spelling of a schema)."""
        return self._schema_form if self.format == "schema" else self.format

    def _send_formatted(self, todo: list[Pending], per_call: list[dict[str, Any]]) -> Steps:
        """Yield the attempts; an endpoint that refuses ``json_schema`` gets the schema in its own
        form (the refusal is thrown back into this step by :func:`collab_env.aio.drive`)."""
        prompts = [p.attempt(self.reminders) for p in todo]
        try:
            return (yield prompts, per_call)
        except ModelCallError as exc:
            if not protocol.refuses_schema(exc, self._mode()):
                raise
            self._schema_form = "object_schema"  # the same schema: the user's version does not change
            for p, call in zip(todo, per_call, strict=True):
                call["response_format"] = self._response_format(p)
            return (yield prompts, per_call)

    def _read(self, raw: str) -> dict[str, Any] | None:
        """The reply as ``{"message", "done", "reveal", ...}``, or ``None`` when it does not parse."""
        return prompting.read(self.protocol, raw)

    def _rule(self, p: Pending) -> str | None:
        """The guard ``p``'s parsed reply breaks (its revealed details added first), or ``None``."""
        request, parsed = p.request, p.parsed
        if self.protocol == "acts" and not p.opening:
            parsed["refused"] = acts.settle(parsed, p.plan)
        parsed["text"] = ground(parsed, p) if self.protocol != "roleplay" else parsed["message"]
        if parsed.get("refused"):  # its words are another act's ("that's correct!" to a wrong answer)
            return "act_refused"
        if p.opening:
            asked = request_line(request.instance) if self.protocol == "acts" else ""  # what it rewords
            rule = opening_rule(
                parsed["text"], request.instance, request.task.facet_kinds, self.max_words, asked
            )
            kept = not asked or acts.keeps_request(parsed["text"], asked)
            return rule or (None if kept else "request_lost")
        args = (request.messages, request.instance, request.task.facet_kinds, self.max_words)
        if parsed["done"]:  # the intent to end is what counts: a drifting sentence is dropped, not retried,
            whole = parsed["text"]  # but not a false fact (a wrong answer accepted, the answer worked out)
            rule = guards.ending_rule(whole, request.messages, request.instance, p.unmet)
            if rule:
                return rule
            parsed["text"] = guards.repair(whole, *args, p.unmet) if self.protocol != "roleplay" else whole
            if (
                whole and not parsed["text"]
            ):  # nothing of it is the user's: the end is the role it slipped into
                return guards.check(whole, *args) or "assistant_voice"
            return "early_end" if self.protocol != "acts" and early_end(p) else None
        return guards.check(parsed["text"], *args)

    def _finish(self, p: Pending) -> UserReply:
        """The reply of ``p``: the accepted attempt, else the mildest one repaired."""
        request, state = p.request, p.request.state
        args = (request.messages, request.instance, request.task.facet_kinds, self.max_words, p.unmet)
        text, done, accepted_drift = p.best(
            lambda t: guards.repair(t, *args), lambda t: guards.check(t, *args)
        )
        if p.plan is not None:  # the acts protocol: the env's verdict ends the chat, whatever was read
            done = p.plan.acts == ("accept",) or (done and p.parsed.get("act") in acts.ENDINGS)
        fallback = not text and not done
        if fallback:
            text = (
                acts.fallback(p.plan, request.instance)
                if p.plan is not None
                else fallback_text(request.messages, request.instance, request.task.facet_kinds)
            )
        if done:  # an end after an answer the task finds wrong gives up on it, it does not thank
            ending = _DONE if not p.unmet else "Never mind, I'll stop here."
            text = f"{text or ending} {TERMINATION_SIGNAL}"
        state.record(p, accepted_drift, fallback)
        hidden = {f.name for f in request.instance.hidden_facets}
        revealed = [i for i in p.parsed.get("reveal", []) if i in hidden]
        info = {
            "simulator": self.name, "protocol": self.protocol, "raw": p.raw,
            "thought": str(p.parsed.get("thought", "")), "seed": p.seed, "revealed": revealed,
            "accepted_drift": accepted_drift, "fallback": fallback, **state.counts(),
            **({"act": p.parsed.get("act")} if p.plan is not None else {}),
        }  # fmt: skip
        return UserReply(text, done, info)

    def _pending(self, request: ReplyRequest, opening: bool = False) -> Pending:
        """A reply in the making, with its prompt and what the assistant's last answer lacks."""
        unmet = (
            None if opening else protocol.unmet_by_answer(request.task, request.instance, request.messages)
        )
        plan = None
        if self.protocol == "acts" and not opening:
            last = request.state.acts[-1] if request.state.acts else None
            plan = acts.turn_plan(request.messages, request.instance, request.task.facet_kinds, unmet, last)
        return Pending(
            request, self._prompt(request, opening, unmet, plan), opening=opening, unmet=unmet, plan=plan
        )

    def _prompt(
        self,
        request: ReplyRequest,
        opening: bool = False,
        unmet: list[str] | None = None,
        plan: acts.TurnPlan | None = None,
    ) -> list[dict[str, str]]:
        """The hidden goal, the profile and the conversation (:func:`~.prompts.build`)."""
        return prompting.build(self.protocol, self.prompt, request, opening, unmet, plan)


__all__ = ["GUIDANCE", "RETRY_REMINDERS", "LLMUser", "LLMUserState", "delimit", "first_json_object", "ground",
           "parse_reply"]  # fmt: skip
