"""Panel packs out, verdicts in: plain cards, response sheets, strict import, decisions applied to reports."""

from __future__ import annotations

import csv
import io
import re

import pytest

from wisdoms.cli import main
from wisdoms.errors import PanelError
from wisdoms.panel import apply_decisions, import_responses, make_pack, read_decisions
from wisdoms.panel import sheet
from wisdoms.report import render_html, write_reports

from report_fixtures.analysis import build_analysis

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("panel")
    analysis = build_analysis(tmp)
    write_reports(analysis, tmp / "run", allow_unreviewed=True)  # sample transcripts hold names the gate blocks
    make_pack(tmp / "run", tmp / "pack")
    return analysis, tmp / "run", tmp / "pack"


def _rows(pack) -> list[list[str]]:  # noqa: ANN001
    return list(csv.reader(io.StringIO((pack / "responses.csv").read_text(encoding="utf-8-sig"))))


def _write(path, rows) -> None:  # noqa: ANN001
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_pack_has_plain_cards_one_a_page_and_no_scores(run):
    analysis, _, pack = run
    html = (pack / "cards.html").read_text(encoding="utf-8")
    assert html.count('class="card"') == len(analysis.themes)
    assert "page-break-after: always" in html
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    for jargon in ("score", "cluster", "BERTopic", "embedding", "keyword", "passages"):
        assert jargon.lower() not in body.lower()
    assert not re.search(r"\b0\.\d\d\b", body)
    assert "font-size: 1.6rem" not in html
    big = make_pack(run[1], pack.parent / "big", large_print=True)
    assert "font-size: 1.6rem" in big[0].read_text(encoding="utf-8")


def test_response_sheets_have_the_questions(run):
    from openpyxl import load_workbook

    _, _, pack = run
    ws = load_workbook(pack / "responses.xlsx").active
    assert [c.value for c in ws[1]] == sheet.COLUMNS
    assert _rows(pack)[0] == sheet.COLUMNS
    assert ws.max_row == len(_rows(pack))
    from docx import Document

    assert any(p.text.startswith("Card 1:") for p in Document(str(pack / "cards.docx")).paragraphs)


def test_malformed_sheet_names_row_and_column_and_changes_nothing(run, tmp_path):
    _, _, pack = run
    decisions = tmp_path / "d.yaml"
    decisions.write_text("schema: wisdoms.decisions/1\npanels: []\n", encoding="utf-8")
    before = decisions.read_bytes()
    rows = _rows(pack)
    rows[1][2] = "maybe"
    rows[2][2], rows[2][5] = "yes", "the sad one"
    rows[3][2], rows[3][5] = "yes", "9"
    _write(tmp_path / "bad.csv", rows)
    with pytest.raises(PanelError) as err:
        import_responses(tmp_path / "bad.csv", panel="P", date="2025-03-14", decisions=decisions)
    message = str(err.value)
    assert f"row 2, column {sheet.RINGS_TRUE!r}" in message and "'maybe'" in message
    assert f"row 3, column {sheet.QUOTES!r}" in message
    assert "row 4" in message and "no quote 9" in message
    assert decisions.read_bytes() == before
    with pytest.raises(PanelError, match="not a date"):
        import_responses(pack / "responses.csv", panel="P", date="14/03/2025", decisions=decisions)
    del rows[0][0]
    _write(tmp_path / "nohead.csv", rows)
    with pytest.raises(PanelError, match="lacks the column"):
        import_responses(tmp_path / "nohead.csv", panel="P", date="2025-03-14", decisions=decisions)


def test_import_applies_verdicts_and_withdrawn_quotes_are_never_used_again(run, tmp_path):
    analysis, run_dir, pack = run
    rows = _rows(pack)
    rows[1][2:7] = ["yes", "", "", "", ""]
    rows[2][2:7] = ["partly", "Waiting to be heard", "landlords", "1", ""]
    rows[3][2:7] = ["no", "", "", "", ""]
    rows[4][2:7] = ["yes", "", "", "", "2"]
    _write(tmp_path / "r.csv", rows)
    decisions = tmp_path / "decisions.yaml"
    assert main(["panel", "import", str(tmp_path / "r.csv"), "--panel", "North panel", "--date", "2025-03-14",
                 "--decisions", str(decisions)]) == 0
    doc = read_decisions(decisions)
    outcomes = [v["outcome"] for v in doc["panels"][0]["verdicts"]]
    assert outcomes == ["validated", "renamed", "rejected", "merged"]
    withdrawn = doc["panels"][0]["flagged_quotes"][0]["citation"]
    with pytest.raises(PanelError, match="already recorded"):
        import_responses(tmp_path / "r.csv", panel="North panel", date="2025-03-14", decisions=decisions)

    themes = list(analysis.themes)
    after = apply_decisions(analysis, decisions)
    by_id = {t.id: t for t in after.themes}
    assert by_id[themes[0].id].status == "validated"
    assert by_id[themes[1].id].status == "renamed" and by_id[themes[1].id].label == "Waiting to be heard"
    assert by_id[themes[2].id].status == "rejected"
    assert by_id[themes[3].id].status == "merged"
    assert all(q.citation != withdrawn for t in after.themes for q in t.quotes)
    assert len(by_id[themes[1].id].quotes) == len(themes[1].quotes)
    html = render_html(after)
    assert "North panel" in html and "Waiting to be heard" in html and "2025-03-14" in html
    assert withdrawn not in html
    cards = make_pack(run_dir, tmp_path / "pack2", decisions=decisions)
    assert withdrawn not in next(p for p in cards if p.name == "responses.csv").read_text(encoding="utf-8-sig")
