"""The privacy gate: detectors, scan outputs, pseudonymisation, sign-offs, fail-closed, final scan."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import ner_crashing

from wisdoms.cli import main
from wisdoms.errors import ExportBlockedError, PrivacyError
from wisdoms.models import Quote
from wisdoms.privacy import Detector, NameList, PrivacyGate, SignOffs, is_lowercase, visible_text
from wisdoms.privacy.patterns import nhs_checksum_ok, spoken_numbers

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    """``../shared`` beside the checkout (a worktree under ``wt/`` looks one level further up)."""
    here = Path(__file__).resolve()
    return next((p / "shared" for p in (here.parents[2], here.parents[3]) if (p / "shared").exists()),
                here.parents[2] / "shared")


SNIPPETS = _shared() / "privacy" / "snippets.jsonl"
STRUCTURED = {"POSTCODE", "PHONE", "EMAIL", "NINO", "NHS", "DOB"}


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector().fit()


def _found(detector: Detector, text: str) -> dict[str, str]:
    return {f.text: f.type for f in detector.find(text)}


@pytest.mark.skipif(not SNIPPETS.exists(), reason=f"shared snippets not found at {SNIPPETS} (../shared is absent)")
@pytest.mark.parametrize("lower", [False, True], ids=["cased", "lower-cased"])
def test_structured_identifiers_all_caught_on_shared_snippets(detector: Detector, lower: bool) -> None:
    rows = [json.loads(line) for line in SNIPPETS.read_text(encoding="utf-8").splitlines() if line.strip()]
    missed = []
    for row in rows:
        text = row["text"].lower() if lower else row["text"]
        findings = detector.find(text, source=row["id"])
        for gold in row["identifiers"]:
            if gold["type"] in STRUCTURED and not any(f.start < gold["end"] and gold["start"] < f.end for f in findings):
                missed.append((row["id"], gold["text"]))
    assert any(g["type"] in STRUCTURED for r in rows for g in r["identifiers"])
    assert missed == []


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("Send it to SW1A 1AA please.", "SW1A 1AA", "POSTCODE"),
        ("ring me on +44 7700 900 456 later", "+44 7700 900 456", "PHONE"),
        ("my email's jo.bloggs@example.org ok", "jo.bloggs@example.org", "EMAIL"),
        ("NI number AB123456C on the form", "AB123456C", "NINO"),
        ("born on 1st of March 1988 in the winter", "1st of March 1988", "DOB"),
        ("I'm on twitter as @jo_b_99 now", "@jo_b_99", "HANDLE"),
        ("the van was AB12 CDE", "AB12 CDE", "VEHICLE"),
        ("my claim reference is ZX99812 apparently", "ZX99812", "CODE"),
        ("we lived at 22 Mill Lane for years", "22 Mill Lane", "ADDRESS"),
        ("then they moved me to HMP Woodhill after that", "HMP Woodhill", "SERVICE"),
        ("I went to the Beacon House most days", "Beacon House", "SERVICE"),
    ],
)
def test_pattern_detectors_find_synthetic_identifiers(detector: Detector, text: str, expected: str, kind: str) -> None:
    found = _found(detector, text)
    assert found.get(expected) == kind, found


def test_nhs_numbers_with_and_without_a_valid_checksum(detector: Detector) -> None:
    assert nhs_checksum_ok("9434765919") and not nhs_checksum_ok("9434765918")
    valid = detector.find("my NHS number is 943 476 5919")
    invalid = detector.find("my NHS number is 943 476 5918")
    assert [(f.type, f.detector) for f in valid] == [("NHS", "nhs_checksum")]
    assert [(f.type, f.detector) for f in invalid] == [("NHS", "nhs_shape")]


def test_spoken_phone_numbers_are_counted_digit_by_digit(detector: Detector) -> None:
    text = "call me on oh seven seven double oh, nine one two, treble four five ok"
    hits = list(spoken_numbers(text))
    assert len(hits) == 1
    assert text[hits[0][0]:hits[0][1]] == "oh seven seven double oh, nine one two, treble four five"
    assert list(spoken_numbers("one two three, that's all it took")) == []
    assert any(f.type == "PHONE" for f in detector.find(text))


def test_lower_case_speech_to_text_names_and_places(detector: Detector) -> None:
    text = "me and my sister kelly went down to kettering to see mr okafor at the beacon hostel"
    assert is_lowercase(text) and not is_lowercase("Me and my sister went to see her.")
    found = _found(detector, text)
    assert found.get("kelly") == "NAME"
    assert found.get("kettering") == "PLACE"
    assert found.get("mr okafor") == "NAME"
    assert found.get("beacon hostel") == "SERVICE"


def test_allow_list_keeps_generic_terms_out(detector: Detector) -> None:
    text = ("Universal Credit stopped at Christmas, so I went to A&E, then the Job Centre. "
            "Mum said the council and PIP were on Thursdays with Housing First.")
    assert detector.find(text) == []
    assert _found(detector, "I told Mum that Callum had gone.").get("Callum") == "NAME"


def test_project_name_list_is_matched_case_insensitively(tmp_path: Path) -> None:
    names_file = tmp_path / "names.txt"
    names_file.write_text("# team list\nBig Tez\nthe Drapery\tPLACE\n", encoding="utf-8")
    names = NameList.load(names_file)
    detector = Detector(names=names, use_ner=False).fit()
    found = {f.text: (f.type, f.detector) for f in detector.find("ask big tez, he's always down THE DRAPERY")}
    assert found["big tez"][0] == "NAME" and "name_list" in found["big tez"][1]
    assert found["THE DRAPERY"][0] == "PLACE" and "name_list" in found["THE DRAPERY"][1]
    assert names.version != NameList().version
    bad = tmp_path / "bad.txt"
    bad.write_text("Jo\tPERSONA\n", encoding="utf-8")
    with pytest.raises(PrivacyError, match="PERSONA"):
        NameList.load(bad)


def test_markers_are_placeholders_not_findings(detector: Detector) -> None:
    assert detector.find("I went to a children's home in [PLACE] and [NAME] came with me.") == []


def test_scan_cli_writes_findings_review_sheet_html_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "one.txt").write_text(
        "Interviewer: Who helped?\n\nParticipant: Kelly Brannigan at the Beacon Hostel, and Kelly Brannigan again "
        "later. My number was 07700 900123.\n", encoding="utf-8")
    out = tmp_path / "out" / "findings.csv"
    assert main(["privacy", "scan", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "one.txt\tNAME\t2" in printed
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["source", "start", "end", "text", "type", "detector"]
    text = (folder / "one.txt").read_text(encoding="utf-8")
    assert all(text[int(r["start"]):int(r["end"])] == r["text"] for r in rows)
    assert {"Kelly Brannigan", "07700 900123"} <= {r["text"] for r in rows}
    assert any("Beacon Hostel" in r["text"] and r["type"] == "SERVICE" for r in rows)
    review = list(csv.DictReader((tmp_path / "out" / "findings-review.csv").open(encoding="utf-8")))
    by_text = {}
    for r in review:
        by_text.setdefault(r["text"], set()).add(r["replacement"])
    assert by_text["Kelly Brannigan"] == {"[Name 1]"}  # the same person gets the same pseudonym
    assert (tmp_path / "out" / "findings-review.xlsx").stat().st_size > 0
    assert "<mark>Kelly Brannigan" in (tmp_path / "out" / "findings.html").read_text(encoding="utf-8")
    assert "one.txt,NAME,2" in (tmp_path / "out" / "findings-summary.csv").read_text(encoding="utf-8")


def test_apply_pseudonymises_a_copy_consistently_and_logs_apart(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    original = "Participant: Kelly Brannigan rang. Then Kelly Brannigan came round with Jodie Marsh.\n"
    (folder / "one.txt").write_text(original, encoding="utf-8")
    out = tmp_path / "scan" / "findings.csv"
    assert main(["privacy", "scan", str(folder), "--out", str(out)]) == 0
    sheet = tmp_path / "scan" / "findings-review.csv"
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    for row in rows:
        row["decision"] = "replace"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    work, log = tmp_path / "work", tmp_path / "private" / "redactions.csv"
    with pytest.raises(PrivacyError, match="no reviewer"):
        main_raising(["privacy", "apply", str(sheet), str(folder), "--out", str(work), "--log", str(log)])
    assert main(["privacy", "apply", str(sheet), str(folder), "--out", str(work), "--log", str(log), "--reviewer", "AB",
                 "--signoffs", str(tmp_path / "signoffs.yaml")]) == 0
    assert (folder / "one.txt").read_text(encoding="utf-8") == original
    assert (work / "one.txt").read_text(encoding="utf-8") == (
        "Participant: [Name 1] rang. Then [Name 1] came round with [Name 2].\n")
    logged = list(csv.DictReader(log.open(encoding="utf-8")))
    assert {(r["original"], r["replacement"], r["decided_by"]) for r in logged} == {
        ("Kelly Brannigan", "[Name 1]", "AB"), ("Jodie Marsh", "[Name 2]", "AB")}
    with pytest.raises(PrivacyError, match="kept apart"):
        main_raising(["privacy", "apply", str(sheet), str(folder), "--out", str(work), "--log", str(work / "log.csv")])


def main_raising(argv: list[str]) -> None:
    """Run a privacy sub-command's function directly so its error reaches the test."""
    from wisdoms.cli import build_parser

    args = build_parser().parse_args(argv)
    args.func(args)


