"""Import a REFI-QDA project (``.qdpx``) from NVivo, ATLAS.ti, MAXQDA, QualCoder or wisdoms itself.

The project's codes become a :class:`Codebook` (names, nesting, descriptions as definitions, with the
``Include:``/``Exclude:``/``Examples:``/``Status:``/``Id:`` layout our own exports write parsed back
into fields). Its coded ``PlainTextSelection`` elements in text sources become confirmed
:class:`Decision` records, with the coder's name and the coding's date, that ``wisdoms code --learn``
reads.

Positions are read as the exporting program counts them: the standard says Unicode code points from 0,
end exclusive, and ATLAS.ti, MAXQDA, QualCoder and wisdoms count so; NVivo counts UTF-16 code units, so
after an emoji (or any character outside the Basic Multilingual Plane) its positions run one unit ahead per
such character. The program is read from the project's ``origin``; when it is not known, or when the
selections say otherwise, the reading that puts more selections on word boundaries wins, and
:attr:`QdpxImport.positions_note` says so (the CLI prints it).

Tools differ in small ways, all accepted: GUIDs in upper or lower case, ``isCodable="True"``, a
``Sources/`` or ``sources/`` folder, text inline in ``<PlainTextContent>`` or in
``internal://<guid>.txt``. Non-text sources (pictures, PDFs, audio, video), rich-text-only and
external sources are skipped, each with a logged reason, and counted in :class:`QdpxImport`.
"""

from __future__ import annotations

import bisect
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CodebookError
from ..limits import check_archive
from ..models import Code
from ._model import STATUSES, Codebook, _code_from, validate
from .decisions import Decision
from .formats import _history_from, _slug, refuse_entity_references, undescribed_definition

log = logging.getLogger(__name__)

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
#: Section headings our exports write into a code's description, one per line or paragraph, any case.
_HEADING = re.compile(r"^\s*(include|exclude|examples|history|status|id)\s*:\s*(.*)$", re.IGNORECASE)
_NON_TEXT = {"PictureSource": "a picture", "PDFSource": "a PDF", "AudioSource": "audio", "VideoSource": "video"}
#: Top-level folder of theme codes in a project wisdoms exported: themes are not codebook codes.
_WISDOMS_THEMES = "Themes (wisdoms)"
_WISDOMS_BOOK = "Codebook: "


@dataclass(frozen=True)
class QdpxImport:
    """What an import found.

    Attributes:
        codebook: The project's codes as a validated codebook.
        decisions: One confirmed decision per coded text selection and code.
        sources: Text sources read.
        skipped_sources: ``(source name, reason)`` for each source not read.
        skipped_codings: Reason -> number of codings not turned into decisions.
        undescribed: Names of codes that had no description (their definition says so).
        positions: How selection positions were counted: ``code points`` or ``UTF-16 units``.
        positions_note: Why, when it was not plain (an unknown program, or selections that disagree with
            the program named), else empty.
    """

    codebook: Codebook
    decisions: tuple[Decision, ...]
    sources: int
    skipped_sources: tuple[tuple[str, str], ...] = ()
    skipped_codings: dict[str, int] = field(default_factory=dict)
    undescribed: tuple[str, ...] = ()
    positions: str = "code points"
    positions_note: str = ""


CODE_POINTS = "code points"
UTF16_UNITS = "UTF-16 units"
#: Programs (``origin`` of the project, case folded) and how they count positions.
_PRODUCERS = (("utf-16", UTF16_UNITS), ("nvivo", UTF16_UNITS), ("wisdoms", CODE_POINTS), ("atlas", CODE_POINTS),
              ("maxqda", CODE_POINTS), ("qualcoder", CODE_POINTS), ("quirkos", CODE_POINTS), ("taguette", CODE_POINTS))


