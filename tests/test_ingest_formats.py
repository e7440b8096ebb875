"""Files as other programs write them, made here in their real layouts: a Word table transcript under a title,
Teams captions, SubRip, Windows-1252 text, and a survey workbook exported from a forms tool."""

from __future__ import annotations

from pathlib import Path

from wisdoms.ingest import read_folder, scan_folder
from wisdoms.ingest.check import check_folder


def _roles(t) -> str:  # noqa: ANN001
    return "".join("P" if u.role == "participant" else "I" for u in t.turns)


def test_word_table_transcript_under_a_title(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("Listening conversation 7", level=1)
    doc.add_paragraph("Recorded 3 May 2024, community cafe. 48 minutes.")
    table = doc.add_table(rows=1, cols=3)
    for cell, text in zip(table.rows[0].cells, ("Time", "Speaker", "Transcript")):
        cell.text = text
    rows = [("00:00:05", "Interviewer 1", "Thanks for coming. Where would you like to start?"),
            ("00:00:11", "Interviewee", "With the hostel, I think. That was the worst of it."),
            ("00:00:30", "Interviewer2", "What made it the worst?"),
            ("00:00:34", "Interviewee", "Nobody knew my name. Eight months and nobody knew it.")]
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    doc.save(tmp_path / "conversation-07.docx")
    scan = scan_folder(tmp_path)
    result = scan.files[0]
    assert result.error is None, result.error
    t = result.transcript
    assert _roles(t) == "IPIP"
    assert [u.time for u in t.turns] == ["00:00:05", "00:00:11", "00:00:30", "00:00:34"]
    assert t.text[t.turns[3].start:t.turns[3].end] == "Nobody knew my name. Eight months and nobody knew it."
    assert any("paragraph 1" in n and "preamble" in n and "Listening conversation 7" in n for n in result.notes)


TEAMS = """WEBVTT

3f9a1c2e-6b1d-4a7e-9c1f-2a6d8e0b7c11/12-0
00:00:03.420 --> 00:00:07.380
<v Priya Shah>Thanks for joining. How have things been since</v>

3f9a1c2e-6b1d-4a7e-9c1f-2a6d8e0b7c11/12-1
00:00:07.380 --> 00:00:09.010
<v Priya Shah>we last spoke?</v>

3f9a1c2e-6b1d-4a7e-9c1f-2a6d8e0b7c11/15-0
00:00:10.120 --> 00:00:16.560
<v Tom Reed (Guest)>Better, honestly. The new worker rings back &amp; she remembers things.</v>

3f9a1c2e-6b1d-4a7e-9c1f-2a6d8e0b7c11/19-0
00:00:17.000 --> 00:00:19.240
<v Priya Shah>What does remembering look like?</v>

3f9a1c2e-6b1d-4a7e-9c1f-2a6d8e0b7c11/21-0
00:00:19.900 --> 00:00:25.300
<v Tom Reed (Guest)>She knew my son's name without asking. Small thing, but it isn't.</v>
"""


def test_teams_captions_with_cue_ids_split_cues_and_guest_names(tmp_path: Path) -> None:
    (tmp_path / "teams-call.vtt").write_text(TEAMS, encoding="utf-8")
    t = read_folder(tmp_path)[0]
    assert _roles(t) == "IPIP"
    assert t.text[t.turns[0].start:t.turns[0].end] == "Thanks for joining. How have things been since we last spoke?"
    assert t.text[t.turns[1].start:t.turns[1].end] == (
        "Better, honestly. The new worker rings back & she remembers things.")
    assert "Priya" not in t.text and "Tom" not in t.text
    assert [u.time for u in t.turns] == ["00:00:03", "00:00:10", "00:00:17", "00:00:19"]


def test_subrip_with_crlf_and_speaker_prefixes(tmp_path: Path) -> None:
    srt = ("1\r\n00:00:01,000 --> 00:00:04,200\r\nInterviewer: So what got you through the winter?\r\n\r\n"
           "2\r\n00:00:04,900 --> 00:00:09,000\r\nRespondent: The day centre. Hot food,\r\nand people who said hello.\r\n\r\n"
           "3\r\n00:00:09,500 --> 00:00:11,000\r\nInterviewer: Anything else?\r\n\r\n"
           "4\r\n00:00:11,400 --> 00:00:14,000\r\nRespondent: My dog. Honestly, my dog.\r\n")
    (tmp_path / "call.srt").write_bytes(srt.encode("utf-8"))
    t = read_folder(tmp_path)[0]
    assert _roles(t) == "IPIP"
    assert t.text[t.turns[1].start:t.turns[1].end] == "The day centre. Hot food, and people who said hello."


def test_windows_1252_text_with_smart_quotes_pounds_and_a_stray_first_line(tmp_path: Path) -> None:
    text = ("All right.\r\n\r\nINTERVIEWER: What did the \u201cpersonal budget\u201d pay for?\r\n\r\n"
            "PARTICIPANT: A \u00a3200 laptop \u2013 it\u2019s how I found the course.\r\n")
    (tmp_path / "p12.txt").write_bytes(text.encode("cp1252"))
    scan = scan_folder(tmp_path)
    t = scan.transcripts[0]
    assert _roles(t) == "IP"
    assert t.text[t.turns[1].start:t.turns[1].end] == "A \u00a3200 laptop \u2013 it\u2019s how I found the course."
    assert "not UTF-8: read as Windows-1252" in scan.files[0].notes


def test_survey_workbook_from_a_forms_tool_with_a_title_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Listening survey 2024: responses"])
    sheet.append([])
    sheet.append(["ID", "Start time", "Completion time", "Area", "What has helped you most?",
                  "What would you change?"])
    sheet.append([1, "5/3/24 10:01:02", "5/3/24 10:09:40", "North",
                  "The drop-in on Tuesdays, where nobody rushes you out.", "Longer opening hours at the weekend."])
    sheet.append([2, "5/3/24 11:15:00", "5/3/24 11:21:13", "South",
                  "My key worker ringing back when she said she would.", ""])
    sheet.append([3, "5/4/24 09:00:00", "5/4/24 09:02:00", "North", "", ""])
    book.save(tmp_path / "survey.xlsx")
    scan = scan_folder(tmp_path)
    result = scan.files[0]
    assert result.error is None, result.error
    t = result.transcript
    assert t.participants == {"1": {"Start time": "5/3/24 10:01:02", "Completion time": "5/3/24 10:09:40", "Area": "North"},
                              "2": {"Start time": "5/3/24 11:15:00", "Completion time": "5/3/24 11:21:13", "Area": "South"}}
    assert [t.text[u.start:u.end] for u in t.turns] == [
        "The drop-in on Tuesdays, where nobody rushes you out.", "Longer opening hours at the weekend.",
        "My key worker ringing back when she said she would."]
    assert any("row 1" in n and "title" in n for n in result.notes)
    assert check_folder(tmp_path).ok


def test_qualtrics_export_with_question_text_and_import_id_rows(tmp_path: Path) -> None:
    import csv

    rows = [["StartDate", "Progress", "ResponseId", "Area", "Q1", "Q2"],
            ["Start Date", "Progress", "Response ID", "Area", "What has helped you most?", "What would you change?"],
            ['{"ImportId":"startDate"}', '{"ImportId":"progress"}', '{"ImportId":"_recordId"}', '{"ImportId":"QID3"}',
             '{"ImportId":"QID1_TEXT"}', '{"ImportId":"QID2_TEXT"}'],
            ["2024-05-03 10:01:02", "100", "R_1a2B3c", "North", "The drop-in on Tuesdays, where nobody rushes you.",
             "Longer opening hours at the weekend please."],
            ["2024-05-03 11:15:00", "100", "R_9z8Y7x", "South", "My key worker ringing back when she said.", ""]]
    with open(tmp_path / "qualtrics.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = scan_folder(tmp_path).files[0]
    assert result.error is None, result.error
    assert list(result.transcript.participants) == ["R_1a2B3c", "R_9z8Y7x"]
    assert len(result.transcript.turns) == 3
    assert "row 2: the survey tool's question texts, not answers: skipped" in result.notes
    assert "row 3: the survey tool's import ids, not answers: skipped" in result.notes


def test_surveymonkey_export_with_a_second_header_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Respondent ID", "Start Date", "What has helped you most?", "What would you change?"])
    sheet.append(["", "", "Open-Ended Response", "Open-Ended Response"])
    sheet.append([114922001, "05/03/2024", "Someone listening without a clipboard in front of them.", "Nothing much."])
    sheet.append([114922002, "05/03/2024", "The food bank volunteers knowing my name by now.", "Fewer forms, honestly."])
    book.save(tmp_path / "monkey.xlsx")
    result = scan_folder(tmp_path).files[0]
    assert result.error is None, result.error
    assert list(result.transcript.participants) == ["114922001", "114922002"]
    assert "row 2: the survey tool's second header row, not answers: skipped" in result.notes


def test_caption_prefixes_in_any_script_case_and_style(tmp_path: Path) -> None:
    vtt = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\n>> interviewer: What changed for you?\n\n"
           "2\n00:00:03.500 --> 00:00:07.000\nÉlodie Dubois: The volunteers. So basically: they stayed.\n\n"
           "3\n00:00:07.500 --> 00:00:09.000\n- interviewer: And then?\n\n"
           "4\n00:00:09.500 --> 00:00:12.000\nÉlodie Dubois: I started to trust them.\n")
    (tmp_path / "zoom.vtt").write_text(vtt, encoding="utf-8")
    t = read_folder(tmp_path)[0]
    assert _roles(t) == "IPIP"
    assert t.text[t.turns[1].start:t.turns[1].end] == "The volunteers. So basically: they stayed."
    assert "Élodie" not in t.text


def test_teams_word_transcript_and_otter_text_with_speaker_headings(tmp_path: Path) -> None:
    """Teams' "Download as .docx" and Otter's text export: a heading line "Name   0:03", the speech below it."""
    from docx import Document

    doc = Document()
    for paragraph in ("Transcript", "3 May 2024, 10:02am", "Priya Shah   0:03", "Thanks for joining. How have things been?",
                      "Tom Reed   0:10", "Better, honestly. The new worker rings back.", "Priya Shah   0:17",
                      "What does that look like?", "Tom Reed   0:19", "She knew my son's name without asking."):
        doc.add_paragraph(paragraph)
    doc.save(tmp_path / "teams.docx")
    (tmp_path / "otter.txt").write_text(
        "Speaker 1  0:00\nSo where did it start?\n\nSpeaker 2  0:04\nAt school, I think.\nThen the flat.\n\n"
        "Speaker 1  1:02:10\nAnd after?\n\nSpeaker 2  1:02:15\nAfter, I got help.\n", encoding="utf-8")
    scan = scan_folder(tmp_path)
    teams, otter = (next(f for f in scan.files if f.id == name) for name in ("teams.docx", "otter.txt"))
    assert teams.error is None and otter.error is None, (teams.error, otter.error)
    assert _roles(teams.transcript) == "IPIP" and _roles(otter.transcript) == "IPIP"
    t = teams.transcript
    assert t.text[t.turns[1].start:t.turns[1].end] == "Better, honestly. The new worker rings back."
    assert [u.time for u in t.turns] == ["0:03", "0:10", "0:17", "0:19"]
    o = otter.transcript
    assert o.text[o.turns[1].start:o.turns[1].end] == "At school, I think.\nThen the flat."
    assert o.turns[2].time == "1:02:10" and o.turns[2].line == 9  # the line its words start on
    assert any("preamble" in n and "Transcript" in n for n in teams.notes)


def test_labels_as_transcription_services_write_them(tmp_path: Path) -> None:
    """Markdown bold with the colon outside ("**Interviewer**:"), Rev's and Descript's "Name (00:01:23):" over
    the speech, a bare or bracketed time before the label, Word's Transcribe heading "00:00:03 Speaker 1" and
    Zoom's saved captions "[Name] 10:01:23": every turn read, its words without label or time, its time kept."""
    files = {
        "bold.md": "**Interviewer**: What helped?\n\n**Participant**: The bus pass.\n\n"
                   "**Interviewer** : Anything else?\n\n**Participant**: My sister.\n",
        "rev.txt": "Interviewer (00:00:03):\nWhat helped?\n\nParticipant (00:00:09):\nThe bus pass.\n\n"
                   "Interviewer (00:01:02): Anything else?\n\nParticipant (00:01:05): My sister.\n",
        "inline.txt": "00:00:03 Interviewer: What helped?\n\n00:00:09 Participant: The bus pass.\n\n"
                      "(00:01:02) Interviewer: Anything else?\n\n(00:01:05) Participant: My sister.\n",
        "word.txt": "00:00:03 Interviewer\nWhat helped?\n\n00:00:09 Participant\nThe bus pass.\n\n"
                    "00:01:02 Interviewer\nAnything else?\n\n00:01:05 Participant\nMy sister.\n",
        "zoom.txt": "[Interviewer] 10:00:03\nWhat helped?\n\n[Participant] 10:00:09\nThe bus pass.\n\n"
                    "[Interviewer] 10:01:02\nAnything else?\n\n[Participant] 10:01:05\nMy sister.\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    scan = scan_folder(tmp_path)
    assert {f.id: str(f.error) for f in scan.files if f.error} == {}
    for f in scan.files:
        t = f.transcript
        said = [t.text[u.start:u.end] for u in t.turns]
        assert (f.id, _roles(t), said) == (f.id, "IPIP", ["What helped?", "The bus pass.", "Anything else?", "My sister."])
        assert {s.label for s in f.speakers} == {"Interviewer", "Participant"}, f.id
    times = {f.id: [u.time for u in f.transcript.turns] for f in scan.files}
    assert times["rev.txt"] == times["inline.txt"] == times["word.txt"] == ["00:00:03", "00:00:09", "00:01:02", "00:01:05"]
    assert times["zoom.txt"][0] == "10:00:03" and times["bold.md"] == [None] * 4


def test_named_speakers_roles_from_who_asks_more(tmp_path: Path) -> None:
    """Real interviewers end a third of their turns with a question, not most ("Okay.", "Right." and prompts
    between): the speaker asking clearly more than the other is the interviewer. A participant asking about as
    often as the interviewer leaves the roles to speakers.yaml, as the error says."""
    interviewer = ["Thanks for coming. Where shall we start?", "Okay.", "Right.", "Tell me about the forms.",
                   "Mm.", "What happened next?", "I see.", "Okay, thank you.", "And after that?"]
    answers = ["At the start, I suppose.", "The housing office first.", "Twelve pages of forms.",
               "Same questions every time.", "I gave up twice.", "Then a worker rang me back.",
               "She knew my name.", "That made a difference.", "Things got better after that."]
    text = "".join(f"Sarah: {q}\n\nPriya: {a}\n\n" for q, a in zip(interviewer, answers))
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    asking = answers[:2] + ["Do you mean the first form?", "Was that the right one?"] + answers[4:8] + ["Right?"]
    (tmp_path / "b.txt").write_text("".join(f"Sarah: {q}\n\nTom: {a}\n\n" for q, a in zip(interviewer, asking)),
                                    encoding="utf-8")
    scan = scan_folder(tmp_path)
    a, b = scan.files
    assert a.error is None, a.error
    assert _roles(a.transcript) == "IP" * 9 and list(a.transcript.participants) == ["a"]
    assert {(s.label, s.role) for s in a.speakers} == {("Sarah", "interviewer"), ("Priya", "participant")}
    assert b.error is not None and "'Sarah' (line 1, 3 of 9 turns end in '?')" in str(b.error)
    assert "'Tom' (line 3, 3 of 9 turns end in '?')" in str(b.error) and "Sarah: interviewer" in str(b.error)


def test_a_caption_cue_with_only_a_speakers_name_never_puts_the_name_in_the_words(tmp_path: Path) -> None:
    """Zoom writes "Name: words" per cue; a cue whose words were cut (or never came) is "Tom Reed:" alone. The
    name is the speaker's, not words of the turn before; a line such as "Honestly:" from no speaker stays words."""
    srt = ("1\n00:00:01,000 --> 00:00:03,000\nPriya Shah: What helped most?\n\n"
           "2\n00:00:03,500 --> 00:00:06,000\nTom Reed: The day centre.\n\n"
           "3\n00:00:06,500 --> 00:00:07,000\nPriya Shah:\n\n"
           "4\n00:00:07,500 --> 00:00:09,000\nTom Reed: Hot food.\nHonestly:\n\n"
           "5\n00:00:09,500 --> 00:00:11,000\nPriya Shah: Anything else?\n\n"
           "6\n00:00:11,500 --> 00:00:13,000\nTom Reed: My dog.\n")
    (tmp_path / "call.srt").write_text(srt, encoding="utf-8")
    t = read_folder(tmp_path)[0]
    assert "Priya" not in t.text and "Shah" not in t.text and "Tom" not in t.text
    assert _roles(t) == "IPIP"  # cue 3: Priya said nothing there, so Tom's cues 2 and 4 are one turn
    assert [t.text[u.start:u.end] for u in t.turns if u.role == "participant"] == [
        "The day centre. Hot food. Honestly:", "My dog."]


def test_time_marks_closing_or_opening_a_turn_are_not_words(tmp_path: Path) -> None:
    """f4transkript closes every paragraph with "#00:01:23-4#"; other tools open a turn with "[00:01:23]" after
    the label. Neither is anyone's words (they would reach quotes and titles), a turn of a mark alone is no
    turn, and a question still ends in '?' for telling who asks."""
    (tmp_path / "f4.txt").write_text(
        "Sarah: Where shall we start? #00:00:03-1#\n\nPriya: At the housing office. #00:00:09-4#\n\n"
        "Sarah: Okay. #00:00:15-0#\n\nPriya:  #00:00:16-2#\n\nSarah: And then? #00:00:18-7#\n\n"
        "Priya: [00:00:21] They sent me away (again). #00:00:25-3#\n\nSarah: Right. #00:00:30-0#\n", encoding="utf-8")
    t = read_folder(tmp_path)[0]
    assert _roles(t) == "IPIIPI"
    assert [t.text[u.start:u.end] for u in t.turns if u.role == "participant"] == [
        "At the housing office.", "They sent me away (again)."]
    assert t.turns[4].time == "00:00:21"


def test_a_label_set_off_by_a_tab_as_word_transcripts_do(tmp_path: Path) -> None:
    """Transcription services' Word files put a tab, not a colon, after the speaker: "INT<tab>So tell me"."""
    from docx import Document

    doc = Document()
    for paragraph in ("Interview 4, 3 May", "INT\tWhat helped?", "RESP\tThe bus pass.", "INT\tAnything else?",
                      "RESP\tMy sister: she came every week."):
        doc.add_paragraph(paragraph)
    doc.save(tmp_path / "a.docx")
    (tmp_path / "b.txt").write_text("Sarah\tWhat helped?\n\nP4\tThe bus pass.\nAnd my sister.\n\n"
                                    "Sarah\tAnything else?\n\nP4\tNo.\n", encoding="utf-8")
    scan = scan_folder(tmp_path)
    assert [f.error for f in scan.files] == [None, None]
    a, b = scan.transcripts
    assert _roles(a) == _roles(b) == "IPIP"
    assert [a.text[u.start:u.end] for u in a.turns][1::2] == ["The bus pass.", "My sister: she came every week."]
    assert [b.text[u.start:u.end] for u in b.turns][1::2] == ["The bus pass.\nAnd my sister.", "No."]


def test_heading_lines_with_a_bracketed_or_set_off_time(tmp_path: Path) -> None:
    """A heading over the speech with the time in brackets or set off by "-" or "|": "[00:00:01.20] - Speaker 1",
    "Sarah Jones (00:00:01)", "Sarah Jones | 00:00:01"."""
    heads = {"a.txt": ("[00:00:01.20] - Speaker 1", "[00:00:04.00] - Speaker 2"),
             "b.txt": ("Sarah Jones (00:00:01)", "Tom Reed (00:00:04)"),
             "c.txt": ("Sarah Jones | 00:00:01", "Tom Reed | 00:00:04")}
    for name, (one, two) in heads.items():
        (tmp_path / name).write_text(f"{one}\nWhat helped?\n\n{two}\nThe bus pass.\n\n{one}\nAnd?\n\n{two}\nMy sister.\n",
                                     encoding="utf-8")
    scan = scan_folder(tmp_path)
    assert [f.error for f in scan.files] == [None] * 3
    for t in scan.transcripts:
        assert _roles(t) == "IPIP" and [t.text[u.start:u.end] for u in t.turns][1::2] == ["The bus pass.", "My sister."]
        assert "Tom" not in "".join(u.speaker for u in t.turns)
    assert [u.time for u in scan.transcripts[0].turns][:2] == ["00:00:01.20", "00:00:04.00"]


def test_a_time_after_the_label_a_time_alone_on_the_label_line_and_role_word_headings(tmp_path: Path) -> None:
    """"Interviewer [00:00:01]: ...", "Interviewer 00:00:01: ...", "Speaker 2: 00:00:04" over the speech (the time
    was read as the participant's words), and "INTERVIEWER" alone over the speech. A wrapped line that is one
    word ("question.", "Okay") stays speech."""
    files = {
        "a.txt": "Interviewer [00:00:01]: What helped?\n\nParticipant [00:00:04]: The bus pass.\n",
        "b.txt": "Interviewer 00:00:01: What helped?\n\nParticipant 00:00:04: The bus pass.\n",
        "c.txt": "Interviewer: 00:00:01\nWhat helped?\n\nParticipant: 00:00:04\nThe bus pass.\n",
        "d.txt": "INTERVIEWER\nWhat helped?\n\nPARTICIPANT\nThe bus pass.\nGood\nquestion.\nOkay\nAnswer\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    scan = scan_folder(tmp_path)
    assert {f.id: str(f.error) for f in scan.files if f.error} == {}
    a, b, c, d = scan.transcripts
    for t in (a, b, c):
        assert [(u.role, t.text[u.start:u.end], u.time) for u in t.turns] == [
            ("interviewer", "What helped?", "00:00:01"), ("participant", "The bus pass.", "00:00:04")], t.id
    assert [(u.role, d.text[u.start:u.end]) for u in d.turns] == [
        ("interviewer", "What helped?"), ("participant", "The bus pass.\nGood\nquestion.\nOkay\nAnswer")]


def test_a_timetable_pasted_into_a_turn_is_not_read_as_speakers(tmp_path: Path) -> None:
    """Tab-set labels count only in a file labelled with tabs: in a file labelled "Interviewer:", a participant's
    pasted "Monday<tab>9am" lines stay their words, not a new speaker "Monday"."""
    (tmp_path / "a.txt").write_text(
        "Interviewer: When do you go?\n\nParticipant: Like this:\nMonday\tthe day centre\nTuesday\tthe clinic\n"
        "Monday\tagain, the food bank\n\nInterviewer: Thank you.\n", encoding="utf-8")
    t = read_folder(tmp_path)[0]
    assert _roles(t) == "IPI" and list(t.participants) == ["a"]
    assert t.text[t.turns[1].start:t.turns[1].end].endswith("Monday\tagain, the food bank")
