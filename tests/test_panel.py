"""Panel packs out, verdicts in: plain cards, response sheets, strict import, decisions applied to reports."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import pytest
from report_fixtures.analysis import build_analysis

from wisdoms.cli import main
from wisdoms.errors import ExportBlockedError, PanelError
from wisdoms.panel import apply_decisions, import_responses, make_pack, read_decisions, sheet
from wisdoms.report import render_html, write_reports

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
    assert "@page { size: A4" in html and "break-inside: avoid" in html  # PDF-ready: one card per A4 page
    assert "font-size: 13pt" in html
    big = make_pack(run[1], pack.parent / "big", large_print=True)
    big_html = big[0].read_text(encoding="utf-8")
    assert "font-size: 1.6rem" in big_html and "font-size: 18pt" in big_html
    from docx import Document

    assert Document(str(big[1])).styles["Normal"].font.size.pt == 18
    assert Document(str(pack / "cards.docx")).styles["Normal"].font.size.pt == 13
    from docx.shared import Mm

    for section in Document(str(pack / "cards.docx")).sections:  # A4, like cards.html, not Word's US Letter
        assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)


def test_response_sheets_have_the_questions(run):
    from openpyxl import load_workbook

    _, _, pack = run
    # The four questions exactly as issue 6 words them, between the card columns and the reference columns.
    assert sheet.COLUMNS[2:6] == ["Does this ring true? (yes / partly / no / not sure)", "What would you call it?",
                                  "What is missing?", "Any quote that should not be used?"]
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
    rows[1][2:6] = ["yes", "", "", ""]
    rows[2][2:6] = ["partly", "Waiting to be heard", "landlords", "1"]
    rows[3][2:6] = ["no", "", "", ""]
    rows[4][2:6] = ["yes", "Same as card 2", "", ""]
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
    assert len(by_id[themes[1].id].quotes) >= len(themes[1].quotes)  # and the merged card's quotes
    html = render_html(after)
    assert "North panel" in html and "Waiting to be heard" in html and "2025-03-14" in html
    assert withdrawn not in html
    # A merge is reported in the report's theme numbers, not the panel's card numbers.
    assert f"Outcome: merged into theme {themes[1].id}." in html and "Same as card 2" not in html
    cards = make_pack(run_dir, tmp_path / "pack2", decisions=decisions)
    assert withdrawn not in next(p for p in cards if p.name == "responses.csv").read_text(encoding="utf-8-sig")


def test_malformed_merge_answer_changes_nothing(run, tmp_path):
    _, _, pack = run
    rows = _rows(pack)
    rows[1][2:6] = ["yes", "same as card 99", "", ""]
    rows[2][2:6] = ["yes", "same as card 2", "", ""]
    _write(tmp_path / "bad.csv", rows)
    decisions = tmp_path / "d.yaml"
    with pytest.raises(PanelError) as err:
        import_responses(tmp_path / "bad.csv", panel="P", date="2025-03-14", decisions=decisions)
    assert f"row 2, column {sheet.CALL_IT!r}" in str(err.value) and "names no card" in str(err.value)
    assert f"row 3, column {sheet.CALL_IT!r}" in str(err.value) and "itself" in str(err.value)
    assert not decisions.exists()


def _leaky_run(run_dir, tmp_path):  # noqa: ANN001, ANN202
    """A copy of the run whose first quote names a person and a hostel."""
    import json
    import shutil

    leaky = tmp_path / "leaky"
    shutil.copytree(run_dir, leaky)
    doc = json.loads((leaky / "themes.json").read_text(encoding="utf-8"))
    quote = doc["themes"][0]["quotes"][0]
    quote["text"] = "Kelly at the Beacon Hostel sorted it all out for me in the end, honestly."  # 12+ words: on the card
    (leaky / "themes.json").write_text(json.dumps(doc), encoding="utf-8")
    # the same quote in the saved analysis, which the command loads (as a notebook's Analysis.load)
    saved = json.loads((leaky / "analysis.json").read_text(encoding="utf-8"))
    for theme in saved["themes"]:
        for q in theme["quotes"]:
            if (q["transcript"], q["start"], q["end"]) == (quote["transcript"], quote["start"], quote["end"]):
                q["text"] = quote["text"]
    (leaky / "analysis.json").write_text(json.dumps(saved), encoding="utf-8")
    return leaky, f"{quote['transcript']}:{quote['start']}-{quote['end']}"


def test_pack_refuses_unreviewed_quotes_and_says_where_and_how(run, tmp_path, capsys):
    _, run_dir, _ = run
    leaky, citation = _leaky_run(run_dir, tmp_path)
    with pytest.raises(ExportBlockedError) as err:
        make_pack(leaky, tmp_path / "pack")
    message = str(err.value)
    assert citation in message and "Kelly" in message
    assert "wisdoms privacy sign-off" in message and "wisdoms privacy scan" in message
    assert not (tmp_path / "pack").exists()
    capsys.readouterr()
    assert main(["panel", "pack", str(leaky), "--out", str(tmp_path / "pack")]) == 2
    assert citation in capsys.readouterr().err and not (tmp_path / "pack").exists()


def test_draft_pack_is_stamped_on_every_page_and_its_sheet_still_imports(run, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    from wisdoms.privacy import NOT_FOR_SHARING

    _, run_dir, _ = run
    leaky, _ = _leaky_run(run_dir, tmp_path)
    assert main(["panel", "pack", str(leaky), "--out", str(tmp_path / "draft"), "--allow-unreviewed"]) == 0
    draft = tmp_path / "draft"
    html = (draft / "cards.html").read_text(encoding="utf-8")
    cards = html.count('class="card"')
    assert cards and html.count(f'class="stamp" role="note">{NOT_FOR_SHARING}') == cards + 1  # every card + intro
    doc = Document(str(draft / "cards.docx"))
    assert all(s.header.paragraphs[0].text == NOT_FOR_SHARING for s in doc.sections)
    assert sum(p.text == NOT_FOR_SHARING for p in doc.paragraphs) == cards + 1
    assert load_workbook(draft / "responses.xlsx").active["A1"].value == NOT_FOR_SHARING
    rows = list(csv.reader(io.StringIO((draft / "responses.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0] == [NOT_FOR_SHARING] and rows[1] == sheet.COLUMNS
    rows[2][2] = "yes"
    _write(tmp_path / "r.csv", rows)
    doc = import_responses(tmp_path / "r.csv", panel="P", date="2025-03-14", decisions=tmp_path / "d.yaml")
    assert [v["outcome"] for v in doc["panels"][0]["verdicts"]] == ["validated"]
    assert (draft / "NOT-FOR-SHARING.txt").is_file()


def test_pack_fails_closed_when_a_detector_breaks_even_for_drafts(run, tmp_path):
    from report_fixtures.gates import broken_gate

    gate = broken_gate()
    for draft in (False, True):
        with pytest.raises(ExportBlockedError, match="boom"):
            make_pack(run[1], tmp_path / "p", allow_unreviewed=draft, gate=gate)
        assert not (tmp_path / "p").exists()


def test_pack_of_a_run_made_with_decisions_leaves_its_withdrawn_quotes_out_without_the_file(run, tmp_path):
    """'wisdoms run --decisions' records withdrawn quotes in the manifest; a pack made from that run without
    --decisions must not bring them back (passages.csv still lists those passages)."""
    import json
    import shutil

    _, run_dir, pack = run
    withdrawn = _rows(pack)[1][7].split(";")[0].split("=", 1)[1]
    decided = tmp_path / "decided"
    shutil.copytree(run_dir, decided)
    manifest = json.loads((decided / "manifest.json").read_text(encoding="utf-8"))
    manifest["panel_decisions"] = {"flagged_quotes": [{"citation": withdrawn}], "panels": [], "themes": {}}
    (decided / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for per_card in (3, 50):  # 50: every passage of the theme is a candidate to top the card up
        written = make_pack(decided, tmp_path / f"pack{per_card}", quotes_per_card=per_card, allow_unreviewed=True)
        sheet_text = next(p for p in written if p.name == "responses.csv").read_text(encoding="utf-8-sig")
        assert withdrawn not in sheet_text
    assert withdrawn in (pack / "responses.csv").read_text(encoding="utf-8-sig")  # the check can fail


def test_damaged_or_wrong_files_give_clear_errors_and_change_nothing(run, tmp_path):
    _, _, pack = run
    decisions = tmp_path / "d.yaml"
    decisions.write_text("schema: wisdoms.decisions/1\npanels: []\n", encoding="utf-8")
    before = decisions.read_bytes()
    damaged = tmp_path / "responses.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(PanelError, match="cannot open the Excel sheet") as err:
        import_responses(damaged, panel="P", date="2025-03-14", decisions=decisions)
    assert str(damaged) in str(err.value)
    with pytest.raises(PanelError, match="unsupported response sheet type"):
        import_responses(pack / "cards.html", panel="P", date="2025-03-14", decisions=decisions)
    with pytest.raises(PanelError, match="panel name is empty"):
        import_responses(pack / "responses.csv", panel="  ", date="2025-03-14", decisions=decisions)
    assert decisions.read_bytes() == before
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema: wisdoms.decisions/1\npanels: [\n", encoding="utf-8")
    with pytest.raises(PanelError, match="invalid YAML") as err:
        import_responses(pack / "responses.csv", panel="P", date="2025-03-14", decisions=broken)
    assert err.value.line is not None
    assert broken.read_text(encoding="utf-8") == "schema: wisdoms.decisions/1\npanels: [\n"


def test_next_report_written_through_the_gate_shows_verdicts_and_who_gave_them(run, tmp_path):
    """The whole way back in: decisions applied, then every report file written (the path 'wisdoms run
    --decisions' takes), verdicts and panel named in each, the withdrawn quote in none; a name written by
    the panel is caught by the final scan."""
    import json

    from docx import Document

    from wisdoms.privacy import Detector, NameList, PrivacyGate, SignOffs

    analysis, _, pack = run
    rows = _rows(pack)
    rows[1][2:6] = ["partly", "Waiting to be heard", "what Zebedee told us", "1"]
    rows[2][2:6] = ["no", "", "", ""]
    withdrawn = rows[1][7].split(";")[0].split("=", 1)[1]
    _write(tmp_path / "r.csv", rows)
    decisions = tmp_path / "decisions.yaml"
    import_responses(tmp_path / "r.csv", panel="Riverside panel", date="2026-11-20", decisions=decisions)
    after = apply_decisions(analysis, decisions)
    out = tmp_path / "next"
    write_reports(after, out, allow_unreviewed=True)
    html = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    docx = "\n".join(p.text for p in Document(str(out / "report.docx")).paragraphs)
    for text in (html, md, docx):
        assert "Riverside panel" in text and "2026-11-20" in text and "Waiting to be heard" in text
        assert withdrawn not in text
    doc = json.loads((out / "themes.json").read_text(encoding="utf-8"))
    assert all(f"{q['transcript']}:{q['start']}-{q['end']}" != withdrawn for t in doc["themes"] for q in t["quotes"])
    assert {"renamed", "rejected"} <= {t["status"] for t in doc["themes"]}
    renamed = next(t for t in after.themes if t.status == "renamed")
    section = md.split(f"### Theme {renamed.id}: ")[1].split("### Theme ")[0]
    assert section.startswith("Waiting to be heard") and "- Title:" not in section, \
        "the panel's name is not a participant's words: no citation for it"
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["panel_decisions"]["flagged_quotes"] == [
        {"citation": withdrawn}]

    gate = PrivacyGate(names=NameList(entries=(("Zebedee", "PERSON"),)), signoffs=SignOffs(),
                       detector=Detector(use_ner=False)).fit()
    with pytest.raises(ExportBlockedError, match="panel verdicts"):
        write_reports(after, tmp_path / "blocked", gate=gate)
    assert not (tmp_path / "blocked").exists()


def test_pack_of_chosen_themes_or_the_top_n_and_clear_errors(run, tmp_path):
    """A run with hundreds of themes (a big survey) needs a pack of the few a panel will check."""
    from wisdoms.errors import PanelError
    from wisdoms.panel.pack import build_cards

    analysis, run_dir, _ = run
    ids = [t.id for t in analysis.themes]
    picked = [ids[-1], ids[0]]
    cards = build_cards(run_dir, themes=picked)
    assert [c["theme"] for c in cards] == picked and [c["number"] for c in cards] == [1, 2]
    by_reach = sorted(analysis.themes, key=lambda t: (-t.participants, t.id))
    assert [c["theme"] for c in build_cards(run_dir, top=2)] == [t.id for t in by_reach[:2]]
    with pytest.raises(PanelError, match=r"no theme 999 in this run") as err:
        build_cards(run_dir, themes=[ids[0], 999])
    assert "themes.json" in str(err.value) and str(ids[0]) in str(err.value)
    with pytest.raises(PanelError, match="--top must be 1 or more"):
        build_cards(run_dir, top=0)
    written = make_pack(run_dir, tmp_path / "few", themes=picked, allow_unreviewed=True)
    rows = _rows(written[0].parent)
    assert len([r for r in rows[1:] if r and r[0].strip().isdigit()]) == 2


def test_round_trip_merges_renames_reasons_not_sure_locked_columns_and_no_local_paths(run, tmp_path):
    """Pack out, sheet back, decisions applied, reports and the next pack written: what a panel said is
    what the next convener and panel see."""
    import json

    from openpyxl import load_workbook

    analysis, run_dir, pack = run
    ws = load_workbook(pack / "responses.xlsx").active
    # Reference columns locked on a protected sheet; the answers open to type in.
    assert ws.protection.sheet
    refs = [sheet.COLUMNS.index(sheet.THEME_REF) + 1, sheet.COLUMNS.index(sheet.QUOTE_REFS) + 1]
    assert all(ws.cell(row=2, column=c).protection.locked for c in refs)
    assert all(ws.cell(row=1, column=c).protection.locked for c in range(1, len(sheet.COLUMNS) + 1))
    assert not any(ws.cell(row=2, column=c + 1).protection.locked for c in range(2, 6))
    assert "not sure" in ws.data_validations.dataValidation[0].formula1

    themes = list(analysis.themes)
    rows = _rows(pack)
    rows[1][2:6] = ["yes", "", "", ""]
    rows[2][2:6] = ["partly", "Waiting to be heard", "", "1 - it names my street"]
    rows[3][2:6] = ["Not sure", "", "", ""]
    rows[4][2:6] = ["yes", "same as card 2", "", ""]
    _write(tmp_path / "r.csv", rows)
    decisions = tmp_path / "decisions.yaml"
    assert main(["panel", "import", str(tmp_path / "r.csv"), "--panel", "Riverside", "--date", "2026-11-20",
                 "--decisions", str(decisions)]) == 0
    recorded = read_decisions(decisions)["panels"][0]
    assert [v["rings_true"] for v in recorded["verdicts"]] == ["yes", "partly", "not sure", "yes"]
    assert [v["outcome"] for v in recorded["verdicts"]] == ["validated", "renamed", "candidate", "merged"]
    assert recorded["flagged_quotes"][0]["reason"] == "it names my street"
    assert recorded["source"] == "r.csv"

    after = apply_decisions(analysis, decisions)
    by_id = {t.id: t for t in after.themes}
    host, gone = by_id[themes[1].id], by_id[themes[3].id]
    # The merge merges: passages, people and quotes move; the merged theme keeps none.
    assert set(host.passage_ids) == set(themes[1].passage_ids) | set(themes[3].passage_ids)
    people = {p.id: p.participant for p in analysis.passages}
    assert host.participants == len({people[p] for p in host.passage_ids})
    assert gone.status == "merged" and gone.passage_ids == () and gone.quotes == () and gone.participants == 0
    # A merged theme's quote moves to the host unless everyone it quotes is already quoted there.
    quoted = {q.participant for q in host.quotes}
    assert any(q.passage in themes[3].passage_ids for q in host.quotes) or {q.participant for q in themes[3].quotes} <= quoted
    assert sum(t.passages for t in after.themes) == sum(t.passages for t in analysis.themes)

    out = tmp_path / "next"
    write_reports(after, out, allow_unreviewed=True)
    html = (out / "report.html").read_text(encoding="utf-8")
    detail = html[html.index(f'id="theme-{themes[1].id}"'):]
    detail = detail[:detail.index("</article>")]
    # The rename flows into the description; the keyword sentence is gone.
    assert "A co-production panel named this “Waiting to be heard”" in detail and "People talked about" not in detail
    overview = html[html.index('id="overview"'):html.index("<nav")]
    assert f'href="#theme-{themes[3].id}"' not in overview.split("Rejected or merged")[0]
    doc = json.loads((out / "themes.json").read_text(encoding="utf-8"))
    assert {t["id"]: t["passages"] for t in doc["themes"]}[themes[3].id] == 0
    # The next pack: no card for the merged theme; the renamed card says the panel's name.
    cards = {c.name: c for c in make_pack(out, tmp_path / "pack2", allow_unreviewed=True)}
    cards_html = cards["cards.html"].read_text(encoding="utf-8")
    assert "A panel named this “Waiting to be heard”" in cards_html
    assert f"theme {themes[3].id} / " not in cards["responses.csv"].read_text(encoding="utf-8-sig")
    # Nothing shared names a place on this machine.
    for folder in (out, tmp_path / "pack2"):
        for path in folder.iterdir():
            if path.suffix in (".html", ".md", ".json", ".csv", ".txt"):
                assert str(tmp_path) not in path.read_text(encoding="utf-8-sig"), path.name
    assert str(tmp_path) not in decisions.read_text(encoding="utf-8")


def test_a_withdrawn_quote_whose_citation_points_nowhere_is_an_error_not_a_quote_used_again(run, tmp_path):
    """A decisions file whose withdrawn quote names offsets that are no passage of a transcript in the run
    (a typo, or offsets from before the transcript was edited) would let the quote back into the reports."""
    analysis, _, _ = run
    quote = analysis.themes[0].quotes[0]
    start, end = quote.citation.rsplit(":", 1)[1].split("-")
    wrong = f"{quote.transcript}:{int(start) + 1}-{end}"
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(
        "schema: wisdoms.decisions/1\npanels:\n- panel: North\n  date: '2025-03-14'\n  verdicts: []\n"
        f"  flagged_quotes:\n  - citation: {wrong}\n    theme: {analysis.themes[0].id}\n", encoding="utf-8")
    with pytest.raises(PanelError, match="could be quoted again") as err:
        apply_decisions(analysis, decisions)
    assert err.value.line == 7 and wrong in str(err.value)


def test_a_merge_carries_the_merged_themes_sub_themes_over():
    """Theme 2 merged into theme 1: theme 1 holds both themes' strands as sub-themes (theme 2, of one strand,
    as one sub-theme under its own title), and every passage is still in exactly one sub-theme."""
    from wisdoms.models import Passage, SubTheme, Theme
    from wisdoms.panel.decisions import _merge

    ps = {f"p{i}": Passage(f"p{i}", "t.txt", f"P{i % 3}", i, i + 1, "x", 0) for i in range(6)}
    host = Theme(1, "“Waiting with no word”", ("wait",), ("p0", "p1", "p2"), 3,
                 subthemes=(SubTheme(0, "“No letter came”", ("p0", "p1"), 2), SubTheme(1, "“Phones ring out”", ("p2",), 1)))
    other = Theme(2, "“Telling my story again”", ("story",), ("p3", "p4", "p5"), 3)
    out = _merge({1: host, 2: other}, {2: 1}, ps)
    assert out[2].passage_ids == () and out[2].subthemes == ()
    labels = [st.label for st in out[1].subthemes]
    assert labels == ["“No letter came”", "“Phones ring out”", "“Telling my story again”"]
    members = [pid for st in out[1].subthemes for pid in st.passage_ids]
    assert sorted(members) == sorted(out[1].passage_ids) and len(set(st.id for st in out[1].subthemes)) == 3


def test_pack_and_suggest_load_the_run_as_an_analysis_without_a_codebook_and_with_moved_inputs(
        tmp_path, monkeypatch, capsys):  # noqa: ANN001
    """'panel pack' and 'codebook suggest' load the run folder as an Analysis (Analysis.load, as a notebook does):
    a run made without a codebook loads (its codebook was empty), and inputs moved since the run are named in
    the error and found again with --transcripts."""
    import yaml
    from report_fixtures.analysis import WordHashEmbedder, make_inputs

    from wisdoms.codebook._model import NO_CODEBOOK_NAME
    from wisdoms.pipeline import run as run_pipeline
    from wisdoms.results import Analysis
    from wisdoms.settings import Settings

    monkeypatch.chdir(tmp_path)  # no codebook/codebook.yaml here: the run finds its themes inductively
    folder, _ = make_inputs(tmp_path)
    analysis = run_pipeline(folder, codebook=None, write=False, embedder=WordHashEmbedder(),
                            settings=Settings(cache_dir=str(tmp_path / "cache"), min_passages=20))
    out = tmp_path / "run"
    write_reports(analysis, out, allow_unreviewed=True)
    loaded = Analysis.load(out)
    assert loaded.codebook.name == NO_CODEBOOK_NAME and not loaded.codebook.codes
    assert [t.label for t in loaded.themes] == [t.label for t in analysis.themes] and loaded.themes
    assert main(["panel", "pack", str(out), "--out", str(tmp_path / "pack"), "--allow-unreviewed"]) == 0
    moved = folder.rename(tmp_path / "moved")
    capsys.readouterr()
    assert main(["panel", "pack", str(out), "--out", str(tmp_path / "pack2"), "--allow-unreviewed"]) == 2
    error = capsys.readouterr().err
    assert "transcripts folder the run read is not there" in error and "--transcripts" in error
    assert not (tmp_path / "pack2").exists()
    assert main(["panel", "pack", str(out), "--out", str(tmp_path / "pack2"), "--allow-unreviewed",
                 "--transcripts", str(moved)]) == 0
    assert (tmp_path / "pack2" / "cards.html").read_text(encoding="utf-8") == (
        tmp_path / "pack" / "cards.html").read_text(encoding="utf-8")
    suggested = tmp_path / "suggested.yaml"
    assert main(["codebook", "suggest", str(out), "--out", str(suggested), "--allow-unreviewed",
                 "--transcripts", str(moved)]) == 0
    codes = yaml.safe_load(suggested.read_text(encoding="utf-8"))["codes"]
    assert len(codes) == len(analysis.themes)  # no code covers any theme of a run without a codebook
    assert "NOT FOR SHARING" in suggested.read_text(encoding="utf-8")  # made from a private draft run


def test_a_merge_counts_everyone_counted_for_either_theme_and_everyone_who_touched_on_them():
    """Merged: the people counted for the host or the merged theme, not everyone with a passage in either."""
    from wisdoms.models import Passage, Theme
    from wisdoms.panel.decisions import _merge

    ps = {f"p{i}": Passage(f"p{i}", "t.txt", f"P{i % 4}", i, i + 1, "x", 0) for i in range(6)}
    host = Theme(1, "“Waiting with no word”", ("wait",), ("p0", "p1", "p2"), 2, participant_ids=("P0", "P1"),
                 touched_by=3)
    other = Theme(2, "“Telling my story again”", ("story",), ("p3", "p4", "p5"), 1, participant_ids=("P3",),
                  touched_by=3)
    out = _merge({1: host, 2: other}, {2: 1}, ps)
    assert out[1].participant_ids == ("P0", "P1", "P3") and out[1].participants == 3
    assert out[1].touched_by == 4, "P2 touched on the host theme without it being a real part of what they said"
    assert out[2].participants == 0 and out[2].participant_ids == () and out[2].touched_by == 0


def test_a_merged_themes_description_counts_and_lists_what_it_now_holds():
    """The report prints a theme's description beside "Heard from": after a merge it said "2 people ... in 3
    passages" under "Heard from: 3 of 4 participants (6 passages)", and listed only the host's sub-themes."""
    from wisdoms.models import Passage, SubTheme, Theme
    from wisdoms.panel.decisions import _merge
    from wisdoms.themes.titles import describe

    ps = {f"p{i}": Passage(f"p{i}", "t.txt", f"P{i % 4}", i, i + 1, "x", 0) for i in range(6)}
    subs = (SubTheme(0, "“No letter came”", ("p0", "p1"), 2), SubTheme(1, "“Phones ring out”", ("p2",), 1))
    host = Theme(1, "“Waiting with no word”", ("wait",), ("p0", "p1", "p2"), 2, participant_ids=("P0", "P1"),
                 touched_by=3, subthemes=subs,
                 description=describe(people=2, passages=3, keywords=("wait",), subtitles=[s.label for s in subs],
                                      touched=3))
    other = Theme(2, "“Telling my story again”", ("story",), ("p3", "p4", "p5"), 1, participant_ids=("P3",),
                  touched_by=3, description="1 person said something on this, in 3 passages.")
    merged = _merge({1: host, 2: other}, {2: 1}, ps)[1]
    assert merged.description.startswith("A real part of what 3 people said, in 6 passages; 4 touched on it.")
    assert "3 sub-themes" in merged.description and "“Telling my story again”" in merged.description
    assert _merge({1: replace(host, description=""), 2: other}, {2: 1}, ps)[1].description == ""


