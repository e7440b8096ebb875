"""People's decisions on matches (confirm or reject, with who and when), and the review sheet.

Decisions live in a YAML or CSV file that only grows; the review sheet (CSV or XLSX) lists the tool's
suggestions with an empty ``decision`` column for a researcher to fill in and import back.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from .._files import clear_read_errors, write_bytes, write_text
from .._tables import GuardedDictReader, GuardedDictWriter, GuardedWriter, append_row, read_csv_rows, read_xlsx_rows
from ..errors import CodebookError

VERDICTS = ("confirm", "reject")
DECISION_COLUMNS = ("target_id", "code", "verdict", "text", "who", "when")
REVIEW_COLUMNS = ("target_id", "text", "code", "code_name", "score", "suggested", "decision", "who", "when")
_SAYINGS = {"confirm": "confirm", "confirmed": "confirm", "yes": "confirm", "y": "confirm", "1": "confirm",
            "true": "confirm", "reject": "reject", "rejected": "reject", "no": "reject", "n": "reject",
            "0": "reject", "false": "reject"}


@dataclass(frozen=True)
class Decision:
    """A person's verdict on one (text, code) pair.

    Attributes:
        target_id: Passage or answer id.
        code: Code id.
        verdict: ``confirm`` or ``reject``.
        text: The passage text (what the matcher learns from).
        who: The person who decided.
        when: ISO date or timestamp of the decision.
    """

    target_id: str
    code: str
    verdict: str
    text: str
    who: str = ""
    when: str = ""


def _verdict(value: Any, *, path: Path, row: int) -> str:
    key = str(value).strip().casefold()
    if key not in _SAYINGS:
        raise CodebookError(f"decision {value!r} is not confirm or reject", path=path, line=row,
                            hint="write confirm or reject (yes/no also work), or leave the cell empty")
    return _SAYINGS[key]


def _decision(item: dict[str, Any], *, path: Path, row: int) -> Decision:
    for key in ("target_id", "code", "verdict", "text"):
        if not str(item.get(key) or "").strip():
            raise CodebookError(f"decision has no {key!r}", path=path, line=row,
                                hint=f"every decision needs: {', '.join(DECISION_COLUMNS[:4])}")
    when = item.get("when") or ""
    return Decision(target_id=str(item["target_id"]).strip(), code=str(item["code"]).strip(),
                    verdict=_verdict(item["verdict"], path=path, row=row), text=str(item["text"]),
                    who=str(item.get("who") or ""),
                    when=when.isoformat() if isinstance(when, (_dt.date, _dt.datetime)) else str(when))


@clear_read_errors(CodebookError)
def load_decisions(path: str | Path) -> list[Decision]:
    """Read a decisions file (``.yaml``/``.yml``: a ``decisions:`` list; ``.csv``: one row each).

    Raises:
        CodebookError: Missing file, unknown suffix, or a row without id, code, verdict or text.
    """
    path = Path(path)
    if not path.is_file():
        raise CodebookError("decisions file not found", path=path, hint="check the path passed as --learn")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        root = yaml.compose(path.read_text(encoding="utf-8-sig"))
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        items = data.get("decisions") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise CodebookError("a decisions file needs a 'decisions:' list", path=path, line=1,
                                hint=f"each item has: {', '.join(DECISION_COLUMNS)}")
        lines = [1] * len(items)
        if isinstance(root, yaml.MappingNode):
            for key, value in root.value:
                if key.value == "decisions" and isinstance(value, yaml.SequenceNode):
                    lines = [node.start_mark.line + 1 for node in value.value]
        return [_decision(item if isinstance(item, dict) else {}, path=path, row=line)
                for item, line in zip(items, lines)]
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return [_decision(row, path=path, row=i) for i, row in enumerate(GuardedDictReader(fh), start=2)]
    raise CodebookError(f"unknown decisions format {suffix!r}", path=path, hint="use .yaml or .csv")


def save_decisions(decisions: Sequence[Decision], path: str | Path) -> Path:
    """Write decisions atomically as YAML or CSV (by suffix); returns the path.

    Raises:
        CodebookError: Unknown suffix.
    """
    path = Path(path)
    rows = [asdict(d) for d in decisions]
    if path.suffix.lower() in (".yaml", ".yml"):
        return write_text(path, yaml.safe_dump({"decisions": rows}, sort_keys=False, allow_unicode=True))
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        writer = GuardedDictWriter(buf, fieldnames=DECISION_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return write_text(path, buf.getvalue())
    raise CodebookError(f"unknown decisions format {path.suffix!r}", path=path, hint="use .yaml or .csv")


def merge_decisions(old: Sequence[Decision], new: Sequence[Decision]) -> list[Decision]:
    """``old`` plus ``new``; a later verdict on the same (target, code) replaces the earlier one."""
    merged: dict[tuple[str, str], Decision] = {}
    for d in [*old, *new]:
        merged.pop((d.target_id, d.code), None)
        merged[(d.target_id, d.code)] = d
    return list(merged.values())


def review_rows(coding: Sequence[dict[str, Any]], answers: Sequence[Any], book: Any) -> list[dict[str, Any]]:
    """The review sheet's rows from coding rows (:func:`~wisdoms.codebook.code_answers`): every assigned code,
    plus each answer's best code when none is assigned, with the answer's words and the code's name."""
    texts = {a.id: a.text for a in answers}
    names = {c.id: c.name for c in book.codes}
    seen: set[str] = set()
    sheet = []
    for row in coding:
        if row["assigned"] or row["id"] not in seen:
            sheet.append({"target_id": row["id"], "text": texts[row["id"]], "code": row["code"],
                          "code_name": names[row["code"]], "score": row["score"],
                          "suggested": "yes" if row["assigned"] else "no"})
        seen.add(row["id"])
    return sheet


