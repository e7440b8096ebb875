"""``wisdoms panel pack``: plain-language theme cards and a response sheet for a co-production panel.

One card a page, a few quotes, no scores and no jargon. The cards come as printable HTML (ready to
print to PDF: A4 pages, one card each) and Word; the response sheet as Excel and CSV, one row per card.
Everything goes through the privacy gate (:func:`wisdoms.privacy.release.release`) before it is written: a card
quote with an unresolved finding stops the pack, and a draft made with ``allow_unreviewed`` carries
NOT FOR SHARING on every card, every Word page and the top of each response sheet.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import write_bytes, write_text
from .._tables import GuardedWriter, append_row
from .._words import unquoted
from ..errors import OutputError, PanelError
from ..models import CitationSet, Quote
from ..privacy.release import ScanItem, release
from ..report import settings_from_manifest
from ..report.rundir import RunFolder, printed_codebook, read_run_folder, run_folder_of
from ..results import Analysis, PanelDecisions
from . import sheet

if TYPE_CHECKING:  # pragma: no cover
    from ..privacy import PrivacyGate

log = logging.getLogger(__name__)

QUOTES_PER_CARD = 3
#: Sub-theme titles a card lists in its description (more would crowd a page).
SUBTHEMES_ON_CARD = 4
#: More cards than this make a long session: the pack says so and suggests choosing (``--top``, ``--themes``).
MANY_CARDS = 40

_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Theme cards for the panel</title>
<style>
  * { box-sizing: border-box; }
  body { font-family: Arial, Helvetica, sans-serif; color: #1b1b1b; background: #ffffff; margin: 0;
         font-size: {{ size }}; line-height: 1.5; overflow-wrap: break-word; }
  main { max-width: {{ measure }}; margin: 0 auto; padding: 1.5rem; }
  h1 { font-size: 1.6em; } h2 { font-size: 1.35em; } h3 { font-size: 1.1em; }
  .intro, .card { break-after: page; page-break-after: always; }
  .card { border: 2px solid #1b1b1b; border-radius: 8px; padding: 1rem 1.5rem; margin: 2rem 0; break-inside: avoid; }
  .card:last-child { break-after: auto; page-break-after: auto; }
  blockquote { border-left: 6px solid #0b5394; margin: 1rem 0; padding: .25rem 1rem; white-space: pre-wrap; }
  .number { color: #4a4a4a; font-weight: 700; }
  .words { color: #4a4a4a; font-size: .9em; }
  .stamp { background: #b00020; color: #ffffff; font-weight: 700; padding: .4rem .75rem; text-align: center; }
  @page { size: A4; margin: 15mm; }
  @media print {
    body { font-size: {{ print_size }}; }
    main { max-width: none; padding: 0; }
    .card { border: none; border-radius: 0; margin: 0; padding: 0; }
    .stamp { -webkit-print-color-adjust: exact; print-color-adjust: exact; border: 2px solid #b00020; }
  }
</style>
</head>
<body>
<main>
<section class="intro">
{% if banner %}<p class="stamp" role="note">{{ banner }}</p>{% endif %}
<h1>What we think we heard</h1>
<p>Each card is one idea that came up again and again when we listened to people. Please tell us on the
response sheet: does it ring true? What would you call it? What is missing? Is there a quote we should not use?</p>
<p>If you write the number of a quote under “Any quote that should not be used?”, we will not use that quote again.
If two cards are really the same idea, write “same as card” and its number under “What would you call it?”.</p>
</section>
{% for c in cards %}
<section class="card" aria-labelledby="card-{{ c.number }}">
{% if banner %}<p class="stamp" role="note">{{ banner }}</p>{% endif %}
<h2 id="card-{{ c.number }}">Card {{ c.number }}: {{ c.label }}</h2>
<p>{{ c.summary }}</p>
{% if c.named_by %}<p>{{ c.named_by }}</p>{% endif %}
<p>{{ c.reach }}</p>
{% if c.words %}<p class="words">{{ c.words }}</p>{% endif %}
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
    """What the card says the theme is, in plain words from its own material: the panel's name for a renamed
    theme, and the titles of its sub-themes (each a member's own words). Never a list of keywords."""
    subs = [str(st.get("label", "")).strip() for st in theme.get("subthemes", []) or [] if isinstance(st, dict)]
    subs = [_quoted(x) for x in subs if x and _quoted(x) != _quoted(str(theme.get("label", "")))]
    text = f"A panel named this {_quoted(str(theme['label']))}. " if theme.get("status") == "renamed" else ""
    if subs:
        shown = subs[:SUBTHEMES_ON_CARD]
        listed = shown[0] if len(shown) == 1 else "; ".join(shown[:-1]) + (" and " if len(shown) == 2 else "; and ") + shown[-1]
        more = " (and more)" if len(subs) > SUBTHEMES_ON_CARD else ""
        text += f"It brings together what people said about {listed}{more}."
    else:
        text += "The quotes below show how different people put it."
    return text


def _named_by(theme: dict[str, Any], passages: list[dict[str, Any]]) -> str:
    """Where the card's name comes from: a member's own words (who said them), or the codebook."""
    source = theme.get("title_source") or "quote"
    if theme.get("status") == "renamed" or source == "panel":
        return ""
    where = theme.get("title_quote") or {}
    if source == "code":
        code = "The name is the code in our codebook that this theme matches"
        if not where or not str(theme.get("label", "")).endswith("”"):  # the code's name alone
            return code + "."
        return code + ", then the words of one of the people we listened to" + _who(where, passages) + "."
    if source != "quote" or not where:
        return ""
    return "The name is in the words of one of the people we listened to" + _who(where, passages) + "."


def _who(where: dict[str, Any], passages: list[dict[str, Any]]) -> str:
    """`` (P03)``: the participant who said the title's words, from the passage holding them; empty if none does."""
    who = next((str(r["participant"]) for r in passages
                if r.get("transcript") == where.get("transcript")
                and int(r["start"]) <= int(where.get("start", -1)) and int(where.get("end", -1)) <= int(r["end"])), "")
    return f" ({who})" if who else ""


def _words(theme: dict[str, Any]) -> str:
    """Secondary detail: words that came up often in the theme (never the card's description)."""
    words = [str(k) for k in theme.get("keywords", []) or [] if str(k).strip()][:4]
    return ("Words that came up often: " + ", ".join(words) + ".") if words else ""


def _quoted(title: str) -> str:
    return "“" + unquoted(title) + "”"


def _standing_first(quotes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A theme's quotes, those that stand best on their own first (as the report's first screen chooses:
    :func:`wisdoms.report.view.standing_rank`: nothing trailing off, redacted or a transcriber's note, 12 to 70
    words, little hesitation), otherwise in the theme's order. A quote of a few words ("Do for someone else what
    that fella did for me.") leans on talk the panel never sees."""
    from ..report.view import standing_rank

    return sorted(quotes, key=lambda q: standing_rank(str(q["text"])))


def _quote(transcript: str, participant: str, start: int, end: int, text: str) -> dict[str, Any]:
    return {"transcript": transcript, "participant": participant, "start": start, "end": end, "text": text,
            "citation": f"{transcript}:{start}-{end}"}


def _run(run: str | Path | RunFolder | Analysis) -> RunFolder:
    """The run to make cards from: an analysis in hand, or a run folder (read from disk)."""
    if isinstance(run, RunFolder):
        return run
    return run_folder_of(run) if isinstance(run, Analysis) else read_run_folder(run)


def build_cards(run_dir: str | Path | RunFolder | Analysis, *, decisions: str | Path | None = None,
                quotes_per_card: int = QUOTES_PER_CARD, themes: Sequence[int] | None = None,
                top: int | None = None) -> list[dict[str, Any]]:
    """The cards: one per theme still open (not rejected or merged), with quotes no panel has withdrawn
    (those in ``decisions`` and those the run's manifest records).

    Args:
        themes: Only these theme ids, in this order (a panel checks a chosen few).
        top: Only the ``top`` open themes heard from the most participants (after ``themes``).

    Raises:
        RunFolderError: The run folder is incomplete.
        PanelError: The decisions file is invalid; a theme in ``themes`` is not in the run or was rejected or
            merged; ``top`` is under 1.
    """
    run = _run(run_dir)
    chosen = _choose_themes(run, themes, top)
    # Quotes withdrawn by the panels a run was made with ('wisdoms run --decisions') stay withdrawn even
    # when the pack is made without the decisions file: passages.csv still lists those passages.
    recorded = PanelDecisions.from_manifest(run.manifest)
    flagged = CitationSet(recorded.flagged) if recorded else CitationSet()
    if decisions is not None:
        from .decisions import flagged_citations, read_decisions

        flagged |= flagged_citations(read_decisions(decisions))
    total = run.themes.get("participants_total") or 0
    by_theme: dict[str, list[dict[str, Any]]] = {}
    for row in run.passages:
        by_theme.setdefault(str(row.get("theme", "")), []).append(row)
    cards: list[dict[str, Any]] = []
    for theme in chosen:
        quotes = []
        for q in _standing_first(theme.get("quotes", [])):
            citation = f"{q['transcript']}:{q['start']}-{q['end']}"
            if citation not in flagged:
                quotes.append(_quote(q["transcript"], q["participant"], int(q["start"]), int(q["end"]), q["text"]))
        used = {q["citation"] for q in quotes}
        for row in sorted(by_theme.get(str(theme["id"]), []), key=lambda r: -int(r.get("words") or 0)):
            if len(quotes) >= quotes_per_card:
                break
            citation = f"{row['transcript']}:{row['start']}-{row['end']}"
            if citation in flagged or citation in used or row["participant"] in {q["participant"] for q in quotes}:
                continue
            quotes.append(_quote(row["transcript"], row["participant"], row["start"], row["end"], row["text"]))
            used.add(citation)
        cards.append({
            "number": len(cards) + 1, "theme": theme["id"], "label": theme["label"],
            "summary": _summary(theme), "named_by": _named_by(theme, run.passages), "words": _words(theme),
            "reach": _reach(theme.get("participants", 0), total),
            "quotes": quotes[:quotes_per_card],
        })
    return cards


def _choose_themes(run: RunFolder, themes: Sequence[int] | None, top: int | None) -> list[dict[str, Any]]:
    """The run's open themes to put on cards: all, the ones named, and/or the ``top`` by participants."""
    all_themes = run.themes.get("themes", [])
    closed = {int(t["id"]) for t in all_themes if t.get("status") in ("rejected", "merged")}
    open_themes = [t for t in all_themes if int(t["id"]) not in closed]
    if themes:
        by_id = {int(t["id"]): t for t in open_themes}
        unknown = [i for i in themes if int(i) not in by_id and int(i) not in closed]
        shut = [i for i in themes if int(i) in closed]
        if unknown or shut:
            known = ", ".join(str(i) for i in sorted(by_id)[:30]) + (" ..." if len(by_id) > 30 else "")
            problems = ([f"no theme {', '.join(map(str, unknown))} in this run"] if unknown else []) + (
                [f"theme {', '.join(map(str, shut))} was rejected or merged by a panel"] if shut else [])
            raise PanelError("; ".join(problems), path=run.path / "themes.json",
                             hint=f"choose from the open themes: {known}")
        open_themes = [by_id[int(i)] for i in dict.fromkeys(themes)]
    if top is not None:
        if top < 1:
            raise PanelError(f"--top must be 1 or more, not {top}", hint="e.g. --top 20")
        open_themes = sorted(open_themes, key=lambda t: (-int(t.get("participants") or 0), int(t["id"])))[:top]
    if len(open_themes) > MANY_CARDS:
        log.warning("%d cards is a long session for a panel; choose the themes to check with --top N or --themes "
                    "ID,ID,...", len(open_themes))
    return open_themes


#: Type sizes (screen, print) of standard and large-print cards; large print follows the UK Association
#: for Accessible Formats' 16-18 pt (print) and scales the headings with it.
SIZES = {False: ("1.15rem", "13pt", 13), True: ("1.6rem", "18pt", 18)}


def cards_html(cards: list[dict[str, Any]], *, large_print: bool = False, banner: str | None = None) -> str:
    """Printable HTML: an introduction page, then one card a page (PDF-ready from any browser's Print).

    Args:
        cards: From :func:`build_cards`.
        large_print: 18 pt print type (13 pt otherwise).
        banner: Stamped at the top of every card (``NOT FOR SHARING`` on drafts).
    """
    from jinja2 import Environment

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    screen, printed, _ = SIZES[large_print]
    return env.from_string(_HTML).render(cards=cards, size=screen, print_size=printed, banner=banner,
                                         measure="40rem" if large_print else "46rem")


_INTRO = ("Each card is one idea that came up again and again when we listened to people. Please tell us "
          "on the response sheet: does it ring true? What would you call it? What is missing? Is there a "
          "quote we should not use?")
_HOW = ("If you write the number of a quote under “Any quote that should not be used?”, we will not use that quote "
        "again. If two cards are really the same idea, write “same as card” and its number under “What would you call it?”.")


def cards_docx(cards: list[dict[str, Any]], *, large_print: bool = False, banner: str | None = None) -> bytes:
    """Word cards: one card a page; ``banner`` goes in every page's header and on every card."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt, RGBColor

    _, _, points = SIZES[large_print]
    from ..report.docx import set_a4

    doc = Document()
    set_a4(doc, margin_mm=15)  # the same page as cards.html prints on
    doc.core_properties.title = "Theme cards for the panel"
    doc.styles["Normal"].font.size = Pt(points)
    doc.styles["Normal"].font.name = "Arial"
    for name, scale in (("Heading 1", 1.6), ("Heading 2", 1.35), ("Heading 3", 1.1)):
        doc.styles[name].font.size = Pt(round(points * scale))
    if banner:
        for section in doc.sections:
            header = section.header.paragraphs[0]
            header.text = banner
            header.runs[0].bold = True

    def stamp() -> None:
        if banner:
            run = doc.add_paragraph().add_run(banner)
            run.bold = True
            run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)

    stamp()
    doc.add_heading("What we think we heard", level=1)
    doc.add_paragraph(_INTRO)
    doc.add_paragraph(_HOW)
    for c in cards:
        doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        stamp()
        doc.add_heading(f"Card {c['number']}: {c['label']}", level=2)
        doc.add_paragraph(c["summary"])
        if c.get("named_by"):
            doc.add_paragraph(c["named_by"])
        doc.add_paragraph(c["reach"])
        if c.get("words"):
            doc.add_paragraph().add_run(c["words"]).font.color.rgb = RGBColor(0x4A, 0x4A, 0x4A)
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
        [str(c["number"]), c["label"], "", "", "", "", sheet.theme_ref(c["theme"], c["label"]),
         sheet.quote_refs([q["citation"] for q in c["quotes"]])]
        for c in cards
    ]


def responses_csv(cards: list[dict[str, Any]], *, banner: str | None = None) -> str:
    """The response sheet as CSV (UTF-8 with a byte-order mark, so Excel opens it with accents intact).

    A draft's sheet starts with a ``banner`` row above the header; the import skips it.
    """
    buffer = io.StringIO()
    writer = GuardedWriter(buffer, lineterminator="\n")
    if banner:
        writer.writerow([banner])
    writer.writerow(sheet.COLUMNS)
    writer.writerows(_sheet_rows(cards))
    return "\ufeff" + buffer.getvalue()


def responses_xlsx(cards: list[dict[str, Any]], *, banner: str | None = None, large_print: bool = False) -> bytes:
    """The response sheet as Excel: a yes/partly/no/not sure drop-down, printable landscape on A4 one page
    wide. The header row and the two reference columns are greyed and locked (sheet protection without a
    password: it stops an accidental edit, and Excel says how to unprotect); each card's other cells stay
    open to type in, and columns and rows can still be resized and formatted. A draft's sheet starts with a ``banner`` row and
    carries it in every printed
    page's header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    if banner:
        ws.append([banner])
        ws.cell(row=1, column=1).font = Font(bold=True, color="B00020")
        ws.oddHeader.center.text = banner
    top = 2 if banner else 1
    ws.append(sheet.COLUMNS)
    for row in _sheet_rows(cards):
        append_row(ws, row)
    size = 14 if large_print else 11
    widths = [8, 30, 22, 30, 36, 24, 30, 40]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=top, column=i).column_letter].width = round(width * size / 11)
    for row in ws.iter_rows(min_row=top):
        for cell in row:
            cell.font = Font(bold=cell.row == top, size=size)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    grey = PatternFill("solid", fgColor="EEEEEE")
    references = range(len(sheet.COLUMNS) - 1, len(sheet.COLUMNS) + 1)
    open_cell = Protection(locked=False)
    for row in ws.iter_rows(min_row=top + 1, max_row=top + len(cards), max_col=len(sheet.COLUMNS)):
        for cell in row:
            if cell.column in references:
                cell.fill = grey  # locked, as every cell is unless opened
            else:
                cell.protection = open_cell
    ws.protection.sheet = True
    # What people may still do on the protected sheet: resize and format, sort and filter, select anything.
    for action in ("formatCells", "formatColumns", "formatRows", "sort", "autoFilter"):
        setattr(ws.protection, action, False)
    if cards:
        choices = ",".join(sheet.RINGS_CHOICES)
        rings = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        rings.error = "Please choose " + ", ".join(sheet.RINGS_CHOICES[:-1]) + " or " + sheet.RINGS_CHOICES[-1]
        ws.add_data_validation(rings)
        rings.add(f"C{top + 1}:C{top + len(cards)}")
    ws.freeze_panes = f"C{top + 1}"
    ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def make_pack(
    run_dir: str | Path | Analysis,
    out_dir: str | Path,
    *,
    large_print: bool = False,
    decisions: str | Path | None = None,
    quotes_per_card: int = QUOTES_PER_CARD,
    allow_unreviewed: bool = False,
    gate: PrivacyGate | None = None,
    themes: Sequence[int] | None = None,
    top: int | None = None,
) -> list[Path]:
    """Write cards.html, cards.docx, responses.xlsx and responses.csv into ``out_dir``, through the privacy gate.

    Args:
        run_dir: An :class:`~wisdoms.results.Analysis` (``wisdoms.run(...)`` in a notebook), or the folder
            ``wisdoms run`` wrote (only its ``themes.json``, ``passages.csv`` and ``manifest.json`` are read).
        out_dir: Where to write the pack.
        large_print: Bigger type on the cards and the sheet.
        decisions: An earlier panel's decisions: their withdrawn quotes are left out.
        quotes_per_card: Quotes on each card.
        allow_unreviewed: Private drafts only: write quotes the gate has not cleared, every card, Word page
            and sheet stamped NOT FOR SHARING (plus a NOT-FOR-SHARING.txt beside them).
        gate: A fitted :class:`~wisdoms.privacy.PrivacyGate` (default: the project's, with the run's spaCy model).
        themes: Only these theme ids, in this order.
        top: Only the ``top`` open themes heard from the most participants.

    Raises:
        ExportBlockedError: A card quote, label or panel-given name holds an unresolved finding, or a
            detector failed; nothing is written.
        RunFolderError: The run folder is incomplete.
        OutputError: ``out_dir`` exists and is not a folder.
        PanelError: A chosen theme is not open in the run, or ``top`` is under 1.
    """
    from ..privacy import NOT_FOR_SHARING
    from ..privacy.project import ProjectPrivacy

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputError("output path exists and is not a folder", path=out, hint="choose another --out")
    run = _run(run_dir)
    cards = build_cards(run, decisions=decisions, quotes_per_card=quotes_per_card, themes=themes, top=top)
    quotes = [Quote(q["transcript"], q["participant"], q["start"], q["end"], q["text"], q["citation"])
              for c in cards for q in c["quotes"]]

    def render(draft: bool) -> dict[str, str | bytes]:
        banner = NOT_FOR_SHARING if draft else None
        rendered: dict[str, str | bytes] = {
            "cards.html": cards_html(cards, large_print=large_print, banner=banner),
            "cards.docx": cards_docx(cards, large_print=large_print, banner=banner),
            "responses.xlsx": responses_xlsx(cards, banner=banner, large_print=large_print),
            "responses.csv": responses_csv(cards, banner=banner),
        }
        if draft:
            rendered["NOT-FOR-SHARING.txt"] = f"{NOT_FOR_SHARING}: these cards hold quotes the privacy gate has not cleared.\n"
        return rendered

    project, folder = ProjectPrivacy.from_manifest(run.manifest)
    rendered = release(quotes, render, lambda _: pack_scan_items(cards, out), where=str(out / "cards.html"),
                       allow_unreviewed=allow_unreviewed, gate=gate, settings=settings_from_manifest(run.manifest),
                       project=project, folder=folder, codebook=printed_codebook(run))
    out.mkdir(parents=True, exist_ok=True)
    written = [write_bytes(out / n, d) if isinstance(d, bytes) else write_text(out / n, d) for n, d in rendered.items()]
    log.info("wrote a panel pack of %d cards to %s", len(cards), out)
    return written


def pack_scan_items(cards: list[dict[str, Any]], out: Path) -> list[ScanItem]:
    """Every value the pack's four files print, for the final privacy scan.

    The cards, the Word file and both sheets are rendered only from these values and fixed wording
    (quote numbers and citations are ours): each quote, at its transcript offsets, and each card's
    label (the panel's own name for a renamed theme), summary, where its name comes from and its frequent words.
    """
    items = []
    for c in cards:
        for q in c["quotes"]:
            items.append(ScanItem(q["citation"].rsplit(":", 1)[0], q["text"], q["start"]))
        where = f"{out / 'cards.html'} (card {c['number']})"
        items.append(ScanItem(where, c["label"]))
        items.append(ScanItem(where, c["summary"]))
        for extra in ("named_by", "words"):
            if c.get(extra):
                items.append(ScanItem(where, c[extra]))
    return items
