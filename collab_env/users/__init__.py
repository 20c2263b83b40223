"""User simulators: the scripted default and (with a model) the LLM user."""

from collab_env.users.base import UserSimulator
from collab_env.users.llm import LLMUser, parse_reply
from collab_env.users.llm_state import LLMUserState
from collab_env.users.profiles import Profile, load_profiles
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
