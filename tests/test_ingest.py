"""Reading transcripts as they really arrive: text, Markdown, Word, captions, spreadsheets."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wisdoms.errors import TranscriptError
from wisdoms.ingest import read_folder, read_transcript, scan_folder
from wisdoms.ingest.check import check_folder, participant_words
from wisdoms.models import Transcript

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "transcripts"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))
RAW_NAMES = ("Priya", "Shah", "Tom", "Reed", "Lee", "Carter", "Sam", "Jo", "Morgan", "Alex", "Dee", "Coach")


@pytest.fixture(scope="module")
def nlp():
    from wisdoms.segment import load_spacy

    return load_spacy()


@pytest.fixture(scope="module")
def scan():
    return scan_folder(FIXTURES)


def _segment(transcripts: list[Transcript], nlp):
    from wisdoms.segment import segment

    return segment(transcripts, nlp=nlp)


def test_fixture_set_covers_every_format_and_broken_files():
    files = EXPECTED["files"]
    assert len(files) >= 20
    suffixes = {Path(name).suffix for name in files}
    assert {".txt", ".md", ".docx", ".vtt", ".srt", ".csv", ".xlsx"} <= suffixes
    assert sum("error" in e for e in files.values()) >= 8
    assert sorted(files) == sorted(
        p.name for p in FIXTURES.iterdir()
        if p.suffix != ".pdf" and p.name not in ("expected.yaml", "participants.csv", "speakers.yaml")
    )


@pytest.mark.parametrize("name", sorted(EXPECTED["files"]))
def test_fixture_reads_as_expected(scan, name):
    expected = EXPECTED["files"][name]
    result = next(f for f in scan.files if f.id == name)
    if "error" in expected:
        assert result.transcript is None
        assert expected["error"] in str(result.error)
        assert name in str(result.error) and "What to do:" in str(result.error)
        return
    t = result.transcript
    assert result.error is None
    assert t.format == expected["format"]
    assert {k: dict(v) for k, v in t.participants.items()} == expected["participants"]
    assert [u.speaker for u in t.turns] == expected["speakers"]
    assert "".join("P" if u.role == "participant" else "I" for u in t.turns) == expected["roles"]
    assert participant_words(t) == expected["participant_words"]
    assert [u.time for u in t.turns] == expected.get("times", [None] * len(t.turns))
    for turn in t.turns:
        assert 0 <= turn.start < turn.end <= len(t.text)
        assert t.text[turn.start : turn.end] == t.text[turn.start : turn.end].strip()
        assert (turn.participant is None) == (turn.role == "interviewer")


def test_every_passage_is_the_text_at_its_offsets_in_every_format(scan, nlp):
    transcripts = scan.transcripts
    passages = _segment(transcripts, nlp)
    by_id = {t.id: t for t in transcripts}
    formats = set()
    for p in passages:
        t = by_id[p.transcript]
        assert t.text[p.start : p.end] == p.text
        turn = t.turns[p.turn]
        assert turn.start <= p.start < p.end <= turn.end and turn.role == "participant"
        assert p.participant == turn.participant
        formats.add(t.format)
    assert formats == {"text", "markdown", "docx", "vtt", "srt", "csv", "xlsx"}


def test_markers_are_quoted_verbatim_but_are_not_words(scan, nlp):
    t = next(f.transcript for f in scan.files if f.id == "labels-interviewer.txt")
    passages = _segment([t], nlp)
    joined = " ".join(p.text for p in passages)
    for marker in ("[inaudible]", "[NAME]", "[laughs]", "[crosstalk]"):
        assert marker in joined
    assert not any("[" in p.analysis_text for p in passages)


def test_encodings_bom_and_windows_line_endings(scan):
    cp1252 = next(f.transcript for f in scan.files if f.id == "windows-1252.txt")
    assert "café" in cp1252.text and "It’s the one place I’m not “a case”" in cp1252.text
    bom = next(f.transcript for f in scan.files if f.id == "speaker-numbers-bom.txt")
    assert not bom.text.startswith("\ufeff") and bom.text.startswith("[00:00:05]")
    crlf = next(f.transcript for f in scan.files if f.id == "short-labels-crlf.txt")
    first = crlf.participant_turns()[0]
    assert crlf.text[first.start : first.end] == (
        "The forms. Same questions every time, different office.\r\n"
        "I keep a copy in my bag now so I don't forget what I said."
    )
    assert "café" in next(f.transcript for f in scan.files if f.id == "survey-semicolon-1252.csv").text


def test_word_headers_and_footers_are_ignored(scan):
    t = next(f.transcript for f in scan.files if f.id == "word-paragraphs.docx")
    assert "CONFIDENTIAL" not in t.text and "footer" not in t.text
    assert t.text[t.turns[1].start : t.turns[1].end] == (
        "A flyer at the GP. I nearly didn't come.\n\nI sat outside for twenty minutes first. [laughs]"
    )


def test_raw_speaker_names_never_leave_the_reader(scan):
    """Names never reach a turn's shown speaker or a rebuilt caption text (what reports quote). The check on
    the user's own screen names each label as written, so the user can tell which label got which role."""
    report = check_folder(FIXTURES).render()
    for result in scan.files:
        if result.transcript is None:
            continue
        for turn in result.transcript.turns:
            assert not any(name in turn.speaker for name in RAW_NAMES), (result.id, turn.speaker)
        if result.transcript.format in ("vtt", "srt"):
            assert not any(name in result.transcript.text for name in RAW_NAMES)
    assert "    Tom Reed    participant teams  2 turns  guessed: another speaker asks the questions" in report
    assert "    Morgan  participant P30  2 turns  speakers.yaml" in report


