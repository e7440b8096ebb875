"""``wisdoms privacy apply``: turn a decided review sheet into a pseudonymised working copy, a redaction
log and sign-offs for what the reviewer kept.

The input is what ``wisdoms privacy scan`` read: a transcripts folder, or a CSV/JSONL file of texts, and
the working copy has the same form (a folder, or a file of the same kind with only the text field
changed). Original files are never changed; the log (which holds the originals) is written apart from
the working copy, so it never travels with the outputs. Each "keep" becomes a kept-finding sign-off
(:meth:`~wisdoms.privacy.gate.SignOffs.add_kept_finding`): the finding with a few words either side,
hashed, so the gate lets exactly that text through until it is edited or the detectors change.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .._files import atomic_open, clear_read_errors, write_text
from .._tables import GuardedDictReader, GuardedDictWriter, GuardedWriter, read_xlsx_rows
from ..errors import PrivacyError
from ..ingest.text import decode, split_front_matter
from .gate import SignOffs
from .scan import PARTICIPANTS_FILE, TextTable, read_table
from .terms import DECISIONS, identity_key

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


@clear_read_errors(PrivacyError)
def read_review(path: str | Path, *, undecided: str | None = None) -> list[Decision]:
    """Read a review sheet (CSV or XLSX) as written by ``wisdoms privacy scan`` and decided by a person: the
    terms sheet (one decision per distinct term, :mod:`.terms`) or the sheet of every finding.

    ``undecided`` (``keep`` or ``replace``) decides, in bulk, every term of a terms sheet left blank.

    Raises:
        PrivacyError: A row has no decision, an unknown decision, a bad offset or no replacement.
    """
    from .terms import expand, is_terms_sheet

    path = Path(path)
    rows = _rows(path)
    if is_terms_sheet(rows):
        expanded = [Decision(d.row, d.finding.source, d.finding.start, d.finding.end, d.finding.text, d.finding.type,
                              d.replacement, d.decision, d.reviewer) for d in expand(path, rows, undecided=undecided)]
        for d in expanded:
            if d.decision == "replace" and not d.replacement:
                raise PrivacyError("decision is 'replace' but the replacement is empty", path=path, line=d.row,
                                   hint="write a pseudonym such as [Name 1]")
        return sorted(expanded, key=lambda d: (d.source, d.start, d.end))
    decisions: list[Decision] = []
    blank: list[int] = []
    for number, row in rows:
        decision = str(row.get("decision") or "").strip().lower()
        if not decision:
            blank.append(number)
            continue
        if decision not in DECISIONS:
            raise PrivacyError(f"unknown decision {decision!r}", path=path, line=number,
                               hint=f"write one of: {', '.join(DECISIONS)}")
        try:
            start, end = int(str(row["start"])), int(str(row["end"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise PrivacyError(f"start/end are not offsets ({exc})", path=path, line=number) from exc
        replacement = str(row.get("replacement") or "").strip()
        if decision == "replace" and not replacement:
            raise PrivacyError("decision is 'replace' but the replacement is empty", path=path, line=number,
                               hint="write a pseudonym such as [Name 1]")
        decisions.append(Decision(number, str(row["source"]), start, end, str(row["text"]), str(row.get("type") or ""),
                                  replacement, decision, str(row.get("reviewer") or "").strip()))
    if blank:
        shown = ", ".join(map(str, blank[:20])) + (" ..." if len(blank) > 20 else "")
        raise PrivacyError(f"{len(blank)} finding(s) have no decision (rows {shown})", path=path,
                           line=blank[0], hint=f"decide every row: {' or '.join(DECISIONS)}")
    return decisions


def _rows(path: Path) -> list[tuple[int, dict[str, object]]]:
    if not path.exists():
        raise PrivacyError("review sheet not found", path=path, hint="run 'wisdoms privacy scan' first")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        values = read_xlsx_rows(sheet)
        header = [str(h) for h in values[0]] if values else []
        return [(i, dict(zip(header, v))) for i, v in enumerate(values[1:], start=2)]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(enumerate(GuardedDictReader(fh), start=2))


def apply_review(review: str | Path, source: str | Path, out: str | Path, *, log_path: str | Path,
                 reviewer: str | None = None, text_column: str = "text", id_column: str = "id",
                 signoffs: SignOffs | None = None, detector_version: str = "", names_version: str = "",
                 undecided: str | None = None) -> dict[str, int]:
    """Write a pseudonymised copy of ``source`` to ``out`` and the redaction log to ``log_path``.

    A folder is copied whole, the files with ``replace`` decisions changed; a CSV/JSONL file is written
    again in its own format (same rows, fields and order) with the replaced spans in its text field.
    When ``signoffs`` is given, every ``keep`` is added to it as a kept finding and it is saved.
    Returns counts (``files``, ``replaced``, ``kept``, ``signed_off``).

    Raises:
        PrivacyError: The sheet is undecided or stale (the text at an offset differs), replaced spans
            overlap, ``out`` is the input or of another format, the log would sit with the outputs, or
            no reviewer is named.
    """
    src, dst, log_file = Path(source).resolve(), Path(out).resolve(), Path(log_path).resolve()
    if not src.exists():
        raise PrivacyError("input not found", path=source, hint="pass the folder or file you scanned")
    if src.is_dir():
        if dst == src or src in dst.parents or dst in src.parents:
            raise PrivacyError("the working copy must be a folder apart from the originals", path=out,
                               hint="pass a new folder to --out, e.g. transcripts-pseudonymised")
        if dst in log_file.parents:
            raise PrivacyError("the redaction log holds the original identifiers and must be kept apart from outputs",
                               path=log_path, hint="write --log outside the working copy")
    else:
        if dst == src:
            raise PrivacyError("the working copy would overwrite the original", path=out,
                               hint="pass a new file to --out; originals are never changed")
        if dst.suffix.lower() != src.suffix.lower():
            raise PrivacyError(f"the working copy must keep the input's format ({src.suffix}), not {dst.suffix or 'none'!r}",
                               path=out, hint=f"name --out with the suffix {src.suffix}")
    if log_file in (dst, src):
        raise PrivacyError("the redaction log holds the original identifiers and must be kept apart from outputs",
                           path=log_path, hint="write --log to its own file, outside the working copy")
    decisions = read_review(review, undecided=undecided)
    table = None if src.is_dir() else read_table(src, text_column=text_column, id_column=id_column)
    texts = _texts_for(decisions, src, table, review)
    for d in decisions:
        if texts[d.source][d.start:d.end] != d.text:
            raise PrivacyError(f"{d.source}:{d.start}-{d.end} no longer reads {d.text!r}", path=review, line=d.row,
                               hint="the input changed since the scan: scan again and review the new sheet")
        if not (d.reviewer or reviewer):
            raise PrivacyError("no reviewer named for this decision", path=review, line=d.row,
                               hint="fill the reviewer column or pass --reviewer NAME")
    _warn_inconsistent(decisions, review)
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    replaced = sorted((d for d in decisions if d.decision == "replace"), key=lambda d: (d.source, -d.start))
    new_texts = dict(texts)
    log_rows = []
    last_start: dict[str, int] = {}
    for d in replaced:
        if d.end > last_start.get(d.source, len(new_texts[d.source]) + 1):
            raise PrivacyError(f"{d.source}:{d.start}-{d.end} overlaps another replaced span", path=review, line=d.row,
                               hint="decide 'replace' on one of the overlapping rows and 'keep' on the other")
        last_start[d.source] = d.start
        text = new_texts[d.source]
        replacement = d.replacement if table is not None else _front_matter_safe(text, d.start, d.replacement, src / d.source)
        new_texts[d.source] = text[:d.start] + replacement + text[d.end:]
        log_rows.append((d.source, d.start, d.end, d.text, d.replacement, d.type, d.reviewer or reviewer, when))
    signed = 0
    if signoffs is not None:
        # Before anything is written, so a bad 'keep' row leaves no half-applied working copy.
        signoffs, signed = add_kept(signoffs, decisions, texts, review=review, reviewer=reviewer, signed_at=when,
                                    detector_version=detector_version, names_version=names_version,
                                    in_working_copy=True)
    files = _write_folder(src, dst, new_texts) if table is None else _write_table(table, dst, new_texts)
    with atomic_open(log_file, "w") as fh:
        writer = GuardedWriter(fh)
        writer.writerow(LOG_COLUMNS)
        writer.writerows(sorted(log_rows))
    if signed and signoffs is not None:
        signoffs.save()
    log.info("pseudonymised %d spans in %d texts into %s", len(log_rows), len(texts), dst)
    return {"files": files, "replaced": len(log_rows), "kept": len(decisions) - len(log_rows), "signed_off": signed}


def add_kept(signoffs: SignOffs, decisions: Sequence[Decision], texts: dict[str, str], *, review: str | Path,
             detector_version: str, names_version: str, reviewer: str | None = None,
             signed_at: str | None = None, in_working_copy: bool = False) -> tuple[SignOffs, int]:
    """Add a kept-finding sign-off for every ``keep`` decision; returns the new sign-offs and how many were added.

    The signed context stops at the sentence's end and before any span decided ``replace``, so it reads
    the same in the original and in the pseudonymised working copy. Each sign-off is bound to its file and
    to the kept words' offsets: in the working copy ``privacy apply`` writes when ``in_working_copy`` (shifted
    by the replacements before it), else in the input as it is.

    Raises:
        PrivacyError: A kept row's text no longer matches its source, or it names no reviewer.
    """
    replaced: dict[str, list[tuple[int, int]]] = defaultdict(list)
    growth: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for d in decisions:
        if d.decision == "replace":
            replaced[d.source].append((d.start, d.end))
            growth[d.source].append((d.end, len(d.replacement) - (d.end - d.start)))
    added = 0
    seen = {(e.quote_sha256, e.finding_start, e.finding_end, e.detector_version, e.names_version, e.source, e.start)
            for e in signoffs.entries}
    for d in decisions:
        if d.decision != "keep":
            continue
        text = texts.get(d.source)
        if text is None or text[d.start:d.end] != d.text:
            raise PrivacyError(f"{d.source}:{d.start}-{d.end} does not read {d.text!r} in the input", path=review,
                               line=d.row, hint="pass the input the sheet was made from; scan again if it changed")
        by = d.reviewer or reviewer or ""
        if not by:
            raise PrivacyError("no reviewer named for this 'keep'", path=review, line=d.row,
                               hint="fill the reviewer column or pass --by NAME")
        lo, hi = kept_context(text, d.start, d.end, avoid=replaced[d.source])
        shift = sum(g for end, g in growth[d.source] if end <= d.start) if in_working_copy else 0
        candidate = signoffs.add_kept_finding(text[lo:hi], d.start - lo, d.end - lo, by=by, signed_at=signed_at,
                                              detector_version=detector_version, names_version=names_version,
                                              note=f"kept in {Path(review).name} row {d.row} ({d.type})",
                                              source=d.source, at=lo + shift)
        entry = candidate.entries[-1]
        key = (entry.quote_sha256, entry.finding_start, entry.finding_end, entry.detector_version, entry.names_version,
               entry.source, entry.start)
        if key not in seen:
            seen.add(key)
            signoffs = candidate
            added += 1
    return signoffs, added


_SENTENCE_END = re.compile(r"[.!?;:\n]")


def kept_context(text: str, start: int, end: int, *, avoid: Sequence[tuple[int, int]] = (),
                 words: int = 4) -> tuple[int, int]:
    """``(lo, hi)`` of a kept finding's context: up to ``words`` words either side within its sentence,
    never reaching into a span in ``avoid`` (the spans being replaced)."""
    lo, hi = max(0, start - 200), min(len(text), end + 200)
    for s, e in avoid:
        if e <= start:
            lo = max(lo, e)
        elif s >= end:
            hi = min(hi, s)
    left = text[lo:start]
    cut = max((m.end() for m in _SENTENCE_END.finditer(left)), default=0)
    tokens = list(re.finditer(r"\S+", left[cut:]))
    if tokens:
        lo += cut + tokens[-min(words, len(tokens))].start()
    else:
        lo = start
    right = text[end:hi]
    stop = _SENTENCE_END.search(right)
    tokens = list(re.finditer(r"\S+", right[:stop.start()] if stop else right))
    hi = end + tokens[min(words, len(tokens)) - 1].end() if tokens else end
    return lo, hi


#: Folder inputs whose transcript text is the file's own text, so a review's offsets can be applied to it.
_EDITABLE_SUFFIXES = (".txt", ".md")


def _texts_for(decisions: Sequence[Decision], src: Path, table: TextTable | None, review: str | Path) -> dict[str, str]:
    """Every source's full text: all rows of a table; in a folder, the files the sheet names."""
    if table is not None:
        texts = table.texts()
        for d in decisions:
            if d.source not in texts:
                raise PrivacyError(f"review row names id {d.source!r}, which is not in {src.name}", path=review,
                                   line=d.row, hint="pass the same --id-column and --text-column as the scan")
        return texts
    texts = {}
    for d in decisions:
        if d.source not in texts:
            file = src / d.source
            if not file.is_file():
                raise PrivacyError(f"review row names {d.source!r}, which is not in {src}", path=review, line=d.row)
            if file.suffix.lower() not in _EDITABLE_SUFFIXES and file.name != PARTICIPANTS_FILE:
                raise PrivacyError(
                    f"{d.source}: a {file.suffix} file cannot be pseudonymised in place (the scan's offsets are "
                    "into the text wisdoms reads from it, not into the file)", path=review, line=d.row,
                    hint="save the transcript as plain text (.txt, one 'Speaker: words' turn a paragraph), "
                    "scan again and review the new sheet")
            # The reader's own decoding (BOM, Windows-1252, CRLF kept), so offsets match the scan's.
            texts[d.source] = decode(file.read_bytes(), file)[0]
    return texts


