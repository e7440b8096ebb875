"""The release gate: the one path every output (reports, panel packs, REFI-QDA) takes out of wisdoms.

It lives with the privacy gate it drives (``STYLE.md``: "privacy ... the release gate lives here"); the
writers in :mod:`wisdoms.report` and :mod:`wisdoms.panel` render, this module decides what may be written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExportBlockedError
from ..models import is_row_id

if TYPE_CHECKING:  # pragma: no cover
    from .gate import PrivacyGate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanItem:
    """One value the final privacy scan reads: its text, where it comes from, and the offset of its
    first character there (so a hit in a transcript turn is reported at the transcript's own offsets).

    ``verbatim`` marks participants' words held under another name than their transcript's (a source in a
    .qdpx): the team's codebook wording excuses nothing there (an item placed in a transcript is verbatim too).
    """

    where: str
    text: str
    offset: int = 0
    verbatim: bool = False


def codebook_texts(codebook: Any) -> list[tuple[str, str]]:
    """The research team's own wording a codebook puts into outputs, as ``(kind, value)`` pairs for
    :meth:`~wisdoms.privacy.gate.PrivacyGate.check_team_texts`: its name, and each code's id, name, definition,
    include and exclude notes (the kinds say which code: ``code name t07``). Examples are left to the outputs'
    own scan: they are often a participant's words."""
    if codebook is None:
        return []
    out = [("codebook name", str(codebook.name or ""))]
    for code in codebook.codes:
        out += [("code id", str(code.id)), (f"code name {code.id}", str(code.name or "")),
                (f"code definition {code.id}", str(code.definition or "")),
                (f"code include note {code.id}", str(getattr(code, "include", "") or "")),
                (f"code exclude note {code.id}", str(getattr(code, "exclude", "") or ""))]
    return [(kind, value) for kind, value in out if value.strip()]


@dataclass(frozen=True)
class _Problems:
    """Everything one release found, in its four groups, so one blocked run lists them all (and a draft
    reports the same totals)."""

    ids: list[tuple[str, str, Any]]
    team: list[tuple[str, str, Any]]
    quotes: list[Any]  # BlockedQuote
    rendered: list[tuple[ScanItem, Any]]

    def __bool__(self) -> bool:
        return bool(self.ids or self.team or self.quotes or self.rendered)

    def terms(self) -> set[str]:
        """The distinct terms a person decides on (type and words, case aside): a place named 30 times is one."""
        found = [f for _k, _v, f in self.ids] + [f for _k, _v, f in self.team]
        found += [f for b in self.quotes for f in b.findings] + [f for _i, f in self.rendered]
        return {_term(f) for f in found}

    def summary(self) -> str:
        """The totals in words, the same in a blocked run's error and a draft's warning."""
        parts = []
        if self.ids:
            parts.append(f"{len(self.ids)} in file names or participant ids")
        if self.team:
            parts.append(f"{len(self.team)} in the codebook's wording")
        if self.quotes:
            parts.append(f"{len(self.quotes)} unreviewed quote(s) with {sum(len(b.findings) for b in self.quotes)} finding(s)")
        if self.rendered:
            parts.append(f"{len(self.rendered)} finding(s) elsewhere in the rendered output")
        return f"{len(self.terms())} distinct term(s) to decide, found {', '.join(parts)}"


def _term_lines(hits: Sequence[tuple[str, Any, str]], limit: int = 50) -> list[str]:
    """``(type, finding, where)`` listed once per distinct term, with how often and where first."""
    by_term: dict[str, list[tuple[str, Any, str]]] = {}
    for kind, f, where in hits:
        by_term.setdefault(_term(f), []).append((kind, f, where))
    lines = []
    for seen in list(by_term.values())[:limit]:
        kind, f, where = seen[0]
        times = f" ({len(seen)} times; first {where})" if len(seen) > 1 else f" ({where})"
        lines.append(f"    - {kind} {f.text!r}{times}: {f.reason}")
    if len(by_term) > limit:
        lines.append(f"    ... and {len(by_term) - limit} more term(s)")
    return lines


def _term(finding: Any) -> str:
    """The term a person decides on: the finding's words, case and spacing aside ("Dublin" read as a place in
    one sentence and a name in the next is one term)."""
    return " ".join(finding.text.split()).casefold()


def _blocked_message(problems: _Problems, codebook_path: str | None) -> str:
    """One message listing every problem, grouped: ids, the codebook's wording, quotes, the rendered output."""
    out = [f"blocked by {problems.summary()}; nothing was written:"]
    if problems.ids:
        out.append(f"  file names, folder names and participant ids (every output prints them): {len(problems.ids)}")
        out += [f"    - {f.type} {f.text!r} in the {kind} {value!r} ({f.reason})" for kind, value, f in problems.ids[:50]]
    if problems.team:
        book = f" ({codebook_path})" if codebook_path else ""
        out.append(f"  the codebook's wording{book}: {len(problems.team)}")
        out += [f"    - {f.type} {f.text!r} in the {kind} {value!r} ({f.reason})" for kind, value, f in problems.team[:50]]
    if problems.quotes:
        out.append(f"  quotes holding identifiers nobody has signed off: {len(problems.quotes)}")
        out += [f"    - {b.message}" for b in problems.quotes[:50]]
        if len(problems.quotes) > 50:
            out.append(f"    ... and {len(problems.quotes) - 50} more quote(s)")
    if problems.rendered:
        terms = {_term(f) for _i, f in problems.rendered}
        out.append(f"  elsewhere in the rendered output (participants' turns, attributes, labels): "
                   f"{len(problems.rendered)} finding(s) of {len(terms)} distinct term(s)")
        out += _term_lines([(f.type, f, f"at {i.where}:{f.start + i.offset}-{f.end + i.offset}: "
                             f"...{i.text[max(0, f.start - 40):f.end + 40]!r}...") for i, f in problems.rendered])
    return "\n".join(out)


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
    codebook: Any = None,
    render_when_blocked: bool = True,
) -> dict[str, str | bytes]:
    """The one path every output (reports, panel packs, REFI-QDA) takes through the privacy gate.

    1. Every file name, folder name and participant id the outputs print (of ``quotes`` and ``transcripts``,
       and any further ``ids``: ``(kind, value)`` pairs such as a theme's source file) is scanned
       (:meth:`PrivacyGate.check_ids`); so is the wording of ``codebook`` (the team's codebook the outputs
       print: :func:`codebook_texts`, :meth:`PrivacyGate.check_team_texts`), as ids are: a name, phone number
       or email there blocks, an uncommon lower-case word does not.
    2. Every quote (anything with ``transcript``, ``start``, ``end``, ``text``) is checked.
    3. ``render(draft)`` makes the files; with ``draft`` they must carry :data:`~wisdoms.privacy.NOT_FOR_SHARING`.
    4. Every value ``scan_items`` names in the rendered files is scanned again; a hit inside a signed-off
       quote, or inside the codebook's wording (checked in step 1) outside participants' words, is excused.

    Every step runs before anything is decided, so one blocked run lists every problem at once, grouped
    (ids, codebook, quotes, rendered output), with the number of distinct terms to decide; a draft reports
    the same totals. Where rendering is the costly work itself (``wisdoms code`` codes every answer in it) and
    its scan could add nothing found before, ``render_when_blocked=False`` stops before it. The error ends
    with what to do for each group (``id_hint``, default: how to rename a file or give a participant a
    pseudonym id; then the codebook's; then the review and sign-off commands).

    ``transcripts`` (anything with ``id`` and ``text``) are the whole texts the quotes come from: the gate
    decides lower-case (speech-to-text) mode per transcript from them, else per quote source.

    ``spans`` are further quote-like spans (whole turns of a transcript exported whole) that are not
    checked as quotes but, when a reviewer signed their exact text off, clear hits inside them in step 4.

    ``project`` (:class:`~wisdoms.privacy.project.ProjectPrivacy`) says where the project's name list,
    allow-list and sign-offs are when the gate cannot find them from ``transcripts``; ``folder`` is the
    transcripts folder (or the file of answers), for the commands the errors suggest. Its name is scanned
    with the ids unless ``folder_printed`` is false (an output that never prints where its input was).

    A detector failure stops the export at any step, drafts included (fail closed). With
    ``allow_unreviewed`` (private drafts only) unresolved findings are written, logged, and stamped.

    Returns:
        The rendered files, cleared for writing.

    Raises:
        ExportBlockedError: An unresolved finding, or a detector failure; nothing may be written.
    """
    from .gate import PrivacyGate, how_to_resolve

    gate = gate if gate is not None else PrivacyGate(settings=settings, transcripts=transcripts, project=project).fit()
    root = folder or gate.folder
    hint = how_to_resolve(root)
    # File names, folder names and participant ids are printed in citations, attributions, source names and
    # the manifest: checked like the rest, drafts included (a draft is stamped, not silent).
    named = list(ids) + output_ids(quotes, transcripts)
    if root and folder_printed:  # the manifest records the transcripts folder: its own name and its parent's are printed too
        named.append(("folder name", "/".join(Path(root).parts[-2:])))
    id_hits = gate.check_ids(named)
    team = codebook_texts(codebook)
    team_hits = gate.check_team_texts(team)
    result = gate.check(list(quotes), allow_unreviewed=allow_unreviewed)
    if result.errors:  # a detector failed: nothing is cleared, drafts included
        result.raise_if_blocked(where=where, hint=hint)
    early = _Problems(id_hits, team_hits, list(result.blocked), [])
    if early and not allow_unreviewed and not render_when_blocked:
        _raise_blocked(early, codebook, where, hint, id_hint, root)
    # Blocked or not, the output is rendered and scanned, so every problem is listed at once; a blocked
    # output is rendered clean (no stamp) and never written.
    rendered = render(allow_unreviewed)
    items = list(scan_items(rendered))
    known = {t.id for t in transcripts} | {q.transcript for q in quotes}
    places = [(i.where, i.offset) if i.where in known else (None, None) for i in items]
    # Returned rather than raised, so the hits are listed at their offsets below; a detector failure still raises.
    found = gate.scan_rendered_many([(i.where, i.text) for i in items], quotes=[*quotes, *spans], allow_unreviewed=True,
                                    places=places)
    seen = {(f.source, f.start, f.end) for b in result.blocked for f in b.findings}
    hits: list[tuple[ScanItem, Any]] = [
        (item, f) for item, fs in zip(items, found) for f in fs
        if (item.where, f.start + item.offset, f.end + item.offset) not in seen  # listed with its quote
        and (item.verbatim or item.where in known or not _in_team_text(item.text, f.start, f.end, team))]
    problems = _Problems(id_hits, team_hits, list(result.blocked), hits)
    if problems and not allow_unreviewed:
        _raise_blocked(problems, codebook, where, hint, id_hint, root)
    if problems:
        log.warning("private draft with %s: stamped NOT FOR SHARING", problems.summary())
    return rendered


