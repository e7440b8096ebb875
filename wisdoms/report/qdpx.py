"""Export a run to REFI-QDA (``.qdpx``) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

The ``.qdpx`` is a zip holding ``project.qde`` (QDA-XML, namespace ``urn:QDA-XML:project:1.0``) and a
lowercase ``sources/`` folder with each transcript as UTF-8 ``<guid>.txt``, referenced as
``internal://<guid>.txt``. Selection positions are Unicode code points from 0, end exclusive (the standard's
count, and the same offsets as ``passages.csv``), or, with ``positions="utf-16"``, UTF-16 code units, as NVivo
counts them (the project's ``origin`` then says so, and ``wisdoms codebook import-qdpx`` reads it back). GUIDs are UUID5s
of stable ids (code id, theme id and keywords, passage id),
so exporting the same run twice gives the same project, byte for byte, and a theme keeps its GUID when
a panel renames it.

Privacy: a ``.qdpx`` carries every transcript whole, interviewer turns and front matter included, not
just quotes. So the export goes through the same gate as the reports (:func:`wisdoms.privacy.release.release`):
every coded passage is checked, and then every source text is scanned whole, with the code names,
descriptions, case variables and notes; any finding outside a signed-off passage or turn stops the
export. The way to clear a corpus is to pseudonymise it (``wisdoms privacy scan`` / ``apply``), run on
the working copy, and export that run: its sources are then the pseudonymised text. With
``allow_unreviewed`` (private drafts only) the project's name and ``<Description>`` say NOT FOR SHARING.

Panel decisions: verdicts become Notes on the theme codes; a renamed theme takes the panel's name; a
rejected theme is kept but marked "(rejected by panel)"; a merged theme is nested under the theme it
was merged into and marked; quotes a panel withdrew are not coded at all (a Note lists them).
"""

from __future__ import annotations

import io
import logging
import uuid
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from .._files import write_bytes
from ..codebook.formats import code_guid as codebook_code_guid
from ..errors import RunFolderError
from ..results import ANALYSIS_FILE, Analysis, PanelDecisions
from .rundir import RunFolder, read_inputs, read_run_folder, run_folder_of

if TYPE_CHECKING:  # pragma: no cover
    from ..privacy import PrivacyGate
    from ..privacy.release import ScanItem

log = logging.getLogger(__name__)

NAMESPACE = "urn:QDA-XML:project:1.0"
#: Namespace of every GUID this exporter makes (uuid5 of a stable id under it).
GUID_NAMESPACE = uuid.UUID("6f1d7c52-2b0e-4f0a-9a51-3f8e5b8f1c11")
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
#: How selection positions may be counted, and what the project's ``origin`` then adds.
POSITIONS = {"code-points": "", "utf-16": " (positions in UTF-16 units, for NVivo)"}


def stable_guid(*parts: object) -> str:
    """A GUID that depends only on ``parts`` (``code/housing``, ``passage/<id>`` ...)."""
    return str(uuid.uuid5(GUID_NAMESPACE, "/".join(str(p) for p in parts)))


def _el(parent: ET.Element, tag: str, **attrs: Any) -> ET.Element:
    return ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})


