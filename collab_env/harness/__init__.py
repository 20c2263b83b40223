"""The policy benchmark harness: run agents on the envs, log episodes, summarise, plot, report.

It sits above the agents (it builds them from specs) and below the command line
(``collab-env bench`` and ``collab-env show`` in :mod:`collab_env.cli`).
"""
