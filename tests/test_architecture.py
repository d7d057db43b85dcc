"""The shape of the package: data flows one way, and each thing is done in one place.

These read the source as text (``ast``), so they hold for code paths no other test runs.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import rivalscope

SRC = Path(rivalscope.__file__).resolve().parent
LIBRARY_PACKAGES = ("forecast", "simulate", "coding", "fetch", "analysis", "store", "ingest")


def _modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(sub) for sub in ast.walk(node))
    return skipped


def _owner(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> set[str]:
    """The project modules ``module`` imports at run time, at top level or inside functions.

    ``from a.b import c`` imports ``a.b`` (and ``a.b.c`` when that is a module);
    ``import a.b.c`` imports ``a.b.c``. Imports under ``if TYPE_CHECKING`` do not count.
    """
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "rivalscope" and (owner := _owner(name)) is not None:
                found.add(owner)
    found.discard(module)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles() -> None:
    assert import_cycles({module: imports(module) for module in MODULES}) == []


def test_the_cycle_finder_sees_cycles_and_function_level_imports() -> None:
    """The check is not vacuous: it reports a cycle, and counts imports inside functions."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert "rivalscope.store.base" in imports("rivalscope.store")
    assert "rivalscope.ingest" in imports("rivalscope.store.base")
    assert "rivalscope.store.upsert" in imports("rivalscope.ingest.pipeline")


def _library_modules() -> Iterator[str]:
    for module in MODULES:
        parts = module.split(".")
        if len(parts) > 1 and parts[1] in LIBRARY_PACKAGES:
            yield module


def _imported_roots(module: str) -> Iterator[tuple[ast.AST, set[str]]]:
    """Each run-time import statement of ``module`` with the top-level packages it names."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield node, {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node, {node.module.split(".")[0]}


@pytest.mark.parametrize("module", sorted(_library_modules()))
def test_library_packages_do_not_import_the_cli_kit(module: str) -> None:
    for node, roots in _imported_roots(module):
        assert not roots & {"typer", "rich"}, f"{module} imports {roots & {'typer', 'rich'}}"
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith("rivalscope.cli"), module


def test_one_write_path() -> None:
    """The batch record is written in one place: the upsert every backend shares."""
    writers = [
        module
        for module, path in MODULES.items()
        if "INSERT INTO ingest_batches" in path.read_text(encoding="utf-8")
    ]
    assert writers == ["rivalscope.store.upsert"]


def test_only_the_store_touches_a_backend_connection() -> None:
    """Outside ``rivalscope.store`` (and the ingest pipeline and the linker, which work in the
    store's staging DuckDB) no module imports a database driver or reaches into a store's
    connection."""
    drivers = {"duckdb", "psycopg", "pyspark"}
    for module, path in MODULES.items():
        if module.startswith(("rivalscope.store", "rivalscope.ingest", "rivalscope.fusion")):
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\.con\b|\._pg\b|\.staging\b", text), module
        for _node, roots in _imported_roots(module):
            assert not roots & drivers, f"{module} imports {roots & drivers}"


def _packages() -> Iterator[str]:
    yield "rivalscope"
    for info in pkgutil.walk_packages(rivalscope.__path__, "rivalscope."):
        if info.ispkg:
            yield info.name


@pytest.mark.parametrize("package", sorted(_packages()))
def test_public_names_are_not_shadowed_by_submodules(package: str) -> None:
    """Importing every submodule leaves each name of ``__all__`` what it was, never a module
    (``forecast.predict`` stays the function once ``rivalscope.forecast.prediction`` loads)."""
    loaded = importlib.import_module(package)
    for info in pkgutil.iter_modules(loaded.__path__, f"{package}."):
        importlib.import_module(info.name)
    for name in getattr(loaded, "__all__", ()):
        value = getattr(loaded, name)
        assert not isinstance(value, type(importlib)), f"{package}.{name} is a module"


def test_forecast_functions_are_callable_after_their_modules_load() -> None:
    """Regression: ``forecast.predict`` was the module once ``rivalscope.forecast.predict`` had
    been imported, so ``forecast.backtest(...)`` raised ``TypeError: 'module' object is not
    callable``."""
    from rivalscope import forecast

    importlib.import_module("rivalscope.forecast.prediction")
    importlib.import_module("rivalscope.forecast.backtesting")
    assert callable(forecast.predict)
    assert callable(forecast.backtest)
    with pytest.raises(rivalscope.NotFoundError):
        forecast.backtest(rivalscope.open(), "NO_SUCH_ACTOR")


def test_every_strict_xfail_names_the_exception_it_expects() -> None:
    """A known gap fails the way it is known to fail, or the test says so (``raises=``)."""
    tests = Path(__file__).resolve().parent
    unnamed = []
    for path in tests.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("xfail")):
                continue
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
            if keywords.get("strict") == "True" and "raises" not in keywords:
                unnamed.append(f"{path.name}:{node.lineno}")
    assert unnamed == []
