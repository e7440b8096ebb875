"""``report.docx``: the report's sections (:mod:`.document`) in Word, on A4, for people who work in Word.

Same sections, wording and citations as the HTML page; charts are PNG pictures with their text alternative
(Word's "alt text"); the framework matrix, too wide for a page, is pointed to in ``framework-matrix.xlsx``.
"""

from __future__ import annotations

import copy
import io
import re
from typing import TYPE_CHECKING, Any

from .blocks import (
    Block,
    Bullets,
    Facts,
    Figure,
    Heading,
    Para,
    Quote,
    Report,
    Rich,
    ScreenOnly,
    Section,
    Table,
    ThemeSummary,
)
from .view import ReportView, build_view

if TYPE_CHECKING:  # pragma: no cover
    from ..results import Analysis

#: What python-docx turns into elements of their own inside a run: a tab, or a line break.
_RUN_BREAKS = re.compile(r"([\t\r\n])")


class _Builder:
    """Appends paragraphs and tables to a new Word document, each in constant time.

    python-docx puts every new block before the body's closing section properties, finding them by
    scanning the whole body, and looks every style name up by scanning every style: both grow with the
    document, so a report of 50,000 survey answers (40,000 paragraphs) took 66 s to build. The builder
    takes the section properties out while it writes (:meth:`finish` puts them back), appends blocks
    at the end, and looks each style up once.
    """

    def __init__(self, doc: Any) -> None:
        from docx.oxml.ns import qn
        from docx.oxml.parser import OxmlElement
        from docx.oxml.table import CT_Tbl
        from docx.table import Table
        from docx.text.paragraph import Paragraph
        from lxml import etree

        self._element, self._new_table, self._table, self._paragraph = OxmlElement, CT_Tbl.new_tbl, Table, Paragraph
        self._sub, self._copy = etree.SubElement, copy.deepcopy
        self._tags = {name: qn(name) for name in ("w:r", "w:rPr", "w:b", "w:i", "w:t", "w:tab", "w:br", "xml:space",
                                                    "w:pPr", "w:pStyle", "w:val", "w:tc", "w:p")}
        section = doc.sections[-1]
        self.doc = doc
        self.width = section.page_width - section.left_margin - section.right_margin
        self.body = doc.element.body
        self.section_properties = self.body.sectPr
        if self.section_properties is not None:
            self.body.remove(self.section_properties)
        self.style_ids: dict[str, str] = {}

    def style_id(self, name: str) -> str:
        if name not in self.style_ids:
            self.style_ids[name] = self.doc.styles[name].style_id
        return self.style_ids[name]

    def paragraph(self, text: str = "", style: str | None = None) -> Any:
        """A new paragraph at the end (``doc.add_paragraph(text, style)``)."""
        element = self._element("w:p")
        self.body.append(element)
        paragraph = self._paragraph(element, self.doc)
        if style:  # ``element.style = ...`` as python-docx writes it, without its search for where pPr goes
            tag = self._tags
            self._sub(self._sub(element, tag["w:pPr"]), tag["w:pStyle"]).set(tag["w:val"], self.style_id(style))
        if text:
            self.run(paragraph, text)
        return paragraph

    def run(self, paragraph: Any, text: str, *, bold: bool = False, italic: bool = False) -> None:
        """``paragraph.add_run(text)`` (then ``.bold`` / ``.italic``), written as the same elements directly:
        python-docx builds a run's text one character at a time, most of a large report's build time."""
        self._run(paragraph._p, text, bold=bold, italic=italic)

    def rows(self, table: Any, rows: list[list[str]]) -> None:
        """``for cell, text in zip(table.add_row().cells, row): cell.text = text`` for each row, as the same
        elements: python-docx lays out one blank row (cell widths from the table grid), copied for each row."""
        if not rows:
            return
        blank = table.add_row()._tr
        tbl = blank.getparent()
        tbl.remove(blank)
        tc, p = self._tags["w:tc"], self._tags["w:p"]
        for row in rows:
            tr = self._copy(blank)
            tbl.append(tr)
            for cell, text in zip(tr.iterchildren(tc), row):
                self._run(cell.find(p), text)

    def _run(self, p: Any, text: str, *, bold: bool = False, italic: bool = False) -> None:
        tag, sub = self._tags, self._sub
        r = sub(p, tag["w:r"])
        if bold or italic:
            props = sub(r, tag["w:rPr"])
            if bold:
                sub(props, tag["w:b"])
            if italic:
                sub(props, tag["w:i"])
        for piece in _RUN_BREAKS.split(text):
            if piece == "\t":
                sub(r, tag["w:tab"])
            elif piece in ("\r", "\n"):
                sub(r, tag["w:br"])
            elif piece:
                t = sub(r, tag["w:t"])
                t.text = piece
                if len(piece.strip()) < len(piece):
                    t.set(tag["xml:space"], "preserve")

    def heading(self, text: str, level: int) -> Any:
        """``doc.add_heading(text, level)``: the same "Title" / "Heading N" styles."""
        return self.paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def table(self, rows: int, cols: int, style: str) -> Any:
        """A new table at the end, as wide as the text (``doc.add_table``)."""
        element = self._new_table(rows, cols, self.width)
        self.body.append(element)
        element.tblStyle_val = self.style_id(style)
        return self._table(element, self.doc)

    def finish(self) -> Any:
        """The document, its section properties back at the end of the body."""
        if self.section_properties is not None:
            self.body.append(self.section_properties)
            self.section_properties = None
        return self.doc


