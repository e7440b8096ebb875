"""The release gate: the one path every output (reports, panel packs, REFI-QDA) takes out of wisdoms.

It lives with the privacy gate it drives (``STYLE.md``: "privacy ... the release gate lives here"); the
writers in :mod:`wisdoms.report` and :mod:`wisdoms.panel` render, this module decides what may be written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ExportBlockedError

if TYPE_CHECKING:  # pragma: no cover
    from .gate import PrivacyGate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanItem:
    """One value the final privacy scan reads: its text, where it comes from, and the offset of its
    first character there (so a hit in a transcript turn is reported at the transcript's own offsets)."""

    where: str
    text: str
    offset: int = 0


def release(
    quotes: Sequence[Any],
    render: Callable[[bool], dict[str, str | bytes]],
    scan_items: Callable[[dict[str, str | bytes]], Iterable[ScanItem]],
    *,
    where: str,
    allow_unreviewed: bool = False,
    gate: PrivacyGate | None = None,
    settings: Any = None,
    spans: Sequence[Any] = (),
    transcripts: Sequence[Any] = (),
) -> dict[str, str | bytes]:
    """The one path every output (reports, panel packs, REFI-QDA) takes through the privacy gate.

    1. Every quote (anything with ``transcript``, ``start``, ``end``, ``text``) is checked; one with an
       unresolved finding stops the export, and the error lists each such quote, its transcript and
       offsets, the findings, and the review and sign-off commands that resolve it.
    2. ``render(draft)`` makes the files; with ``draft`` they must carry :data:`~wisdoms.privacy.NOT_FOR_SHARING`.
    3. Every value ``scan_items`` names in the rendered files is scanned again; any hit outside a
       signed-off quote stops the export, all hits listed at once.

    ``transcripts`` (anything with ``id`` and ``text``) are the whole texts the quotes come from: the gate
    decides lower-case (speech-to-text) mode per transcript from them, else per quote source.

    ``spans`` are further quote-like spans (whole turns of a transcript exported whole) that are not
    checked as quotes but, when a reviewer signed their exact text off, clear hits inside them in step 3.

    A detector failure stops the export at either step, drafts included (fail closed). With
    ``allow_unreviewed`` (private drafts only) unresolved findings are written, logged, and stamped.

    Returns:
        The rendered files, cleared for writing.

    Raises:
        ExportBlockedError: An unresolved finding, or a detector failure; nothing may be written.
    """
    from .gate import HOW_TO_RESOLVE, PrivacyGate

    gate = gate if gate is not None else PrivacyGate(settings=settings, transcripts=transcripts).fit()
    result = gate.check(list(quotes), allow_unreviewed=allow_unreviewed)
    result.raise_if_blocked(where=where)  # in a draft this raises only when a detector failed
    rendered = render(allow_unreviewed)
    items = list(scan_items(rendered))
    # Returned rather than raised, so the hits are listed at their offsets below; a detector failure still raises.
    found = gate.scan_rendered_many([(i.where, i.text) for i in items], quotes=[*quotes, *spans], allow_unreviewed=True)
    hits: list[tuple[ScanItem, Any]] = [(item, f) for item, fs in zip(items, found) for f in fs]
    if hits and not allow_unreviewed:
        listed = "\n".join(
            f"  - {f.type} {f.text!r} at {i.where}:{f.start + i.offset}-{f.end + i.offset} ({f.detector}): "
            f"...{i.text[max(0, f.start - 40):f.end + 40]!r}..." for i, f in hits[:50])
        more = f"\n  ... and {len(hits) - 50} more" if len(hits) > 50 else ""
        raise ExportBlockedError(f"the rendered output holds {len(hits)} unresolved identifier(s); nothing was written:"
                                 f"\n{listed}{more}", path=where, hint=HOW_TO_RESOLVE)
    if result.blocked or hits:
        log.warning("private draft with %d unreviewed quote(s) and %d unresolved identifier(s): stamped NOT FOR SHARING",
                    len(result.blocked), len(hits))
    return rendered