def write_review_sheet(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write suggestions for review (CSV or XLSX by suffix) with empty decision/who/when columns.

    ``rows`` carry ``target_id, text, code, code_name, score, suggested``.

    Raises:
        CodebookError: Unknown suffix.
    """
    content = review_sheet_content(rows, path)
    return write_bytes(path, content) if isinstance(content, bytes) else write_text(path, content)


def review_sheet_content(rows: Sequence[dict[str, Any]], path: str | Path, *, draft: str | None = None) -> str | bytes:
    """The review sheet :func:`write_review_sheet` writes (CSV text or XLSX bytes, by ``path``'s suffix), nothing
    written; in a draft, a last column ``draft`` holds the stamp on every row (the import ignores it).

    Raises:
        CodebookError: Unknown suffix.
    """
    path = Path(path)
    columns = (*REVIEW_COLUMNS, *(("draft",) if draft else ()))
    table = [[row.get(c, "") for c in REVIEW_COLUMNS] + ([draft] if draft else []) for row in rows]
    if path.suffix.lower() == ".csv":
        buf = io.StringIO()
        writer = GuardedWriter(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(table)
        return buf.getvalue()
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "review"
        sheet.append(list(columns))
        for row in table:
            append_row(sheet, row)
        binary = io.BytesIO()
        book.save(binary)
        return binary.getvalue()
    raise CodebookError(f"unknown review sheet format {path.suffix!r}", path=path, hint="use .csv or .xlsx")


@clear_read_errors(CodebookError)
def read_review_sheet(path: str | Path, *, who: str = "", today: str | None = None) -> list[Decision]:
    """Decisions from a filled-in review sheet; rows with an empty ``decision`` are not decisions.

    Args:
        path: The sheet (CSV or XLSX).
        who: Reviewer to record where the ``who`` column is empty.
        today: Date to record where ``when`` is empty (default: today).

    Raises:
        CodebookError: Missing file, missing columns, or a decision that is not confirm/reject.
    """
    path = Path(path)
    if not path.is_file():
        raise CodebookError("review sheet not found", path=path, hint="export one with 'wisdoms codebook review'")
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        records = read_xlsx_rows(load_workbook(path, read_only=True, data_only=True).worksheets[0])
    elif path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            records = read_csv_rows(fh)
    else:
        raise CodebookError(f"unknown review sheet format {path.suffix!r}", path=path, hint="use .csv or .xlsx")
    header = [str(h or "").strip() for h in (records[0] if records else [])]
    missing = [c for c in ("target_id", "text", "code", "decision") if c not in header]
    if missing:
        raise CodebookError(f"the review sheet lacks column(s) {', '.join(missing)}", path=path, line=1,
                            hint="import the sheet that 'wisdoms codebook review' exported, columns unchanged")
    today = today or _dt.date.today().isoformat()
    out = []
    for number, record in enumerate(records[1:], start=2):
        row = {h: ("" if v is None else v) for h, v in zip(header, record)}
        if not str(row.get("decision", "")).strip():
            continue
        out.append(_decision({**row, "verdict": row["decision"], "who": row.get("who") or who,
                              "when": row.get("when") or today}, path=path, row=number))
    return out
