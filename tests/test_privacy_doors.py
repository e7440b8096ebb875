"""Issue 18: everything that leaves goes through the privacy gate, settings come from the project folder, and
each error's advice unblocks the run when followed."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import CODEBOOK, SAMPLE

from wisdoms.cli import main
from wisdoms.errors import ExportBlockedError
from wisdoms.models import Quote
from wisdoms.privacy import NOT_FOR_SHARING, PrivacyGate, SignOffs
from wisdoms.privacy.project import ProjectPrivacy

RENAMED = "interview-darren-whitfield-0161-496-0754.txt"
LEAKS = ("darren", "whitfield", "0161-496-0754", "Sarah Thompson")


def _raising(argv: list[str]) -> None:
    """Run a command's function directly so its error reaches the test."""
    from wisdoms.cli import build_parser

    args = build_parser().parse_args(argv)
    args.func(args)


def _side_door_copy(root: Path) -> Path:
    """The shipped sample with one file renamed after a person and their phone, its participant id a full name."""
    folder = root / "study" / "transcripts"
    shutil.copytree(SAMPLE, folder)
    original = folder / "conversation-03.txt"
    text = original.read_text(encoding="utf-8").replace("participant: P03", "participant: Sarah Thompson", 1)
    assert "Sarah Thompson" in text
    (folder / RENAMED).write_text(text, encoding="utf-8")
    original.unlink()
    return folder