QUOTE = Quote("one.txt", "P01", 100, 140, "Kelly at the Beacon Hostel sorted it all.", "one.txt#100-140")
CLEAN = Quote("two.txt", "P02", 5, 40, "Universal Credit took six weeks.", "two.txt#5-40")


def test_gate_blocks_unreviewed_quotes_and_says_where_and_how(detector: Detector) -> None:
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=detector).fit()
    result = gate.check([QUOTE, CLEAN])
    assert result.cleared == (CLEAN,)
    assert [b.quote for b in result.blocked] == [QUOTE]
    with pytest.raises(ExportBlockedError) as caught:
        result.raise_if_blocked(where="report.html")
    message = str(caught.value)
    assert "one.txt:100-140" in message and "Beacon Hostel" in message and "sign-off" in message
    draft = gate.check([QUOTE, CLEAN], allow_unreviewed=True)
    assert draft.draft and draft.cleared == (QUOTE, CLEAN) and len(draft.blocked) == 1
    draft.raise_if_blocked()


def test_sign_off_clears_a_quote_until_an_edit_or_version_change(detector: Detector, tmp_path: Path) -> None:
    signoffs = SignOffs().add(QUOTE.text, by="AB", detector_version=detector.version,
                              names_version=NameList().version, note="invented names")
    path = signoffs.save(tmp_path / "signoffs.yaml")
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs.load(path), detector=detector).fit()
    assert gate.check([QUOTE]).ok
    edited = Quote(QUOTE.transcript, QUOTE.participant, QUOTE.start, QUOTE.end, QUOTE.text + " ", QUOTE.passage)
    assert not gate.check([edited]).ok
    upgraded = SignOffs().add(QUOTE.text, by="AB", detector_version=detector.version + "-old",
                              names_version=NameList().version)
    assert not PrivacyGate(names=NameList(), signoffs=upgraded, detector=detector).fit().check([QUOTE]).ok
    renamed = NameList(entries=(("Kelly", "NAME"),))
    assert not PrivacyGate(names=renamed, signoffs=SignOffs.load(path), detector=detector).fit().check([QUOTE]).ok


class _Broken(Detector):
    def find_many(self, items, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN003
        raise PrivacyError("boom")


def test_detector_error_fails_closed(detector: Detector) -> None:
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=_Broken(nlp=detector.nlp)).fit()
    for draft in (False, True):
        result = gate.check([CLEAN], allow_unreviewed=draft)
        assert result.cleared == () and len(result.blocked) == 1
        with pytest.raises(ExportBlockedError):
            result.raise_if_blocked()
    with pytest.raises(ExportBlockedError, match="final privacy scan failed"):
        gate.scan_rendered("Universal Credit", where="report.md")


