"""Imports point down the data flow: the layer rule of docs/concepts/architecture.md, kept true.

Why a test: the rule is easy to break with one convenient import, and every upward import makes
the layers below harder to reuse (imagery, the web workbench, live watch build on them). Each
module is mapped to a layer from its path; every `import` of the package's own modules — at
module level or inside a function, since a lazy import is still a dependency — must name a module
of the same layer or a lower one, and so must a string that is exactly a module's dotted name
(what `importlib.import_module` or a Spark setting is given). A second check finds import
cycles among the imports that run when a module is imported (module level, outside
`if TYPE_CHECKING:`), counting the packages whose `__init__` such an import runs first.

The modules are read with `ast`, never imported: the test is fast and sees every import,
including those in functions no test calls.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cargotrace

PACKAGE_DIR = Path(cargotrace.__file__).parent
ROOT = "cargotrace"

# Bottom first; a module may import from its own layer or any layer listed before it. Each entry
# names the top-level modules and packages under cargotrace/ that belong to the layer.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("foundation", frozenset({"errors", "version", "cache", "provenance"})),
    ("geo", frozenset({"geo", "ftm"})),
    ("store", frozenset({"store"})),
    ("ingest", frozenset({"ingest"})),
    ("detect", frozenset({"detect"})),
    ("screen", frozenset({"screen"})),
    ("routes", frozenset({"routes"})),
    ("cases", frozenset({"cases"})),
    ("publish", frozenset({"publish"})),
    ("sim", frozenset({"sim"})),
    ("api", frozenset({"__init__", "demo"})),
    ("cli", frozenset({"cli", "__main__", "web"})),
)
LAYER_RANK = {part: rank for rank, (_, parts) in enumerate(LAYERS) for part in parts}
LAYER_NAME = {part: name for name, parts in LAYERS for part in parts}


@dataclass(frozen=True)
class Import:
    """One import statement of a cargotrace module, resolved to the module it names."""

    importer: str
    target: str
    line: int
    at_import_time: bool  # module level and not under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = [ROOT, *path.relative_to(PACKAGE_DIR).with_suffix("").parts]
    return ".".join(parts[:-1]) if parts[-1] == "__init__" else ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def layer_part(module: str) -> str:
    """The top-level name under cargotrace/ that decides a module's layer."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, at_import_time: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every node with whether it runs when the module is imported."""
    for child in ast.iter_child_nodes(node):
        runs = at_import_time
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            runs = False
        elif isinstance(child, ast.If) and _is_type_checking(child):
            runs = False
        yield child, runs
        yield from _walk(child, runs)


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node, runs in _walk(tree, True):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == ROOT or alias.name.startswith(ROOT + "."):
                    yield Import(module, alias.name, node.lineno, runs)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base != ROOT and not base.startswith(ROOT + "."):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield Import(module, sub if sub in modules else base, node.lineno, runs)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and node.value.startswith(ROOT + ".") and node.value in modules):
            # a module named by a string (`importlib.import_module`, a Spark setting naming a
            # module to run): a dependency too, though not one that runs at import
            yield Import(module, node.value, node.lineno, False)


def all_imports() -> list[Import]:
    modules = all_modules()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({layer_part(m) for m in all_modules()} - set(LAYER_RANK))
    assert not unplaced, (
        f"place {unplaced} in a layer: LAYERS here and docs/concepts/architecture.md"
    )


def test_imports_point_down_the_layers() -> None:
    upward = sorted(
        f"{imp.importer}:{imp.line} imports {imp.target} "
        f"({LAYER_NAME[layer_part(imp.importer)]} -> {LAYER_NAME[layer_part(imp.target)]})"
        for imp in all_imports()
        if LAYER_RANK[layer_part(imp.target)] > LAYER_RANK[layer_part(imp.importer)]
    )
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules it imports when it is imported.

    Only the modules an import names: the parent packages whose `__init__` runs first are left
    out, since a package that re-exports its modules is imported before any of them runs (a
    module that imports names from its own package's `__init__` names it, and counts)."""
    modules = all_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in all_imports():
        if imp.at_import_time and imp.target in modules and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = _pop_component(stack, on_stack, node)
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _pop_component(stack: list[str], on_stack: set[str], root: str) -> list[str]:
    """Tarjan's last step: the modules on the stack down to the component's root."""
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return component


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "modules that import each other (in a cycle):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


def test_root_package_imports_lazily() -> None:
    """`import cargotrace.errors` must not load the store (DuckDB, Arrow, Ibis): every import
    runs `cargotrace/__init__.py` first, so it imports only the foundation layer when imported
    (the CLI's start-up depends on it)."""
    eager = [imp.target for imp in all_imports() if imp.importer == ROOT and imp.at_import_time
             and LAYER_RANK[layer_part(imp.target)] > 0]
    assert not eager, f"cargotrace/__init__.py imports {eager} when imported"


def test_cycle_finder_finds_a_known_cycle() -> None:
    """The cycle check itself: a three-module ring and a self-contained chain."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
