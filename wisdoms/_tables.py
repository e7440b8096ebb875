"""Tables for spreadsheets: CSV and XLSX cells no spreadsheet runs as a formula, read back exactly.

Excel, LibreOffice and Google Sheets treat a cell beginning ``=``, ``+``, ``-``, ``@``, tab or carriage
return as a formula, so a participant (or a panel member renaming a theme) who writes
``=HYPERLINK("http://...")`` would have it run on a convener's machine. Following OWASP's guidance on CSV
injection, every table the tool writes goes through this module:

- CSV: a text cell beginning with one of those characters is written with a leading apostrophe
  (``'=HYPERLINK(...)``), which spreadsheets show as text. So that the guard can always be taken off
  exactly, a text that itself begins with an apostrophe followed by one of them (or by a second
  apostrophe) gets one too.
- XLSX: text cells are written as text (never as formulas) with Excel's "quote prefix" style, so what the
  reader sees is the text itself and an edit keeps it text. Only the apostrophe-before-guard case above is
  escaped, so both formats read back with the same :func:`unguard_cell`.

The tool's own importers read cells through :func:`unguard_cell` (:func:`read_csv_rows`,
:class:`GuardedDictReader`, :func:`read_xlsx_rows`), so what was written is exactly what is read.
Numbers and booleans are written as they are: they cannot hold a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ._files import write_bytes, write_text
from .errors import OutputError

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = frozenset("=+-@\t\r")
#: The guard: a leading apostrophe, which spreadsheets read as "this cell is text".
GUARD = "'"
# Characters XML 1.0 (and so XLSX) cannot hold at all.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _needs_guard(text: str, *, formulas: bool) -> bool:
    if formulas and text[:1] in FORMULA_STARTS:
        return True
    return text[:1] == GUARD and (text[1:2] in FORMULA_STARTS or text[1:2] == GUARD)


def guard_cell(value: Any, *, formulas: bool = True) -> Any:
    """``value`` as a spreadsheet will store it as text: a leading apostrophe where it would start a formula.

    ``None`` becomes an empty cell; numbers and booleans are kept. ``formulas=False`` (XLSX, where cells are
    typed as text instead) only escapes a text that already begins with the guard.
    """
    if value is None:
        return ""
    if isinstance(value, str) and _needs_guard(value, formulas=formulas):
        return GUARD + value
    return value


def unguard_cell(value: Any) -> Any:
    """The inverse of :func:`guard_cell` for a cell read back: one leading guard apostrophe removed."""
    if isinstance(value, str) and value[:1] == GUARD and (value[1:2] in FORMULA_STARTS or value[1:2] == GUARD):
        return value[1:]
    return value


class GuardedWriter:
    """``csv.writer`` whose every cell goes through :func:`guard_cell`.

    A row with a carriage return in a cell is written fully quoted: with ``lineterminator="\\n"`` the csv
    module leaves such a cell unquoted, and a reader then ends the row at the ``\\r``.
    """

    def __init__(self, fh: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(fh, **kwargs)
        self._quoted = csv.writer(fh, **{**kwargs, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Iterable[Any]) -> Any:
        cells = [guard_cell(v) for v in row]
        if any(isinstance(c, str) and "\r" in c for c in cells):
            return self._quoted.writerow(cells)
        return self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class GuardedDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose every cell (and header name) goes through :func:`guard_cell`."""

    def __init__(self, fh: Any, fieldnames: Sequence[str], **kwargs: Any) -> None:
        super().__init__(fh, fieldnames, **kwargs)
        # DictWriter writes every row through self.writer: a GuardedWriter stands in for csv.writer
        self.writer = GuardedWriter(fh, **{k: v for k, v in kwargs.items()  # type: ignore[assignment]
                                           if k not in ("restval", "extrasaction")})


