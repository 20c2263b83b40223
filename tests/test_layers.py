"""The layering of shared/DESIGN.md, read from the source: core → tasks → agents → harness → CLI.

Every import of every module (lazy ones inside functions too; ``if TYPE_CHECKING:`` blocks
aside) goes to the same layer or one below, and the project's modules import one another
without cycles, nor do its subpackages (``collab_env.users``, ``collab_env.rewards``...). An
import counts as Python runs it: ``import a.b.c`` first runs the ``__init__`` of ``a.b``, and
``import_module("a.b")`` is an import too. Entry-point strings (``"collab_env.tasks.doc:DocTask"``)
are dependencies resolved late: they keep the layering (only the registration table, which maps
ids to what lies above the core, may point up) but cannot close an import cycle.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> the package it is installed as (setup.cfg's package_dir).
#: benchmarks/ (the research scripts) is not installed: no layer, and nothing here imports it.
PACKAGES = {"collab_env": "collab_env", "tasks": "collab_env.tasks", "agents": "collab_env.agents"}
#: Package prefix -> layer, most specific first.
LAYERS = (
    ("collab_env.cli", 4),
    ("collab_env.harness", 3),
    ("collab_env.agents", 2),
    ("collab_env.tasks", 1),
    ("collab_env", 0),
)
_ENTRY_POINT = re.compile(r"^(collab_env(?:\.\w+)+):\w+$")  # "module:attr", as entry points read


def layer(module: str) -> int:
    return next(n for prefix, n in LAYERS if module == prefix or module.startswith(prefix + "."))


def unit(module: str) -> str:
    """The subpackage (or top-level module) of a layer that ``module`` belongs to."""
    prefix = next(p for p, _ in LAYERS if module == p or module.startswith(p + "."))
    rest = module[len(prefix) + 1 :].split(".")[0] if module != prefix else ""
    return f"{prefix}.{rest}" if rest else prefix


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (root / folder).rglob("*.py"):
            parts = list(path.relative_to(root / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _skipped(tree: ast.AST) -> set[int]:
    """Nodes inside ``if TYPE_CHECKING:`` blocks."""
    return {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in node.body
        for n in ast.walk(child)
    }


def _targets(node: ast.AST, package: str, known: set[str]) -> tuple[list[str], list[str]]:
    """(imports, entry-point strings) that one node names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names], []
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names], []
    if (
        isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
    ):
        if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            return [node.args[0].value], []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        match = _ENTRY_POINT.match(node.value)
        if match:
            return [], [match[1]]
    return [], []


def _with_packages(target: str, importer: str, known: set[str]) -> set[str]:
    """``target`` and the packages whose ``__init__`` importing it runs (not the importer's own)."""
    parts = target.split(".")
    parents = {".".join(parts[:i]) for i in range(1, len(parts))}
    own = {importer.rsplit(".", i)[0] for i in range(importer.count(".") + 1)}
    return {target} | {p for p in parents if p in known and p not in own}


def imports(name: str, path: Path, known: set[str]) -> tuple[set[str], set[str]]:
    """The project modules that ``name`` imports, and those its entry-point strings name."""
    tree = ast.parse(path.read_text())
    skipped = _skipped(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out, strings = set(), set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets, entry_points = _targets(node, package, known)
        for target in targets:
            if target in known:
                out |= _with_packages(target, name, known)
        strings |= {t for t in entry_points if t in known}
    return out - {name}, strings - {name}


def graph(root: Path = ROOT, strings: bool = False) -> dict[str, set[str]]:
    """Module -> the modules it imports (with ``strings``: and those its entry-point strings name)."""
    found = modules(root)
    edges = {}
    for name, path in found.items():
        direct, named = imports(name, path, set(found))
        edges[name] = direct | named if strings else direct
    return edges


def cycles(edges: dict[str, set[str]]) -> list[str]:
    """Every cycle a depth-first walk of ``edges`` meets, as ``a -> b -> a``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                found.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


#: The one module that may name higher layers, by entry-point strings (shared/DESIGN.md).
REGISTRY = "collab_env.registration"


def upward(root: Path = ROOT) -> list[str]:
    """Imports and entry-point strings that point to a higher layer (the registry's strings aside)."""
    imported, named = graph(root), graph(root, strings=True)
    return sorted(
        f"{name} (layer {layer(name)}) {'imports' if target in imported[name] else 'names'} {target} "
        f"(layer {layer(target)})"
        for name, targets in named.items()
        for target in targets
        if layer(target) > layer(name) and (name != REGISTRY or target in imported[name])
    )


def unit_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The subpackages' graph: an edge wherever a module of one imports a module of another."""
    units: dict[str, set[str]] = {}
    for name, targets in edges.items():
        units.setdefault(unit(name), set()).update(unit(t) for t in targets if unit(t) != unit(name))
    return units


def problems(root: Path = ROOT) -> list[str]:
    """Every layering fault of the source under ``root``: upward imports, module and subpackage cycles."""
    edges = graph(root)
    return upward(root) + cycles(edges) + [f"subpackages: {c}" for c in cycles(unit_graph(edges))]


def test_no_module_imports_a_layer_above_its_own():
    wrong = upward()
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    found = cycles(graph())
    assert not found, "\n".join(found)


def test_no_cycles_between_subpackages():
    found = cycles(unit_graph(graph()))
    assert not found, "\n".join(found)


def test_the_library_never_imports_the_lab():
    """benchmarks/ stays in the repository, not in the wheel: no installed module may import it."""
    wrong = sorted(
        f"{name} imports {target}"
        for name, path in modules().items()
        for node in ast.walk(ast.parse(path.read_text()))
        for target in _targets(node, name, set())[0]
        if target == "benchmarks" or target.startswith("benchmarks.")
    )
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_lazy_imports():
    edges = graph()
    assert "collab_env.agents.specs" in edges["collab_env.cli.episode"]  # imported inside run()
    assert layer("collab_env.cli.bench") == 4 and layer("collab_env.envx") == 0


def test_the_checker_follows_strings_and_package_inits():
    assert "collab_env.llm.openai_chat" in graph(strings=True)["collab_env.llm.backends"]  # an entry point
    # importing collab_env.users.llm.protocol runs collab_env/users/__init__.py and users/llm/__init__.py first
    expected = {"collab_env.users.llm.protocol", "collab_env.users.llm", "collab_env.users"}
    assert expected <= graph()["collab_env.rewards.judges"]


def _scratch(tmp_path: Path) -> Path:
    for folder in PACKAGES:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _plant(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_a_planted_string_import_and_init_cycle_are_caught(tmp_path):
    root = _scratch(tmp_path)
    assert problems(root) == []
    _plant(root / "collab_env/env.py", 'importlib.import_module("collab_env.cli.bench")')
    _plant(root / "collab_env/rewards/core.py", 'JUDGE = "collab_env.agents.llm:LLMAgent"')
    # facets imports users.base: that runs users/__init__.py, which imports users.scripted -> facets
    _plant(root / "collab_env/facets.py", "from collab_env.users.base import UserSimulator")
    found = "\n".join(problems(root))
    assert "collab_env.env (layer 0) imports collab_env.cli.bench (layer 4)" in found
    assert "collab_env.rewards.core (layer 0) names collab_env.agents.llm (layer 2)" in found
    assert "collab_env.facets -> collab_env.users -> collab_env.users.scripted -> collab_env.facets" in found
