"""The one factory: every env of the library is built by make_env, the registered entry point
(descriptions), or by with_parts (objects)."""

from __future__ import annotations

import ast
from pathlib import Path

import gymnasium as gym
import pytest

import collab_env
from collab_env.builders import make_env
from collab_env.config import EnvConfig
from collab_env.env import CollabEnv
from collab_env.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ("collab_env", "agents", "tasks", "benchmarks")


class _Calls(ast.NodeVisitor):
    """The enclosing function of every ``CollabEnv(...)`` call (``<module>`` at the top level)."""

    def __init__(self) -> None:
        self.scopes, self.found = ["<module>"], []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if getattr(node.func, "id", None) == "CollabEnv" or getattr(node.func, "attr", None) == "CollabEnv":
            self.found.append(self.scopes[-1])
        self.generic_visit(node)


def _direct_constructions() -> set[tuple[str, str]]:
    """(file, enclosing function) of every ``CollabEnv(...)`` call in the library's code."""
    sites = set()
    for folder in LIBRARY:
        for path in sorted((ROOT / folder).rglob("*.py")):
            calls = _Calls()
            calls.visit(ast.parse(path.read_text(encoding="utf-8")))
            sites |= {(path.relative_to(ROOT).as_posix(), scope) for scope in calls.found}
    return sites


def test_only_the_factory_constructs_collab_env_and_branch_copies():
    assert _direct_constructions() == {
        ("collab_env/builders.py", "make_env"),
        ("collab_env/builders.py", "with_parts"),
    }
    branch = ast.get_source_segment(
        (ROOT / "collab_env/env.py").read_text(encoding="utf-8"),
        next(
            n
            for n in ast.walk(ast.parse((ROOT / "collab_env/env.py").read_text(encoding="utf-8")))
            if isinstance(n, ast.FunctionDef) and n.name == "branch"
        ),
    )
    assert "copy.copy(self)" in branch and "make_env" not in branch


@pytest.mark.parametrize("env_id", list(collab_env.ENV_IDS))
def test_every_id_is_made_by_the_factory_and_describes_itself(env_id):
    assert gym.spec(env_id).entry_point == "collab_env.builders:make_env"
    env = gym.make(env_id, split="test", max_turns=4)
    assert env.unwrapped.config == EnvConfig(env_id, split="test", max_turns=4)  # one record, either door
    assert env.unwrapped.config.make().unwrapped.config == env.unwrapped.config


def test_branch_shares_the_parts_and_copies_the_episode():
    env = make_env("math", split="test")
    env.reset(seed=2)
    branch = env.branch(user_seed=1)
    assert (branch.task, branch.user, branch.reward_config, branch.config) == (
        env.task, env.user, env.reward_config, env.config
    )  # fmt: skip
    branch.step("What do you need?")
    assert len(env.messages) == 1 and len(branch.messages) == 3


def test_the_env_takes_parts_not_names():
    with pytest.raises(ConfigError, match=r"task must be a Task.*make_env"):
        CollabEnv("math")
    with pytest.raises(ConfigError, match="user must be a UserSimulator"):
        CollabEnv(make_env("math").task, user="scripted")