def set_a4(doc: Any, *, margin_mm: float = 20) -> None:
    """Every section of ``doc`` on portrait A4 with ``margin_mm`` margins (python-docx starts on US Letter)."""
    from docx.shared import Mm

    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(margin_mm)
        section.top_margin = section.bottom_margin = Mm(margin_mm)


def _plain(parts: Rich) -> str:
    return "".join(p if isinstance(p, str) else ("" if p.style == "hidden" else p.text) for p in parts)


def _rich(b: _Builder, paragraph: Any, parts: Rich) -> None:
    for part in parts:
        if isinstance(part, str):
            b.run(paragraph, part)
        elif part.style != "hidden" and part.text:
            b.run(paragraph, part.text, bold=part.style in ("strong", "status"), italic=part.style in ("em", "code"))


def _table(b: _Builder, table: Table) -> None:
    b.paragraph(table.caption, "Caption")
    t = b.table(1, len(table.header), "Table Grid")
    for cell, text in zip(t.rows[0].cells, table.header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    b.rows(t, [[_plain(c) for c in row] for row in table.rows])


def _quote(b: _Builder, quote: Quote) -> None:
    b.paragraph(quote.text, "Quote")
    b.run(b.paragraph(f"— {quote.who}, " if quote.who else "— "), quote.citation + (f" ({quote.note})" if quote.note else ""), italic=True)


def _picture(b: _Builder, figure: Figure) -> None:
    from docx.shared import Cm

    paragraph = b.paragraph()
    run = paragraph.add_run()
    run.add_picture(io.BytesIO(figure.chart.png), width=Cm(figure.chart.width_cm))
    # Word's alt text (title and description) lives on the picture's docPr, which python-docx does not expose.
    for properties in run._r.xpath(".//wp:docPr"):
        properties.set("title", figure.chart.title)
        properties.set("descr", figure.chart.alt)
    b.paragraph(figure.caption, "Caption")


def render_docx(analysis: Analysis, *, group_by: str | None = None, view: ReportView | None = None,
                banner: str | None = None, document: Report | None = None) -> bytes:
    """The report as a Word document (bytes) on A4, with headings Word's navigation pane lists.

    ``banner`` (a draft's NOT FOR SHARING) goes in every page header and, in bold, above the title.
    """
    from docx import Document
    from docx.shared import Pt

    from .charts import prevalence_chart
    from .document import build_document

    if document is None:
        document = build_document(view or build_view(analysis, group_by=group_by), chart=prevalence_chart)
    doc = Document()
    set_a4(doc)
    doc.core_properties.title = document.title
    doc.styles["Normal"].font.size = Pt(11)
    if banner:
        for section in doc.sections:
            section.header.paragraphs[0].text = banner
    b = _Builder(doc)
    if banner:
        b.run(b.paragraph(), banner, bold=True)
    b.heading(document.title, 0)
    for block in document.lead:
        _block(b, block, 0)
    for part in document.sections:
        _section(b, part, 0)
    buffer = io.BytesIO()
    b.finish().save(buffer)
    return buffer.getvalue()


def _section(b: _Builder, section: Section, depth: int) -> None:
    b.heading(section.title, min(depth + 1, 9))
    for block in section.blocks:
        _block(b, block, depth)


def _block(b: _Builder, block: Block, depth: int) -> None:
    if isinstance(block, Section):
        _section(b, block, depth + 1)
    elif isinstance(block, Para):
        _rich(b, b.paragraph(style="Intense Quote" if block.role == "note" else None), block.parts)
    elif isinstance(block, Heading):
        b.heading(block.text, min(depth + 1 + block.level, 9))
    elif isinstance(block, Bullets):
        for item in block.items:
            _rich(b, b.paragraph(style="List Number" if block.ordered else "List Bullet"), item)
    elif isinstance(block, Facts):
        for key, value in block.items:
            p = b.paragraph()
            b.run(p, f"{key}: ", bold=True)
            _rich(b, p, value)
    elif isinstance(block, Table):
        _table(b, block)
    elif isinstance(block, Quote):
        _quote(b, block)
    elif isinstance(block, Figure):
        _picture(b, block)
    elif isinstance(block, ThemeSummary):
        title = b.paragraph()
        for part in block.title:
            b.run(title, part if isinstance(part, str) else part.text, bold=True)
        for line in block.lines:
            _rich(b, b.paragraph(), line)
        if block.quote:
            _quote(b, block.quote)
    elif isinstance(block, ScreenOnly):
        for inner in block.paper:
            _block(b, inner, depth)
    else:
        raise TypeError(f"no Word layout for {type(block).__name__}")
