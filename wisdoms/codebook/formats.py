"""Codebook files: YAML, JSONL, CSV, XLSX and REFI-QDA ``.qdc``, read and written by suffix.

Every reader builds codes with the same field checks as the YAML reader and then runs
:func:`validate`, so a duplicate id, unknown parent, cycle, empty definition or repeated name is
reported with the file and the line (or spreadsheet row) of the code at fault.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import logging
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .._files import clear_read_errors, read_jsonl, write_bytes, write_text
from .._tables import GuardedWriter, append_row, read_csv_rows, read_xlsx_rows
from ..errors import CodebookError
from ..models import Code
from ._model import Codebook, _code_from, codebook_to_dict, load_yaml_codebook, valid_id, validate

log = logging.getLogger(__name__)

QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"
#: Namespace of the uuid5 GUIDs, so a code id always gets the same GUID in every export.
GUID_NAMESPACE = uuid.UUID("6f1d0c0e-8a57-5b1e-9c52-77697364f06d")
TABLE_COLUMNS = ("id", "name", "parent", "status", "definition", "include", "exclude", "examples", "history")
#: Where the codebook's own name and version travel in a ``.qdc`` (the ``origin`` attribute).
_ORIGIN = re.compile(r"^wisdoms (?P<name>.+) v(?P<version>[^ ]+)$")
#: A JSONL ``parent`` written like an id (not a category label such as "General") must name a code.
_ID_LIKE = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv", ".xlsx", ".qdc")


def code_guid(code_id: str) -> str:
    """The REFI-QDA GUID of a code: a uuid5 of its id, stable across exports."""
    return str(uuid.uuid5(GUID_NAMESPACE, code_id))


#: Where a run looks for the project's codebook when none is named (``codebook/codebook.yaml``).
CODEBOOK_FOLDER, CODEBOOK_NAMES = "codebook", ("codebook.yaml", "codebook.yml")
#: ``--codebook none``: run without a codebook even where a project has one.
NO_CODEBOOK = "none"


def find_codebook(start: str | Path) -> Path | None:
    """The project's codebook for the transcripts at ``start`` (a folder or a file of answers), when none is named.

    Looks in ``<folder>/codebook/`` and then ``<folder's parent>/codebook/`` for ``codebook.yaml`` (or ``.yml``),
    where ``<folder>`` is ``start`` or the folder holding it: found from the transcripts, as the project's privacy
    settings are, never from the working directory (a run started in one project must not use its codebook on
    another project's transcripts).
    """
    start = Path(start).resolve()
    folder = start if start.is_dir() else start.parent
    for base in (folder, folder.parent):
        for name in CODEBOOK_NAMES:
            candidate = base / CODEBOOK_FOLDER / name
            if candidate.is_file():
                return candidate
    return None


def codebooks_beside(start: str | Path) -> list[Path]:
    """Files named like a codebook (``codebook.jsonl``, ``codebook.csv``, ``Codebook.xlsx`` ...) in the transcripts'
    folder or its parent, which a run does not pick up by itself (it looks for :func:`find_codebook`'s
    ``codebook/codebook.yaml`` only): a study laid out with its codebook beside the transcripts, as the two real
    interview studies are, would otherwise run without it and not know."""
    start = Path(start).resolve()
    folder = start if start.is_dir() else start.parent
    found: list[Path] = []
    for base in (folder, folder.parent):
        try:
            found += sorted(p for p in base.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                            and p.stem.lower() in ("codebook", "code-book", "codes"))
        except OSError:
            continue
    return found


@clear_read_errors(CodebookError)
def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook, choosing the reader by suffix (see :data:`SUFFIXES`).

    Raises:
        CodebookError: Missing file, unknown suffix, unreadable content or an invalid code; the
            message names the file and the line or row.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return load_yaml_codebook(path)
    if suffix not in SUFFIXES:
        raise CodebookError(f"unknown codebook format {suffix or '(no suffix)'!r}", path=path,
                            hint=f"use one of: {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise CodebookError("codebook not found", path=path, hint="check the path passed as --codebook")
    reader = {".jsonl": _read_jsonl, ".csv": _read_csv, ".xlsx": _read_xlsx, ".qdc": _read_qdc}[suffix]
    codes = reader(path)
    if not codes:
        raise CodebookError("the codebook has no codes", path=path, line=1, hint="add at least one code")
    name, version = _qdc_origin(path) if suffix == ".qdc" else (path.stem, "1")
    codebook = Codebook(codes=tuple(codes), name=name, version=version, path=str(path))
    validate(codebook)
    return codebook


def save_codebook(codebook: Codebook, path: str | Path) -> Path:
    """Write ``codebook`` atomically in the format its suffix names; returns the path.

    Raises:
        CodebookError: Unknown suffix, or an invalid codebook (nothing is written).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    validate(codebook)
    if suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(codebook_to_dict(codebook), sort_keys=False, allow_unicode=True, width=100)
        return write_text(path, text)
    if suffix == ".jsonl":
        lines = [json.dumps(_jsonl_item(c), ensure_ascii=False) for c in codebook.codes]
        return write_text(path, "\n".join(lines) + "\n")
    if suffix == ".csv":
        buf = io.StringIO()
        writer = GuardedWriter(buf, lineterminator="\n")
        writer.writerow(TABLE_COLUMNS)
        writer.writerows(_table_row(c) for c in codebook.codes)
        return write_text(path, buf.getvalue())
    if suffix == ".xlsx":
        return write_bytes(path, _xlsx_bytes(codebook))
    if suffix == ".qdc":
        return write_bytes(path, qdc_bytes(codebook))
    raise CodebookError(f"unknown codebook format {suffix or '(no suffix)'!r}", path=path,
                        hint=f"use one of: {', '.join(SUFFIXES)}")


#: How the definition of a code imported without one ends (see :func:`undescribed_definition`).
_UNDESCRIBED = "without a description)."


def undescribed_definition(name: str, origin: str) -> str:
    """The definition given to a code another tool exported without one: says so, so the gap shows."""
    return f"{name} (imported from {origin} {_UNDESCRIBED}"


def undescribed(codebook: Codebook) -> list[str]:
    """Names of the active codes whose definition is still the placeholder :func:`undescribed_definition` wrote."""
    return [c.name for c in codebook.codes if c.status == "active" and c.definition.endswith(_UNDESCRIBED)]


def _slug(text: str) -> str:
    """An id from a name: lower case, letters of any script kept (``Sárga`` -> ``sárga``), other runs ``-``."""
    return re.sub(r"[\W_]+", "-", text.casefold()).strip("-") or "code"


def derived_ids(labels: Sequence[str]) -> dict[str, str]:
    """Short, unique ids for the code labels among ``labels`` that are not ids (a code's path as another tool
    exports it, "Explainability purposes > Guiding feature engineering"): each label's words joined by ``-``
    (:func:`_slug`), cut at a word boundary, with ``-2``, ``-3`` ... where two would be the same."""
    used = {label for label in labels if valid_id(label)}
    out: dict[str, str] = {}
    for label in labels:
        if not label or valid_id(label) or label in out:
            continue
        base = _slug(label)
        if len(base) > 60:
            base = base[:61].rsplit("-", 1)[0] or base[:60]
        new, n = base, 2
        while new in used:
            new, n = f"{base}-{n}", n + 1
        used.add(new)
        out[label] = new
    return out


def _with_derived_ids(items: list[tuple[int, dict[str, Any]]], path: Path) -> list[tuple[int, dict[str, Any]]]:
    """``items`` with ids that are labels replaced by :func:`derived_ids` (and ``parent`` references to them), saying
    so once: a codebook exported by another tool is read as it is, not refused for 76 ids to edit by hand."""
    labels = [str(item.get("id")).strip() for _n, item in items if item.get("id") not in (None, "")]
    made = derived_ids(labels)
    if not made:
        return items
    first = next(iter(made.items()))
    log.warning("%s: %d code ids are labels, not short ids (e.g. %r); ids were made from them (%r); "
                "'wisdoms codebook convert' writes a codebook that keeps them", path, len(made), *first)
    out = []
    for number, item in items:
        item = dict(item)
        if str(item.get("id")).strip() in made:
            item["id"] = made[str(item["id"]).strip()]
        if item.get("parent") not in (None, "") and str(item["parent"]).strip() in made:
            item["parent"] = made[str(item["parent"]).strip()]
        out.append((number, item))
    return out


def _read_jsonl(path: Path) -> list[Code]:
    """The benchmark layout: one JSON object a line; ``parent`` may name a category, not a code."""
    items: list[tuple[int, dict[str, Any]]] = []
    for number, item in read_jsonl(path, CodebookError):
        if not isinstance(item, dict):
            raise CodebookError("a line is not a JSON object", path=path, line=number,
                                hint='write {"id": ..., "name": ..., "definition": ...}')
        items.append((number, item))
    items = _with_derived_ids(items, path)
    # a code another tool exported without a definition is read with one that says so (as from a .qdc)
    items = [(n, {**item, "definition": undescribed_definition(str(item.get("name") or item.get("id")), path.name)})
             if not str(item.get("definition") or "").strip() and item.get("status", "active") == "active" else (n, item)
             for n, item in items]
    ids = {str(item.get("id")) for _n, item in items}
    names = {str(item.get("name", "")).casefold(): str(item.get("id")) for _n, item in items}
    groups: dict[str, list[str]] = {}
    codes = []
    for index, (number, item) in enumerate(items):
        parent = item.get("parent")
        if parent not in (None, "") and parent not in ids:
            if str(parent).casefold() in names:
                item = {**item, "parent": names[str(parent).casefold()]}
            elif _ID_LIKE.match(str(parent)):
                raise CodebookError(f"code {item.get('id')!r} has unknown parent {parent!r}", path=path, line=number,
                                    hint="set 'parent' to the id of another code in this file, to a category "
                                    "label such as \"General\", or to null")
            else:
                groups.setdefault(str(parent), []).append(str(item.get("name", item.get("id"))))
                item = {**item, "parent": "group-" + _slug(str(parent))}
        codes.append(_code_from(item, path=path, line=number, index=index))
    for label, members in groups.items():
        codes.append(Code(id="group-" + _slug(label), name=label, status="group",
                          definition=f"Category grouping {len(members)} codes: {'; '.join(members)}.",
                          line=None))
    return codes


def _jsonl_item(code: Code) -> dict[str, Any]:
    item: dict[str, Any] = {"id": code.id, "name": code.name, "parent": code.parent, "definition": code.definition}
    item.update({k: getattr(code, k) for k in ("include", "exclude") if getattr(code, k)})
    if code.status != "active":
        item["status"] = code.status
    item["examples"] = list(code.examples)
    if code.history:
        item["history"] = [dict(h) for h in code.history]
    return item


def _history_lines(code: Code) -> list[str]:
    """One line per change: ``version | date | change``, or the entry as JSON when it has other fields."""
    lines = []
    for entry in code.history:
        if set(entry) <= {"version", "date", "change"} and "|" not in str(entry.get("change", "")):
            lines.append(" | ".join(str(entry.get(k, "")) for k in ("version", "date", "change")))
        else:
            lines.append(json.dumps(dict(entry), ensure_ascii=False, default=str))
    return lines


def _history_from(text: str, *, path: Path, line: int | None) -> list[dict[str, Any]]:
    """The inverse of :func:`_history_lines`; values read as YAML would read them (``1`` is a number)."""
    entries = []
    for raw in text.splitlines():
        raw = raw.strip()
        if raw.startswith("- "):
            raw = raw[2:].strip()
        if not raw:
            continue
        if raw.startswith("{"):
            try:
                entry = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise CodebookError(f"history entry {raw[:60]!r} is not valid JSON: {exc.msg}", path=path,
                                    line=line, hint="write each change as: version | date | change") from exc
        else:
            parts = [p.strip() for p in raw.split("|", 2)]
            if len(parts) != 3:
                raise CodebookError(f"history entry {raw[:60]!r} is not 'version | date | change'", path=path,
                                    line=line, hint="write one change a line, e.g. 2 | 2024-05-01 | Renamed.")
            version, date, change = parts
            entry = {"version": _scalar(version), "date": _scalar(date), "change": change}
        entries.append(entry)
    return entries


def _scalar(text: str) -> Any:
    if not text:
        return ""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value if isinstance(value, (int, float, str)) else text


def _table_row(code: Code) -> list[str]:
    return [code.id, code.name, code.parent or "", code.status, code.definition, code.include, code.exclude,
            "\n".join(code.examples), "\n".join(_history_lines(code))]


def _codes_from_table(header: list[str], rows: list[tuple[int, list[Any]]], path: Path) -> list[Code]:
    columns = [str(h or "").strip().casefold() for h in header]
    missing = [c for c in ("id", "name", "definition") if c not in columns]
    if missing:
        raise CodebookError(f"the header row lacks column(s) {', '.join(missing)}", path=path, line=1,
                            hint=f"name the columns: {', '.join(TABLE_COLUMNS)}")
    unknown = [c for c in columns if c and c not in TABLE_COLUMNS]
    if unknown:
        raise CodebookError(f"unknown column(s) {', '.join(unknown)}", path=path, line=1,
                            hint=f"use only: {', '.join(TABLE_COLUMNS)}")
    codes = []
    for index, (row_number, row) in enumerate(rows):
        item: dict[str, Any] = {col: ("" if value is None else str(value)) for col, value in zip(columns, row) if col}
        item["examples"] = [e.strip() for e in item.get("examples", "").splitlines() if e.strip()]
        item["parent"] = item.get("parent") or None
        item["history"] = _history_from(item.get("history", ""), path=path, line=row_number)
        codes.append(_code_from(item, path=path, line=row_number, index=index))
    return codes


def _read_csv(path: Path) -> list[Code]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        records = read_csv_rows(fh)
    if not records:
        raise CodebookError("the CSV file is empty", path=path, line=1,
                            hint=f"start with a header row: {', '.join(TABLE_COLUMNS)}")
    rows = [(i, r) for i, r in enumerate(records[1:], start=2) if any(cell.strip() for cell in r)]
    return _codes_from_table(records[0], rows, path)


def _read_xlsx(path: Path) -> list[Code]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise CodebookError(f"cannot read the workbook: {exc}", path=path,
                            hint="save it again from Excel or LibreOffice as .xlsx") from exc
    records = read_xlsx_rows(sheet)
    if not records:
        raise CodebookError("the first sheet is empty", path=path, line=1,
                            hint=f"start with a header row: {', '.join(TABLE_COLUMNS)}")
    rows = [(i, r) for i, r in enumerate(records[1:], start=2) if any(c not in (None, "") for c in r)]
    return _codes_from_table(records[0], rows, path)


def _xlsx_bytes(codebook: Codebook) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "codes"
    sheet.append(list(TABLE_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for code in codebook.codes:
        append_row(sheet, _table_row(code))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


_SECTIONS = ("Include", "Exclude", "Examples", "History", "Status", "Id")


def _description(code: Code) -> str:
    parts = [code.definition]
    if code.include:
        parts.append(f"Include: {code.include}")
    if code.exclude:
        parts.append(f"Exclude: {code.exclude}")
    if code.examples:
        parts.append("Examples:\n" + "\n".join(f"- {e}" for e in code.examples))
    if code.history:
        parts.append("History:\n" + "\n".join(f"- {h}" for h in _history_lines(code)))
    if code.status not in ("active", "group"):
        parts.append(f"Status: {code.status}")
    parts.append(f"Id: {code.id}")
    return "\n\n".join(parts)


def _parse_description(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"definition": [], "examples": [], "history": ""}
    current = "definition"
    for block in re.split(r"\n\s*\n", text.strip()):
        head, _, rest = block.partition(":")
        if head.strip() in _SECTIONS and "\n" not in head:
            current = head.strip().casefold()
            block = rest.strip()
        if current == "history":
            fields["history"] += block + "\n"
        elif current == "examples":
            fields["examples"] += [ln.strip()[1:].strip() if ln.strip().startswith("-") else ln.strip()
                                   for ln in block.splitlines() if ln.strip()]
        elif current == "definition":
            fields["definition"].append(block)
        else:
            fields[current] = block
    fields["definition"] = "\n\n".join(b for b in fields["definition"] if b)
    return fields


def qdc_bytes(codebook: Codebook) -> bytes:
    """The REFI-QDA codebook XML: codes nested by parent, GUIDs from :func:`code_guid`.

    Raises:
        CodebookError: The codebook is invalid (a code with an unknown parent would otherwise be left out).
    """
    from xml.etree import ElementTree as ET

    validate(codebook)
    ET.register_namespace("", QDC_NAMESPACE)
    q = f"{{{QDC_NAMESPACE}}}"
    root = ET.Element(f"{q}CodeBook", {"origin": f"wisdoms {codebook.name} v{codebook.version}"})
    codes_el = ET.SubElement(root, f"{q}Codes")
    children: dict[str | None, list[Code]] = {}
    for code in codebook.codes:
        children.setdefault(code.parent, []).append(code)

    def add(parent_el: Any, code: Code) -> None:
        el = ET.SubElement(parent_el, f"{q}Code", {"guid": code_guid(code.id), "name": code.name,
                                                    "isCodable": "false" if code.status == "group" else "true"})
        ET.SubElement(el, f"{q}Description").text = _description(code)
        for child in children.get(code.id, []):
            add(el, child)

    for code in children.get(None, []):
        add(codes_el, code)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _read_qdc(path: Path) -> list[Code]:
    from lxml import etree

    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError as exc:
        raise CodebookError(f"invalid XML: {exc.msg}", path=path, line=exc.lineno,
                            hint="export the codebook again from your QDA tool") from exc
    refuse_entity_references(root, path)
    if etree.QName(root).localname != "CodeBook" or etree.QName(root).namespace != QDC_NAMESPACE:
        raise CodebookError(f"root element is {root.tag!r}, not a REFI-QDA CodeBook", path=path,
                            line=root.sourceline, hint=f"expected <CodeBook xmlns=\"{QDC_NAMESPACE}\">")
    return codes_from_qdc_elements(root, path)


def refuse_entity_references(root: Any, path: Path | str) -> None:
    """Refuse XML that uses an entity it declares itself (``<!ENTITY org "Shelter">`` ... ``&org;``): such
    entities are never expanded (no external or exponential entities), and the text after one would be
    cut off silently.

    Raises:
        CodebookError: The first such reference, naming its line.
    """
    from lxml import etree

    for entity in root.iter(etree.Entity):
        raise CodebookError(f"{entity.text} is an entity the file declares itself, which is not expanded "
                            "(the text after it would be lost)", path=path, line=entity.sourceline,
                            hint=f"replace {entity.text} with the words it stands for, and save the file again")


def _qdc_origin(path: Path) -> tuple[str, str]:
    """The codebook's name and version from a wisdoms ``origin`` attribute; else the file name and ``1``."""
    from lxml import etree

    origin = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot().get("origin", "")
    found = _ORIGIN.match(origin.strip())
    return (found["name"], found["version"]) if found else (path.stem, "1")


def codes_from_qdc_elements(root: Any, path: Path) -> list[Code]:
    """Codes from the ``<Code>`` elements under ``root`` (a .qdc CodeBook or a .qde Project)."""
    ns = root.nsmap.get(None) or QDC_NAMESPACE
    origin = (root.get("origin") or "").strip() or "a REFI-QDA codebook"
    codes: list[Code] = []
    taken: set[str] = set()

    def walk(el: Any, parent: str | None) -> None:
        for child in el.findall(f"{{{ns}}}Code"):
            desc_el = child.find(f"{{{ns}}}Description")
            fields = _parse_description(desc_el.text or "" if desc_el is not None else "")
            name = child.get("name", "")
            code_id = fields.get("id") or _slug(name)
            while code_id in taken and not fields.get("id"):
                code_id += "-2"
            taken.add(code_id)
            codable = child.get("isCodable", "true").strip() in ("true", "1")
            item = {"id": code_id, "name": name, "parent": parent,
                    "definition": fields["definition"] or (undescribed_definition(name, origin) if codable
                                                           else f"Category: {name}."),
                    "include": fields.get("include", ""), "exclude": fields.get("exclude", ""),
                    "examples": fields["examples"],
                    "history": _history_from(fields["history"], path=path, line=child.sourceline),
                    "status": fields.get("status") or ("active" if codable else "group")}
            codes.append(_code_from(item, path=path, line=child.sourceline, index=len(codes)))
            walk(child, code_id)

    codes_el = root.find(f"{{{ns}}}Codes")
    if codes_el is not None:
        walk(codes_el, None)
    return codes