def test_stage_error_inside_detector_raises(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> None:
    from wisdoms.privacy import patterns

    def explode(text: str):  # noqa: ANN202
        raise ValueError("bad pattern")

    monkeypatch.setattr(patterns, "structured", explode)
    with pytest.raises(PrivacyError, match="patterns"):
        detector.find("anything at all")


def test_final_rendered_scan_blocks_hits_outside_signed_off_quotes(detector: Detector) -> None:
    signoffs = SignOffs().add(QUOTE.text, by="AB", detector_version=detector.version, names_version=NameList().version)
    gate = PrivacyGate(names=NameList(), signoffs=signoffs, detector=detector).fit()
    page = (f"<html><head><title>Themes</title></head><body><h1>Housing</h1><blockquote>{QUOTE.text}</blockquote>"
            "<p>P01, North, 18-24</p></body></html>")
    assert gate.scan_rendered(visible_text(page), where="report.html", quotes=[QUOTE]) == []
    leaky = page.replace("P01, North", "P01, Kettering")
    with pytest.raises(ExportBlockedError, match="Kettering"):
        gate.scan_rendered(visible_text(leaky), where="report.html", quotes=[QUOTE])
    hits = gate.scan_rendered(visible_text(leaky), where="report.html", quotes=[QUOTE], allow_unreviewed=True)
    assert [h.text for h in hits] == ["Kettering"]


def test_shipped_sample_passes_the_gate_without_false_blocks(detector: Detector) -> None:
    from wisdoms.ingest import read_folder

    transcripts = read_folder(ROOT / "transcripts")
    items = [(t.id, t.text[turn.start:turn.end], turn.start) for t in transcripts for turn in t.turns]
    findings = [f for group in detector.find_many(items) for f in group]
    assert findings == []


# --- lower-case mode per transcript -------------------------------------------------------------------


def test_lower_case_mode_is_decided_by_sentence_starts_and_i() -> None:
    assert is_lowercase("i went there. then i left and kelly came")
    assert not is_lowercase("[laughs] I'm patient, when I'm well. I'm good with detail. I'm kind, I think.")
    assert not is_lowercase("we lived at 22 Mill Lane for years")  # capitals inside the sentence: cased
    assert not is_lowercase("")


def test_lower_case_mode_is_per_transcript_not_per_snippet(detector: Detector) -> None:
    cased = "Participant: I'm good with people. My worker said so.\n\nParticipant: good with detail too"
    assert detector.find("good with detail too", source="alone") != []  # on its own it reads as lower-case
    items = [("one.txt", "I'm good with people. My worker said so.", 13),
             ("one.txt", "good with detail too", cased.index("good with detail"))]
    assert detector.find_many(items) == [[], []]
    lowered = detector.find_many(items, lowercase={"one.txt": True})
    assert [f.text for f in lowered[1]] == ["detail"]


def test_gate_decides_the_mode_from_whole_transcripts(detector: Detector) -> None:
    from types import SimpleNamespace

    quote = Quote("six.txt", "P06", 40, 60, "good with detail too", "six.txt#40-60")
    alone = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=detector).fit()
    assert not alone.check([quote]).ok
    whole = SimpleNamespace(id="six.txt", text="Participant: I'm patient. I'm kind, I think. I'm good with detail too.")
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=detector, transcripts=[whole]).fit()
    assert gate.check([quote]).ok


def test_shipped_sample_needs_no_sign_off(detector: Detector) -> None:
    """The one shipped sign-off covered a lower-case false positive that per-transcript mode removed."""
    text = "[laughs] I'm patient, when I'm well. I'm good with detail. I'm kind, I think."
    assert detector.find(text, source="conversation-06.txt") == []
    assert SignOffs.load(ROOT / "privacy" / "signoffs.yaml").entries == ()


# --- scan and apply on CSV / JSONL ---------------------------------------------------------------------


def _decide(sheet: Path, decide) -> None:  # noqa: ANN001
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    for row in rows:
        row["decision"], row["reviewer"] = decide(row), "AB"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_apply_on_jsonl_writes_jsonl_and_signs_off_kept_findings(tmp_path: Path) -> None:
    source = tmp_path / "answers.jsonl"
    records = [{"id": "r1", "text": "Kelly Brannigan helped at the Beacon Hostel.", "area": "North"},
               {"id": "r2", "text": "Then Kelly Brannigan rang me on 07700 900123.", "area": "South"},
               {"id": "r3", "text": "Universal Credit was late.", "area": "North"}]
    original = "".join(json.dumps(r) + "\n" for r in records)
    source.write_text(original, encoding="utf-8")
    out = tmp_path / "scan" / "findings.csv"
    assert main(["privacy", "scan", str(source), "--out", str(out)]) == 0
    found = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["source"] for r in found} == {"r1", "r2"}
    sheet = tmp_path / "scan" / "findings-review.csv"
    _decide(sheet, lambda row: "keep" if row["type"] == "SERVICE" else "replace")
    work, log, signoffs = tmp_path / "work.jsonl", tmp_path / "private" / "log.csv", tmp_path / "signoffs.yaml"
    assert main(["privacy", "apply", str(sheet), str(source), "--out", str(work), "--log", str(log),
                 "--signoffs", str(signoffs)]) == 0
    assert source.read_text(encoding="utf-8") == original
    copied = [json.loads(line) for line in work.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in copied] == ["r1", "r2", "r3"] and [r["area"] for r in copied] == ["North", "South", "North"]
    assert copied[0]["text"] == "[Name 1] helped at the Beacon Hostel."
    assert copied[1]["text"] == "Then [Name 1] rang me on [Phone 1]."
    assert copied[2]["text"] == records[2]["text"]
    logged = list(csv.DictReader(log.open(encoding="utf-8")))
    assert {(r["source"], r["original"], r["replacement"], r["decided_by"]) for r in logged} == {
        ("r1", "Kelly Brannigan", "[Name 1]", "AB"), ("r2", "Kelly Brannigan", "[Name 1]", "AB"),
        ("r2", "07700 900123", "[Phone 1]", "AB")}
    assert all(r["applied_at"] for r in logged)
    kept = SignOffs.load(signoffs)
    assert len(kept.entries) == 1 and kept.entries[0].signed_by == "AB" and kept.entries[0].is_kept_finding
    # The kept finding no longer blocks the working copy's quote; an edit near it voids the sign-off.
    gate = PrivacyGate(names=NameList(), signoffs=kept).fit()
    quote = Quote("r1", "r1", 0, len(copied[0]["text"]), copied[0]["text"], "r1")
    assert gate.check([quote]).ok
    edited = Quote("r1", "r1", 0, 40, "Dave Smith helped at the Beacon Hostel.", "r1")
    blocked = gate.check([edited]).blocked
    # Bound to its file and offsets: words added before the kept finding move it, so it is asked about again.
    assert len(blocked) == 1 and [f.text.removeprefix("the ") for f in blocked[0].findings] == ["Dave Smith", "Beacon Hostel"]
    assert kept.entries[0].source == "r1" and kept.entries[0].start == copied[0]["text"].index("the Beacon Hostel")
    moved = Quote("r1", "r1", 0, 40, "[Name 1] helped out at the Beacon Hostel.", "r1")
    assert not gate.check([moved]).ok
    gate.scan_rendered(f"<p>{copied[0]['text']}</p>", where="pack.html")


