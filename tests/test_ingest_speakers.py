"""Speaker labels as real transcripts write them: variants, typos, role words, numbers, preambles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wisdoms.errors import TranscriptError
from wisdoms.ingest import MAX_TURN_CHARS, read_folder, read_transcript, scan_folder
from wisdoms.ingest.check import check_folder
from wisdoms.ingest.speakers import builtin_role, label_key, near_miss


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return folder


def roles(t) -> str:  # noqa: ANN001
    return "".join("P" if u.role == "participant" else "I" for u in t.turns)


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Interviewer", "interviewer"), ("INTERVIEWER", "interviewer"), ("interviewer", "interviewer"),
        ("Interviewer1", "interviewer"), ("Interviewer 2", "interviewer"), ("Interviewer_3", "interviewer"),
        ("Interviewee", "participant"), ("Respondent", "participant"), ("Respondent 4", "participant"),
        ("Moderator", "interviewer"), ("Facilitator", "interviewer"), ("Q", "interviewer"), ("A", "participant"),
        ("I", "interviewer"), ("R", "participant"), ("P12", "participant"), ("Participant B", "participant"),
        ("Particpant", "participant"), ("Partcipant", "participant"), ("Interveiwer", "interviewer"),
        ("Intervewer", "interviewer"), ("Respondant", "participant"), ("Participants", "participant"),
        ("Sam", None), ("Dan", None), ("19", None), ("Speaker 2", None), ("Interviewe", None), ("Pat", None),
        ("Resp", "participant"), ("RESP.", "participant"), ("Mod", "interviewer"), ("Peer researcher", "interviewer"),
        ("Co-interviewer", "interviewer"), ("Speaker 1 (Interviewer)", "interviewer"),
        ("Sarah (interviewer)", "interviewer"), ("P10 (Respondent)", "participant"), ("Interviewer (P3)", "interviewer"),
        ("Sam (laughs)", None), ("Partner", None), ("Modi", None), ("mean MODERATOR", None), ("a peer researcher", None),
        ("The researcher", None),
    ],
)
def test_role_words_variants_and_near_miss_typos(label: str, role: str | None) -> None:
    assert builtin_role(label) == role


def test_a_typo_as_near_two_role_words_is_not_guessed() -> None:
    assert near_miss("Interviewe") == (None, ("interviewee", "interviewer"))


def test_label_keys_join_spelling_variants_but_not_different_numbers() -> None:
    assert label_key("Interviewer1") == label_key(" interviewer  1 ") == label_key("INTERVIEWER_1") == "interviewer 1"
    assert label_key("P01") != label_key("P1")
    assert label_key(19) == "19"


def test_numbered_interviewers_without_a_space_are_interviewers(tmp_path: Path) -> None:
    """Three interviewers labelled Interviewer1-3: none of their words count as the participant's."""
    write(tmp_path, {"p9.txt": "Interviewer1: Hello, I'm Tom from the project. Shall we start?\n\n"
                     "Participant: Yes, fine.\n\nInterviewer2: How long were you at the hostel?\n\n"
                     "Participant: Two years.\n\nInterviewer3: And then?\n\nParticipant: A flat.\n"})
    t = read_transcript(tmp_path / "p9.txt", tmp_path)
    assert roles(t) == "IPIPIP"
    assert [u.speaker for u in t.turns if u.role == "interviewer"] == ["Interviewer1", "Interviewer2", "Interviewer3"]
    assert list(t.participants) == ["p9"]


def test_a_one_off_label_with_space_before_the_colon_starts_its_own_turn(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "Interviewer 1: What helped?\n\nParticipant: My sister.\n\n"
                     "Interviewer2 : Was she nearby?\n\nParticipant: Round the corner.\n"})
    t = read_transcript(tmp_path / "a.txt", tmp_path)
    assert roles(t) == "IPIP"
    assert t.text[t.turns[1].start:t.turns[1].end] == "My sister."
    assert t.text[t.turns[2].start:t.turns[2].end] == "Was she nearby?"