def test_cards_describe_each_theme_by_its_title_and_sub_themes_not_a_keyword_list(run):
    """A card's sentence is built from the theme's own material: its title (a member's words, said by whom) and
    its sub-themes' titles; its frequent words are at most a secondary line, never the sentence."""
    from docx import Document

    analysis, _, pack = run
    html = (pack / "cards.html").read_text(encoding="utf-8")
    body = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S)).replace("&#39;", "'")
    body = " ".join(body.replace("&#34;", '"').split())
    docx_text = " ".join(p.text for p in Document(str(pack / "cards.docx")).paragraphs)
    assert "People talked about" not in body and "People talked about" not in docx_text
    for n, theme in enumerate(analysis.themes, start=1):  # without --top, cards follow the run's theme order
        assert f"Card {n}: {theme.label}" in body
    for theme in analysis.themes:
        subs = [st.label for st in theme.subthemes][:4]
        if len(subs) > 1:
            sentence = "It brings together what people said about " + subs[0]
            assert sentence in body and sentence in docx_text
            assert all(s in body for s in subs)
        if theme.title_source == "quote" and theme.title_quote is not None:
            said = f"The name is in the words of one of the people we listened to ({theme.title_quote.participant})."
            assert said in body and said in docx_text
        if theme.keywords:
            words = "Words that came up often: " + ", ".join(theme.keywords[:4]) + "."
            assert words in body and words in docx_text
            assert f"talked about {theme.keywords[0]}" not in body
    # the response sheet names each card by the same title
    rows = _rows(pack)[1:]
    assert [r[1] for r in rows] == [t.label for t in analysis.themes]


