"""Reports: turn an :class:`~wisdoms.pipeline.Analysis` into files people read. No analysis here."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from .._files import write_text
from ..errors import OutputError
from .contract import manifest_json, passages_csv, themes_json
from .html import render_html
from .markdown import render_markdown

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import Analysis

log = logging.getLogger(__name__)

__all__ = ["write_reports", "render_html", "render_markdown", "themes_json", "passages_csv", "manifest_json"]


def write_reports(analysis: Analysis, out_dir: str | Path) -> list[Path]:
    """Write report.html, report.md, themes.json, passages.csv and manifest.json, each atomically.

    Raises:
        OutputError: ``out_dir`` exists and is not a folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError("output path exists and is not a folder", path=out, hint="choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    rendered = {
        "themes.json": themes_json(analysis),
        "passages.csv": passages_csv(analysis),
        "report.md": render_markdown(analysis),
        "report.html": render_html(analysis),
        "manifest.json": manifest_json(analysis),
    }
    written = [write_text(out / name, text) for name, text in rendered.items()]
    log.info("wrote %d files to %s", len(written), out)
    return written
