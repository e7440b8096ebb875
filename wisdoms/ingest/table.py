"""Spreadsheets of open-ended answers (``.csv``, ``.xlsx``): one row a respondent.

The text columns hold the respondent's own words; the id column (``participant``, ``id``,
``respondent`` ...) names the respondent; every other column becomes an attribute (area, age band ...).
Text columns are the ones named under ``text_columns:`` for the file in ``speakers.yaml``, else the
columns whose answers average at least :data:`MIN_TEXT_WORDS` words.

The transcript text is rebuilt with one answer a paragraph, ``<id> (<column>): <answer>``; offsets
refer to that text. Errors cite the spreadsheet row (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .._files import sha256_file
from .._tables import unguard_cell
from ..errors import TranscriptError
from ..limits import check_archive, limit
from ..models import Transcript, Turn, row_id
from .speakers import FileOptions, Speaker
from .text import PAGE_BREAKS, decode, page_break_note

#: Header names (lower-cased) taken as the respondent id column.
ID_COLUMNS = ("participant", "participant id", "participant_id", "id", "respondent", "respondent id",
              "respondent_id", "response id", "response_id", "responseid", "respondentid", "pid")
#: What SurveyMonkey writes in its second header row, under each question.
_SUB_HEADERS = {"response", "responses", "open-ended response", "other (please specify)"}
#: A column is free text when its non-empty answers average at least this many words.
MIN_TEXT_WORDS = 5.0


def read_table_transcript(
    path: Path,
    transcript_id: str,
    *,
    options: FileOptions | None = None,
    notes: list[str] | None = None,
    speakers: list[Speaker] | None = None,  # noqa: ARG001  (every reader takes it; a row is a respondent)
) -> Transcript:
    """Read a spreadsheet of open-ended answers.

    ``speakers`` is accepted as every reader's is, and left empty: a row is a respondent, not a labelled turn.

    Raises:
        TranscriptError: Empty, binary or unreadable file; no header; a chosen column that does not
            exist; no free-text column; a missing or duplicate respondent id; no answers at all.
    """
    options = options or FileOptions()
    header, rows = _read_rows(path, notes)
    if not header or not any(h.strip() for h in header):
        raise TranscriptError("the spreadsheet has no header row", path=path, line=1,
                              hint="put the column names (id, questions, attributes) in row 1")
    names = [h.strip() for h in header]
    lowered = [h.lower() for h in names]
    id_col = _id_column(lowered, options, path, names)
    rows = _without_header_rows(names, id_col, rows, notes)
    text_cols = _text_columns(names, lowered, rows, id_col, options, path)
    attr_cols = [i for i in range(len(names)) if i != id_col and i not in text_cols and names[i]]

    parts: list[str] = []
    length = newlines = 0
    turns: list[Turn] = []
    participants: dict[str, dict[str, str]] = {}
    seen: dict[str, int] = {}
    for row_no, row in rows:
        if any(c.strip() for c in row[len(names):]):
            raise TranscriptError(
                f"row {row_no} has {len(row)} cells but the header names {len(names)} columns; "
                f"the cells past the last column would be lost: {', '.join(repr(c[:40]) for c in row[len(names):] if c.strip())}",
                path=path,
                line=row_no,
                hint="give the extra column a name in row 1, or mend the row (an answer with a stray quotation mark "
                     "or an unquoted separator splits into the next columns)",
            )
        cells = [*row, *[""] * (len(names) - len(row))]
        answers = [(names[i], cells[i].strip()) for i in text_cols if cells[i].strip()]
        if id_col is None:
            pid = row_id(transcript_id, row_no)
        else:
            pid = cells[id_col].strip()
            if not pid:
                if not answers:
                    continue
                raise TranscriptError(
                    f"row {row_no}: no respondent id in column {names[id_col]!r}",
                    path=path,
                    line=row_no,
                    hint="give every respondent an id (a pseudonym such as R017), or delete the row",
                )
            if pid in seen:
                raise TranscriptError(
                    f"row {row_no}: duplicate participant id {pid!r} (also in row {seen[pid]})",
                    path=path,
                    line=row_no,
                    hint="give each respondent their own id; one row per respondent",
                )
            seen[pid] = row_no
        if not answers:
            if notes is not None:
                notes.append(f"row {row_no}: no answer in the text columns; respondent {pid} skipped")
            continue
        participants[pid] = {names[i]: cells[i].strip() for i in attr_cols if cells[i].strip()}
        for column, answer in answers:
            # The text is built as a list of parts, lines and length counted as it grows: both are
            # linear for 50,000 answers, where counting lines from the start for each was quadratic.
            if parts:
                parts.append("\n\n")
                length += 2
                newlines += 2
            prefix = f"{pid} ({column}): "
            start = length + len(prefix)
            line = newlines + prefix.count("\n") + 1
            parts += [prefix, answer]
            length = start + len(answer)
            newlines += prefix.count("\n") + answer.count("\n")
            turns.append(Turn(speaker=pid, role="participant", participant=pid, start=start, end=length, line=line))
    if not turns:
        raise TranscriptError(
            "no participant speech: every answer in the text columns is empty",
            path=path,
            hint="check the export holds the answers, or name the answer columns under 'text_columns:'",
        )
    return Transcript(
        id=transcript_id,
        path=str(path.resolve()),
        text="".join(parts) + "\n",
        format="xlsx" if path.suffix.lower() == ".xlsx" else "csv",
        participants=participants,
        turns=tuple(turns),
        sha256=sha256_file(path),
    )


def _read_rows(path: Path, notes: list[str] | None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the ``(row number, cells)`` of every other row."""
    if path.suffix.lower() == ".xlsx":
        table = _xlsx_rows(path, notes)
    else:
        # Form feeds and vertical tabs are mapped cell by cell once parsed (below): in the raw text a line
        # break in an unquoted cell would split its row.
        text, encoding = decode(path.read_bytes(), path, keep_breaks=True)
        if encoding == "cp1252" and notes is not None:
            notes.append("not UTF-8: read as Windows-1252")
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        # Only the delimiter is sniffed. The quoting rules stay Excel's ("" inside a quoted answer is one
        # "): a sniffed dialect turns doublequote off when the first 4 KB happen to have no "", and then
        # an answer further down such as "the ""homework"" required" splits into the next columns.
        try:
            # A cell the tool (or another OWASP-minded exporter) guarded as '=... is read as =... again.
            most = limit("WISDOMS_MAX_ROWS")
            table = []
            for row in csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter):
                table.append([str(unguard_cell(c)) for c in row])
                if len(table) > most + 1:
                    _too_many_rows(path, most)
        except csv.Error as exc:
            raise TranscriptError(f"not a readable CSV file: {exc}", path=path,
                                  hint="save it again from the spreadsheet as CSV (UTF-8)") from exc
    table = _page_breaks_as_lines(table, notes)
    numbered = [(n, row) for n, row in enumerate(table, 1) if any(c.strip() for c in row)]
    if not numbered:
        raise TranscriptError("the file is empty", path=path, hint="remove it, or add the answers")
    # A title above the header ("Listening survey 2024: responses" in A1, as forms tools and people write):
    # a row of one filled cell followed by a row of several is a title, not the header.
    while len(numbered) > 1 and _filled(numbered[0][1]) == 1 and _filled(numbered[1][1]) > 1:
        row_no, row = numbered.pop(0)
        if notes is not None:
            title = next(c for c in row if c.strip()).strip()
            notes.append(f"row {row_no}: {title[:50]!r} read as a title above the header, not as a column name")
    return numbered[0][1], numbered[1:]


