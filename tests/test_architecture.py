"""The package's rooms: stages from the ground up, nothing imports upward, no circles.

The import graph is read from the source with `ast` (imports inside functions included:
a lazy import is still a dependency), so the test sees what a reader of the code sees.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import smartprov

PACKAGE_DIR = Path(smartprov.__file__).parent

# Stages from the ground up; a module may import its own stage and the stages below it.
LAYERS: dict[str, int] = {
    "settings": 0,
    "connections": 0,  # Airflow Connections read from the environment (ingest and alerts use it)
    "contract": 1,
    "ingest": 2,
    "validation": 3,
    "warehouse": 4,
    "reports": 5,
    "alerts": 5,
    "authoring": 6,
    "publish": 6,  # open-data bundles read the marts
    "run": 7,
    "cli": 8,
    "portal": 8,  # the web face: beside the CLI, above every stage it calls
}
# Arrows the layering alone would allow but the house forbids.
FORBIDDEN = {
    ("warehouse", "validation"),
    ("ingest", "warehouse"),
    ("ingest", "run"),
    ("reports", "run"),
    ("alerts", "run"),
    ("reports", "alerts"),  # siblings on one floor stay apart
    ("alerts", "reports"),
    ("authoring", "publish"),
    ("publish", "authoring"),
    ("portal", "cli"),  # two faces of one core: neither calls the other
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The smartprov module `name` refers to (a submodule, else its package), or None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> set[str]:
    """smartprov modules imported anywhere in the file (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from smartprov.x import y`: y may be a submodule or a name of x
            names = [f"{base}.{a.name}" for a in node.names] or [base]
            names = [n if _resolve(n) == n else base for n in names]
        else:
            continue
        for name in names:
            if name == "smartprov" or not name.startswith("smartprov."):
                continue
            target = _resolve(name)
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package root (its version only)


def test_every_module_belongs_to_a_stage():
    unknown = sorted(m for m in MODULES if _stage(m) is not None and _stage(m) not in LAYERS)
    assert unknown == [], f"modules outside the known stages: {unknown}"


def test_the_graph_sees_lazy_imports():
    # alerts.notify_run imports the warehouse inside the function; the graph must see it.
    assert "smartprov.warehouse.connection" in GRAPH["smartprov.alerts"]
    assert "smartprov.validation.gx" in GRAPH["smartprov.validation.batch"]


def test_nothing_imports_upward_or_across_a_forbidden_arrow():
    wrong = []
    for module, targets in GRAPH.items():
        source = _stage(module)
        if source is None:
            continue
        for target in targets:
            stage = _stage(target)
            if stage is None or stage == source:
                continue
            if LAYERS[stage] > LAYERS[source] or (source, stage) in FORBIDDEN:
                wrong.append(f"{module} -> {target}")
    assert wrong == [], "imports against the stages:\n" + "\n".join(sorted(wrong))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_imports_and_its_public_names_exist(module):
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"{module}.__all__ names {name!r}, which it does not define"


def test_every_subpackage_is_found_by_pkgutil():
    found = {m.name for m in pkgutil.walk_packages(smartprov.__path__, "smartprov.")}
    assert found == set(MODULES) - {"smartprov"}


def test_no_module_points_outside_the_repository():
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        assert "shared/" not in text, f"{module} refers to a file outside the repository"
