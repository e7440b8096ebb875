"""Convener report: HTML, Word and Markdown content, small-number suppression, language check, accessibility."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures.analysis import build_analysis

from wisdoms.models import Records, Theme
from wisdoms.report import render_html, render_markdown, write_reports
from wisdoms.report.html import COLOUR_PAIRS, PALETTE
from wisdoms.report.language import check_names, find_deficit_language
from wisdoms.report.view import SUPPRESSED, breakdown, build_view

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):  # noqa: ANN001, ANN201
    return build_analysis(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def written(analysis, tmp_path_factory):  # noqa: ANN001, ANN201
    out = tmp_path_factory.mktemp("out")
    write_reports(analysis, out, allow_unreviewed=True)  # sample transcripts hold names the gate blocks
    return out


# --- small numbers and language: no pipeline needed ---------------------------------------------

def test_breakdown_hides_counts_under_five_and_one_more_when_only_one_is_hidden():
    rows = {r.group: r for r in breakdown({"North": 7, "South": 3, "Coastal": 9})}
    assert rows["South"].shown == SUPPRESSED
    assert rows["North"].shown == SUPPRESSED  # otherwise 3 = total - 7 - 9
    assert rows["Coastal"].shown == "9"
    assert [r.shown for r in breakdown({"A": 5, "B": 12})] == ["5", "12"]


def test_deficit_terms_are_found_in_names_but_not_in_ordinary_words():
    assert set(find_deficit_language("Hard-to-reach people with Complex  needs")) == {"hard to reach", "complex needs"}
    assert find_deficit_language("NonCompliant with meds") == ["non-compliant"]
    assert find_deficit_language("Waiting for the council to call back") == []
    assert find_deficit_language("service user failed to attend") == ["service user failed to"]
    theme = Theme(0, "Chaotic lives, housing", ("housing",), ("a#0-1",), 5)
    flags = check_names(None, [theme])
    assert [(f.kind, f.term) for f in flags] == [("theme", "chaotic")]


def test_deficit_term_variants_are_flagged_and_no_suggestion_uses_a_listed_term():
    from wisdoms.report.language import DEFICIT_TERMS

    assert find_deficit_language("Service users failed to attend") == ["service users failed to"]
    assert find_deficit_language("Complex need") == ["complex need"]
    assert set(find_deficit_language("Non compliance and non-engagement")) == {"non-engagement", "non-compliance"}
    assert set(find_deficit_language("Hard-to-engage men who did not engage")) == {"did not engage", "hard to engage"}
    assert find_deficit_language("Waiting for the council to engage") == []
    # The report prints the suggestions: they must not use a listed term themselves.
    assert {term: find_deficit_language(s) for term, s in DEFICIT_TERMS.items() if find_deficit_language(s)} == {}


def _theme_view(tid: int, people: int):  # noqa: ANN202
    from wisdoms.report.view import ThemeView

    theme = Theme(id=tid, label=f"theme {tid}", keywords=("a",), passage_ids=(f"p{tid}",), participants=people)
    return ThemeView(theme=theme, label=theme.label, status="candidate", status_text="", description="", codes=[],
                     quotes=[], groups=[], verdicts=[])


def _bare_view(**fields):  # noqa: ANN003, ANN202
    from wisdoms.report.view import ReportView

    base = dict(title="", summary={"participants": 12}, words=0, group_by="area", listened={}, not_grouped=[],
                themes=[], matrix_themes=[], matrix_people=[], matrix_cells={}, coverage=[], uncovered=[],
                candidate_new_codes=[], unassigned_reasons=[], unassigned=[], language_flags=[], method=[],
                panels=[], codebook=__import__("types").SimpleNamespace(name="Codebook", version="1"))
    return ReportView(**(base | fields))


def test_matrix_workbook_splits_wide_matrices_into_sheets_and_keeps_formulas_as_text():
    import io

    from openpyxl import load_workbook

    from wisdoms.report.workbook import THEMES_PER_SHEET, framework_matrix_xlsx

    themes = [_theme_view(i, 5) for i in range(20)]
    cells = {("P1", 0): ('=HYPERLINK("http://x")', "a.txt:1-9"), ("P2", 19): ("last words", "b.txt:3-7")}
    book = load_workbook(io.BytesIO(framework_matrix_xlsx(_bare_view(matrix_themes=themes, matrix_people=["P1", "P2"],
                                                                     matrix_cells=cells), draft="NOT FOR SHARING")))
    assert [ws.title for ws in book.worksheets] == ["Themes 1-8", "Themes 9-16", "Themes 17-20"]
    assert all(ws.max_column <= THEMES_PER_SHEET + 1 for ws in book.worksheets)
    first, last = book.worksheets[0], book.worksheets[-1]
    assert first["A1"].value == "NOT FOR SHARING" and first.freeze_panes == "B3"
    assert first["B3"].value == '=HYPERLINK("http://x") (a.txt:1-9)' and first["B3"].data_type == "s"
    assert last["E2"].value == "Theme 19: theme 19" and last["E4"].value == "last words (b.txt:3-7)"


def test_themes_by_group_leave_out_what_would_be_all_hidden_and_say_so():
    from wisdoms.report.document import _by_group
    from wisdoms.report.view import cross_view

    # 10 people in the North, 10 in the South, 2 on the Coast: two groups can be compared.
    people = {f"n{i}": {"area": "North"} for i in range(10)} | {f"s{i}": {"area": "South"} for i in range(10)} | {
        f"c{i}": {"area": "Coast"} for i in range(2)}
    wide, narrow = _theme_view(0, 14), _theme_view(1, 3)
    who = {0: {*(f"n{i}" for i in range(8)), *(f"s{i}" for i in range(6))}, 1: {"n0", "s0", "c0"}}
    cross = cross_view([wide, narrow], people, who, "area")
    # The Coast has 2 people: never a column (any count in it is under 5), named in a sentence instead.
    # Its 0 is hidden, so South's 6 is hidden too (8 and 6 beside the printed 14 would give the Coast's 0 away);
    # the narrow theme's row hides South as well, so South is left out with a sentence.
    assert cross is not None and cross.groups == ["North"] and cross.small_groups == ["Coast"]
    assert [r.shown for r in cross.rows[0][1]] == ["8"]
    assert cross.hidden_groups == ["South"] and cross.hidden_themes == [narrow]
    text = _section_text(_by_group(_bare_view(themes=[wide, narrow], cross=cross)))
    assert "Not shown as a column, because the group has fewer than 5 people: Coast." in text
    assert "| 0 |" not in text and "Coast |" not in text
    only_coast = cross_view([narrow], people, {1: {"c0", "c1"}}, "area")
    # Only the Coast raised it: North 0 and South 0 beside the theme's printed total would give the Coast's 2 away.
    assert only_coast is not None and only_coast.rows == [] and only_coast.hidden_themes == [narrow]
    # 4 groups of 3 people (the sample's areas): nothing could be shown, so no table at all, one sentence.
    small = {f"p{i}": {"area": "NESW"[i % 4]} for i in range(12)}
    assert cross_view([wide], small, {0: set(small)}, "area") is None
    view = _bare_view(themes=[wide], cross=None, cross_candidates=["area"])
    section = _by_group(view)
    assert len(section.blocks) == 1 and "two or more groups of 5 or more people" in section.blocks[0].parts[0]


def _section_text(section) -> str:  # noqa: ANN001
    """A section as the Markdown writer prints it (what a reader sees)."""
    from wisdoms.report.markdown import _section

    return "\n".join(_section(section, 2))


def test_every_count_under_five_is_hidden_in_themes_by_group_zero_included():
    from wisdoms.report.view import cross_view

    people = ({f"m{i}": {"gender": "Man"} for i in range(6)} | {f"w{i}": {"gender": "Woman"} for i in range(5)}
              | {"x0": {"gender": "Non-binary"}})
    theme = _theme_view(0, 11)
    cross = cross_view([theme], people, {0: {*(f"m{i}" for i in range(6)), *(f"w{i}" for i in range(5))}}, "gender")
    # Non-binary (1 person) is no column; its hidden 0 hides the next smallest (Woman, 5) so it cannot be worked out.
    assert cross is not None and cross.groups == ["Man"] and cross.small_groups == ["Non-binary"]
    assert cross.hidden_groups == ["Woman"]
    shown = [c.shown for _, cells in cross.rows for c in cells]
    assert "0" not in shown and all(c == SUPPRESSED or int(c) >= 5 for c in shown)


def test_unthemed_reasons_are_one_line_each_with_similarities_as_a_range_and_nearest_theme_by_title():
    from wisdoms.models import SubTheme
    from wisdoms.report.view import reason_lines

    a, b = _theme_view(0, 9), _theme_view(1, 7)
    a.theme = replace(a.theme, subthemes=(SubTheme(id=3, label="“x”", passage_ids=(), participants=3),
                                          SubTheme(id=5, label="“y”", passage_ids=(), participants=3)))
    a.label, b.label = "“Four beds in one room”", "“Now you need a phone”"
    b.theme = replace(b.theme, subthemes=(SubTheme(id=7, label="“z”", passage_ids=(), participants=3),
                                          SubTheme(id=8, label="“w”", passage_ids=(), participants=3)))
    why = "not close enough to any theme (nearest: sub-theme {}, similarity {}, below what its own passages reach)"
    reasons = [why.format(3, "0.30"), why.format(5, "0.61"), why.format(5, "0.55"), why.format(7, "0.42"),
               why.format(99, "0.50"), "content-free: backchannel or filler", "content-free: backchannel or filler",
               # a theme of one strand lists no sub-theme: the reason names its theme
               why.replace("sub-theme {}", "theme 1, sub-theme 42").format("0.44")]
    lines = reason_lines(reasons, [a, b], [])
    assert lines == [
        ("not close enough in meaning to any theme: each is less like its nearest theme than that theme's own passages "
         "are (similarity 0.30 to 0.61); nearest theme: “Four beds in one room” (3 passages); “Now you need a phone” "
         "(2 passages); other themes (1 passage)", 6),
        ("content-free: backchannel or filler", 2)]
    assert not any("sub-theme" in line for line, _ in lines)


def test_wcag_contrast_of_every_colour_pair_used():
    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for fg, bg, minimum in COLOUR_PAIRS:
        a, b = sorted((luminance(PALETTE[fg]), luminance(PALETTE[bg])), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= minimum, (fg, bg)


def _contrast(a_hex: str, b_hex: str) -> float:
    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((luminance(a_hex), luminance(b_hex)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _css_rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, media blocks flattened, ``var(--x)`` resolved from PALETTE."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        decls = {}
        for decl in body.split(";"):
            if ":" in decl:
                key, value = decl.split(":", 1)
                value = re.sub(r"var\(--([\w-]+)\)", lambda m: PALETTE.get(m.group(1).replace("-", "_"), m.group()), value)
                decls[key.strip()] = value.strip()
        rules.append((selector.strip().split("@media")[-1].strip(), decls))
    return rules


def test_every_text_and_background_pair_in_the_css_and_the_focus_outline_meet_wcag_aa():
    """Computed from the stylesheet itself, not from a list kept by hand: each rule's text colour on its own
    background (or on every page background when it sets none), and each focus outline at 3:1 (WCAG 1.4.11)."""
    from wisdoms.report.html import _environment

    template = _environment().loader.get_source(_environment(), "report.html.j2")[0]
    css = template[template.index("<style>") + 7:template.index("</style>")]
    css = re.sub(r"\{%.*?%\}", "", css)  # the :root palette loop
    backgrounds = [PALETTE["bg"], PALETTE["soft"]]
    checked = 0
    for selector, decls in _css_rules(css):
        colour = re.search(r"#[0-9a-fA-F]{6}", decls.get("color", ""))
        background = re.search(r"#[0-9a-fA-F]{6}", decls.get("background", decls.get("background-color", "")))
        if colour:
            for bg in [background.group()] if background else backgrounds:
                assert _contrast(colour.group(), bg) >= 4.5, (selector, colour.group(), bg)
                checked += 1
        outline = re.search(r"#[0-9a-fA-F]{6}", decls.get("outline", ""))
        if ":focus" in selector and outline:
            for bg in backgrounds:
                assert _contrast(outline.group(), bg) >= 3.0, (selector, "focus outline", outline.group(), bg)
                checked += 1
    assert checked >= 10
    assert any(":focus" in sel and "outline" in d for sel, d in _css_rules(css))
    # The check can fail: the old yellow outline on white is 1.6:1.
    assert _contrast(PALETTE["focus"], PALETTE["bg"]) < 3.0


# --- the report itself ----------------------------------------------------------------------------

@pytest.mark.slow
def test_write_reports_writes_every_format(written):
    names = {p.name for p in written.iterdir()}
    assert {"report.html", "report.docx", "report.md", "themes.json", "passages.csv", "framework-matrix.csv",
            "manifest.json"} <= names


@pytest.mark.slow
def test_framework_matrix_csv_holds_the_whole_matrix(analysis, written):
    import csv

    view = build_view(analysis)
    rows = list(csv.reader((written / "framework-matrix.csv").open(encoding="utf-8", newline="")))
    assert rows[0][:-1] == ["participant", *(f"Theme {t.theme.id}: {t.label}" for t in view.matrix_themes)]
    assert rows[0][-1] == "draft", "a draft's matrix is stamped like passages.csv"
    assert [r[0] for r in rows[1:]] == sorted(analysis.participants)
    for (pid, cells), row in zip(view.matrix, rows[1:]):
        assert row[1:-1] == [f"{c[0]} ({c[1]})" if c else "" for c in cells], pid


@pytest.mark.slow
def test_survey_sized_reports_point_to_the_csv_summarise_unthemed_passages_and_skip_id_like_attributes(analysis, monkeypatch):
    """Thousands of respondents: the matrix is not laid out (it made a 170 MB page for 10,302 answers),
    passages not yet in a theme are counted by reason, not listed (passages.csv has them), and an attribute
    with a value per person (a row number) is not a "group". Limits lowered here so the small fixture trips them."""
    from docx import Document

    import wisdoms.report.view as view_module
    from wisdoms.report import render_docx

    monkeypatch.setattr(view_module, "MATRIX_MAX_PEOPLE", 2)
    monkeypatch.setattr(view_module, "MAX_GROUPS", 1)
    view = build_view(analysis)
    assert not view.matrix_shown and len(view.matrix_people) == len(analysis.participants)
    assert len(view.unassigned) > 3
    assert view.not_grouped and not view.listened
    html = render_html(analysis, view=view)
    md = render_markdown(analysis, view=view)
    import io

    document = Document(io.BytesIO(render_docx(analysis, view=view)))
    docx_text = "\n".join(p.text for p in document.paragraphs)
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Framework matrix"] == "Heading 1" and styles[view.title] == "Title"
    assert {t.style.name for t in document.tables} == {"Table Grid"}
    assert any(s == "Quote" for s in styles.values()), "quotes keep Word's Quote style (styles set by id)"
    for text in (html, md, docx_text):
        assert "framework-matrix.csv" in text and "too many to read on a page" in text
        assert "Not broken down, because they have more than 1 different values" in text
    assert '<table class="matrix">' not in html and "| Participant |" not in md
    from openpyxl import load_workbook

    from wisdoms.report import framework_matrix_xlsx

    long = load_workbook(io.BytesIO(framework_matrix_xlsx(view))).active  # too big for a grid: written long
    assert [c.value for c in long[1]] == ["participant", "theme", "theme_label", "quote", "citation"]
    assert long.max_row - 1 == len(view.matrix_cells) and long.auto_filter.ref
    waiting = sum(n for r, n in view.unassigned_reasons if not r.startswith("content-free"))
    assert waiting == analysis.summary()["unassigned"]  # the headline's count, the section's count
    from html import unescape

    for text in (unescape(html), md, docx_text):
        assert f"{waiting:,} passages from" in text and "passages.csv" in text
        for reason, count in view.unassigned_reasons:
            shown = reason.removeprefix("content-free: ")
            assert f"{count:,} passage{'s' if count != 1 else ''}: {shown}" in text
    unthemed = html.split('id="unassigned"')[1]
    assert not any(u["citation"] in unthemed for u in view.unassigned), "unthemed passages are counted, not listed"


@pytest.mark.slow
def test_html_has_every_section_and_each_theme_with_status_quotes_and_chart(analysis, written):
    html = (written / "report.html").read_text(encoding="utf-8")
    for section in ("listened", "themes", "coverage", "matrix", "language", "unassigned", "method"):
        assert f'id="{section}"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    # Self-contained: every link stays on the page; nothing is fetched (no src, srcset, @import or url()).
    assert re.findall(r'\bhref="([^"]*)"', html) and all(h.startswith("#") for h in re.findall(r'\bhref="([^"]*)"', html))
    assert not re.search(r"\b(?:src|srcset|action|formaction|poster|data)=|@import|url\(|<(?:script|link|iframe|object|embed)\b",
                         html, flags=re.I)
    for t in analysis.themes:
        assert f'id="theme-{t.id}"' in html
        assert __import__("html").escape(t.label) in html  # a title in people's words may hold an apostrophe
        assert 3 <= len(t.quotes) <= 5
        for q in t.quotes:
            assert q.citation in html
    # One chart, of prevalence in people, on the first screen; its text alternative names every theme and count.
    assert html.count("<figcaption>") == 1 and 'aria-labelledby="glance-t glance-d"' in html
    total = len(analysis.participants)
    desc = html[html.index('<desc id="glance-d">'):html.index("</desc>")]
    for t in analysis.themes:
        assert f"{t.label}, {t.participants} of {total} people" in desc.replace("&#x27;", "'")
    assert "candidate" in html and str(analysis.manifest["seed"]) in html


@pytest.mark.slow
def test_no_count_under_five_appears_in_any_group_breakdown(analysis, written):
    view = build_view(analysis)
    rows = [r for rs in view.listened.values() for r in rs] + [g for t in view.themes for g in t.groups]
    assert any(r.suppressed for r in rows)
    for r in rows:
        if 0 < r.people < 5:
            assert r.shown == SUPPRESSED and r.suppressed
    html = (written / "report.html").read_text(encoding="utf-8")
    listened = html[html.index('id="listened"'):html.index('id="groups"')]
    assert not re.search(r'<td class="num">[1-4]</td>', listened)
    groups = html[html.index('id="groups"'):html.index('id="themes"')]
    assert not re.search(r'<td class="num">[1-4]</td>', groups)
    if view.cross is not None:
        for _, cells in view.cross.rows:
            assert all(c.suppressed for c in cells if 0 < c.people < 5)


@pytest.mark.slow
def test_framework_matrix_has_a_row_per_participant_with_cited_quotes(analysis):
    view = build_view(analysis)
    assert [pid for pid, _ in view.matrix] == sorted(analysis.participants)
    texts = {t.id: t.text for t in analysis.transcripts}
    filled = [c for _, cells in view.matrix for c in cells if c]
    assert filled
    for short, citation in filled:
        transcript, span = citation.rsplit(":", 1)
        start, end = map(int, span.split("-"))
        assert short.rstrip(" …").split()[0] in texts[transcript][start:end]


@pytest.mark.slow
def test_generated_text_uses_no_deficit_labels_and_flags_them_in_names(analysis):
    md = render_markdown(analysis)
    generated = md[:md.index("## Framework matrix")] + md[md.index("## Passages not yet"):]
    generated = "\n".join(line for line in generated.splitlines() if not line.startswith(">"))
    assert find_deficit_language(generated) == []
    themes = list(analysis.themes)
    themes[0] = replace(themes[0], label="Complex needs, housing", title_source="keywords")  # the tool's own words
    flagged = replace(analysis, themes=Records.of(Theme, themes))
    html = render_html(flagged)
    assert "uses “complex needs”" in html


@pytest.mark.slow
def test_docx_and_markdown_carry_the_same_themes_and_citations(analysis, written):
    from docx import Document

    doc = Document(str(written / "report.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    body = "\n".join(p.text for p in doc.paragraphs)
    md = (written / "report.md").read_text(encoding="utf-8")
    for t in analysis.themes:
        assert f"Theme {t.id}: {t.label}" in headings
        assert f"### Theme {t.id}: {t.label}" in md
        for q in t.quotes:
            assert q.citation in body and q.citation in md
    for section in ("What was listened to", "Codebook coverage", "Framework matrix", "Method and run"):
        assert section in headings and f"## {section}" in md
    # Coverage names the themes a code matched ("Theme 3"), never a bare number that reads as a count.
    html = (written / "report.html").read_text(encoding="utf-8")
    coverage_html = html[html.index('id="coverage"'):html.index('id="matrix"')]
    cells = [row.cells[3].text for t in doc.tables if t.rows[0].cells[0].text == "Code" for row in t.rows[1:]]
    matched = [c for c in analysis.coverage if c.themes]
    assert matched, "the fixture run should match some code to a theme"
    for c in matched:
        listed = ", ".join(f"Theme {t}" for t in c.themes)
        assert f"| {listed} |" in md and listed in cells
        assert f'<a href="#theme-{c.themes[0]}">Theme {c.themes[0]}</a>' in coverage_html


def test_word_runs_are_the_elements_python_docx_would_write():
    """The Word builder writes runs, paragraph styles and table rows itself (python-docx reads text one
    character at a time and searches for where each element goes); the XML must be what python-docx's own
    add_run / add_paragraph / add_row write, tabs, line breaks, edge spaces, bold and italic included."""
    from docx import Document
    from lxml import etree

    from wisdoms.report.docx import _Builder

    texts = ["plain words", " leading and trailing ", "tab\there", "line\nbreak", "crlf\r\nend", "\t\n", "x", "é “quoted” £5"]
    ours, theirs = Document(), Document()
    b = _Builder(ours)
    for text in texts:
        for bold, italic in ((False, False), (True, False), (False, True)):
            b.run(b.paragraph(), text, bold=bold, italic=italic)
            run = theirs.add_paragraph().add_run(text)
            if bold:
                run.bold = True
            if italic:
                run.italic = True
        for style in ("Quote", "Heading 2", "List Bullet"):  # a styled paragraph with its text
            b.paragraph(text, style)
            theirs.add_paragraph(text, style)
    rows = [texts[:3], texts[3:6], ["", "x", " y "]]
    b.rows(b.table(1, 3, "Table Grid"), rows)
    table = theirs.add_table(1, 3, style="Table Grid")
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    b.finish()

    def body(doc):  # noqa: ANN001, ANN202
        # exclusive canonical XML: the same elements, attributes and text, whatever namespaces are declared where
        return [etree.tostring(p, method="c14n", exclusive=True) for p in doc.element.body.iterchildren()
                if p.tag.endswith(("}p", "}tbl"))]

    assert body(ours) == body(theirs)
    # and python-docx reads them back as the same text
    assert [p.text for p in ours.paragraphs] == [p.text for p in theirs.paragraphs]


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.stack: list[str] = []
        self.svgs_outside_figure = 0
        self.svgs = 0
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.lang = None

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "svg":
            self.svgs += 1
            if "figure" not in self.stack or a.get("role") != "img":
                self.svgs_outside_figure += 1
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.th_without_scope += tag == "th" and "scope" not in a
        if tag not in ("meta", "br", "rect", "link", "img", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag):  # noqa: ANN001, ANN201
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


@pytest.mark.slow
def test_accessibility_basics(written):
    html = (written / "report.html").read_text(encoding="utf-8")
    s = _Structure()
    s.feed(html)
    assert s.lang == "en"
    assert s.headings[0] == 1 and s.headings.count(1) == 1
    for before, after in zip(s.headings, s.headings[1:]):
        assert after <= before + 1, "a heading level is skipped"
    assert s.svgs > 0 and s.svgs_outside_figure == 0
    assert s.tables == s.captions and s.th_without_scope == 0
    assert 'href="#themes"' in html  # skip link for keyboard users
    assert html.count('tabindex="0"') >= 2  # scrollable tables reachable by keyboard
    css = html[html.index("<style>"):html.index("</style>")]
    assert set(re.findall(r"#[0-9a-fA-F]{6}\b", css)) <= set(PALETTE.values())
    assert "rem" in css and "@media print" in css


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line]


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed at /usr/bin/chromium "
                    "(install it with: apt-get install -y chromium)")
def test_report_opens_in_chromium_without_console_errors(analysis, written, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html lang=en><body><script>console.error('boom')</script></body></html>")
    assert _console_errors(_chromium("--dump-dom", broken.as_uri(), cwd=tmp_path).stderr), "detector sees errors"

    shot = tmp_path / "report.png"
    url = (written / "report.html").as_uri()  # no #fragment: headless screenshots of a scrolled page come out blank
    result = _chromium(f"--screenshot={shot}", "--window-size=1200,6000", "--virtual-time-budget=5000", url, cwd=tmp_path)
    assert _console_errors(result.stderr) == []
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a blank page compresses to a few KB
    dom = _chromium("--dump-dom", url, cwd=tmp_path).stdout
    for t in analysis.themes:
        assert f'id="theme-{t.id}"' in dom
    # The screenshot (1200 x 6000) shows the themes: the first theme card lies inside it, its heading visible.
    probe = ("<script>addEventListener('load', () => { const a = document.querySelector('article.theme');"
             " const r = a.getBoundingClientRect(); const p = document.createElement('pre'); p.id = 'probe';"
             " p.textContent = Math.round(r.top) + ' ' + Math.round(r.height) + ' ' + getComputedStyle(a).visibility;"
             " document.body.appendChild(p); });</script>")
    page = tmp_path / "where.html"
    page.write_text((written / "report.html").read_text(encoding="utf-8").replace("</body>", probe + "</body>"),
                    encoding="utf-8")
    where = _chromium("--window-size=1200,6000", "--virtual-time-budget=3000", "--dump-dom", page.as_uri(), cwd=tmp_path).stdout
    top, height, visibility = re.search(r'<pre id="probe">(\d+) (\d+) (\w+)</pre>', where).groups()
    assert int(top) + 100 < 6000 and int(height) > 100 and visibility == "visible"


def _page_width(html: Path, width: int, tmp_path: Path) -> tuple[int, int]:
    """(document scrollWidth, clientWidth) of ``html`` in a ``width``-pixel-wide Chromium window."""
    probe = ("<script>addEventListener('load', () => { const d = document.documentElement;"
             " const p = document.createElement('pre'); p.id = 'probe';"
             " p.textContent = d.scrollWidth + ' ' + d.clientWidth; document.body.appendChild(p); });</script>")
    page = tmp_path / f"probe-{width}.html"
    page.write_text(html.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = _chromium(f"--window-size={width},900", "--virtual-time-budget=3000", "--dump-dom", page.as_uri(), cwd=tmp_path).stdout
    found = re.search(r'<pre id="probe">(\d+) (\d+)</pre>', dom)
    assert found, "the probe did not run"
    return int(found.group(1)), int(found.group(2))


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed at /usr/bin/chromium "
                    "(install it with: apt-get install -y chromium)")
def test_page_never_scrolls_sideways_at_1280px_or_200_percent_zoom(written, tmp_path):
    """Only the framework matrix may be wider than the screen, and it scrolls inside its own focusable box."""
    html = (written / "report.html").read_text(encoding="utf-8")
    assert re.search(r'<div class="scroll" role="region" aria-labelledby="matrix-caption" tabindex="0">', html)
    for width in (1280, 640):  # 640 px: a 1280 px screen at 200% zoom
        scroll, client = _page_width(written / "report.html", width, tmp_path)
        assert scroll <= client, f"page is {scroll}px wide in a {client}px window"
    wide = tmp_path / "wide.html"  # the check can fail: an unbreakable line in a <pre> widens the page
    wide.write_text("<!DOCTYPE html><html lang=en><body><pre>" + "x" * 400 + "</pre></body></html>", encoding="utf-8")
    scroll, client = _page_width(wide, 640, tmp_path)
    assert scroll > client


@pytest.mark.slow
def test_reports_fail_closed_when_a_detector_breaks_even_for_drafts(analysis, tmp_path):
    from report_fixtures.gates import broken_gate

    from wisdoms.errors import ExportBlockedError

    gate = broken_gate()
    for draft in (False, True):
        with pytest.raises(ExportBlockedError, match="boom"):
            write_reports(analysis, tmp_path / "out", allow_unreviewed=draft, gate=gate)
        assert not (tmp_path / "out").exists()


_CONTRAST_PROBE = """<script>addEventListener('load', () => {
  const rgb = s => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = c => c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bg = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0) return c; } return [255, 255, 255, 1]; };
  const out = [];
  document.querySelectorAll('body *').forEach(el => {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) return;
    const cs = getComputedStyle(el);
    const fg = rgb(el instanceof SVGElement ? cs.fill : cs.color);
    const size = parseFloat(cs.fontSize), large = size >= 24 || (parseInt(cs.fontWeight) >= 700 && size >= 18.66);
    out.push(['text', el.tagName, ratio(fg, bg(el)).toFixed(2), large ? 3 : 4.5].join(' '));
  });
  document.querySelectorAll('a[href], summary, [tabindex="0"]').forEach(el => {
    el.focus(); const cs = getComputedStyle(el);
    const seen = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
    out.push(['focus', el.tagName, seen ? ratio(rgb(cs.outlineColor), bg(el.parentElement)).toFixed(2) : '0', 3].join(' '));
    out.push(['text', el.tagName + ':focus', ratio(rgb(cs.color), bg(el)).toFixed(2), 4.5].join(' '));
    el.blur();
  });
  const p = document.createElement('pre'); p.id = 'probe'; p.textContent = out.join('\\n'); document.body.appendChild(p);
});</script>"""


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed at /usr/bin/chromium "
                    "(install it with: apt-get install -y chromium)")
def test_computed_contrast_of_all_text_and_focus_indicators_in_chromium(written, tmp_path):
    """WCAG AA as the browser renders it: every element's own text on its effective background (4.5:1, 3:1 for
    large text), every keyboard-focusable element's outline when focused (3:1) and its text while focused."""
    def probe(html: str) -> list[tuple[str, str, float, float]]:
        page = tmp_path / "contrast.html"
        page.write_text(html.replace("</body>", _CONTRAST_PROBE + "</body>"), encoding="utf-8")
        dom = _chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri(), cwd=tmp_path).stdout
        found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
        assert found, "the probe did not run"
        rows = [line.split() for line in found.group(1).splitlines()]
        return [(kind, tag, float(r), float(minimum)) for kind, tag, r, minimum in rows]

    html = (written / "report.html").read_text(encoding="utf-8")
    rows = probe(html)
    assert {"text", "focus"} <= {kind for kind, *_ in rows} and len(rows) > 100
    assert {tag for kind, tag, *_ in rows if kind == "focus"} >= {"A", "DIV"}
    failing = [(kind, tag, r, minimum) for kind, tag, r, minimum in rows if r < minimum]
    assert not failing, failing
    # The check can fail: a pale focus outline is caught.
    pale = html.replace("outline: 3px solid var(--ink)", "outline: 3px solid #ffbf47")
    assert any(kind == "focus" and r < minimum for kind, _, r, minimum in probe(pale))


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed at /usr/bin/chromium "
                    "(install it with: apt-get install -y chromium)")
