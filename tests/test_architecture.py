"""The module graph, read statically (``ast``): no import circle, and every layer imports only
what it may (docs/architecture.md). Imports inside functions count: a lazy import is still a
dependency. Run it with ``-s`` to see the graph's figures."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "otesaintjo"


@dataclass
class Module:
    name: str
    path: Path
    internal: set[str] = field(default_factory=set)  # otesaintjo modules it imports
    external: set[str] = field(default_factory=set)  # top-level names of other packages
    tree: ast.Module | None = None


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_graph() -> dict[str, Module]:
    modules = {
        _name(path): Module(_name(path), path)
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
    }

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for module in modules.values():
        module.tree = ast.parse(module.path.read_text(encoding="utf-8"))
        package = (
            module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
        )
        for node in ast.walk(module.tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
            for target in targets:
                if target.split(".")[0] == "otesaintjo":
                    found = resolve(target)
                    if found and found != module.name:
                        module.internal.add(found)
                else:
                    module.external.add(target.split(".")[0])
    return modules


def cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(name: str) -> None:
        nonlocal counter
        index[name] = low[name] = counter
        counter += 1
        stack.append(name)
        on_stack.add(name)
        for target in modules[name].internal:
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in on_stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for name in modules:
        if name not in index:
            visit(name)
    return found


GRAPH = read_graph()


def in_layer(*prefixes: str) -> Iterator[Module]:
    for module in GRAPH.values():
        if any(module.name == p or module.name.startswith(p + ".") for p in prefixes):
            yield module


def imports_of(module: Module, *prefixes: str) -> set[str]:
    return {
        target
        for target in module.internal
        if any(target == p or target.startswith(p + ".") for p in prefixes)
    }


def _calls(node: ast.AST, methods: tuple[str, ...], on: str | None = None) -> bool:
    """``node`` calls ``<something>.<method>(…)`` (on a variable named ``on``, if given)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr not in methods:
        return False
    return on is None or (isinstance(node.func.value, ast.Name) and node.func.value.id == on)


def test_no_import_circle_except_schema_types_among_themselves() -> None:
    """Schema types may reference each other (a Shop has Orders, an Order its Shop); nothing
    else may go round."""
    bad = [c for c in cycles(GRAPH) if not all(m.startswith("otesaintjo.schema.") for m in c)]
    edges = sum(len(m.internal) for m in GRAPH.values())
    print(f"\nmodule graph: {len(GRAPH)} modules, {edges} import edges, circles: {cycles(GRAPH)}")
    assert bad == [], bad


def test_services_and_models_know_nothing_of_the_api_or_stripe() -> None:
    forbidden = (
        "otesaintjo.schema",
        "otesaintjo.resolvers",
        "otesaintjo.graphql_schema",
        "otesaintjo.graphql_app",
        "otesaintjo.context",
        "otesaintjo.runtime",
        "otesaintjo.app",
        "otesaintjo.loaders",
        "otesaintjo.webhooks",
        "otesaintjo.invoice_files",
    )
    problems = {
        m.name: sorted(
            imports_of(m, *forbidden) | (m.external & {"strawberry", "stripe", "starlette"})
        )
        for m in in_layer("otesaintjo.services", "otesaintjo.models")
    }
    assert {k: v for k, v in problems.items() if v} == {}


def test_models_import_no_service() -> None:
    problems = {m.name: imports_of(m, "otesaintjo.services") for m in in_layer("otesaintjo.models")}
    assert {k: v for k, v in problems.items() if v} == {}


def test_schema_types_build_no_sql_and_open_no_session() -> None:
    """The schema reads through loaders and service functions (it may hand them the session
    factory, never call it)."""
    problems: dict[str, list[str]] = {}
    for module in in_layer("otesaintjo.schema"):
        found = sorted(
            imports_of(module, "otesaintjo.resolvers", "otesaintjo.graphql_schema", "otesaintjo.db")
        )
        if "sqlalchemy" in module.external:
            found.append("sqlalchemy")
        assert module.tree is not None
        for node in ast.walk(module.tree):
            if _calls(node, ("session_factory", "unit_of_work")):
                found.append(f"calls {node.func.attr}() line {node.lineno}")  # type: ignore[attr-defined]
        if found:
            problems[module.name] = found
    assert problems == {}


def test_resolvers_call_services_and_build_no_sql() -> None:
    """Resolvers: permission, one service call, mapping. The only SQLAlchemy name they use is
    the session type they hand to services."""
    problems: dict[str, list[str]] = {}
    for module in in_layer("otesaintjo.resolvers"):
        assert module.tree is not None
        found = []
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {alias.name for alias in node.names}
                if node.module != "sqlalchemy.ext.asyncio" or names != {"AsyncSession"}:
                    found.append(f"from {node.module} import {', '.join(sorted(names))}")
            if _calls(node, ("get", "execute", "scalar", "scalars"), on="session"):
                found.append(f"session.{node.func.attr}() line {node.lineno}")  # type: ignore[attr-defined]
        if found:
            problems[module.name] = found
    assert problems == {}


def test_only_the_payments_package_imports_stripe() -> None:
    users = sorted(m.name for m in GRAPH.values() if "stripe" in m.external)
    assert all(name.startswith("otesaintjo.payments") for name in users), users


def test_a_staff_action_is_audited_by_its_service_not_by_a_resolver() -> None:
    """``audit.record`` is called from services only."""
    callers = set()
    for module in GRAPH.values():
        assert module.tree is not None
        for node in ast.walk(module.tree):
            if _calls(node, ("record",), on="audit"):
                callers.add(module.name)
    assert callers and all(name.startswith("otesaintjo.services.") for name in callers), callers
