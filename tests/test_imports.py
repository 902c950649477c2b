"""The import graph of `consult/`: no circles, and no room reaching into another room's views.

The graph is read from the source with `ast`, so it sees every import, whether at the top of
a module or inside a function (a function-level import hides a circle from Python, not from
the design). `from consult.x import y` counts as an import of `consult.x.y` when that is a
module, else of `consult.x`. Imports under `if TYPE_CHECKING:` never run and are left out.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "consult"

# The floor below the rooms: infrastructure that every room may use and that knows no room (the
# mail wing, the database, the audit log, signals...). Its modules import only each other.
GROUND = (
    "consult.audit",
    "consult.backup",
    "consult.db",
    "consult.errors",
    "consult.extensions",
    "consult.forms",
    "consult.i18n",
    "consult.mail",
    "consult.markup",
    "consult.pagecache",
    "consult.pagination",
    "consult.signals",
    "consult.timeutil",
    "consult.tokens",
)


def _on_ground(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in GROUND)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` except the bodies of `if TYPE_CHECKING:` blocks."""
    nodes, stack = [], [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return nodes


def import_graph() -> dict[str, set[str]]:
    """Each module of `consult` and the modules of `consult` it imports."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names if alias.name in paths)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the package, `level - 1` packages up
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    if f"{base}.{alias.name}" in paths:
                        imported.add(f"{base}.{alias.name}")
                    elif base in paths:
                        imported.add(base)
        imported.discard(name)
        graph[name] = imported
    return graph


def tangles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected parts of `graph` with more than one module (each holds circles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    parts: list[set[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iteratively (no recursion limit)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.add(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        parts.append(part)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return parts


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest circle through each tangle of `graph`."""
    return [_shortest_circle(graph, part) for part in tangles(graph)]


def _shortest_circle(graph: dict[str, set[str]], part: set[str]) -> list[str]:
    best: list[str] = []
    for start in sorted(part):
        came_from = {start: ""}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(graph[node] & part):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    circle = [*reversed(path), start]
                    if not best or len(circle) < len(best):
                        best = circle
                    queue.clear()
                    break
                if nxt not in came_from:
                    came_from[nxt] = node
                    queue.append(nxt)
    return best


def _described(graph: dict[str, set[str]]) -> str:
    lines = ["import circles in consult/ (one shortest circle, then every module tangled with it):"]
    for part in tangles(graph):
        lines.append("  " + " -> ".join(_shortest_circle(graph, part)))
        lines.append("    " + ", ".join(sorted(part)))
    return "\n".join(lines)


def test_no_import_circle():
    graph = import_graph()
    assert not circles(graph), _described(graph)


def test_the_ground_floor_imports_no_room():
    """The mail wing, the database, the audit log and the other infrastructure modules never
    import a room (not even its models), nor policy: rooms register with them instead."""
    offences = [
        f"{name} imports {imported}"
        for name, imports in sorted(import_graph().items())
        if _on_ground(name)
        for imported in sorted(imports)
        if not _on_ground(imported) and imported != "consult"
    ]
    assert not offences, "\n".join(offences)


def test_policy_imports_only_models_and_the_ground():
    """Policy decides from models; it never imports a service, a query, a form or a view."""
    offences = [
        f"{name} imports {imported}"
        for name, imports in sorted(import_graph().items())
        if name.startswith("consult.policy")
        for imported in sorted(imports)
        if not (_on_ground(imported) or imported.startswith("consult.policy") or imported.endswith(".models"))
    ]
    assert not offences, "\n".join(offences)


def _room_of_views(name: str) -> str | None:
    """`rounds` for `consult.rounds.views` and `consult.rounds.views.page`; else None."""
    parts = name.split(".")
    return parts[1] if len(parts) >= 3 and parts[0] == "consult" and parts[2] == "views" else None


def test_no_module_imports_another_rooms_views():
    """Views import loaders, filters and forms (`queries.py`, `forms.py`), never other views."""
    offences = [
        f"{name} imports {imported}"
        for name, imports in sorted(import_graph().items())
        for imported in sorted(imports)
        if _room_of_views(imported) and _room_of_views(imported) != _room_of_views(name)
    ]
    assert not offences, "\n".join(offences)


def test_the_checks_see_circles_and_view_imports():
    """The checks themselves: a circle through a function-level import is found and named."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set()}) == []
    source = "def f():\n    from consult.rounds.views import page\n"
    found = [n for n in _runtime_nodes(ast.parse(source)) if isinstance(n, ast.ImportFrom)]
    assert [n.module for n in found] == ["consult.rounds.views"]
    typing_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import consult.web\n"
    assert not [n for n in _runtime_nodes(ast.parse(typing_only)) if isinstance(n, ast.Import)]
    assert _room_of_views("consult.rounds.views.page") == "rounds"
    assert _room_of_views("consult.rounds.queries") is None
