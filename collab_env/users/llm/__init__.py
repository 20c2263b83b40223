"""The LLM user: a chat model plays the user (:mod:`.user`), with its per-episode state
(:mod:`.state`), the protocols its model answers in (:mod:`.protocol`), the guards on its replies
(:mod:`.guards`, with their lexicon in :mod:`.register`) and the persons it can play
(:mod:`.profiles`)."""

from collab_env.users.llm.profiles import Profile, load_profiles
from collab_env.users.llm.protocol import parse_reply
from collab_env.users.llm.state import LLMUserState
from collab_env.users.llm.user import LLMUser

__all__ = ["LLMUser", "LLMUserState", "Profile", "load_profiles", "parse_reply"]
