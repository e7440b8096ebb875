"""REFI-QDA export: schema-valid, lowercase sources/, code-point offsets that round-trip, stable GUIDs."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from wisdoms.cli import main
from wisdoms.errors import RunFolderError
from wisdoms.report import write_reports
from wisdoms.report.qdpx import NAMESPACE, export_qdpx

from report_fixtures.analysis import build_analysis

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
    for name, (text, src) in texts.items():
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
