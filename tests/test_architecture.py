"""The package's structure stays readable: no import cycle, no private name shared across modules.

What one module uses of another has a public name in the other's ``__all__`` (see
docs/architecture.md).  Deferred imports inside functions count too: they hide a
cycle rather than remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "plc_analysis"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str]]:
    """``(module imported, name imported or "")`` for every import of a package module in ``path``."""
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                out.append((submodule, "") if submodule in MODULES else (target, alias.name))
        elif isinstance(node, ast.Import):
            out.extend((alias.name, "") for alias in node.names)
    return [(module, imported) for module, imported in out if module in MODULES and module != name]


def _edges() -> dict[str, set[str]]:
    """Who imports whom; a module importing its own package's ``__init__`` (its parent) is not an edge."""
    return {
        name: {m for m, _ in _imports(name, path) if not name.startswith(m + ".")} for name, path in MODULES.items()
    }


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle():
    cycle = _cycle(_edges())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_name_imported_from_another_module():
    private = [
        f"{name} imports {module}.{imported}"
        for name, path in MODULES.items()
        for module, imported in _imports(name, path)
        if imported.startswith("_") and not imported.startswith("__")
    ]
    assert private == []


def test_no_private_name_in_any_all():
    offenders = []
    for name, path in MODULES.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
                listed = [e.value for e in getattr(node.value, "elts", []) if isinstance(e, ast.Constant)]
                offenders += [f"{name}: {n}" for n in listed if str(n).startswith("_")]
    assert offenders == []


def test_every_module_says_what_it_holds():
    silent = [name for name, path in MODULES.items() if not ast.get_docstring(ast.parse(path.read_text("utf-8")))]
    assert silent == []