def test_a_card_named_after_a_code_says_whose_words_follow_the_code_name():
    from wisdoms.panel.pack import _named_by

    passages = [{"transcript": "a.txt", "participant": "P3", "start": 0, "end": 100}]
    theme = {"label": "Staff: “The nurses were so kind”", "title_source": "code",
             "title_quote": {"transcript": "a.txt", "start": 10, "end": 36}}
    assert _named_by(theme, passages) == ("The name is the code in our codebook that this theme matches, then the "
                                          "words of one of the people we listened to (P3).")
    # a run saved before titles carried a member's words: the code's name alone
    assert _named_by({**theme, "label": "Staff"}, passages) == "The name is the code in our codebook that this theme matches."
    assert _named_by({**theme, "status": "renamed", "label": "Kind nurses"}, passages) == ""


def test_card_summary_lists_sub_theme_titles_and_a_panel_name_first():
    from wisdoms.panel.pack import _summary

    theme = {"label": "“Four beds in one room”", "keywords": ["room", "door"], "status": "candidate",
             "subthemes": [{"label": "“I put a chair against my door some nights”"},
                           {"label": "“We've been there fourteen months now”"}]}
    assert _summary(theme) == ("It brings together what people said about “I put a chair against my door some nights” "
                               "and “We've been there fourteen months now”.")
    assert _summary({**theme, "subthemes": []}) == "The quotes below show how different people put it."
    renamed = {**theme, "label": "Crowded rooms", "status": "renamed"}
    assert _summary(renamed).startswith("A panel named this “Crowded rooms”. It brings together")


