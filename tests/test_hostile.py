"""Hostile and malformed input: each bad-input class is a clear error naming the file and line (or it is
handled and the run goes on), never a traceback, a silent skip or something executed. RELIABILITY.md lists
the classes."""

from __future__ import annotations

import textwrap

import pytest

from wisdoms.errors import PanelError
from wisdoms.panel.decisions import read_decisions


def _decisions(tmp_path, body: str):  # noqa: ANN001, ANN202
    path = tmp_path / "decisions.yaml"
    path.write_text("schema: wisdoms.decisions/1\npanels:\n" + textwrap.dedent(body), encoding="utf-8")
    return path


_PANEL = """\
- panel: North
  date: '2025-03-14'
  verdicts:
  - theme: 1
    label: Rent
    outcome: {one}
    new_label: {label}
    merged_into: {into1}
  - theme: {two_id}
    label: Waiting
    outcome: {two}
    new_label: null
    merged_into: {into2}
  flagged_quotes: []
"""


def _panel(one="validated", label="null", into1="null", two_id=3, two="validated", into2="null") -> str:  # noqa: ANN001
    return _PANEL.format(one=one, label=label, into1=into1, two_id=two_id, two=two, into2=into2)


def test_an_outcome_that_is_not_one_is_named_with_its_line(tmp_path):
    path = _decisions(tmp_path, _panel(one="maybe"))
    with pytest.raises(PanelError) as err:
        read_decisions(path)
    assert err.value.line == 6 and "'maybe'" in str(err.value) and "candidate" in str(err.value)


def test_a_second_verdict_on_one_theme_from_one_panel_is_an_error_naming_both_lines(tmp_path):
    path = _decisions(tmp_path, _panel(two_id=1))
    with pytest.raises(PanelError) as err:
        read_decisions(path)
    assert err.value.line == 11 and "also at line 6" in str(err.value)


def test_merges_that_go_round_in_a_circle_are_an_error(tmp_path):
    path = _decisions(tmp_path, _panel(one="merged", into1=3, two="merged", into2=1))
    with pytest.raises(PanelError, match="circle") as err:
        read_decisions(path)
    assert "theme 1 (line 6)" in str(err.value) and "theme 3 (line 11)" in str(err.value)
    # across panels: a later panel merging 3 into 1 while an earlier one merged 1 into 3
    later = _panel(one="merged", into1=3).replace("2025-03-14", "2025-03-01") + _panel(
        one="validated", two="merged", into2=1).replace("North", "South").replace("theme: 1\n", "theme: 5\n")
    with pytest.raises(PanelError, match="circle"):
        read_decisions(_decisions(tmp_path, later))


def test_renamed_without_a_name_merged_into_nothing_and_bad_citations_are_errors(tmp_path):
    with pytest.raises(PanelError, match="no new_label") as err:
        read_decisions(_decisions(tmp_path, _panel(one="renamed")))
    assert err.value.line == 6
    with pytest.raises(PanelError, match="merged_into is None"):
        read_decisions(_decisions(tmp_path, _panel(one="merged")))
    bad = _panel().replace("flagged_quotes: []", "flagged_quotes:\n  - citation: somewhere\n    theme: 1")
    with pytest.raises(PanelError, match="no citation like") as err:
        read_decisions(_decisions(tmp_path, bad))
    assert err.value.line == 17


def test_the_panels_own_outcomes_are_accepted(tmp_path):
    body = _panel(one="renamed", label="'Home, not a room'", two="candidate").replace(
        "label: Waiting", "label: Waiting\n    rings_true: not sure")
    assert len(read_decisions(_decisions(tmp_path, body))["panels"][0]["verdicts"]) == 2
    twice = _panel() + _panel()
    with pytest.raises(PanelError, match="recorded twice"):
        read_decisions(_decisions(tmp_path, twice))


def test_a_response_sheet_whose_same_as_answers_go_round_is_refused(tmp_path):
    from wisdoms._tables import csv_text
    from wisdoms.panel import sheet
    from wisdoms.panel.decisions import parse_responses

    rows = [["1", "Rent", "yes", "same as card 2", "", "", "theme 1 / Rent", "1=a.txt:1-9"],
            ["2", "Waiting", "yes", "same as card 1", "", "", "theme 3 / Waiting", "1=a.txt:10-19"]]
    (tmp_path / "r.csv").write_text(csv_text(sheet.COLUMNS, rows), encoding="utf-8")
    with pytest.raises(PanelError, match=r"circle \(card 1 -> card 2 -> card 1\)"):
        parse_responses(tmp_path / "r.csv")


