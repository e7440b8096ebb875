"""``wisdoms privacy scan``: find identifiers in a transcripts folder or a CSV/JSONL of texts and write
the findings, a review sheet (CSV and XLSX, with a decision column), an HTML view and a summary."""

from __future__ import annotations

import csv
import html
import io
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._files import atomic_open, write_bytes, write_text
from ..errors import PrivacyError
from .detectors import Detector, Finding

log = logging.getLogger(__name__)

FINDING_COLUMNS = ("source", "start", "end", "text", "type", "detector")
REVIEW_COLUMNS = ("finding", "source", "start", "end", "text", "type", "detector", "context",
                  "replacement", "decision", "reviewer", "note")
#: Decisions a reviewer may write in the review sheet.
DECISIONS = ("replace", "keep")
#: Finding type -> the word in its pseudonym (``[Name 1]``).
PSEUDONYM_WORDS = {"NAME": "Name", "PLACE": "Place", "ADDRESS": "Address", "POSTCODE": "Postcode", "PHONE": "Phone",
                   "EMAIL": "Email", "NINO": "NI number", "NHS": "NHS number", "DOB": "Date of birth", "DATE": "Date",
                   "SERVICE": "Service", "HANDLE": "Handle", "VEHICLE": "Vehicle", "CODE": "Reference", "ORG": "Organisation"}


@dataclass(frozen=True)
class ScanResult:
    """Findings and the texts they point into (source -> full text)."""

    findings: tuple[Finding, ...]
    texts: dict[str, str]


def read_texts(path: str | Path) -> tuple[list[tuple[str, str, int]], dict[str, str]]:
    """``(source, text, offset)`` items to scan and each source's full text.

    A folder is read as transcripts (every turn, participant and interviewer); a ``.csv`` needs a
    ``text`` column (and an ``id`` column, else the row number); a ``.jsonl`` reads ``id`` and ``text``.

    Raises:
        PrivacyError: The input is missing, of an unknown kind, or a row lacks its text.
        TranscriptError: A transcript cannot be read.
    """
    path = Path(path)
    if path.is_dir():
        from ..ingest import read_folder

        transcripts = read_folder(path)
        items = [(t.id, t.text[turn.start:turn.end], turn.start) for t in transcripts for turn in t.turns]
        return items, {t.id: t.text for t in transcripts}
    if not path.exists():
        raise PrivacyError("input not found", path=path, hint="pass a transcripts folder, a .csv or a .jsonl file")
    rows: list[tuple[str, str]] = []
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                rows.append((str(record.get("id", number)), str(record["text"])))
            except (json.JSONDecodeError, KeyError, AttributeError) as exc:
                raise PrivacyError(f"line is not a JSON object with a 'text' field ({exc})", path=path, line=number) from exc
    elif path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if "text" not in (reader.fieldnames or []):
                raise PrivacyError(f"CSV has no 'text' column (columns: {reader.fieldnames})", path=path, line=1,
                                   hint="name the column holding the texts 'text' (and ids 'id')")
            for number, row in enumerate(reader, start=2):
                rows.append((row.get("id") or str(number), row["text"] or ""))
    else:
        raise PrivacyError(f"cannot scan {path.suffix or 'a file without a suffix'!r}", path=path,
                           hint="pass a transcripts folder, a .csv (id,text) or a .jsonl ({id, text}) file")
    seen = Counter(source for source, _ in rows)
    duplicated = [s for s, n in seen.items() if n > 1]
    if duplicated:
        raise PrivacyError(f"ids are not unique: {', '.join(duplicated[:5])}", path=path, hint="give every row its own id")
    return [(source, text, 0) for source, text in rows], dict(rows)


def scan(path: str | Path, *, detector: Detector | None = None) -> ScanResult:
    """Scan a folder or text file.

    Raises:
        PrivacyError: Unreadable input, or a detector failed.
    """
    items, texts = read_texts(path)
    detector = (detector or Detector()).fit()
    findings = [f for group in detector.find_many(items) for f in group]
    log.info("%d findings in %d texts", len(findings), len(texts))
    return ScanResult(tuple(findings), texts)