def _raise_blocked(problems: _Problems, codebook: Any, where: str, hint: str, id_hint: str | None,
                   root: str | None) -> None:
    """Stop the export: every problem listed, then what to do about each group."""
    from .gate import HOW_TO_RESOLVE_ID

    hints = [(id_hint or HOW_TO_RESOLVE_ID).replace("FOLDER", root or "FOLDER")] if problems.ids else []
    if problems.team:
        hints.append("edit the codebook's wording (a code needs no person's name, number or address), or, if "
                     "the term names no one, add it to the project's privacy/allow.txt")
    if problems.quotes or problems.rendered:
        hints.append(hint)
    raise ExportBlockedError(_blocked_message(problems, getattr(codebook, "path", None)), path=where,
                             hint=hints[0] if len(hints) == 1 else "".join(f"\n    - {h}" for h in hints))


def _in_team_text(text: str, start: int, end: int, team: Sequence[tuple[str, str]]) -> bool:
    """Whether ``text[start:end]`` lies inside a whole-word occurrence of the team's wording (a code name,
    the codebook's name) in ``text``: those words were checked as the team's (:func:`codebook_texts`)."""
    for _kind, value in team:
        value = value.strip()
        if len(value) < end - start:
            continue
        for m in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text[max(0, end - len(value)):start + len(value)]):
            at = max(0, end - len(value)) + m.start()
            if at <= start and end <= at + len(value):
                return True
    return False


def output_ids(quotes: Sequence[Any], transcripts: Sequence[Any] = ()) -> list[tuple[str, str]]:
    """The file names, folder names and participant ids outputs print: each quote's transcript (its path in
    the transcripts folder, or what its ``source_kind`` says it is: an answer's id) and participant, and each
    transcript's id and participants. An id wisdoms made for a table's row (:func:`~wisdoms.models.row_id`: the
    file's name, already checked, and a line number) is not checked again: its row number is no identifier."""
    out: list[tuple[str, str]] = []
    for t in transcripts:
        out.append(("file name", str(t.id)))
        out += [("participant id", str(pid)) for pid in getattr(t, "participants", {}) or {} if not is_row_id(str(pid), str(t.id))]
    for q in quotes:
        source = str(getattr(q, "transcript", "") or "")
        out.append((getattr(q, "source_kind", "file name"), source))
        pid = getattr(q, "participant", None)
        if pid and not is_row_id(str(pid), source):
            out.append(("participant id", str(pid)))
    return list(dict.fromkeys(out))