def test_a_typo_of_participant_is_the_same_participant_not_the_interviewer(tmp_path: Path) -> None:
    write(tmp_path, {"P5.txt": "Dan: So how was it?\n\nParticipant: Fine.\n\nDan: Go on?\n\n"
                     "Particpant: Honestly it was hard.\n"})
    scan = scan_folder(tmp_path)
    t = scan.transcripts[0]
    assert roles(t) == "IPIP"
    assert {u.participant for u in t.participant_turns()} == {"P5"}
    notes = " ".join(scan.files[0].notes)
    assert "'Particpant' read as 'Participant'" in notes and "Dan: participant" in notes


@pytest.mark.parametrize(
    ("interviewer", "participant"),
    [("Interviewer", "Interviewee"), ("Moderator", "Respondent"), ("Facilitator", "Participant"), ("Q", "A"),
     ("I", "R"), ("INTERVIEWER", "RESPONDENT"), ("interviewer", "participant")],
)
def test_common_role_words_pair_up(tmp_path: Path, interviewer: str, participant: str) -> None:
    write(tmp_path, {"a.txt": f"{interviewer}: What was it like?\n\n{participant}: It was lonely, to start.\n\n"
                     f"{interviewer}: And now.\n\n{participant}: Now I know people.\n"})
    assert roles(read_transcript(tmp_path / "a.txt", tmp_path)) == "IPIP"


def test_numbered_focus_group_with_speakers_yaml_as_the_error_advises(tmp_path: Path) -> None:
    """Seats labelled by number (19:, 20:), the facilitator F:; speakers.yaml keys written as YAML numbers."""
    write(tmp_path, {
        "group-4.txt": "Focus group 4, community centre\n\nF: What would you change first?\n\n"
                       "19: The phone line. Nobody answers.\n\n20: The forms.\n\nF: Say more about the forms?\n\n"
                       "20: Twelve pages. I gave up twice.\n\n19: Same here.\n\n21: Me too.\n",
        "speakers.yaml": "files:\n  group-4.txt:\n    speakers:\n      19: {role: participant, id: G19}\n"
                         "      '20': participant\n      F: interviewer\n",
    })
    scan = scan_folder(tmp_path)
    t = scan.transcripts[0]
    assert roles(t) == "IPPIPPP"  # 21, heard once and named nowhere, is a seat too, not words of 19's turn
    assert list(t.participants) == ["G19", "group-4-20", "group-4-21"]  # a seat is this group's, not the study's
    assert t.text[t.turns[1].start:t.turns[1].end] == "The phone line. Nobody answers."
    assert any("preamble" in n and "Focus group 4" in n for n in scan.files[0].notes)


def test_numbered_focus_group_without_speakers_yaml_names_the_lines_that_settle_it(tmp_path: Path) -> None:
    write(tmp_path, {"group-5.txt": "19: The phone line. Nobody answers.\n\n20: The forms.\n\n"
                     "19: Same here.\n\n20: Twelve pages.\n"})
    with pytest.raises(TranscriptError) as info:
        read_folder(tmp_path)
    message = str(info.value)
    assert "'19' (line 1" in message and "'20' (line 3" in message
    assert f"add to {tmp_path / 'speakers.yaml'}:" in message
    assert ("files:\n        group-5.txt:\n          speakers:\n            '19': interviewer\n"
            "            '20': participant") in message


def test_ambiguous_named_labels_are_named_as_written_with_the_yaml_that_settles_it(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "Robin: The bus was late.\n\nCasey: It always is.\n\nRobin: I walked.\n\nCasey: Good.\n"})
    with pytest.raises(TranscriptError) as info:
        read_transcript(tmp_path / "a.txt", tmp_path)
    message = str(info.value)
    assert "'Robin' (line 1" in message and "'Casey' (line 3" in message and "***" not in message
    assert "speakers:\n        Robin: interviewer\n        Casey: participant" in message


