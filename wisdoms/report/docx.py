"""``report.docx``: the convener report for people who work in Word; same content and citations as the HTML.

Charts become small tables (Word has no inline SVG), with the same suppressed counts.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from .view import SUPPRESSED, ReportView, build_view

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import Analysis


def _paragraph(doc: Any, text: str, style: str) -> Any:
    """``doc.add_paragraph(text, style=style)``, with the style's id looked up once per document.

    python-docx looks a style name up on every call by scanning every style in the document (about
    1 ms); a report of a 10,000-answer survey has thousands of quotes, and that lookup was most of the
    time spent writing it.
    """
    paragraph = doc.add_paragraph(text)
    paragraph._p.style = _style_id(doc, style)  # what paragraph.style = name sets, without the lookup
    return paragraph


def _heading(doc: Any, text: str, level: int) -> Any:
    """``doc.add_heading(text, level)`` (the same "Title" / "Heading N" styles) through :func:`_paragraph`."""
    return _paragraph(doc, text, "Title" if level == 0 else f"Heading {level}")


def _style_id(doc: Any, name: str) -> str:
    ids = doc.__dict__.setdefault("_wisdoms_style_ids", {})
    if name not in ids:
        ids[name] = doc.styles[name].style_id
    return ids[name]


def _table(doc: Any, header: list[str], rows: list[list[str]], *, caption: str) -> None:
    _paragraph(doc, caption, "Caption")
    table = doc.add_table(rows=1, cols=len(header))
    table._tbl.tblStyle_val = _style_id(doc, "Table Grid")  # table.style = "Table Grid", without the lookup
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text


def _quote(doc: Any, text: str, who: str, citation: str) -> None:
    _paragraph(doc, text, "Quote")
    p = doc.add_paragraph(f"— {who}, ")
    p.add_run(citation).italic = True


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
        doc.add_paragraph().add_run(banner).bold = True
    _heading(doc, v.title, 0)
    doc.add_paragraph(
        f"{s['transcripts']} conversations with {s['participants']} participants; {s['passages']} passages and "
        f"{v.words:,} words of the participants' own words. {s['themes']} themes; {s['unassigned']} passages not yet in a theme."
    )
    doc.add_paragraph(
        "Themes start as candidates found by a machine. They stay candidates until people — the research team and a "
        "co-production panel of people with lived experience — validate, rename, merge or reject them. Prevalence counts "
        "people, not passages. Every quote is the participant's words exactly as transcribed, with where it comes from. "
        f"In breakdowns by group, any number of people under 5 is shown as \"{SUPPRESSED}\"."
    )

    _heading(doc, "What was listened to", 1)
    for attr, rows in v.listened.items():
        name = attr.replace("_", " ")
        _table(doc, [name.capitalize(), "People", "Conversations", "Words"],
               [[r.group, r.shown, r.extra["conversations"], r.extra["words"]] for r in rows],
               caption=f"Participants by {name}")
    if v.not_grouped_note:
        doc.add_paragraph(v.not_grouped_note)

    _heading(doc, "Themes", 1)
    for t in v.themes:
        _heading(doc, f"Theme {t.theme.id}: {t.label}", 2)
        status = doc.add_paragraph()
        status.add_run(f"Status: {t.status}. ").bold = True
        status.add_run(t.status_text + (f" (into theme {t.merged_into})." if t.merged_into is not None else "."))
        doc.add_paragraph(t.description)
        doc.add_paragraph(f"Heard from: {t.theme.participants} of {s['participants']} participants ({t.theme.passages} passages)")
        doc.add_paragraph(f"Keywords: {', '.join(t.theme.keywords)}")
        codes = "; ".join(f"{c['name']} (score {c['score']:.2f}, {c['evidence']})" for c in t.codes)
        doc.add_paragraph(f"Matched codes: {codes or 'none — a candidate new code'}")
        for vd in t.verdicts:
            doc.add_paragraph(
                f"Panel \"{vd['panel']}\" on {vd['date']}: rings true — {vd['rings_true']}"
                + (f"; would call it \"{vd['call_it']}\"" if vd.get("call_it") else "")
                + (f"; missing: {vd['missing']}" if vd.get("missing") else "") + f". Outcome: {vd['outcome']}."
            )
        if v.group_by and t.groups:
            _table(doc, [v.group_by.replace("_", " ").capitalize(), "People"], [[g.group, g.shown] for g in t.groups],
                   caption=t.chart_alt)
        _heading(doc, "What people said", 3)
        for q in t.quotes:
            _quote(doc, q.text, q.participant, q.citation)

    _heading(doc, "Codebook coverage", 1)
    doc.add_paragraph(f"Codebook: {v.codebook.name} (version {v.codebook.version}).")
    _table(doc, ["Code", "Passages", "Participants", "Themes"],
           [[c.name, str(c.passages), str(c.participants), ", ".join(f"Theme {t}" for t in c.themes) or "—"] for c in v.coverage],
           caption="Evidence for each code")
    doc.add_paragraph("Codes with no supporting passage: " + (", ".join(v.uncovered) or "none") + ".")
    doc.add_paragraph("Themes no code covers (candidate new codes): "
                      + ("; ".join(f"Theme {t.theme.id} ({t.label})" for t in v.candidate_new_codes) or "none") + ".")
    _heading(doc, "Suggested new codes", 2)
    if v.code_suggestions:
        doc.add_paragraph(v.suggestion_note + " 'wisdoms codebook suggest' writes them as draft codes to paste into "
                          "the codebook.")
    else:
        doc.add_paragraph("No new code is suggested: every theme is covered by a code, or was rejected or merged by a panel.")
    for c in v.code_suggestions:
        _heading(doc, f"{c.name} (from theme {c.theme})", 3)
        doc.add_paragraph(f"Suggested id: {c.id}")
        doc.add_paragraph(f"Suggested definition: {c.definition}")
        doc.add_paragraph(f"Heard from: {c.participants} of {s['participants']} participants ({c.passages} passages)")
        for q in c.quotes:
            _quote(doc, q.text, q.participant, q.citation)

    _heading(doc, "Framework matrix", 1)
    if v.matrix_shown:
        doc.add_paragraph("One row per participant, one column per theme; each cell a short quote with its citation. "
                          "The same matrix is in framework-matrix.csv beside this file.")
        _table(doc, ["Participant", *[t.label for t in v.matrix_themes]],
               [[pid, *[f"\"{c[0]}\" ({c[1]})" if c else "" for c in cells]] for pid, cells in v.matrix],
               caption="Participants by theme")
    else:
        doc.add_paragraph(v.matrix_note)

    _heading(doc, "Language check", 1)
    if v.language_flags:
        for f in v.language_flags:
            _paragraph(doc, f"{f.kind.capitalize()} {f.id} \"{f.name}\" uses \"{f.term}\": consider \"{f.suggestion}\".",
                       "List Bullet")
    else:
        doc.add_paragraph("No listed term was found in theme labels or codebook names.")

    _heading(doc, "Passages not yet in a theme", 1)
    for reason, count in v.unassigned_reasons:
        _paragraph(doc, f"{count} passages: {reason}", "List Bullet")
    if v.unassigned_note:
        doc.add_paragraph(v.unassigned_note)
    for u in v.unassigned_shown:
        _quote(doc, u["text"], u["participant"], f"{u['citation']} ({u['reason']})")

    _heading(doc, "Method and run", 1)
    for k, val in v.method:
        p = doc.add_paragraph()
        p.add_run(f"{k}: ").bold = True
        p.add_run(val)
    for p in v.panels:
        _paragraph(doc, f"Panel: {p['panel']}, {p['date']} (verdicts: {p['verdicts']}; quotes withdrawn: "
                        f"{p['flagged_quotes']})", "List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
