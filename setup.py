"""Package discovery for setup.cfg, which holds everything else.

Every package under each folder that ``package_dir`` maps into ``collab_env`` is found, so that a
new task family or subpackage is never left out of the wheel. setup.cfg's ``find:`` cannot do
it: it searches one root and names packages by their folders, and ``tasks/doc`` must install as
``collab_env.tasks.doc``. ``benchmarks/`` (research scripts, grading sets, collected model text,
results) is the lab: it stays in the repository and is not installed.
"""

from setuptools import find_namespace_packages, setup

FOLDERS = {"collab_env": "collab_env", "collab_env.tasks": "tasks", "collab_env.agents": "agents"}
SKIP = ["*__pycache__*"]

setup(
    package_dir=FOLDERS,
    packages=[
        name
        for package, folder in FOLDERS.items()
        for name in [package, *(f"{package}.{sub}" for sub in find_namespace_packages(folder, exclude=SKIP))]
    ],
)
