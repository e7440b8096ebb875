"""Inline SVG charts: who a theme came from, by participant group. No scripts, no fonts to fetch.

Suppressed groups (``fewer than 5``) get no bar, only the words, so the bar length cannot give the
number away.
"""

from __future__ import annotations

from html import escape

from .view import GroupRow

BAR = "#0b5394"
INK = "#1b1b1b"
MUTED = "#4a4a4a"
ROW = 26
LABEL_WIDTH = 170
BAR_WIDTH = 260


def group_chart_svg(groups: list[GroupRow], *, title: str, desc: str, chart_id: str) -> str:
    """A horizontal bar chart as an ``<svg>`` element with ``<title>``/``<desc>`` for screen readers."""
    visible = [g.people for g in groups if not g.suppressed]
    top = max(visible) if visible else 1
    height = ROW * max(len(groups), 1) + 8
    width = LABEL_WIDTH + BAR_WIDTH + 110
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for i, g in enumerate(groups):
        y = 4 + i * ROW
        label = g.group if len(g.group) <= 24 else g.group[:23] + "…"
        out.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="{INK}">{escape(label)}</text>')
        if g.suppressed:
            out.append(f'<text x="{LABEL_WIDTH}" y="{y + 17}" font-size="13" font-style="italic" fill="{MUTED}">{escape(g.shown)}</text>')
        else:
            w = max(2, round(BAR_WIDTH * g.people / top))
            out.append(f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{w}" height="{ROW - 8}" fill="{BAR}"/>')
            out.append(f'<text x="{LABEL_WIDTH + w + 6}" y="{y + 17}" font-size="13" fill="{INK}">{escape(g.shown)}</text>')
    out.append("</svg>")
    return "".join(out)
