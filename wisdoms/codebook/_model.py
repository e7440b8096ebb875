"""The codebook model: the :class:`Codebook`, its YAML form, and strict validation.

A codebook is the research team's shared instrument, so validation is strict and every error names
the file and line (or row) of the code at fault.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .._files import clear_read_errors
from ..errors import CodebookError
from ..models import Code, Records

log = logging.getLogger(__name__)

CODE_KEYS = ("id", "name", "definition", "parent", "include", "exclude", "examples", "status", "history")
#: ``group`` codes only organise others (REFI-QDA ``isCodable="false"``); they are never matched.
#: ``draft`` codes (e.g. from ``wisdoms codebook suggest``) await a researcher's review; never matched.
STATUSES = ("active", "retired", "group", "draft")
#: A code id: letters (of any script: ``sárga``), digits, ``-``, ``_``, ``.``; starting with a letter or digit.
_ID = re.compile(r"^[^\W_][\w.\-]*$")


#: The name a run without a codebook gives its empty one: the tool's own words, never scanned as a participant's.
NO_CODEBOOK_NAME = "no codebook (themes found inductively)"


@dataclass(frozen=True, eq=False)
class Codebook:
    """A validated set of codes.

    Attributes:
        codes: Codes in file order.
        name: The codebook's title.
        version: Its version as written.
        path: Where it was read from, if anywhere.
    """

    codes: tuple[Code, ...]
    name: str = "Codebook"
    version: str = "1"
    path: str | None = None

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def get(self, code_id: str) -> Code:
        """The code with ``code_id``.

        Raises:
            KeyError: No such code.
        """
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    @property
    def active(self) -> tuple[Code, ...]:
        """Codes whose status is ``active``."""
        return tuple(c for c in self.codes if c.status == "active")

    def to_frame(self) -> Any:
        """One row per code, for notebooks."""
        return Records.of(Code, self.codes).to_frame()


@clear_read_errors(CodebookError)
def load_yaml_codebook(path: str | Path) -> Codebook:
    """Read and validate a YAML codebook.

    Raises:
        CodebookError: Missing file, invalid YAML, or an invalid code (the message names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise CodebookError(
            "codebook not found",
            path=path,
            hint="pass --codebook FILE, or create codebook/codebook.yaml (see codebook/README.md)",
        )
    text = path.read_text(encoding="utf-8-sig")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CodebookError(
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
            path=path,
            line=mark.line + 1 if mark else None,
            hint="check indentation (spaces, not tabs) and quoting on that line",
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list) or not data["codes"]:
        raise CodebookError(
            "a codebook needs a non-empty 'codes:' list",
            path=path,
            line=1,
            hint="see codebook/codebook.yaml for the layout: name, version, codes: [- id: ..., name: ..., definition: ...]",
        )
    lines = _code_lines(root)
    codes = [
        _code_from(item, path=path, line=lines[i] if i < len(lines) else None, index=i)
        for i, item in enumerate(data["codes"])
    ]
    codebook = Codebook(
        codes=tuple(codes),
        name=str(data.get("name") or path.stem),
        version=str(data.get("version", "1")),
        path=str(path),
    )
    validate(codebook)
    return codebook


def _code_lines(root: yaml.Node | None) -> list[int]:
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "codes" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v).strip() for v in value if v is not None)
    return str(value).strip()