def test_card_quotes_of_a_readable_whole_length_come_first():
    """A card leads with quotes of 12 to 70 words, as the report's first screen does; a few words leaning on talk
    the panel never sees ("Do for someone else what that fella did for me.") only fill in."""
    from wisdoms.panel.pack import _standing_first

    short = {"text": "Do for someone else what that fella did for me."}
    whole = {"text": "There's a group of us who kind of all came through care or the hostels or whatever, and we get it."}
    long = {"text": " ".join(["word"] * 90)}
    assert _standing_first([short, long, whole]) == [whole, short, long]


def test_a_card_title_keeps_a_quote_the_participant_quoted_whole() -> None:
    """A title ending in words the participant quoted keeps both closing marks on the card (as in the
    suggested codes): stripping every mark at the ends left “It's “sorry, it's gone” with one missing."""
    from wisdoms.panel.pack import _quoted

    assert _quoted("“It's “sorry, it's gone””") == "“It's “sorry, it's gone””"
    assert _quoted("Four beds in one room") == _quoted("“Four beds in one room”") == "“Four beds in one room”"


def test_a_title_made_of_words_a_panel_withdrew_is_replaced_by_words_still_shown():
    """A panel withdraws the quote a theme's (and a sub-theme's) title was taken from: the quote went from the
    reports, and its words must not stay on as the title. A code's name stays in front of the new words."""
    from wisdoms.models import CitationSet, Passage, Quote, SubTheme, Theme
    from wisdoms.panel.decisions import _replace_withdrawn

    texts = ["Darren at the Oasis told me to go away and never come back.", "No letter came for weeks and weeks.",
             "The phones ring out and nobody picks up at all."]
    ps = {f"p{i}": Passage(f"p{i}", "t.txt", f"P{i}", 100 * i, 100 * i + len(t), t, i) for i, t in enumerate(texts)}

    def quote(pid: str) -> Quote:
        p = ps[pid]
        return Quote(p.transcript, p.participant, p.start, p.end, p.text, p.id)

    title = Quote("t.txt", "P0", 0, 35, texts[0][:35], "p0")
    sub = SubTheme(0, f"“{title.text}”", ("p0", "p1"), 2, title_quote=title)
    theme = Theme(1, f"Access: “{title.text}”", ("letter",), ("p0", "p1", "p2"), 3, quotes=(quote("p0"), quote("p1")),
                  subthemes=(sub, SubTheme(1, "“The phones ring out”", ("p2",), 1)), title_quote=title,
                  title_source="code")
    out = _replace_withdrawn(theme, CitationSet({quote("p0").citation}), ps)
    assert "Darren" not in out.label and "Oasis" not in out.label
    assert out.label.startswith("Access: “") and out.title_quote is not None and out.title_quote.passage != "p0"
    assert out.label == f"Access: “{out.title_quote.text}”" and out.title_source == "code"
    assert out.fitted_label == theme.label, "the first title is kept: a panel that saw it names it in its verdict"
    assert "Darren" not in out.subthemes[0].label and out.subthemes[0].title_quote.passage == "p1"
    assert out.subthemes[1] == theme.subthemes[1], "a title of words still shown stays as it was"
    assert all(q.passage != "p0" for q in out.quotes)
    plain = _replace_withdrawn(replace(theme, label=f"“{title.text}”", title_source="quote"),
                               CitationSet({title.citation}), ps)
    assert plain.label == f"“{plain.title_quote.text}”" and "Darren" not in plain.label
    assert _replace_withdrawn(theme, CitationSet({"t.txt:100-135"}), ps).label == theme.label