def _text_el(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = _el(parent, tag)
    el.text = text
    return el


def theme_outcomes(themes: list[dict[str, Any]], decisions: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    """Each theme's status, label and merge target after the panels' verdicts (later panels win), and its
    verdicts; a run without decisions keeps what ``themes.json`` says."""
    from ..panel.decisions import match_verdicts

    verdicts_of: dict[str, list[dict[str, Any]]] = {}
    if decisions:
        # a theme retitled for withdrawn words: a panel that saw its first title named that one
        titles = [(t["id"], t["label"]) for t in themes] + [(t["id"], t["fitted_label"]) for t in themes
                                                             if t.get("fitted_label")]
        verdicts_of, _ = match_verdicts(decisions, titles)
    out = {}
    for t in themes:
        state = {"status": t["status"], "label": t["label"], "merged_into": None, "verdicts": verdicts_of.get(str(t["id"]), [])}
        for v in state["verdicts"]:
            state["status"] = v["outcome"]
            state["label"] = v.get("new_label") or state["label"]
            state["merged_into"] = v.get("merged_into") if v["outcome"] == "merged" else None
        out[t["id"]] = state
    return out


def _theme_name(theme_id: int, state: dict[str, Any]) -> str:
    if state["status"] == "rejected":
        return f"Theme {theme_id} (rejected by panel): {state['label']}"
    if state["status"] == "merged":
        into = f" into theme {state['merged_into']}" if state["merged_into"] is not None else ""
        return f"Theme {theme_id} (merged{into} by panel): {state['label']}"
    return f"Theme {theme_id}: {state['label']}"


def build_project(run: RunFolder, transcripts: list[Any], codebook: Any, *, decisions: dict[str, Any] | None = None,  # noqa: C901
                  stamp: str | None = None, positions: str = "code-points") -> tuple[bytes, dict[str, bytes]]:
    """The ``project.qde`` bytes and the source files (``sources/<guid>.txt`` -> UTF-8 bytes).

    Args:
        run: The run folder.
        transcripts: The run's transcripts, re-read (:func:`~wisdoms.report.rundir.read_inputs`).
        codebook: The run's codebook.
        decisions: Panel decisions (:func:`wisdoms.panel.read_decisions`), applied to the themes.
        stamp: Put at the start of the project's name and ``<Description>`` (NOT FOR SHARING on drafts).
        positions: ``code-points`` (the standard) or ``utf-16`` (NVivo).

    Raises:
        RunFolderError: A passage's offsets do not hold its text in the re-read transcript, or ``positions``
            is neither.
    """
    from ..codebook.qdpx_import import Utf16Offsets

    if positions not in POSITIONS:
        raise RunFolderError(f"unknown positions {positions!r}", hint=f"use one of: {', '.join(POSITIONS)}")
    ET.register_namespace("", NAMESPACE)
    created = run.manifest.get("created") or "2020-01-01T00:00:00+00:00"
    user = stable_guid("user", "wisdoms")
    project_name = f"{stamp + ' - ' if stamp else ''}wisdoms run {created}"
    root = ET.Element(f"{{{NAMESPACE}}}Project", {
        "name": project_name,
        "origin": f"wisdoms {run.manifest.get('wisdoms', '')}".strip() + (POSITIONS[positions] if positions != "code-points" else ""),
        "creatingUserGUID": user, "creationDateTime": created,
    })
    users = _el(root, "Users")
    _el(users, "User", guid=user, name="wisdoms (automatic coding)", id="wisdoms")

    # Codes: the codebook (nested by parent) and the themes, each under a non-codable folder code.
    notes: list[tuple[str, str, str]] = []  # (guid, name, text)
    theme_notes: dict[int, list[str]] = defaultdict(list)
    themes = run.themes.get("themes", [])
    outcome = theme_outcomes(themes, decisions)
    withdrawn = _withdrawn(decisions, run)
    for panel in (decisions or {}).get("panels", []):
        cited = [q["citation"] for q in panel.get("flagged_quotes") or []]
        if cited:
            notes.append((stable_guid("note", panel.get("panel"), panel.get("date"), "withdrawn"),
                          f"Quotes withdrawn by panel {panel.get('panel')}",
                          f"Panel {panel.get('panel')} on {panel.get('date')} asked that these quotes not be used; "
                          f"they are not coded in this export: {', '.join(cited)}."))
        for v in panel.get("verdicts", []):
            call_it = (f"the same idea as theme {v['merged_into']}" if v.get("merged_into") is not None
                       else v.get("call_it") or "-")  # not "same as card 2": card numbers mean nothing here
            text = (f"Panel {panel.get('panel')} on {panel.get('date')}: rings true: {v.get('rings_true')}. "
                    f"Would call it: {call_it}. Missing: {v.get('missing') or '-'}. Outcome: {v.get('outcome')}.")
            guid = stable_guid("note", panel.get("panel"), panel.get("date"), v.get("theme"))
            notes.append((guid, f"Panel verdict on theme {v.get('theme')}", text))
            theme_notes[int(v.get("theme"))].append(guid)

    attributed = {q["citation"] for p in (decisions or {}).get("panels", []) for q in p.get("flagged_quotes") or []}
    if withdrawn - attributed:  # recorded in the run's manifest, which does not say which panel withdrew them
        notes.append((stable_guid("note", "withdrawn"), "Quotes withdrawn by panels",
                      "A co-production panel asked that these quotes not be used; they are not coded in this "
                      f"export: {', '.join(sorted(withdrawn - attributed))}."))

    codebook_el = _el(root, "CodeBook")
    codes_el = _el(codebook_el, "Codes")
    # The same GUIDs as the codebook's own .qdc export, so importing both into one project never duplicates a code.
    code_guid = {c.id: codebook_code_guid(c.id) for c in codebook.codes}
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
    # A theme's GUID rests on its id and keywords, which a panel's renaming does not change.
    theme_guid = {t["id"]: stable_guid("theme", t["id"], "|".join(t.get("keywords") or [])) for t in themes}
    # The folder's GUID does not depend on the run's date, so re-running the same inputs gives the same codes.
    folder = _el(codes_el, "Code", guid=stable_guid("themes"), name="Themes (wisdoms)", isCodable="false")
    _text_el(folder, "Description", "Themes found by wisdoms; status shows whether people have checked them. "
             "Themes a panel rejected are kept and marked; merged themes sit under the theme they were merged into.")
    theme_el: dict[int, ET.Element] = {}
    pending = list(themes)
    while pending:  # merged themes after the theme they joined (chains followed; a cycle falls back to the folder)
        progressed, later = False, []
        for t in pending:
            state = outcome[t["id"]]
            target = state["merged_into"] if state["status"] == "merged" else None
            if target is not None and target in theme_guid and target not in theme_el and target != t["id"]:
                later.append(t)
                continue
            parent = theme_el.get(target, folder) if target is not None else folder
            el = _el(parent, "Code", guid=theme_guid[t["id"]], name=_theme_name(t["id"], state), isCodable="true")
            renamed = f" Machine label: {t['label']}." if state["label"] != t["label"] else ""
            _text_el(el, "Description", f"Status: {state['status']}.{renamed} Keywords: {', '.join(t['keywords'])}. "
                     f"Heard from {t['participants']} participants in {t['passages']} passages.")
            for note in theme_notes.get(t["id"], []):
                _el(el, "NoteRef", targetGUID=note)
            theme_el[t["id"]] = el
            progressed = True
        if not progressed:
            for t in later:
                outcome[t["id"]] = {**outcome[t["id"]], "merged_into": None}
        pending = later

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
        count = Utf16Offsets(doc.text).to_units if positions == "utf-16" else int
        for row in by_transcript.get(doc.id, []):
            if f"{row['transcript']}:{row['start']}-{row['end']}" in withdrawn:
                continue  # a panel asked that this passage not be used
            if doc.text[row["start"]:row["end"]] != row["text"]:
                raise RunFolderError(f"passage {row['passage']} does not match the transcript text at {row['start']}-{row['end']}",
                                     path=run.path / "passages.csv",
                                     hint="the transcript was read differently; re-run 'wisdoms run' and export the new run")
            code_ids = [c for c in (row.get("codes") or "").split(";") if c]
            theme = row.get("theme")
            targets = [code_guid[c] for c in code_ids if c in code_guid]
            if theme is not None and theme != "" and int(theme) in theme_guid:
                targets.insert(0, theme_guid[int(theme)])
            if not targets:
                continue
            sel = _el(src, "PlainTextSelection", guid=stable_guid("passage", row["passage"]), name=row["passage"],
                      startPosition=count(row["start"]), endPosition=count(row["end"]), creatingUser=user,
                      creationDateTime=created)
            for target in targets:
                coding = _el(sel, "Coding", guid=stable_guid("coding", row["passage"], target), creatingUser=user,
                             creationDateTime=created)
                _el(coding, "CodeRef", targetGUID=target)
    if notes:
        notes_el = _el(root, "Notes")
        for guid, name, text in notes:
            note_el = _el(notes_el, "Note", guid=guid, name=name, creatingUser=user, creationDateTime=created)
            _text_el(note_el, "PlainTextContent", text)
    _text_el(root, "Description",
             (f"{stamp}. " if stamp else "")
             + f"Exported by wisdoms from {run.path.name}: seed {run.manifest.get('seed')}, "
             f"embedding model {((run.manifest.get('models') or {}).get('embedding') or {}).get('model')}."
             + (f" {len(withdrawn)} quotes withdrawn by panels are not coded." if withdrawn else ""))
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
    run_dir: str | Path | Analysis,
    out: str | Path,
    *,
    transcripts: str | Path | None = None,
    codebook: str | Path | None = None,
    decisions: str | Path | None = None,
    allow_unreviewed: bool = False,
    gate: PrivacyGate | None = None,
    positions: str = "code-points",
) -> Path:
    """Write a REFI-QDA project for a run folder, through the privacy gate.

    Args:
        run_dir: An :class:`~wisdoms.results.Analysis` (``wisdoms.run(...)`` in a notebook: its transcripts and
            codebook are used as they are), or the folder ``wisdoms run`` wrote (its analysis is loaded with
            :meth:`Analysis.load <wisdoms.results.Analysis.load>`: the transcripts and codebook re-read and
            checked against the run's hashes).
        out: The ``.qdpx`` file to write.
        transcripts: Transcripts folder, if not where the manifest says (the pseudonymised working copy
            the run read); for a run folder only.
        codebook: Codebook, if not where the manifest says; for a run folder only.
        decisions: Panel decisions YAML: verdicts become Notes on the theme codes, renamed, rejected and
            merged themes are marked, withdrawn quotes are not coded. Without it, the decisions the run was
            made with (recorded in its manifest by ``wisdoms run --decisions``) are used.
        allow_unreviewed: Private drafts only: write even with unresolved findings, the project's name and
            ``<Description>`` stamped NOT FOR SHARING.
        gate: A fitted :class:`~wisdoms.privacy.PrivacyGate` (default: the project's, with the run's spaCy model).
        positions: ``code-points`` (the REFI-QDA standard: ATLAS.ti, MAXQDA, QualCoder) or ``utf-16`` (NVivo).

    Raises:
        ExportBlockedError: A coded passage, a source text or another value holds an unresolved finding,
            or a detector failed; nothing is written.
        RunFolderError: The run folder is incomplete or its inputs changed since the run.
        PanelError: The decisions file is invalid.
    """
    from ..models import Quote
    from ..privacy import NOT_FOR_SHARING
    from ..privacy.release import ScanItem, release
    from . import panel_texts, settings_from_manifest

    if not isinstance(run_dir, Analysis) and (Path(run_dir) / ANALYSIS_FILE).is_file():
        run_dir = Analysis.load(run_dir, transcripts=transcripts, codebook=codebook)
    if isinstance(run_dir, Analysis):
        run, docs, book = run_folder_of(run_dir), list(run_dir.transcripts), run_dir.codebook
    else:  # a run folder written before analysis.json was
        run = read_run_folder(run_dir)
        docs, book = read_inputs(run, transcripts=transcripts, codebook=codebook)
    from ..panel.decisions import decisions_from_manifest

    # Without --decisions, the decisions the run itself was made with (wisdoms run --decisions) still apply.
    decided = decisions_from_manifest(run.manifest)
    if decisions is not None:
        from ..panel import read_decisions

        decided = read_decisions(decisions)

    def render(draft: bool) -> dict[str, str | bytes]:
        project, files = build_project(run, docs, book, decisions=decided, stamp=NOT_FOR_SHARING if draft else None,
                                       positions=positions)
        return {"project.qdpx": qdpx_bytes(project, files)}

    withdrawn = _withdrawn(decided, run)
    passages = [Quote(r["transcript"], r["participant"], r["start"], r["end"], r["text"], r["passage"])
                for r in run.passages if (r.get("theme") not in (None, "") or r.get("codes"))
                and f"{r['transcript']}:{r['start']}-{r['end']}" not in withdrawn]
    # Whole turns too, so a reviewer's sign-off of one exact turn (an interviewer's included) clears it in a source.
    turns = [Quote(d.id, t.participant or t.speaker, t.start, t.end, d.text[t.start:t.end], f"{d.id}#{t.start}-{t.end}")
             for d in docs for t in d.turns]
    panel_words = [ScanItem(f"{decisions} (panel verdicts)", text) for text in panel_texts(decided)]
    rendered = release(passages, render, lambda r: [*project_scan_items(_bytes(r["project.qdpx"])), *panel_words],
                       where=str(out), allow_unreviewed=allow_unreviewed, gate=gate,
                       settings=settings_from_manifest(run.manifest), spans=turns, transcripts=docs,
                       ids=[("source name", d.id) for d in docs], codebook=book)
    path = write_bytes(out, _bytes(rendered["project.qdpx"]))
    log.info("wrote %s (%d sources)", path, len(docs))
    return path


def _bytes(data: str | bytes) -> bytes:
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _withdrawn(decided: dict[str, Any] | None, run: RunFolder) -> set[str]:
    """Citations withdrawn by a panel: in ``decided``, and those the run itself was made with
    (``wisdoms run --decisions`` records them in the manifest), so an export without ``--decisions``
    still leaves them uncoded."""
    from ..models import CitationSet
    from ..panel.decisions import flagged_citations

    recorded = PanelDecisions.from_manifest(run.manifest)
    return CitationSet(flagged_citations(decided or {}) | set(recorded.flagged if recorded else ()))


#: Elements of ``project.qde`` whose names are our own ids and fixed wording, not people's words. Notes are
#: our wording around the panel's words, which :func:`export_qdpx` scans on their own (as the reports do).
_OWN_NAMES = frozenset({"PlainTextSelection", "Case", "User", "Project", "Coding", "Note"})


def project_scan_items(data: bytes) -> list[ScanItem]:
    """Every value a ``.qdpx`` shows a reader, for the final privacy scan: each source text (at its own
    offsets), every code and variable name, description and variable value.

    A conversation's source is scanned whole. A survey table's source (one answer a paragraph, each
    written its own way) is scanned an answer at a time: its lower-case mode is the answer's, and one
    10,000-answer text through NER took 4 GB.
    """
    import re

    from ..models import is_table_source
    from ..privacy.release import ScanItem

    items: list[ScanItem] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = ET.fromstring(zf.read("project.qde"))  # noqa: S314 - the project this export has just written
        names = {}
        for src in root.iter(f"{{{NAMESPACE}}}TextSource"):
            names[src.get("plainTextPath", "").removeprefix("internal://")] = src.get("name", "")
        for name in zf.namelist():
            if name.startswith("sources/"):
                source = names.get(name.removeprefix("sources/"), name)
                text = zf.read(name).decode("utf-8")
                where = f"{source} (source in the .qdpx)"
                if is_table_source(source):
                    items += [ScanItem(where, m.group(), m.start(), verbatim=True) for m in re.finditer(r"(?s)\S.*?(?=\n\s*\n|\Z)", text)]
                else:
                    items.append(ScanItem(where, text, verbatim=True))
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if el.get("name") and tag not in _OWN_NAMES and tag != "TextSource":
            items.append(ScanItem(f"project.qde {tag} name", el.get("name", "")))
        if tag in ("Description", "TextValue") and el.text and el.text.strip():
            items.append(ScanItem(f"project.qde {tag}", el.text))
    return items
