"""``report.html``: one self-contained page (no network, no scripts needed) a convener can open from email."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import Analysis


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


def render_html(analysis: Analysis, *, banner: str | None = None) -> str:
    """The report as one HTML page.

    Args:
        analysis: The run's results.
        banner: Text stamped at the top of the page (e.g. ``NOT FOR SHARING`` on private drafts).
    """
    reasons: dict[str, int] = {}
    for u in analysis.unassigned:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    texts = {t.id: t.text for t in analysis.transcripts}
    unassigned = [
        {"citation": f"{u.transcript}:{u.start}-{u.end}", "participant": u.participant, "reason": u.reason,
         "text": texts[u.transcript][u.start:u.end]}
        for u in analysis.unassigned
    ]
    return _environment().get_template("report.html.j2").render(
        a=analysis,
        s=analysis.summary(),
        names={c.id: c.name for c in analysis.codebook.codes},
        reasons=sorted(reasons.items()),
        unassigned=unassigned,
        manifest=analysis.manifest,
        banner=banner,
    )