def test_a_description_listing_a_sub_theme_by_withdrawn_words_lists_its_new_title():
    """A theme's description names its sub-themes by title ("It brings together 2 sub-themes: “Darren at the
    Oasis ...”"): when a panel withdraws the quote a sub-theme was titled with, the description must not keep
    those words in the report after the title itself has changed."""
    from wisdoms.models import CitationSet, Passage, Quote, SubTheme, Theme
    from wisdoms.panel.decisions import _replace_withdrawn
    from wisdoms.themes.titles import describe

    texts = ["Darren at the Oasis told me to go away and never come back.", "No letter came for weeks and weeks.",
             "The phones ring out and nobody picks up at all."]
    ps = {f"p{i}": Passage(f"p{i}", "t.txt", f"P{i}", 100 * i, 100 * i + len(t), t, i) for i, t in enumerate(texts)}
    quotes = tuple(Quote(p.transcript, p.participant, p.start, p.end, p.text, p.id) for p in ps.values())
    subs = (SubTheme(0, "“Darren at the Oasis told me to go away”", ("p0", "p1"), 2,
                     title_quote=Quote("t.txt", "P0", 0, 39, texts[0][:39], "p0")),
            SubTheme(1, "“The phones ring out”", ("p2",), 1, title_quote=Quote("t.txt", "P2", 200, 220, texts[2][:20], "p2")))
    theme = Theme(1, "“No letter came for weeks”", ("letter",), ("p0", "p1", "p2"), 3, quotes=quotes, subthemes=subs,
                  title_quote=Quote("t.txt", "P1", 100, 125, texts[1][:25], "p1"), title_source="quote",
                  description=describe(people=3, passages=3, keywords=("letter",), subtitles=[s.label for s in subs]))
    assert "Darren" in theme.description
    out = _replace_withdrawn(theme, CitationSet({quotes[0].citation}), ps)
    assert "Darren" not in out.subthemes[0].label
    assert "Darren" not in out.description and "Oasis" not in out.description
    assert out.description == theme.description.replace(subs[0].label, out.subthemes[0].label)
    assert "“The phones ring out”" in out.description


