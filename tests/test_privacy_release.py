"""The release gate as a user meets it: the team's codebook wording is no speech-to-text, and one blocked run
lists every problem at once (ids, the codebook, quotes, the rendered output)."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import CODEBOOK, SAMPLE, ner_crashing

from wisdoms.codebook import Codebook
from wisdoms.errors import ExportBlockedError
from wisdoms.models import Code, Quote
from wisdoms.privacy import Detector, NameList, PrivacyGate, SignOffs
from wisdoms.privacy.release import ScanItem, codebook_texts, release


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector().fit()


def _lower_case_codebook(path: Path, *, planted: dict[str, str] | None = None) -> Path:
    """The sample codebook as a lower-case JSONL file (named "codebook", the name the tool gives it), with
    ``planted`` code names put in by id."""
    book = yaml.safe_load(CODEBOOK.read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as out:
        for c in book["codes"]:
            name = (planted or {}).get(c["id"], c["name"].lower())
            out.write(json.dumps({"id": c["id"], "name": name, "definition": c["definition"].lower()}) + "\n")
    return path


def test_a_lower_case_codebook_named_codebook_passes_and_a_planted_number_blocks_naming_the_code(
        tmp_path: Path, fake_embedder) -> None:  # noqa: ANN001
    from wisdoms.pipeline import run

    folder = tmp_path / "study" / "transcripts"
    shutil.copytree(SAMPLE, folder)
    book = _lower_case_codebook(tmp_path / "codebook.jsonl")
    analysis = run(folder, codebook=book, out=tmp_path / "out", embedder=fake_embedder)
    # Before: NAME 'codebook' at <out folder>:0-8 and NAME 'gatekeeping' (an uncommon lower-case word) blocked it.
    assert analysis.codebook.name == "codebook" and "gatekeeping" in {c.id for c in analysis.codebook.codes}
    written = json.loads((tmp_path / "out" / "themes.json").read_text(encoding="utf-8"))
    assert written["codebook"]["name"] == "codebook" and not (tmp_path / "out" / "NOT-FOR-SHARING.txt").exists()
    # The panel pack (themes named after their code print the code's name) and the .qdpx (the whole codebook)
    # take the same gate.
    from wisdoms.panel.pack import make_pack
    from wisdoms.report.qdpx import export_qdpx

    named = [t["label"] for t in written["themes"] if t.get("title_source") == "code"]
    codes = [n.split(": “")[0] for n in named]  # the code's name, then a member's words in quotation marks
    assert named and all(c == c.lower() for c in codes), "the pack prints lower-case code names"
    assert all(n.endswith("”") for n in named), "with a member's words, which passed the gate as a quote does"
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert report.count("the code's name, then in the words of ") == len(named), "the report cites the words"
    assert (tmp_path / "pack" / "cards.html") in make_pack(tmp_path / "out", tmp_path / "pack")
    assert export_qdpx(tmp_path / "out", tmp_path / "study.qdpx").is_file()

    (tmp_path / "planted").mkdir()
    planted = _lower_case_codebook(tmp_path / "planted" / "codebook.jsonl",
                                   planted={"gatekeeping": "gatekeeping: ring 0161 496 0754 first"})
    with pytest.raises(ExportBlockedError) as caught:
        run(folder, codebook=planted, out=tmp_path / "blocked", embedder=fake_embedder)
    message = str(caught.value)
    assert "PHONE '0161 496 0754' in the code name gatekeeping" in message
    assert str(planted) in message and "edit the codebook" in message
    assert "'codebook'" not in message, "the codebook's own name is still no finding"
    assert not (tmp_path / "blocked").exists(), "nothing is written when blocked"


def _codebook(name: str = "codebook", code_name: str = "gatekeeping") -> Codebook:
    return Codebook(codes=(Code("gatekeeping", code_name, "staff decide who gets in and who waits"),
                           Code("waiting", "waiting", "time spent waiting for a decision")),
                    name=name, path="/study/codebook.jsonl")


def _release(gate: PrivacyGate, items: list[ScanItem], **kwargs) -> dict:  # noqa: ANN003
    return release(kwargs.pop("quotes", []), lambda draft: {"out": "x"}, lambda _r: items, where="out/report.html",
                   gate=gate, **kwargs)


def test_the_codebook_is_checked_as_the_teams_wording_with_strong_detectors_only(detector: Detector) -> None:
    gate = PrivacyGate(names=NameList(entries=(("Zebedee", "NAME"),)), signoffs=SignOffs(), detector=detector).fit()
    # How the reports and a .qdpx print the codebook: whole values, and inside the tool's own wording.
    items = [ScanItem("out", "codebook"), ScanItem("out", "gatekeeping"), ScanItem("out", "Codebook: codebook"),
             ScanItem("out", "codebook, version 1"), ScanItem("out", "staff decide who gets in and who waits")]
    with pytest.raises(ExportBlockedError, match="NAME 'codebook'"):
        _release(gate, items)  # read as speech-to-text, the team's words are uncommon lower-case words
    assert _release(gate, items, codebook=_codebook()) == {"out": "x"}
    for code_name, found in (("referrals from zebedee", "NAME 'zebedee'"), ("ring sarah.t@example.org", "EMAIL"),
                             ("gatekeeping: ring 07700 900123", "PHONE '07700 900123'")):
        with pytest.raises(ExportBlockedError) as caught:
            _release(gate, [*items, ScanItem("out", code_name)], codebook=_codebook(code_name=code_name))
        message = str(caught.value)
        assert f"{found}" in message and "in the code name gatekeeping" in message
        assert "the codebook's wording (/study/codebook.jsonl): 1" in message
    # Sentences of a real codebook (NHS framework): a verb that is also a given name, a category named in quotes.
    assert not gate.check_team_texts([("code definition", "having to chase services themselves during transitions"),
                                      ("code definition", "go under the 'Timeliness of care' sub-category")])
    assert gate.check_team_texts([("code definition", "as Sarah Thompson said")]), "a capitalised full name blocks"
    # The team's wording excuses nothing in participants' own words (a .qdpx source, a transcript turn).
    with pytest.raises(ExportBlockedError, match="me and gatekeeping"):
        _release(gate, [ScanItem("a.qdpx source", "me and gatekeeping went down the shop", verbatim=True)],
                 codebook=_codebook())


def test_codebook_texts_name_each_code_and_leave_examples_out() -> None:
    book = Codebook(codes=(Code("c1", "Trust", "Being believed.", include="cues", examples=("she said ...",)),),
                    name="Study codes")
    assert codebook_texts(book) == [("codebook name", "Study codes"), ("code id", "c1"), ("code name c1", "Trust"),
                                    ("code definition c1", "Being believed."), ("code include note c1", "cues")]
    assert codebook_texts(None) == []


def test_one_blocked_run_lists_every_problem_at_once_with_the_drafts_totals(
        detector: Detector, caplog: pytest.LogCaptureFixture) -> None:
    text = "I went to Dublin. Then we went back to Dublin."
    transcript = SimpleNamespace(id="interview-sarah-thompson.txt", text=text, participants={})
    quote = Quote(transcript.id, "P1", 0, 17, text[:17], "p1")
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=detector, transcripts=[transcript]).fit()
    rendered = [ScanItem(transcript.id, text, 0), ScanItem("out", "Back in Dublin again."), ScanItem("out", "We liked Dublin.")]
    with pytest.raises(ExportBlockedError) as caught:
        _release(gate, rendered, quotes=[quote], transcripts=[transcript])
    message = str(caught.value)
    # Before, a run stopped at the first kind of problem: ids, then quotes, then the rendered output.
    groups = ["\n  file names, folder names and participant ids", "\n  quotes holding identifiers",
              "\n  elsewhere in the rendered output"]
    assert all(g in message for g in groups) and [message.index(g) for g in groups] == sorted(message.index(g) for g in groups)
    assert "in the file name 'interview-sarah-thompson.txt'" in message
    assert "PLACE 'Dublin' at interview-sarah-thompson.txt:10-16" in message  # the quote's finding, with the quote
    # The rest of 'Dublin' (the turn's second, two rendered values) is one term to decide, listed once with how
    # often; the quote's own finding is not counted again.
    assert "3 finding(s) of 1 distinct term(s)" in message and message.count("'Dublin' (") == 1
    assert "PLACE 'Dublin' (3 times; first at interview-sarah-thompson.txt:39-45" in message
    summary = message.split("; nothing was written")[0]
    assert summary.endswith("blocked by 2 distinct term(s) to decide, found 1 in file names or participant ids, "
                            "1 unreviewed quote(s) with 1 finding(s), 3 finding(s) elsewhere in the rendered output")
    assert "rename the file" in message and "wisdoms privacy scan" in message  # what to do, for each group
    with caplog.at_level(logging.WARNING, logger="wisdoms.privacy.release"):
        assert _release(gate, rendered, quotes=[quote], transcripts=[transcript], allow_unreviewed=True) == {"out": "x"}
    drafted = next(r.getMessage() for r in caplog.records if "private draft" in r.getMessage())
    assert summary.split("blocked by ")[1] in drafted, "a draft reports the totals a blocked run lists"


def test_a_detector_failure_still_stops_a_draft(detector: Detector) -> None:
    broken = ner_crashing(detector)
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=broken).fit()
    quote = Quote("a.txt", "P1", 0, 20, "We met Sarah Jones.", "p1")
    rendered: list[str] = []
    with pytest.raises(ExportBlockedError, match="NER model crashed"):
        release([quote], lambda draft: rendered.append("rendered") or {"out": "x"}, lambda _r: [],
                where="out", gate=gate, allow_unreviewed=True)
    assert rendered == [], "nothing is rendered, let alone written, once a detector failed"