def test_participants_csv_and_speakers_yaml_are_applied(scan):
    group = next(f.transcript for f in scan.files if f.id == "group-session.txt")
    assert group.participants["G01"] == {"area": "Central", "gender": "Man", "disability": "Yes", "age_band": "25-34"}
    override = next(f.transcript for f in scan.files if f.id == "folder-override.txt")
    assert [u.role for u in override.turns] == ["interviewer", "participant"] * 2
    warnings = [str(w) for w in scan.issues.warnings]
    assert any("attributes for unknown participants: P99 (row 4)" in w for w in warnings)


def test_read_folder_reports_every_bad_file_at_once():
    with pytest.raises(TranscriptError) as caught:
        read_folder(FIXTURES)
    message = str(caught.value)
    assert "10 problems" in message
    for name, expected in EXPECTED["files"].items():
        if "error" in expected:
            assert name in message


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_duplicate_ids_in_participants_csv_name_both_rows(tmp_path):
    _write(tmp_path, {
        "a.txt": "---\nparticipant: P01\n---\nInterviewer: Hi?\n\nParticipant: Hello there.\n",
        "participants.csv": "participant,area\nP01,North\nP01,South\n",
    })
    with pytest.raises(TranscriptError, match=r"row 3: duplicate participant id 'P01' \(first in row 2\)"):
        read_folder(tmp_path)


def test_one_id_with_clashing_attributes_in_two_files_is_an_error(tmp_path):
    _write(tmp_path, {
        "a.txt": "---\nparticipant: P01\narea: North\n---\nInterviewer: Hi?\n\nParticipant: Hello.\n",
        "b.txt": "---\nparticipant: P01\narea: South\n---\nInterviewer: Hi?\n\nParticipant: Again.\n",
    })
    with pytest.raises(TranscriptError, match="duplicate participant id 'P01': area is 'North' in a.txt"):
        read_folder(tmp_path)


def test_speakers_yaml_per_file_entry_and_front_matter_precedence(tmp_path):
    _write(tmp_path, {
        "call.srt": "1\n00:00:01,000 --> 00:00:02,000\nSpeaker 1: Fine.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nSpeaker 2: And you?\n",
        "speakers.yaml": "files:\n  call.srt:\n    speakers:\n      Speaker 1: {role: participant, id: P05}\n"
        "      Speaker 2: interviewer\nspeakers:\n  Kim: interviewer\n",
        "kim.txt": "---\nparticipant: P06\nspeakers: {Kim: participant}\n---\nInterviewer: Hi?\n\nKim: Hello.\n",
    })
    call, kim = read_folder(tmp_path)
    assert [(u.speaker, u.role, u.participant, u.time) for u in call.turns] == [
        ("P05", "participant", "P05", "00:00:01"), ("Interviewer", "interviewer", None, "00:00:03")]
    assert [(u.speaker, u.role, u.participant) for u in kim.turns] == [
        ("Interviewer", "interviewer", None), ("P06", "participant", "P06")]


def test_invalid_speakers_yaml_role_is_reported(tmp_path):
    _write(tmp_path, {
        "a.txt": "Interviewer: Hi?\n\nParticipant: Hello.\n",
        "speakers.yaml": "speakers:\n  Jo: boss\n",
    })
    with pytest.raises(TranscriptError, match="speaker 'Jo' has role 'boss'"):
        read_folder(tmp_path)


def test_sample_transcripts_still_read_as_shipped():
    transcripts = read_folder(REPO / "transcripts")
    assert [t.id for t in transcripts] == [f"conversation-{i:02d}.txt" for i in range(1, 13)]
    assert sum(len(t.turns) for t in transcripts) == 688
    for i, t in enumerate(transcripts, 1):
        assert list(t.participants) == [f"P{i:02d}"]
        assert {u.speaker for u in t.turns} == {"Interviewer", "Participant"}
        assert t.format == "text"


