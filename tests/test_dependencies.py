"""The private parts of other libraries that wisdoms touches are still there, at the versions pyproject allows;
and the modules of wisdoms depend on each other one way only."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _bound(package: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    spec = re.search(rf'"{package}>=([\d.]+),<([\d.]+)"', PYPROJECT.read_text(encoding="utf-8"))
    assert spec, f"{package} needs a lower and an upper bound in pyproject.toml: wisdoms touches its internals"
    return tuple(map(int, spec.group(1).split("."))), tuple(map(int, spec.group(2).split(".")))


def test_the_installed_bertopic_is_within_the_tested_bound() -> None:
    low, high = _bound("bertopic")
    installed = tuple(int(p) for p in re.findall(r"\d+", importlib.metadata.version("bertopic"))[:3])
    assert low <= installed < high


def test_the_bertopic_internals_wisdoms_touches_are_there() -> None:
    """wisdoms.themes.fit overrides BERTopic._save_representative_docs (no representative documents picked),
    defers bertopic.representation's optional modules and hands bertopic._save_utils a lazy torch: if
    BERTopic renames any of them, the override or the deferral would silently stop working."""
    from wisdoms.themes.fit import DEFERRED_REPRESENTATIONS, _without_representative_docs, import_bertopic

    bertopic = import_bertopic()
    assert callable(getattr(bertopic, "_save_representative_docs", None))
    assert "_save_representative_docs" in vars(_without_representative_docs(bertopic))
    saving = importlib.import_module("bertopic._save_utils")
    assert hasattr(saving, "_has_torch")
    for module in DEFERRED_REPRESENTATIONS:
        assert importlib.util.find_spec(module) is not None, module


def _imports_of(path: Path, module: str, modules: dict[str, Path]) -> set[str]:
    """The wisdoms modules ``module`` imports anywhere (lazy imports included, ``TYPE_CHECKING`` ones not)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for n in ast.walk(block)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            # a module's own packages are loaded before it, so importing one of them closes no circle
            if target and target != module and not module.startswith(target + "."):
                out.add(target)
    return out


def test_no_import_circle_anywhere_in_the_package() -> None:
    """Data flows one way (STYLE.md): no module imports, even lazily, one that imports it back."""
    import graphlib

    from conftest import REPO

    root = REPO / "wisdoms"
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {m: _imports_of(p, m, modules) for m, p in modules.items()}
    assert graph["wisdoms.privacy.terms"] and graph["wisdoms.report.contract"]  # the graph sees imports
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None
