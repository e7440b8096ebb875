"""``wisdoms privacy apply``: turn a decided review sheet into a pseudonymised working copy and a
redaction log. Original files are never changed; the log (which holds the originals) is written
outside the working copy, so it never travels with the outputs."""

from __future__ import annotations

import csv
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .._files import atomic_open, write_text
from ..errors import PrivacyError
from .scan import DECISIONS

log = logging.getLogger(__name__)

LOG_COLUMNS = ("source", "start", "end", "original", "replacement", "type", "decided_by", "applied_at")


@dataclass(frozen=True)
class Decision:
    """One reviewed row of the review sheet."""

    row: int
    source: str
    start: int
    end: int
    text: str
    type: str
    replacement: str
    decision: str
    reviewer: str


def read_review(path: str | Path) -> list[Decision]:
    """Read a review sheet (CSV or XLSX) as written by ``wisdoms privacy scan`` and decided by a person.

    Raises:
        PrivacyError: A row has no decision, an unknown decision, a bad offset or no replacement.
    """
    path = Path(path)
    rows = _rows(path)
    decisions: list[Decision] = []
    undecided: list[int] = []
    for number, row in rows:
        decision = str(row.get("decision") or "").strip().lower()
        if not decision:
            undecided.append(number)
            continue
        if decision not in DECISIONS:
            raise PrivacyError(f"unknown decision {decision!r}", path=path, line=number,
                               hint=f"write one of: {', '.join(DECISIONS)}")
        try:
            start, end = int(row["start"]), int(row["end"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PrivacyError(f"start/end are not offsets ({exc})", path=path, line=number) from exc
        replacement = str(row.get("replacement") or "").strip()
        if decision == "replace" and not replacement:
            raise PrivacyError("decision is 'replace' but the replacement is empty", path=path, line=number,
                               hint="write a pseudonym such as [Name 1]")
        decisions.append(Decision(number, str(row["source"]), start, end, str(row["text"]), str(row.get("type") or ""),
                                  replacement, decision, str(row.get("reviewer") or "").strip()))
    if undecided:
        shown = ", ".join(map(str, undecided[:20])) + (" ..." if len(undecided) > 20 else "")
        raise PrivacyError(f"{len(undecided)} finding(s) have no decision (rows {shown})", path=path,
                           line=undecided[0], hint=f"decide every row: {' or '.join(DECISIONS)}")
    return decisions


def _rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    if not path.exists():
        raise PrivacyError("review sheet not found", path=path, hint="run 'wisdoms privacy scan' first")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        values = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in values[0]] if values else []
        return [(i, dict(zip(header, v))) for i, v in enumerate(values[1:], start=2)]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(enumerate(csv.DictReader(fh), start=2))


def apply_review(review: str | Path, transcripts: str | Path, out: str | Path, *, log_path: str | Path,
                 reviewer: str | None = None) -> dict[str, int]:
    """Write a pseudonymised copy of ``transcripts`` into ``out`` and the redaction log to ``log_path``.

    Every file of the folder is copied; the ones with ``replace`` decisions have those spans replaced.
    Returns counts (``files``, ``replaced``, ``kept``).

    Raises:
        PrivacyError: The sheet is undecided or stale (the text at an offset differs), ``out`` is the
            input folder or holds the log, or no reviewer is named.
    """
    src, dst, log_file = Path(transcripts).resolve(), Path(out).resolve(), Path(log_path).resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise PrivacyError("the working copy must be a folder apart from the originals", path=out,
                           hint="pass a new folder to --out, e.g. transcripts-pseudonymised")
    if dst in log_file.parents:
        raise PrivacyError("the redaction log holds the original identifiers and must be kept apart from outputs",
                           path=log_path, hint="write --log outside the working copy")
    decisions = read_review(review)
    texts: dict[str, str] = {}
    for d in decisions:
        if d.source not in texts:
            file = src / d.source
            if not file.is_file():
                raise PrivacyError(f"review row names {d.source!r}, which is not in {src}", path=review, line=d.row)
            texts[d.source] = file.read_text(encoding="utf-8")
        if texts[d.source][d.start:d.end] != d.text:
            raise PrivacyError(f"{d.source}:{d.start}-{d.end} no longer reads {d.text!r}", path=review, line=d.row,
                               hint="the transcript changed since the scan: scan again and review the new sheet")
        if d.decision == "replace" and not (d.reviewer or reviewer):
            raise PrivacyError("no reviewer named for this decision", path=review, line=d.row,
                               hint="fill the reviewer column or pass --reviewer NAME")
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    replaced = sorted((d for d in decisions if d.decision == "replace"), key=lambda d: (d.source, -d.start))
    new_texts = dict(texts)
    log_rows = []
    last_start: dict[str, int] = {}
    for d in replaced:
        if d.end > last_start.get(d.source, len(new_texts[d.source]) + 1):
            raise PrivacyError(f"{d.source}:{d.start}-{d.end} overlaps another replaced span", path=review, line=d.row)
        last_start[d.source] = d.start
        text = new_texts[d.source]
        new_texts[d.source] = text[:d.start] + d.replacement + text[d.end:]
        log_rows.append((d.source, d.start, d.end, d.text, d.replacement, d.type, d.reviewer or reviewer, when))
    files = 0
    for file in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = file.relative_to(src).as_posix()
        target = dst / rel
        if rel in new_texts:
            write_text(target, new_texts[rel])
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
        files += 1
    with atomic_open(log_file, "w") as fh:
        writer = csv.writer(fh)
        writer.writerow(LOG_COLUMNS)
        writer.writerows(sorted(log_rows))
    log.info("pseudonymised %d spans in %d files into %s", len(log_rows), len(texts), dst)
    return {"files": files, "replaced": len(log_rows), "kept": len(decisions) - len(log_rows)}