def test_every_table_caption_is_on_screen_without_scrolling(written, tmp_path):
    """A caption centred over the wide framework matrix would sit far to the right, out of sight."""
    probe = ("<script>addEventListener('load', () => { const p = document.createElement('pre'); p.id = 'probe';"
             " p.textContent = [...document.querySelectorAll('caption')].map(c => { const r = c.getBoundingClientRect();"
             " const range = document.createRange(); range.selectNodeContents(c); const t = range.getBoundingClientRect();"
             " return c.textContent.trim().replace(/ /g, '_') + ' ' + Math.round(t.left) + ' ' + Math.round(t.right)"
             " + ' ' + document.documentElement.clientWidth; }).join('\\n'); document.body.appendChild(p); });</script>")

    def captions(html: str) -> list[tuple[str, int, int, int]]:
        page = tmp_path / "captions.html"
        page.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
        dom = _chromium("--window-size=1280,900", "--virtual-time-budget=3000", "--dump-dom", page.as_uri(), cwd=tmp_path).stdout
        found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
        assert found, "the probe did not run"
        return [(n, int(a), int(b), int(w)) for n, a, b, w in (line.split() for line in found.group(1).splitlines())]

    html = (written / "report.html").read_text(encoding="utf-8")
    found = captions(html)
    assert any(name == "Participants_by_theme" for name, *_ in found)
    assert all(0 <= left and right <= width for _, left, right, width in found), found
    # The check can fail: centred captions over a matrix wider than the window are out of sight.
    wide = html.replace("caption { text-align: left;", "caption { text-align: center;").replace(
        "min-width: 12rem", "min-width: 40rem")
    assert any(right > width for _, _, right, width in captions(wide))


