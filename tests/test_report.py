"""Convener report: HTML, Word and Markdown content, small-number suppression, language check, accessibility."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from wisdoms.models import Records, Theme
from wisdoms.report import render_html, render_markdown, write_reports
from wisdoms.report.html import COLOUR_PAIRS, PALETTE
from wisdoms.report.language import check_names, find_deficit_language
from wisdoms.report.view import SUPPRESSED, breakdown, build_view

from report_fixtures.analysis import build_analysis

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


def test_wcag_contrast_of_every_colour_pair_used():
    def luminance(hex_colour: str) -> float:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for fg, bg, minimum in COLOUR_PAIRS:
        a, b = sorted((luminance(PALETTE[fg]), luminance(PALETTE[bg])), reverse=True)
        assert (a + 0.05) / (b + 0.05) >= minimum, (fg, bg)


# --- the report itself ----------------------------------------------------------------------------

@pytest.mark.slow
def test_write_reports_writes_every_format(written):
    names = {p.name for p in written.iterdir()}
    assert {"report.html", "report.docx", "report.md", "themes.json", "passages.csv", "manifest.json"} <= names


@pytest.mark.slow
def test_html_has_every_section_and_each_theme_with_status_quotes_and_chart(analysis, written):
    html = (written / "report.html").read_text(encoding="utf-8")
    for section in ("listened", "themes", "coverage", "matrix", "language", "unassigned", "method"):
        assert f'id="{section}"' in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    for t in analysis.themes:
        assert f'id="theme-{t.id}"' in html
        assert t.label in html
        assert 3 <= len(t.quotes) <= 5
        for q in t.quotes:
            assert q.citation in html
        assert f'aria-labelledby="chart-{t.id}-t chart-{t.id}-d"' in html
    assert html.count("<figcaption>") == len(analysis.themes)
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
    listened = html[html.index('id="listened"'):html.index('id="themes"')]
    assert not re.search(r'<td class="num">[1-4]</td>', listened)
    for t in view.themes:
        for g in t.groups:
            if g.suppressed:
                assert f"{g.group}: {SUPPRESSED}" in t.chart_alt


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
    themes[0] = replace(themes[0], label="Complex needs, housing")
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
