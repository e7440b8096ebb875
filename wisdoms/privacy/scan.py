"""``wisdoms privacy scan``: find identifiers in a transcripts folder or a CSV/JSONL of texts and write
the findings, a review sheet (CSV and XLSX, with a decision column), an HTML view and a summary.

A folder's metadata (each transcript's front matter, a ``participants.csv`` beside them) is scanned with its
turns: the area or housing it holds is printed in every attribution, so it must be pseudonymised like a turn."""

from __future__ import annotations

import html
import io
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._files import atomic_open, clear_read_errors, read_jsonl, write_bytes, write_text
from .._tables import GuardedDictReader, GuardedWriter, append_row
from ..errors import PrivacyError
from .detectors import Detector, Finding, source_modes
from .terms import DECISIONS, FINDING_COLUMNS, ScanResult, context_of, pseudonyms, write_terms

log = logging.getLogger(__name__)

REVIEW_COLUMNS = ("finding", "source", "start", "end", "text", "type", "detector", "why", "context",
                  "replacement", "decision", "reviewer", "note")
@dataclass(frozen=True)
class TextTable:
    """A CSV or JSONL file of texts, kept whole so a pseudonymised copy can be written in the same format.

    Attributes:
        path: The file.
        kind: ``"csv"`` or ``"jsonl"``.
        fieldnames: CSV header (JSONL: empty).
        records: Every row (CSV: a dict of strings; JSONL: the parsed object), in file order.
        ids: Each record's id (the id column, else its line number), unique.
        text_column: The field holding the text.
    """

    path: Path
    kind: str
    fieldnames: tuple[str, ...]
    records: tuple[dict, ...]
    ids: tuple[str, ...]
    text_column: str

    def texts(self) -> dict[str, str]:
        """Id -> text."""
        from ..ingest.text import page_breaks_as_lines

        # A form feed or vertical tab is a line break, one character for one, as every reader reads it.
        return {i: page_breaks_as_lines(str(r.get(self.text_column) or "")) for i, r in zip(self.ids, self.records)}


@clear_read_errors(PrivacyError)
def read_table(path: str | Path, *, text_column: str = "text", id_column: str = "id") -> TextTable:
    """Read a ``.csv`` (with a header row) or ``.jsonl`` file of texts.

    Raises:
        PrivacyError: The file is missing or of an unknown kind, the text column is absent, a line is not
            a JSON object with the text field, or ids repeat.
    """
    path = Path(path)
    if not path.is_file():
        raise PrivacyError("input not found", path=path, hint="pass a transcripts folder, a .csv or a .jsonl file")
    records: list[dict] = []
    ids: list[str] = []
    fieldnames: tuple[str, ...] = ()
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        kind = "jsonl"
        for number, record in read_jsonl(path, PrivacyError):
            try:
                str(record[text_column])
            except (KeyError, TypeError) as exc:
                raise PrivacyError(f"line is not a JSON object with a {text_column!r} field ({exc})", path=path,
                                   line=number, hint="write one object a line, e.g. {\"id\": \"r1\", \"text\": \"...\"}") from exc
            records.append(record)
            ids.append(str(record.get(id_column, number)))
    elif suffix == ".csv":
        kind = "csv"
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = GuardedDictReader(fh)
            fieldnames = tuple(reader.fieldnames or ())
            if text_column not in fieldnames:
                raise PrivacyError(f"CSV has no {text_column!r} column (columns: {list(fieldnames)})", path=path, line=1,
                                   hint="pass --text-column NAME (and --id-column NAME) naming the columns")
            for number, row in enumerate(reader, start=2):
                records.append(row)
                ids.append(row.get(id_column) or str(number))
    else:
        raise PrivacyError(f"cannot read texts from {path.suffix or 'a file without a suffix'!r}", path=path,
                           hint="pass a transcripts folder, a .csv (id,text) or a .jsonl ({id, text}) file")
    duplicated = [s for s, n in Counter(ids).items() if n > 1]
    if duplicated:
        raise PrivacyError(f"ids are not unique: {', '.join(duplicated[:5])}", path=path,
                           hint="give every row its own id (or pass --id-column naming a unique column)")
    return TextTable(path, kind, fieldnames, tuple(records), tuple(ids), text_column)