def test_a_draft_is_stamped_in_every_file_and_still_reads_back(written):
    """--allow-unreviewed: every file says NOT FOR SHARING, the tables too, and the run folder still loads."""
    import csv
    import json

    from docx import Document

    from wisdoms.privacy import NOT_FOR_SHARING
    from wisdoms.report.rundir import read_run_folder

    assert NOT_FOR_SHARING in (written / "report.html").read_text(encoding="utf-8")
    assert NOT_FOR_SHARING in (written / "report.md").read_text(encoding="utf-8")
    stamp = (written / "report.md").read_text(encoding="utf-8").splitlines()[0]  # said once, not "draft ...: a draft"
    assert stamp.startswith(f"> **{NOT_FOR_SHARING}**") and stamp.count("private draft") == 1
    assert json.loads((written / "themes.json").read_text(encoding="utf-8"))["draft"] == NOT_FOR_SHARING
    assert json.loads((written / "manifest.json").read_text(encoding="utf-8"))["draft"] == NOT_FOR_SHARING
    rows = list(csv.DictReader((written / "passages.csv").open(encoding="utf-8", newline="")))
    assert rows and {r["draft"] for r in rows} == {NOT_FOR_SHARING}
    matrix = list(csv.DictReader((written / "framework-matrix.csv").open(encoding="utf-8", newline="")))
    assert matrix and {r["draft"] for r in matrix} == {NOT_FOR_SHARING}
    assert all(NOT_FOR_SHARING in s.header.paragraphs[0].text for s in Document(str(written / "report.docx")).sections)
    assert (written / "NOT-FOR-SHARING.txt").is_file()
    assert len(read_run_folder(written).passages) == len(rows)


