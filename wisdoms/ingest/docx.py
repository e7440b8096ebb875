"""Word ``.docx`` transcripts: labelled paragraphs, or tables laid out speaker | text.

The body is read in document order; headers, footers, comments and footnotes are ignored. Each
paragraph, and each table row (written as ``Speaker: text``, or ``[time] Speaker: text`` for a
time | speaker | text table), becomes one paragraph of the transcript text, separated by a blank
line; empty paragraphs are dropped. That text is then read like a plain-text transcript (front
matter, labels, speakers), and every offset refers to it. Errors cite the Word paragraph or table row.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from .._files import sha256_file
from ..errors import TranscriptError
from ..limits import check_archive
from ..models import Transcript
from .speakers import FileOptions, RolesUndecidedError, Speaker
from .text import parse_labelled

_HEADER_CELLS = {"speaker", "name", "who", "time", "timestamp", "text", "speech", "transcript", "words"}
_TIME = re.compile(r"^\[?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\]?$")


def read_docx_transcript(
    path: Path,
    transcript_id: str,
    *,
    options: FileOptions | None = None,
    notes: list[str] | None = None,
    speakers: list[Speaker] | None = None,
) -> Transcript:
    """Read a Word transcript.

    Raises:
        TranscriptError: The file is not a Word document, holds no text, or cannot be read as a
            labelled transcript (see :func:`~wisdoms.ingest.text.read_text_transcript`).
    """
    blocks = _blocks(path)
    if not blocks:
        raise TranscriptError("the file is empty: the Word document holds no text", path=path,
                              hint="remove it, or add the conversation's text")
    text = ""
    starts: list[int] = []
    names: list[str] = []
    for name, block in blocks:
        if text:
            text += "\n\n"
        starts.append(len(text))
        names.append(name)
        text += block
    text += "\n"

    def block_of(offset: int) -> int:
        return max(bisect.bisect_right(starts, offset) - 1, 0)

    try:
        turns, people = parse_labelled(
            text, path, transcript_id, options=options, notes=notes, speakers=speakers,
            unit=lambda offset: block_of(offset) + 1, unit_name="block",
        )
    except TranscriptError as exc:
        message = _cite(exc.message, names)
        if exc.line is not None:
            offset = _offset_of_line(text, exc.line)
            message = f"{names[block_of(offset)]}: {message}"
        if isinstance(exc, RolesUndecidedError):
            raise RolesUndecidedError(message, labels=exc.labels, path=path, hint=exc.hint or "") from exc
        raise TranscriptError(message, path=path, hint=exc.hint) from exc
    if notes is not None:
        notes[:] = [_cite(n, names) for n in notes]
    return Transcript(
        id=transcript_id,
        path=str(path.resolve()),
        text=text,
        format="docx",
        participants=people,
        turns=turns,
        sha256=sha256_file(path),
    )


def _offset_of_line(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        offset = text.find("\n", offset) + 1
    return offset


def _cite(message: str, names: list[str]) -> str:
    """Replace ``block N`` (an internal count) with the Word paragraph or table row it is."""
    return re.sub(r"\bblock (\d+)", lambda m: names[int(m.group(1)) - 1], message)


def _blocks(path: Path) -> list[tuple[str, str]]:
    """``(where, text)`` for each non-empty paragraph or table row of the body, in order."""
    try:
        from docx import Document
        from docx.oxml.ns import qn
    except ImportError as exc:  # pragma: no cover - python-docx is a core dependency
        from ..errors import MissingExtraError

        raise MissingExtraError("reading .docx needs python-docx", path=path, hint="pip install python-docx") from exc
    if not path.read_bytes().strip():
        raise TranscriptError("the file is empty", path=path, hint="remove it, or add the conversation's text")
    check_archive(path, TranscriptError)
    try:
        document = Document(str(path))
    except OSError:
        raise  # vanished or unreadable: read_transcript says so
    except Exception as exc:
        raise TranscriptError(
            f"not a Word document: cannot open it as .docx ({exc.__class__.__name__})",
            path=path,
            hint="open it in Word and save it again as a .docx document",
        ) from exc
    blocks: list[tuple[str, str]] = []
    paragraph_no = table_no = 0
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph_no += 1
            text = _paragraph_text(child, qn)
            if text.strip():
                blocks.append((f"paragraph {paragraph_no}", text.strip()))
        elif child.tag == qn("w:tbl"):
            table_no += 1
            blocks.extend(_table_rows(child, table_no, qn))
    return blocks


def _paragraph_text(element: object, qn) -> str:  # noqa: ANN001
    parts: list[str] = []
    for node in element.iter():  # type: ignore[attr-defined]
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag == qn("w:tab"):
            parts.append("\t")
        elif node.tag in (qn("w:br"), qn("w:cr")):
            parts.append("\n")
    return "".join(parts)


def _table_rows(table: object, table_no: int, qn) -> list[tuple[str, str]]:  # noqa: ANN001
    rows: list[tuple[str, str]] = []
    for row_no, row in enumerate(table.iterchildren(qn("w:tr")), 1):  # type: ignore[attr-defined]
        cells = []
        for cell in row.iterchildren(qn("w:tc")):
            paragraphs = [_paragraph_text(p, qn).strip() for p in cell.iterchildren(qn("w:p"))]
            cells.append("\n\n".join(p for p in paragraphs if p))
        if not any(cells):
            continue
        where = f"table {table_no} row {row_no}"
        if row_no == 1 and all(c.strip().lower() in _HEADER_CELLS for c in cells if c.strip()):
            continue
        if len(cells) >= 3 and _TIME.match(cells[0].strip()):
            time, speaker, speech = cells[0].strip().strip("[]"), cells[1].strip(), "\n\n".join(cells[2:])
            rows.append((where, f"[{time}] {speaker}: {speech.strip()}" if speaker else speech.strip()))
        elif len(cells) >= 2:
            speaker, speech = cells[0].strip(), "\n\n".join(cells[1:]).strip()
            rows.append((where, f"{speaker}: {speech}" if speaker else speech))
        else:
            rows.append((where, cells[0].strip()))
    return rows
