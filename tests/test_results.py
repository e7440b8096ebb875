"""wisdoms.results: the Analysis every writer takes, saved beside themes.json and loaded back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_fixtures.analysis import build_analysis

from wisdoms.errors import RunFolderError
from wisdoms.results import ANALYSIS_FILE, Analysis


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):  # noqa: ANN001, ANN201
    return build_analysis(tmp_path_factory.mktemp("results"))


def test_importing_results_loads_no_stage_above_the_models() -> None:
    """Any stage may import the results module: it pulls in no pipeline, report, panel or heavy library."""
    script = ("import sys, json; import wisdoms.results; "
              "print(json.dumps(sorted(m for m in sys.modules if m.startswith('wisdoms') or m in ('numpy', 'pandas'))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(loaded) <= {"wisdoms", "wisdoms._files", "wisdoms.errors", "wisdoms.groups", "wisdoms.models", "wisdoms.plots",
                           "wisdoms.results", "wisdoms.settings", "wisdoms.provenance"}, loaded


@pytest.mark.slow
def test_saved_analysis_loads_back_equal(analysis, tmp_path):  # noqa: ANN001
    written = analysis.save(tmp_path / "run")
    assert written == tmp_path / "run" / ANALYSIS_FILE
    loaded = Analysis.load(tmp_path / "run")
    assert list(loaded.passages) == list(analysis.passages)
    assert list(loaded.themes) == list(analysis.themes)
    assert list(loaded.matches) == list(analysis.matches)
    assert list(loaded.unassigned) == list(analysis.unassigned)
    assert loaded.coverage == analysis.coverage
    assert loaded.manifest == json.loads(json.dumps(analysis.manifest, default=str))
    assert [t.id for t in loaded.transcripts] == [t.id for t in analysis.transcripts]
    assert [t.text for t in loaded.transcripts] == [t.text for t in analysis.transcripts]
    assert [c.id for c in loaded.codebook.codes] == [c.id for c in analysis.codebook.codes]
    assert loaded.out_dir == tmp_path / "run"
    # The notebook frame is the same: theme, label, codes and word counts per passage.
    assert loaded.passages.to_frame().equals(analysis.passages.to_frame())
    # Each passage keeps the turn it came from (not a stand-in): its words lie inside that turn.
    for p in loaded.passages:
        turn = loaded.transcript(p.transcript).turns[p.turn]
        assert turn.start <= p.start and p.end <= turn.end and turn.participant == p.participant


@pytest.mark.slow
def test_the_reports_of_a_loaded_analysis_are_the_same(analysis, tmp_path):  # noqa: ANN001
    from wisdoms.report import render_reports

    analysis.save(tmp_path)
    before, after = render_reports(analysis), render_reports(Analysis.load(tmp_path))
    for name in ("themes.json", "passages.csv", "framework-matrix.csv", "report.md", ANALYSIS_FILE):
        assert after[name] == before[name], name


@pytest.mark.slow
def test_wisdoms_run_writes_the_analysis_into_the_run_folder(analysis, tmp_path):  # noqa: ANN001
    from wisdoms.report import write_reports

    write_reports(analysis, tmp_path / "run", allow_unreviewed=True)
    loaded = Analysis.load(tmp_path / "run")
    assert [t.label for t in loaded.themes] == [t.label for t in analysis.themes]
    assert json.loads((tmp_path / "run" / ANALYSIS_FILE).read_text(encoding="utf-8"))["draft"]


@pytest.mark.slow
def test_load_refuses_changed_or_missing_inputs(analysis, tmp_path):  # noqa: ANN001
    analysis.save(tmp_path / "run")
    folder = tmp_path / "transcripts"
    shutil.copytree(analysis.manifest["inputs"]["transcripts_folder"], folder)
    first = analysis.transcripts[0].id
    (folder / first).write_text((folder / first).read_text(encoding="utf-8") + "\nParticipant: one more.\n",
                                encoding="utf-8")
    with pytest.raises(RunFolderError, match=f"transcript {first} changed since the run") as err:
        Analysis.load(tmp_path / "run", transcripts=folder)
    assert err.value.path == str(folder / first)
    with pytest.raises(RunFolderError, match="codebook the run used is not there"):
        Analysis.load(tmp_path / "run", codebook=tmp_path / "nowhere.yaml")


def test_load_names_the_missing_or_bad_file(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(RunFolderError, match="run folder not found"):
        Analysis.load(tmp_path / "nothing")
    with pytest.raises(RunFolderError, match="analysis.json is missing") as err:
        Analysis.load(tmp_path)
    assert err.value.path == str(tmp_path / ANALYSIS_FILE)
    (tmp_path / ANALYSIS_FILE).write_text('{"schema": "something else"}', encoding="utf-8")
    with pytest.raises(RunFolderError, match="not a saved analysis"):
        Analysis.load(tmp_path)
    (tmp_path / ANALYSIS_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(RunFolderError, match="cannot read analysis.json"):
        Analysis.load(tmp_path)


@pytest.mark.slow
def test_a_notebook_goes_from_the_analysis_to_report_pack_and_qdpx_as_the_cli_does(analysis, tmp_path):  # noqa: ANN001
    """Each later command takes the analysis in hand (nothing written first) and makes what it makes from the
    run folder: the same cards, response sheet and REFI-QDA project, byte for byte."""
    import zipfile

    from wisdoms.panel import make_pack
    from wisdoms.report import write_reports
    from wisdoms.report.qdpx import export_qdpx

    write_reports(analysis, tmp_path / "report", allow_unreviewed=True)
    from_memory = make_pack(analysis, tmp_path / "pack", allow_unreviewed=True)
    from_folder = make_pack(tmp_path / "report", tmp_path / "pack-from-folder", allow_unreviewed=True)
    assert [p.name for p in from_memory] == [p.name for p in from_folder]
    for name in ("cards.html", "responses.csv"):
        assert (tmp_path / "pack" / name).read_bytes() == (tmp_path / "pack-from-folder" / name).read_bytes(), name
    assert "Card 1:" in (tmp_path / "pack" / "cards.html").read_text(encoding="utf-8")

    export_qdpx(analysis, tmp_path / "memory.qdpx", allow_unreviewed=True)
    export_qdpx(tmp_path / "report", tmp_path / "folder.qdpx", allow_unreviewed=True)
    with zipfile.ZipFile(tmp_path / "memory.qdpx") as a, zipfile.ZipFile(tmp_path / "folder.qdpx") as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if name != "project.qde":  # its description names where it came from (the folder, or the analysis)
                assert a.read(name) == b.read(name), name
        assert a.read("project.qde").count(b"<PlainTextSelection") == b.read("project.qde").count(b"<PlainTextSelection") > 0


@pytest.mark.slow
def test_code_suggestions_from_a_run_folder_use_the_saved_passages(analysis, tmp_path):  # noqa: ANN001
    from wisdoms.report import write_reports
    from wisdoms.report.rundir import suggestions_from_run_folder
    from wisdoms.report.view import code_suggestions

    write_reports(analysis, tmp_path, allow_unreviewed=True)
    suggested, facts = suggestions_from_run_folder(tmp_path)
    assert suggested == code_suggestions(analysis)
    assert facts["draft"] is True
    # 'wisdoms codebook suggest' loads the folder as an Analysis: the same suggestions and facts
    from wisdoms.report.rundir import suggestions_of
    from wisdoms.results import Analysis

    again, loaded_facts = suggestions_of(Analysis.load(tmp_path))
    assert again == suggested and loaded_facts == {k: facts[k] for k in ("run", "date", "draft")}


def test_a_code_matcher_used_before_fit_says_so() -> None:
    """Like scikit-learn's check_is_fitted: a clear message naming what to call, not an AttributeError on codes_."""
    import numpy as np

    from wisdoms.codebook import CodeMatcher, load_codebook
    from wisdoms.errors import NotFittedError

    matcher = CodeMatcher(load_codebook(Path(__file__).resolve().parents[1] / "codebook" / "codebook.yaml"))
    for call in (lambda: matcher.score(np.zeros((1, 8), dtype=np.float32)),
                 lambda: matcher.match_passages([], np.zeros((0, 8), dtype=np.float32)),
                 lambda: matcher.match_themes([], [], {})):
        with pytest.raises(NotFittedError, match=r"not fitted yet.*\n.*call \.fit\(embed\) first"):
            call()
    assert issubclass(NotFittedError, AttributeError)


