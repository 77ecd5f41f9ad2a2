"""The package's shape: layers whose imports point one way, no cycles, no oversized module.

`core ← data ← analysis ← report ← publish ← cli`: a module imports only from its own layer or
below. Every import counts, also one inside a function (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "indikatorer"
LAYERS = ["core", "data", "analysis", "report", "publish", "cli"]
MAX_LINES = 520  # "no module over ~500 lines"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # the package itself
    return parts[1] if parts[1] in LAYERS else None


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package modules `path` imports (resolving `from pkg import module`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if not name.startswith("indikatorer"):
                continue
            # the longest known module the name starts with
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != "indikatorer":
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: imports_of(p, known) - {m} for m, p in mods.items()}


def test_every_module_is_in_a_layer():
    outside = [m for m in modules() if m != "indikatorer" and layer_of(m) is None]
    assert not outside, f"modules outside the layers {LAYERS}: {outside}"


def test_imports_point_down_the_layers():
    upward = []
    for module, targets in graph().items():
        own = layer_of(module)
        if own is None:
            continue
        for target in targets:
            theirs = layer_of(target)
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(own):
                upward.append(f"{module} ({own}) imports {target} ({theirs})")
    assert not upward, "imports against the layers:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    g = graph()
    # Tarjan's strongly connected components: any component of more than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(g):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", sorted(modules()))
def test_module_size(module):
    lines = len(modules()[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines (at most ~500): split it"


def test_the_checker_sees_a_violation(tmp_path):
    """The graph reader finds function-level and `from pkg import module` imports."""
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from indikatorer.publish import build\n    import indikatorer.core.paths\n")
    known = {"indikatorer.publish.build", "indikatorer.core.paths", "indikatorer.publish"}
    assert imports_of(src, known) == {"indikatorer.publish.build", "indikatorer.core.paths",
                                      "indikatorer.publish"}
