"""Performance benchmarks (``python -m collab_env.benchmarks.<name>``) and what they share.

Each script takes ``--out`` and writes under ``runs/benchmarks/`` of the working folder by
default, never into the checkout's tracked ``benchmarks/results/`` unless ``--out`` says so.
The policy benchmark harness (``collab-env bench``) is :mod:`collab_env.benchmarks.harness`.
"""

from __future__ import annotations

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
    """An ``Args`` dataclass of a benchmark script from its command line: ``--field-name`` per field.

    Each option's type and default are the field's default's (``only`` restricts the fields that
    are options; the others keep their defaults).
    """
    import argparse
    import dataclasses

    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    defaults = cls()
    for f in dataclasses.fields(cls):
        if only is None or f.name in only:
            default = getattr(defaults, f.name)
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(default), default=default)
    return cls(**vars(parser.parse_args()))
