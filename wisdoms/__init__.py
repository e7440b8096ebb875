"""wisdoms: quote-backed themes from listening transcripts.

>>> import wisdoms
>>> analysis = wisdoms.run("transcripts", codebook="codebook/codebook.yaml")  # doctest: +SKIP
>>> analysis.themes.to_frame()  # doctest: +SKIP

Heavy libraries are imported only when a stage needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Analysis", "Settings", "WisdomsError", "load_codebook", "read_folder", "run", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .codebook import load_codebook
    from .errors import WisdomsError
    from .ingest import read_folder
    from .pipeline import run
    from .results import Analysis
    from .settings import Settings

_LAZY = {
    "run": "pipeline", "Analysis": "results", "Settings": "settings", "WisdomsError": "errors",
    "load_codebook": "codebook", "read_folder": "ingest",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'wisdoms' has no attribute {name!r}")
