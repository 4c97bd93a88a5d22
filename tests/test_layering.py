"""The house's layering, checked on the source: data flows one way and the core stays at the bottom.

`sources`, `matchers` and `digests` build on `aggregator.core` alone; `web` on the core and the
store; the core imports nothing else from the project; and no module imports itself back
through others. Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("aggregator", "sources", "matchers", "digests", "web")

# What each layer may import from the project, by module-name prefix.
ALLOWED: dict[str, tuple[str, ...]] = {
    "aggregator.core": ("aggregator.core",),
    "sources": ("aggregator.core", "sources"),
    "matchers": ("aggregator.core", "matchers"),
    "digests": ("aggregator.core", "digests"),
    "web": ("aggregator.core", "aggregator.store", "web", "digests"),
    "aggregator.store": ("aggregator.core", "aggregator.store"),
}


def module_name(path: Path) -> str:
    """`aggregator/core/models.py` → `aggregator.core.models`; an `__init__` is its package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imported(path: Path, name: str, known: set[str]) -> Iterator[str]:
    """The project modules that the module at `path` imports, at any depth in the file."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module pkg.mod when there is one.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = project_modules()
    known = set(modules)
    return {name: set(imported(path, name, known)) for name, path in modules.items()}


def layer_of(name: str) -> str | None:
    """The most specific layer in ALLOWED that the module belongs to."""
    layers = [layer for layer in ALLOWED if name == layer or name.startswith(layer + ".")]
    return max(layers, key=len) if layers else None


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_every_layer_imports_only_what_it_builds_on(graph: dict[str, set[str]]) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if (layer := layer_of(module)) is not None
        for target in targets
        if not within(target, ALLOWED[layer])
    )
    assert wrong == []


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    # Cycles through a package's own __init__ re-exports are still cycles; report each once.
    cycles: set[tuple[str, ...]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):]
                start = cycle.index(min(cycle))
                cycles.add(tuple(cycle[start:] + cycle[:start]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert sorted(" → ".join(cycle) for cycle in cycles) == []


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The reader finds relative, absolute and function-level imports (so the checks can fail)."""
    module = tmp_path / "mod.py"
    module.write_text(
        "import aggregator.cli\n"
        "def lazy():\n"
        "    from aggregator.stages import match\n"
        "from .models import Posting\n",
        encoding="utf-8",
    )
    known = {"aggregator.cli", "aggregator.stages", "aggregator.stages.match",
             "aggregator.core", "aggregator.core.models"}
    found = set(imported(module, "aggregator.core.mod", known))
    assert found == {"aggregator.cli", "aggregator.stages.match", "aggregator.stages",
                     "aggregator.core.models"}
    assert layer_of("aggregator.core.mod") == "aggregator.core"
    assert not within("aggregator.cli", ALLOWED["aggregator.core"])
