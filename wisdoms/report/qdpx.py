"""Export a run to REFI-QDA (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

The ``.qdpx`` is a zip holding ``project.qde`` (QDA-XML, namespace ``urn:QDA-XML:project:1.0``) and a
lowercase ``sources/`` folder with each transcript as UTF-8 ``<guid>.txt``, referenced as
``internal://<guid>.txt``. Selection positions are Unicode code points from 0, end exclusive: the same
offsets as ``passages.csv``. GUIDs are UUID5s of stable ids (code id, theme label, passage id), so
exporting the same run twice gives the same project, byte for byte.
"""

from __future__ import annotations

import io
import logging
import uuid
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from .._files import write_bytes
from ..errors import RunFolderError
from .rundir import RunFolder, read_inputs, read_run_folder

log = logging.getLogger(__name__)

NAMESPACE = "urn:QDA-XML:project:1.0"
#: Namespace of every GUID this exporter makes (uuid5 of a stable id under it).
GUID_NAMESPACE = uuid.UUID("6f1d7c52-2b0e-4f0a-9a51-3f8e5b8f1c11")
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def stable_guid(*parts: object) -> str:
    """A GUID that depends only on ``parts`` (``code/housing``, ``passage/<id>`` ...)."""
    return str(uuid.uuid5(GUID_NAMESPACE, "/".join(str(p) for p in parts)))


def _el(parent: ET.Element, tag: str, **attrs: Any) -> ET.Element:
    return ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})


