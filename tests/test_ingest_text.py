"""Plain-text transcripts: labels, front matter, offsets, and the errors a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from wisdoms.errors import TranscriptError
from wisdoms.ingest import read_folder, read_transcript

GOOD = """---
participant: P42
area: North
---
Interviewer: What was the council like?

Participant: They sent me away twice.
Then a woman at the desk listened.

Interviewer: And after that?

Participant: Things got better, slowly.
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_turns_offsets_and_attributes(tmp_path: Path) -> None:
    t = read_transcript(write(tmp_path, "a.txt", GOOD), tmp_path)
    assert t.id == "a.txt"
    assert t.participants == {"P42": {"area": "North"}}
    roles = [turn.role for turn in t.turns]
    assert roles == ["interviewer", "participant", "interviewer", "participant"]
    first = t.turns[1]
    assert t.text[first.start : first.end] == "They sent me away twice.\nThen a woman at the desk listened."
    assert first.participant == "P42" and first.line == 7
    assert t.turns[0].participant is None


def test_crlf_and_bom_offsets_refer_to_decoded_text(tmp_path: Path) -> None:
    data = ("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8")
    t = read_transcript(write(tmp_path, "b.txt", data), tmp_path)
    turn = t.turns[1]
    assert t.text[turn.start : turn.end] == "They sent me away twice.\r\nThen a woman at the desk listened."
    assert not t.text.startswith("\ufeff")


def test_windows_1252_is_decoded(tmp_path: Path) -> None:
    text = GOOD.replace("slowly", "slowly \u2013 it\u2019s true")
    t = read_transcript(write(tmp_path, "c.txt", text.encode("cp1252")), tmp_path)
    assert "it\u2019s true" in t.text[t.turns[3].start : t.turns[3].end]


@pytest.mark.parametrize(
    ("name", "content", "message", "line"),
    [
        ("empty.txt", "", "the file is empty", None),
        ("blank.txt", "  \n\n ", "the file is empty", None),
        ("binary.txt", b"\x00\x01\x02PNG", "looks binary", None),
        ("nolabel.txt", "---\nparticipant: P1\n---\nI went to the council and they said no.\n", "cannot tell who is speaking", 4),
        ("badyaml.txt", "---\nparticipant: [P1\narea: North\n---\nParticipant: hi there\n", "invalid front matter", None),
        ("unclosed.txt", "---\nparticipant: P1\nParticipant: hello\n", "never closed", 1),
        ("onlyint.txt", "Interviewer: Hello?\n\nInterviewer: Anyone there?\n", "no participant speech", None),
        ("listmeta.txt", "---\n- a\n- b\n---\nParticipant: hello there\n", "expected 'key: value'", 2),
    ],
)
def test_bad_files_name_file_line_and_fix(tmp_path: Path, name: str, content, message: str, line: int | None) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(TranscriptError) as info:
        read_transcript(path, tmp_path)
    err = info.value
    assert message in str(err)
    assert err.path is not None and err.path.endswith(name)
    assert err.hint, "every error says what to do"
    if line is not None:
        assert err.line == line


def test_speakers_mapping_in_front_matter(tmp_path: Path) -> None:
    text = "---\nparticipant: P7\nspeakers: {Bob: participant, Jo: interviewer}\n---\nJo: Hi.\n\nBob: hello\n\nJo: Go on.\n\nBob: well then\n"
    t = read_transcript(write(tmp_path, "bob.txt", text), tmp_path)
    assert [x.role for x in t.turns] == ["interviewer", "participant", "interviewer", "participant"]
    assert {x.participant for x in t.participant_turns()} == {"P7"}


def test_read_folder_reports_every_bad_file_and_skips_readme(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "# not a transcript\n")
    write(tmp_path, "good.txt", GOOD)
    write(tmp_path, "empty.txt", "")
    write(tmp_path, "nolabel.txt", "just some words\n")
    with pytest.raises(TranscriptError) as info:
        read_folder(tmp_path)
    assert "2 problems" in str(info.value)
    assert "empty.txt" in str(info.value) and "nolabel.txt" in str(info.value)


def test_office_lock_files_and_hidden_files_are_not_read_as_transcripts(tmp_path: Path) -> None:
    """While Word has ``interview.docx`` open it keeps ``~$interview.docx`` beside it (a few bytes, not a
    document): a run then must read the transcripts, not fail on the lock file."""
    write(tmp_path, "good.txt", GOOD)
    (tmp_path / "~$interview.docx").write_bytes(b"\x0bJo Bloggs\x00" * 8)
    write(tmp_path, ".notes.txt", "Participant: not for analysis\n")
    assert [t.id for t in read_folder(tmp_path)] == ["good.txt"]


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="transcripts folder not found"):
        read_folder(tmp_path / "nope")


def test_shipped_sample_reads(tmp_path: Path) -> None:
    from conftest import SAMPLE

    transcripts = read_folder(SAMPLE)
    assert len(transcripts) >= 12
    for t in transcripts:
        assert len(t.participants) == 1
        words = len(t.text.split())
        assert words >= 2000, f"{t.id} has {words} words"
        assert set(next(iter(t.participants.values()))) >= {"area", "age_band", "gender", "ethnicity", "housing"}


def test_csv_doubled_quotes_far_down_stay_in_the_answer(tmp_path: Path) -> None:
    """The delimiter is sniffed, the quoting is not: with no "" in the first 4 KB, a sniffed dialect
    turned doublequote off and split a later answer into the attribute columns (NHS FFT row 833)."""
    filler = "".join(f"R{i},North,The staff listened to me every single time I came in.\n" for i in range(120))
    answer = 'I did not have the time to do the ""homework"", and it felt like this led to frustration, sadly'
    text = "id,area,answer\n" + filler + f'R999,South,"{answer}"\n'
    assert len(filler) > 4096
    t = read_transcript(write(tmp_path, "survey.csv", text), tmp_path)
    assert t.participants["R999"] == {"area": "South"}
    turn = t.turns[-1]
    assert t.text[turn.start:turn.end] == answer.replace('""', '"')


def test_csv_cells_past_the_header_are_an_error_not_lost(tmp_path: Path) -> None:
    text = ("id,area,answer\nR1,North,They sent me away twice and then listened\n"
            "R2,South,It got better for me in the end, slowly,over time\n")
    with pytest.raises(TranscriptError) as err:
        read_transcript(write(tmp_path, "survey.csv", text), tmp_path)
    message = str(err.value)
    assert "survey.csv" in message and "row 3" in message and "'over time'" in message
    # Trailing empty cells (a spreadsheet's trailing commas) are not an error.
    ok = read_transcript(write(tmp_path, "ok.csv", "id,area,answer\nR1,North,They sent me away twice then listened,,\n"),
                         tmp_path)
    assert ok.participants == {"R1": {"area": "North"}}


def test_csv_turn_lines_match_the_rebuilt_text(tmp_path: Path) -> None:
    """Lines are counted as the text grows (line_of over the whole text per answer was quadratic)."""
    from wisdoms.ingest.text import line_of

    text = ('id,answer,more\nR1,"They sent me away twice,\nthen a woman listened to me",Things got better slowly in time\n'
            'R2,"The council took six weeks to answer my letter","And the\n\nhostel was cold every night"\n')
    t = read_transcript(write(tmp_path, "survey.csv", text), tmp_path)
    assert len(t.turns) == 4
    assert [turn.line for turn in t.turns] == [line_of(t.text, turn.start) for turn in t.turns]
    assert t.turns[-1].line > 5
