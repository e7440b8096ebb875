"""The sample's report as people see it: in Chromium at desktop and phone widths, printed on A4, and in Word.

Runs the shipped sample through the real models once (the session's ``real_run``), then looks at the files
as a convener would: the first screen, the printed page count, the phone layout, the Word file's pages and
tables, and the framework-matrix workbook. Screenshots are kept in the test's folder for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed at "
                                    "/usr/bin/chromium (bash .ci/install installs it; or apt-get install -y chromium)")
#: The sample's report must print on at most this many A4 pages (issue 19).
MAX_PRINTED_PAGES = 30
A4_POINTS = (595, 842)


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=180, cwd=cwd)


def _probe(html: Path, script: str, width: int, height: int, tmp_path: Path) -> str:
    """Run ``script`` (which sets ``out`` to a string) in ``html`` at ``width`` x ``height`` and return ``out``."""
    page = tmp_path / f"probe-{width}.html"
    wrapped = ("<script>addEventListener('load', () => { let out = ''; " + script + "; const p = "
               "document.createElement('pre'); p.id = 'probe'; p.textContent = out; document.body.appendChild(p); });"
               "</script>")
    page.write_text(html.read_text(encoding="utf-8").replace("</body>", wrapped + "</body>"), encoding="utf-8")
    dom = _chromium(f"--window-size={width},{height}", "--virtual-time-budget=3000", "--dump-dom", page.as_uri(),
                    cwd=tmp_path).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, flags=re.S)
    assert found, "the probe did not run"
    import html as html_module

    return html_module.unescape(found.group(1))


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, from the PDF's page objects."""
    sizes = []
    for page in re.finditer(rb"/Type\s*/Page(?!s)(.{0,600})", pdf, flags=re.S):
        box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", page.group(0))
        sizes.append((float(box.group(3)) - float(box.group(1)), float(box.group(4)) - float(box.group(2))) if box
                     else (0.0, 0.0))
    return sizes


@pytest.fixture(scope="module")
def sample(real_run):  # noqa: ANN001, ANN201
    return real_run, Path(real_run.out_dir)


@pytest.mark.slow
def test_small_numbers_are_said_once_not_on_every_cell(sample: tuple) -> None:
    analysis, out = sample
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("fewer than 5") <= 12, html.count("fewer than 5")
    assert html.count("<svg") == 1, "one chart (prevalence in people), never one empty chart per theme"


@pytest.mark.slow
@needs_chromium
def test_first_screen_shows_every_theme_title_and_how_many_people(sample: tuple, tmp_path: Path) -> None:
    """At 1280 x 900, before any scrolling: the chart's labels name every open theme and its "n of N"."""
    analysis, out = sample
    shot = tmp_path / "first-screen-1280.png"
    _chromium("--window-size=1280,900", f"--screenshot={shot}", (out / "report.html").as_uri(), cwd=tmp_path)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    script = ("out = [...document.querySelectorAll('#overview svg text')].filter(t => { const r = "
              "t.getBoundingClientRect(); return r.bottom <= 900 && r.right <= 1280 && r.width > 0; })"
              ".map(t => t.textContent).join('\\n')")
    seen = _probe(out / "report.html", script, 1280, 900, tmp_path)
    total = len(analysis.participants)
    for t in analysis.themes:
        assert t.label[:30] in seen, t.label
        assert f"{t.participants} of {total}" in seen
    # The same facts in words, under the chart: every theme's title and n of N people, linked to its detail.
    html = (out / "report.html").read_text(encoding="utf-8")
    overview = html[html.index('id="overview"'):html.index("<nav")]
    for t in analysis.themes:
        assert f'href="#theme-{t.id}"' in overview and f"{t.participants} of {total} people" in overview


@pytest.mark.slow
@needs_chromium
def test_prints_on_a4_within_the_page_budget(sample: tuple, tmp_path: Path) -> None:
    analysis, out = sample
    pdf = tmp_path / "report.pdf"
    _chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", (out / "report.html").as_uri(), cwd=tmp_path)
    pages = _pdf_pages(pdf.read_bytes())
    assert 1 < len(pages) <= MAX_PRINTED_PAGES, len(pages)
    assert all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in pages), set(pages)
    # The check can fail: the same page printed without its A4 rule comes out on US Letter.
    letter = tmp_path / "letter.html"
    letter.write_text((out / "report.html").read_text(encoding="utf-8").replace("size: A4;", ""), encoding="utf-8")
    _chromium("--no-pdf-header-footer", f"--print-to-pdf={tmp_path / 'letter.pdf'}", letter.as_uri(), cwd=tmp_path)
    assert {round(w) for w, _ in _pdf_pages((tmp_path / "letter.pdf").read_bytes())} == {612}


