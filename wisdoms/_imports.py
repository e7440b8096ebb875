"""Importing heavy libraries without the parts of them wisdoms never uses.

spaCy's machine-learning layer (thinc) and BERTopic's model saving both import torch when it is
installed: ~1.1 s and ~1.5 s of a run that needs torch only when the ONNX encoder is unavailable.
:func:`torch_hidden` makes ``import torch`` fail inside a ``with`` block so those imports record that
there is no torch; torch itself still imports normally afterwards, and :class:`LazyModule` gives a
library that wants it later the real module on first use.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


class _Hide(importlib.abc.MetaPathFinder):
    """Reports ``names`` (and their submodules) as not installed."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:  # noqa: ARG002
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"{name} is hidden while this import runs", name=name)


@contextmanager
def torch_hidden() -> Iterator[bool]:
    """Inside the block ``import torch`` raises ``ModuleNotFoundError``, unless torch is already loaded.

    The module is hidden from the import system only: ``sys.modules`` is left alone, since libraries such
    as SciPy look there to see whether torch is in use.

    Yields:
        Whether torch was hidden (``False``: it was already imported, so nothing changed).
    """
    if "torch" in sys.modules:
        yield False
        return
    finder = _Hide("torch")
    sys.meta_path.insert(0, finder)
    try:
        yield True
    finally:
        sys.meta_path.remove(finder)


def forget(*packages: str) -> None:
    """Drop ``packages`` and their submodules from ``sys.modules``, so the next import runs them afresh
    (after an import inside :func:`torch_hidden` failed part-way)."""
    for module in [m for m in sys.modules if m.split(".")[0] in packages]:
        del sys.modules[module]


class LazyModule(ModuleType):
    """Stands in for a module that is imported on first attribute access (``torch.load`` and the like)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)

    def __getattr__(self, attribute: str) -> object:
        return getattr(importlib.import_module(self.__name__), attribute)
