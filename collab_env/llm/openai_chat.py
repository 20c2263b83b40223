"""OpenAIChat: any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp...) via the openai client."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import openai
from openai.types.chat import ChatCompletion
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from collab_env.errors import ConfigError, ModelCallError
from collab_env.executors import ThreadExecutor
from collab_env.llm.base import ChatResult, Usage, per_call_params, price
from collab_env.llm.breaker import breaker_for
from collab_env.llm.limits import limit_for
from collab_env.tokens import count_tokens
from collab_env.types import ChatMessage

log = logging.getLogger(__name__)
#: Requests go to this path with the client's ``post`` (the openai client's way to send a body as it
#: is): ``chat.completions.create`` would first walk every message through its type transforms,
#: a no-op for chat messages that costs milliseconds a call, most of a rollout's CPU time.
_PATH = "/chat/completions"
_PARAMS = {"temperature", "top_p", "max_tokens", "seed", "stop", "response_format"}
#: The bound a retry after a timeout puts on a request that had none (tokens).
RETRY_BOUND = 1024
#: A retry after a timeout halves ``max_tokens``, down to this (tokens).
MIN_RETRY_TOKENS = 64


class EmptyCompletion(ValueError):
    """A 200 whose completion has no text; retried like a malformed body."""

    def __init__(self, message: str, response: Any = None) -> None:
        super().__init__(message)
        self.response = response


class FilteredCompletion(Exception):
    """The endpoint's content filter withheld the completion; not retried (it would recur)."""

    status_code = "content_filter"

    def __init__(self, message: str, response: Any = None) -> None:
        super().__init__(message)
        self.response = response


def _transient(exc: BaseException) -> bool:
    """Rate limits, server errors, timeouts, dropped connections and empty or broken bodies are
    worth retrying; client errors (4xx but 429) and content filtering are not."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    # A body that is not the JSON asked for is a transport fault too (a proxy, a crashed worker).
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError | ValueError)


def _endpoint_down(exc: BaseException) -> bool:
    """Failures that are the endpoint's own (what its circuit breaker counts): refused, reset or
    timed-out connections and 5xx. Any answer below 500, a 429 included, shows it is alive."""
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)  # timeouts included (a subclass)


# One openai client per endpoint and settings in this process (weak values: it lives while a
# model holds it), as the endpoint's limit and breaker are: its connection pool is shared, so a
# wave of calls from many envs reuses connections, and building a model (each env builds its own)
# makes no SSL context of its own, 22 ms each (``load_verify_locations``), 45 ms an env.
_CLIENTS: weakref.WeakValueDictionary[tuple, openai.OpenAI] = weakref.WeakValueDictionary()
_CLIENTS_LOCK = threading.Lock()


def shared_client(kwargs: Mapping[str, Any]) -> openai.OpenAI:
    """The process's ``openai.OpenAI(**kwargs)`` (one per settings; a forked child makes its own)."""
    key = (os.getpid(), *sorted(kwargs.items()))
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = openai.OpenAI(**kwargs)
        return client