def test_a_later_panels_verdict_on_a_theme_retitled_for_withdrawn_words_still_applies(run, tmp_path):
    """Panel 1 withdraws the quote a theme was titled with; the cards made after it show the theme's new title, and
    panel 2's verdict names that title. The next run fits the theme with its first title again: panel 2's verdict
    must still apply to it, not be set aside as matching no theme."""
    analysis, _, _ = run
    theme = next(t for t in analysis.themes if t.title_quote is not None and t.title_source == "quote")
    said = next(p for p in analysis.passages if p.id == theme.title_quote.passage)
    withdrawn = f"{said.transcript}:{said.start}-{said.end}"
    decisions = tmp_path / "decisions.yaml"
    first = ("schema: wisdoms.decisions/1\npanels:\n- panel: North\n  date: '2025-03-14'\n  verdicts: []\n"
             f"  flagged_quotes:\n  - citation: {withdrawn}\n    theme: {theme.id}\n")
    decisions.write_text(first, encoding="utf-8")
    shown = next(t for t in apply_decisions(analysis, decisions).themes if t.id == theme.id).label
    assert shown != theme.label, "the withdrawn words no longer title the theme"
    decisions.write_text(first + "- panel: South\n  date: '2025-04-01'\n  verdicts:\n"
                         f"  - theme: {theme.id}\n    label: {json.dumps(shown)}\n    outcome: validated\n"
                         "    new_label: null\n    merged_into: null\n", encoding="utf-8")
    after = apply_decisions(analysis, decisions)
    assert next(t for t in after.themes if t.id == theme.id).status == "validated"
    assert after.panel_decisions is not None and not after.panel_decisions.unmatched