@pytest.mark.parametrize(
    "preamble",
    ["All right.\n\n", "Listening conversation 7\nRecorded 3 May, 42 minutes\n\n", "# Interview with P3\n\n"],
)
def test_lines_before_the_first_turn_are_preamble_not_a_refusal(tmp_path: Path, preamble: str) -> None:
    body = "Interviewer: Where shall we start?\n\nParticipant: At the beginning, I suppose.\n"
    write(tmp_path, {"a.txt": preamble + body})
    notes: list[str] = []
    t = read_transcript(tmp_path / "a.txt", tmp_path, notes=notes)
    assert roles(t) == "IP"
    assert t.text == preamble + body
    assert t.text[t.turns[1].start:t.turns[1].end] == "At the beginning, I suppose."
    assert any("before the first speaker label kept as preamble" in n for n in notes)


def test_yaml_keys_are_text_whatever_yaml_makes_of_them(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.txt": "007: Hello?\n\nYes: Hi.\n\n007: How are you?\n\nYes: Fine.\n",
        "speakers.yaml": "speakers:\n  007: interviewer\n  Yes: {role: participant, id: 0042}\n",
    })
    t = read_folder(tmp_path)[0]
    assert roles(t) == "IPIP" and list(t.participants) == ["0042"]


def test_check_shows_each_label_its_role_and_turn_counts(tmp_path: Path) -> None:
    write(tmp_path, {
        "P5.txt": "Dan: So how was it?\n\nParticipant: Fine.\n\nDan: Go on?\n\nParticpant: It was hard.\n\n"
                  "Dan: Why?\n\nParticipant: Money.\n",
        "speakers.yaml": "speakers:\n  Dan: interviewer\n",
    })
    out = check_folder(tmp_path).render()
    assert "  P5.txt\n" in out
    assert "    Dan          interviewer     3 turns  speakers.yaml" in out
    assert "    Participant  participant P5  2 turns  label" in out
    assert "    Particpant   participant P5   1 turn  read as 'Participant'" in out


def test_utf16_text_with_bom_is_read_not_called_binary(tmp_path: Path) -> None:
    text = "Interviewer: Ça va?\n\nParticipant: Oui, merci 😊 vraiment.\n"
    write(tmp_path, {"le.txt": text.encode("utf-16"), "be.txt": b"\xfe\xff" + text.encode("utf-16-be")})
    for name in ("le.txt", "be.txt"):
        t = read_transcript(tmp_path / name, tmp_path)
        assert t.text == text
        assert t.text[t.turns[1].start:t.turns[1].end] == "Oui, merci 😊 vraiment."


