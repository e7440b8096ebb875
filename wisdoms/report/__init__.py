"""Reports: turn an :class:`~wisdoms.pipeline.Analysis` into files people read. No analysis here.

Every writer renders to text or bytes first (:func:`render_reports`); :func:`write_rendered` is the one
function that puts them on disk, so a gate (the privacy check) can sit between the two.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import write_bytes, write_text
from ..errors import OutputError
from .contract import manifest_json, passages_csv, themes_json
from .docx import render_docx
from .html import render_html
from .language import check_names, find_deficit_language
from .markdown import render_markdown

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import Analysis
    from ..privacy import PrivacyGate

log = logging.getLogger(__name__)

__all__ = [
    "write_reports", "render_reports", "write_rendered", "render_html", "render_markdown", "render_docx",
    "themes_json", "passages_csv", "manifest_json", "find_deficit_language", "check_names",
]

Rendered = dict[str, "str | bytes"]

def render_reports(analysis: Analysis) -> dict[str, str | bytes]:
    """Every report file's name and content (text or bytes), nothing written yet."""
    return {
        "themes.json": themes_json(analysis),
        "passages.csv": passages_csv(analysis),
        "report.md": render_markdown(analysis),
        "report.html": render_html(analysis),
        "report.docx": render_docx(analysis),
        "manifest.json": manifest_json(analysis),
    }

