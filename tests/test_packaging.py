"""The built wheel holds every module and run-time data file of the library, under collab_env.*,
and nothing of the lab: no research script, grading set or collected model text of benchmarks/."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> where its files install (setup.py's package_dir).
FOLDERS = {"collab_env": "collab_env", "tasks": "collab_env/tasks", "agents": "collab_env/agents"}
BUILD_FILES = ("setup.py", "setup.cfg", "pyproject.toml", "README.md")
#: The data files the library reads at run time: the only ``*.jsonl`` the wheel may carry.
RUN_TIME_DATA = {"collab_env/users/llm/profiles.jsonl"}


def _expected() -> set[str]:
    """Every module and data file (``*.jsonl``) of the source folders, as the wheel names it."""
    out = set()
    for folder, target in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT / folder)
            if path.suffix in (".py", ".jsonl") and "__pycache__" not in relative.parts:
                out.add(f"{target}/{relative.as_posix()}")
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> set[str]:
    pytest.importorskip("wheel", reason="building a wheel offline needs the wheel package")
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for folder in (*FOLDERS, "benchmarks"):  # the lab is in the source tree, as in a checkout
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


def test_the_wheel_carries_no_grading_sets_or_collected_model_text(wheel):
    lab = sorted(name for name in wheel if "benchmarks" in name.split("/"))
    assert not lab, f"the lab is in the wheel: {lab}"
    data = {name for name in wheel if name.endswith(".jsonl")}
    assert data == RUN_TIME_DATA, (
        f"data files other than the library's run-time ones: {sorted(data - RUN_TIME_DATA)}"
    )
    assert "collab_env/harness/runner.py" in wheel  # the harness the CLI imports is the library's


def test_import_collab_env_imports_neither_the_harness_nor_the_lab():
    code = "import json, sys, collab_env; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = [m for m in json.loads(out.stdout) if m.startswith(("collab_env.harness", "benchmarks"))]
    assert not loaded, f"import collab_env loads {loaded}"