@pytest.mark.slow
def test_an_identifier_in_an_attribute_is_blocked_and_named_by_participant_and_file(analysis, tmp_path):
    from wisdoms.errors import ExportBlockedError
    from wisdoms.privacy import Detector, NameList, PrivacyGate, SignOffs

    first = analysis.transcripts[0]
    pid = next(iter(first.participants))
    moved = replace(first, participants={**first.participants, pid: {**first.participants[pid], "area": "Zanzibar Lane"}})
    planted = replace(analysis, transcripts=[moved, *analysis.transcripts[1:]])
    gate = PrivacyGate(names=NameList(entries=(("Zanzibar Lane", "PLACE"),)), signoffs=SignOffs(),
                       detector=Detector(use_ner=False)).fit()
    with pytest.raises(ExportBlockedError) as caught:
        write_reports(planted, tmp_path / "out", gate=gate)
    files = [t.id for t in analysis.transcripts if pid in t.participants]
    assert f"participant {pid}'s attributes ({', '.join(files)})" in str(caught.value)
    assert "Zanzibar Lane" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_attributes_are_scanned_one_field_at_a_time(analysis):
    """Each attribute is its own text for the final scan, so a survey's repeated values ("area: North") are one
    text however many people share them (one line per person made every line distinct, and NER read them all)."""
    from wisdoms.report import render_reports, report_scan_items

    items = report_scan_items(analysis, render_reports(analysis), "out")
    attribute_items = [i for i in items if "'s attributes (" in i.where]
    fields = {(pid, f"{k}: {v}") for pid, attrs in analysis.participants.items() for k, v in attrs.items()}
    assert fields and {(i.where.split("participant ", 1)[1].split("'s attributes")[0], i.text)
                       for i in attribute_items} == fields
    assert all("; " not in i.text for i in attribute_items)