def write_rendered(out_dir: str | Path, rendered: dict[str, str | bytes]) -> list[Path]:
    """Write rendered files into ``out_dir``, each atomically; the only place reports touch the disk.

    Raises:
        OutputError: ``out_dir`` exists and is not a folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError("output path exists and is not a folder", path=out, hint="choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in rendered.items():
        written.append(write_bytes(out / name, data) if isinstance(data, bytes) else write_text(out / name, data))
    log.info("wrote %d files to %s", len(written), out)
    return written

def write_reports(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    allow_unreviewed: bool = False,
    gate: PrivacyGate | None = None,
) -> list[Path]:
    """Write report.html, report.docx, report.md, themes.json, passages.csv and manifest.json, each atomically,
    through the privacy gate.

    Every quote is checked before rendering, and the whole rendered output is scanned again before
    anything is written. With ``allow_unreviewed`` (private drafts only) blocked quotes are written but
    every page is stamped NOT FOR SHARING.

    Raises:
        ExportBlockedError: A quote has an unresolved finding, or the rendered output holds one;
            nothing is written.
        OutputError: ``out_dir`` exists and is not a folder.
    """
    from ..privacy import NOT_FOR_SHARING, PrivacyGate, visible_text

    gate = gate if gate is not None else PrivacyGate(settings=_settings_of(analysis)).fit()
    quotes = [q for t in analysis.themes for q in t.quotes]
    result = gate.check(quotes, allow_unreviewed=allow_unreviewed)
    if not allow_unreviewed:
        result.raise_if_blocked(where=str(Path(out_dir) / "report.html"))
    rendered = render_reports(analysis)
    if allow_unreviewed:
        rendered = _stamped(analysis, rendered, NOT_FOR_SHARING)
    # One scan per value, so no entity can run from one value into the next.
    for value in rendered_values(analysis, rendered, visible_text):
        gate.scan_rendered(value, where=str(Path(out_dir)), quotes=quotes, allow_unreviewed=allow_unreviewed)
    return write_rendered(out_dir, rendered)


#: Our own citations (``conversation-01.txt:257-354``, passage ids): never identifiers.
_CITATION = re.compile(r"[\w./\\-]+\.\w{2,5}(?::|#)\d+-\d+|\b\d+-\d+\b(?=\)|`|</code>)")
#: Fields of themes.json / passages.csv left out of the final scan: ids and numbers, and keywords and
#: labels, which are de-punctuated words of the participant turns that are scanned whole instead.
_STRUCTURAL = frozenset({"passage", "passage_ids", "transcript", "start", "end", "schema", "words", "theme",
                         "id", "participants", "passages", "score", "seed", "participant", "participant_ids",
                         "status", "evidence", "codes", "reason", "not_in_theme_because", "keywords", "label",
                         "theme_label"})


def rendered_values(analysis: Analysis, rendered: dict[str, str | bytes], visible_text: Any) -> list[str]:
    """Every value the writers put into any output, one paragraph each, for the final privacy scan.

    The HTML, Markdown and DOCX reports are rendered only from these values (quotes, passages,
    labels, keywords, code names, participant attributes) plus the template's own fixed wording, so
    scanning them covers what reaches a reader; the fixed wording (headings, package versions) is left
    out because capitalised headings read as names to the detectors.
    """
    parts = [human_text("themes.json", str(rendered["themes.json"]), visible_text)]
    # passages.csv holds every participant passage: scan them as whole turns, the unit the detectors
    # read best (a sentence cut from its turn loses the context that tells a cue from a name).
    parts.extend(t.text[turn.start : turn.end] for t in analysis.transcripts for turn in t.participant_turns())
    for attributes in analysis.participants.values():
        parts.append("; ".join(f"{key}: {value}" for key, value in attributes.items()))
    parts.extend(code.name for code in analysis.codebook.codes)
    return list(dict.fromkeys(v for p in parts for v in re.split(r"\n\s*\n", p) if v.strip()))


def human_text(name: str, data: str, visible_text: Any) -> str:
    """The words a person would read in a rendered file, citations masked, for the final privacy scan.

    HTML is reduced to its visible text; JSON and CSV to their non-structural values. Every word of
    a quote, attribution, label or attribute is still scanned.
    """
    import csv
    import io
    import json

    if name.endswith(".html"):
        text = visible_text(data)
    elif name.endswith(".json"):
        parts: list[str] = []

        def walk(value: Any, key: str = "") -> None:
            if key in _STRUCTURAL:
                return
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, str(k))
            elif isinstance(value, list):
                for v in value:
                    walk(v, key)
            elif isinstance(value, str):
                parts.append(value)

        walk(json.loads(data))
        text = "\n\n".join(parts)
    elif name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(data)))
        keep = [i for i, column in enumerate(rows[0] if rows else []) if column not in _STRUCTURAL]
        text = "\n\n".join(row[i] for row in rows[1:] for i in keep if i < len(row) and row[i])
    else:
        text = _flatten_markdown(data)
    return _CITATION.sub(lambda m: " " * len(m.group()), text)


def _flatten_markdown(text: str) -> str:
    """Markdown as plain paragraphs: one per line or table cell, markup removed (headings, emphasis, rules)."""
    parts = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:#+|>+|[-*]|\d+\.)\s*", "", line).replace("**", "").replace("`", "")
        if re.fullmatch(r"[\s|:\-]*", line):
            continue
        parts.extend(cell.strip() for cell in line.split("|") if cell.strip())
    return "\n\n".join(parts)


def _settings_of(analysis: Analysis) -> Any:
    from ..settings import Settings

    known = {k: v for k, v in analysis.manifest.get("settings", {}).items() if k in Settings.__dataclass_fields__}
    return Settings(**known)


def _stamped(analysis: Analysis, rendered: dict[str, str | bytes], stamp: str) -> dict[str, str | bytes]:
    """Drafts: every page says NOT FOR SHARING."""
    import json

    out = dict(rendered)
    out["report.html"] = render_html(analysis, banner=stamp)
    out["report.md"] = f"> **{stamp}**: a private draft with unreviewed quotes.\n\n" + str(rendered["report.md"])
    doc = json.loads(str(rendered["themes.json"]))
    doc["draft"] = stamp
    out["themes.json"] = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    out["report.docx"] = _stamp_docx(bytes(rendered["report.docx"]), stamp)
    out["NOT-FOR-SHARING.txt"] = f"{stamp}: these files hold quotes the privacy gate has not cleared.\n"
    return out


def _stamp_docx(data: bytes, stamp: str) -> bytes:
    import io

    from docx import Document

    document = Document(io.BytesIO(data))
    for section in document.sections:
        section.header.paragraphs[0].text = stamp
    first = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    first.insert_paragraph_before(stamp).runs[0].bold = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
