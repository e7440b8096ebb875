"""Reports: turn an :class:`~wisdoms.results.Analysis` into files people read. No analysis here.

Every writer renders to text or bytes first (:func:`render_reports`); :func:`write_rendered` is the one
function that puts them on disk, so a gate (the privacy check) can sit between the two.
:func:`wisdoms.privacy.release.release` is that gate's one code path, shared by the reports, the panel
pack (:mod:`wisdoms.panel.pack`) and the REFI-QDA export (:mod:`wisdoms.report.qdpx`): quotes checked,
files rendered (stamped in a draft), every rendered value scanned again, fail closed.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import write_folder
from .._tables import read_csv_rows
from ..codebook._model import NO_CODEBOOK_NAME
from ..privacy.release import ScanItem, codebook_texts, release
from ..results import ANALYSIS_FILE, analysis_json
from .contract import framework_matrix_csv, manifest_json, passages_csv, themes_json
from .docx import render_docx
from .html import render_html
from .language import check_names, find_deficit_language
from .markdown import render_markdown
from .view import build_view
from .workbook import framework_matrix_xlsx

if TYPE_CHECKING:  # pragma: no cover
    from ..privacy import PrivacyGate
    from ..results import Analysis
    from ..settings import Settings

log = logging.getLogger(__name__)

#: What a run without a codebook writes beside its reports: draft codes, one per theme, to start a codebook from.
STARTER_CODEBOOK = "starter-codebook.yaml"

__all__ = [
    "write_reports", "render_reports", "prepare", "write_rendered", "render_html", "render_markdown", "render_docx",
    "themes_json", "passages_csv", "framework_matrix_csv", "framework_matrix_xlsx", "manifest_json", "find_deficit_language",
    "check_names", "release", "ScanItem",
    "settings_from_manifest",
]

Rendered = dict[str, "str | bytes"]

#: What every report file is rendered from: the draft codes, the view and the report's sections.
Prepared = tuple[list[Any], Any, Any]


def prepare(analysis: Analysis, *, suggestions: list[Any] | None = None) -> Prepared:
    """The draft codes (made once: reports only lay out results), the view and the sections, chart drawn."""
    from .charts import prevalence_chart
    from .document import build_document
    from .view import code_suggestions

    suggestions = code_suggestions(analysis) if suggestions is None else suggestions
    view = build_view(analysis, suggestions=suggestions)
    return suggestions, view, build_document(view, chart=prevalence_chart)


def render_reports(analysis: Analysis, *, banner: str | None = None,
                   suggestions: list[Any] | None = None, prepared: Prepared | None = None) -> dict[str, str | bytes]:
    """Every report file's name and content (text or bytes), nothing written yet.

    ``banner`` (the draft stamp, NOT FOR SHARING) goes everywhere: at the top of the HTML page, the Markdown
    and the Word document and in every page header of the Word document, under ``draft`` in themes.json and
    manifest.json, in a ``draft`` column of every row of both CSV files, and in a file of its own.
    ``suggestions`` are the draft codes for uncovered themes (:func:`~wisdoms.report.view.code_suggestions`),
    made once when not given; ``prepared`` is what :func:`prepare` made, when the same reports are rendered
    twice (clean, then as a stamped draft).
    """
    suggestions, view, document = prepared or prepare(analysis, suggestions=suggestions)
    rendered: dict[str, str | bytes] = {
        "themes.json": themes_json(analysis, draft=banner, suggestions=suggestions),
        "passages.csv": passages_csv(analysis, draft=banner),
        "framework-matrix.csv": framework_matrix_csv(view, draft=banner),
        "framework-matrix.xlsx": framework_matrix_xlsx(view, draft=banner),
        "report.md": render_markdown(analysis, view=view, document=document),
        "report.html": render_html(analysis, banner=banner, view=view, document=document),
        "report.docx": render_docx(analysis, view=view, banner=banner, document=document),
        "manifest.json": manifest_json(analysis, draft=banner),
        ANALYSIS_FILE: analysis_json(analysis, draft=banner),
    }
    if banner:
        rendered["report.md"] = f"> **{banner}**: for the team's own reading, not to be shared.\n\n" + str(rendered["report.md"])
        rendered["NOT-FOR-SHARING.txt"] = f"{banner}: these files hold quotes the privacy gate has not cleared.\n"
    return rendered

#: Every file a run folder may hold besides what one run renders: a draft's stamp is dropped when the next
#: run is not a draft, and 'wisdoms watch''s NOT-CURRENT marker when a run succeeds.
RUN_FOLDER_FILES = ("themes.json", "passages.csv", "framework-matrix.csv", "framework-matrix.xlsx", "report.md", "report.html", "report.docx",
                    "manifest.json", ANALYSIS_FILE, "NOT-FOR-SHARING.txt", "NOT-CURRENT.txt")


def write_rendered(out_dir: str | Path, rendered: dict[str, str | bytes]) -> list[Path]:
    """Write rendered files as the folder ``out_dir``, as a unit (:func:`wisdoms._files.write_folder`):
    the whole new folder or the whole previous one, never a mix; the only place reports touch the disk.

    Raises:
        OutputError: ``out_dir`` exists and is not a folder, or the disk refused a write (nothing changed).
    """
    written = write_folder(out_dir, rendered, ours=RUN_FOLDER_FILES)
    log.info("wrote %d files to %s", len(written), out_dir)
    return written


def settings_from_manifest(manifest: dict[str, Any]) -> Settings:
    """The run's :class:`~wisdoms.settings.Settings` (the spaCy model the gate must use), from a run folder's
    manifest (an :class:`Analysis` has them typed: ``analysis.settings``)."""
    from ..settings import Settings

    return Settings.from_dict(manifest.get("settings"))


def write_reports(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    allow_unreviewed: bool = False,
    gate: PrivacyGate | None = None,
) -> list[Path]:
    """Write report.html, report.docx, report.md, themes.json, passages.csv, framework-matrix.csv and .xlsx,
    manifest.json and analysis.json (what :meth:`Analysis.load <wisdoms.results.Analysis.load>` reads back), each
    atomically, through the privacy gate (:func:`release`); without a codebook, the starter codebook the report
    names (:func:`write_starter_codebook`) too.

    Every quote is checked before rendering, and the whole rendered output is scanned again before
    anything is written. With ``allow_unreviewed`` (private drafts only) blocked quotes are written but
    every page is stamped NOT FOR SHARING.

    Raises:
        ExportBlockedError: A quote has an unresolved finding, or the rendered output holds one;
            nothing is written.
        OutputError: ``out_dir`` exists and is not a folder.
    """
    from ..privacy import NOT_FOR_SHARING

    prepared = prepare(analysis)  # once per write, whether or not the draft is rendered too

    def render(draft: bool) -> dict[str, str | bytes]:
        return render_reports(analysis, banner=NOT_FOR_SHARING if draft else None, prepared=prepared)

    rendered = release(
        quoted_words(analysis.themes), render, lambda r: report_scan_items(analysis, r, str(out_dir)),
        where=str(Path(out_dir) / "report.html"), allow_unreviewed=allow_unreviewed, gate=gate,
        settings=_settings_of(analysis), transcripts=analysis.transcripts, spans=list(analysis.passages),
        codebook=analysis.codebook,
    )
    written = write_rendered(out_dir, rendered)
    if not analysis.codebook.codes:  # the report says the draft codes are beside it
        starter = write_starter_codebook(analysis, Path(out_dir), draft=allow_unreviewed)
        written += [starter] if starter is not None else []
    return written


def write_starter_codebook(analysis: Analysis, out_dir: Path, *, draft: bool) -> Path | None:
    """A starter codebook drafted from the themes of a run without a codebook (each theme a draft code named by
    its title, defined by its description, with its report quotes as examples, which the gate has cleared)."""
    from dataclasses import replace as _replace

    from ..codebook import suggest_codes, write_suggestions

    suggestions = suggest_codes(analysis.themes, list(analysis.passages), analysis.codebook, screen=find_deficit_language)
    shown = {q.citation for t in analysis.themes for q in t.quotes}
    suggestions = [_replace(s, quotes=tuple(q for q in s.quotes if q.citation in shown)) for s in suggestions]
    if not suggestions:
        return None
    path = write_suggestions(suggestions, out_dir / STARTER_CODEBOOK, source=str(out_dir),
                             date=analysis.provenance.created[:10], draft=draft)
    log.info("starter codebook of %d draft codes: %s", len(suggestions), path)
    return path


def quoted_words(themes: Any) -> list[Any]:
    """Every span of participants' words the reports print as such: each theme's quotes, and its and its
    sub-themes' titles where they are a member's words (a title is a quote too, so the gate checks it)."""
    out = [q for t in themes for q in t.quotes]
    for t in themes:
        if t.title_quote is not None and t.title_source in ("quote", "code"):  # alone or after a code's name
            out.append(t.title_quote)
        out += [st.title_quote for st in t.subthemes if st.title_quote is not None]
    return out


def report_scan_items(analysis: Analysis, rendered: dict[str, str | bytes], where: str) -> list[ScanItem]:
    """What the final scan reads for the reports: :func:`rendered_values`, with participant turns placed
    at their transcript offsets, and the panels' own words (names they gave, what they said was missing)."""
    from ..privacy import visible_text

    items = [ScanItem(f"{t.id}", t.text[turn.start:turn.end], turn.start)
             for t in analysis.transcripts for turn in t.participant_turns()]
    # Attributes (area, ...) are named by participant and file, so a hit says where to fix it.
    files: dict[str, list[str]] = {}
    for t in analysis.transcripts:
        for pid in t.participants:
            files.setdefault(pid, []).append(t.id)
    items += [ScanItem(f"participant {pid}'s attributes ({', '.join(files.get(pid, [])) or 'participants table'})",
                       text) for pid, text in _attribute_fields(analysis)]
    known = {i.text for i in items}
    items += [ScanItem(where, v) for v in rendered_values(analysis, rendered, visible_text) if v not in known]
    items += [ScanItem(f"{where} (panel verdicts)", v) for v in panel_texts(analysis.panel_decisions.to_dict() if analysis.panel_decisions else None)]
    return items


