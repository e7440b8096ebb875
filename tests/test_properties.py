"""Property-based tests (Hypothesis) over every reader and importer: whatever bytes a file holds, reading
it gives a result or a WisdomsError naming the file, never another exception; what a transcript reader
returns keeps its offsets (every turn is the text at its offsets).

Example counts are kept small (CI runs the whole suite in one budget); each reader sees structured input
near its own format as well as arbitrary bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wisdoms.errors import WisdomsError

FEW = settings(max_examples=int(os.environ.get("WISDOMS_HYPOTHESIS_EXAMPLES", "40")), deadline=None,
               suppress_health_check=[HealthCheck.too_slow])

# Text near the formats: speaker labels, front matter, timings, separators, markup, odd characters.
_PIECES = st.sampled_from([
    "Interviewer: ", "Participant: ", "P1: ", "I: ", "---\n", "participant: P01\n", "area: North\n", "\n", "\n\n",
    "WEBVTT\n\n", "00:00:01.000 --> 00:00:02.000\n", "1\n00:00:01,000 --> 00:00:02,500\n", "<v Sam>", "</v>",
    "id,text\n", "r1,", '"quoted, text"', ";", "\t", "=HYPERLINK(\"x\")", "@", "'", "[inaudible]", "é", "🙂",
    "\u200b", "\r\n", "\ufeff", "codes:\n", "- id: c1\n", "  name: Home\n", "  definition: Being housed.\n",
    "schema: wisdoms.decisions/1\n", "panels:\n", "- panel: North\n", "  verdicts:\n", "  - theme: 1\n",
    "    outcome: maybe\n", "{\"id\": 1, \"text\": \"hi\"}\n", "<Project>", "&amp;", "<!DOCTYPE x [<!ENTITY a 'b'>]>",
])
_TEXT = st.one_of(st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=25).map("".join),
                  st.text(max_size=200))
_BYTES = st.one_of(_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=300),
                   _TEXT.map(lambda t: t.encode("utf-16", "surrogatepass")))


def _read(suffix: str, data: bytes, reader: Callable[[Path], Any]) -> Any:
    """``reader`` on a file holding ``data``: its result, or None after a WisdomsError naming the file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            return reader(path)
        except WisdomsError as exc:
            assert exc.path is not None and Path(exc.path).name == path.name or str(path) in str(exc), exc
            return None


def _check_turns(transcript: Any, suffix: str) -> None:
    """Turns lie inside the text, in order, without overlapping; in a plain-text file each starts on the
    line it names."""
    end = 0
    for turn in transcript.turns:
        assert end <= turn.start <= turn.end <= len(transcript.text)
        end = turn.end
        if suffix in (".txt", ".md"):
            assert turn.line == transcript.text.count("\n", 0, turn.start) + 1


@pytest.mark.parametrize("suffix", [".txt", ".md", ".vtt", ".srt", ".csv"])
@FEW
@given(data=_BYTES)
@example(data=b"Participant: \n---\n")  # a label alone on its line: the turn's line is where its words start
def test_text_transcript_readers_give_a_transcript_or_a_clear_error(suffix, data):
    from wisdoms.ingest import read_transcript

    transcript = _read(suffix, data, read_transcript)
    if transcript is not None:
        _check_turns(transcript, suffix)


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
@FEW
@given(data=st.binary(max_size=400))
def test_binary_transcript_readers_give_a_clear_error_on_damaged_files(suffix, data):
    from wisdoms.ingest import read_transcript

    _read(suffix, b"PK\x03\x04" + data, read_transcript)


@pytest.mark.parametrize("suffix", [".yaml", ".csv", ".jsonl", ".qdc", ".xlsx"])
@FEW
@given(data=_BYTES)
def test_codebook_loaders_give_a_codebook_or_a_clear_error(suffix, data):
    from wisdoms.codebook import load_codebook

    book = _read(suffix, data, load_codebook)
    assert book is None or book.codes


@FEW
@given(data=_BYTES)
def test_panel_decisions_and_response_sheets_give_a_result_or_a_clear_error(data):
    from wisdoms.panel.decisions import parse_responses, read_decisions

    _read(".yaml", data, read_decisions)
    _read(".csv", data, parse_responses)


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
@FEW
@given(data=_BYTES)
def test_codebook_decisions_and_review_sheets_give_a_result_or_a_clear_error(suffix, data):
    from wisdoms.codebook.decisions import load_decisions, read_review_sheet

    _read(suffix, data, load_decisions)
    if suffix == ".csv":
        _read(suffix, data, read_review_sheet)


@FEW
@given(data=_BYTES)
def test_privacy_review_and_scanned_tables_give_a_result_or_a_clear_error(data):
    from wisdoms.privacy.review import read_review
    from wisdoms.privacy.scan import read_table

    _read(".csv", data, read_review)
    _read(".csv", data, read_table)
    _read(".jsonl", data, read_table)


@FEW
@given(data=_BYTES)
def test_participants_answers_codings_and_settings_give_a_result_or_a_clear_error(data):
    from wisdoms.codebook.agreement import read_assignments
    from wisdoms.codebook.coding import read_answers
    from wisdoms.ingest.participants import load_participants
    from wisdoms.settings import Settings

    _read(".csv", data, load_participants)
    _read(".csv", data, read_answers)
    _read(".jsonl", data, read_answers)
    _read(".csv", data, read_assignments)
    _read(".yaml", data, Settings.from_file)


@FEW
@given(members=st.dictionaries(st.sampled_from(["project.qde", "sources/a.txt", "x/project.qde", "../evil.qde"]),
                               _BYTES, max_size=3))
def test_qdpx_import_gives_a_project_or_a_clear_error(members):
    import io
    import zipfile

    from wisdoms.codebook.qdpx_import import read_qdpx

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    _read(".qdpx", buffer.getvalue(), read_qdpx)
