"""``themes.json``: the documented, stable contract other tools read (schema ``wisdoms.themes/1``).

Only fields are ever added within a schema version; nothing is renamed or removed. Offsets are
Unicode code-point offsets into the transcript file's text as decoded; ``transcript`` is the file's
path relative to the transcripts folder. The document holds no timestamps, so the same input and
seed give a byte-identical file.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

from .._tables import GuardedWriter
from ..results import manifest_json
from .view import matrix_written_long

if TYPE_CHECKING:  # pragma: no cover
    from ..results import Analysis
    from .view import ReportView

SCHEMA = "wisdoms.themes/1"

__all__ = ["SCHEMA", "framework_matrix_csv", "manifest_json", "passages_csv", "themes_document", "themes_json"]


def themes_document(analysis: Analysis, *, suggestions: list[Any] | None = None) -> dict[str, Any]:
    """The ``themes.json`` document for an analysis; ``suggestions`` the draft codes when already made."""
    names = {c.id: c.name for c in analysis.codebook.codes}
    participants_of = {}
    for p in analysis.passages:
        participants_of[p.id] = p.participant
    themes = []
    for t in analysis.themes:
        counted = t.counted(participants_of)
        themes.append(
            {
                "id": t.id,
                "label": t.label,
                "fitted_label": t.fitted_label,
                "title_source": t.title_source,
                "origin": t.origin,
                "seed_code": t.seed_code,
                "suggested_code": t.suggested_code,
                "title_quote": ({"transcript": t.title_quote.transcript, "start": t.title_quote.start,
                                 "end": t.title_quote.end} if t.title_quote else None),
                "description": t.description,
                "subthemes": [_subtheme(st, counted, participants_of) for st in t.subthemes],
                "keywords": list(t.keywords),
                "status": t.status,
                "participants": t.participants,
                "passages": t.passages,
                "participant_ids": sorted(counted),
                "touched_by": t.touched_by,
                "codes": [
                    {"id": m.code, "name": names.get(m.code, m.code), "score": m.score, "evidence": m.evidence.words(),
                     "evidence_detail": m.evidence.to_dict()}
                    for m in t.codes
                ],
                "candidate_new_code": not t.codes,
                "quotes": [
                    {"transcript": q.transcript, "participant": q.participant, "start": q.start, "end": q.end,
                     "text": q.text}
                    for q in t.quotes
                ],
                "passage_ids": list(t.passage_ids),
            }
        )
    return {
        "schema": SCHEMA,
        "seed": analysis.manifest.get("seed"),
        "participants_total": len(analysis.participants),
        "passages_total": len(analysis.passages),
        "themes": themes,
        "unassigned": [
            {"transcript": u.transcript, "participant": u.participant, "start": u.start, "end": u.end,
             "reason": u.reason}
            for u in analysis.unassigned
        ],
        "codebook": {
            "name": analysis.codebook.name,
            "version": analysis.codebook.version,
            "coverage": [
                {"id": c.code, "name": c.name, "passages": c.passages, "participants": c.participants,
                 "themes": list(c.themes)}
                for c in analysis.coverage
            ],
            "codes_without_evidence": [c.code for c in analysis.uncovered_codes()],
            "candidate_new_codes": [t.id for t in analysis.candidate_new_codes()],
            "suggested_codes": _suggested_codes(analysis, suggestions),
        },
    }


def _subtheme(st: Any, counted: set[str], participants_of: dict[str, str]) -> dict[str, Any]:
    """A sub-theme in ``themes.json``: ``participants`` counts people by its theme's rule (those the theme is a real
    part of what they said, with a passage in the sub-theme), so never more than the theme; ``touched_by`` everyone
    with a passage in it."""
    ids = getattr(st, "passage_ids", ()) or ()
    touched = {participants_of[p] for p in ids if p in participants_of}
    return {"id": st.id, "label": st.label, "participants": len(touched & counted) if ids else st.participants,
            "touched_by": len(touched) if ids else st.participants, "passages": st.passages,
            "keywords": list(st.keywords)}


def _suggested_codes(analysis: Analysis, suggestions: list[Any] | None) -> list[dict[str, Any]]:
    """Draft codes for the themes no code covers (added within ``wisdoms.themes/1``; machine-suggested)."""
    from .view import code_suggestions

    if suggestions is None:
        suggestions = code_suggestions(analysis)
    return [
        {"theme": c.theme, "id": c.id, "name": c.name, "definition": c.definition, "status": "draft",
         "machine_suggested": True, "keywords": list(c.keywords), "participants": c.participants,
         "touched_by": c.touched_by, "passages": c.passages,
         "quotes": [{"transcript": q.transcript, "participant": q.participant, "start": q.start, "end": q.end,
                     "text": q.text} for q in c.quotes]}
        for c in suggestions
    ]


def themes_json(analysis: Analysis, *, draft: str | None = None, suggestions: list[Any] | None = None) -> str:
    """``themes.json`` text: sorted keys where order is not meaningful, UTF-8, trailing newline; a draft's
    stamp under ``draft``; ``suggestions`` the draft codes when already made."""
    doc = themes_document(analysis, suggestions=suggestions)
    if draft:
        doc["draft"] = draft
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def passages_csv(analysis: Analysis, *, draft: str | None = None) -> str:
    """``passages.csv``: one row per passage with its theme (or why it has none) and codes; in a draft, a last
    column ``draft`` with the stamp on every row, so whoever opens any part of the table sees it."""
    theme_of = {pid: t for t in analysis.themes for pid in t.passage_ids}
    reason_of = {u.passage: u.reason for u in analysis.unassigned}
    codes_of: dict[str, list[str]] = {}
    for m in analysis.matches:
        if m.target == "passage" and m.assigned:
            codes_of.setdefault(m.target_id, []).append(m.code)
    buffer = io.StringIO()
    writer = GuardedWriter(buffer, lineterminator="\n")
    stamp = [draft] if draft else []
    writer.writerow(["passage", "transcript", "participant", "start", "end", "words", "theme", "theme_label",
                     "not_in_theme_because", "codes", "text", *(["draft"] if draft else [])])
    for p in analysis.passages:
        theme = theme_of.get(p.id)
        writer.writerow([
            p.id, p.transcript, p.participant, p.start, p.end, p.words,
            "" if theme is None else theme.id, "" if theme is None else theme.label,
            reason_of.get(p.id, ""), ";".join(codes_of.get(p.id, [])), p.text, *stamp,
        ])
    return buffer.getvalue()


#: The header of the long form.
MATRIX_LONG_HEADER = ["participant", "theme", "theme_label", "quote", "citation"]


def framework_matrix_csv(view: ReportView, *, draft: str | None = None) -> str:
    """``framework-matrix.csv``: the whole framework matrix for a spreadsheet.

    One row per participant, one column per theme (rejected and merged themes left out, as in the
    reports), headed ``Theme <id>: <label>``; a cell is the person's longest passage in that theme cut to
    a few words, then its citation in brackets. An empty cell means they said nothing in that theme.

    Above :data:`~wisdoms.report.view.MATRIX_CSV_MAX_CELLS` cells (:func:`~wisdoms.report.view.matrix_written_long`) it is written
    long instead, one row per non-empty cell with
    the columns :data:`MATRIX_LONG_HEADER` (a pivot table turns it wide again). In a draft, a last column
    ``draft`` holds the stamp on every row.
    """
    stamp = [draft] if draft else []
    stamp_header = ["draft"] if draft else []
    buffer = io.StringIO()
    writer = GuardedWriter(buffer, lineterminator="\n")
    if matrix_written_long(view):
        writer.writerow(MATRIX_LONG_HEADER + stamp_header)
        order = {pid: i for i, pid in enumerate(view.matrix_people)}
        themes = {t.theme.id: (i, t.label) for i, t in enumerate(view.matrix_themes)}
        cells = sorted(((key, c) for key, c in view.matrix_cells.items() if key[1] in themes),
                       key=lambda item: (order.get(item[0][0], len(order)), themes[item[0][1]][0]))
        writer.writerows([pid, tid, themes[tid][1], short, citation, *stamp] for (pid, tid), (short, citation) in cells)
        return buffer.getvalue()
    writer.writerow(["participant", *(f"Theme {t.theme.id}: {t.label}" for t in view.matrix_themes), *stamp_header])
    column = {t.theme.id: i for i, t in enumerate(view.matrix_themes, start=1)}
    # Filled cells by person, then one row each: a survey fills one cell of hundreds a row, and looking up
    # every (person, theme) pair took 0.5 s at 10,000 people x 256 themes.
    filled: dict[str, list[tuple[int, str]]] = {}
    for (pid, tid), (short, citation) in view.matrix_cells.items():
        if tid in column:
            filled.setdefault(pid, []).append((column[tid], f"{short} ({citation})"))
    blank = [""] * (len(column) + 1) + stamp
    for pid in view.matrix_people:
        row = list(blank)
        row[0] = pid
        for at, cell in filled.get(pid, ()):
            row[at] = cell
        writer.writerow(row)
    return buffer.getvalue()