def pseudonyms(findings: Sequence[Finding]) -> list[str]:
    """A suggested replacement per finding, the same for the same words across the corpus (``[Name 1]``)."""
    numbers: dict[tuple[str, str], str] = {}
    counters: Counter[str] = Counter()
    out = []
    for f in findings:
        word = PSEUDONYM_WORDS.get(f.type, f.type.title())
        key = (word, " ".join(f.text.lower().split()).removeprefix("the "))
        if key not in numbers:
            counters[word] += 1
            numbers[key] = f"[{word} {counters[word]}]"
        out.append(numbers[key])
    return out


def summary_rows(findings: Sequence[Finding]) -> list[tuple[str, str, int]]:
    """``(source, type, count)`` sorted by source then type."""
    counts = Counter((f.source, f.type) for f in findings)
    return [(s, t, n) for (s, t), n in sorted(counts.items())]


def write_outputs(result: ScanResult, out: str | Path) -> dict[str, Path]:
    """Write FINDINGS.csv at ``out`` and beside it ``<stem>-review.csv``, ``<stem>-review.xlsx``,
    ``<stem>.html`` and ``<stem>-summary.csv``; returns their paths by kind."""
    out = Path(out)
    stem = out.with_suffix("")
    paths = {"findings": out, "review_csv": Path(f"{stem}-review.csv"), "review_xlsx": Path(f"{stem}-review.xlsx"),
             "html": Path(f"{stem}.html"), "summary": Path(f"{stem}-summary.csv")}
    findings = list(result.findings)
    _write_csv(paths["findings"], FINDING_COLUMNS, [[getattr(f, c) for c in FINDING_COLUMNS] for f in findings])
    review = [[i + 1, f.source, f.start, f.end, f.text, f.type, f.detector, _context(result.texts[f.source], f), r, "", "", ""]
              for i, (f, r) in enumerate(zip(findings, pseudonyms(findings)))]
    _write_csv(paths["review_csv"], REVIEW_COLUMNS, review)
    _write_xlsx(paths["review_xlsx"], review)
    _write_csv(paths["summary"], ("source", "type", "findings"), summary_rows(findings))
    write_text(paths["html"], _html(result))
    return paths


def _context(text: str, f: Finding, width: int = 60) -> str:
    return " ".join(f"{text[max(0, f.start - width):f.start]}[[{text[f.start:f.end]}]]{text[f.end:f.end + width]}".split())


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with atomic_open(path, "w") as fh:
        writer = csv.writer(fh)
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
        sheet.append(list(row))
    column = "ABCDEFGHIJKL"[REVIEW_COLUMNS.index("decision")]
    check = DataValidation(type="list", formula1=f'"{",".join(DECISIONS)}"', allow_blank=True)
    sheet.add_data_validation(check)
    check.add(f"{column}2:{column}{max(2, len(rows) + 1)}")
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    write_bytes(path, buffer.getvalue())


def _html(result: ScanResult) -> str:
    by_source: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_source.setdefault(f.source, []).append(f)
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Privacy findings</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto}mark{background:#fd6}"
             "mark small{color:#a00;margin-left:.2em}p.turn{white-space:pre-wrap;border-left:3px solid #ddd;"
             "padding-left:.6em}</style></head><body>",
             f"<h1>Privacy findings</h1><p>{len(result.findings)} findings in {len(by_source)} of "
             f"{len(result.texts)} texts. Decide each in the review sheet (replace or keep).</p>"]
    for source, findings in by_source.items():
        text = result.texts[source]
        parts.append(f"<h2>{html.escape(source)} ({len(findings)})</h2>")
        for f in findings:
            lo, hi = max(0, f.start - 120), min(len(text), f.end + 120)
            parts.append(
                f"<p class='turn' id='{html.escape(source)}-{f.start}'>…{html.escape(text[lo:f.start])}"
                f"<mark>{html.escape(f.text)}<small>{f.type} · {html.escape(f.detector)} · {f.start}-{f.end}</small></mark>"
                f"{html.escape(text[f.end:hi])}…</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
