"""The import structure of revlab: no import cycles, and no analysis package knows the simulator.

Every module under revlab/ is parsed with ``ast`` (imports inside functions and under
``TYPE_CHECKING`` count too), so a cycle hidden by a function-level import still fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "revlab"
ANALYSIS = ("funnel", "propensity", "forecast", "lifecycle", "pipeline", "plots")


def _modules() -> dict[str, Path]:
    """Map each dotted module name under revlab/ to its file."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The revlab modules that module ``name`` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    targets.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                if node.module:
                    base.append(node.module)
                source = ".".join(base)
            else:
                source = node.module or ""
            if source not in MODULES:
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                # ``from revlab.x import y`` imports the submodule y when there is one.
                targets.add(sub if sub in MODULES else source)
    targets.discard(name)
    return targets


def _graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """For each group of mutually importing modules, its shortest cycle and the other members."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)

    cycles = []
    for group in groups:
        start = min(group)
        # Breadth-first search inside the group for the shortest way back to start.
        paths = {start: [start]}
        frontier = [start]
        cycle = None
        while frontier and cycle is None:
            following = []
            for node in frontier:
                for nxt in sorted(graph[node] & group):
                    if nxt == start:
                        cycle = [*paths[node], start]
                        break
                    if nxt not in paths:
                        paths[nxt] = [*paths[node], nxt]
                        following.append(nxt)
                if cycle:
                    break
            frontier = following
        cycle = cycle or sorted(group)
        rest = sorted(group - set(cycle))
        also = f" (also in the loop: {', '.join(rest)})" if rest else ""
        cycles.append(" -> ".join(cycle) + also)
    return cycles


def test_graph_sees_the_package():
    graph = _graph()
    assert "revlab.cli" in graph and "revlab.forecast._sampling.model" in graph
    assert "revlab.schema" in graph["revlab.sources"]
    assert "revlab.report" in graph["revlab.cli"]  # imported inside a function
    assert {"revlab.crm._spec", "revlab.crm._privacy"} <= graph["revlab.crm._load"]  # relative


def test_no_import_cycles():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles in revlab:\n  " + "\n  ".join(cycles)


def test_analysis_packages_do_not_import_the_simulator():
    offenders = [
        f"{name} imports {target}"
        for name, targets in sorted(_graph().items())
        if name.split(".")[1:2] and name.split(".")[1] in ANALYSIS
        for target in sorted(targets)
        if target == "revlab.demo" or target.startswith("revlab.demo.")
    ]
    assert not offenders, "analysis packages import the simulator:\n  " + "\n  ".join(offenders)