def panel_texts(decided: dict[str, Any] | None) -> list[str]:
    """The free text panels wrote (new names, what is missing), which outputs print and the final scan must read."""
    if not decided:
        return []
    # Two shapes: a decisions file (each panel's ``verdicts`` a list) and a run manifest's ``panel_decisions``
    # (verdicts listed per theme under ``themes``; each panel's ``verdicts`` only a count).
    verdicts = [v for vs in (decided.get("themes") or {}).values() if isinstance(vs, list) for v in vs]
    verdicts += [v for p in decided.get("panels") or [] if isinstance(p, dict) and isinstance(p.get("verdicts"), list)
                 for v in p["verdicts"]]
    texts = [str(v.get(k) or "").strip() for v in verdicts if isinstance(v, dict) for k in ("call_it", "missing", "new_label")]
    return list(dict.fromkeys(t for t in texts if t))


#: Our own citations (``conversation-01.txt:257-354``, passage ids): never identifiers.
_CITATION = re.compile(r"[\w./\\-]+\.\w{2,5}(?::|#)\d+-\d+|\b\d+-\d+\b(?=\)|`|</code>)")
#: Fields of themes.json / passages.csv left out of the final scan: ids and numbers, a theme's origin and seed
#: code (a codebook id), and keywords, labels and suggested code names, which are de-punctuated words of the
#: participant turns that are scanned whole instead.
_STRUCTURAL = frozenset({"passage", "passage_ids", "transcript", "start", "end", "schema", "words", "theme",
                         "id", "participants", "passages", "score", "seed", "participant", "participant_ids",
                         "status", "evidence", "evidence_detail", "codes", "reason", "not_in_theme_because", "keywords",
                         "label", "theme_label", "origin", "seed_code", "suggested_code"})