def test_apply_on_csv_uses_the_named_columns_and_keeps_every_other(tmp_path: Path) -> None:
    source = tmp_path / "feedback.csv"
    original = ("ref,answer,rating\n"
                "a1,\"My worker Jodie Marsh sorted my flat, thanks\",5\n"
                "a2,The wait was too long,2\n")
    source.write_text(original, encoding="utf-8")
    out = tmp_path / "scan" / "findings.csv"
    with pytest.raises(PrivacyError, match="no 'text' column"):
        main_raising(["privacy", "scan", str(source), "--out", str(out)])
    assert main(["privacy", "scan", str(source), "--out", str(out), "--text-column", "answer", "--id-column", "ref"]) == 0
    sheet = tmp_path / "scan" / "findings-review.csv"
    _decide(sheet, lambda row: "replace")
    work, log = tmp_path / "work" / "feedback.csv", tmp_path / "log.csv"
    with pytest.raises(PrivacyError, match="format"):
        main_raising(["privacy", "apply", str(sheet), str(source), "--out", str(tmp_path / "work.jsonl"), "--log", str(log),
                      "--text-column", "answer", "--id-column", "ref", "--signoffs", str(tmp_path / "s.yaml")])
    with pytest.raises(PrivacyError, match="overwrite"):
        main_raising(["privacy", "apply", str(sheet), str(source), "--out", str(source), "--log", str(log),
                      "--text-column", "answer", "--id-column", "ref", "--signoffs", str(tmp_path / "s.yaml")])
    assert main(["privacy", "apply", str(sheet), str(source), "--out", str(work), "--log", str(log),
                 "--text-column", "answer", "--id-column", "ref", "--signoffs", str(tmp_path / "s.yaml")]) == 0
    assert source.read_text(encoding="utf-8") == original
    rows = list(csv.DictReader(work.open(encoding="utf-8")))
    assert rows == [{"ref": "a1", "answer": "My worker [Name 1] sorted my flat, thanks", "rating": "5"},
                    {"ref": "a2", "answer": "The wait was too long", "rating": "2"}]
    assert not (tmp_path / "s.yaml").exists()  # nothing kept, nothing signed off


def test_reviewer_pseudonyms_win_and_inconsistency_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from wisdoms.privacy.review import apply_review

    source = tmp_path / "t.jsonl"
    source.write_text(json.dumps({"id": "x", "text": "Kelly Brannigan and Kelly Brannigan again."}) + "\n", encoding="utf-8")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("source,start,end,text,type,replacement,decision,reviewer\n"
                     "x,0,15,Kelly Brannigan,NAME,[Mum's friend],replace,AB\n"
                     "x,20,35,Kelly Brannigan,NAME,[Name 2],replace,AB\n", encoding="utf-8")
    counts = apply_review(sheet, source, tmp_path / "out.jsonl", log_path=tmp_path / "log.csv")
    assert counts["replaced"] == 2
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["text"] == "[Mum's friend] and [Name 2] again."
    assert "[Mum's friend] and [Name 2]" in caplog.text


def test_sign_off_from_review_on_unchanged_input(tmp_path: Path) -> None:
    source = tmp_path / "answers.jsonl"
    source.write_text(json.dumps({"id": "q1", "text": "I went to the Beacon Hostel every week."}) + "\n", encoding="utf-8")
    out = tmp_path / "findings.csv"
    assert main(["privacy", "scan", str(source), "--out", str(out)]) == 0
    sheet = tmp_path / "findings-review.csv"
    _decide(sheet, lambda row: "keep")
    signoffs = tmp_path / "signoffs.yaml"
    with pytest.raises(PrivacyError, match="either --text"):
        main_raising(["privacy", "sign-off", "--signoffs", str(signoffs)])
    assert main(["privacy", "sign-off", "--from-review", str(sheet), "--input", str(source),
                 "--signoffs", str(signoffs)]) == 0
    assert main(["privacy", "sign-off", "--from-review", str(sheet), "--input", str(source),
                 "--signoffs", str(signoffs)]) == 0  # signing the same again adds nothing
    entries = SignOffs.load(signoffs).entries
    assert len(entries) == 1 and entries[0].signed_by == "AB" and entries[0].signed_at
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs.load(signoffs)).fit()
    text = "I went to the Beacon Hostel every week."
    assert entries[0].detector_version == gate.detector_version_ and entries[0].names_version == gate.names_version_
    assert gate.check([Quote("q1", "q1", 0, len(text), text, "q1")]).ok
    other = NameList(entries=(("Jo", "NAME"),))
    assert not PrivacyGate(names=other, signoffs=SignOffs.load(signoffs)).fit().check(
        [Quote("q1", "q1", 0, len(text), text, "q1")]).ok


def test_review_sheet_xlsx_round_trips_into_apply(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "1", "text": "Call Jodie Marsh on 07700 900123."}) + "\n", encoding="utf-8")
    assert main(["privacy", "scan", str(source), "--out", str(tmp_path / "f.csv")]) == 0
    book = load_workbook(tmp_path / "f-review.xlsx")
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["finding", "source", "start", "end", "text", "type", "detector"]
    assert sheet.data_validations.dataValidation  # decision is a drop-down of replace/keep
    for row in sheet.iter_rows(min_row=2):
        row[header.index("decision")].value = "replace"
        row[header.index("reviewer")].value = "CD"
    book.save(tmp_path / "decided.xlsx")
    assert main(["privacy", "apply", str(tmp_path / "decided.xlsx"), str(source), "--out", str(tmp_path / "b.jsonl"),
                 "--log", str(tmp_path / "log.csv"), "--signoffs", str(tmp_path / "s.yaml")]) == 0
    assert json.loads((tmp_path / "b.jsonl").read_text(encoding="utf-8"))["text"] == "Call [Name 1] on [Phone 1]."


# --- scan outputs ----------------------------------------------------------------------------------------