@pytest.mark.slow
def test_settings_and_panel_decisions_are_typed_and_manifest_json_serialises_them(analysis, tmp_path):  # noqa: ANN001
    """No manifest[...] strings: the run's settings and the panels' decisions are fields, and manifest.json is
    their serialisation (settings after the seed, as before; panel_decisions last)."""
    from dataclasses import replace

    from wisdoms.results import PanelDecisions, manifest_document

    assert "settings" not in analysis.manifest and analysis.settings.min_passages == 20
    citation = analysis.themes[0].quotes[0].citation
    decided = replace(analysis, panel_decisions=PanelDecisions(
        file="decisions.yaml", sha256=None, panels=({"panel": "P", "date": "2025-03-14", "verdicts": 0, "flagged_quotes": 1},),
        flagged=(citation,)))
    document = manifest_document(decided)
    keys = list(document)
    assert keys[keys.index("seed") + 1] == "settings" and keys[-1] == "panel_decisions"
    assert document["settings"]["min_passages"] == 20
    assert document["panel_decisions"]["flagged_quotes"] == [{"citation": citation}]
    decided.save(tmp_path)
    loaded = Analysis.load(tmp_path)
    assert loaded.settings == analysis.settings
    assert loaded.panel_decisions == decided.panel_decisions
    assert "panel_decisions" not in loaded.manifest
    # Every writer reads the typed field: the withdrawn quote is in no report.
    from wisdoms.report import render_reports

    assert citation not in str(render_reports(loaded)["report.md"])
    assert PanelDecisions.from_manifest({}) is None