# --- report.md ---------------------------------------------------------------------------------------

_HOSTILE_WORDS = ['<script>alert("x")</script>', '<img src=x onerror=alert(1)>', "[click me](javascript:alert(1))",
                  "![p](http://evil.example/t.png)", "<javascript:alert(1)>", "# not a heading",
                  "[x]: javascript:alert(2)", "[x] and [x][x] and back\\](javascript:alert(3))", "[NAME] said it"]


def test_participants_markup_in_report_md_is_shown_as_text_not_run():
    """report.md renders in wikis and code hosts: a participant's words must not become a script, an image,
    a javascript: link or a heading there. Rendered with a CommonMark parser (HTML allowed, as GitHub's is)."""
    from markdown_it import MarkdownIt

    from wisdoms.report.blocks import Facts, Para, Quote, Report, Section, Span, Table
    from wisdoms.report.markdown import render_markdown

    blocks = []
    for i, words in enumerate(_HOSTILE_WORDS):
        blocks += [Para((f"They said {words}", Span(words, "strong"))),
                   Quote(words, who=f"P{i} {words}", citation=f"a`b.txt:{i}-9", note=words),
                   Facts(((words, (words,)),)),
                   Table(caption=words, anchor="", header=("Who", words), rows=(((words,), (Span(words, "code"),)),))]
    document = Report(title="Report", lead=(), sections=(Section(id="s", title="Voices", blocks=tuple(blocks)),))
    md = render_markdown(None, document=document)  # type: ignore[arg-type]
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html and "<a " not in html
    assert "<h1>not a heading" not in html and "<h2>not a heading" not in html
    # every hostile text is still there, word for word, as text
    from html import unescape

    text = unescape(html)
    for words in _HOSTILE_WORDS:
        for line in words.splitlines():
            assert line in text, line


# --- control characters --------------------------------------------------------------------------------


@pytest.mark.parametrize(("char", "name"), [("\x00", "NUL"), ("\x1b", "ESC"), ("\x07", "control character")])
def test_a_control_character_after_the_first_4kb_is_named_by_line_in_check_and_run(tmp_path, capsys, char, name):
    """Word refuses these characters ("All strings must be XML compatible"), so the report would fail at the
    very end: the transcript is refused up front, naming the line, by 'wisdoms check' as by a run."""
    from conftest import SAMPLE

    from wisdoms.cli import main
    from wisdoms.errors import TranscriptError
    from wisdoms.ingest import read_transcript

    text = (SAMPLE / "conversation-01.txt").read_text(encoding="utf-8")
    at = text.index("Participant:", 5000) + 20
    (tmp_path / "t").mkdir()
    bad = tmp_path / "t" / "conversation-01.txt"
    bad.write_text(text[:at] + char + text[at:], encoding="utf-8")
    line = text.count("\n", 0, at) + 1
    with pytest.raises(TranscriptError) as err:
        read_transcript(bad)
    assert err.value.line == line and name in str(err.value) and f"U+{ord(char):04X}" in str(err.value)
    assert main(["check", str(tmp_path / "t")]) != 0
    shown = capsys.readouterr()
    assert f"conversation-01.txt:{line}: column" in shown.out + shown.err


