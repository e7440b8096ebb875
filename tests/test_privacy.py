"""The privacy gate: detectors, scan outputs, pseudonymisation, sign-offs, fail-closed, final scan."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from wisdoms.cli import main
from wisdoms.errors import ExportBlockedError, PrivacyError
from wisdoms.models import Quote
from wisdoms.privacy import Detector, NameList, PrivacyGate, SignOffs, is_lowercase, visible_text
from wisdoms.privacy.patterns import nhs_checksum_ok, spoken_numbers

ROOT = Path(__file__).resolve().parents[1]


def _shared() -> Path:
    first = Path(__file__).resolve().parents[2] / "shared"
    return first if first.exists() else Path(__file__).resolve().parents[1].parent / "shared"


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
    assert main(["privacy", "apply", str(sheet), str(folder), "--out", str(work), "--log", str(log), "--reviewer", "AB"]) == 0
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
    def find_many(self, items):  # type: ignore[no-untyped-def]
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