@pytest.mark.slow
def test_a_huge_framework_matrix_is_written_long(analysis, monkeypatch):
    """50,000 answers in 2,363 themes made a 118-million-cell grid (3.5 GB): above the limit the CSV has one
    row per non-empty cell, the same cells as the grid, and the reports say how to read it."""
    import csv
    import io

    import wisdoms.report.contract as contract
    import wisdoms.report.view as report_view
    from wisdoms.report import framework_matrix_csv

    view = build_view(analysis)
    wide = list(csv.reader(io.StringIO(framework_matrix_csv(view))))
    monkeypatch.setattr(report_view, "MATRIX_CSV_MAX_CELLS", 1)
    long = list(csv.reader(io.StringIO(framework_matrix_csv(view))))
    assert long[0] == contract.MATRIX_LONG_HEADER
    labels = {t.theme.id: t.label for t in view.matrix_themes}
    from_long = {(r[0], f"Theme {r[1]}: {labels[int(r[1])]}"): f"{r[3]} ({r[4]})" for r in long[1:]}
    from_wide = {(row[0], wide[0][j]): cell for row in wide[1:] for j, cell in enumerate(row) if j and cell}
    assert from_long == from_wide and len(long) - 1 == len(from_wide)
    assert "one row per participant and theme" in view.matrix_note


