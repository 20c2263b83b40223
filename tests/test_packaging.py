"""The built wheel holds every module and data file of the source tree, under collab_env.*."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> where its files install (setup.py's package_dir).
FOLDERS = {"collab_env": "collab_env", "tasks": "collab_env/tasks", "agents": "collab_env/agents",
           "benchmarks": "collab_env/benchmarks"}  # fmt: skip
BUILD_FILES = ("setup.py", "setup.cfg", "pyproject.toml", "README.md")


def _expected() -> set[str]:
    """Every module and data file (``*.jsonl``) of the source folders, as the wheel names it."""
    out = set()
    for folder, target in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT / folder)
            if path.suffix in (".py", ".jsonl") and "__pycache__" not in relative.parts:
                if relative.parts[0] != "results":  # benchmark results: the docs' figures
                    out.add(f"{target}/{relative.as_posix()}")
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> set[str]:
    pytest.importorskip("wheel", reason="building a wheel offline needs the wheel package")
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in BUILD_FILES:
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("*.whl")
    return set(zipfile.ZipFile(built).namelist())


def test_the_wheel_holds_every_family_module_and_data_file(wheel):
    missing = sorted(_expected() - wheel)
    assert not missing, f"left out of the wheel: {missing}"
    families = {
        name.split("/")[2] for name in wheel if name.startswith("collab_env/tasks/") and name.count("/") == 3
    }
    assert families >= {"doc", "code", "math", "qa"}


def test_the_wheel_installs_nothing_at_the_top_but_collab_env(wheel):
    assert {name.split("/")[0] for name in wheel} == {"collab_env", "collab_env-0.1.0.dist-info"}