@pytest.mark.parametrize("char", ["\x0c", "\x0b"])
def test_a_page_break_or_word_line_break_is_read_as_a_line_break_with_a_note(tmp_path, capsys, char):
    """A Word export holds page breaks (FF) and manual line breaks (VT): read as line breaks one for one, so
    every offset is the file's and every quote is verbatim but for that whitespace; 'check' names the line."""
    from conftest import SAMPLE

    from wisdoms.cli import main
    from wisdoms.ingest import read_transcript

    text = (SAMPLE / "conversation-01.txt").read_text(encoding="utf-8")
    at = text.index("Participant:", 5000) + 20
    at = text.index(" ", at)  # between two words, as Word puts them
    (tmp_path / "t").mkdir()
    path = tmp_path / "t" / "conversation-01.txt"
    path.write_text(text[:at] + char + text[at + 1:] + char, encoding="utf-8")
    line = text.count("\n", 0, at) + 1
    notes: list[str] = []
    transcript = read_transcript(path, notes=notes)
    raw = path.read_text(encoding="utf-8")
    assert len(transcript.text) == len(raw) and transcript.text[at] == "\n" and char not in transcript.text
    assert all(a == b or (a == "\n" and b == char) for a, b in zip(transcript.text, raw))
    turn = next(t for t in transcript.turns if t.start <= at < t.end)  # the break is inside the turn, not an end
    assert transcript.text[turn.start:turn.end].replace("\n", " ").strip() in text.replace("\n", " ")
    assert any(n.startswith(f"lines {line}, ") and "read as line breaks" in n for n in notes), notes
    assert main(["check", str(tmp_path / "t")]) == 0
    shown = capsys.readouterr().out
    assert f"lines {line}, " in shown and "read as line breaks" in shown


def test_vertical_tabs_in_table_cells_are_line_breaks_and_never_split_a_row(tmp_path):
    """In a CSV a VT may stand in an unquoted cell (a line break there would split the row), and Excel keeps
    it as ``_x000B_``: both are read as a line break inside the answer, the row named in a note."""
    from openpyxl import Workbook

    from wisdoms.codebook import read_answers
    from wisdoms.ingest import read_transcript

    csv_path = tmp_path / "answers.csv"
    csv_path.write_text("respondent,answer\nr1,Waited for weeks\x0bthen nobody called back at all\n"
                        'r2,"The nurse was kind,\x0cand she listened to me properly"\n', encoding="utf-8")
    notes: list[str] = []
    transcript = read_transcript(csv_path, notes=notes)
    assert [t.participant for t in transcript.turns] == ["r1", "r2"]
    assert "Waited for weeks\nthen nobody" in transcript.text and "kind,\nand she" in transcript.text
    assert any(n.startswith("rows 2, 3:") for n in notes), notes
    book = Workbook()
    book.active.append(["respondent", "answer"])
    book.active.append(["r1", "Waited for weeks_x000B_then nobody called back at all"])
    book.save(tmp_path / "answers.xlsx")
    notes = []
    transcript = read_transcript(tmp_path / "answers.xlsx", notes=notes)
    assert "Waited for weeks\nthen nobody" in transcript.text and any(n.startswith("row 2:") for n in notes)
    # 'wisdoms code' and 'codebook review' read answers the same way.
    assert [a.text for a in read_answers(csv_path, text_column="answer", id_column="respondent")] == [
        "Waited for weeks\nthen nobody called back at all", "The nurse was kind,\nand she listened to me properly"]


@pytest.mark.parametrize("suffix", [".vtt", ".srt", ".md"])
def test_page_breaks_in_captions_and_markdown_are_line_breaks_too(tmp_path, suffix):
    from wisdoms.ingest import read_transcript

    body = {".vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Interviewer>What changed for you?\n\x0c\n"
                    "00:00:04.000 --> 00:00:09.000\n<v Sam>The officer finally\x0brang me back after weeks.\n",
            ".srt": "1\n00:00:01,000 --> 00:00:03,000\nInterviewer: What changed for you?\n\x0c\n2\n"
                    "00:00:04,000 --> 00:00:09,000\nSam: The officer finally\x0brang me back after weeks.\n",
            ".md": "**Interviewer:** What changed for you?\n\x0c\n**Participant:** The officer finally\x0brang me back after weeks.\n"}
    path = tmp_path / f"talk{suffix}"
    path.write_text(body[suffix], encoding="utf-8")
    notes: list[str] = []
    transcript = read_transcript(path, notes=notes)
    said = [" ".join(transcript.text[t.start:t.end].split()) for t in transcript.turns]
    assert said == ["What changed for you?", "The officer finally rang me back after weeks."]
    assert "\x0b" not in transcript.text and "\x0c" not in transcript.text
    assert any("read as line breaks" in n for n in notes), notes


