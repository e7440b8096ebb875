"""``wisdoms code`` and ``wisdoms codebook review`` through the privacy gate (:mod:`wisdoms.privacy.release`).

The coding CSV prints each answer's id (never its words); the review sheet prints each answer's words and id.
Both are checked before the coding runs (the long step), so a refusal costs seconds, and written stamped
NOT FOR SHARING when released unreviewed, like every other output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import write_bytes, write_text
from .coding import Answer, coding_csv
from .decisions import review_sheet_content

#: How to resolve an identifier in an answer's id (the id column of a table of answers).
HOW_TO_RESOLVE_ANSWER_ID = (
    "give the answers pseudonym ids (pseudonymise the id column, or name another column with --id-column; without "
    "one the row number is the id), or, if it names no one, have a reviewer sign the id off "
    "('wisdoms privacy sign-off --input FOLDER --text \"<id>\" --by NAME') or add the term to privacy/allow.txt"
)


@dataclass(frozen=True)
class AnswerQuote:
    """A whole answer as the privacy gate reads a quote: its source is the answer's id, as ``wisdoms privacy
    scan`` names it, so sign-offs and kept findings made from a scan of the same file apply."""

    transcript: str
    start: int
    end: int
    text: str
    row: int = 0
    source_kind: str = "answer id"

    @property
    def place(self) -> str:
        """Where the answer is, for an error: its id and its line in the file (as the errors reading it count)."""
        return f"answer {self.transcript!r} (line {self.row})" if self.row else f"answer {self.transcript!r}"


def answer_quotes(answers: Sequence[Answer]) -> list[AnswerQuote]:
    """Every answer with words in it, as a quote of its whole text."""
    return [AnswerQuote(a.id, 0, len(a.text), a.text, a.row) for a in answers if a.text.strip()]


def release_coding(answers: Sequence[Answer], path: str | Path, coding: Callable[[], list[dict[str, Any]]], *,
                   input_path: str | Path, allow_unreviewed: bool = False, settings: Any = None, project: Any = None,
                   gate: Any = None, codebook: Any = None) -> list[dict[str, Any]]:
    """Write ``wisdoms code``'s CSV (``coding()``'s rows) through the privacy gate; returns the rows.

    Every answer id (the CSV's ``id`` column) is scanned before ``coding()`` runs, and the wording of
    ``codebook`` (the codes the CSV names) as the team's (:func:`~wisdoms.privacy.release.codebook_texts`); the
    answers' words are not (the CSV does not print them). With ``allow_unreviewed`` (private drafts only) the CSV is written with a
    ``draft`` column stamped NOT FOR SHARING on every row.

    Raises:
        ExportBlockedError: An answer id holds an unresolved identifier; nothing is coded or written.
    """
    from ..privacy.gate import NOT_FOR_SHARING
    from ..privacy.release import release

    rows: list[dict[str, Any]] = []

    def render(draft: bool) -> dict[str, str | bytes]:
        rows[:] = coding()
        return {"coding": coding_csv(rows, draft=NOT_FOR_SHARING if draft else None)}

    rendered = release([], render, lambda _: [], where=str(path), allow_unreviewed=allow_unreviewed, gate=gate,
                       settings=settings, project=project, folder=str(input_path), folder_printed=False,
                       ids=[("answer id", a.id) for a in answers], id_hint=HOW_TO_RESOLVE_ANSWER_ID,
                       codebook=codebook, render_when_blocked=False)
    write_text(path, str(rendered["coding"]))
    return rows


def release_review_sheet(answers: Sequence[Answer], path: str | Path, sheet: Callable[[], list[dict[str, Any]]], *,
                         input_path: str | Path, allow_unreviewed: bool = False, settings: Any = None,
                         project: Any = None, gate: Any = None, codebook: Any = None) -> list[dict[str, Any]]:
    """Write ``wisdoms codebook review``'s sheet (``sheet()``'s rows: answer id and words, code, score) through
    the privacy gate; returns the rows.

    Every answer's words and id are checked before ``sheet()`` runs, each answer as one quote (a sign-off of
    its text, or of a finding kept in ``wisdoms privacy apply``, clears it); the code names printed beside
    them are checked as the team's wording of ``codebook`` (scanned when rendered, without it). With
    ``allow_unreviewed`` (private drafts only) the sheet is written with a ``draft`` column stamped NOT FOR
    SHARING on every row.

    Raises:
        ExportBlockedError: An answer or its id holds an unresolved identifier; nothing is coded or written.
        CodebookError: The sheet's suffix is neither .csv nor .xlsx.
    """
    from ..privacy.gate import NOT_FOR_SHARING
    from ..privacy.release import ScanItem, release

    review_sheet_content([], path)  # an unknown suffix is refused before any work
    rows: list[dict[str, Any]] = []

    def render(draft: bool) -> dict[str, str | bytes]:
        rows[:] = sheet()
        return {"sheet": review_sheet_content(rows, path, draft=NOT_FOR_SHARING if draft else None)}

    def items(_rendered: dict[str, str | bytes]) -> list[ScanItem]:
        # The answers' words were checked as quotes; what else the sheet prints is the codebook's wording.
        names = dict.fromkeys(str(r.get("code_name") or "") for r in rows)
        return [ScanItem(f"{path} (code name)", name) for name in names if name]

    rendered = release(answer_quotes(answers), render, items, where=str(path), allow_unreviewed=allow_unreviewed,
                       gate=gate, settings=settings, project=project, folder=str(input_path), folder_printed=False,
                       ids=[("answer id", a.id) for a in answers], id_hint=HOW_TO_RESOLVE_ANSWER_ID,
                       codebook=codebook, render_when_blocked=False)
    content = rendered["sheet"]
    write_bytes(path, content) if isinstance(content, bytes) else write_text(path, content)
    return rows