def _without_header_rows(names: list[str], id_col: int | None, rows: list[tuple[int, list[str]]],
                         notes: list[str] | None) -> list[tuple[int, list[str]]]:
    """The rows without the extra header rows survey tools write under the column names: Qualtrics's question
    texts (its ResponseId column reads "Response ID") and ``{"ImportId": ...}`` row, SurveyMonkey's
    "Response"/"Open-Ended Response" row. Each skipped row is noted."""

    def plain(text: str) -> str:
        return re.sub(r"[\W_]+", "", text.casefold())

    def why(row: list[str]) -> str | None:
        filled = [c.strip() for c in row if c.strip()]
        if any(c.startswith('{"ImportId"') for c in filled):
            return "the survey tool's import ids"
        if id_col is not None and id_col < len(row) and row[id_col].strip() and plain(row[id_col]) == plain(names[id_col]):
            return "the survey tool's question texts"
        if filled and (id_col is None or id_col >= len(row) or not row[id_col].strip()) \
                and all(c.casefold() in _SUB_HEADERS for c in filled):
            return "the survey tool's second header row"
        return None

    skipped = 0
    while skipped < min(2, len(rows)):
        reason = why(rows[skipped][1])
        if reason is None:
            break
        if notes is not None:
            notes.append(f"row {rows[skipped][0]}: {reason}, not answers: skipped")
        skipped += 1
    return rows[skipped:]


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c.strip())