def _warn_inconsistent(decisions: Sequence[Decision], review: str | Path) -> None:
    """Log a warning when the same words get different pseudonyms, or one pseudonym stands for different words."""
    by_words: dict[str, set[str]] = defaultdict(set)
    by_pseudonym: dict[str, set[str]] = defaultdict(set)
    for d in decisions:
        if d.decision == "replace":
            words = identity_key(d.type, d.text)
            by_words[words].add(d.replacement)
            by_pseudonym[d.replacement].add(words)
    for pseudonyms in (p for _w, p in sorted(by_words.items())):
        if len(pseudonyms) > 1:
            log.warning("%s: the same words are replaced by %s; right only if they are different people or places",
                        review, " and ".join(sorted(pseudonyms)))
    for pseudonym, spellings in sorted(by_pseudonym.items()):
        if len(spellings) > 1:
            log.warning("%s: %s stands for %d different spellings; right only if they are one person or place",
                        review, pseudonym, len(spellings))


_YAML_KEY = re.compile(r"[ \t]*[\w -]+:[ \t]*")


def _front_matter_safe(text: str, start: int, replacement: str, file: Path) -> str:
    """``replacement`` as it must be written at ``start``: quoted when it opens a value of the file's YAML
    front matter and would otherwise read as YAML (``area: [Place 1]`` is a list, not the pseudonym)."""
    if file.suffix.lower() not in _EDITABLE_SUFFIXES or replacement[:1] not in "[{&*!|>'\"%@`#":
        return replacement
    _meta, body = split_front_matter(text, file)
    line_start = text.rfind("\n", 0, start) + 1
    if start < body and _YAML_KEY.fullmatch(text[line_start:start]):
        return json.dumps(replacement, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    return replacement


def _write_folder(src: Path, dst: Path, new_texts: dict[str, str]) -> int:
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
    return files


def _write_table(table: TextTable, dst: Path, new_texts: dict[str, str]) -> int:
    """The same rows, fields and order, with the text field replaced where the review says so."""
    rows = []
    for record_id, record in zip(table.ids, table.records):
        record = dict(record)
        if record_id in new_texts:
            record[table.text_column] = new_texts[record_id]
        rows.append(record)
    with atomic_open(dst, "w") as fh:
        if table.kind == "csv":
            writer = GuardedDictWriter(fh, fieldnames=list(table.fieldnames))
            writer.writeheader()
            writer.writerows(rows)
        else:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return 1
