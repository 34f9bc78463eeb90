"""The import graph of our code, read statically: no cycles, and imports go one way only.

Every `import` and `from ... import` of every module in `toolrl/`, `workers/` and
`platform/toolrl_web/` counts, including those inside functions (a lazy import is still an
import: it only moves the failure to run time). Imports under `if TYPE_CHECKING:` never run and
do not count. Importing `a.b.c` is an edge to `a.b.c` only, not to its parent packages, whose
`__init__` Python runs first anyway.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Our three packages (`platform/` is a plain folder on sys.path that holds `toolrl_web`).
PACKAGES = [ROOT / "toolrl", ROOT / "workers", ROOT / "platform" / "toolrl_web"]


def module_files(packages: list[Path]) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages (folders)."""
    modules = {}
    for root in packages:
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root.parent).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _type_checking_only(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _import_nodes(tree: ast.AST):
    """Every import statement, at any depth, except those under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        children = list(ast.iter_child_nodes(node))
        if _type_checking_only(node):
            children = list(node.orelse)
        stack.extend(children)


def _imported(module: str, path: Path, node: ast.AST, known: dict[str, Path]) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:  # relative: resolve against the importing module's package
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        anchor = package[: len(package) - node.level + 1]
        base = ".".join(anchor + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    # `from a.b import c` imports the module a.b.c when there is one, else an attribute of a.b.
    names = {f"{base}.{alias.name}" for alias in node.names}
    return {name if name in known else base for name in names}


def import_graph(packages: list[Path] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of the packages it imports."""
    known = module_files(packages)
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for node in _import_nodes(tree):
            targets |= _imported(module, path, node, known)
        graph[module] = {t for t in targets if t in known and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan; the graph is small enough for recursion
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
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(graph, component) for component in components]


def _path_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, within it."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    return paths[node] + [start]
                if nxt not in paths:
                    paths[nxt] = paths[node] + [nxt]
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    raise AssertionError(f"no cycle through {sorted(component)}")


def _describe(found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(cycle) for cycle in found)


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_a_cycle_through_a_lazy_relative_import_is_found(tmp_path):
    pkg = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.sub import b\n",
            "pkg/sub/__init__.py": "",
            # lazy and relative: still an import of pkg.a
            "pkg/sub/b.py": "def f():\n    from .. import a\n    from ..c import name\n",
            "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n",
        },
    )
    graph = import_graph([pkg])
    assert graph["pkg.sub.b"] == {"pkg.a", "pkg.c"}
    assert graph["pkg.c"] == set()  # type-checking imports never run
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]


def test_the_graph_covers_our_packages():
    graph = import_graph()
    assert {"toolrl.cli", "workers.supervisor", "toolrl_web.runs.services"} <= set(graph)
    assert "workers.supervisor" in graph["workers.tasks"]  # imported inside the task


def test_no_module_imports_one_that_imports_it_back():
    found = cycles(import_graph())
    assert not found, "import cycles (each module imports the next):\n" + _describe(found)


def test_imports_go_one_way():
    """workers -> toolrl_web + toolrl; toolrl_web -> toolrl (never workers); toolrl -> neither."""
    forbidden = {"toolrl": ("toolrl_web", "workers"), "toolrl_web": ("workers",)}
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in sorted(targets)
        if target.split(".")[0] in forbidden.get(module.split(".")[0], ())
    ]
    assert not wrong, "\n".join(wrong)