def test_headline_counts_conversations_and_survey_tables_apart():
    from types import SimpleNamespace

    from wisdoms.report.view import describe_sources

    talk, table = SimpleNamespace(format="text"), SimpleNamespace(format="csv")
    assert describe_sources([talk] * 12) == "12 conversations"
    assert describe_sources([table]) == "1 survey table"
    assert describe_sources([talk, table, table]) == "1 conversation and 2 survey tables"
    assert describe_sources([]) == "0 conversations"


@pytest.mark.slow
def test_code_suggestions_are_made_once_per_write(analysis, tmp_path, monkeypatch):
    """Reports lay results out: the draft codes are made once and handed to themes.json and every report,
    even when the privacy gate has the files rendered twice (clean, then stamped as a draft)."""
    import importlib

    coverage = importlib.import_module("wisdoms.codebook.coverage")  # wisdoms.codebook.coverage is also a function
    calls = []
    real = coverage.suggest_codes
    monkeypatch.setattr(coverage, "suggest_codes", lambda *a, **k: calls.append(1) or real(*a, **k))
    write_reports(analysis, tmp_path / "out", allow_unreviewed=True)
    assert len(calls) == 1


def test_first_screen_of_a_survey_with_many_themes_draws_the_top_ones_and_lists_the_rest():
    from wisdoms.report.blocks import Figure, Table, ThemeSummary
    from wisdoms.report.document import GLANCE_THEMES, build_document

    themes = [_theme_view(i, 100 - i) for i in range(GLANCE_THEMES + 5)]
    drawn = []

    def chart(bars, total, **kwargs):  # noqa: ANN001, ANN003, ANN202
        from wisdoms.report.blocks import Chart

        drawn.append(bars)
        return Chart(title=kwargs["title"], alt=kwargs["alt"], svg="<svg></svg>", png=b"")

    summary = {"participants": 120, "passages": 500, "themes": len(themes), "unassigned": 0}
    overview = build_document(_bare_view(themes=themes, summary=summary), chart=chart).sections[0]
    assert [n for _, n in drawn[0]] == [100 - i for i in range(GLANCE_THEMES)]
    figure = next(b for b in overview.blocks if isinstance(b, Figure))
    assert f"top {GLANCE_THEMES} themes" in figure.chart.title and "theme 24, 76 of 120 people" in figure.chart.alt
    assert sum(isinstance(b, ThemeSummary) for b in overview.blocks) == GLANCE_THEMES
    rest = [b for b in overview.blocks if isinstance(b, Table) and b.anchor == "glance-rest"][0]
    assert [r[1] for r in rest.rows] == [(f"{100 - i} of 120 people",) for i in range(GLANCE_THEMES, GLANCE_THEMES + 5)]


def test_first_screen_says_what_a_count_of_people_counts_and_whether_the_codebook_fits(analysis):
    """The overview carries the counting rule and the codebook check, in every format; a breakdown by group counts
    the same people as the theme's count."""
    import dataclasses

    view = build_view(analysis)
    assert view.prevalence_note.startswith(f"A person is counted for a theme when at least 1 in {2 * len(analysis.themes)} ")
    fit = analysis.manifest["codebook_fit"]
    assert view.codebook_note.startswith(fit["summary"]) and fit["summary"]
    md = render_markdown(analysis, view=view)
    overview = md[md.index("## What we heard"):md.index("## ", md.index("## What we heard") + 3)]
    assert view.prevalence_note in overview and view.codebook_note in overview
    html = render_html(analysis, view=view)
    first = html[html.index('id="overview"'):html.index('id="reading"')]
    assert "A person is counted for a theme when" in first and "codebook" in first.lower()

    theme = analysis.themes[0]
    touched = {p.participant for p in analysis.passages if p.id in set(theme.passage_ids)}
    one = sorted(touched)[:1]
    fewer = dataclasses.replace(theme, participant_ids=tuple(one), participants=1)
    changed = dataclasses.replace(analysis, themes=Records.of(Theme, [fewer, *analysis.themes[1:]]))
    shown = next(t for t in build_view(changed, group_by="area").themes if t.theme.id == theme.id)
    assert sum(g.people for g in shown.groups) == 1, "the breakdown counts the people the theme counts"


@pytest.mark.slow
def test_themes_json_sub_themes_count_people_by_their_themes_rule(analysis):
    """A sub-theme never has more people than its theme: both count those the theme is a real part of what they
    said; everyone with a passage in it is ``touched_by``."""
    import json

    from wisdoms.report.contract import themes_document

    doc = json.loads(json.dumps(themes_document(analysis)))
    owner = {p.id: p.participant for p in analysis.passages}
    for t, theme in zip(doc["themes"], analysis.themes):
        for st, sub in zip(t["subthemes"], theme.subthemes):
            touched = {owner[p] for p in sub.passage_ids}
            assert st["touched_by"] == len(touched)
            assert st["participants"] == len(touched & set(t["participant_ids"])) <= t["participants"]


def test_codebook_check_says_when_the_codebook_suits_the_material_but_few_themes_match_a_code():
    from wisdoms.report.view import _with_theme_matches

    note = "The codebook suits this material: each of its 13 codes was compared with everything people said."
    themes = [_theme_view(i, 5) for i in range(7)]
    themes[0].codes = [{"id": "waiting", "name": "Waiting", "score": 0.4, "evidence": ""}]
    said = _with_theme_matches(note, {"fits": True}, themes)
    assert said.startswith(note) and "Only 1 of the 7 themes matches a code, though" in said
    assert "candidate new code" in said
    for t in themes[:4]:  # most themes match: nothing to add
        t.codes = themes[0].codes
    assert _with_theme_matches(note, {"fits": True}, themes) == note
    # a codebook that does not suit the material already says what to do
    assert _with_theme_matches("This codebook does not suit this material.", {"fits": False}, themes[4:]) == (
        "This codebook does not suit this material.")


def _quoted(text: str):  # noqa: ANN202
    from wisdoms.models import Quote

    return Quote(transcript="P1.txt", participant="P1", start=0, end=len(text), text=text, passage="P1.txt#0-1")


def test_first_screen_quote_is_one_that_stands_on_its_own():
    """The one quote a convener sees for a theme on the first screen is not one that trails off, is mostly
    redaction marks, is a transcriber's note or is thick with "uh" and "kind of", while the theme has a quote that
    stands on its own (quotes as the themes stage chose them on two real studies)."""
    from wisdoms.report.view import strong_quote

    clean = _quoted("There is some reason, I guess, but it's a cultural thing and the influence of my team lead.")
    trailing = _quoted("When it comes to documenting this stuff, I guess I'd be curious like.")
    redacted = _quoted("The XX XXXX XXXXXXXXXX XX XXXX XXX XXX XXXXXXXXX XX XXXX XXX XXXXX X XXXX.")
    note = _quoted("Identification risk ... Okay ... (The participant reads the identification risk comment) ...")
    halting = _quoted("Maybe, uh, maybe this, uh, would be, uh, would be something to look into for us.")
    assert strong_quote([trailing, redacted, note, halting, clean]) is clean
    assert strong_quote([redacted, halting]) is halting
    # otherwise the theme's own order (most representative first) still decides, 12 to 70 words first
    first = _quoted("I found highlighting to be very useful, but clustering itself I didn't explore enough.")
    second = _quoted("I think they were both useful, and the highlighting was probably the more useful of the two.")
    assert strong_quote([first, second]) is first
    assert strong_quote([_quoted("Very useful."), second]) is second
    assert strong_quote([trailing]) is trailing and strong_quote([]) is None
    from wisdoms.report.view import quote_faults

    for whole in ("I don't think so.", "I liked that.", "It's what I was scared of.", "I never wanted to."):
        assert quote_faults(whole)[0] == 0, whole  # ends on a small word, and whole


