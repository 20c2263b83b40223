"""NeMo Gym's Gymnasium resources-server contract: ``POST /reset``, ``/step``, ``/close``.

As ``resources_servers/gymnasium`` of NeMo Gym defines it (and its ``gymnasium_agent`` drives
it): the session travels in a cookie that ``/reset`` sets; ``/reset`` takes
``{"responses_create_params": {...}, ...metadata}`` (here the metadata may hold ``seed`` and
``options``) and answers ``{"observation": str, "info": {...}}``; ``/step`` takes the same
plus ``"response"``, a Responses-API response whose output text is the assistant's message,
and answers the 5-tuple ``{"observation", "reward", "terminated", "truncated", "info"}``,
where ``observation`` is the user's reply (``None`` once the episode is over). ``info`` also
carries the whole conversation (``messages``), every reward part, ``turn_rewards``, the task id
and the seed; ``/reset``'s ``info`` says ``supports_explicit_close``, so the agent calls
``/close`` at the end. An error is an HTTP status with ``{"error": {"code", "reason", "retry"}}``.
A new session counts against its client's share (``client_capacity``), by the client's address.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from collab_env.serve.guard import JSON_KEY, client_of, install_error_handlers, parse_object
from collab_env.serve.session import ServeError
from collab_env.serve.store import SessionStore

#: The cookie that carries the session id (NeMo Gym's agents send back every cookie they get).
SESSION_COOKIE = "collab_env_session"


def response_text(response: Any) -> str:
    """The assistant text of a Responses-API response (its ``output_text`` parts), as NeMo Gym's
    ``extract_text`` reads it.

    Raises:
        ServeError: ``not_text`` when the response holds no text message.
    """
    output = response.get("output") if isinstance(response, dict) else None
    if not isinstance(output, list):
        raise ServeError("not_text", "step needs response.output, a list of output items",
                         "send the model's Responses-API response as 'response'", status=422)  # fmt: skip
    parts, messages = [], 0
    for item in output:
        if not isinstance(item, dict) or item.get("type") != "message":
            continue
        messages += 1
        content = item.get("content")
        if isinstance(content, str):
            parts.append(content)
            continue
        for c in content if isinstance(content, list) else []:
            if isinstance(c, dict) and c.get("type") == "output_text" and isinstance(c.get("text"), str):
                parts.append(c["text"])
            elif isinstance(c, dict) and c.get("type") == "output_text":
                raise ServeError("not_text", f"output_text.text must be a string, got {c.get('text')!r}",
                                 "send the assistant's message as text", status=422)  # fmt: skip
    if not messages:
        raise ServeError("not_text", "response.output holds no assistant message",
                         "send a response with a message output item", status=422)  # fmt: skip
    return "".join(parts)


def nemo_gym_app(store: SessionStore) -> FastAPI:
    """The FastAPI app of NeMo Gym's Gymnasium contract over ``store``."""
    app = FastAPI(title="collab-env (NeMo Gym Gymnasium resources server)")
    install_error_handlers(app)

    @app.post("/reset")
    async def reset(request: Request) -> JSONResponse:
        body = await _body(request)
        sid = request.cookies.get(SESSION_COOKIE)
        if sid and sid in store.describe():  # a reset in an open session starts its next episode
            session = store.get(sid)
        else:  # a new session, one of its client's share
            sid, session = store.open(client_of(request.scope))
        try:
            out = await session.reset(body.get("seed"), body.get("options"))
        except ServeError:
            if not session.started:
                store.close(sid)
            raise
        info = {**out["info"], "messages": out["observation"], "supports_explicit_close": True}
        reply = JSONResponse({"observation": out["observation"][-1]["content"], "info": info})
        reply.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax")
        return reply

    @app.post("/step")
    async def step(request: Request) -> JSONResponse:
        body = await _body(request)
        session = store.get(request.cookies.get(SESSION_COOKIE))
        out = await session.step(response_text(body.get("response")))
        observation = None if out["done"] else out["observation"][-1]["content"]
        info = {**out["info"], "messages": out["observation"]}
        return JSONResponse({"observation": observation, "reward": out["reward"], "terminated": out["terminated"],
                             "truncated": out["truncated"], "info": info})  # fmt: skip

    @app.post("/close")
    async def close(request: Request) -> JSONResponse:
        sid = request.cookies.get(SESSION_COOKIE)
        store.get(sid)  # unknown_session for a session that is not open
        store.close(sid)
        return JSONResponse({"closed": True})

    return app


async def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object (as the server's guard parsed it; ``{}`` for an empty body).

    Raises:
        ServeError: ``malformed`` for a body that is not a JSON object.
    """
    if JSON_KEY in request.scope:
        return request.scope[JSON_KEY]
    raw = await request.body()  # an app run without the guard
    return parse_object(raw) if raw else {}
