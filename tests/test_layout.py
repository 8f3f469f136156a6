"""The tree tells the architecture: no import cycles, and each room imports only the rooms
below it (the consumer, the producers and the API never import each other's CLIs)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "newsum"


_TYPE_CHECKING = ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every newsum module and the newsum modules it imports, at any depth of the file
    (imports inside functions count: a lazy import still ties the two modules)."""
    modules = {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Imports for type checkers only are not made at run time: they tie nothing.
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and ast.unparse(node.test) in _TYPE_CHECKING
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            targets.update(c for c in candidates if c in modules and c != name)
        # A package's __init__ is imported with any of its modules; it adds no edge here.
        graph[name] = {t for t in targets if t != "newsum"}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_shared_rooms_import_no_job_room() -> None:
    """db/, modeling/, broker/ and web/ serve every job, so they import none of the jobs'
    packages."""
    jobs = tuple(f"newsum.{room}" for room in JOB_ROOMS) + COMPOSITION
    for module, targets in import_graph().items():
        if module.startswith(("newsum.db", "newsum.modeling", "newsum.broker", "newsum.web")):
            assert not [t for t in targets if t.startswith(jobs)], module


# Rooms that each do one job; none imports another. Shared rooms (db, modeling, broker,
# web and the top-level modules such as config) may be imported by every room.
JOB_ROOMS = ("trainer", "worker", "queue", "api", "review", "audit")
# What assembles the jobs: the command line, the HTTP server (the CMS API and the review in
# one app) and the sandbox, whose demo runs every job. Nothing else imports them.
COMPOSITION = ("newsum.__main__", "newsum.cli", "newsum.server", "newsum.sandbox")


def _composes(module: str) -> bool:
    return any(module == c or module.startswith(c + ".") for c in COMPOSITION)


def room_of(module: str) -> str:
    """``newsum.queue.backfill`` -> ``queue``; a top-level module is its own room."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def room_violations(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports that cross from one job room into another, or into the composition."""
    found = []
    for module, targets in graph.items():
        if _composes(module):
            continue
        for target in targets:
            into_job = room_of(target) in JOB_ROOMS and room_of(target) != room_of(module)
            if into_job or _composes(target):
                found.append((module, target))
    return sorted(found)


def test_no_room_imports_another_job_room_or_the_composition() -> None:
    assert room_violations(import_graph()) == []


def test_the_room_check_sees_a_job_importing_another() -> None:
    graph = {
        "newsum.api.app": {"newsum.queue.backfill", "newsum.db.models"},
        "newsum.db.models": {"newsum.sandbox.corpus"},
        "newsum.server": {"newsum.api.app", "newsum.review.api"},
        "newsum.review.api": {"newsum.review.actions", "newsum.broker.app"},
    }
    assert room_violations(graph) == [
        ("newsum.api.app", "newsum.queue.backfill"),
        ("newsum.db.models", "newsum.sandbox.corpus"),
    ]