def read_texts(path: str | Path, *, text_column: str = "text",
               id_column: str = "id") -> tuple[list[tuple[str, str, int]], dict[str, str]]:
    """``(source, text, offset)`` items to scan and each source's full text.

    A folder is read as transcripts (every turn, participant and interviewer, and the metadata lines
    attributions print: front matter and ``participants.csv`` rows); a ``.csv`` needs a
    text column (and an id column, else the row's line number); a ``.jsonl`` reads ``id`` and ``text``.

    Raises:
        PrivacyError: The input is missing, of an unknown kind, or a row lacks its text.
        TranscriptError: A transcript cannot be read.
    """
    path = Path(path)
    if path.is_dir():
        turns, metadata, texts = _folder_items(path)
        return turns + metadata, texts
    texts = read_table(path, text_column=text_column, id_column=id_column).texts()
    return [(source, text, 0) for source, text in texts.items()], texts


def _folder_items(path: Path) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]], dict[str, str]]:
    """A folder's turns, its metadata lines and every source's full text.

    Metadata is what attributions print (area, housing ...): each line before a transcript's first turn
    (its front matter), and each row of a ``participants.csv`` beside the transcripts, scanned at its
    own offsets so ``wisdoms privacy apply`` can pseudonymise it like a turn.
    """
    from ..ingest import read_folder
    from ..ingest.text import decode

    transcripts = read_folder(path)
    turns = [(t.id, t.text[turn.start:turn.end], turn.start) for t in transcripts for turn in t.turns]
    # Up to the line the first turn starts on: its speaker label ("Dan: ...") is a label, not metadata.
    metadata = [(t.id, line, at) for t in transcripts if t.turns
                for at, line in _lines(t.text, 0, t.text.rfind("\n", 0, t.turns[0].start) + 1)
                if not _FENCE.fullmatch(line)]
    texts = {t.id: t.text for t in transcripts}
    for file in sorted(path.rglob(PARTICIPANTS_FILE)):
        source = file.relative_to(path).as_posix()
        texts[source] = text = decode(file.read_bytes(), file, keep_breaks=True)[0]  # the file's own characters
        metadata += [(source, line, at) for at, line in _lines(text, 0, len(text))[1:]]  # after the header row
    return turns, metadata, texts


#: The folder-level file of participant attributes (:mod:`wisdoms.ingest.participants`), scanned as metadata.
PARTICIPANTS_FILE = "participants.csv"
_FENCE = re.compile(r"\s*(?:---)?\s*")