def test_a_giant_paragraph_is_split_into_turns_of_the_same_speaker(tmp_path: Path) -> None:
    sentence = "I kept ringing and nobody came back to me about the flat. "
    giant = (sentence * (1_000_001 // len(sentence) + 1)).strip()
    write(tmp_path, {"a.txt": f"Interviewer: Tell me?\n\nParticipant: {giant}\n"})
    notes: list[str] = []
    t = read_transcript(tmp_path / "a.txt", tmp_path, notes=notes)
    pieces = t.participant_turns()
    assert len(pieces) >= 10 and all(u.end - u.start <= MAX_TURN_CHARS for u in pieces)
    assert all(t.text[u.start:u.end].endswith("flat.") for u in pieces)
    assert " ".join(t.text[u.start:u.end] for u in pieces) == giant
    assert any("split into" in n for n in notes)


def test_a_file_that_vanishes_while_being_read_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    write(tmp_path, {"a.txt": "Interviewer: Hi?\n\nParticipant: Hello.\n"})
    from wisdoms.ingest import text as text_module

    def gone(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / "a.txt"))

    monkeypatch.setattr(text_module, "sha256_file", gone)
    with pytest.raises(TranscriptError, match="the file disappeared while it was being read"):
        read_transcript(tmp_path / "a.txt", tmp_path)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_a_link_to_a_file_outside_the_folder_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Interviewer: x?\n\nParticipant: my bank PIN is 4417\n", encoding="utf-8")
    folder = write(tmp_path / "transcripts", {"a.txt": "Interviewer: Hi?\n\nParticipant: Hello.\n"})
    (folder / "b.txt").symlink_to(secret)
    scan = scan_folder(folder)
    bad = next(f for f in scan.files if f.id == "b.txt")
    assert bad.transcript is None and "a link to a file outside the transcripts folder" in str(bad.error)
    assert "4417" not in str(bad.error) and "secret" not in str(bad.error)
    assert [t.id for t in read_folder(folder, strict=False)] == ["a.txt"]
    (folder / "more").symlink_to(tmp_path, target_is_directory=True)
    linked = next(f for f in scan_folder(folder).files if f.id == "more")
    assert "a link to a folder outside the transcripts folder: not read" in str(linked.error)


def test_a_run_reads_past_a_bad_file_unless_strict(tmp_path: Path) -> None:
    from wisdoms.ingest import Unread

    write(tmp_path, {"a.txt": "Interviewer: Hi?\n\nParticipant: Hello.\n", "b.txt": b"\x00\x01PK\x00"})
    unread: list[Unread] = []
    assert [t.id for t in read_folder(tmp_path, strict=False, unread=unread)] == ["a.txt"]
    assert unread == [Unread("b.txt", "the file looks binary, not text")]
    with pytest.raises(TranscriptError, match="looks binary"):
        read_folder(tmp_path)


def test_every_real_interview_reads_with_no_edits(shared_or_skip: Path, tmp_path: Path) -> None:
    """The two real studies read whole, with their speakers.yaml; pdpilot reads even without it (the named
    interviewer beside labelled participants is the interviewer; 'Particpant' is the participant)."""
    import shutil

    for study, files in (("pdpilot-userstudy", 7), ("serdif-usability", 17)):
        scan = scan_folder(shared_or_skip / "bench" / "interviews" / study / "transcripts")
        assert [str(f.error) for f in scan.files if f.error] == [] and len(scan.transcripts) == files
        for t in scan.transcripts:
            assert len(t.participants) == 1 and roles(t).count("P") > 10
    bare = tmp_path / "pdpilot"
    shutil.copytree(shared_or_skip / "bench" / "interviews" / "pdpilot-userstudy" / "transcripts", bare)
    (bare / "speakers.yaml").unlink()
    scan = scan_folder(bare)
    assert [f.error for f in scan.files] == [None] * 7
    p5 = next(f for f in scan.files if f.id == "P5.txt")
    assert {(s.label, s.role, s.participant) for s in p5.speakers} == {
        ("Dan", "interviewer", None), ("Participant", "participant", "P5"), ("Particpant", "participant", "P5")}


@pytest.fixture
def shared_or_skip() -> Path:
    from conftest import shared_dir

    found = shared_dir()
    if found is None or not (found / "bench" / "interviews").is_dir():
        pytest.skip("real interviews not found at ../shared/bench/interviews (../shared is absent)")
    return found


def test_a_role_word_with_initials_in_brackets_is_that_role(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "Interviewer (JB): What helped?\n\nParticipant (P3): My sister (mostly).\n\n"
                     "Interviewer (SK): Anything else?\n\nParticipant (P3): So (laughs): the bus pass.\n"})
    t = read_transcript(tmp_path / "a.txt", tmp_path)
    assert roles(t) == "IPIP" and len(t.participants) == 1
    assert t.text[t.turns[3].start:t.turns[3].end] == "So (laughs): the bus pass."


