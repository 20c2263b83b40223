"""User simulators: the scripted default and (with a model) the LLM user."""

from collab_env.users.base import UserSimulator
from collab_env.users.llm import LLMUser, LLMUserState, Profile, load_profiles, parse_reply
from collab_env.users.scripted import Persona, ScriptedUser, ScriptedUserState

__all__ = [
    "LLMUser",
    "LLMUserState",
    "Persona",
    "Profile",
    "ScriptedUser",
    "ScriptedUserState",
    "UserSimulator",
    "load_profiles",
    "parse_reply",
]