def _plain(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def valid_id(text: str) -> bool:
    """Whether ``text`` is a code id: letters of any script, digits, ``-``, ``_``, ``.``, starting with a letter or digit."""
    return bool(_ID.match(text))


def _code_from(item: Any, *, path: Path | None, line: int | None, index: int) -> Code:
    where: dict[str, Any] = {"path": path, "line": line}
    if not isinstance(item, dict):
        raise CodebookError(f"code number {index + 1} is not a mapping of field: value", **where,
                            hint="start each code with '- id: ...' and indent its fields")
    unknown = sorted(set(map(str, item)) - set(CODE_KEYS))
    if unknown:
        raise CodebookError(
            f"code {item.get('id', index + 1)!r} has unknown field(s) {', '.join(unknown)}",
            **where,
            hint=f"use only: {', '.join(CODE_KEYS)}",
        )
    code_id = _text(item.get("id"))
    if not code_id or not _ID.match(code_id):
        raise CodebookError(
            f"code number {index + 1} has a missing or invalid id {item.get('id')!r}",
            **where,
            hint="give every code a short id of letters, digits, '-', '_' or '.', e.g. 'joined-up'",
        )
    examples = item.get("examples") or []
    if isinstance(examples, str):
        examples = [examples]
    if not isinstance(examples, list):
        raise CodebookError(f"code {code_id!r}: 'examples' must be a list of quotes", **where)
    history = item.get("history") or []
    if not isinstance(history, list):
        raise CodebookError(f"code {code_id!r}: 'history' must be a list of changes", **where)
    parent = item.get("parent")
    return Code(
        id=code_id,
        name=_text(item.get("name")),
        definition=_text(item.get("definition")),
        parent=None if parent in (None, "") else str(parent),
        include=_text(item.get("include")),
        exclude=_text(item.get("exclude")),
        examples=tuple(_text(e) for e in examples if _text(e)),
        status=_text(item.get("status")) or "active",
        history=tuple(_plain(h) for h in history),
        line=line,
    )


def validate(codebook: Codebook) -> None:
    """Check a codebook's integrity.

    Raises:
        CodebookError: Empty name or definition, duplicate id or name, unknown status or parent,
            or a parent cycle; the message names the file and line of the code at fault.
    """
    path = codebook.path
    by_id: dict[str, Code] = {}
    by_name: dict[str, Code] = {}
    for code in codebook.codes:
        where: dict[str, Any] = {"path": path, "line": code.line}
        if code.id in by_id:
            first = by_id[code.id]
            raise CodebookError(
                f"duplicate code id {code.id!r} (first used at line {first.line})",
                **where,
                hint="ids must be unique: rename one, or merge the two codes",
            )
        by_id[code.id] = code
        if not code.name:
            raise CodebookError(f"code {code.id!r} has no name", **where, hint="add 'name: ...'")
        if not code.definition:
            raise CodebookError(
                f"code {code.id!r} has an empty definition",
                **where,
                hint="add 'definition: ...': one to three sentences saying what the code captures",
            )
        key = code.name.casefold()
        if key in by_name:
            raise CodebookError(
                f"code {code.id!r} has the same name as {by_name[key].id!r}: {code.name!r}",
                **where,
                hint="give each code a distinct name",
            )
        by_name[key] = code
        if code.status not in STATUSES:
            raise CodebookError(
                f"code {code.id!r} has status {code.status!r}", **where, hint=f"use one of: {', '.join(STATUSES)}"
            )
    for code in codebook.codes:
        if code.parent is not None and code.parent not in by_id:
            raise CodebookError(
                f"code {code.id!r} has unknown parent {code.parent!r}",
                path=path,
                line=code.line,
                hint="set 'parent' to the id of another code in this codebook, or to null",
            )
    for code in codebook.codes:
        seen = [code.id]
        parent = code.parent
        while parent is not None:
            if parent in seen:
                raise CodebookError(
                    f"code {code.id!r} is its own ancestor: {' -> '.join([*seen, parent])}",
                    path=path,
                    line=code.line,
                    hint="break the cycle by changing one of these parents",
                )
            seen.append(parent)
            parent = by_id[parent].parent


def codebook_to_dict(codebook: Codebook) -> dict[str, Any]:
    """The YAML layout of a codebook, fields in canonical order, empty fields left out."""
    codes = []
    for code in codebook.codes:
        entry: dict[str, Any] = {"id": code.id, "name": code.name, "parent": code.parent, "status": code.status,
                                 "definition": code.definition}
        if code.include:
            entry["include"] = code.include
        if code.exclude:
            entry["exclude"] = code.exclude
        if code.examples:
            entry["examples"] = list(code.examples)
        if code.history:
            entry["history"] = [dict(h) for h in code.history]
        codes.append(entry)
    return {"name": codebook.name, "version": codebook.version, "codes": codes}