class Utf16Offsets:
    """Maps between code-point offsets of a text and UTF-16 code-unit offsets (NVivo's positions)."""

    def __init__(self, text: str) -> None:
        self.identity = text.isascii() or all(ord(c) < 0x10000 for c in text)
        self._units: list[int] = []
        if not self.identity:
            units = 0
            for c in text:
                self._units.append(units)
                units += 2 if ord(c) >= 0x10000 else 1
            self._units.append(units)

    def to_units(self, index: int) -> int:
        """The UTF-16 offset of code point ``index``."""
        return index if self.identity else self._units[index]

    def to_index(self, units: int) -> int | None:
        """The code point at UTF-16 offset ``units``, or ``None`` if it falls inside a surrogate pair or past the end."""
        if self.identity:
            return units
        at = bisect.bisect_left(self._units, units)
        return at if at < len(self._units) and self._units[at] == units else None


def producer_units(origin: str) -> str | None:
    """How the program named in a project's ``origin`` counts positions, if known."""
    folded = origin.casefold()
    return next((units for name, units in _PRODUCERS if name in folded), None)


def _on_word_boundaries(text: str, start: int | None, end: int | None) -> bool:
    def edge(i: int) -> bool:
        return i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())

    return start is not None and end is not None and 0 <= start <= end <= len(text) and edge(start) and edge(end)


def choose_units(origin: str, selections: list[tuple[str, list[tuple[int, int]]]]) -> tuple[str, str]:
    """How to read the positions of a project: ``(units, note)``.

    Args:
        origin: The project's ``origin`` attribute (the exporting program).
        selections: Each text source's text and its selections' raw ``(start, end)``.
    """
    named = producer_units(origin)
    differ = on_points = on_units = 0
    for text, spans in selections:
        mapper = Utf16Offsets(text)
        if mapper.identity:
            continue
        for start, end in spans:
            as_units = (mapper.to_index(start), mapper.to_index(end))
            if as_units == (start, end):
                continue
            differ += 1
            on_points += _on_word_boundaries(text, start, end)
            on_units += _on_word_boundaries(text, *as_units)
    if not differ:
        return named or CODE_POINTS, ""
    evidence = UTF16_UNITS if on_units > on_points else CODE_POINTS if on_points > on_units else None
    decisive = evidence is not None and abs(on_units - on_points) >= max(1, 0.2 * differ)
    counts = (f"of the {differ} selections after a character outside the Basic Multilingual Plane (an emoji), "
              f"{on_units} start and end on word boundaries read as UTF-16 units, {on_points} read as code points")
    who = origin or "an unnamed program"
    if named is not None and (not decisive or evidence == named):
        return named, ""
    if named is not None:
        return evidence or named, (f"the project comes from {who}, which counts positions in {named}, but {counts}: "
                                   f"read as {evidence}; check a few imported examples")
    if decisive:
        return evidence or CODE_POINTS, (f"positions read as {evidence}: {who} is not a program whose counting is "
                                         f"known, and {counts}")
    return CODE_POINTS, (f"unsure how {who} counts positions ({counts}): read as code points, as the standard says; "
                         "check a few imported examples")


def _local(el: Any) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(el: Any, name: str) -> list[Any]:
    """Children named ``name`` in any namespace (some tools write none)."""
    return [c for c in el if _local(c) == name]


def _kid(el: Any, name: str) -> Any | None:
    found = _kids(el, name)
    return found[0] if found else None


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _flag(value: str | None, default: bool = True) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().casefold() in ("true", "1", "yes")


def parse_description(text: str) -> dict[str, Any]:
    """Split a code description into definition, include, exclude, examples, history, status and id.

    Accepts both layouts our exports write: sections as paragraphs (``.qdc``) or as lines (``.qdpx``),
    with headings in any case. Text before the first heading is the definition.
    """
    sections: dict[str, list[str]] = {"definition": []}
    current = "definition"
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        m = _HEADING.match(line)
        if m:
            current = m.group(1).casefold()
            sections.setdefault(current, [])
            line = m.group(2)
        sections.setdefault(current, []).append(line)
    out: dict[str, Any] = {}
    for key, lines in sections.items():
        if key == "examples":
            out[key] = [ln.strip()[1:].strip() if ln.strip().startswith(("-", "*", "•")) else ln.strip()
                        for ln in lines if ln.strip()]
        else:
            out[key] = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    out.setdefault("examples", [])
    return out


