"""The ``openai`` backend's probe: one one-token request to the endpoint a model really is at.

The URL is the model's own (``openai:MODEL@URL``; a bare name at ``--base-url`` comes here with
that URL), else ``OPENAI_BASE_URL``, else OpenAI's: where :class:`~collab_env.llm.OpenAIChat`
sends its calls. A 401/403 (the key), a 404 (the model) and a connection failure are fatal; a
429 or 5xx is left to the episodes' retries. A URL without ``http://`` or ``https://`` is refused
before any request, and so is an endpoint off this machine when ``OPENAI_API_KEY`` is not set.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlparse

from collab_env.errors import ConfigError

log = logging.getLogger(__name__)
#: Hosts that are this machine: a server there may take no key.
LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
#: Seconds the probe waits for the endpoint's answer.
TIMEOUT_S = 15.0
DEFAULT_URL = "https://api.openai.com/v1"


def endpoint_url(fields: dict[str, Any]) -> str:
    """The URL an ``openai`` model's calls go to: its own, else ``OPENAI_BASE_URL``, else OpenAI's.

    >>> endpoint_url({"model": "m", "url": "http://localhost:8000/v1"})
    'http://localhost:8000/v1'
    """
    return fields.get("url") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_URL


def probe(fields: dict[str, Any], role: str) -> None:
    """Send one tiny request to the model's endpoint; raise if it cannot serve the run.

    Args:
        fields: The parsed ``openai:MODEL@URL`` (``model``, and ``url`` or ``None``).
        role: Who calls the model (``"user"``, ``"judge"``, ``"agent SPEC"``), for the message.

    Raises:
        ConfigError: naming the role, model and URL, for a URL without a scheme, a missing key,
            a refused key, an unknown model or an endpoint that cannot be reached.
    """
    import openai

    url = endpoint_url(fields)
    check_url(url, role)
    key = os.environ.get("OPENAI_API_KEY")
    where = f"{role} model {fields['model']!r} at {url}"
    if not key and urlparse(url).hostname not in LOOPBACK:
        raise ConfigError(
            f"{where}: OPENAI_API_KEY is not set; export it (any value, e.g. EMPTY, for a server "
            "that takes no key)"
        )
    client = openai.OpenAI(base_url=url, api_key=key or "EMPTY", max_retries=0, timeout=TIMEOUT_S)
    try:
        client.chat.completions.create(
            model=fields["model"], messages=[{"role": "user", "content": "ping"}], max_tokens=1
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


__all__ = ["DEFAULT_URL", "LOOPBACK", "TIMEOUT_S", "check_url", "endpoint_url", "probe"]