def _lines(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """``(offset, line)`` for each line of ``text[start:end]``, line breaks left out."""
    out = []
    for m in re.finditer(r"[^\r\n]+", text[start:end]):
        out.append((start + m.start(), m.group()))
    return out


def scan(path: str | Path, *, detector: Detector | None = None, text_column: str = "text",
         id_column: str = "id") -> ScanResult:
    """Scan a folder or text file. Lower-case mode is decided per transcript (per row for a file).

    Raises:
        PrivacyError: Unreadable input, or a detector failed.
    """
    modes = None
    if Path(path).is_dir():
        turns, metadata, texts = _folder_items(Path(path))
        items = turns + metadata
        # A transcript's mode comes from its turns: "area: North" lines must not vote for lower case.
        modes = source_modes((source, text) for source, text, _o in turns)
    else:
        items, texts = read_texts(path, text_column=text_column, id_column=id_column)
    detector = (detector or Detector()).fit()
    findings = [f for group in detector.find_many(items, lowercase=modes) for f in group]
    if modes is not None:  # metadata lines were scanned after the turns: put each source's findings in text order
        order = {source: i for i, source in enumerate(texts)}
        findings.sort(key=lambda f: (order[f.source], f.start, f.end))
    log.info("%d findings in %d texts", len(findings), len(texts))
    return ScanResult(tuple(findings), texts)


def summary_rows(findings: Sequence[Finding]) -> list[tuple[str, str, int]]:
    """``(source, type, count)`` sorted by source then type."""
    counts = Counter((f.source, f.type) for f in findings)
    return [(s, t, n) for (s, t), n in sorted(counts.items())]


def write_outputs(result: ScanResult, out: str | Path) -> dict[str, Path]:
    """Write FINDINGS.csv at ``out`` and beside it the terms sheet (``<stem>-terms.csv``/``.xlsx``: one row per
    distinct term, :mod:`.terms`), the sheet of every finding (``<stem>-review.csv``/``.xlsx``), ``<stem>.html``
    and ``<stem>-summary.csv``; returns their paths by kind."""
    out = Path(out)
    stem = out.with_suffix("")
    paths = {"findings": out, "terms_csv": Path(f"{stem}-terms.csv"), "terms_xlsx": Path(f"{stem}-terms.xlsx"),
             "review_csv": Path(f"{stem}-review.csv"), "review_xlsx": Path(f"{stem}-review.xlsx"),
             "html": Path(f"{stem}.html"), "summary": Path(f"{stem}-summary.csv")}
    findings = list(result.findings)
    _write_csv(paths["findings"], FINDING_COLUMNS, [[getattr(f, c) for c in FINDING_COLUMNS] for f in findings])
    review = [[i + 1, f.source, f.start, f.end, f.text, f.type, f.detector, f.reason, context_of(result.texts[f.source], f),
               r, "", "", ""]
              for i, (f, r) in enumerate(zip(findings, pseudonyms(findings)))]
    _write_csv(paths["review_csv"], REVIEW_COLUMNS, review)
    _write_xlsx(paths["review_xlsx"], review)
    _write_csv(paths["summary"], ("source", "type", "findings"), summary_rows(findings))
    write_terms(result, paths["terms_csv"], paths["terms_xlsx"])
    write_text(paths["html"], _html(result))
    return paths


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with atomic_open(path, "w") as fh:
        writer = GuardedWriter(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "review"
    sheet.append(list(REVIEW_COLUMNS))
    for row in rows:
        append_row(sheet, list(row))
    column = "ABCDEFGHIJKLM"[REVIEW_COLUMNS.index("decision")]
    check = DataValidation(type="list", formula1=f'"{",".join(DECISIONS)}"', allow_blank=True)
    sheet.add_data_validation(check)
    check.add(f"{column}2:{column}{max(2, len(rows) + 1)}")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    write_bytes(path, buffer.getvalue())


def _html(result: ScanResult) -> str:
    """Every finding highlighted in its context, numbered as in the review sheet, after a summary per
    file and type. All text is escaped; the highlight is marked by an outline and words, not colour alone."""
    by_source: dict[str, list[tuple[int, Finding]]] = {}
    for number, f in enumerate(result.findings, start=1):
        by_source.setdefault(f.source, []).append((number, f))
    e = html.escape
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Privacy findings</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:0 1em;line-height:1.5}"
             "mark{background:#ffe08a;color:#000;outline:2px solid #7a4d00;padding:0 .1em}"
             "mark .tag{font-size:.8em;color:#5c0000;margin-left:.3em}p.turn{white-space:pre-wrap;"
             "border-left:3px solid #767676;padding-left:.6em}table{border-collapse:collapse}"
             "th,td{border:1px solid #767676;padding:.2em .5em;text-align:left}</style></head><body><main>",
             f"<h1>Privacy findings</h1><p>{len(result.findings)} findings in {len(by_source)} of "
             f"{len(result.texts)} texts. Each is numbered as its row in the review sheet: decide it there "
             f"({' or '.join(DECISIONS)}).</p>"]
    rows = summary_rows(result.findings)
    if rows:
        parts.append("<table><caption>Findings per source and type</caption><thead><tr><th scope='col'>Source</th>"
                     "<th scope='col'>Type</th><th scope='col'>Findings</th></tr></thead><tbody>")
        parts.extend(f"<tr><td>{e(source)}</td><td>{e(kind)}</td><td>{count}</td></tr>" for source, kind, count in rows)
        parts.append("</tbody></table>")
    for source, numbered in by_source.items():
        text = result.texts[source]
        parts.append(f"<section><h2>{e(source)} ({len(numbered)})</h2>")
        for number, f in numbered:
            lo, hi = max(0, f.start - 120), min(len(text), f.end + 120)
            parts.append(
                f"<p class='turn' id='finding-{number}'>{'…' if lo else ''}{e(text[lo:f.start])}"
                f"<mark>{e(f.text)}<span class='tag'>[#{number} {e(f.type)}, found by {e(f.detector)}: {e(f.reason)}, "
                f"characters {f.start}-{f.end}]</span></mark>{e(text[f.end:hi])}{'…' if hi < len(text) else ''}</p>")
        parts.append("</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)
