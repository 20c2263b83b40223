"""Issue 17, the lean first command: the main job needs none of the training stack."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "torch",
    "transformers",
    "stable_baselines3",
    "trl",
    "ray",
    "datasets",
    "tensorboard",
    "fastapi",
    "uvicorn",
    "openenv",
)  # the [train] and [serve] extras: not in [bench] (orjson is optional)


def test_the_main_job_imports_no_training_or_serving_stack(tmp_path):
    code = (
        "import sys\nfrom collab_env.cli import main\n"
        "rc = main(['bench', '--envs', 'CollabQA-v0,CollabCode-v0', '--episodes', '2', '--out', 'run'])\n"
        f"print(rc, sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout + out.stderr


def test_the_readme_first_command_installs_only_what_the_main_job_needs():
    block = re.search(r"<!-- ci:begin -->\n```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[1]
    first, second = block.strip().splitlines()
    assert '".[bench]"' in first and first.endswith("collab-env bench")
    assert "train" in second and "dev" in second and second.endswith("python -m pytest")