def test_card_quotes_that_stand_on_their_own_come_before_those_that_trail_off():
    from wisdoms.panel.pack import _standing_first

    trailing = {"text": "Just kind of some sense of kind of like. Simultaneously like. Is my model finding a trend like."}
    whole = {"text": "I'm like, you do have red and green in here, and I know that's a pretty common colour blindness."}
    assert _standing_first([trailing, whole]) == [whole, trailing]


def test_a_report_without_a_codebook_shows_no_empty_code_table_and_no_code_per_theme():
    """A new study's first run has no codebook: the report says so once and shows the draft codes, not an empty
    "Evidence for each code" table, "version -", "Codes with no supporting passage: none" or "No code matches it
    yet" under every theme (as it did on two real studies run codebook-free)."""
    from wisdoms.codebook import Codebook
    from wisdoms.models import Code
    from wisdoms.report.markdown import render_markdown

    themes = [_theme_view(i, 6 - i) for i in range(3)]
    none = "No codebook was given: every theme was found and named inductively."
    md = render_markdown(None, view=_bare_view(  # type: ignore[arg-type]
        themes=themes, summary={"participants": 12, "passages": 30, "themes": 3, "unassigned": 0},
        codebook=Codebook(codes=(), name="no codebook (themes found inductively)", version="-"), codebook_note=none,
        method=[("Codebook", "none: every theme was found inductively")]))
    assert md.count(none) == 2  # under the chart, and where the codebook's evidence would be
    for gone in ("Evidence for each code", "(version -)", "Codes with no supporting passage", "No code matches it yet",
                 "Matched codes", "candidate new code", "material no code covers"):
        assert gone not in md, gone
    assert md.count("- Found: inductively, from what people said (this run had no codebook)") == 3
    assert "## Codebook coverage" in md and "### Suggested new codes" in md
    # with a codebook, every part is still there
    coded = render_markdown(None, view=_bare_view(  # type: ignore[arg-type]
        themes=themes, summary={"participants": 12, "passages": 30, "themes": 3, "unassigned": 0},
        codebook=Codebook(codes=(Code(id="waiting", name="Waiting", definition="Waiting for news"),), name="Team codes",
                          version="2")))
    assert "Codebook: Team codes (version 2)." in coded and "Evidence for each code" in coded
    assert coded.count("No code matches it yet: a candidate new code.") == 3


def test_a_survey_report_shows_people_with_separators_and_no_conversations_column(analysis):
    """Read as a convener on the NHS table (10,302 answers in one CSV): every group read "1" conversation (the one
    file) and people as "4372" beside words as "36,878". A survey's report is titled for survey answers, counts
    people as words are counted and has no "Conversations" column; conversations keep theirs."""
    import dataclasses

    from wisdoms.report.markdown import render_markdown

    assert [r.shown for r in breakdown({"Trust C": 4372, "Trust A": 2623})] == ["2,623", "4,372"]
    spoken = build_view(analysis)
    assert spoken.title == "Themes from the listening conversations"
    assert spoken.listened and all("conversations" in r.extra for rows in spoken.listened.values() for r in rows)
    survey = dataclasses.replace(analysis, transcripts=[dataclasses.replace(t, format="csv") for t in analysis.transcripts])
    view = build_view(survey)
    assert view.title == "Themes from the survey answers" and view.surveys_only and not spoken.surveys_only
    people = f"{len(analysis.participants)} people"
    assert f"{people} who answered raised each" in render_markdown(survey, view=view)
    assert f"{people} we listened to raised each" in render_markdown(analysis, view=spoken)
    assert view.listened and not any("conversations" in r.extra for rows in view.listened.values() for r in rows)
    trusts = {"organization": breakdown({"Trust A": 2623, "Trust C": 4372},
                                        extra={"Trust A": {"words": "51,729"}, "Trust C": {"words": "36,878"}})}
    summary = {"participants": 6995, "passages": 7000, "themes": 0, "unassigned": 0}
    md = render_markdown(None, view=_bare_view(listened=trusts, summary=summary))  # type: ignore[arg-type]
    assert "| Organization | People | Words |" in md and "| Trust C | 4,372 | 36,878 |" in md
    assert "Conversations" not in md
    summary = {"participants": 6995, "passages": 7000, "themes": 0, "unassigned": 0, "content_free": 2}
    assert _bare_view(summary=summary, surveys_only=True).headline.endswith("2 passages of content-free answers set aside.")
    assert _bare_view(summary=summary).headline.endswith("2 passages of content-free talk set aside.")
    answered = render_markdown(None, view=_bare_view(summary=summary, surveys_only=True))  # type: ignore[arg-type]
    assert "Every quote is the person's answer exactly as written" in answered and "interviewer" not in answered
    assert "the interviewers' words are never counted" in render_markdown(None, view=_bare_view(summary=summary))  # type: ignore[arg-type]


def test_language_check_covers_sub_themes_and_never_asks_to_reword_a_participants_words():
    """Titles are now participants' own words: the check still finds a listed term in a theme's or a sub-theme's
    title, says whose words they are and suggests renaming the theme, never rewording what the person said."""
    from wisdoms.models import SubTheme
    from wisdoms.report.markdown import render_markdown

    said = _quoted("They treat you like an addict the minute you walk in")
    sub = SubTheme(id=7, label="“Life was chaotic after the eviction”", passage_ids=("P2.txt#0-1",), participants=3,
                   title_quote=replace(said, participant="P2", text="Life was chaotic after the eviction"))
    theme = Theme(0, f"“{said.text}”", ("addict",), ("P1.txt#0-1",), 5, title_quote=said, title_source="quote",
                  subthemes=(sub,))
    team = Theme(1, "Chaotic lives", ("housing",), ("a#0-1",), 5, title_source="keywords")
    flags = check_names(None, [theme, team])
    assert [(f.kind, f.id, f.term, f.speaker) for f in flags] == [
        ("theme", "0", "addict", "P1"), ("sub-theme", "7", "chaotic", "P2"), ("theme", "1", "chaotic", "")]
    md = render_markdown(None, view=_bare_view(  # type: ignore[arg-type]
        language_flags=flags, summary={"participants": 12, "passages": 30, "themes": 2, "unassigned": 0}))
    section = md[md.index("## Language check"):]
    assert ("Theme 0 “They treat you like an addict the minute you walk in” is P1's own words and holds “addict”. "
            "Their words stay as they are; if the theme should not be called by them, rename it") in section
    assert "Sub-theme 7 “Life was chaotic after the eviction” is P2's own words" in section
    assert "Theme 1 “Chaotic lives” uses “chaotic”: consider “going through a lot at once”." in section
    assert "consider “person who uses drugs or alcohol”" not in section  # no bare rewording of P1's words
    # a panel's new name is the panel's words, not those of the participant whose phrase titled the theme before
    renamed = replace(theme, status="renamed", label="Treated like an addict")
    assert [(f.kind, f.term, f.speaker) for f in check_names(None, [renamed])] == [
        ("theme", "addict", ""), ("sub-theme", "chaotic", "P2")]
    # a code's name, then a member's words: the words are the member's, the code's name the team's
    coded = replace(theme, label=f"Substance use: “{said.text}”", title_source="code", subthemes=())
    assert [(f.term, f.speaker) for f in check_names(None, [coded])] == [("addict", "P1")]
    team_words = replace(coded, label="Chaotic lives: “They treat you badly”", title_quote=replace(said, text="They treat you badly"))
    assert [(f.term, f.speaker) for f in check_names(None, [team_words])] == [("chaotic", "")]


