"""Small numbers, in one place: any count of people under :data:`~wisdoms.models.SMALL_NUMBER` in a breakdown by
participant group is shown as ``fewer than 5``, and where exactly one group is suppressed the next smallest is too,
so the hidden number cannot be worked out from the total. The reports (:mod:`wisdoms.report.view`) and the
notebook's plots (:mod:`wisdoms.plots`) both suppress through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import SMALL_NUMBER

SUPPRESSED = f"fewer than {SMALL_NUMBER}"
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class GroupRow:
    """One group in a breakdown: ``shown`` is the count, or ``fewer than 5``."""

    group: str
    people: int = field(repr=False)
    shown: str
    suppressed: bool
    extra: dict[str, str] = field(default_factory=dict)


def breakdown(counts: dict[str, int], *, extra: dict[str, dict[str, str]] | None = None,
              hide_zero: bool = False) -> list[GroupRow]:
    """Rows for a breakdown of people by group, small numbers suppressed (with one secondary suppression).

    ``hide_zero``: a count of 0 is hidden too (in a table of themes by group, "none of them" is a count under 5
    like any other)."""
    rows = []
    small = {g for g, n in counts.items() if (hide_zero or n > 0) and n < SMALL_NUMBER}
    if len(small) == 1:
        others = sorted((n, g) for g, n in counts.items() if g not in small and n > 0)
        if others:
            small.add(others[0][1])
    for group in sorted(counts, key=lambda g: (g == NOT_RECORDED, g)):
        n = counts[group]
        hidden = group in small
        info = dict((extra or {}).get(group, {}))
        if hidden:
            info = {k: "not shown for small groups" for k in info}
        rows.append(GroupRow(group, n, SUPPRESSED if hidden else f"{n:,}", hidden, info))
    return rows
