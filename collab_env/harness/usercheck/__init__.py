"""A user-model card: rate any user simulator before trusting it (``collab-env user-check``).

The card plays fixed seeded episodes on the four envs with fixed scripted agents, replays people's
conversations (SimulatorArena), and reports per message: drift by kind, both by the LLM user's
guards and by an independent check the guards do not use (:mod:`.checks`); facts stated against
the goal; details asked for and never given; how the episodes ended, read by the task's own
verdict (:mod:`.episodes`); the spread of a model judge's scores; and the people-likeness table
beside people and the scripted user (:mod:`.fidelity`). One line of verdict against issue 44's
thresholds (:mod:`.summary`), a JSON file and a plot (:mod:`.plot`).
"""

from __future__ import annotations

from collab_env.harness.usercheck.summary import THRESHOLDS, verdict

__all__ = ["THRESHOLDS", "verdict"]