def _all_text(folder: Path) -> str:
    """Every word of every file in an output folder (docx and qdpx unzipped)."""
    parts = []
    for path in [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in {".docx", ".xlsx", ".qdpx"}:
            with zipfile.ZipFile(path) as z:
                parts += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        else:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


@pytest.mark.slow
def test_file_names_and_participant_ids_go_through_the_gate_in_every_output(tmp_path: Path, fake_embedder) -> None:  # noqa: ANN001
    from wisdoms.pipeline import run

    folder = _side_door_copy(tmp_path)
    out = tmp_path / "report"
    with pytest.raises(ExportBlockedError) as blocked:
        run(folder, codebook=CODEBOOK, out=out, embedder=fake_embedder)
    message = str(blocked.value)
    assert RENAMED in message and "Sarah Thompson" in message and "rename the file" in message
    assert not out.exists() or not any(out.iterdir())
    # A private draft is written, stamped NOT FOR SHARING in every file that carries the names.
    analysis = run(folder, codebook=CODEBOOK, out=out, embedder=fake_embedder, allow_unreviewed=True)
    assert (out / "NOT-FOR-SHARING.txt").exists()
    for name in ("report.html", "report.md", "themes.json", "passages.csv", "framework-matrix.csv", "manifest.json"):
        text = (out / name).read_text(encoding="utf-8")
        if "Sarah Thompson" in text or "whitfield" in text:
            assert NOT_FOR_SHARING in text, name
    assert analysis.manifest["privacy"]["folder"] == str((tmp_path / "study" / "privacy").resolve())
    # Panel packs, REFI-QDA and codebook suggestions made from that run are blocked the same way ...
    pack, qdpx, suggested = tmp_path / "pack", tmp_path / "p.qdpx", tmp_path / "suggested.yaml"
    commands = [["panel", "pack", str(out), "--out", str(pack)], ["export", "qdpx", str(out), "--out", str(qdpx)]]
    for command in commands:
        with pytest.raises(ExportBlockedError, match="file names or participant ids"):
            _raising(command)
    assert not pack.exists() and not qdpx.exists()
    # ... and written stamped when released unreviewed.
    for command in commands:
        assert main([*command, "--allow-unreviewed"]) == 0
    assert NOT_FOR_SHARING in _all_text(pack) and NOT_FOR_SHARING in _all_text(tmp_path / "p.qdpx")
    # Suggested codes quote some participants: blocked when one of them is the renamed file, else free of it.
    try:
        _raising(["codebook", "suggest", str(out), "--out", str(suggested)])
    except ExportBlockedError as exc:
        assert "file names or participant ids" in str(exc) and not suggested.exists()
    else:
        assert not any(leak in suggested.read_text(encoding="utf-8") for leak in LEAKS)
    # Following the advice unblocks it: the file renamed and the participant given a pseudonym id.
    renamed = folder / "conversation-03.txt"
    (folder / RENAMED).rename(renamed)
    renamed.write_text(renamed.read_text(encoding="utf-8").replace("Sarah Thompson", "P03"), encoding="utf-8")
    clean = tmp_path / "clean"
    run(folder, codebook=CODEBOOK, out=clean, embedder=fake_embedder)
    assert not any(leak.lower() in _all_text(clean).lower() for leak in LEAKS)


def test_an_id_a_reviewer_signs_off_is_cleared() -> None:
    gate = PrivacyGate(signoffs=SignOffs()).fit()
    ids = [("participant id", "Sarah Thompson")]
    assert [f.text for _k, _v, f in gate.check_ids(ids)] == ["Sarah Thompson"]
    signed = SignOffs().add("Sarah Thompson", by="AB", detector_version=gate.detector_version_,
                            names_version=gate.names_version_)
    assert PrivacyGate(signoffs=signed).fit().check_ids(ids) == []


def test_project_settings_are_found_from_the_transcripts_folder_not_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wisdoms.ingest import read_folder

    folder = tmp_path / "study" / "transcripts"
    folder.mkdir(parents=True)
    (folder / "one.txt").write_text("Interviewer: How was it?\n\nParticipant: Zeb was there and it was fine.\n",
                                    encoding="utf-8")
    privacy = tmp_path / "study" / "privacy"
    privacy.mkdir()
    (privacy / "names.txt").write_text("Zeb\n", encoding="utf-8")
    (privacy / "allow.txt").write_text("Kettering\n", encoding="utf-8")
    elsewhere = tmp_path / "notebooks"
    elsewhere.mkdir()
    (elsewhere / "privacy").mkdir()
    (elsewhere / "privacy" / "names.txt").write_text("Nobody\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    project = ProjectPrivacy.find(folder)
    assert project.names == privacy / "names.txt" and project.allow == privacy / "allow.txt"
    assert project.signoffs == privacy / "signoffs.yaml"
    assert "names.txt" in project.summary()
    docs = read_folder(folder)
    gate = PrivacyGate(transcripts=docs).fit()
    assert gate.names_.path == str(privacy / "names.txt")
    turn = docs[0].participant_turns()[0]
    found = gate.scan_rendered_many([("one.txt", docs[0].text[turn.start:turn.end])], allow_unreviewed=True)[0]
    assert [f.text for f in found] == ["Zeb"] and "name list" in found[0].reason
    assert gate.scan_rendered("We lived in Kettering.", where="x") == []  # the project allow-list
    # A privacy folder inside the transcripts folder wins over one beside it.
    (folder / "privacy").mkdir()
    assert ProjectPrivacy.find(folder).folder == folder / "privacy"


def test_a_sign_off_edited_to_cover_another_span_is_refused(tmp_path: Path) -> None:
    import yaml

    from wisdoms.privacy.detectors import Detector
    from wisdoms.privacy.lexicon import NameList
    from wisdoms.privacy.review import kept_context

    text = "We met at the Oasis hostel, ring 07700 900123 if you need me."
    start = text.index("Oasis hostel")
    lo, hi = kept_context(text, start, start + len("Oasis hostel"))
    detector = Detector(use_ner=False).fit()
    versions = {"detector_version": detector.version, "names_version": NameList().version}
    signed = SignOffs().add_kept_finding(text[lo:hi], start - lo, start - lo + len("Oasis hostel"), by="AB",
                                         source="one.txt", at=lo, **versions)
    path = signed.save(tmp_path / "signoffs.yaml")

    quote = Quote("one.txt", "P01", 0, len(text), text, f"one.txt#0-{len(text)}")
    gate = PrivacyGate(signoffs=SignOffs.load(path), detector=detector).fit()
    assert [f.text for f in gate.check([quote]).blocked[0].findings] == ["07700 900123"]
    # Someone moves the kept span onto the phone number (same length, so the file still loads) ...
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = data["signoffs"][0]
    phone = text.index("07700 900123")
    entry["finding_start"], entry["finding_end"] = phone - lo, phone - lo + 12
    entry["start"], entry["end"] = phone, phone + 12
    assert phone + 12 <= hi  # the phone number is inside the signed context
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    # ... and it clears nothing: the kept words no longer hash as signed (the hostel is back too).
    gate = PrivacyGate(signoffs=SignOffs.load(path), detector=detector).fit()
    assert {f.text for f in gate.check([quote]).blocked[0].findings} == {"07700 900123", "Oasis hostel"}
    # An entry whose offsets do not even fit its context is refused when the file is read.
    entry["finding_end"] = 10_000
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(Exception, match="edited after it was signed"):
        SignOffs.load(path)


def test_codebook_suggest_goes_through_the_gate(tmp_path: Path) -> None:
    from wisdoms.codebook.coverage import CodeSuggestion, release_suggestions

    quote = Quote("one.txt", "P01", 10, 52, "Ring Kelly Brannigan on 07700 900123 then.", "one.txt#10-52")
    suggestion = CodeSuggestion(theme=1, id="calls", name="Calls", definition="People ring for help.",
                                keywords=("ring",), quotes=(quote,), participants=3, passages=5)
    path = tmp_path / "suggested.yaml"
    with pytest.raises(ExportBlockedError, match="07700 900123"):
        release_suggestions([suggestion], path, gate=PrivacyGate(signoffs=SignOffs()).fit())
    assert not path.exists()
    release_suggestions([suggestion], path, gate=PrivacyGate(signoffs=SignOffs()).fit(), allow_unreviewed=True)
    assert path.read_text(encoding="utf-8").startswith(f"# {NOT_FOR_SHARING}")


def test_review_by_distinct_term_one_decision_for_every_occurrence(tmp_path: Path) -> None:
    from wisdoms.privacy.terms import Term

    folder = tmp_path / "study" / "transcripts"
    folder.mkdir(parents=True)
    turns = ["Kelly Brannigan helped me, Kelly Brannigan was great.", "Ring 07700 900123 or 07700 900 123.",
             "Then Kelly Brannigan came back to Kettering."]
    for i, turn in enumerate(turns, start=1):
        (folder / f"t{i}.txt").write_text(f"Interviewer: And then?\n\nParticipant: {turn}\n", encoding="utf-8")
    assert main(["privacy", "scan", str(folder)]) == 0
    privacy = tmp_path / "study" / "privacy"  # written to the project's privacy folder, not the working directory
    import csv

    rows = list(csv.DictReader((privacy / "findings-terms.csv").open(encoding="utf-8")))
    terms = {r["term"]: r for r in rows if r["row_kind"] == "term"}
    assert terms["Kelly Brannigan"]["count"] == "3" and terms["07700 900123"]["count"] == "2"  # one number, two ways
    assert "t1.txt (2)" in terms["Kelly Brannigan"]["files"] and terms["Kelly Brannigan"]["why"]
    assert len(terms) == len(rows) == 3
    # One decision on the name's row covers its three occurrences; the rest are decided in bulk.
    for r in rows:
        r["decision"] = "replace" if r["term"] == "Kelly Brannigan" else ""
        r["reviewer"] = "AB"
    with (privacy / "findings-terms.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    work, log = tmp_path / "work", tmp_path / "private" / "log.csv"
    args = ["privacy", "apply", str(privacy / "findings-terms.csv"), str(folder), "--out", str(work), "--log", str(log)]
    with pytest.raises(Exception, match="no decision"):
        _raising(args)
    assert main([*args, "--undecided", "keep", "--reviewer", "AB"]) == 0
    text = "".join((work / f"t{i}.txt").read_text(encoding="utf-8") for i in range(1, 4))
    assert "Kelly" not in text and text.count("[Name 1]") == 3 and "07700 900123" in text and "Kettering" in text
    kept = SignOffs.load(privacy / "signoffs.yaml").entries
    assert len(kept) == 3 and all(e.source and e.start is not None for e in kept)  # each occurrence, bound
    # A term that is both a name and a word is decided per occurrence.
    assert Term("NAME:will", "Will", "NAME", (), "[Name 2]").ambiguous
    assert not Term("NAME:kelly", "Kelly", "NAME", (), "[Name 1]").ambiguous


def test_a_name_that_is_also_a_word_is_decided_per_occurrence(tmp_path: Path) -> None:
    import csv

    from wisdoms.privacy.detectors import Finding
    from wisdoms.privacy.review import read_review
    from wisdoms.privacy.scan import ScanResult, write_outputs

    text = "Will rang me. I will go. Will came round."
    found = tuple(Finding("a.txt", i, i + 4, "Will", "NAME", "ner") for i in (0, 25))
    paths = write_outputs(ScanResult(found, {"a.txt": text}), tmp_path / "findings.csv")
    rows = list(csv.DictReader(paths["terms_csv"].open(encoding="utf-8")))
    assert [r["row_kind"] for r in rows] == ["term", "occurrence", "occurrence"]
    assert "each occurrence" in rows[0]["note"]
    rows[0]["decision"], rows[1]["decision"], rows[2]["decision"] = "keep", "replace", ""
    for r in rows:
        r["reviewer"] = "AB"
    with paths["terms_csv"].open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    decided = {d.start: d.decision for d in read_review(paths["terms_csv"])}
    assert decided == {0: "replace", 25: "keep"}  # the occurrence's own decision wins; else its term's


@pytest.mark.slow
def test_following_the_errors_advice_unblocks_the_run(sample_copy: Path, tmp_path: Path, fake_embedder) -> None:  # noqa: ANN001
    """A name in a participant turn blocks the run; the sign-off command the error shows, run as shown on that
    sentence (in a theme quote or not), lets the next run through. A name in the project allow-list does too."""
    import shlex

    from wisdoms.pipeline import run

    first = sample_copy / "conversation-01.txt"
    sentence = "I rang Kelly Brannigan about the flat."
    text = first.read_text(encoding="utf-8").replace("Participant: Yeah, so, where do I start.",
                                                     f"Participant: Yeah, so, where do I start. {sentence}", 1)
    assert sentence in text
    first.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ExportBlockedError) as blocked:
        run(sample_copy, codebook=CODEBOOK, out=out, embedder=fake_embedder)
    hint = blocked.value.hint or ""
    assert "Kelly Brannigan" in str(blocked.value)
    command = hint[hint.index("'wisdoms privacy sign-off") + 1:]
    command = command[:command.index("')")]
    argv = shlex.split(command)[1:]
    argv[argv.index("--text") + 1] = sentence
    argv[argv.index("--by") + 1] = "AB"
    assert argv[argv.index("--input") + 1] == str(sample_copy)
    assert main(argv) == 0
    assert (tmp_path / "privacy" / "signoffs.yaml").exists()  # beside the transcripts, not the working directory
    run(sample_copy, codebook=CODEBOOK, out=out, embedder=fake_embedder)
    assert sentence in (out / "passages.csv").read_text(encoding="utf-8")
    # The same name a second time, elsewhere: the sign-off is bound to its place and does not clear it.
    second = sample_copy / "conversation-02.txt"
    second.write_text(second.read_text(encoding="utf-8").replace("Participant:", f"Participant: {sentence}", 1),
                      encoding="utf-8")
    with pytest.raises(ExportBlockedError, match="conversation-02.txt"):
        run(sample_copy, codebook=CODEBOOK, out=tmp_path / "out2", embedder=fake_embedder)
    # A term that names no one, added to the project's allow-list as the advice says, clears it everywhere.
    (tmp_path / "privacy" / "allow.txt").write_text("Kelly Brannigan\n", encoding="utf-8")
    run(sample_copy, codebook=CODEBOOK, out=tmp_path / "out2", embedder=fake_embedder)


def test_a_folder_named_after_a_person_is_gated(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from wisdoms.privacy.release import release

    folder = tmp_path / "darren-whitfield" / "transcripts"
    doc = SimpleNamespace(id="a.txt", path=str(folder / "a.txt"), text="Participant: fine.", participants={"P01": {}})
    gate = PrivacyGate(signoffs=SignOffs(), transcripts=[doc]).fit()
    with pytest.raises(ExportBlockedError, match="folder name"):
        release([], lambda _draft: {"x": "fine"}, lambda _r: [], where="out", gate=gate, transcripts=[doc])
    assert release([], lambda _draft: {"x": "fine"}, lambda _r: [], where="out", gate=gate, transcripts=[doc],
                   allow_unreviewed=True) == {"x": "fine"}


def test_file_names_raise_names_numbers_and_places_not_every_odd_word() -> None:
    gate = PrivacyGate(signoffs=SignOffs()).fit()
    ids = [("folder name", "test_following_the_errors_advi0/transcripts"), ("file name", "P10_GMT20211130.txt"),
           ("file name", "pdpilot-userstudy/P1.txt"), ("file name", "conversation-01.txt"), ("participant id", "P01")]
    assert gate.check_ids(ids) == []
    found = gate.check_ids([("file name", RENAMED)])
    assert {f.type for _k, _v, f in found} == {"NAME", "PHONE"} and "darren" in found[0][2].text


def test_the_first_speaker_label_is_not_scanned_as_metadata(tmp_path: Path) -> None:
    from wisdoms.privacy.scan import scan

    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "a.txt").write_text("---\narea: Kettering\n---\nDan: How was it?\n\nParticipant: Fine, thanks.\n\n"
                                  "Dan: Good.\n", encoding="utf-8")
    found = scan(folder).findings
    assert [f.text for f in found] == ["Kettering"]  # the front matter is read; "Dan:" is a speaker label


_BOOK = """name: Calls
version: 1
codes:
  - id: calls
    name: Calls back
    definition: Being rung back, or not, by a service.
    examples: [nobody rang me back]
  - id: kindness
    name: Kindness
    definition: Staff who were kind and remembered them.
    examples: [the worker was kind to me]
"""


def _hash_embed(texts):  # noqa: ANN001, ANN202
    """Words shared make vectors similar: enough to code a handful of answers."""
    import hashlib
    import re

    import numpy as np

    out = np.zeros((len(texts), 128), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 128] += 1.0
        out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
    return out


@pytest.fixture
def answers_with_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project's table of answers: one answer names a person and their phone, one answer's id is a name."""
    import csv

    from wisdoms import cli
    from wisdoms.settings import Settings

    monkeypatch.setattr(cli, "_codebook_embed", lambda args: (Settings(), _hash_embed))
    study = tmp_path / "study"
    (study / "privacy").mkdir(parents=True)
    (study / "book.yaml").write_text(_BOOK, encoding="utf-8")
    path = study / "answers.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        writer.writerows([("r1", "Nobody rang me back for weeks."),
                          ("r2", "Ring Darren Whitfield on 0161 496 0754, he was kind to me."),
                          ("r3", "The worker was kind and remembered me.")])
    return path


def test_code_checks_answer_ids_before_coding_and_stamps_a_draft(answers_with_a_name: Path, tmp_path: Path) -> None:
    import csv

    book, out = str(answers_with_a_name.parent / "book.yaml"), tmp_path / "coded.csv"
    # The coding CSV prints ids, not words: the phone number in answer r2 is not written, so it does not block.
    assert main(["code", str(answers_with_a_name), "--codebook", book, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Whitfield" not in text and NOT_FOR_SHARING not in text
    assert [line.split(",")[0] for line in text.splitlines()[1::2]] == ["r1", "r2", "r3"]
    # An id column holding names is refused before anything is coded, with advice for a table of answers.
    rows = answers_with_a_name.read_text(encoding="utf-8").replace("r3,", "Sarah Thompson,")
    answers_with_a_name.write_text(rows, encoding="utf-8")
    out.unlink()
    with pytest.raises(ExportBlockedError) as blocked:
        _raising(["code", str(answers_with_a_name), "--codebook", book, "--out", str(out)])
    message = str(blocked.value)
    assert "Sarah Thompson" in message and "answer id" in message and "--id-column" in message
    assert f"--input {answers_with_a_name}" in message and not out.exists()
    # Released unreviewed: written, every row stamped.
    assert main(["code", str(answers_with_a_name), "--codebook", book, "--out", str(out), "--allow-unreviewed"]) == 0
    with open(out, encoding="utf-8", newline="") as fh:
        written = list(csv.DictReader(fh))
    assert written and all(r["draft"] == NOT_FOR_SHARING for r in written)
    assert "Sarah Thompson" in {r["id"] for r in written}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_codebook_review_goes_through_the_gate_and_the_advice_unblocks_it(
        answers_with_a_name: Path, tmp_path: Path, suffix: str) -> None:
    from wisdoms.codebook.decisions import read_review_sheet

    book, sheet = str(answers_with_a_name.parent / "book.yaml"), tmp_path / f"review{suffix}"
    command = ["codebook", "review", str(answers_with_a_name), "--codebook", book, "--sheet", str(sheet)]
    with pytest.raises(ExportBlockedError) as blocked:
        _raising(command)
    message = str(blocked.value)
    assert "0161 496 0754" in message and "answer 'r2' (line 3)" in message and not sheet.exists()
    # A draft is written, stamped on every row, and still imports (the stamp column is ignored).
    assert main([*command, "--allow-unreviewed"]) == 0
    text = _all_text(sheet)
    assert "Darren Whitfield" in text and text.count(NOT_FOR_SHARING) >= 3
    assert read_review_sheet(sheet) == []
    sheet.unlink()
    # Following the advice: a reviewer signs the answer off (found from the answers' own project folder).
    signed = "Ring Darren Whitfield on 0161 496 0754, he was kind to me."
    assert main(["privacy", "sign-off", "--input", str(answers_with_a_name), "--text", signed, "--by", "AB"]) == 0
    assert (answers_with_a_name.parent / "privacy" / "signoffs.yaml").is_file()
    assert main(command) == 0
    text = _all_text(sheet)
    assert "Darren Whitfield" in text and NOT_FOR_SHARING not in text


def test_row_ids_wisdoms_makes_for_a_table_without_an_id_column_are_no_findings(tmp_path: Path) -> None:
    """A survey table with no id column gets ``<file>-r<line>`` ids; from line 1000 on, "r1000" has the shape of a
    reference number, and every answer of a 10,000-row table needed a sign-off before anything could be written."""
    from wisdoms.ingest.table import read_table_transcript
    from wisdoms.privacy.release import output_ids

    table = tmp_path / "answers.csv"
    table.write_text("answer\n" + "".join(f"The ward was calm and the staff kind, visit {i}.\n" for i in range(1200)),
                     encoding="utf-8")
    doc = read_table_transcript(table, "answers.csv")
    assert "answers-r1201" in doc.participants
    quotes = [Quote(passage="p", transcript="answers.csv", participant="answers-r1201", start=0, end=5, text="The w")]
    ids = output_ids(quotes, [doc])
    assert ("file name", "answers.csv") in ids and not [v for k, v in ids if k == "participant id"]
    gate = PrivacyGate(signoffs=SignOffs()).fit()
    assert gate.check_ids(ids) == []
    # an id a person gave is checked as before, even in the same shape, and so is a reference in a table's id column
    own = output_ids([Quote(passage="p", transcript="answers.txt", participant="answers-r1201", start=0, end=5,
                            text="The w")], [])
    assert ("participant id", "answers-r1201") in own
    assert [f.text for _k, _v, f in gate.check_ids([("participant id", "AB123456")])] == ["AB123456"]
