"""The private parts of other libraries that wisdoms touches are still there, at the versions pyproject allows."""

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
