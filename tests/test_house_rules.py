"""House rules read from the source (issue 41): no function of the library is over 60 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 60


def test_no_function_over_60_lines():
    long = []
    for folder in ("collab_env", "tasks", "agents"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_LINES:
                        long.append(f"{name}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "functions over 60 lines (split them):\n" + "\n".join(long)


def test_make_env_is_at_most_40_lines():
    """The one factory stays a reader's page: descriptions in, parts built, the env recorded."""
    tree = ast.parse((ROOT / "collab_env/builders.py").read_text(encoding="utf-8"))
    make_env = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "make_env")
    assert make_env.end_lineno - make_env.lineno + 1 <= 40
