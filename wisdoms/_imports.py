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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


class _Hide(importlib.abc.MetaPathFinder):
    """Reports each of ``names`` (a module, or a package with its submodules) as not installed, to imports
    made by the thread that created it only: another thread importing torch meanwhile gets torch."""

    def __init__(self, *names: str) -> None:
        self.names = frozenset(names)
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:  # noqa: ARG002
        if threading.get_ident() == self.thread and (name in self.names or name.split(".")[0] in self.names):
            raise ModuleNotFoundError(f"{name} is hidden while this import runs", name=name)


@contextmanager
def hidden(*names: str) -> Iterator[None]:
    """Inside the block, the calling thread's imports of ``names`` raise ``ModuleNotFoundError``.

    The modules are hidden from the import system only: ``sys.modules`` is left alone, since libraries such
    as SciPy look there to see whether torch is in use. ``importlib.util.find_spec`` raises too rather than
    returning ``None``; the imports hidden from here catch ``ImportError``, which covers both.
    """
    finder = _Hide(*names)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


@contextmanager
def torch_hidden() -> Iterator[bool]:
    """:func:`hidden` for torch, unless torch is already loaded.

    Yields:
        Whether torch was hidden (``False``: it was already imported, so nothing changed).
    """
    if "torch" in sys.modules:
        yield False
        return
    with hidden("torch"):
        yield True


def forget(*packages: str) -> None:
    """Drop ``packages`` and their submodules from ``sys.modules``, so the next import runs them afresh
    (after an import inside :func:`hidden` failed part-way)."""
    for module in [m for m in sys.modules if m.split(".")[0] in packages]:
        del sys.modules[module]


class LazyModule(ModuleType):
    """Stands in for a module that is imported on first attribute access (``torch.load`` and the like)."""

    def __getattr__(self, attribute: str) -> object:
        return getattr(importlib.import_module(self.__name__), attribute)