class _Reader:
    """One pass over a project; holds the archive and what has been found so far."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, member: str) -> None:
        self.path = path
        self.zf = zf
        self.where = f"{path}/{member}"
        self.members = {n.casefold(): n for n in zf.namelist()}
        self.codes: list[Code] = []
        self.code_of_guid: dict[str, str] = {}
        self.skipped_guids: set[str] = set()
        self.undescribed: list[str] = []
        self.taken_ids: set[str] = set()
        self.taken_names: set[str] = set()

    def fail(self, message: str, el: Any = None, hint: str | None = None) -> CodebookError:
        return CodebookError(message, path=self.where, line=getattr(el, "sourceline", None),
                             hint=hint or "export the project again from your QDA software; if it persists, "
                             "check this element against the REFI-QDA Project.xsd")

    # --- codes ---------------------------------------------------------------------------------

    def add_codes(self, parent_el: Any, parent_id: str | None, *, origin: str, ours: bool, top: bool) -> None:
        for el in _kids(parent_el, "Code"):
            name = (el.get("name") or "").strip()
            guid = _guid(el.get("guid"))
            if not guid:
                raise self.fail(f"<Code name={name!r}> has no guid", el)
            if not name:
                raise self.fail(f"<Code guid={guid!r}> has no name", el, hint="give the code a name in your QDA software")
            codable = _flag(el.get("isCodable"))
            if ours and top and not codable and name == _WISDOMS_THEMES:
                log.info("skipping the %r folder: themes of a wisdoms run are not codebook codes", name)
                self.skipped_guids |= {_guid(c.get("guid")) for c in el.iter() if _local(c) == "Code"}
                continue
            if ours and top and not codable and name.startswith(_WISDOMS_BOOK):
                self.skipped_guids.add(guid)
                self.add_codes(el, None, origin=origin, ours=ours, top=True)
                continue
            desc_el = _kid(el, "Description")
            fields = parse_description(desc_el.text or "" if desc_el is not None else "")
            definition = fields.get("definition", "")
            if not definition:
                if codable:
                    self.undescribed.append(name)
                definition = undescribed_definition(name, origin) if codable else f"Category: {name}."
            unique = self._unique_name(name, parent_id)
            code_id = self._unique_id(fields.get("id") or _slug(unique))
            status = (fields.get("status") or "").casefold()
            if status not in STATUSES:  # another tool's "Status:" line means something else: keep it as text
                if status:
                    definition += f"\nStatus: {fields['status']}"
                status = "active" if codable else "group"
            item = {"id": code_id, "name": unique, "parent": parent_id, "definition": definition,
                    "include": fields.get("include", ""), "exclude": fields.get("exclude", ""),
                    "examples": fields["examples"], "status": status,
                    "history": _history_from(fields.get("history", ""), path=Path(self.where), line=el.sourceline)}
            self.codes.append(_code_from(item, path=Path(self.where), line=el.sourceline, index=len(self.codes)))
            self.code_of_guid[guid] = code_id
            self.add_codes(el, code_id, origin=origin, ours=ours, top=False)

    def _unique_name(self, name: str, parent_id: str | None) -> str:
        # NVivo and MAXQDA allow the same name under different parents; a codebook needs distinct names.
        unique = name
        if unique.casefold() in self.taken_names and parent_id is not None:
            parent = next(c.name for c in self.codes if c.id == parent_id)
            unique = f"{name} ({parent})"
        number = 2
        base = unique
        while unique.casefold() in self.taken_names:
            unique = f"{base} ({number})"
            number += 1
        if unique != name:
            log.info("code %r renamed %r: another code has that name", name, unique)
        self.taken_names.add(unique.casefold())
        return unique

    def _unique_id(self, code_id: str) -> str:
        code_id = re.sub(r"[^\w.\-]+", "-", code_id).strip("-._") or "code"
        base, number = code_id, 2
        while code_id in self.taken_ids:
            code_id = f"{base}-{number}"
            number += 1
        self.taken_ids.add(code_id)
        return code_id

    # --- sources -------------------------------------------------------------------------------

    def source_text(self, el: Any) -> tuple[str | None, str]:
        """The source's text, or ``None`` and the reason it cannot be read."""
        inline = _kid(el, "PlainTextContent")
        if inline is not None:
            return inline.text or "", ""
        ref = (el.get("plainTextPath") or "").strip()
        if not ref:
            if el.get("richTextPath"):
                return None, "rich text only (no plainTextPath); export the project with plain text"
            return None, "no plainTextPath and no PlainTextContent"
        if ref.casefold().startswith("internal://"):
            ref = ref[len("internal://"):]
        elif re.match(r"^[a-z][a-z0-9+.\-]*://", ref, re.IGNORECASE) or ref.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", ref):
            return None, f"external file {ref!r} is not inside the project"
        ref = ref.replace("\\", "/").lstrip("/")
        member = None
        for candidate in (f"sources/{ref}", ref):
            member = self.members.get(candidate.casefold())
            if member:
                break
        if member is None:
            raise self.fail(f"source {el.get('name')!r} names {el.get('plainTextPath')!r}, which is not in the archive",
                            el, hint="the .qdpx is incomplete: export it again, including the sources")
        data = self.zf.read(member)
        try:
            return data.decode("utf-8-sig"), ""
        except UnicodeDecodeError as exc:
            raise self.fail(f"source file {member} is not UTF-8 text ({exc.reason} at byte {exc.start})", el,
                            hint="REFI-QDA plain text sources are UTF-8; export the project again") from exc


