"""``framework-matrix.xlsx``: the framework matrix as a workbook people can read and print.

The same cells as ``framework-matrix.csv`` (:func:`~wisdoms.report.contract.framework_matrix_csv`): one row
per participant, one column per theme, a short quote and its citation in each cell. Laid out to be read:
headings and participant column frozen, cells wrapped and top-aligned, columns wide enough for a quote,
and at most :data:`THEMES_PER_SHEET` themes a sheet (sheets ``Themes 1-8``, ``Themes 9-16`` ...), each set
to print landscape on A4, one page wide, headings repeated on every page. A matrix too large for the
reports to lay out (:attr:`~wisdoms.report.view.ReportView.matrix_shown`) is written long instead, one row
per filled cell, as ``framework-matrix.csv`` is above its own limit. Cells go through the shared
table writer (:func:`wisdoms._tables.append_row`): text, never a formula, whatever it starts with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .view import ReportView

#: Theme columns per sheet: with the participant column, a sheet prints one A4 landscape page wide.
THEMES_PER_SHEET = 8
#: Column widths (characters) of the participant and theme columns.
PARTICIPANT_WIDTH = 14
THEME_WIDTH = 34


def framework_matrix_xlsx(view: ReportView, *, draft: str | None = None) -> bytes:
    """The workbook's bytes; a draft's stamp in a first row of every sheet and in every printed page's header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from .._tables import append_row, xlsx_bytes

    wb = Workbook()
    if not view.matrix_shown:
        return _long_workbook(wb, view, draft=draft)
    themes = list(view.matrix_themes)
    groups = [themes[i:i + THEMES_PER_SHEET] for i in range(0, len(themes), THEMES_PER_SHEET)] or [[]]
    cells = view.matrix_cells
    wrap = Alignment(wrap_text=True, vertical="top")
    head_fill = PatternFill("solid", fgColor="DDE6EE")
    for n, group in enumerate(groups):
        ws = wb.active if n == 0 else wb.create_sheet()
        first = n * THEMES_PER_SHEET + 1
        ws.title = f"Themes {first}-{first + len(group) - 1}" if group else "Themes"
        top = _stamp(ws, draft)
        append_row(ws, ["Participant", *(f"Theme {v.theme.id}: {v.label}" for v in group)])
        for cell in ws[top]:
            cell.font, cell.alignment, cell.fill = Font(bold=True), wrap, head_fill
        for row, pid in enumerate(view.matrix_people, start=top + 1):
            found = [cells.get((pid, v.theme.id)) for v in group]
            append_row(ws, [pid, *(f"{c[0]} ({c[1]})" if c else None for c in found)])
            for col in range(1, len(group) + 2):
                ws.cell(row=row, column=col).alignment = wrap
        ws.column_dimensions["A"].width = PARTICIPANT_WIDTH
        for col in range(2, len(group) + 2):
            ws.column_dimensions[get_column_letter(col)].width = THEME_WIDTH
        ws.freeze_panes = ws.cell(row=top + 1, column=2)
        ws.print_title_rows = f"{top}:{top}"
        ws.print_title_cols = "A:A"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    return xlsx_bytes(wb)


def _stamp(ws, draft: str | None) -> int:  # noqa: ANN001 - openpyxl is untyped
    """A draft's stamp in the sheet's first row (bold, red) and its printed pages' header; the row the sheet's
    headings go in (1, or 2 below a stamp)."""
    if not draft:
        return 1
    from openpyxl.styles import Font

    from .._tables import append_row

    append_row(ws, [draft])
    ws.cell(row=1, column=1).font = Font(bold=True, color="B00020")
    ws.oddHeader.center.text = draft
    return 2


def _long_workbook(wb, view: ReportView, *, draft: str | None) -> bytes:  # noqa: ANN001 - openpyxl is untyped
    """A matrix too large to lay out (a survey: thousands of people, hundreds of themes) as one sheet of
    its filled cells, one row each (participant, theme, theme label, quote, citation), with a filter on the
    headings: a pivot table lays it out as a grid. A grid would be mostly empty cells, millions of them."""
    from openpyxl.styles import Alignment, Font

    from .._tables import append_row, xlsx_bytes
    from .contract import MATRIX_LONG_HEADER

    ws = wb.active
    ws.title = "Matrix (long)"
    top = _stamp(ws, draft)
    append_row(ws, MATRIX_LONG_HEADER)
    for cell in ws[top]:
        cell.font = Font(bold=True)
    order = {pid: i for i, pid in enumerate(view.matrix_people)}
    themes = {v.theme.id: (i, v.label) for i, v in enumerate(view.matrix_themes)}
    filled = sorted(((key, c) for key, c in view.matrix_cells.items() if key[1] in themes),
                    key=lambda item: (order.get(item[0][0], len(order)), themes[item[0][1]][0]))
    for (pid, tid), (short, citation) in filled:
        append_row(ws, [pid, tid, themes[tid][1], short, citation])
    for letter, width in zip("ABCDE", (PARTICIPANT_WIDTH, 8, THEME_WIDTH, 60, 30)):
        ws.column_dimensions[letter].width = width
        ws.column_dimensions[letter].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=top + 1, column=1)
    ws.auto_filter.ref = f"A{top}:E{top + len(filled)}"
    ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return xlsx_bytes(wb)