def _too_many_rows(path: Path, most: int) -> None:
    raise TranscriptError(f"the table has more than {most:,} rows of answers", path=path, line=most + 2,
                          hint="split it into several files, or if the machine has the memory, set "
                          "WISDOMS_MAX_ROWS to a larger number and run again")


#: How Excel stores a vertical tab or form feed in a cell (XML cannot hold them); openpyxl leaves it as written.
_EXCEL_BREAKS = re.compile(r"_x000[BbCc]_")


def _page_breaks_as_lines(table: list[list[str]], notes: list[str] | None) -> list[list[str]]:
    """Each form feed and vertical tab in a cell (or Excel's ``_x000B_``/``_x000C_`` for them) read as a line
    break, with one note naming the rows."""
    rows: list[int] = []
    found: list[str] = []
    out = []
    for number, row in enumerate(table, 1):
        if not any("\x0b" in c or "\x0c" in c or "_x000" in c for c in row):
            out.append(row)
            continue
        cells = [_EXCEL_BREAKS.sub(lambda m: chr(int(m.group()[2:6], 16)), c) for c in row]
        hits = [m.group() for c in cells for m in PAGE_BREAKS.finditer(c)]
        if hits:
            rows.append(number)
            found += hits
        out.append([PAGE_BREAKS.sub("\n", c) for c in cells])
    if found and notes is not None:
        notes.append(page_break_note("row", rows, found))
    return out


def _xlsx_rows(path: Path, notes: list[str] | None) -> list[list[str]]:
    from openpyxl import load_workbook

    if not path.read_bytes().strip():
        raise TranscriptError("the file is empty", path=path, hint="remove it, or add the answers")
    check_archive(path, TranscriptError)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except OSError:
        raise  # vanished or unreadable: read_transcript says so
    except Exception as exc:
        raise TranscriptError(
            f"not an Excel workbook: cannot open it as .xlsx ({exc.__class__.__name__})",
            path=path,
            hint="open it in Excel and save it again as .xlsx, or export it as CSV",
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        if len(workbook.worksheets) > 1 and notes is not None:
            notes.append(f"read the first sheet {sheet.title!r} only, of {len(workbook.worksheets)}")
        most = limit("WISDOMS_MAX_ROWS")
        rows = []
        for row in sheet.iter_rows(values_only=True):  # streamed: a huge sheet stops at the limit
            rows.append(["" if v is None else str(unguard_cell(v)) for v in row])
            if len(rows) > most + 1:
                _too_many_rows(path, most)
        return rows
    finally:
        workbook.close()


def _id_column(lowered: list[str], options: FileOptions, path: Path, names: list[str]) -> int | None:
    if options.id_column:
        if options.id_column.strip().lower() not in lowered:
            raise TranscriptError(
                f"id column {options.id_column!r} (from {options.source or 'speakers.yaml'}) is not in the header",
                path=path,
                line=1,
                hint=f"use one of the columns: {', '.join(repr(n) for n in names if n)}",
            )
        return lowered.index(options.id_column.strip().lower())
    return next((lowered.index(c) for c in ID_COLUMNS if c in lowered), None)


def _text_columns(
    names: list[str], lowered: list[str], rows: list[tuple[int, list[str]]], id_col: int | None,
    options: FileOptions, path: Path,
) -> list[int]:
    if options.text_columns:
        chosen = []
        for column in options.text_columns:
            if column.strip().lower() not in lowered:
                raise TranscriptError(
                    f"text column {column!r} (from {options.source or 'speakers.yaml'}) is not in the header",
                    path=path,
                    line=1,
                    hint=f"use one of the columns: {', '.join(repr(n) for n in names if n)}",
                )
            chosen.append(lowered.index(column.strip().lower()))
        return chosen
    chosen = []
    for i in range(len(names)):
        values = [row[i].strip() for _n, row in rows if i < len(row) and row[i].strip()]
        if i != id_col and values and sum(len(v.split()) for v in values) / len(values) >= MIN_TEXT_WORDS:
            chosen.append(i)
    if not chosen:
        raise TranscriptError(
            "no column of free-text answers found (no column averages "
            f"{MIN_TEXT_WORDS:g} or more words an answer)",
            path=path,
            line=1,
            hint="name the answer columns in speakers.yaml beside the file, e.g. "
            f"'files: {{{path.name}: {{text_columns: [What helped?]}}}}'",
        )
    return chosen
