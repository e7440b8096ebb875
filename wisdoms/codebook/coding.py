"""Coding a table of free-text answers (CSV or JSONL) against a codebook, one row per (id, code)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._files import clear_read_errors, read_jsonl, write_text
from .._tables import GuardedDictReader, GuardedDictWriter
from ..errors import CodebookError
from ..ingest.text import PAGE_BREAKS, page_break_note, page_breaks_as_lines
from ..settings import Settings
from ._model import Codebook
from .decisions import Decision
from .evidence import Evidence
from .matching import CodeMatcher, EmbedFn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """One free-text answer: its id, text and the 1-based line or row it came from."""

    id: str
    text: str
    row: int


@clear_read_errors(CodebookError)
def read_answers(path: str | Path, *, text_column: str = "text", id_column: str = "id") -> list[Answer]:
    """Answers from a CSV (header row) or JSONL file; ids default to the row number when absent.

    Raises:
        CodebookError: Missing file, unknown suffix, invalid JSON, a missing text column or a duplicate id.
    """
    path = Path(path)
    if not path.is_file():
        raise CodebookError("input not found", path=path, hint="pass a .csv or .jsonl file of answers")
    records: list[tuple[int, dict]] = []
    if path.suffix.lower() == ".jsonl":
        records = [(number, item if isinstance(item, dict) else {}) for number, item in read_jsonl(path, CodebookError)]
    elif path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = GuardedDictReader(fh)
            if text_column not in (reader.fieldnames or []):
                raise CodebookError(f"no column {text_column!r}; columns are {reader.fieldnames}", path=path,
                                    line=1, hint="name the text column with --text-column")
            records = [(i, row) for i, row in enumerate(reader, start=2)]
    else:
        raise CodebookError(f"unknown input format {path.suffix!r}", path=path, hint="use .csv or .jsonl")
    answers: list[Answer] = []
    seen: dict[str, int] = {}
    for number, item in records:
        if text_column not in item:
            raise CodebookError(f"no {text_column!r} field", path=path, line=number,
                                hint="name the text field with --text-column")
        answer_id = str(item.get(id_column) or number)
        if answer_id in seen:
            raise CodebookError(f"duplicate id {answer_id!r} (first at line {seen[answer_id]})", path=path,
                                line=number, hint="give every answer a unique id, or name another --id-column")
        seen[answer_id] = number
        answers.append(Answer(answer_id, page_breaks_as_lines(str(item[text_column] or "")), number))
    broken = [number for number, item in records if PAGE_BREAKS.search(str(item.get(text_column) or ""))]
    if broken:
        found = [m.group() for _n, item in records for m in PAGE_BREAKS.finditer(str(item.get(text_column) or ""))]
        log.warning("%s: %s", path, page_break_note("line" if path.suffix.lower() == ".jsonl" else "row", broken, found))
    return answers


def code_answers(answers: Sequence[Answer], codebook: Codebook, embed: EmbedFn, *,
                 decisions: Sequence[Decision] = (), settings: Settings | None = None,
                 on_fit: Callable[[CodeMatcher], None] | None = None) -> list[dict]:
    """Rows ``id, code, score, assigned, evidence`` (an :class:`Evidence`) for every answer and active code,
    best first per answer.

    Each answer gets its best code assigned where it clears the threshold; further codes within the margin.
    An answer's codes depend only on it, the codebook and ``decisions``, not on the other answers, unless
    ``settings.learn_from_corpus`` asks to learn from them too (see :meth:`CodeMatcher.fit`). An answer of
    several clauses is scored clause by clause as well. ``on_fit`` is called with the fitted matcher (the CLI
    says from it what was learned).
    """
    texts = [a.text for a in answers]
    vectors = embed(texts)
    matcher = CodeMatcher(codebook, settings or Settings(), decisions=list(decisions)).fit(
        embed, corpus=vectors, corpus_texts=texts)
    if on_fit is not None:
        on_fit(matcher)
    scores, evidence = matcher.score(vectors, texts)
    chosen = matcher.assigned(scores)
    rows = []
    for r, answer in enumerate(answers):
        for c in sorted(range(len(matcher.codes_)), key=lambda c: -scores[r, c]):
            rows.append({"id": answer.id, "code": matcher.codes_[c].id, "score": round(float(scores[r, c]), 4),
                         "assigned": bool(chosen[r, c]), "evidence": evidence[r][c]})
    return rows


def write_coding(rows: Sequence[dict], path: str | Path) -> Path:
    """Write coding rows (``id, code, score, assigned, evidence``) as CSV, atomically."""
    return write_text(path, coding_csv(rows))


def coding_csv(rows: Sequence[dict], *, draft: str | None = None) -> str:
    """The coding CSV's text (:func:`write_coding`); in a draft, a last column ``draft`` holds the stamp on
    every row, so whoever opens any part of the table sees it."""
    buf = io.StringIO()
    columns = ["id", "code", "score", "assigned", "evidence", *(["draft"] if draft else [])]
    writer = GuardedDictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**r, "assigned": "true" if r["assigned"] else "false",
                      "evidence": r["evidence"].words() if isinstance(r["evidence"], Evidence) else r["evidence"],
                      **({"draft": draft} if draft else {})}
                     for r in rows)
    return buf.getvalue()
