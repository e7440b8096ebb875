"""``report.html``: one self-contained page (no network, no scripts needed) a convener can open from email."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .charts import group_chart_svg
from .view import SUPPRESSED, ReportView, build_view

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
                view: ReportView | None = None) -> str:
    """The report as one HTML page.

    Args:
        analysis: The run's results.
        banner: Text stamped at the top of the page (e.g. ``NOT FOR SHARING`` on private drafts).
        group_by: Participant attribute the per-theme charts break down by (default: ``area`` or a similar one).
        view: The report's content, when already built (:func:`~wisdoms.report.view.build_view`).
    """
    from markupsafe import Markup

    view = view or build_view(analysis, group_by=group_by)
    charts = {}
    for v in view.themes:
        if view.group_by and v.groups:
            charts[v.theme.id] = Markup(group_chart_svg(
                v.groups, title=f"Who raised {v.label}, by {view.group_by.replace('_', ' ')}", desc=v.chart_alt,
                chart_id=f"chart-{v.theme.id}",
            ))
    return _environment().get_template("report.html.j2").render(
        v=view, s=view.summary, charts=charts, palette=PALETTE, status_style=STATUS_STYLE,
        suppressed=SUPPRESSED, banner=banner,
    )