_BROKEN_WORDS = (
    "const broken = []; const walker = document.createTreeWalker(document.querySelector('main'), "
    "NodeFilter.SHOW_TEXT); let node; while ((node = walker.nextNode())) { const el = node.parentElement; "
    "if (!el || el.closest('code, svg, .visually-hidden') || getComputedStyle(el).display === 'none' || "
    "!el.offsetParent) continue; for (const m of node.textContent.matchAll(/[A-Za-z]{4,}/g)) { "
    "const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length); "
    "if (r.getClientRects().length > 1) broken.push(m[0]); } } "
    "const d = document.documentElement; out = d.scrollWidth + ' ' + d.clientWidth + '\\n' + broken.join(' ')"
)


@pytest.mark.slow
@needs_chromium
def test_phone_layout_keeps_words_whole_and_never_scrolls_sideways(sample: tuple, tmp_path: Path) -> None:
    analysis, out = sample
    shot = tmp_path / "phone-390.png"
    _chromium("--window-size=390,844", f"--screenshot={shot}", (out / "report.html").as_uri(), cwd=tmp_path)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    widths, _, broken = _probe(out / "report.html", _BROKEN_WORDS, 390, 844, tmp_path).partition("\n")
    scroll, client = map(int, widths.split())
    assert scroll <= client, f"the page is {scroll}px wide on a {client}px phone"
    assert broken.split() == [], "words broken across lines mid-word"
    # The check can fail: cells allowed to break anywhere split words in a narrow table.
    anywhere = tmp_path / "anywhere.html"
    anywhere.write_text((out / "report.html").read_text(encoding="utf-8").replace(
        "overflow-wrap: break-word; hyphens: manual;", "overflow-wrap: anywhere; word-break: break-all;"),
        encoding="utf-8")
    assert _probe(anywhere, _BROKEN_WORDS, 390, 844, tmp_path).partition("\n")[2].split()


@pytest.mark.slow
def test_word_report_is_a4_with_narrow_tables_and_described_pictures(sample: tuple) -> None:
    from docx import Document
    from docx.shared import Mm

    analysis, out = sample
    doc = Document(str(out / "report.docx"))
    for section in doc.sections:
        assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert doc.tables and max(len(t.columns) for t in doc.tables) <= 12
    pictures = doc.element.body.xpath(".//wp:docPr")
    assert pictures and all(p.get("descr") and p.get("title") for p in pictures)
    total = len(analysis.participants)
    for t in analysis.themes:  # the picture's alt text carries the same numbers as the report's words
        assert f"{t.label}, {t.participants} of {total} people" in pictures[0].get("descr")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "framework-matrix.xlsx" in text, "the matrix, too wide for a page, is pointed to"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed: "
                    "apt-get install -y libreoffice-writer-nogui renders the Word report to count its pages")
def test_word_report_renders_in_libreoffice_under_30_pages(sample: tuple, tmp_path: Path) -> None:
    analysis, out = sample
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(out / "report.docx")], check=True, capture_output=True,
                   timeout=300)
    pages = _pdf_pages((tmp_path / "report.pdf").read_bytes())
    assert 1 < len(pages) < MAX_PRINTED_PAGES, len(pages)
    assert all(abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2 for w, h in pages)


@pytest.mark.slow
def test_framework_matrix_workbook_is_readable_and_holds_the_csv(sample: tuple) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    from wisdoms.report.workbook import THEMES_PER_SHEET

    analysis, out = sample
    wb = load_workbook(out / "framework-matrix.xlsx")
    rows = list(csv.reader(io.StringIO((out / "framework-matrix.csv").read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert sum(ws.max_column - 1 for ws in wb.worksheets) == len(header) - 1
    at = 1
    for ws in wb.worksheets:
        assert ws.max_column - 1 <= THEMES_PER_SHEET
        assert ws.freeze_panes == "B2" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.page_setup.orientation == "landscape"
        width = ws.max_column - 1
        assert [c.value for c in ws[1]] == ["Participant", *header[at:at + width]]
        for row, expected in zip(ws.iter_rows(min_row=2, values_only=True), body):
            assert [v or "" for v in row] == [expected[0], *expected[at:at + width]]
        assert all(c.alignment.wrap_text for c in ws[2])
        at += width