class OpenAIChat:
    """A chat model behind an OpenAI-compatible endpoint.

    Args:
        model: Model name as the endpoint knows it.
        base_url: Endpoint URL (``None``: ``OPENAI_BASE_URL``, else OpenAI's).
        api_key: Key (``None``: ``OPENAI_API_KEY``, else ``"EMPTY"`` as local servers expect).
        concurrency: Requests in flight at once to this endpoint, for every model object and
            conversation of the process that calls it (:mod:`collab_env.llm.limits`; ``None``: keep
            the endpoint's limit, by default 64, every future of an MR step of 8 candidates × 8
            samples; lower it for a rate-limited API or a server with few slots). A different
            value than another model of the endpoint set is refused, never silently changed.
        max_retries: Retries of a transient failure (429, 5xx, timeout, dropped connection).
        backoff_s: First backoff; it doubles per retry, with jitter, up to ``backoff_cap_s``.
            A 429 or 503 with ``Retry-After`` waits that long instead, if longer (still capped).
        backoff_cap_s: Longest wait between retries.
        timeout_s: Timeout of one attempt, from the moment it is sent: waiting for a slot of
            ``concurrency`` does not count (against a server with one slot, such as llama.cpp's,
            set ``concurrency=1`` so that requests wait here and not in the server's queue).
        prices: Currency units per million tokens, ``{"prompt": p, "completion": c}``.
        **defaults: Default sampling parameters (temperature, top_p, max_tokens, seed, stop,
            response_format).

    Attributes:
        usage: Every attempt, failed ones included (a paid API bills a timed-out request): calls,
            tokens as the endpoint reports them, or estimated where it reported none.
        estimated: The part of ``usage`` whose tokens were estimated: timed-out attempts, their
            prompt counted with cl100k and their completion taken as the ``max_tokens`` bound.

    Every client of one ``base_url`` shares its circuit breaker
    (:mod:`collab_env.llm.breaker`): once the endpoint has failed every attempt for a few
    seconds, calls are refused at once with :class:`~collab_env.errors.EndpointDown` and waiting
    retries give up, instead of each call retrying for minutes against a dead server.

    An ``OpenAIChat`` pickles and deep-copies (an env with a model-backed user or judge does):
    the copy builds its own clients, locks and semaphore, and shares the endpoint's breaker.

    A retry after a timeout is not the request that timed out: it halves ``max_tokens`` (or
    bounds an unbounded request at :data:`RETRY_BOUND`), since a generation that ran out of time
    would run out of time again. The :class:`ChatResult` of a call sums the tokens and cost of
    all its attempts.
    """

    #: Capabilities (see :mod:`collab_env.llm.backends`): asks for JSON objects; generates until
    #: the context is full unless a call is bounded.
    json_mode: ClassVar[bool] = True
    bounds_tokens: ClassVar[bool] = False

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int | None = None,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        timeout_s: float = 120.0,
        prices: Mapping[str, float] | None = None,
        **defaults: Any,
    ) -> None:
        if (concurrency is not None and concurrency < 1) or max_retries < 0:
            raise ConfigError(
                f"concurrency must be >= 1 and max_retries >= 0, got {concurrency}, {max_retries}"
            )
        _check_params(defaults)
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"base_url {base_url!r} has no http:// or https:// scheme; write http://{base_url}"
            )
        self.name, self.max_retries, self._concurrency = model, max_retries, concurrency
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self._client_kwargs = {
            "base_url": self.base_url,
            "api_key": key,
            "max_retries": 0,
            "timeout": timeout_s,
        }
        self.backoff_s, self.backoff_cap_s = backoff_s, backoff_cap_s
        self.defaults, self.prices, self.usage, self.estimated = defaults, prices, Usage(), Usage()
        self._connect()

    def _connect(self) -> None:
        """Build what is not copied: the clients, the concurrency bound, the backoff, the breaker."""
        self._client = shared_client(self._client_kwargs)
        backoff_s, cap = self.backoff_s, self.backoff_cap_s
        self._backoff = wait_exponential(multiplier=backoff_s, max=cap) + wait_random(0, backoff_s)
        self.limit = limit_for(self.base_url, self._concurrency)  # the endpoint's, shared
        self._semaphore = self.limit.slots  # one bound for every thread and event loop
        self.breaker = breaker_for(self.base_url)

    @property
    def concurrency(self) -> int:
        """Calls in flight at once to this endpoint, from every model and conversation that uses it."""
        return self.limit.concurrency

    def __getstate__(self) -> dict[str, Any]:
        """What a copy keeps: settings and usage; clients, locks and the breaker are rebuilt."""
        dropped = ("_client", "_backoff", "_semaphore", "limit", "breaker")
        return {k: v for k, v in self.__dict__.items() if k not in dropped}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild a copy from :meth:`__getstate__`."""
        self.__dict__.update(state)
        self._connect()

    def complete(self, messages: Sequence[ChatMessage], **params: Any) -> ChatResult:
        """One completion; retried on transient failures.

        Raises:
            ModelCallError: after the last retry (or at once for a client error or a filtered
                completion), naming the endpoint, the model and the status.
        """
        request, failed = self._request(messages, params), []
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(_transient),
            sleep=self.breaker.sleep,
        )

        def create() -> Any:
            self.breaker.check()
            try:
                response = self._client.post(_PATH, body=request, cast_to=ChatCompletion)
            except Exception as exc:
                failed.append(self._failed_attempt(exc, request))
                raise
            self.breaker.success()
            try:
                return _checked(response)
            except Exception as exc:
                failed.append(self._failed_attempt(exc, request))
                raise

        try:
            with self._semaphore:  # the attempt's timeout starts once it holds a slot
                response = retrying(create)
        except (openai.OpenAIError, RetryError, ValueError, FilteredCompletion) as exc:
            raise self._error(exc, retrying.statistics.get("attempt_number", 1)) from exc
        return self._result(response, failed)

    async def acomplete(self, messages: Sequence[ChatMessage], **params: Any) -> ChatResult:
        """One completion, awaited; the same retries, breaker and bound as :meth:`complete`.

        The request runs on one of the endpoint's threads (:class:`~collab_env.llm.limits.EndpointLimit`:
        as many as its limit), so any number of coroutines (free-running futures, episodes,
        sessions) wait for it without holding a thread each. The openai client's own async
        transport was measured slower: on a loaded 2-core machine it added 0.2-0.3 s to every
        wave of 64 calls of 1 s (``benchmarks/mr_throughput.py``), the threads none.
        """
        return await self.limit.run(lambda: self.complete(messages, **params))

    def complete_batch(
        self,
        batch: Sequence[Sequence[ChatMessage]],
        per_call: Sequence[Mapping[str, Any]] | None = None,
        **params: Any,
    ) -> list[ChatResult]:
        """One completion per conversation, all in flight at once up to ``concurrency``, in order."""
        jobs = list(zip(batch, per_call_params(len(batch), per_call, params), strict=True))
        return ThreadExecutor(self.concurrency).map(lambda job: self.complete(job[0], **job[1]), jobs)

    def __repr__(self) -> str:
        return f"OpenAIChat(model={self.name!r}, base_url={self.base_url!r}, concurrency={self.concurrency})"

    def _request(self, messages: Sequence[ChatMessage], params: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in params.items() if k != "sample_index"}
        _check_params(params)
        merged = {**self.defaults, **params}
        return {
            "model": self.name,
            "messages": [dict(m) for m in messages],
            **{k: v for k, v in merged.items() if v is not None},
        }

    def _result(self, response: Any, failed: Sequence[ChatResult] = ()) -> ChatResult:
        """The call's result: this response's text, the tokens and cost of every attempt."""
        choice = response.choices[0]
        prompt, completion = _reported(response)
        self.usage.add(ChatResult("", prompt, completion, cost=price(self.prices, prompt, completion)))
        prompt += sum(f.prompt_tokens for f in failed)
        completion += sum(f.completion_tokens for f in failed)
        return ChatResult(
            text=choice.message.content or "",
            prompt_tokens=prompt,
            completion_tokens=completion,
            finish_reason=choice.finish_reason or "stop",
            model=self.name,
            cost=price(self.prices, prompt, completion),
            attempts=1 + len(failed),
        )

    def _failed_attempt(self, exc: BaseException, request: dict[str, Any]) -> ChatResult:
        """Count a failed attempt in ``usage`` and return its share; bound the retry of a timeout.

        Tokens are the endpoint's where it reported them (an empty or filtered completion); a
        timed-out attempt is estimated (and counted in ``estimated`` too): the server went on
        generating, up to ``max_tokens``. Other failures (429, 5xx, resets) generated nothing.
        """
        if _endpoint_down(exc):
            self.breaker.failure(f"{getattr(exc, 'status_code', None) or type(exc).__name__}: {exc}")
        elif isinstance(exc, openai.APIStatusError):  # a 4xx or a 429: the endpoint is alive
            self.breaker.success()
        prompt, completion = _reported(getattr(exc, "response", None))
        timed_out = isinstance(exc, openai.APITimeoutError)
        if timed_out:
            prompt = sum(count_tokens(str(m.get("content", ""))) for m in request["messages"])
            completion = request.get("max_tokens") or 0
            bound = request.get("max_tokens")
            request["max_tokens"] = max(MIN_RETRY_TOKENS, bound // 2) if bound else RETRY_BOUND
        attempt = ChatResult(
            "", prompt, completion, "error", self.name, price(self.prices, prompt, completion)
        )
        self.usage.add(attempt)
        if timed_out:
            self.estimated.add(attempt)
        return attempt

    def _wait(self, retry_state: Any) -> float:
        """Seconds before the next attempt: the backoff, or the endpoint's ``Retry-After`` if longer."""
        backoff = self._backoff(retry_state)
        after = _retry_after(retry_state.outcome.exception())
        return min(max(backoff, after), self.backoff_cap_s) if after else backoff

    def _error(self, exc: BaseException, attempts: int) -> ModelCallError:
        if isinstance(exc, RetryError):
            exc = exc.last_attempt.exception() or exc
        status = getattr(exc, "status_code", None) or type(exc).__name__
        return ModelCallError(
            f"{self.base_url} (model {self.name!r}) failed with {status} after {attempts} attempt(s): {exc}"
        )


