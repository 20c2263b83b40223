"""User simulators: the scripted default and (with a model) the LLM user."""

from collab_env.users.base import UserSimulator
from collab_env.users.llm import LLMUser, LLMUserState, parse_reply
from collab_env.users.scripted import Persona, ScriptedUser, ScriptedUserState

__all__ = [
    "LLMUser",
    "LLMUserState",
    "Persona",
    "ScriptedUser",
    "ScriptedUserState",
    "UserSimulator",
    "parse_reply",
]