@pytest.mark.slow
def test_provenance_is_typed_and_manifest_json_keeps_its_format(analysis, tmp_path):  # noqa: ANN001
    """Provenance is read as fields (no manifest["inputs"]["..."] strings); manifest.json is written as before
    and loads back equal."""
    from wisdoms.results import manifest_document

    p = analysis.provenance
    assert p.seed == analysis.settings.seed and p.created[:4].isdigit() and p.wisdoms
    assert [t.id for t in p.inputs.transcripts] == [t.id for t in analysis.transcripts]
    assert all(t.sha256 == d.sha256 for t, d in zip(p.inputs.transcripts, analysis.transcripts))
    assert p.inputs.codebook is not None and p.inputs.codebook.name == analysis.codebook.name
    assert p.inputs.unread == () and set(p.timings_seconds) >= {"ingest", "segment"}
    document = manifest_document(analysis)
    assert list(document)[:4] == ["wisdoms", "created", "seed", "settings"]
    assert document["inputs"]["transcripts"][0] == {"id": p.inputs.transcripts[0].id, "format": p.inputs.transcripts[0].format,
                                                    "sha256": p.inputs.transcripts[0].sha256}
    assert {"models", "themes", "counts", "packages"} <= set(p.other)  # kept as recorded
    analysis.save(tmp_path)
    loaded = Analysis.load(tmp_path)
    assert loaded.provenance == p and list(loaded.manifest) == list(analysis.manifest)


def test_a_manifest_of_an_older_run_reads_and_writes_back_unchanged() -> None:
    """A manifest without the entries later runs add (privacy, timings, unread files) and with one this version
    does not know: read with defaults, written back exactly as recorded."""
    from wisdoms.provenance import Provenance

    old = {"wisdoms": "0.0.9", "created": "2024-05-01T10:00:00+00:00", "seed": 7, "models": {"embedding": "m"},
           "inputs": {"transcripts_folder": "/data/t", "transcripts": [{"id": "a.txt", "format": "text", "sha256": "ab"}],
                      "unread": [], "codebook": {"path": "cb.yaml", "name": "CB", "version": "1", "sha256": "cd"}},
           "retired_entry": [1, 2]}
    p = Provenance.from_dict(old)
    assert p.seed == 7 and p.inputs.transcripts[0].id == "a.txt" and p.inputs.codebook.path == "cb.yaml"
    assert p.privacy == {} and p.timings_seconds == {} and p.other == {"models": {"embedding": "m"}, "retired_entry": [1, 2]}
    assert p.to_dict() == old and list(p.to_dict()) == list(old)
    assert Provenance.from_dict({}).to_dict() == {}