def _checked(response: Any) -> Any:
    """``response``, if its completion is usable.

    Raises:
        FilteredCompletion: if the content filter withheld it.
        EmptyCompletion: if it has no text (a body without choices counts as empty).
    """
    choice = response.choices[0] if response.choices else None
    if choice is not None and choice.finish_reason == "content_filter":
        raise FilteredCompletion("the endpoint's content filter withheld the completion", response)
    if choice is None or not choice.message.content:
        raise EmptyCompletion("the endpoint returned an empty completion", response)
    return response


def _reported(response: Any) -> tuple[int, int]:
    """(prompt, completion) tokens a response reports; (0, 0) without a usage block."""
    usage = getattr(response, "usage", None)
    if usage is None:
        return 0, 0
    return usage.prompt_tokens or 0, usage.completion_tokens or 0


def _retry_after(exc: BaseException | None) -> float:
    """The ``Retry-After`` (seconds, or ``retry-after-ms``) of an HTTP error, else 0."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, TypeError, ValueError):
            continue
    return 0.0


def _check_params(params: Mapping[str, Any]) -> None:
    unknown = set(params) - _PARAMS
    if unknown:
        raise ConfigError(f"unknown sampling parameter(s) {sorted(unknown)}; accepted: {sorted(_PARAMS)}")


def build(target: dict[str, Any], options: dict[str, Any]) -> OpenAIChat:
    """The ``openai`` backend (:mod:`collab_env.llm.backends`): ``openai:MODEL@BASE_URL`` with model options.

    ``max_tokens`` and ``temperature`` become the model's sampling defaults; ``timeout_s``,
    ``concurrency`` and ``max_retries`` its call limits.
    """
    sampling = {k: options.pop(k) for k in ("max_tokens", "temperature") if k in options}
    return OpenAIChat(target["model"], base_url=target.get("url"), **options, **sampling)
