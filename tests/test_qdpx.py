"""REFI-QDA export: schema-valid, lowercase sources/, code-point offsets that round-trip, stable GUIDs."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from report_fixtures.analysis import build_analysis

from wisdoms.cli import main
from wisdoms.errors import RunFolderError
from wisdoms.report import write_reports
from wisdoms.report.qdpx import NAMESPACE, export_qdpx

pytestmark = pytest.mark.slow
NS = {"q": NAMESPACE}


def _shared() -> Path:
    here = Path(__file__).resolve()
    first = here.parents[2] / "shared"
    return first if first.is_dir() else here.parents[1].parent / "shared"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("qdpx")
    analysis = build_analysis(tmp)
    out = tmp / "run"
    write_reports(analysis, out, allow_unreviewed=True)  # sample transcripts hold names the gate blocks
    return out


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):  # noqa: ANN001, ANN201
    return export_qdpx(run_dir, tmp_path_factory.mktemp("export") / "project.qdpx")


def test_zip_layout_and_schema(exported):
    with zipfile.ZipFile(exported) as zf:
        names = zf.namelist()
        xml = zf.read("project.qde")
    assert names[0] == "project.qde"
    assert all(n.startswith("sources/") and n.endswith(".txt") for n in names[1:]) and len(names) == 6
    schema_path = _shared() / "refi-qda" / "Project.xsd"
    if not schema_path.is_file():
        pytest.skip(f"REFI-QDA schema not found at {schema_path} (../shared/refi-qda is absent)")
    import xmlschema

    xmlschema.XMLSchema(str(schema_path)).validate(xml.decode("utf-8"))


def test_every_selection_round_trips_to_its_passage_text(run_dir, exported):
    with zipfile.ZipFile(exported) as zf:
        root = ET.fromstring(zf.read("project.qde"))
        texts = {}
        for src in root.iterfind(".//q:TextSource", NS):
            path = src.get("plainTextPath")
            assert path.startswith("internal://")
            texts[src.get("name")] = (zf.read("sources/" + path.removeprefix("internal://")).decode("utf-8"), src)
    with open(run_dir / "passages.csv", encoding="utf-8", newline="") as fh:
        rows = {r["passage"]: r for r in csv.DictReader(fh)}
    coded = {pid for pid, r in rows.items() if r["theme"] != "" or r["codes"]}
    seen = set()
    code_guids = {c.get("guid") for c in root.iterfind(".//q:Code", NS)}
    for _name, (text, src) in texts.items():
        for sel in src.iterfind("q:PlainTextSelection", NS):
            row = rows[sel.get("name")]
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert text[start:end] == row["text"]
            assert all(c.get("targetGUID") in code_guids for c in sel.iterfind(".//q:CodeRef", NS))
            seen.add(sel.get("name"))
    assert seen == coded and seen


def test_participants_are_cases_with_variables(exported):
    root = ET.fromstring(zipfile.ZipFile(exported).read("project.qde"))
    variables = {v.get("name") for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert {"area", "age_band"} <= variables
    cases = root.findall("q:Cases/q:Case", NS)
    assert len(cases) == 5
    assert all(c.find("q:VariableValue/q:TextValue", NS) is not None for c in cases)


def test_export_is_stable_and_cli_works(run_dir, exported, tmp_path):
    again = tmp_path / "again.qdpx"
    assert main(["export", "qdpx", str(run_dir), "--out", str(again)]) == 0
    assert again.read_bytes() == exported.read_bytes()


def test_changed_transcript_fails_clearly_and_writes_nothing(run_dir, tmp_path):
    import json
    import shutil

    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    copy = tmp_path / "transcripts"
    shutil.copytree(manifest["inputs"]["transcripts_folder"], copy)
    target = copy / "conversation-02.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nInterviewer: One more thing.\n", encoding="utf-8")
    out = tmp_path / "x.qdpx"
    with pytest.raises(RunFolderError, match="conversation-02.txt changed since the run"):
        export_qdpx(run_dir, out, transcripts=copy)
    assert not out.exists()


def test_panel_verdicts_become_notes(run_dir, tmp_path):
    from wisdoms.panel import import_responses, make_pack

    make_pack(run_dir, tmp_path / "pack")
    rows = list(csv.reader(io.StringIO((tmp_path / "pack" / "responses.csv").read_text(encoding="utf-8-sig"))))
    rows[1][2:5] = ["partly", "Being believed", "what happened after"]
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    import_responses(tmp_path / "r.csv", panel="North panel", date="2025-03-14", decisions=tmp_path / "d.yaml")
    out = export_qdpx(run_dir, tmp_path / "n.qdpx", decisions=tmp_path / "d.yaml")
    root = ET.fromstring(zipfile.ZipFile(out).read("project.qde"))
    notes = root.findall("q:Notes/q:Note", NS)
    assert len(notes) == 1 and "Being believed" in notes[0].find("q:PlainTextContent", NS).text
    refs = {r.get("targetGUID") for r in root.iterfind(".//q:Code/q:NoteRef", NS)}
    assert refs == {notes[0].get("guid")}


def test_whole_sources_are_scanned_and_a_draft_is_stamped(run_dir, tmp_path):
    """An identifier only an interviewer said is in no coded passage, but the .qdpx carries it: blocked."""
    from wisdoms.errors import ExportBlockedError
    from wisdoms.privacy import NOT_FOR_SHARING, NameList, PrivacyGate

    gate = PrivacyGate(names=NameList(entries=(("whatever feels right", "PLACE"),))).fit()
    out = tmp_path / "p.qdpx"
    with pytest.raises(ExportBlockedError) as err:
        export_qdpx(run_dir, out, gate=gate)
    message = str(err.value)
    assert "conversation-01.txt (source in the .qdpx)" in message and "whatever feels right" in message
    text = (Path(__file__).resolve().parents[1] / "transcripts" / "conversation-01.txt").read_text(encoding="utf-8")
    start = text.lower().index("whatever feels right")
    assert f":{start}-{start + len('whatever feels right')}" in message  # the transcript's own offsets
    assert "wisdoms privacy apply" in message and not out.exists()
    export_qdpx(run_dir, out, gate=gate, allow_unreviewed=True)
    root = ET.fromstring(zipfile.ZipFile(out).read("project.qde"))
    assert root.find("q:Description", NS).text.startswith(NOT_FOR_SHARING)
    assert root.get("name").startswith(NOT_FOR_SHARING)


def test_panel_decisions_mark_rename_merge_and_withdraw(run_dir, exported, tmp_path):
    from wisdoms.panel import import_responses, make_pack

    make_pack(run_dir, tmp_path / "pack")
    rows = list(csv.reader(io.StringIO((tmp_path / "pack" / "responses.csv").read_text(encoding="utf-8-sig"))))
    rows[1][2:6] = ["yes", "Being believed", "", "1"]
    rows[2][2:6] = ["no", "", "", ""]
    rows[3][2:6] = ["partly", "same as card 1", "", ""]
    withdrawn = rows[1][7].split(";")[0].split("=", 1)[1]
    themes = [int(r[6].split()[1]) for r in rows[1:4]]
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    import_responses(tmp_path / "r.csv", panel="North panel", date="2025-03-14", decisions=tmp_path / "d.yaml")
    out = export_qdpx(run_dir, tmp_path / "d.qdpx", decisions=tmp_path / "d.yaml")
    xml = zipfile.ZipFile(out).read("project.qde")
    schema_path = _shared() / "refi-qda" / "Project.xsd"
    if schema_path.is_file():
        import xmlschema

        xmlschema.XMLSchema(str(schema_path)).validate(xml.decode("utf-8"))
    root = ET.fromstring(xml)
    folder = next(c for c in root.iterfind(".//q:Code", NS) if c.get("name") == "Themes (wisdoms)")
    codes = {int(c.get("name").split()[1].rstrip(":")): c for c in folder.iter(f"{{{NAMESPACE}}}Code") if c is not folder}
    renamed, rejected, merged = (codes[t] for t in themes)
    assert renamed.get("name") == f"Theme {themes[0]}: Being believed"
    assert "(rejected by panel)" in rejected.get("name") and rejected in list(folder)  # kept, marked
    assert f"(merged into theme {themes[0]} by panel)" in merged.get("name") and merged in list(renamed)
    transcript, span = withdrawn.rsplit(":", 1)
    start, end = span.split("-")
    for sel in root.iterfind(".//q:PlainTextSelection", NS):
        assert (sel.get("name"), sel.get("startPosition"), sel.get("endPosition")) != (f"{transcript}#{start}-{end}", start, end)
    notes = [n.find("q:PlainTextContent", NS).text for n in root.iterfind("q:Notes/q:Note", NS)]
    assert any(withdrawn in n for n in notes) and any("Being believed" in n for n in notes)
    # Stable GUIDs: a theme keeps its GUID when the panel renames it.
    before = ET.fromstring(zipfile.ZipFile(exported).read("project.qde"))
    guid_before = {c.get("name").split(":")[0]: c.get("guid") for c in before.iterfind(".//q:Code", NS)}
    assert renamed.get("guid") == guid_before[f"Theme {themes[0]}"]


def test_offsets_are_code_points_with_characters_outside_the_basic_plane(run_dir):
    """Emoji and musical symbols are one code point but two UTF-16 units: offsets must count code points."""
    from dataclasses import replace

    from wisdoms.report.qdpx import build_project
    from wisdoms.report.rundir import RunFolder, read_inputs, read_run_folder

    run = read_run_folder(run_dir)
    docs, book = read_inputs(run)
    prefix = "\U0001F600 café — \U0001D11E naïve\n"
    shifted_docs = [replace(d, text=prefix + d.text) for d in docs]
    rows = [{**r, "start": r["start"] + len(prefix), "end": r["end"] + len(prefix)} for r in run.passages]
    shifted = RunFolder(path=run.path, themes=run.themes, passages=rows, manifest=run.manifest)
    project, files = build_project(shifted, shifted_docs, book)
    root = ET.fromstring(project)
    expected = {r["passage"]: r["text"] for r in rows}
    checked = 0
    for src in root.iterfind(".//q:TextSource", NS):
        text = files["sources/" + src.get("plainTextPath").removeprefix("internal://")].decode("utf-8")
        assert text.startswith(prefix)
        for sel in src.iterfind("q:PlainTextSelection", NS):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert text[start:end] == expected[sel.get("name")]
            utf16 = text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le", errors="replace")
            assert utf16 != expected[sel.get("name")]  # the check can fail: UTF-16 offsets would be off by two
            checked += 1
    assert checked > 10


def test_an_export_for_nvivo_counts_utf16_units_and_imports_back_exactly(run_dir, tmp_path):
    """--positions utf-16: each selection is its passage counted in UTF-16 units (NVivo's count), the origin says
    so, and importing the project reads the same passages back."""
    from dataclasses import replace

    from wisdoms.codebook import read_qdpx
    from wisdoms.report.qdpx import build_project, qdpx_bytes
    from wisdoms.report.rundir import RunFolder, read_inputs, read_run_folder

    run = read_run_folder(run_dir)
    docs, book = read_inputs(run)
    prefix = "\U0001F600 café — \U0001D11E naïve\n"
    shifted_docs = [replace(d, text=prefix + d.text) for d in docs]
    rows = [{**r, "start": r["start"] + len(prefix), "end": r["end"] + len(prefix)} for r in run.passages]
    shifted = RunFolder(path=run.path, themes=run.themes, passages=rows, manifest=run.manifest)
    project, files = build_project(shifted, shifted_docs, book, positions="utf-16")
    root = ET.fromstring(project)
    assert "UTF-16" in root.get("origin")
    expected = {r["passage"]: r["text"] for r in rows}
    checked = 0
    for src in root.iterfind(".//q:TextSource", NS):
        text = files["sources/" + src.get("plainTextPath").removeprefix("internal://")].decode("utf-8")
        for sel in src.iterfind("q:PlainTextSelection", NS):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le") == expected[sel.get("name")]
            assert text[start:end] != expected[sel.get("name")]  # the check can fail: code points are off by two
            checked += 1
    assert checked > 10
    path = tmp_path / "nvivo.qdpx"
    path.write_bytes(qdpx_bytes(project, files))
    result = read_qdpx(path)
    assert result.positions == "UTF-16 units" and result.positions_note == ""
    assert result.decisions and all(d.text in expected.values() for d in result.decisions)


def test_guids_do_not_change_when_the_same_run_is_made_again(run_dir, exported, tmp_path):
    """A re-run of the same inputs differs only in its date: every code, source, case and selection keeps its GUID."""
    again = _copy_run(run_dir, tmp_path / "again", created="2031-05-06T07:08:09+00:00")
    out = export_qdpx(again, tmp_path / "again.qdpx")

    def guids(path: Path) -> set[str]:
        root = ET.fromstring(zipfile.ZipFile(path).read("project.qde"))
        return {el.get("guid") for el in root.iter() if el.get("guid")}

    first = guids(exported)
    assert len(first) > 50 and guids(out) == first


def test_quotes_withdrawn_in_the_run_itself_are_not_coded_without_decisions(run_dir, tmp_path):
    """A run made with --decisions records withdrawn quotes in its manifest; an export without --decisions
    must still leave them uncoded."""
    with open(run_dir / "passages.csv", encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["theme"] != "")
    citation = f"{row['transcript']}:{row['start']}-{row['end']}"
    copy = _copy_run(run_dir, tmp_path / "decided",
                     panel_decisions={"flagged_quotes": [{"citation": citation}], "panels": [], "themes": {}})
    root = ET.fromstring(zipfile.ZipFile(export_qdpx(copy, tmp_path / "d.qdpx")).read("project.qde"))
    names = {sel.get("name") for sel in root.iterfind(".//q:PlainTextSelection", NS)}
    assert row["passage"] not in names and len(names) > 10
    before = ET.fromstring(zipfile.ZipFile(export_qdpx(run_dir, tmp_path / "b.qdpx")).read("project.qde"))
    assert row["passage"] in {sel.get("name") for sel in before.iterfind(".//q:PlainTextSelection", NS)}


def _copy_run(run_dir: Path, dest: Path, **manifest_changes: object) -> Path:
    """A copy of the run folder, its inputs' paths made absolute (so they still resolve), manifest changed."""
    import json
    import shutil

    shutil.copytree(run_dir, dest)
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    inputs = manifest["inputs"]
    for key, value in (("transcripts_folder", inputs["transcripts_folder"]), ("codebook", inputs["codebook"]["path"])):
        path = Path(value) if Path(value).is_absolute() or Path(value).exists() else run_dir.parent / value
        if key == "codebook":
            inputs["codebook"]["path"] = str(path.resolve())
        else:
            inputs[key] = str(path.resolve())
    manifest.update(manifest_changes)
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return dest


def test_run_made_with_decisions_exports_its_verdicts_without_the_file(run_dir, tmp_path):
    """'wisdoms run --decisions' records the verdicts in the manifest: the export marks the themes and writes
    the Notes from there, as it does from --decisions, and names a merge by theme, not by card."""
    from wisdoms.panel import import_responses, make_pack, read_decisions
    from wisdoms.panel.decisions import match_verdicts

    make_pack(run_dir, tmp_path / "pack")
    rows = list(csv.reader(io.StringIO((tmp_path / "pack" / "responses.csv").read_text(encoding="utf-8-sig"))))
    rows[1][2:6] = ["yes", "Being believed", "", "1"]
    rows[2][2:6] = ["no", "", "", ""]
    rows[3][2:6] = ["partly", "same as card 1", "", ""]
    with open(tmp_path / "r.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    import_responses(tmp_path / "r.csv", panel="North panel", date="2025-03-14", decisions=tmp_path / "d.yaml")
    document = read_decisions(tmp_path / "d.yaml")
    import json

    themes = json.loads((run_dir / "themes.json").read_text(encoding="utf-8"))["themes"]
    verdicts_of, _ = match_verdicts(document, [(t["id"], t["label"]) for t in themes])
    withdrawn = document["panels"][0]["flagged_quotes"][0]["citation"]
    decided = _copy_run(run_dir, tmp_path / "decided", panel_decisions={
        "themes": verdicts_of, "flagged_quotes": [{"citation": withdrawn}],
        "panels": [{"panel": "North panel", "date": "2025-03-14", "verdicts": 3, "flagged_quotes": 1}]})

    def read(path: Path) -> tuple[set[str | None], list[str]]:
        root = ET.fromstring(zipfile.ZipFile(path).read("project.qde"))
        codes = {c.get("name") for c in root.iterfind(".//q:Code", NS)}
        return codes, [n.find("q:PlainTextContent", NS).text for n in root.iterfind("q:Notes/q:Note", NS)]

    from_manifest = read(export_qdpx(decided, tmp_path / "m.qdpx"))
    from_file = read(export_qdpx(run_dir, tmp_path / "f.qdpx", decisions=tmp_path / "d.yaml"))
    assert from_manifest[0] == from_file[0]
    assert any("(rejected by panel)" in (n or "") for n in from_manifest[0])
    verdict_notes = [n for n in from_manifest[1] if n.startswith("Panel North panel on 2025-03-14: rings true")]
    assert verdict_notes == [n for n in from_file[1] if "rings true" in n] and len(verdict_notes) == 3
    assert any(f"the same idea as theme {rows[1][6].split()[1]}" in n for n in verdict_notes)
    assert not any("same as card" in n for n in verdict_notes)
    assert any(withdrawn in n for n in from_manifest[1])


def test_codes_keep_the_guids_of_the_codebook_qdc_export(run_dir, exported, tmp_path):
    """A team importing the .qdc and the .qdpx into one NVivo project must not get every code twice."""
    import json

    from wisdoms.codebook import load_codebook
    from wisdoms.codebook.formats import save_codebook

    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    codebook = load_codebook(manifest["inputs"]["codebook"]["path"])
    qdc = tmp_path / "codebook.qdc"
    save_codebook(codebook, qdc)
    in_qdc = {c.get("name"): c.get("guid") for c in ET.fromstring(qdc.read_bytes()).iter()
              if c.tag.endswith("}Code")}
    project = ET.fromstring(zipfile.ZipFile(exported).read("project.qde"))
    in_qdpx = {c.get("name"): c.get("guid") for c in project.iterfind(".//q:Code", NS)}
    shared = {c.name for c in codebook.codes}
    assert shared and {n: in_qdpx[n] for n in shared} == {n: in_qdc[n] for n in shared}


def test_a_survey_source_is_scanned_an_answer_at_a_time():
    """A table's source holds thousands of answers: each is its own scan item (its own lower-case mode,
    offsets in the source), while a conversation's source stays whole."""
    import io
    import zipfile

    from wisdoms.report.qdpx import NAMESPACE, project_scan_items

    survey = "R1 (answer): They were kind\n\nR2 (answer): the nurse, dave, helped\nlots\n\nR3 (answer): Fine\n"
    talk = "Interviewer: Hello.\n\nParticipant: Hi there.\n"
    qde = (f'<Project xmlns="{NAMESPACE}" name="p"><Sources>'
           '<TextSource name="survey.csv" plainTextPath="internal://s.txt"/>'
           '<TextSource name="talk.txt" plainTextPath="internal://t.txt"/></Sources></Project>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("sources/s.txt", survey)
        zf.writestr("sources/t.txt", talk)
    items = project_scan_items(buffer.getvalue())
    answers = [i for i in items if i.where.startswith("survey.csv")]
    assert [i.text.strip() for i in answers] == ["R1 (answer): They were kind", "R2 (answer): the nurse, dave, helped\nlots",
                                                  "R3 (answer): Fine"]
    assert all(survey[i.offset:i.offset + len(i.text)] == i.text for i in answers)
    assert [i.text for i in items if i.where.startswith("talk.txt")] == [talk]
