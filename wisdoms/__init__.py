"""wisdoms: quote-backed themes from listening transcripts.

>>> import wisdoms
>>> analysis = wisdoms.run("transcripts", codebook="codebook/codebook.yaml", min_theme_size=10)  # doctest: +SKIP
>>> analysis.themes.to_frame()  # doctest: +SKIP
>>> wisdoms.make_pack(analysis, "pack/")  # doctest: +SKIP

Heavy libraries are imported only when a stage needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "Analysis", "Settings", "WisdomsError", "__version__", "code_suggestions", "export_qdpx", "load_codebook",
    "make_pack", "read_folder", "render_reports", "run", "write_reports",
]

if TYPE_CHECKING:  # pragma: no cover
    from .codebook import load_codebook
    from .errors import WisdomsError
    from .ingest import read_folder
    from .panel import make_pack
    from .report import render_reports, write_reports
    from .report.qdpx import export_qdpx
    from .report.view import code_suggestions
    from .results import Analysis
    from .settings import Settings

_LAZY = {
    "Analysis": "results", "Settings": "settings", "WisdomsError": "errors", "load_codebook": "codebook",
    "read_folder": "ingest", "write_reports": "report", "render_reports": "report", "make_pack": "panel",
    "export_qdpx": "report.qdpx", "code_suggestions": "report.view",
}


def run(transcripts: str | Path = "transcripts", **options: Any) -> Analysis:
    """Run the whole analysis on a folder of transcripts, showing progress as it goes.

    Every option of :func:`wisdoms.pipeline.run` is taken by name (``codebook=``, ``out=``, ``write=``,
    ``seed=``, ``settings=``, ``decisions=``, ``refit=`` ...), and so is any setting of
    :class:`~wisdoms.settings.Settings` (``min_theme_size=10``). A progress bar shows each step, in a notebook
    or a terminal; ``progress=None`` runs silently.

    Raises:
        SettingsError: An option names no setting, or has a value of the wrong type.
        TranscriptError, CodebookError, CorpusTooSmallError, ModelUnavailableError, ExportBlockedError:
            As for :func:`wisdoms.pipeline.run`.
    """
    from .pipeline import run as run_pipeline

    if "progress" not in options:
        from .progress import NotebookProgress

        options["progress"] = NotebookProgress()
    return run_pipeline(transcripts, **options)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'wisdoms' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names only, so tab completion offers what a user calls."""
    return sorted(__all__)
