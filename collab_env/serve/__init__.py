"""Serving envs over the wire: ``collab-env serve`` in OpenEnv's or NeMo Gym's contract.

A session is one env instance; both contracts call it through
:class:`~collab_env.serve.session.Session`, which returns every reward part, ``turn_rewards``
(MR included when the env pays it), the task id and the seed, and turns a lost episode into an
error the client sees (:class:`~collab_env.serve.session.ServeError`), never a reward of 0.
The server libraries are the ``[serve]`` extra; nothing here imports them until used.
"""

from collab_env.serve.runner import EnvRunner
from collab_env.serve.session import ServeError, Session
from collab_env.serve.store import SessionStore

__all__ = ["EnvRunner", "ServeError", "Session", "SessionStore"]