def test_first_screen_lists_a_few_sub_themes_and_a_shared_title_once():
    """On the NHS table one theme had 37 sub-themes, 20 of them titled “Nothing”: the first screen listed all 37
    in a 1,300-character line. It lists the first five titles, a title shared by several sub-themes once with how
    many, and how many more there are; the theme's detail lists every title, shared ones once."""
    from wisdoms.report.document import GLANCE_SUBTHEMES
    from wisdoms.report.markdown import render_markdown

    theme = _theme_view(0, 9)
    theme.subthemes = ["“Nothing”", "“Nothing from my point of view”", "“Nothing”", "“Not a lot”"] + [
        f"“Nothing really {i}”" for i in range(6)] + ["“Nothing”"] * 18
    md = render_markdown(None, view=_bare_view(  # type: ignore[arg-type]
        themes=[theme], summary={"participants": 12, "passages": 30, "themes": 1, "unassigned": 0}))
    glance = md[md.index("## What we heard"):md.index("## How to read")]
    line = next(x for x in glance.splitlines() if x.startswith("- Sub-themes:"))
    assert line == ("- Sub-themes: “Nothing” (20 sub-themes); “Nothing from my point of view”; “Not a lot”; "
                    "“Nothing really 0”; “Nothing really 1”; and 4 more sub-themes (in the theme's detail)")
    assert GLANCE_SUBTHEMES == 5
    detail = md[md.index("## Themes in detail"):]
    full = next(x for x in detail.splitlines() if x.startswith("- Sub-themes:"))
    assert full.count("“Nothing”") == 1 and "“Nothing really 5”" in full and "more sub-themes" not in full


def test_a_quote_is_attributed_once_where_the_id_is_the_files_name_and_by_row_in_a_table():
    """Real studies name a participant by their file ("P12_GMT20211206") and a survey table with no id column gets
    row ids ("phase1_single_label-r5070"): every quote read "— P12_GMT20211206, P12_GMT20211206.txt:271-339".
    The citation already says the file, so the id is left out; a table's answer is attributed to its row."""
    import io

    from docx import Document

    from wisdoms.models import Quote as Said
    from wisdoms.report import render_docx, render_html
    from wisdoms.report.document import attribution
    from wisdoms.report.markdown import render_markdown

    assert attribution("P12_GMT20211206", "P12_GMT20211206.txt") == ""
    assert attribution("phase1_single_label-r5070", "phase1_single_label.csv") == "row 5070"
    assert attribution("P01", "conversation-01.txt") == "P01"
    assert attribution("answers-r12", "answers.txt") == "answers-r12", "only a table's own row ids"
    theme = _theme_view(0, 9)
    theme.strong_quote = Said(transcript="P12_GMT20211206.txt", participant="P12_GMT20211206", start=271, end=339,
                              text="I thought the information in the home tab is fairly well summarized.", passage="x")
    theme.quotes = [theme.strong_quote, Said(transcript="answers.csv", participant="answers-r5070", start=0, end=9,
                                             text="Staff were kind and they listened to me.", passage="y")]
    view = _bare_view(themes=[theme], summary={"participants": 12, "passages": 30, "themes": 1, "unassigned": 0})
    md = render_markdown(None, view=view)  # type: ignore[arg-type]
    assert "> — `P12_GMT20211206.txt:271-339`" in md and "P12_GMT20211206, " not in md
    assert "> — row 5070, `answers.csv:0-9`" in md
    html = render_html(None, view=view)  # type: ignore[arg-type]
    assert "<footer>— <code>P12_GMT20211206.txt:271-339</code>" in html and "<footer>— row 5070, <code>" in html
    paragraphs = [p.text for p in Document(io.BytesIO(render_docx(None, view=view))).paragraphs]  # type: ignore[arg-type]
    assert "— P12_GMT20211206.txt:271-339" in paragraphs and "— row 5070, answers.csv:0-9" in paragraphs


def test_headline_says_how_many_words_people_said_in_plain_words():
    """The first line read "17 conversations with 17 participants; 2,990 passages and 44,074 words of the
    participants' own words." (passages and words "of words"); it says what people said, then the themes."""
    summary = {"participants": 17, "passages": 2990, "themes": 9, "unassigned": 345, "content_free": 112}
    view = _bare_view(summary=summary, words=44074, sources="17 conversations")
    assert view.headline == ("17 conversations with 17 participants: 44,074 words of their own in 2,990 passages. "
                             "9 themes; 345 passages not yet in a theme; 112 passages of content-free talk set aside.")


def test_a_codebook_theme_names_the_code_that_seeded_it_not_only_its_id():
    """serdif's codebook has ids t01..t22: "Found: from the codebook: seeded by its code `t07`" told a convener
    nothing. The code's name comes first, its id after it."""
    from wisdoms.report.markdown import render_markdown

    theme = _theme_view(0, 9)
    theme.theme = replace(theme.theme, origin="codebook", seed_code="t07")
    theme.seed_name = "Event concept and approach not clear"
    view = _bare_view(themes=[theme], summary={"participants": 12, "passages": 30, "themes": 1, "unassigned": 0})
    md = render_markdown(None, view=view)  # type: ignore[arg-type]
    assert "- Found: from the codebook: seeded by its code “Event concept and approach not clear” (`t07`)" in md
    theme.seed_name = ""  # a code the codebook no longer holds: its id, as before
    assert "- Found: from the codebook: seeded by its code `t07`" in render_markdown(None, view=view)  # type: ignore[arg-type]


def test_a_theme_detail_counts_thousands_and_says_whose_words_its_title_is_once():
    """On the NHS table a theme's detail read "Heard from: 266 of 10302 participants" and "Title: ... in the words
    of phase1_single_label-r7997, phase1_single_label.csv:970256-970324"."""
    from wisdoms.models import Quote as Said
    from wisdoms.report.markdown import render_markdown

    def detail(participant: str, transcript: str) -> str:
        theme = _theme_view(0, 1843)
        said = Said(transcript=transcript, participant=participant, start=5, end=9, text="Good", passage="x")
        theme.theme = replace(theme.theme, title_quote=said, title_source="quote")
        md = render_markdown(None, view=_bare_view(  # type: ignore[arg-type]
            themes=[theme], summary={"participants": 10302, "passages": 9, "themes": 1, "unassigned": 0}))
        return md[md.index("## Themes in detail"):]

    table = detail("answers-r7997", "answers.csv")
    assert "- Heard from: 1,843 of 10,302 participants (1 passage)" in table
    assert "- Title: in the words of the answer in row 7997, `answers.csv:5-9`" in table
    assert "- Title: in the words of the person at `P12_GMT.txt:5-9`" in detail("P12_GMT", "P12_GMT.txt")
    assert "- Title: in the words of P01, `conversation-01.txt:5-9`" in detail("P01", "conversation-01.txt")


def test_a_theme_of_short_answers_shows_a_short_answer_not_a_rare_long_one():
    """NHS: a theme of "Nothing" answers (median 1 word) showed on the first screen "I would like to thank especially
    * for taking the time ..." (40 words), the one long answer among its quotes, because a first-screen quote had to
    be 12 to 70 words. Where a theme's passages are typically shorter than that, a quote of about their length is
    the right size; conversations keep 12 to 70 words."""
    from wisdoms.report.view import strong_quote

    nothing = _quoted("Nothing")
    thanks = _quoted("I would like to thank especially the nurse for taking the time and attention to explain "
                     "everything in detail and answering all my questions.")
    assert strong_quote([nothing, thanks], typical=1) is nothing
    assert strong_quote([nothing, thanks]) is thanks  # nothing known of the theme: 12 to 70 words first
    assert strong_quote([nothing, thanks], typical=25) is thanks  # a conversation's theme
    short = _quoted("Staff are really kind and helpful and polite.")
    assert strong_quote([thanks, short], typical=6) is short, "three times the typical length at most (24 > 18)"
