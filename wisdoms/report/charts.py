"""Charts drawn with matplotlib: the same picture as inline SVG (HTML) and PNG (Word), with text alternatives.

No analysis here: a chart is drawn from numbers the report already shows in a table, and its text
alternative states every one of them. matplotlib is used without pyplot (no global figure state, no GUI
backend) and its SVG is made safe to inline several times in one page: no XML prolog or metadata, ids
prefixed per chart, no clipping paths, text kept as text so it can be read and found.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from html import escape

from .blocks import Chart

BAR = "#0b5394"
INK = "#1b1b1b"
MUTED = "#4a4a4a"
#: Characters a bar's label keeps per line, and lines it keeps; longer titles end in "…" (the table beside
#: the chart and its text alternative carry them whole).
LABEL_CHARACTERS = 44
LABEL_LINES = 2


def _label(text: str) -> str:
    lines = textwrap.wrap(" ".join(text.split()), LABEL_CHARACTERS) or [""]
    if len(lines) > LABEL_LINES:
        lines = lines[:LABEL_LINES]
        lines[-1] = lines[-1][: LABEL_CHARACTERS - 1].rstrip() + "…"
    return "\n".join(lines)


def prevalence_chart(bars: Sequence[tuple[str, int]], total: int, *, title: str, alt: str, chart_id: str,
                     unit: str = "people") -> Chart:
    """Horizontal bars, one per theme in the given order (largest first), each ending in ``n of N``.

    Args:
        bars: (label, count of people) per bar, top to bottom.
        total: N, the number of people listened to (each bar ends in "n of N"; the axis runs to the longest bar).
        title: The chart's name.
        alt: Its text alternative (every number, in words).
        chart_id: Prefix for the SVG's ids, unique in the page.
        unit: What is counted, for the axis label.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = max(len(bars), 1)
    height = 0.55 + 0.3 * rows + 0.12 * sum(_label(b[0]).count("\n") for b in bars)
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": chart_id, "font.size": 10,
                     "font.family": "DejaVu Sans", "axes.edgecolor": MUTED, "text.color": INK,
                     "xtick.color": MUTED, "ytick.color": INK}):
        fig = Figure(figsize=(7.2, height), dpi=100)
        ax = fig.add_subplot()
        ys = list(range(len(bars)))
        counts = [n for _, n in bars]
        ax.barh(ys, counts, color=BAR, height=0.62)
        ax.set_yticks(ys, [_label(b[0]) for b in bars])
        ax.margins(y=0.6 / rows if rows > 1 else 0.3)
        ax.invert_yaxis()
        # The axis ends at the longest bar, not at N: in a survey of 10,000 the largest theme is a few hundred
        # people, and bars drawn against N would all be slivers; every bar says its "n of N".
        top = max(max(counts, default=0), 1)
        ax.set_xlim(0, top * 1.2)  # room for the "n of N" after the longest bar
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.set_xticks([x for x in ax.get_xticks() if 0 <= x <= top])
        ax.spines["bottom"].set_bounds(0, top)
        ax.set_xlabel(f"{unit.capitalize()} (of {total:,})", color=MUTED)
        for y, n in zip(ys, counts):
            ax.text(n + top * 0.01, y, f"{n:,} of {total:,}", va="center", ha="left", color=INK)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", length=3)
        fig.tight_layout(pad=0.4)
        svg = io.StringIO()
        # bbox_inches="tight": the saved picture grows to hold every label ("390 of 10,302" past the axes).
        fig.savefig(svg, format="svg", bbox_inches="tight", pad_inches=0.05,
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=200, bbox_inches="tight", pad_inches=0.05, metadata={"Software": None})
    return Chart(title=title, alt=alt, svg=_inline_svg(svg.getvalue(), title=title, alt=alt, chart_id=chart_id),
                 png=png.getvalue())


def _inline_svg(svg: str, *, title: str, alt: str, chart_id: str) -> str:
    """matplotlib's SVG file as an element to inline in HTML: no prolog, metadata, clip paths or xlink
    namespace, ids prefixed with ``chart_id``, ``role="img"`` and a ``<title>``/``<desc>`` it is labelled by."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<clipPath\b.*?</clipPath>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+clip-path="url\(#[^)]*\)"', "", svg)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{chart_id}-{m.group(1)}"', svg)
    # SVG 2's plain href (every current browser): no xlink namespace, so no URL but the SVG one in the page.
    svg = re.sub(r'(?:xlink:)?href="#([^"]+)"', lambda m: f'href="#{chart_id}-{m.group(1)}"', svg)
    svg = re.sub(r'\s+xmlns:xlink="[^"]*"', "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    head = svg.index(">")
    opening = svg[:head]
    opening = re.sub(r'\s(width|height)="([\d.]+)pt"', lambda m: f' {m.group(1)}="{round(float(m.group(2)) * 4 / 3)}"',
                     opening)
    labelled = (f'{opening} role="img" aria-labelledby="{chart_id}-t {chart_id}-d" focusable="false">'
                f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(alt)}</desc>')
    return labelled + svg[head + 1:].strip()