def rendered_values(analysis: Analysis, rendered: dict[str, str | bytes], visible_text: Any) -> list[str]:
    """Every value the writers put into any output, one paragraph each, for the final privacy scan.

    The HTML, Markdown and DOCX reports are rendered only from these values (quotes, passages,
    labels, keywords, code names, participant attributes) plus the template's own fixed wording, so
    scanning them covers what reaches a reader; the fixed wording (headings, package versions) is left
    out because capitalised headings read as names to the detectors.
    """
    parts = [human_text("themes.json", str(rendered["themes.json"]), visible_text)]
    # passages.csv holds every participant passage: scan them as whole turns, the unit the detectors
    # read best (a sentence cut from its turn loses the context that tells a cue from a name).
    parts.extend(t.text[turn.start : turn.end] for t in analysis.transcripts for turn in t.participant_turns())
    parts.extend(text for _pid, text in _attribute_fields(analysis))
    # The codebook's name and its codes' ids, names and definitions are the team's wording, checked as such
    # (:func:`~wisdoms.privacy.release.codebook_texts`: a name or number blocks, an uncommon lower-case word
    # does not), not as speech-to-text: in lower case, a codebook named "codebook" or a code "gatekeeping" read
    # as an uncommon word, a possible name. So is the tool's own name for a missing codebook.
    team = {value.strip() for _kind, value in codebook_texts(analysis.codebook)} | {NO_CODEBOOK_NAME}
    return list(dict.fromkeys(v for p in parts for v in re.split(r"\n\s*\n", p) if v.strip() and v.strip() not in team))


