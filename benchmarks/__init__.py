"""The lab: benchmark and research scripts, run from the repository root (``python -m benchmarks.<name>``).

Not installed: the wheel carries the library only. These scripts, the grading sets, collected model
text and labels of ``benchmarks/data`` (with their build scripts) and the tracked figures of
``benchmarks/results`` stay in the repository. Each script takes ``--out`` and writes under
``runs/benchmarks/`` of the working folder by default, never into the checkout's tracked
``benchmarks/results/`` unless ``--out`` says so. The policy benchmark harness (``collab-env
bench``) is the library's :mod:`collab_env.harness`.
"""

from __future__ import annotations

import dataclasses
import json
import platform
from dataclasses import asdict
from pathlib import Path
from typing import Any


def save_results(name: str, config: Any, path: str | Path, **results: Any) -> Path:
    """Write a benchmark's figures as JSON with a header (benchmark, versions, configuration)."""
    import collab_env

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"benchmark": name, "collab_env": collab_env.__version__, "python": platform.python_version()}
    path.write_text(json.dumps({**header, "config": asdict(config), **results}, indent=2))
    return path


def parse_args(cls: type, description: str, only: tuple[str, ...] | None = None) -> Any:
    """An ``Args`` dataclass of a benchmark script from its command line, by the one generator of
    command-line options (:mod:`collab_env.arguments`): ``--field-name`` per field, with the help
    of the field's docstring and its default, comma-separated lists for tuples and lists,
    ``--flag/--no-flag`` for booleans.

    Args:
        cls: The script's ``Args`` dataclass.
        description: The script's docstring (its first line is the help's description).
        only: The fields that are options (``None``: all); the others keep their defaults.
    """
    from collab_env.arguments import parse_config

    skip = () if only is None else {f.name for f in dataclasses.fields(cls)} - set(only)
    return parse_config(cls, description, skip=skip)
