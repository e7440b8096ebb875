"""``wisdoms panel pack``: plain-language theme cards and a response sheet for a co-production panel.

One card a page, a few quotes, no scores and no jargon. The cards come as printable HTML (ready to
print to PDF) and Word; the response sheet as Excel and CSV, one row per card.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

from .._files import write_bytes, write_text
from ..errors import OutputError
from ..report.rundir import read_run_folder
from . import sheet

log = logging.getLogger(__name__)

QUOTES_PER_CARD = 3

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Theme cards for the panel</title>
<style>
  body { font-family: Arial, Helvetica, sans-serif; color: #1b1b1b; background: #ffffff; margin: 0;
         font-size: {{ size }}; line-height: 1.5; }
  main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
  .card { border: 2px solid #1b1b1b; border-radius: 8px; padding: 1rem 1.5rem; margin: 2rem 0;
          break-after: page; page-break-after: always; }
  .card:last-child { break-after: auto; page-break-after: auto; }
  blockquote { border-left: 6px solid #0b5394; margin: 1rem 0; padding: .25rem 1rem; white-space: pre-wrap; }
  .number { color: #4a4a4a; font-weight: 700; }
  @media print { .card { border: none; margin: 0; } }
</style>
</head>
<body>
<main>
<h1>What we think we heard</h1>
<p>Each card is one idea that came up again and again when we listened to people. Please tell us on the
response sheet: does it ring true? What would you call it? What is missing? Is there a quote we should not use?</p>
{% for c in cards %}
<section class="card" aria-labelledby="card-{{ c.number }}">
<h2 id="card-{{ c.number }}">Card {{ c.number }}: {{ c.label }}</h2>
<p>{{ c.summary }}</p>
<p>{{ c.reach }}</p>
<h3>In people's own words</h3>
{% for q in c.quotes %}
<blockquote><span class="number">Quote {{ loop.index }}.</span> {{ q.text }}</blockquote>
{% endfor %}
</section>
{% endfor %}
</main>
</body>
</html>
"""


def _reach(people: int, total: int) -> str:
    """How many people, in words rather than numbers or scores."""
    share = people / total if total else 0
    if share >= 0.75:
        return "Most of the people we listened to talked about this."
    if share >= 0.4:
        return "About half of the people we listened to talked about this."
    if share >= 0.15:
        return "Some of the people we listened to talked about this."
    return "A few of the people we listened to talked about this."


def _summary(theme: dict[str, Any]) -> str:
    words = [k for k in theme.get("keywords", [])[:3]]
    if not words:
        return "People talked about this."
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"People talked about {listed}."


def build_cards(run_dir: str | Path, *, decisions: str | Path | None = None, quotes_per_card: int = QUOTES_PER_CARD) -> list[dict[str, Any]]:
    """The cards: one per theme still open (not rejected or merged), with quotes no panel has withdrawn.

    Raises:
        RunFolderError: The run folder is incomplete.
        PanelError: The decisions file is invalid.
    """
    run = read_run_folder(run_dir)
    flagged: set[str] = set()
    if decisions is not None:
        from .decisions import flagged_citations, read_decisions

        flagged = flagged_citations(read_decisions(decisions))
    total = run.themes.get("participants_total") or 0
    by_theme: dict[str, list[dict[str, Any]]] = {}
    for row in run.passages:
        by_theme.setdefault(str(row.get("theme", "")), []).append(row)
    cards = []
    for theme in run.themes.get("themes", []):
        if theme.get("status") in ("rejected", "merged"):
            continue
        quotes = []
        for q in theme.get("quotes", []):
            citation = f"{q['transcript']}:{q['start']}-{q['end']}"
            if citation not in flagged:
                quotes.append({"text": q["text"], "citation": citation, "participant": q["participant"]})
        used = {q["citation"] for q in quotes}
        for row in sorted(by_theme.get(str(theme["id"]), []), key=lambda r: -int(r.get("words") or 0)):
            if len(quotes) >= quotes_per_card:
                break
            citation = f"{row['transcript']}:{row['start']}-{row['end']}"
            if citation in flagged or citation in used or row["participant"] in {q["participant"] for q in quotes}:
                continue
            quotes.append({"text": row["text"], "citation": citation, "participant": row["participant"]})
            used.add(citation)
        cards.append({
            "number": len(cards) + 1, "theme": theme["id"], "label": theme["label"],
            "summary": _summary(theme), "reach": _reach(theme.get("participants", 0), total),
            "quotes": quotes[:quotes_per_card],
        })
    return cards