def test_scan_outputs_offsets_are_code_points_and_html_is_escaped(tmp_path: Path) -> None:
    source = tmp_path / "rows.csv"
    text = "Zoë 🙂 said “hi” <b>then</b> Kelly Brannigan left — ring 07700 900123"
    with source.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "text"], ["r<1>", text]])
    out = tmp_path / "f.csv"
    assert main(["privacy", "scan", str(source), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["source", "start", "end", "text", "type", "detector"]
    assert all(text[int(r["start"]):int(r["end"])] == r["text"] for r in rows)
    assert {"Kelly Brannigan", "07700 900123"} <= {r["text"] for r in rows}
    page = (tmp_path / "f.html").read_text(encoding="utf-8")
    assert "<b>then</b>" not in page and "&lt;b&gt;then&lt;/b&gt;" in page and "r&lt;1&gt;" in page
    assert "<html lang='en'>" in page and "<caption>" in page and "scope='col'" in page
    assert "<mark>Kelly Brannigan<span class='tag'>[#" in page
    summary = list(csv.DictReader((tmp_path / "f-summary.csv").open(encoding="utf-8")))
    assert {(r["source"], r["type"]) for r in summary} >= {("r<1>", "NAME"), ("r<1>", "PHONE")}


def test_a_raising_detector_blocks_the_gate_and_the_scan(detector: Detector, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    broken = ner_crashing(detector)
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=broken).fit()
    result = gate.check([CLEAN])
    assert not result.ok and result.cleared == () and "NER model crashed" in result.blocked[0].reason
    with pytest.raises(ExportBlockedError):
        gate.check([CLEAN], allow_unreviewed=True).raise_if_blocked()
    with pytest.raises(ExportBlockedError):
        gate.scan_rendered("Universal Credit took six weeks.", where="report.md")
    from wisdoms.privacy.scan import scan

    source = tmp_path / "a.jsonl"
    source.write_text(json.dumps({"id": "1", "text": "anything"}) + "\n", encoding="utf-8")
    with pytest.raises(PrivacyError, match="ner"):
        scan(source, detector=broken)


def test_apply_on_a_folder_keeps_crlf_and_windows_1252_offsets(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    original = "Interviewer: Who helped?\r\nParticipant: Kelly Brannigan at the caf\xe9 helped me.\r\n".encode("cp1252")
    (folder / "one.txt").write_bytes(original)
    assert main(["privacy", "scan", str(folder), "--out", str(tmp_path / "scan" / "findings.csv")]) == 0
    sheet = tmp_path / "scan" / "findings-review.csv"
    _decide(sheet, lambda row: "replace" if row["text"] == "Kelly Brannigan" else "keep")
    work = tmp_path / "work"
    assert main(["privacy", "apply", str(sheet), str(folder), "--out", str(work), "--log", str(tmp_path / "log.csv"),
                 "--signoffs", str(tmp_path / "signoffs.yaml")]) == 0
    assert (folder / "one.txt").read_bytes() == original
    assert (work / "one.txt").read_bytes().decode("utf-8") == (
        "Interviewer: Who helped?\r\nParticipant: [Name 1] at the caf\xe9 helped me.\r\n")


def test_apply_refuses_a_caption_file_it_cannot_edit_in_place(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "call.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Interviewer>Who helped?\n\n"
        "00:00:05.000 --> 00:00:09.000\n<v Participant>Kelly Brannigan helped me.\n", encoding="utf-8")
    assert main(["privacy", "scan", str(folder), "--out", str(tmp_path / "scan" / "findings.csv")]) == 0
    sheet = tmp_path / "scan" / "findings-review.csv"
    _decide(sheet, lambda row: "replace")
    with pytest.raises(PrivacyError, match=r"call\.vtt: a \.vtt file cannot be pseudonymised in place"):
        main_raising(["privacy", "apply", str(sheet), str(folder), "--out", str(tmp_path / "work"),
                      "--log", str(tmp_path / "log.csv")])
    assert not (tmp_path / "work").exists()


# --- metadata, pseudonym identity, types (audit of issue 5) -------------------------------------------


def _decide_all(sheet: Path, decision: str = "replace") -> None:
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    for row in rows:
        row["decision"], row["reviewer"] = decision, "AB"
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_scan_and_apply_cover_front_matter_and_participants_csv(tmp_path: Path) -> None:
    """Attributions print the area: the scan must find it so apply can pseudonymise it, or the final
    scan of every report would block on it with nothing in the review sheet to resolve it."""
    from wisdoms.ingest import read_folder

    folder = tmp_path / "transcripts"
    folder.mkdir()
    original = ("---\nparticipant: P21\narea: Kettering\nhousing: Hostel\n---\n"
                "Interviewer: How was it?\n\nParticipant: It was fine, the staff listened to me.\n")
    (folder / "one.txt").write_text(original, encoding="utf-8")
    (folder / "two.txt").write_text("---\nparticipant: P02\n---\nParticipant: Quiet at the minute, nothing much to say.\n",
                                    encoding="utf-8")
    (folder / "participants.csv").write_text("participant,area\nP02,Wellingborough\n", encoding="utf-8")
    out = tmp_path / "scan" / "findings.csv"
    assert main(["privacy", "scan", str(folder), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["source"], r["text"], r["type"]) for r in rows] == [
        ("one.txt", "Kettering", "PLACE"), ("participants.csv", "Wellingborough", "PLACE")]
    assert original[int(rows[0]["start"]):int(rows[0]["end"])] == "Kettering"
    sheet = tmp_path / "scan" / "findings-review.csv"
    _decide_all(sheet)
    work = tmp_path / "work"
    assert main(["privacy", "apply", str(sheet), str(folder), "--out", str(work), "--log", str(tmp_path / "log.csv"),
                 "--signoffs", str(tmp_path / "signoffs.yaml")]) == 0
    assert (folder / "one.txt").read_text(encoding="utf-8") == original
    assert 'area: "[Place 1]"' in (work / "one.txt").read_text(encoding="utf-8")  # quoted, or YAML reads a list
    assert (work / "participants.csv").read_text(encoding="utf-8") == "participant,area\nP02,[Place 2]\n"
    areas = {pid: attrs.get("area") for t in read_folder(work) for pid, attrs in t.participants.items()}
    assert areas == {"P21": "[Place 1]", "P02": "[Place 2]"}


def test_front_matter_does_not_decide_lower_case_mode(detector: Detector, tmp_path: Path) -> None:
    """Lower-case keys ("participant:", "area:") are not speech: a cased transcript stays cased."""
    from wisdoms.privacy.scan import scan

    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "one.txt").write_text(
        "---\nparticipant: P01\narea: north\nhousing: hostel\ngender: woman\nethnicity: white\n---\n"
        "Participant: The staff gave me flapjacks and a brew, proper sound.\n", encoding="utf-8")
    assert scan(folder, detector=detector).findings == ()  # lower-case mode flags the rare word "flapjacks"


def test_one_identifier_written_two_ways_gets_one_pseudonym() -> None:
    from wisdoms.privacy.detectors import Finding
    from wisdoms.privacy.scan import pseudonyms

    found = [Finding("a", 0, 1, "QQ 12 34 56 C", "NINO", "nino"), Finding("b", 0, 1, "qq123456c", "NINO", "nino"),
             Finding("a", 0, 1, "07700 900123", "PHONE", "phone"),
             Finding("b", 0, 1, "oh seven seven double oh nine double oh one two three", "PHONE", "spoken_number"),
             Finding("b", 0, 1, "07700 900124", "PHONE", "phone"),
             Finding("a", 0, 1, "943 476 5919", "NHS", "nhs_checksum"), Finding("b", 0, 1, "9434765919", "NHS", "nhs_checksum"),
             Finding("a", 0, 1, "Oasis hostel", "SERVICE", "service"), Finding("b", 0, 1, "the oasis hostel", "SERVICE", "service")]
    assert pseudonyms(found) == ["[NI number 1]", "[NI number 1]", "[Phone 1]", "[Phone 1]", "[Phone 2]",
                                 "[NHS number 1]", "[NHS number 1]", "[Service 1]", "[Service 1]"]


def test_towns_are_typed_place_not_name(detector: Detector) -> None:
    """NER's GPE beats the capital-letter guess, so the suggested pseudonym is [Place n], not [Name n]."""
    found = _found(detector, "I went to Sainsbury's in Leicester and then on to London with Kelly.")
    assert found["Leicester"] == "PLACE" and found["London"] == "PLACE" and found["Kelly"] == "NAME"
    assert detector.find("area: Kettering", source="meta")[0].type == "PLACE"


# --- findings cache (issue 7): unchanged texts are not analysed again, and the gate is no weaker -------------

_FRAGMENTS = ("Kelly at the Beacon Hostel sorted it all.", "Universal Credit took six weeks.", "ring 07700 900456",
              "i went round daz's and me and kez got chips", "we lived at 22 Mill Lane in Kettering", "[NAME] said so",
              "my NI number is AB123456C", "my sister shannon came", "born on 1st of March 1988", "Dr Okafor was kind",
              "nothing to see here", "SW1A 1AA", "émigré café in Zürich", "\n", "  ", "Oasis hostel", "i", "I'm fine")


class _CountingNlp:
    """A spaCy pipeline that counts its ``pipe`` calls (and can be made to fail)."""

    def __init__(self, nlp, *, fail: bool = False) -> None:  # noqa: ANN001
        self._nlp, self.fail, self.calls = nlp, fail, 0

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._nlp, name)

    def pipe(self, texts, **kwargs):  # noqa: ANN001, ANN003, ANN201
        self.calls += 1
        if self.fail:
            raise RuntimeError("NER model crashed")
        return self._nlp.pipe(texts, **kwargs)


@pytest.fixture
def counting_nlp(detector: Detector, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Every spaCy load the detectors make returns a counting wrapper; ``loads`` counts the loads."""
    from wisdoms import segment

    state: dict[str, object] = {"loads": 0, "nlp": _CountingNlp(detector.nlp)}

    def load(name: str = "auto", *, full: bool = False):  # noqa: ANN202
        state["loads"] = int(state["loads"]) + 1  # type: ignore[call-overload]
        return state["nlp"]

    monkeypatch.setattr(segment, "load_spacy", load)
    return state


def _cached_detector(folder: Path, names: NameList | None = None) -> Detector:
    from wisdoms.privacy.cache import FindingsCache

    return Detector(names=names, cache=FindingsCache(folder)).fit()


def test_cache_hit_returns_what_a_fresh_detection_finds(detector: Detector, tmp_path: Path) -> None:
    import tempfile

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    text = st.one_of(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=4).map(" ".join),
                     st.text(alphabet="abcKLM 0123456789@.,'\n[]", max_size=40))
    item = st.tuples(st.sampled_from(["one.txt", "two.txt", "report.md"]), text, st.integers(0, 5000))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(items=st.lists(item, min_size=1, max_size=6), lower=st.sampled_from([None, True, False]))
    def check(items: list[tuple[str, str, int]], lower: bool | None) -> None:
        modes = None if lower is None else {s: lower for s, _t, _o in items}
        fresh = detector.find_many(items, lowercase=modes)
        with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
            first = _cached_detector(Path(folder)).find_many(items, lowercase=modes)
            warm = _cached_detector(Path(folder))
            warm.nlp = _CountingNlp(detector.nlp)
            warm.fit()
            again = warm.find_many(items, lowercase=modes)
            assert warm.nlp.calls == 0  # every text came from the cache
        assert first == fresh and again == fresh

    check()


def test_any_change_to_what_detection_depends_on_misses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        counting_nlp: dict[str, object]) -> None:
    from wisdoms.privacy import detectors

    text = "kelly went round to see him"
    plain = _cached_detector(tmp_path)
    assert plain.find_many([("a", text, 0)], lowercase={"a": False}) == [[]]
    key = plain.cache_key(text, lowercase=False)
    assert plain.cache_key(text + " ", lowercase=False) != key
    assert plain.cache_key(text, lowercase=True) != key
    named = _cached_detector(tmp_path, NameList(entries=(("Kelly", "NAME"),)))
    assert named.cache_key(text, lowercase=False) != key
    # The behaviour a user would see: the warm cache does not hide the name the new list adds, nor lower-case mode.
    assert [f.text for f in named.find_many([("a", text, 0)], lowercase={"a": False})[0]] == ["kelly"]
    assert "kelly" in [f.text for f in plain.find_many([("a", text, 0)], lowercase={"a": True})[0]]
    monkeypatch.setattr(detectors, "RULES_VERSION", detectors.RULES_VERSION + "-next")
    assert _cached_detector(tmp_path).cache_key(text, lowercase=False) != key
    monkeypatch.undo()
    monkeypatch.setattr(detectors, "code_version", lambda: "edited")
    assert _cached_detector(tmp_path).cache_key(text, lowercase=False) != key
    monkeypatch.undo()
    monkeypatch.setattr(detectors, "installed_model", lambda name="auto": "core_web_sm==9.9.9")
    other_model = _cached_detector(tmp_path)
    assert other_model.cache_key(text, lowercase=False) != key
    # A pipeline that is not the one its metadata named is refused rather than trusted with the cache.
    with pytest.raises(PrivacyError, match="9.9.9"):
        other_model.find_many([("a", "a text nobody has seen", 0)])


def test_lazy_model_has_the_same_version_and_a_cached_run_never_loads_spacy(
        detector: Detector, tmp_path: Path, counting_nlp: dict[str, object]) -> None:
    cold = _cached_detector(tmp_path)
    assert counting_nlp["loads"] == 0 and cold.version == detector.version  # sign-offs stay valid
    items = [("one.txt", QUOTE.text, QUOTE.start), ("two.txt", CLEAN.text, CLEAN.start)]
    first = cold.find_many(items)
    assert counting_nlp["loads"] == 1 and counting_nlp["nlp"].calls == 1  # type: ignore[attr-defined]
    warm = _cached_detector(tmp_path)
    assert warm.find_many(items) == first and [f.text for f in first[0]] == ["Kelly", "the Beacon Hostel"]
    assert counting_nlp["loads"] == 1 and counting_nlp["nlp"].calls == 1  # type: ignore[attr-defined]


def test_a_corrupt_cache_falls_back_to_detection(detector: Detector, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    import sqlite3

    items = [("one.txt", QUOTE.text, QUOTE.start)]
    expected = detector.find_many(items)
    assert expected[0]
    _cached_detector(tmp_path).find_many(items)
    # A row altered on disk (its findings emptied) fails its checksum: the text is detected again.
    with sqlite3.connect(tmp_path / "findings.sqlite") as con:
        con.execute("UPDATE findings SET findings = '[]'")
    con.close()
    with caplog.at_level("WARNING", logger="wisdoms.privacy.cache"):
        assert _cached_detector(tmp_path).find_many(items) == expected
    assert "failed their checks" in caplog.text
    # A file that is not a database at all: every text is detected, the run goes on.
    for name in ("findings.sqlite-wal", "findings.sqlite-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    (tmp_path / "findings.sqlite").write_bytes(b"this is not a database" * 100)
    caplog.clear()
    with caplog.at_level("WARNING", logger="wisdoms.privacy.cache"):
        assert _cached_detector(tmp_path).find_many(items) == expected
    assert "cannot read the privacy findings cache" in caplog.text


def test_a_raising_detector_still_blocks_with_a_warm_cache(detector: Detector, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          counting_nlp: dict[str, object]) -> None:
    from wisdoms.privacy import patterns
    from wisdoms.settings import Settings

    settings = Settings(cache_dir=str(tmp_path))
    assert PrivacyGate(settings=settings, names=NameList(), signoffs=SignOffs()).fit().check([CLEAN]).ok
    # A capital inside the sentence: NER must run on it (on "The bus was late again." it is skipped).
    new = Quote("three.txt", "P03", 0, 31, "The bus was late again, Tuesday.", "three.txt#0-31")
    counting_nlp["nlp"].fail = True  # type: ignore[attr-defined]
    result = PrivacyGate(settings=settings, names=NameList(), signoffs=SignOffs()).fit().check([CLEAN, new])
    assert result.cleared == () and len(result.blocked) == 2 and "NER model crashed" in result.blocked[0].reason
    counting_nlp["nlp"].fail = False  # type: ignore[attr-defined]

    def explode(text: str):  # noqa: ANN202
        raise ValueError("bad pattern")

    monkeypatch.setattr(patterns, "structured", explode)
    gate = PrivacyGate(settings=settings, names=NameList(), signoffs=SignOffs()).fit()
    assert gate.check([CLEAN, new], allow_unreviewed=True).cleared == ()
    with pytest.raises(ExportBlockedError, match="final privacy scan failed"):
        gate.scan_rendered("The bus was late again.", where="report.md")
    monkeypatch.undo()
    # Failed detections were not stored: the new quote is still a miss.
    probe = _cached_detector(tmp_path)
    assert probe.cache is not None
    key = probe.cache_key(new.text, lowercase=False)
    assert probe.cache.get_many([key], {key: new.text}) == {}


def test_a_second_gate_over_the_same_quotes_does_not_run_ner(tmp_path: Path, counting_nlp: dict[str, object]) -> None:
    from wisdoms.settings import Settings

    settings = Settings(cache_dir=str(tmp_path / "cache"))
    page = f"Housing\n{QUOTE.text}\nP01, Kettering, 18-24\n{CLEAN.text}"
    runs = []
    for _ in range(2):
        gate = PrivacyGate(settings=settings, names=NameList(), signoffs=SignOffs(),
                           transcripts=[]).fit()
        runs.append((gate.check([QUOTE, CLEAN]), gate.scan_rendered(page, where="report.md", allow_unreviewed=True)))
    assert (tmp_path / "cache" / "privacy" / "findings.sqlite").exists()
    assert counting_nlp["loads"] == 1 and counting_nlp["nlp"].calls == 2  # type: ignore[attr-defined]  # first gate only
    (first, hits1), (second, hits2) = runs
    assert second.blocked == first.blocked and second.cleared == first.cleared == (CLEAN,)
    assert hits2 == hits1 and {"Kelly", "Kettering"} <= {f.text for f in hits1}
    # Sign-offs apply after detection: a new one clears the quote with the cache warm, no invalidation needed.
    version = PrivacyGate(settings=settings, names=NameList(), signoffs=SignOffs()).fit().detector_version_
    signed = SignOffs().add(QUOTE.text, by="AB", detector_version=version, names_version=NameList().version)
    assert PrivacyGate(settings=settings, names=NameList(), signoffs=signed).fit().check([QUOTE, CLEAN]).ok
    assert counting_nlp["nlp"].calls == 2  # type: ignore[attr-defined]


def test_redaction_marks_left_by_earlier_anonymisation_are_not_findings(detector: Detector) -> None:
    """Survey exports often arrive with names already replaced by XXXX; a name next to one is still found."""
    text = "XXXX was so kind to XXXX on the ward, and *** too. Then Kelly Brannigan from ████ rang."
    found = detector.find(text, source="answers.csv")
    assert [f.text for f in found] == ["Kelly Brannigan"]


def test_each_survey_answer_has_its_own_lower_case_mode() -> None:
    """One respondent typing in lower case must not make every other answer in the table lower-case text."""
    from types import SimpleNamespace

    answers = ["the staff on the ward were kind", "i waited ages for a bed", "no complaints at all",
               "The ward is lovely and staff are great."]
    text, quotes = "", []
    for answer in answers:
        quotes.append(Quote("survey.csv", f"r{len(quotes)}", len(text), len(text) + len(answer), answer,
                            f"survey.csv#{len(text)}"))
        text += answer + "\n"
    table = SimpleNamespace(id="survey.csv", text=text)
    gate = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=Detector(use_ner=False),
                       transcripts=[table]).fit()
    result = gate.check(quotes)
    assert quotes[-1] in result.cleared
    as_one_text = PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=Detector(use_ner=False),
                              transcripts=[SimpleNamespace(id="survey.txt", text=text)]).fit()
    moved = [Quote("survey.txt", q.participant, q.start, q.end, q.text, q.passage) for q in quotes]
    assert moved[-1] not in as_one_text.check(moved).cleared, "a conversation keeps one mode for the whole text"


def test_a_capital_inside_a_word_is_not_a_name(detector: Detector) -> None:
    """Scanned survey answers turn 'l' into 'I' mid-word ("kInd", "wIth"); those are not capitalised words."""
    assert detector.find("Because she was very kInd and lovely to work wIth, thank you.", source="a.csv") == []
    assert [f.text for f in detector.find("She said Kelly Brannigan was kInd to her.", source="a.csv")] == [
        "Kelly Brannigan"]


def test_ner_is_skipped_only_where_it_cannot_add_a_finding():
    """The final scan skips NER for cased texts whose only capitals start sentences with everyday words:
    _ner_hits would drop any entity there. Wherever a capital stands inside a sentence, or a sentence
    starts with a known or uncommon word, NER runs."""
    from wisdoms.privacy.detectors import _ner_may_add

    assert not _ner_may_add("Staff were kind. Nothing to improve, I think. I'm grateful.")
    assert not _ner_may_add("the nurse was lovely")
    assert _ner_may_add("Staff at Kettering were kind.")
    assert _ner_may_add("Dave was kind.")          # a known given name starting a sentence
    assert _ner_may_add("Physio team were kind.")  # an uncommon first word (a two-word name could start here)


def test_case_slips_are_not_names_but_inner_capitals_of_names_are(detector: Detector):
    """A scanner's "i" -> "I" slip ("FrIendly", "InformatIon") is an everyday word, not a name; a name
    written with an inner capital ("McDonald") still is. Seen on the NHS FFT table."""
    from wisdoms.privacy.detectors import _case_slip

    assert _case_slip("FrIendly") and _case_slip("InformatIon") and _case_slip("NothIng's")
    assert not _case_slip("McDonald") and not _case_slip("Friendly") and not _case_slip("NHS")
    found = detector.find("All the staff were very helpful and FrIendly. Useful InformatIon gIven.")
    assert found == [], found
    assert [f.text for f in detector.find("The staff were kind and Dr McDonald explained it.")] == ["Dr McDonald"]


def test_everyday_words_capitalised_mid_sentence_are_not_names_but_surnames_are_still_found(detector: Detector):
    """Survey answers capitalise for emphasis ("team Excellent care Listened to me"); a lone everyday word
    that is no given name or place is not a `capitalised` finding. NER and titles still find surnames
    that are everyday words, and given names that are everyday words are still capitalised findings."""
    assert detector.find("Very professional team Excellent care and she Is a credit to the ward.") == []
    for text, name in [("I spoke to Brown about my benefits.", "Brown"), ("The worker, Smith, was kind.", "Smith"),
                       ("I had a chat with Hall about it.", "Hall"), ("My worker Rose was lovely.", "Rose"),
                       ("It was Mrs Green who rang.", "Mrs Green")]:
        assert name in [f.text for f in detector.find(text)], text


# --- Precision on already-anonymised research transcripts (issue 18) ---------------------------------------

@pytest.mark.parametrize("text", [
    "We worked with Company X and then Country Y asked for the data.",
    "Participant 3 said the [university] had its own rules, like P01 and R12 did.",
    "I told <name> about it, and {NAME} agreed.",
    "So XX XXX XXXX XX told me about it And then we left.",
    "The Interviewee and the MODERATOR both laughed.",
    "We used ML and AI through an API, in Python on Azure, with pandas and GitHub.",
    "The PDPs and ICE plots, PM10 and NOx, the X-axis and a Z-score were clear.",
    "Open the Box Plot tab, then Data Provenance and Full Metadata Exploration.",
    "Task: 3.a Please explain your choice.",
    "Then I went to event-147 in the list.",
])
def test_placeholders_acronyms_and_everyday_vocabulary_are_not_findings(detector: Detector, text: str) -> None:
    assert detector.find(text) == []


@pytest.mark.parametrize("text, expected", [
    ("Dan from the team rang me about it.", "Dan"),
    ("I spoke to Brown about my benefits.", "Brown"),
    ("My worker Sharon Whitlock was lovely.", "Sharon Whitlock"),
    ("Company X sent Gary Hollins round.", "Gary Hollins"),
    ("The tool is made by Tezzy McDonald.", "Tezzy McDonald"),
    ("Angus Morrison", "Angus Morrison"),  # two words of everyday frequency, but a frequent surname
    ("I did ask JoJo to write this.", "JoJo"),  # camel case made of given names
    ("Seen by Dr P today.", "Dr P"),  # a title and an initial is no placeholder ("Mr X" is)
])
def test_names_next_to_placeholders_and_jargon_are_still_found(detector: Detector, text: str, expected: str) -> None:
    assert expected in _found(detector, text)


@pytest.mark.parametrize("text, code", [
    ("See Smith v. the United Kingdom, no. 18403/91, decided later.", "18403/91"),
    ("My application no. 18403/91 was refused.", "18403/91"),
    ("The claim number is 88213-C and the account number 44190023.", "88213-C"),
    ("Quote reference HOM-2231-77 when you ring.", "HOM-2231-77"),
    ("My case ref: 2291/2020 is still open.", "2291/2020"),
])
def test_case_claim_and_application_numbers_are_caught(detector: Detector, text: str, code: str) -> None:
    assert _found(detector, text).get(code) == "CODE"


def test_every_finding_says_why_it_was_raised(detector: Detector) -> None:
    findings = detector.find("Call Sharon Whitlock on 07700 900123 about case ref: 2291/2020.")
    reasons = {f.text: f.reason for f in findings}
    assert "phone number" in reasons["07700 900123"]
    assert "case" in reasons["2291/2020"]
    assert all(f.reason and f.reason != f.detector for f in findings)


def test_a_project_allow_list_drops_its_terms_but_never_structured_identifiers() -> None:
    text = "We met at Dublin with Copernicus, phone 07700 900123."
    plain = {f.text for f in Detector(use_ner=False).find(text)}
    allowed = {f.text for f in Detector(use_ner=False, allow=("Dublin", "Copernicus", "07700 900123")).find(text)}
    assert {"Dublin", "Copernicus"} <= plain
    assert allowed == {"07700 900123"}


def test_a_forged_cache_row_cannot_clear_a_text(detector: Detector, tmp_path: Path) -> None:
    """Someone who can write the cache but not read its key cannot forge "no findings" for a phone number."""
    import hashlib
    import sqlite3

    text = "Ring me on 07700 900123 any time."
    items = [("one.txt", text, 0)]
    assert _cached_detector(tmp_path).find_many(items)[0]
    key_file = tmp_path / "findings.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(tmp_path / "findings.sqlite") as con:
        (key,) = con.execute("SELECT key FROM findings").fetchone()
        # The forger's best guess: the old unkeyed checksum of key and an empty body.
        forged = hashlib.sha256(f"{key}\x00[]".encode()).hexdigest()
        con.execute("UPDATE findings SET findings = '[]', checksum = ?", (forged,))
    con.close()
    assert [f.text for f in _cached_detector(tmp_path).find_many(items)[0]] == ["07700 900123"]
    # A key others may read is not trusted: the cache is off and every text is detected.
    key_file.chmod(0o644)
    cold = _cached_detector(tmp_path)
    assert [f.text for f in cold.find_many(items)[0]] == ["07700 900123"] and cold.cache is not None and cold.cache.disabled


@pytest.mark.parametrize("text, expected", [
    ("My brother attends Horizon Day Centre and likes it.", "Horizon Day Centre"),
    ("The treatment in Nottinghamshire CAMHS ED team was slow.", "Nottinghamshire CAMHS ED"),
])
def test_named_places_and_services_of_everyday_words_are_still_found(detector: Detector, text: str, expected: str) -> None:
    assert expected in _found(detector, text)