def _text_el(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = _el(parent, tag)
    el.text = text
    return el


def build_project(run: RunFolder, transcripts: list[Any], codebook: Any, *, decisions: dict[str, Any] | None = None) -> tuple[bytes, dict[str, bytes]]:
    """The ``project.qde`` bytes and the source files (``sources/<guid>.txt`` -> UTF-8 bytes).

    Raises:
        RunFolderError: A passage's offsets do not hold its text in the re-read transcript.
    """
    ET.register_namespace("", NAMESPACE)
    created = run.manifest.get("created") or "2020-01-01T00:00:00+00:00"
    user = stable_guid("user", "wisdoms")
    project_name = f"wisdoms run {created}"
    root = ET.Element(f"{{{NAMESPACE}}}Project", {
        "name": project_name, "origin": f"wisdoms {run.manifest.get('wisdoms', '')}".strip(),
        "creatingUserGUID": user, "creationDateTime": created,
    })
    users = _el(root, "Users")
    _el(users, "User", guid=user, name="wisdoms (automatic coding)", id="wisdoms")

    # Codes: the codebook (nested by parent) and the themes, each under a non-codable folder code.
    notes: list[tuple[str, str, str]] = []  # (guid, name, text)
    theme_notes: dict[int, list[str]] = defaultdict(list)
    for panel in (decisions or {}).get("panels", []):
        for v in panel.get("verdicts", []):
            text = (f"Panel {panel.get('panel')} on {panel.get('date')}: rings true: {v.get('rings_true')}. "
                    f"Would call it: {v.get('call_it') or '-'}. Missing: {v.get('missing') or '-'}. Outcome: {v.get('outcome')}.")
            guid = stable_guid("note", panel.get("panel"), panel.get("date"), v.get("theme"))
            notes.append((guid, f"Panel verdict on theme {v.get('theme')}", text))
            theme_notes[int(v.get("theme"))].append(guid)

    codebook_el = _el(root, "CodeBook")
    codes_el = _el(codebook_el, "Codes")
    code_guid = {c.id: stable_guid("code", c.id) for c in codebook.codes}
    book = _el(codes_el, "Code", guid=stable_guid("codebook", codebook.name), name=f"Codebook: {codebook.name}", isCodable="false")
    _text_el(book, "Description", f"{codebook.name}, version {codebook.version}")
    children: dict[str | None, list[Any]] = defaultdict(list)
    for c in codebook.codes:
        children[c.parent if c.parent in code_guid else None].append(c)

    def add_code(parent_el: ET.Element, code: Any) -> None:
        el = _el(parent_el, "Code", guid=code_guid[code.id], name=code.name, isCodable="true")
        desc = code.definition + (f"\nInclude: {code.include}" if code.include else "") + (f"\nExclude: {code.exclude}" if code.exclude else "")
        _text_el(el, "Description", desc + ("" if code.status == "active" else f"\nStatus: {code.status}"))
        for child in children.get(code.id, []):
            add_code(el, child)

    for c in children[None]:
        add_code(book, c)
    themes = run.themes.get("themes", [])
    theme_guid = {t["id"]: stable_guid("theme", t["id"], t["label"]) for t in themes}
    folder = _el(codes_el, "Code", guid=stable_guid("themes", created), name="Themes (wisdoms)", isCodable="false")
    _text_el(folder, "Description", "Themes found by wisdoms; status shows whether people have checked them.")
    for t in themes:
        el = _el(folder, "Code", guid=theme_guid[t["id"]], name=f"Theme {t['id']}: {t['label']}", isCodable="true")
        _text_el(el, "Description", f"Status: {t['status']}. Keywords: {', '.join(t['keywords'])}. "
                 f"Heard from {t['participants']} participants in {t['passages']} passages.")
        for note in theme_notes.get(t["id"], []):
            _el(el, "NoteRef", targetGUID=note)

    # Participants as Cases, their attributes as Variables.
    people: dict[str, dict[str, str]] = {}
    sources_of: dict[str, list[str]] = defaultdict(list)
    for doc in transcripts:
        for pid, attrs in doc.participants.items():
            people.setdefault(pid, dict(attrs))
            sources_of[pid].append(doc.id)
    attributes: list[str] = []
    for attrs in people.values():
        attributes += [k for k in attrs if k not in attributes]
    if attributes:
        variables = _el(root, "Variables")
        for name in attributes:
            _el(variables, "Variable", guid=stable_guid("variable", name), name=name, typeOfVariable="Text")
    source_guid = {doc.id: stable_guid("source", doc.id, doc.sha256) for doc in transcripts}
    if people:
        cases = _el(root, "Cases")
        for pid, attrs in people.items():
            case = _el(cases, "Case", guid=stable_guid("case", pid), name=pid)
            for name in attributes:
                if name in attrs:
                    value = _el(case, "VariableValue")
                    _el(value, "VariableRef", targetGUID=stable_guid("variable", name))
                    _text_el(value, "TextValue", str(attrs[name]))
            for tid in sources_of[pid]:
                _el(case, "SourceRef", targetGUID=source_guid[tid])

    # Sources with one coded selection per passage that is in a theme or has a code.
    by_transcript: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in run.passages:
        by_transcript[row["transcript"]].append(row)
    files: dict[str, bytes] = {}
    sources = _el(root, "Sources")
    for doc in transcripts:
        sguid = source_guid[doc.id]
        src = _el(sources, "TextSource", guid=sguid, name=doc.id, plainTextPath=f"internal://{sguid}.txt",
                  creatingUser=user, creationDateTime=created)
        files[f"sources/{sguid}.txt"] = doc.text.encode("utf-8")
        for row in by_transcript.get(doc.id, []):
            if doc.text[row["start"]:row["end"]] != row["text"]:
                raise RunFolderError(f"passage {row['passage']} does not match the transcript text at {row['start']}-{row['end']}",
                                     path=run.path / "passages.csv",
                                     hint="the transcript was read differently; re-run 'wisdoms run' and export the new run")
            code_ids = [c for c in (row.get("codes") or "").split(";") if c]
            theme = row.get("theme")
            targets = [code_guid[c] for c in code_ids if c in code_guid]
            if theme not in (None, "") and int(theme) in theme_guid:
                targets.insert(0, theme_guid[int(theme)])
            if not targets:
                continue
            sel = _el(src, "PlainTextSelection", guid=stable_guid("passage", row["passage"]), name=row["passage"],
                      startPosition=row["start"], endPosition=row["end"], creatingUser=user, creationDateTime=created)
            for target in targets:
                coding = _el(sel, "Coding", guid=stable_guid("coding", row["passage"], target), creatingUser=user,
                             creationDateTime=created)
                _el(coding, "CodeRef", targetGUID=target)
    if notes:
        notes_el = _el(root, "Notes")
        for guid, name, text in notes:
            note = _el(notes_el, "Note", guid=guid, name=name, creatingUser=user, creationDateTime=created)
            _text_el(note, "PlainTextContent", text)
    _text_el(root, "Description",
             f"Exported by wisdoms from {run.path.name}: seed {run.manifest.get('seed')}, "
             f"embedding model {((run.manifest.get('models') or {}).get('embedding') or {}).get('model')}.")
    ET.indent(root)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml, files


def qdpx_bytes(project: bytes, files: dict[str, bytes]) -> bytes:
    """The ``.qdpx`` zip: ``project.qde`` then ``sources/...``, with fixed timestamps (same input, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [("project.qde", project), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buffer.getvalue()


def export_qdpx(
    run_dir: str | Path,
    out: str | Path,
    *,
    transcripts: str | Path | None = None,
    codebook: str | Path | None = None,
    decisions: str | Path | None = None,
) -> Path:
    """Write a REFI-QDA project for a run folder.

    Args:
        run_dir: Folder written by ``wisdoms run``.
        out: The ``.qdpx`` file to write.
        transcripts: Transcripts folder, if not where the manifest says.
        codebook: Codebook, if not where the manifest says.
        decisions: Panel decisions YAML; its verdicts become Notes on the theme codes.

    Raises:
        RunFolderError: The run folder is incomplete or its inputs changed since the run.
        PanelError: The decisions file is invalid.
    """
    run = read_run_folder(run_dir)
    docs, book = read_inputs(run, transcripts=transcripts, codebook=codebook)
    decided = None
    if decisions is not None:
        from ..panel import read_decisions

        decided = read_decisions(decisions)
    project, files = build_project(run, docs, book, decisions=decided)
    path = write_bytes(out, qdpx_bytes(project, files))
    log.info("wrote %s (%d sources)", path, len(files))
    return path