def test_check_cli_prints_table_exits_nonzero_and_imports_no_heavy_libraries():
    code = (
        "import sys\nfrom wisdoms.cli import main\nrc = main(['check', %r])\n"
        "heavy = [m for m in ('torch', 'bertopic', 'umap', 'spacy') if m in sys.modules]\n"
        "print('RC', rc, 'HEAVY', heavy)\n" % str(FIXTURES)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert "file" in out and "participant words" in out and "warnings" in out
    assert "RC 1 HEAVY []" in out
    assert "broken-binary.txt" in out and "not read: no reader for '.pdf'" in out
    ok = subprocess.run([sys.executable, "-m", "wisdoms.cli", "check", "transcripts"], capture_output=True,
                        text=True, cwd=REPO)
    assert ok.returncode == 0 and "12 of 12 files read" in ok.stdout


# --- property-based: generated transcripts in several formats -------------------------------------

WORDS = st.sampled_from("home key worker bus form door tea hostel shift sister [laughs] [inaudible] "
                        "waited rang nobody listened always winter".split())
SPEECH = st.lists(st.lists(WORDS, min_size=1, max_size=12), min_size=1, max_size=3)
STYLES = [("Interviewer", "Participant"), ("I", "P"), ("**Q:**", "**A:**"), ("Speaker 1", "Speaker 2")]


@st.composite
def conversations(draw):
    turns = draw(st.lists(SPEECH, min_size=2, max_size=8))
    return [("interviewer" if i % 2 == 0 else "participant", paragraphs) for i, paragraphs in enumerate(turns)]


def _speech(role: str, paragraphs: list[list[str]], sep: str) -> str:
    end = "?" if role == "interviewer" else "."
    return sep.join(" ".join(p) + end for p in paragraphs)


def _render(kind: str, style: int, turns, newline: str) -> tuple[str, list[str]]:
    """File text and the speech expected for each participant turn."""
    blank = newline * 2
    labels = STYLES[style]
    out, expected = [], []
    for n, (role, paragraphs) in enumerate(turns):
        label = labels[0] if role == "interviewer" else labels[1]
        if kind == "text":
            speech = _speech(role, paragraphs, blank)
            head = label + " " if label.startswith("**") else f"[00:00:{n:02d}] {label}: "
            out.append(head + speech)
        else:
            speech = _speech(role, paragraphs, " ")
            stamp = f"00:00:{n:02d}{'.' if kind == 'vtt' else ','}000 --> 00:00:{n:02d}{'.' if kind == 'vtt' else ','}900"
            out.append(("" if kind == "vtt" else f"{n + 1}{newline}") + f"{stamp}{newline}{label}: {speech}")
        if role == "participant":
            expected.append(speech)
    body = blank.join(out) + newline
    return ("WEBVTT" + blank + body if kind == "vtt" else body), expected


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    turns=conversations(),
    kind=st.sampled_from(["text", "vtt", "srt"]),
    style=st.integers(0, 3),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_generated_transcripts_keep_offsets_speakers_and_every_word(nlp, turns, kind, style, newline, bom):
    if kind != "text" and STYLES[style][0].startswith("**"):
        style = 0
    text, expected = _render(kind, style, turns, newline)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"generated.{'txt' if kind == 'text' else kind}"
        path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
        t = read_transcript(path, tmp)
    participant_turns = t.participant_turns()
    assert [t.text[u.start : u.end] for u in participant_turns] == expected
    for u in t.turns:
        assert 0 <= u.start < u.end <= len(t.text)
    passages = _segment([t], nlp)
    covered: dict[int, int] = {}
    for p in passages:
        assert t.text[p.start : p.end] == p.text
        turn = t.turns[p.turn]
        assert turn.role == "participant" and turn.start <= p.start < p.end <= turn.end
        for i in range(p.start, p.end):
            covered[i] = covered.get(i, 0) + 1
    for u in participant_turns:
        offset = u.start
        for word in t.text[u.start : u.end].split():
            offset = t.text.index(word, offset)
            counts = {covered.get(i, 0) for i in range(offset, offset + len(word))}
            assert counts == {1}, (word, offset)
            offset += len(word)


def test_a_file_no_reader_reads_says_how_to_save_it_as_one_that_does(tmp_path: Path) -> None:
    """f4transkript saves .rtf, older Word .doc; a PDF or a recording in the folder is no transcript either."""
    from wisdoms.ingest.check import check_folder

    (tmp_path / "a.txt").write_text("Interviewer: Hello?\n\nParticipant: Hi.\n", encoding="utf-8")
    for name in ("f4.rtf", "old.doc", "print.pdf", "call.m4a"):
        (tmp_path / name).write_bytes(b"x")
    warnings = "\n".join(check_folder(tmp_path).warnings)
    assert "f4.rtf: not read: no reader for '.rtf' files (open it in Word or LibreOffice and save it as .docx)" in warnings
    assert "old.doc: not read: no reader for '.doc' files (open it in Word or LibreOffice and save it as .docx)" in warnings
    assert "print.pdf: not read: no reader for '.pdf' files (a PDF does not keep speaker turns" in warnings
    assert "call.m4a: not read: no reader for '.m4a' files (a recording, not a transcript" in warnings
