"""``report.html``: one self-contained page (no network, no scripts needed) a convener can open from email.

The page is the report's sections (:mod:`.document`) mapped to HTML; the stylesheet (screen, phone and
A4 print) is in ``templates/report.html.j2``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markupsafe import escape

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

#: Every colour the page uses. Each (foreground, background) pair in :data:`COLOUR_PAIRS` meets WCAG AA.
PALETTE = {
    "ink": "#1b1b1b", "muted": "#4a4a4a", "line": "#767676", "accent": "#0b5394", "bg": "#ffffff",
    "soft": "#f3f6f9", "focus": "#ffbf47", "banner": "#b00020", "status_bg": "#fff4ce", "status_ink": "#4d3a00",
    "ok_bg": "#e6f4ea", "ok_ink": "#0d5f2c", "no_bg": "#fde8e8", "no_ink": "#8a1111", "flag_bg": "#fff4ce",
}
#: Text colour on background colour pairs used on the page, with the smallest contrast each must meet.
COLOUR_PAIRS = [
    ("ink", "bg", 4.5), ("muted", "bg", 4.5), ("accent", "bg", 4.5), ("ink", "soft", 4.5), ("muted", "soft", 4.5),
    ("accent", "soft", 4.5), ("bg", "banner", 4.5), ("status_ink", "status_bg", 4.5), ("ok_ink", "ok_bg", 4.5),
    ("no_ink", "no_bg", 4.5), ("ink", "flag_bg", 4.5), ("line", "bg", 3.0), ("accent", "bg", 3.0), ("ink", "focus", 4.5),
]
STATUS_STYLE = {"validated": "ok", "renamed": "ok", "rejected": "no", "merged": "no"}


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("wisdoms.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(analysis: Analysis, *, banner: str | None = None, group_by: str | None = None,
                view: ReportView | None = None, document: Report | None = None) -> str:
    """The report as one HTML page.

    Args:
        analysis: The run's results.
        banner: Text stamped at the top of the page (e.g. ``NOT FOR SHARING`` on private drafts).
        group_by: Participant attribute themes are broken down by (default: the one with most groups to show).
        view: The report's content, when already built (:func:`~wisdoms.report.view.build_view`).
        document: The report's sections, when already built (:func:`~wisdoms.report.document.build_document`).
    """
    from markupsafe import Markup

    from .charts import prevalence_chart
    from .document import build_document

    if document is None:
        document = build_document(view or build_view(analysis, group_by=group_by), chart=prevalence_chart)
    return _environment().get_template("report.html.j2").render(
        # page_body escapes every value it places (markupsafe.escape); only the chart SVG, drawn by us, goes in raw.
        v=document, palette=PALETTE, body=Markup(page_body(document, banner=banner)))  # noqa: S704


def page_body(report: Report, *, banner: str | None = None) -> str:
    """The ``<body>`` content: stamp, skip link, title, the first section, contents, then the other sections."""
    out = []
    if banner:
        out.append(f'<div class="banner" role="note">{escape(banner)}</div>')
    out.append('<a class="skip" href="#themes">Skip to the themes in detail</a>\n<main id="top">\n<header>')
    out.append(f"<h1>{escape(report.title)}</h1>")
    out.extend(_block(b, 0) for b in report.lead)
    out.append("</header>")
    first, *rest = report.sections
    out.append(_section(first, 0))
    items = "".join(f'<li><a href="#{escape(sid)}">{escape(text)}</a></li>' for sid, text in report.contents[1:])
    out.append(f'<nav aria-label="Contents">\n<h2>Contents</h2>\n<ul>{items}</ul>\n</nav>')
    out.extend(_section(s, 0) for s in rest)
    out.append("</main>")
    return "\n".join(out)


def _rich(parts: Rich) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(str(escape(part)))
            continue
        text = str(escape(part.text))
        if part.style == "status":
            tone = STATUS_STYLE.get(part.text, "") or part.tone
            text = f'<span class="status {tone}">{text}</span>'.replace('class="status "', 'class="status"')
        elif part.style == "hidden":  # words for screen readers only (an empty cell's meaning)
            text = f'<span class="visually-hidden">{text}</span>'
        elif part.style:
            text = f"<{part.style}>{text}</{part.style}>"
        out.append(f'<a href="{escape(part.href)}">{text}</a>' if part.href else text)
    return "".join(out)


def _section(section: Section, depth: int) -> str:
    level = depth + 2
    tag = "article" if section.kind == "theme" else "section"
    css = ' class="theme"' if section.kind == "theme" else ""
    heading_id = f"{section.id}-title" if section.kind == "theme" else f"{section.id}-heading"
    out = [f'<{tag}{css} id="{escape(section.id)}" aria-labelledby="{heading_id}">',
           f'<h{level} id="{heading_id}">{escape(section.title)}</h{level}>']
    out.extend(_block(b, depth) for b in section.blocks)
    out.append(f"</{tag}>")
    return "\n".join(out)


def _block(block: Block, depth: int) -> str:
    if isinstance(block, Section):
        return _section(block, depth + 1)
    if isinstance(block, Para):
        css = f' class="{block.role}"' if block.role else ""
        return f"<p{css}>{_rich(block.parts)}</p>"
    if isinstance(block, Heading):
        level = min(depth + 2 + block.level, 6)
        anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return f"<h{level}{anchor}>{escape(block.text)}</h{level}>"
    if isinstance(block, Bullets):
        tag = "ol" if block.ordered else "ul"
        return f"<{tag}>" + "".join(f"<li>{_rich(item)}</li>" for item in block.items) + f"</{tag}>"
    if isinstance(block, Facts):
        return ('<dl class="facts">' + "".join(f"<dt>{escape(k)}</dt><dd>{_rich(val)}</dd>" for k, val in block.items)
                + "</dl>")
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Quote):
        note = f" ({escape(block.note)})" if block.note else ""
        return (f"<blockquote>{escape(block.text)}\n<footer>— {escape(block.who) + ', ' if block.who else ''}<code>{escape(block.citation)}</code>"
                f"{note}</footer></blockquote>")
    if isinstance(block, Figure):
        anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return (f'<figure class="chart"{anchor}><div class="scroll chart-box" role="region" tabindex="0" '
                f'aria-label="{escape(block.chart.title)}">{block.chart.svg}</div>'
                f"<figcaption>{escape(block.caption)}</figcaption></figure>")
    if isinstance(block, ThemeSummary):
        level = min(depth + 3, 6)
        lines = "".join(f"<p>{_rich(line)}</p>" for line in block.lines)
        quote = _block(block.quote, depth) if block.quote else ""
        return f'<div class="glance"><h{level}>{_rich(block.title)}</h{level}>{lines}{quote}</div>'
    if isinstance(block, ScreenOnly):
        screen = "\n".join(_block(b, depth) for b in block.screen)
        paper = "\n".join(_block(b, depth) for b in block.paper)
        return f'<div class="screen-only">\n{screen}\n</div>\n<div class="print-only">\n{paper}\n</div>'
    raise TypeError(f"no HTML for {type(block).__name__}")


def _table(table: Table) -> str:
    css = ' class="matrix"' if table.wide else ""
    head = "".join(f'<th scope="col"{_num(i, table)}>{escape(h)}</th>' for i, h in enumerate(table.header))
    body = []
    for row in table.rows:
        cells = []
        for i, cell in enumerate(row):
            if i == 0:
                cells.append(f'<th scope="row">{_rich(cell)}</th>')
            else:
                cells.append(f"<td{_num(i, table)}>{_rich(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll" role="region" aria-labelledby="{escape(table.anchor)}" tabindex="0">\n<table{css}>\n'
            f'<caption id="{escape(table.anchor)}">{escape(table.caption)}</caption>\n<thead><tr>{head}</tr></thead>\n'
            "<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>\n</div>")


def _num(i: int, table: Table) -> str:
    return ' class="num"' if i in table.numeric else ""