def test_a_renamed_theme_merged_in_keeps_the_panels_name_and_cites_no_member():
    """A theme a panel renamed ("Chaotic lives") and then merged into another becomes one of its sub-themes under
    the panel's name: that name is not a participant's words, so the sub-theme cites no title quote."""
    from wisdoms.models import Passage, Quote, Theme
    from wisdoms.panel.decisions import _merge

    ps = {f"p{i}": Passage(f"p{i}", "t.txt", f"P{i % 3}", 10 * i, 10 * i + 5, "words", 0) for i in range(4)}
    said = Quote("t.txt", "P2", 20, 25, "words", "p2")
    host = Theme(1, "“Waiting with no word”", ("wait",), ("p0", "p1"), 2, title_quote=Quote("t.txt", "P0", 0, 5,
                                                                                           "words", "p0"))
    renamed = Theme(2, "Chaotic lives", ("life",), ("p2", "p3"), 2, status="renamed", title_quote=said)
    out = _merge({1: host, 2: renamed}, {2: 1}, ps)
    strand = next(st for st in out[1].subthemes if "p2" in st.passage_ids)
    assert strand.label == "Chaotic lives" and strand.title_quote is None
    assert next(st for st in out[1].subthemes if "p0" in st.passage_ids).title_quote == host.title_quote