def test_the_interviewer_who_speaks_in_every_file_settles_a_file_its_questions_do_not(tmp_path: Path) -> None:
    """Names as labels, one researcher in every file, each participant in one. In c.txt the participant asks
    as many questions as Sarah (think-aloud: "Is this the right button?"), so the questions cannot tell; that
    Sarah speaks in all three files and Sam in this one alone does, and the note and `wisdoms check` say so."""
    def talk(name: str, asks: bool) -> str:
        answer = "Is this the right button?" if asks else "The phone line was the worst part."
        return (f"Sarah: What did you try first?\n\n{name}: {answer}\n\nSarah: Okay.\n\n"
                f"{name}: Then I rang again.\n\nSarah: And then what?\n\n{name}: Someone answered. Was that luck?\n")
    write(tmp_path, {"a.txt": talk("Priya", False), "b.txt": talk("Tom", False), "c.txt": talk("Sam", True)})
    scan = scan_folder(tmp_path)
    assert [f.error for f in scan.files] == [None, None, None]
    c = scan.files[2]
    assert roles(c.transcript) == "IPIPIP" and list(c.transcript.participants) == ["c"]
    assert any("'Sarah': taken as the interviewer, who speaks in 3 of the folder's 3 files" in n for n in c.notes)
    assert "Sarah  interviewer    3 turns  guessed: speaks in 3 of 3 files" in check_folder(tmp_path).render()
    # Two files are too few to call anyone the study's interviewer: the error stays, naming the lines to add.
    (tmp_path / "a.txt").unlink()
    (tmp_path / "b.txt").write_text(talk("Tom", True), encoding="utf-8")
    scan = scan_folder(tmp_path)
    assert all(isinstance(f.error, TranscriptError) and "Sarah: interviewer" in str(f.error) for f in scan.files)


def test_a_role_said_in_brackets_after_a_name_or_number_gives_the_role_never_shows_the_name(tmp_path: Path) -> None:
    """"Sarah Jones (Interviewer):" and "Speaker 2 (Participant):" as teams write who is who into an export."""
    write(tmp_path, {
        "a.txt": "Sarah Jones (Interviewer): What helped?\n\nPriya Shah (Participant): The bus pass.\n\n"
                 "Sarah Jones (Interviewer): Anything else?\n\nPriya Shah (Participant): My sister.\n",
        "b.txt": "[00:00:01] Speaker 1 (Interviewer): What helped?\n\n[00:00:04] Speaker 2 (Participant): Time.\n",
        "c.txt": "Int: What helped?\n\nResp: The bus pass.\n\nInt: And?\n\nResp: My sister.\n",
    })
    a, b, c = read_folder(tmp_path)
    assert roles(a) == "IPIP" and roles(b) == "IP" and roles(c) == "IPIP"
    assert {u.speaker for u in a.turns} == {"Interviewer", "a"} and list(a.participants) == ["a"]
    assert b.text[b.turns[1].start:b.turns[1].end] == "Time." and b.turns[1].time == "00:00:04"


def test_a_team_of_interviewers_sharing_the_files_settles_an_undecided_file(tmp_path: Path) -> None:
    """Two researchers share seven conversations (Sarah 4, Jo 3, under half each). In g.txt the participant asks
    as many questions as Jo: Jo speaks in three files and Sam in this one alone, so Jo is the interviewer."""
    def talk(asker: str, name: str, asks: bool) -> str:
        answer = "Is this the right button?" if asks else "The phone line was the worst part."
        return (f"{asker}: What did you try first?\n\n{name}: {answer}\n\n{asker}: Okay.\n\n"
                f"{name}: Then I rang again.\n\n{asker}: And then what?\n\n{name}: Someone answered. Was that luck?\n")
    files = {f"{c}.txt": talk("Sarah", f"Person{c.upper()}", False) for c in "abcd"}
    files.update({"e.txt": talk("Jo", "Ali", False), "f.txt": talk("Jo", "Bea", False), "g.txt": talk("Jo", "Sam", True)})
    write(tmp_path, files)
    scan = scan_folder(tmp_path)
    assert [f.error for f in scan.files] == [None] * 7
    g = scan.files[-1]
    assert roles(g.transcript) == "IPIPIP"
    assert any("'Jo': taken as the interviewer, who speaks in 3 of the folder's 7 files" in n for n in g.notes)