def _position(reader: _Reader, el: Any, attr: str) -> int:
    value = el.get(attr)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise reader.fail(f"<PlainTextSelection name={el.get('name')!r}> has {attr}={value!r}, not a whole number",
                          el) from None


def read_qdpx(path: str | Path) -> QdpxImport:
    """Read a ``.qdpx`` project: its codebook and its coded text selections as confirmed decisions.

    Raises:
        CodebookError: Missing or damaged archive, no ``project.qde``, invalid XML, a code without guid
            or name, a selection whose positions are not whole numbers or fall outside its source, a
            source file missing from the archive; the message names the file and line (element).
    """
    from lxml import etree

    path = Path(path)
    if not path.is_file():
        raise CodebookError("project not found", path=path, hint="pass the .qdpx file exported by your QDA software")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CodebookError(f"not a .qdpx (zip) archive: {exc}", path=path,
                            hint="export the project again as REFI-QDA (.qdpx)") from exc
    with zf:
        check_archive(path, CodebookError, zf=zf)
        qde = [n for n in zf.namelist() if n.casefold().endswith(".qde") and "/" not in n.strip("/")]
        if not qde:
            raise CodebookError("the archive holds no project.qde", path=path,
                                hint="a .qdpx holds project.qde and a sources/ folder; export it again")
        member = next((n for n in qde if n.casefold() == "project.qde"), qde[0])
        reader = _Reader(path, zf, member)
        try:
            root = etree.fromstring(zf.read(member), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
        except etree.XMLSyntaxError as exc:
            raise CodebookError(f"invalid XML: {exc.msg}", path=reader.where, line=exc.lineno,
                                hint="export the project again from your QDA software") from exc
        refuse_entity_references(root, reader.where)
        if _local(root) != "Project":
            raise reader.fail(f"root element is <{_local(root)}>, not a REFI-QDA <Project>", root,
                              hint=f'expected <Project xmlns="{PROJECT_NAMESPACE}">')
        return _read_project(reader, root)


def _read_project(reader: _Reader, root: Any) -> QdpxImport:
    origin = (root.get("origin") or "").strip() or "a REFI-QDA project"
    ours = origin.casefold().startswith("wisdoms")
    users = {_guid(u.get("guid")): (u.get("name") or u.get("id") or u.get("guid") or "").strip()
             for users in _kids(root, "Users") for u in _kids(users, "User")}
    book_el = _kid(root, "CodeBook")
    codes_el = _kid(book_el, "Codes") if book_el is not None else None
    if codes_el is None:
        raise reader.fail("the project has no <CodeBook><Codes>", root,
                          hint="export a project that holds codes (a codebook)")
    book_name = (root.get("name") or reader.path.stem).strip()
    for el in _kids(codes_el, "Code"):
        if ours and el.get("name", "").startswith(_WISDOMS_BOOK):
            book_name = el.get("name")[len(_WISDOMS_BOOK):].strip() or book_name
    reader.add_codes(codes_el, None, origin=origin, ours=ours, top=True)
    if not reader.codes:
        raise reader.fail("the project's codebook has no codes", codes_el, hint="add codes, or export another project")
    codebook = Codebook(codes=tuple(reader.codes), name=book_name, version="1", path=reader.where)
    validate(codebook)
    status = {c.id: c.status for c in codebook.codes}

    decisions: dict[tuple[str, str], Decision] = {}
    skipped_sources: list[tuple[str, str]] = []
    skipped: Counter[str] = Counter()
    sources = 0
    readable: list[tuple[Any, str, str]] = []
    for sources_el in _kids(root, "Sources"):
        for src in sources_el:
            kind = _local(src)
            name = (src.get("name") or src.get("guid") or f"line {src.sourceline}").strip()
            if kind in _NON_TEXT:
                reason = f"{_NON_TEXT[kind]} source; only text sources are imported"
            elif kind != "TextSource":
                reason = f"unknown source element <{kind}>"
            else:
                text, reason = reader.source_text(src)
                if text is not None:
                    readable.append((src, name, text))
                    continue
            log.info("skipped source %r: %s", name, reason)
            skipped_sources.append((name, reason))
    raw = [(text, [(_position(reader, sel, "startPosition"), _position(reader, sel, "endPosition"))
                   for sel in _kids(src, "PlainTextSelection")]) for src, _name, text in readable]
    units, note = choose_units((root.get("origin") or "").strip(), raw)
    if note:
        log.warning("%s: %s", reader.path, note)
    for src, name, text in readable:
        sources += 1
        _selections(reader, src, name, text, users, status, decisions, skipped, units=units)
        whole = sum(len(_kids(c, "CodeRef")) for c in _kids(src, "Coding"))
        if whole:
            skipped["whole-source codings (not a passage)"] += whole
    return QdpxImport(codebook=codebook, decisions=tuple(decisions.values()), sources=sources,
                      skipped_sources=tuple(skipped_sources), skipped_codings=dict(skipped),
                      undescribed=tuple(reader.undescribed), positions=units, positions_note=note)


def _selections(reader: _Reader, src: Any, name: str, text: str, users: dict[str, str], status: dict[str, str],
                decisions: dict[tuple[str, str], Decision], skipped: Counter[str], *, units: str = CODE_POINTS) -> None:
    mapper = Utf16Offsets(text) if units == UTF16_UNITS else None
    for sel in _kids(src, "PlainTextSelection"):
        raw_start, raw_end = _position(reader, sel, "startPosition"), _position(reader, sel, "endPosition")
        start, end = (raw_start, raw_end) if mapper is None else (mapper.to_index(raw_start), mapper.to_index(raw_end))
        if start is None or end is None or not 0 <= start <= end <= len(text):
            size = f"{len(text)} characters" if mapper is None else f"{mapper.to_units(len(text))} UTF-16 units"
            raise reader.fail(f"<PlainTextSelection name={sel.get('name')!r}> in source {name!r} runs "
                              f"{raw_start}-{raw_end}, outside the text's {size} (or inside a character)", sel,
                              hint=f"positions were read as {units}; export the project again")
        quote = text[start:end]
        for coding in _kids(sel, "Coding"):
            for ref in _kids(coding, "CodeRef"):
                target = _guid(ref.get("targetGUID"))
                code_id = reader.code_of_guid.get(target)
                if code_id is None:
                    if target in reader.skipped_guids:
                        skipped["codings to wisdoms theme codes"] += 1
                        continue
                    raise reader.fail(f"a <CodeRef> in source {name!r} names code {ref.get('targetGUID')!r}, "
                                      "which is not in the codebook", ref)
                if status[code_id] != "active":
                    skipped[f"codings to {status[code_id]} codes"] += 1
                    continue
                if not quote.strip():
                    skipped["empty selections"] += 1
                    continue
                who_guid = _guid(coding.get("creatingUser") or sel.get("creatingUser"))
                who = users.get(who_guid, who_guid)
                when = (coding.get("creationDateTime") or sel.get("creationDateTime") or "").strip()
                target_id = f"{name}:{start}-{end}"
                decisions.pop((target_id, code_id), None)
                decisions[(target_id, code_id)] = Decision(target_id=target_id, code=code_id, verdict="confirm",
                                                           text=quote, who=who, when=when)