def test_a_refi_qda_export_keeps_a_verdict_on_the_title_a_panel_saw_first():
    """Panel 1 validated a theme and withdrew the quote its title was made of; the run's themes.json then holds
    the new title. Building the REFI-QDA project from that run folder, the verdict (naming the first title) was
    matched to no theme and left out; the first title travels as ``fitted_label``."""
    from wisdoms.report.qdpx import theme_outcomes

    themes = [{"id": 3, "label": "“No letter came for weeks”", "fitted_label": "“Darren at the Oasis told me”",
               "status": "validated"}, {"id": 4, "label": "“The phones ring out”", "status": "candidate"}]
    decisions = {"panels": [{"panel": "North", "date": "2025-03-14", "verdicts": [
        {"theme": 3, "label": "“Darren at the Oasis told me”", "outcome": "validated", "new_label": None,
         "merged_into": None}], "flagged_quotes": []}]}
    out = theme_outcomes(themes, decisions)
    assert [v["panel"] for v in out[3]["verdicts"]] == ["North"] and out[3]["status"] == "validated"
    assert out[3]["label"] == "“No letter came for weeks”" and out[4]["verdicts"] == []


def test_a_merge_brings_the_merged_themes_words_even_when_the_host_shows_five_quotes():
    """A host already showing five quotes kept all five, and the merged theme's people were never heard in it."""
    from wisdoms.models import Passage, Quote, Theme
    from wisdoms.panel.decisions import MERGED_QUOTES, _merge

    ps = {f"p{i}": Passage(f"p{i}", "t.txt", f"P{i}", 10 * i, 10 * i + 5, "words", 0) for i in range(8)}

    def quote(i: int) -> Quote:
        return Quote("t.txt", f"P{i}", 10 * i, 10 * i + 5, "words", f"p{i}")

    host = Theme(1, "“Waiting”", ("wait",), tuple(f"p{i}" for i in range(5)), 5, quotes=tuple(quote(i) for i in range(5)))
    other = Theme(2, "“Story again”", ("story",), ("p5", "p6", "p7"), 3, quotes=(quote(5), quote(6)))
    merged = _merge({1: host, 2: other}, {2: 1}, ps)[1]
    assert len(merged.quotes) == MERGED_QUOTES and merged.quotes[:4] == host.quotes[:4]
    assert merged.quotes[4] == quote(5), "the merged theme's first quote takes the last place"