def _attribute_fields(analysis: Analysis) -> list[tuple[str, str]]:
    """Each participant's attributes, one ``key: value`` text per attribute, as the final scan reads them.

    One text per field, not one line per person: the fields are unrelated values (area, age band), and a
    survey table's attributes repeat from row to row, so the detectors see each distinct value once. As one
    line per person with its ``row_index``, 10,302 NHS answers made 10,302 distinct texts, most of them read
    by NER: 27 s of a first run's 63 s.
    """
    return [(pid, f"{key}: {value}") for pid, attributes in analysis.participants.items()
            for key, value in attributes.items()]


def human_text(name: str, data: str, visible_text: Any) -> str:
    """The words a person would read in a rendered file, citations masked, for the final privacy scan.

    HTML is reduced to its visible text; JSON and CSV to their non-structural values. Every word of
    a quote, attribution, label or attribute is still scanned.
    """
    import json

    if name.endswith(".html"):
        text = visible_text(data)
    elif name.endswith(".json"):
        parts: list[str] = []

        def walk(value: Any, key: str = "") -> None:
            if key in _STRUCTURAL:
                return
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, str(k))
            elif isinstance(value, list):
                for v in value:
                    walk(v, key)
            elif isinstance(value, str):
                parts.append(value)

        walk(json.loads(data))
        text = "\n\n".join(parts)
    elif name.endswith(".csv"):
        rows = read_csv_rows(text=data)
        keep = [i for i, column in enumerate(rows[0] if rows else []) if column not in _STRUCTURAL]
        text = "\n\n".join(row[i] for row in rows[1:] for i in keep if i < len(row) and row[i])
    else:
        text = _flatten_markdown(data)
    return _CITATION.sub(lambda m: " " * len(m.group()), text)


def _flatten_markdown(text: str) -> str:
    """Markdown as plain paragraphs: one per line or table cell, markup removed (headings, emphasis, rules)."""
    parts: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", line)  # report.md escapes participants' markup characters
        line = re.sub(r"^\s*(?:#+|>+|[-*]|\d+\.)\s*", "", line).replace("**", "").replace("`", "")
        if re.fullmatch(r"[\s|:\-]*", line):
            continue
        parts.extend(cell.strip() for cell in line.split("|") if cell.strip())
    return "\n\n".join(parts)


def _settings_of(analysis: Analysis) -> Settings:
    return analysis.settings