def test_the_nhs_table_with_a_vertical_tab_is_read_whole(shared):
    from wisdoms.ingest import read_transcript

    path = shared / "bench" / "nhs_fft" / "phase1_single_label.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    notes: list[str] = []
    transcript = read_transcript(path, notes=notes)
    assert "\x0b" not in transcript.text and any("vertical tab" in n or "vertical tabs" in n for n in notes), notes
    assert "waiting 15-30 minutes for him to call me" in transcript.text


# --- unbounded input -----------------------------------------------------------------------------------


def _zip_with(path, members: dict[str, bytes]):  # noqa: ANN001, ANN202
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".qdpx"])
def test_an_archive_that_unpacks_past_the_limit_is_refused_before_it_is_opened(tmp_path, monkeypatch, suffix):
    """A small file holding a member that unpacks to much more (here 3 MB of zeros against a limit lowered to
    2 MB, as a 1 GiB member against the default 256 MB) is refused, naming the member and the setting."""
    from wisdoms.codebook.qdpx_import import read_qdpx as load_qdpx
    from wisdoms.errors import CodebookError, TranscriptError
    from wisdoms.ingest import read_transcript

    monkeypatch.setenv("WISDOMS_MAX_ARCHIVE_MB", "2")
    path = _zip_with(tmp_path / f"bomb{suffix}", {"[Content_Types].xml": b"<x/>", "word/big.bin": b"\0" * 3_000_000})
    assert path.stat().st_size < 20_000
    if suffix == ".qdpx":
        with pytest.raises(CodebookError, match="WISDOMS_MAX_ARCHIVE_MB") as err:
            load_qdpx(path)
    else:
        with pytest.raises(TranscriptError, match="WISDOMS_MAX_ARCHIVE_MB") as err:
            read_transcript(path)
    assert "'word/big.bin' alone is 3 MB" in str(err.value)
    monkeypatch.setenv("WISDOMS_MAX_ARCHIVE_MB", "many")
    from wisdoms.errors import SettingsError

    with pytest.raises(SettingsError, match="WISDOMS_MAX_ARCHIVE_MB='many'"):
        (load_qdpx if suffix == ".qdpx" else read_transcript)(path)


def test_an_archive_of_too_many_files_is_refused(tmp_path, monkeypatch):
    from wisdoms.errors import TranscriptError
    from wisdoms.ingest import read_transcript

    monkeypatch.setenv("WISDOMS_MAX_ARCHIVE_MEMBERS", "50")
    path = _zip_with(tmp_path / "many.docx", {f"word/m{i}.xml": b"<x/>" for i in range(60)})
    with pytest.raises(TranscriptError, match="holds 60 files, more than the 50"):
        read_transcript(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_table_past_the_row_limit_is_refused_while_it_is_read(tmp_path, monkeypatch, suffix):
    from wisdoms.errors import TranscriptError
    from wisdoms.ingest import read_transcript

    rows = [["id", "answer"], *([f"r{i}", f"answer {i} about the waiting list"] for i in range(120))]
    if suffix == ".csv":
        from wisdoms._tables import csv_text

        (tmp_path / "t.csv").write_text(csv_text(rows[0], rows[1:]), encoding="utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook()
        for row in rows:
            book.active.append(row)
        book.save(tmp_path / "t.xlsx")
    assert len(read_transcript(tmp_path / f"t{suffix}").turns) == 120
    monkeypatch.setenv("WISDOMS_MAX_ROWS", "100")
    with pytest.raises(TranscriptError, match="more than 100 rows") as err:
        read_transcript(tmp_path / f"t{suffix}")
    assert err.value.line == 102 and "WISDOMS_MAX_ROWS" in str(err.value)


def test_a_codebook_entity_reference_is_an_error_not_a_description_cut_short(tmp_path):
    from wisdoms.codebook import load_codebook
    from wisdoms.errors import CodebookError

    path = tmp_path / "codes.qdc"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE CodeBook [<!ENTITY org "Shelter">]>\n'
                    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>\n'
                    '<Code guid="00000000-0000-0000-0000-000000000001" name="Home" isCodable="true">'
                    "<Description>Support from &org; and friends.</Description></Code></Codes></CodeBook>\n",
                    encoding="utf-8")
    with pytest.raises(CodebookError, match="&org; is an entity") as err:
        load_codebook(path)
    assert err.value.line == 4
