"""The package import graph: features stand on the core, and nothing loops back.

Every module under ``market4/`` is parsed with ``ast``; each import (module-level or inside
a function, but not under ``if TYPE_CHECKING:``, which never runs) becomes an edge between
package nodes: ``market4.<first component>``, a top-level module being its own node.
"""

from __future__ import annotations

import ast
from pathlib import Path

import market4

PACKAGE_ROOT = Path(market4.__file__).parent

# Modules whose job is to assemble the whole app, so they import every feature on purpose:
# the app factory, the blueprint list, the console script and its command registry, and
# the models aggregator Alembic and ``market4 shell`` load. Nothing imports them back
# except each other and the entry points.
AGGREGATORS = {
    "market4",
    "market4.blueprints",
    "market4.cli",
    "market4.commands",
    "market4.models",
}

CORE = "market4.registry"
# Packages the core may stand on: infrastructure, pure code and the accounts of users.
FEATURES = {
    "market4.activity",
    "market4.admin",
    "market4.api",
    "market4.dashboard",
    "market4.demo",
    "market4.home",
    "market4.imports",
    "market4.markets",
    "market4.placards",
    "market4.vendors",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # ``from market4 import scope`` names a submodule, not just the package.
            found.update(f"{target}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _node(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "market4":
        return None
    if len(parts) == 1:
        return "market4"
    candidate = PACKAGE_ROOT / parts[1]
    if candidate.is_dir() or (PACKAGE_ROOT / f"{parts[1]}.py").exists():
        return f"market4.{parts[1]}"
    return None  # ``from market4 import create_app``: a name, not a module


def _all_imports() -> dict[str, set[str]]:
    imports: dict[str, set[str]] = {}
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imports[module] = _imports(tree, module, path.name == "__init__.py")
    return imports


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in _all_imports().items():
        if module in AGGREGATORS:
            continue
        source = _node(module)
        assert source is not None
        for target in targets:
            node = _node(target)
            if node is None or node == source or node in AGGREGATORS:
                continue
            graph.setdefault(source, set()).add(node)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of nodes (first repeated at the end), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := walk(start)):
            return cycle
    return None


def test_cycle_finder_names_the_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_packages_import_each_other_without_a_cycle():
    cycle = find_cycle(package_graph())
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)


def test_the_core_imports_no_feature():
    reached = package_graph().get(CORE, set()) & FEATURES
    assert not reached, f"{CORE} imports features: {sorted(reached)}"


def test_auth_does_not_stand_on_the_core_or_a_feature():
    reached = package_graph().get("market4.auth", set()) & (FEATURES | {CORE})
    assert not reached, f"market4.auth imports {sorted(reached)}"


def test_domain_is_pure():
    for module, targets in _all_imports().items():
        if not module.startswith("market4.domain"):
            continue
        for target in targets:
            root = target.split(".")[0]
            assert root not in {"flask", "flask_babel", "sqlalchemy", "flask_sqlalchemy"}, (
                f"{module} imports {target}"
            )
            node = _node(target)
            assert node in (None, "market4.domain"), f"{module} imports {target}"