def csv_text(header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *, bom: bool = False,
             lineterminator: str = "\n") -> str:
    """A CSV table with every cell guarded; ``header`` first (if given), a UTF-8 byte-order mark if ``bom``."""
    buffer = io.StringIO()
    writer = GuardedWriter(buffer, lineterminator=lineterminator)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "") + buffer.getvalue()


def write_csv(path: str | Path, header: Sequence[Any] | None, rows: Iterable[Sequence[Any]], *,
              bom: bool = False, lineterminator: str = "\n") -> Path:
    """Write :func:`csv_text` atomically and return the path."""
    return write_text(path, csv_text(header, rows, bom=bom, lineterminator=lineterminator))


def dict_rows(fieldnames: Sequence[str], records: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """``records`` as lists in ``fieldnames`` order (missing keys empty), for :func:`csv_text`."""
    return [[record.get(name, "") for name in fieldnames] for record in records]


def read_csv_rows(source: str | Path | io.TextIOBase | None = None, *, text: str | None = None) -> list[list[str]]:
    """Every row of a CSV file (UTF-8, byte-order mark allowed), cells unguarded.

    ``source`` is a path or an open text file; pass ``text`` instead to read a string.
    """
    if text is not None:
        return [[unguard_cell(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    if source is None:
        raise ValueError("pass a path, an open file or text=")
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8-sig", newline="") as fh:
            return [[unguard_cell(c) for c in row] for row in csv.reader(fh)]
    if source is None:
        raise TypeError("read_csv_rows needs a path, an open file or text=")
    return [[unguard_cell(c) for c in row] for row in csv.reader(source)]


def unguard_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A ``csv.DictReader`` row with its cells unguarded (the header names too)."""
    return {unguard_cell(k): (unguard_cell(v) if isinstance(v, str) else v) for k, v in row.items()}


class GuardedDictReader(csv.DictReader):
    """``csv.DictReader`` whose field names and cells are unguarded (see :func:`unguard_cell`)."""

    def __init__(self, f: Iterable[str], **kwargs: Any) -> None:
        super().__init__(f, **kwargs)
        if self.fieldnames is not None:  # reads the header row now
            self.fieldnames = [unguard_cell(name) for name in self.fieldnames]

    def __next__(self) -> dict[str, Any]:
        return unguard_dict(super().__next__())


def read_xlsx_rows(sheet: Any) -> list[list[Any]]:
    """Every row of an openpyxl worksheet as values, text cells unguarded."""
    return [[unguard_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def text_cell(cell: Any, value: Any) -> Any:
    """Set an openpyxl cell to ``value``; a text is stored as text, never as a formula, and read back exactly.

    Raises:
        OutputError: The text holds a character a workbook cannot store (a control character such as NUL).
    """
    value = guard_cell(value, formulas=False)
    if isinstance(value, str):
        bad = _NOT_XML.search(value)
        if bad:
            raise OutputError(f"a cell holds the control character U+{ord(bad.group()):04X}, which a workbook cannot "
                              f"store (in {value[:60]!r})",
                              hint="remove the character from the input it came from ('wisdoms check' finds it)")
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl types a text beginning '=' as a formula
        if value[:1] in FORMULA_STARTS:
            cell.quotePrefix = True  # as Excel marks a cell typed as '=...: it stays text when edited
    return cell


def append_row(sheet: Any, values: Sequence[Any]) -> None:
    """Append ``values`` to an openpyxl worksheet as a row of :func:`text_cell` cells.

    Raises:
        OutputError: A text holds a character a workbook cannot store (a control character such as NUL).
    """
    sheet.append([None] * len(values))
    for cell, value in zip(sheet[sheet.max_row], values):
        text_cell(cell, value)


def xlsx_bytes(book: Any) -> bytes:
    """An openpyxl workbook saved to bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_xlsx(path: str | Path, book: Any) -> Path:
    """Save an openpyxl workbook atomically and return the path."""
    return write_bytes(path, xlsx_bytes(book))
