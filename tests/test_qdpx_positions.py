"""REFI-QDA positions as the exporting program counts them (NVivo: UTF-16 units), codes without definitions,
and ids in any script."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from wisdoms.cli import main
from wisdoms.codebook import load_codebook, read_qdpx, undescribed
from wisdoms.codebook.qdpx_import import CODE_POINTS, UTF16_UNITS, Utf16Offsets

#: Several emoji and a musical symbol (two UTF-16 units each) before the coded words, as in real NVivo projects.
TEXT = ("Interviewer: how was it? 😊\nParticipant: Honestly 😅😅 the worst bit was waiting 𝄞 for the call back, "
        "and then the hostel 🏠 said no again. I kept going back 🙏 every single week.\n")
CODED = ["waiting", "for the call back", "the hostel", "said no again", "every single week"]


def _spans(units: str) -> list[tuple[int, int]]:
    mapper = Utf16Offsets(TEXT)
    spans = []
    for part in CODED:
        start = TEXT.index(part)
        end = start + len(part)
        spans.append((mapper.to_units(start), mapper.to_units(end)) if units == UTF16_UNITS else (start, end))
    return spans


def _project(tmp_path: Path, origin: str, units: str) -> Path:
    selections = "".join(
        f'<PlainTextSelection guid="00000000-0000-4000-8000-0000000001{i:02d}" startPosition="{s}" endPosition="{e}">'
        f'<Coding guid="00000000-0000-4000-8000-0000000002{i:02d}">'
        '<CodeRef targetGUID="00000000-0000-4000-8000-000000000011"/></Coding></PlainTextSelection>'
        for i, (s, e) in enumerate(_spans(units))
    )
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="study" origin="{origin}">
  <CodeBook><Codes>
    <Code guid="00000000-0000-4000-8000-000000000011" name="Sárga" isCodable="true">
      <Description>Yellow things.</Description></Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="00000000-0000-4000-8000-000000000021" name="p1" plainTextPath="internal://00000000-0000-4000-8000-000000000021.txt">
      {selections}
    </TextSource>
  </Sources>
</Project>""".encode()
    path = tmp_path / f"{units.split()[0]}-{origin.split()[0] or 'none'}.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr("sources/00000000-0000-4000-8000-000000000021.txt", TEXT.encode("utf-8"))
    return path


def _texts(result) -> list[str]:  # noqa: ANN001
    return sorted(d.text for d in result.decisions)


def test_nvivo_positions_are_read_as_utf16_units(tmp_path: Path) -> None:
    result = read_qdpx(_project(tmp_path, "NVivo 12 (12.6.1.970)", UTF16_UNITS))
    assert result.positions == UTF16_UNITS and result.positions_note == ""
    assert _texts(result) == sorted(CODED)
    assert [c.id for c in result.codebook.codes] == ["sárga"]  # accented letters kept in the id


def test_other_programs_positions_are_code_points(tmp_path: Path) -> None:
    result = read_qdpx(_project(tmp_path, "MAXQDA 2022", CODE_POINTS))
    assert result.positions == CODE_POINTS and result.positions_note == ""
    assert _texts(result) == sorted(CODED)


def test_an_unknown_program_is_read_the_way_that_puts_selections_on_word_boundaries(tmp_path: Path) -> None:
    result = read_qdpx(_project(tmp_path, "SomeQDA 1.0", UTF16_UNITS))
    assert result.positions == UTF16_UNITS and _texts(result) == sorted(CODED)
    assert "SomeQDA 1.0 is not a program whose counting is known" in result.positions_note
    assert "5 start and end on word boundaries read as UTF-16 units, 0 read as code points" in result.positions_note


def test_selections_that_contradict_the_named_program_win_with_a_warning(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    path = _project(tmp_path, "NVivo 14", CODE_POINTS)
    result = read_qdpx(path)
    assert result.positions == CODE_POINTS and _texts(result) == sorted(CODED)
    assert "NVivo 14, which counts positions in UTF-16 units" in result.positions_note
    assert main(["codebook", "import-qdpx", str(path), "--out", str(tmp_path / "cb.yaml")]) == 0
    assert "Selection positions read as code points: the project comes from NVivo 14" in capsys.readouterr().out


def test_read_as_code_points_an_nvivo_project_would_be_misplaced() -> None:
    """The check can fail: the UTF-16 positions, read as code points, are off by the emoji before them."""
    spans = _spans(UTF16_UNITS)
    assert [TEXT[s:e] for s, e in spans] != CODED


def test_a_qdc_without_definitions_converts_with_a_visible_note(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    qdc = tmp_path / "taguette.qdc"
    qdc.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Taguette 1.4.1">'
        '<Codes><Code guid="00000000-0000-4000-8000-000000000031" name="sárga" isCodable="true"/>'
        '<Code guid="00000000-0000-4000-8000-000000000032" name="Housing worries" isCodable="true">'
        "<Description>Worry about keeping a home.</Description></Code></Codes></CodeBook>\n",
        encoding="utf-8",
    )
    book = load_codebook(qdc)
    assert [c.id for c in book.codes] == ["sárga", "housing-worries"]
    assert book.get("sárga").definition == "sárga (imported from Taguette 1.4.1 without a description)."
    assert undescribed(book) == ["sárga"]
    assert main(["codebook", "convert", str(qdc), str(tmp_path / "cb.yaml")]) == 0
    out = capsys.readouterr().out
    assert "Note: 1 codes had no description" in out and "write a definition for sárga" in out
    assert load_codebook(tmp_path / "cb.yaml").get("sárga").name == "sárga"


@pytest.mark.parametrize(("text", "units", "index"), [("a😊b", 3, 2), ("a😊b", 2, None), ("abc", 2, 2)])
def test_utf16_offsets_map_both_ways(text: str, units: int, index: int | None) -> None:
    mapper = Utf16Offsets(text)
    assert mapper.to_index(units) == index
    if index is not None:
        assert mapper.to_units(index) == units