def cards_html(cards: list[dict[str, Any]], *, large_print: bool = False) -> str:
    """Printable HTML: one card a page (PDF-ready from any browser's Print)."""
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_HTML).render(cards=cards, size="1.6rem" if large_print else "1.15rem")


def cards_docx(cards: list[dict[str, Any]], *, large_print: bool = False) -> bytes:
    """Word cards: one card a page."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = "Theme cards for the panel"
    doc.styles["Normal"].font.size = Pt(18 if large_print else 13)
    doc.styles["Normal"].font.name = "Arial"
    doc.add_heading("What we think we heard", level=1)
    doc.add_paragraph("Each card is one idea that came up again and again when we listened to people. Please tell us "
                      "on the response sheet: does it ring true? What would you call it? What is missing? Is there a "
                      "quote we should not use?")
    for c in cards:
        doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        doc.add_heading(f"Card {c['number']}: {c['label']}", level=2)
        doc.add_paragraph(c["summary"])
        doc.add_paragraph(c["reach"])
        doc.add_heading("In people's own words", level=3)
        for i, q in enumerate(c["quotes"], start=1):
            p = doc.add_paragraph(style="Quote")
            p.add_run(f"Quote {i}. ").bold = True
            p.add_run(q["text"])
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _sheet_rows(cards: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [str(c["number"]), c["label"], "", "", "", "", "", sheet.theme_ref(c["theme"], c["label"]),
         sheet.quote_refs([q["citation"] for q in c["quotes"]])]
        for c in cards
    ]


def responses_csv(cards: list[dict[str, Any]]) -> str:
    """The response sheet as CSV (UTF-8 with a byte-order mark, so Excel opens it with accents intact)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(sheet.COLUMNS)
    writer.writerows(_sheet_rows(cards))
    return "\ufeff" + buffer.getvalue()


def responses_xlsx(cards: list[dict[str, Any]]) -> bytes:
    """The response sheet as Excel, with a yes/partly/no drop-down and the reference columns greyed."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(sheet.COLUMNS)
    for row in _sheet_rows(cards):
        ws.append(row)
    widths = [8, 30, 22, 30, 36, 24, 22, 30, 40]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    grey = PatternFill("solid", fgColor="EEEEEE")
    for row in ws.iter_rows(min_row=2, min_col=8, max_col=9):
        for cell in row:
            cell.fill = grey
    if cards:
        rings = DataValidation(type="list", formula1='"yes,partly,no"', allow_blank=True)
        rings.error = "Please choose yes, partly or no"
        ws.add_data_validation(rings)
        rings.add(f"C2:C{len(cards) + 1}")
    ws.freeze_panes = "C2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def make_pack(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    large_print: bool = False,
    decisions: str | Path | None = None,
    quotes_per_card: int = QUOTES_PER_CARD,
) -> list[Path]:
    """Write cards.html, cards.docx, responses.xlsx and responses.csv into ``out_dir``.

    Args:
        run_dir: Folder written by ``wisdoms run``.
        out_dir: Where to write the pack.
        large_print: Bigger type on the cards.
        decisions: An earlier panel's decisions: their withdrawn quotes are left out.
        quotes_per_card: Quotes on each card.

    Raises:
        RunFolderError: The run folder is incomplete.
        OutputError: ``out_dir`` exists and is not a folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError("output path exists and is not a folder", path=out, hint="choose another --out")
    cards = build_cards(run_dir, decisions=decisions, quotes_per_card=quotes_per_card)
    rendered: dict[str, str | bytes] = {
        "cards.html": cards_html(cards, large_print=large_print),
        "cards.docx": cards_docx(cards, large_print=large_print),
        "responses.xlsx": responses_xlsx(cards),
        "responses.csv": responses_csv(cards),
    }
    written = [write_bytes(out / n, d) if isinstance(d, bytes) else write_text(out / n, d) for n, d in rendered.items()]
    log.info("wrote a panel pack of %d cards to %s", len(cards), out)
    return written
