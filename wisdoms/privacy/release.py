"""The release gate: the one path every output (reports, panel packs, REFI-QDA) takes out of wisdoms.

It lives with the privacy gate it drives (``STYLE.md``: "privacy ... the release gate lives here"); the
writers in :mod:`wisdoms.report` and :mod:`wisdoms.panel` render, this module decides what may be written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    ids: Sequence[tuple[str, str]] = (),
    project: Any = None,
    folder: str | None = None,
    folder_printed: bool = True,
    id_hint: str | None = None,
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

    Before step 1, every file name, folder name and participant id the outputs print (of ``quotes`` and
    ``transcripts``, and any further ``ids``: ``(kind, value)`` pairs such as a theme's source file) is scanned
    (:meth:`PrivacyGate.check_ids`); a finding there stops the export like one in a quote, its error ending
    with ``id_hint`` (default: how to rename a file or give a participant a pseudonym id).

    ``project`` (:class:`~wisdoms.privacy.project.ProjectPrivacy`) says where the project's name list,
    allow-list and sign-offs are when the gate cannot find them from ``transcripts``; ``folder`` is the
    transcripts folder (or the file of answers), for the commands the errors suggest. Its name is scanned
    with the ids unless ``folder_printed`` is false (an output that never prints where its input was).

    A detector failure stops the export at either step, drafts included (fail closed). With
    ``allow_unreviewed`` (private drafts only) unresolved findings are written, logged, and stamped.

    Returns:
        The rendered files, cleared for writing.

    Raises:
        ExportBlockedError: An unresolved finding, or a detector failure; nothing may be written.
    """
    from .gate import HOW_TO_RESOLVE_ID, PrivacyGate, how_to_resolve

    gate = gate if gate is not None else PrivacyGate(settings=settings, transcripts=transcripts, project=project).fit()
    hint = how_to_resolve(folder or gate.folder)
    # File names, folder names and participant ids are printed in citations, attributions, source names and
    # the manifest: checked before anything else, drafts included (a draft is stamped, not silent).
    named = list(ids) + output_ids(quotes, transcripts)
    root = folder or gate.folder
    if root and folder_printed:  # the manifest records the transcripts folder: its own name and its parent's are printed too
        named.append(("folder name", "/".join(Path(root).parts[-2:])))
    id_hits = gate.check_ids(named)
    if id_hits and not allow_unreviewed:
        listed = "\n".join(f"  - {f.type} {f.text!r} in the {kind} {value!r} ({f.reason})" for kind, value, f in id_hits[:50])
        raise ExportBlockedError(f"{len(id_hits)} identifier(s) in file names or participant ids, which every output "
                                 f"prints; nothing was written:\n{listed}", path=where,
                                 hint=(id_hint or HOW_TO_RESOLVE_ID).replace("FOLDER", (folder or gate.folder or "FOLDER")))
    result = gate.check(list(quotes), allow_unreviewed=allow_unreviewed)
    result.raise_if_blocked(where=where, hint=hint)  # in a draft this raises only when a detector failed
    rendered = render(allow_unreviewed)
    items = list(scan_items(rendered))
    known = {t.id for t in transcripts} | {q.transcript for q in quotes}
    places = [(i.where, i.offset) if i.where in known else (None, None) for i in items]
    # Returned rather than raised, so the hits are listed at their offsets below; a detector failure still raises.
    found = gate.scan_rendered_many([(i.where, i.text) for i in items], quotes=[*quotes, *spans], allow_unreviewed=True,
                                    places=places)
    hits: list[tuple[ScanItem, Any]] = [(item, f) for item, fs in zip(items, found) for f in fs]
    if hits and not allow_unreviewed:
        listed = "\n".join(
            f"  - {f.type} {f.text!r} at {i.where}:{f.start + i.offset}-{f.end + i.offset} ({f.reason}): "
            f"...{i.text[max(0, f.start - 40):f.end + 40]!r}..." for i, f in hits[:50])
        more = f"\n  ... and {len(hits) - 50} more" if len(hits) > 50 else ""
        raise ExportBlockedError(f"the rendered output holds {len(hits)} unresolved identifier(s); nothing was written:"
                                 f"\n{listed}{more}", path=where, hint=hint)
    if result.blocked or hits or id_hits:
        log.warning("private draft with %d unreviewed quote(s), %d unresolved identifier(s) and %d in file names or "
                    "ids: stamped NOT FOR SHARING", len(result.blocked), len(hits), len(id_hits))
    return rendered


def output_ids(quotes: Sequence[Any], transcripts: Sequence[Any] = ()) -> list[tuple[str, str]]:
    """The file names, folder names and participant ids outputs print: each quote's transcript (its path in
    the transcripts folder, or what its ``source_kind`` says it is: an answer's id) and participant, and each
    transcript's id and participants."""
    out: list[tuple[str, str]] = []
    for t in transcripts:
        out.append(("file name", str(t.id)))
        out += [("participant id", str(pid)) for pid in getattr(t, "participants", {}) or {}]
    for q in quotes:
        out.append((getattr(q, "source_kind", "file name"), str(getattr(q, "transcript", "") or "")))
        pid = getattr(q, "participant", None)
        if pid:
            out.append(("participant id", str(pid)))
    return list(dict.fromkeys(out))
