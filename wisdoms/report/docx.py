"""``report.docx``: the convener report for people who work in Word; same content and citations as the HTML.

Charts become small tables (Word has no inline SVG), with the same suppressed counts.
"""

from __future__ import annotations

import copy
import io
import re
from typing import TYPE_CHECKING, Any

from .view import SUPPRESSED, ReportView, build_view

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


def _table(b: _Builder, header: list[str], rows: list[list[str]], *, caption: str) -> None:
    b.paragraph(caption, "Caption")
    table = b.table(1, len(header), "Table Grid")
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    b.rows(table, rows)


def _quote(b: _Builder, text: str, who: str, citation: str) -> None:
    b.paragraph(text, "Quote")
    b.run(b.paragraph(f"— {who}, "), citation, italic=True)


def render_docx(analysis: Analysis, *, group_by: str | None = None,
                view: ReportView | None = None, banner: str | None = None) -> bytes:
    """The report as a Word document (bytes), with headings Word's navigation pane lists.

    ``banner`` (a draft's NOT FOR SHARING) goes in every page header and, in bold, above the title.
    """
    from docx import Document
    from docx.shared import Pt

    v = view or build_view(analysis, group_by=group_by)
    s = v.summary
    doc = Document()
    doc.core_properties.title = v.title
    doc.styles["Normal"].font.size = Pt(11)
    if banner:
        for section in doc.sections:
            section.header.paragraphs[0].text = banner
    b = _Builder(doc)
    if banner:
        b.run(b.paragraph(), banner, bold=True)
    b.heading(v.title, 0)
    b.paragraph(v.headline)
    b.paragraph(
        "Themes start as candidates found by a machine. They stay candidates until people — the research team and a "
        "co-production panel of people with lived experience — validate, rename, merge or reject them. Prevalence counts "
        "people, not passages. Every quote is the participant's words exactly as transcribed, with where it comes from. "
        f"In breakdowns by group, any number of people under 5 is shown as \"{SUPPRESSED}\"."
    )

    b.heading("What was listened to", 1)
    for attr, rows in v.listened.items():
        name = attr.replace("_", " ")
        _table(b, [name.capitalize(), "People", "Conversations", "Words"],
               [[r.group, r.shown, r.extra["conversations"], r.extra["words"]] for r in rows],
               caption=f"Participants by {name}")
    if v.not_grouped_note:
        b.paragraph(v.not_grouped_note)

    b.heading("Themes", 1)
    for t in v.themes:
        b.heading(f"Theme {t.theme.id}: {t.label}", 2)
        status = b.paragraph()
        b.run(status, f"Status: {t.status}. ", bold=True)
        b.run(status, t.status_text + (f" (into theme {t.merged_into})." if t.merged_into is not None else "."))
        b.paragraph(t.description)
        b.paragraph(f"Heard from: {t.theme.participants} of {s['participants']} participants ({t.theme.passages} passages)")
        b.paragraph(f"Keywords: {', '.join(t.theme.keywords)}")
        codes = "; ".join(f"{c['name']} (score {c['score']:.2f}, {c['evidence']})" for c in t.codes)
        b.paragraph(f"Matched codes: {codes or 'none — a candidate new code'}")
        for vd in t.verdicts:
            b.paragraph(
                f"Panel \"{vd['panel']}\" on {vd['date']}: rings true — {vd['rings_true']}"
                + (f"; would call it \"{vd['call_it']}\"" if vd.get("call_it") else "")
                + (f"; missing: {vd['missing']}" if vd.get("missing") else "") + f". Outcome: {vd['outcome']}."
            )
        if v.group_by and t.groups:
            _table(b, [v.group_by.replace("_", " ").capitalize(), "People"], [[g.group, g.shown] for g in t.groups],
                   caption=t.chart_alt)
        b.heading("What people said", 3)
        for q in t.quotes:
            _quote(b, q.text, q.participant, q.citation)

    b.heading("Codebook coverage", 1)
    b.paragraph(f"Codebook: {v.codebook.name} (version {v.codebook.version}).")
    _table(b, ["Code", "Passages", "Participants", "Themes"],
           [[c.name, str(c.passages), str(c.participants), ", ".join(f"Theme {t}" for t in c.themes) or "—"] for c in v.coverage],
           caption="Evidence for each code")
    b.paragraph("Codes with no supporting passage: " + (", ".join(v.uncovered) or "none") + ".")
    b.paragraph("Themes no code covers (candidate new codes): "
                      + ("; ".join(f"Theme {t.theme.id} ({t.label})" for t in v.candidate_new_codes) or "none") + ".")
    b.heading("Suggested new codes", 2)
    if v.code_suggestions:
        b.paragraph(v.suggestion_note + " 'wisdoms codebook suggest' writes them as draft codes to paste into "
                          "the codebook.")
    else:
        b.paragraph("No new code is suggested: every theme is covered by a code, or was rejected or merged by a panel.")
    for c in v.code_suggestions:
        b.heading(f"{c.name} (from theme {c.theme})", 3)
        b.paragraph(f"Suggested id: {c.id}")
        b.paragraph(f"Suggested definition: {c.definition}")
        b.paragraph(f"Heard from: {c.participants} of {s['participants']} participants ({c.passages} passages)")
        for q in c.quotes:
            _quote(b, q.text, q.participant, q.citation)

    b.heading("Framework matrix", 1)
    if v.matrix_shown:
        b.paragraph("One row per participant, one column per theme; each cell a short quote with its citation. "
                          "The same matrix is in framework-matrix.csv beside this file.")
        _table(b, ["Participant", *[t.label for t in v.matrix_themes]],
               [[pid, *[f"\"{c[0]}\" ({c[1]})" if c else "" for c in cells]] for pid, cells in v.matrix],
               caption="Participants by theme")
    else:
        b.paragraph(v.matrix_note)

    b.heading("Language check", 1)
    if v.language_flags:
        for f in v.language_flags:
            b.paragraph(f"{f.kind.capitalize()} {f.id} \"{f.name}\" uses \"{f.term}\": consider \"{f.suggestion}\".",
                       "List Bullet")
    else:
        b.paragraph("No listed term was found in theme labels or codebook names.")

    b.heading("Passages not yet in a theme", 1)
    for reason, count in v.unassigned_reasons:
        b.paragraph(f"{count} passages: {reason}", "List Bullet")
    if v.unassigned_note:
        b.paragraph(v.unassigned_note)
    for u in v.unassigned_shown:
        _quote(b, u["text"], u["participant"], f"{u['citation']} ({u['reason']})")

    b.heading("Method and run", 1)
    for k, val in v.method:
        p = b.paragraph()
        b.run(p, f"{k}: ", bold=True)
        b.run(p, val)
    for p in v.panels:
        b.paragraph(f"Panel: {p['panel']}, {p['date']} (verdicts: {p['verdicts']}; quotes withdrawn: "
                        f"{p['flagged_quotes']})", "List Bullet")
    buffer = io.BytesIO()
    b.finish().save(buffer)
    return buffer.getvalue()
