"""``wisdoms panel import``: a panel's response sheet -> verdicts in a decisions file (YAML).

The decisions file is human-readable and versioned with the project. Each import appends one panel
(name, date, the sheet it came from and its hash, one verdict per theme, the quotes withdrawn). A
malformed sheet raises :class:`~wisdoms.errors.PanelError` naming every bad row and column, and the
decisions file is left as it was.

Outcomes: ``no`` -> rejected; "same as card 3" under "What would you call it?" -> merged into that theme
(:func:`apply_decisions` moves its passages, people and quotes there); ``yes``/``partly`` with a new name ->
renamed; ``yes`` -> validated; ``partly`` with no new name, or ``not sure`` -> stays a candidate (the verdict
is still recorded and shown). A reason written after the quote numbers ("2 - it names my street") is
recorded with the withdrawn quote. Withdrawn quotes are never used again:
:func:`apply_decisions` removes them from every theme, and reports and packs leave them out.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .._files import clear_read_errors, sha256_file, write_text
from .._tables import read_csv_rows, read_xlsx_rows
from ..errors import PanelError
from ..models import CitationSet
from ..results import PanelDecisions
from . import sheet

if TYPE_CHECKING:  # pragma: no cover
    from ..models import Passage, Quote, Theme
    from ..results import Analysis

log = logging.getLogger(__name__)

SCHEMA = "wisdoms.decisions/1"
_RINGS = {"yes": "yes", "y": "yes", "partly": "partly", "partially": "partly", "part": "partly",
          "not sure": "not sure", "unsure": "not sure", "don't know": "not sure", "dont know": "not sure",
          "don’t know": "not sure",
          "somewhat": "partly", "no": "no", "n": "no"}
_NONE = {"", "none", "no", "n/a", "na", "-", "nope", "all fine"}


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise PanelError("response sheet not found", path=path, hint="pass the responses.xlsx or responses.csv from the pack")
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            table = [[c or "" for c in row] for row in read_csv_rows(fh)]
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise PanelError(f"cannot open the Excel sheet: {exc}", path=path, hint="save it again from Excel as .xlsx") from exc
        table = [["" if c is None else str(c) for c in row] for row in read_xlsx_rows(wb.worksheets[0])]
        wb.close()
    else:
        raise PanelError(f"unsupported response sheet type {path.suffix!r}", path=path, hint="use .xlsx or .csv")
    skipped = 0
    while table and table[0] and table[0][0].startswith("NOT FOR SHARING"):  # a draft pack's stamp row
        table, skipped = table[1:], skipped + 1
    if not table:
        raise PanelError("the response sheet is empty", path=path, line=1, hint="use the responses sheet from 'wisdoms panel pack'")
    header = [sheet.ALIASES.get(h.strip(), h.strip()) for h in table[0]]
    missing = [c for c in sheet.COLUMNS if c not in header]
    if missing:
        raise PanelError(f"the header row lacks the column(s): {', '.join(repr(m) for m in missing)}", path=path, line=1 + skipped,
                         hint="use the responses sheet from 'wisdoms panel pack' and keep its header row")
    rows = []
    for values in table[1:]:
        rows.append({h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header) if h})
        rows[-1]["_row"] = str(len(rows) + 1 + skipped)
    return rows


#: What may stand between a quote number list and the panel's reason: "2 - it names my street", "1, 3: too
#: personal", "2 because ...", "2 (my words, not for sharing)".
_REASON = re.compile(r"^(?P<numbers>[^:(–—]*?\d[^:(–—]*?)(?:\s*(?:[:(–—]|\s-\s|-\s|\bbecause\b|\bas\b)\s*)(?P<reason>\D.*)$",
                     re.IGNORECASE | re.DOTALL)


def _quote_numbers(text: str) -> tuple[list[int], str] | None:
    """The quote numbers in an answer to "Any quote that should not be used?", and the reason written beside
    them ("" when none); None when the answer names no quote by number but is not empty either."""
    clean = text.strip()
    if clean.lower() in _NONE:
        return [], ""
    numbers, reason = clean, ""
    found = _REASON.match(clean)
    if found:
        numbers, reason = found.group("numbers"), found.group("reason").strip().rstrip(")").strip()
    rest = re.sub(r"\b(quotes?|q|and|numbers?|nos?\.?)\b|[,;&+/]", " ", numbers.lower())
    if not re.fullmatch(r"[\s\d]*", rest) or not rest.strip():
        return None
    return [int(n) for n in rest.split()], reason


@clear_read_errors(PanelError)
def parse_responses(path: str | Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # noqa: C901
    """Verdicts and withdrawn quotes from a response sheet.

    Raises:
        PanelError: Every problem found, each with its row (as in the spreadsheet) and column.
    """
    path = Path(path)
    rows = _read_rows(path)
    problems: list[str] = []
    parsed = []
    card_theme: dict[str, int] = {}
    for row in rows:
        n = int(row["_row"])
        if not any(row.get(c) for c in sheet.COLUMNS):
            continue
        m = sheet.THEME_REF_PATTERN.match(row.get(sheet.THEME_REF, ""))
        if not m:
            problems.append(f"row {n}, column {sheet.THEME_REF!r}: {row.get(sheet.THEME_REF)!r} is not 'theme <number> / <label>'"
                            " (this column must not be changed)")
            continue
        card = row.get(sheet.CARD, "")
        if card in card_theme:
            problems.append(f"row {n}, column {sheet.CARD!r}: card {card} appears twice (one row per card)")
        card_theme[card] = int(m.group(1))
        parsed.append((n, row, int(m.group(1)), m.group(2)))
    verdicts, flagged = [], []
    for n, row, theme_id, label in parsed:
        answers = {c: row.get(c, "") for c in [*sheet.ANSWERS, sheet.SAME_AS]}
        if not any(answers.values()):
            log.info("row %d (card %s): no answers; no verdict recorded", n, row.get(sheet.CARD))
            continue
        rings = _RINGS.get(" ".join(answers[sheet.RINGS_TRUE].lower().split()).rstrip("."))
        if rings is None:
            problems.append(f"row {n}, column {sheet.RINGS_TRUE!r}: {answers[sheet.RINGS_TRUE]!r} is not an answer; "
                            "write yes, partly, no or not sure")
            continue
        refs = dict(sheet.QUOTE_REF_PATTERN.findall(row.get(sheet.QUOTE_REFS, "")))
        parsed_quotes = _quote_numbers(answers[sheet.QUOTES])
        if parsed_quotes is None:
            problems.append(f"row {n}, column {sheet.QUOTES!r}: {answers[sheet.QUOTES]!r} is not a list of quote numbers; "
                            "write e.g. 2 or 1, 3, with a reason after a dash if you like (2 - it names my street), "
                            "or leave it empty")
            continue
        numbers, reason = parsed_quotes
        for q in numbers:
            if str(q) not in refs:
                problems.append(f"row {n}, column {sheet.QUOTES!r}: the card has no quote {q} (it has {len(refs)})")
            else:
                flagged.append({"citation": refs[str(q)], "theme": theme_id, "quote": q, "reason": reason})
        merged_into = None
        name = answers[sheet.CALL_IT]
        same, column = sheet.same_as_card(name), sheet.CALL_IT
        if same is None:  # sheets from earlier versions had a column of its own for this
            same, column = answers[sheet.SAME_AS].strip().lower().removeprefix("card").strip(), sheet.SAME_AS
        if same and same not in _NONE:
            if same not in card_theme:
                problems.append(f"row {n}, column {column!r}: {answers[column]!r} names no card on this sheet "
                                f"(cards {', '.join(sorted(card_theme, key=lambda c: (len(c), c)))})")
                continue
            if card_theme[same] == theme_id:
                problems.append(f"row {n}, column {column!r}: a card cannot be the same as itself")
                continue
            merged_into = card_theme[same]
        if merged_into is not None:
            outcome = "merged"
        elif rings == "no":
            outcome = "rejected"
        elif name:
            outcome = "renamed"
        elif rings == "yes":
            outcome = "validated"
        else:  # partly with no new name, or not sure: stays a candidate, the verdict recorded
            outcome = "candidate"
        verdicts.append({
            "theme": theme_id, "label": label, "rings_true": rings, "call_it": name, "missing": answers[sheet.MISSING],
            "outcome": outcome, "new_label": name if outcome == "renamed" else None, "merged_into": merged_into,
        })
    into: dict[int, Any] = {v["theme"]: v["merged_into"] for v in verdicts if v["merged_into"] is not None}  # type: ignore[misc]  # card themes are ints
    card_of = {tid: card for card, tid in card_theme.items()}
    for cycle in _merge_cycles(into):
        cards = " -> ".join(f"card {card_of.get(t, t)}" for t in [*cycle, cycle[0]])
        problems.append(f"the 'same as' answers go round in a circle ({cards}), so no card is the one kept; "
                        "write a name on one of them instead")
    if problems:
        raise PanelError("the response sheet has problems; nothing was recorded:\n  - " + "\n  - ".join(problems),
                         path=path, hint="correct those cells and import again")
    return verdicts, flagged


@clear_read_errors(PanelError)
def read_decisions(path: str | Path) -> dict[str, Any]:
    """Read a decisions file (an empty one if it does not exist yet).

    Raises:
        PanelError: The file is not a valid decisions document.
    """
    path = Path(path)
    if not path.exists():
        return {"schema": SCHEMA, "panels": []}
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PanelError(f"invalid YAML: {exc}", path=path, line=mark.line + 1 if mark else None) from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("panels"), list):
        raise PanelError(f"not a decisions file (expected 'schema: {SCHEMA}' and a 'panels:' list)", path=path, line=1,
                         hint="pass the file 'wisdoms panel import' writes")
    validate_decisions(data, path, _line_numbers(text))
    return data


#: What a verdict's ``outcome`` may be: what 'wisdoms panel import' writes ("not sure" and "partly" without a
#: new name are recorded as ``candidate``).
OUTCOMES = ("validated", "renamed", "rejected", "merged", "candidate")
#: What a verdict's ``rings_true`` may be.
RINGS_ANSWERS = ("yes", "partly", "no", "not sure")
_CITATION = re.compile(r"^.+:\d+-\d+$")


def _line_numbers(text: str) -> dict[tuple[Any, ...], int]:
    """1-based lines of each panel ``("panel", i)``, verdict ``("verdict", i, j)`` and withdrawn quote
    ``("flagged", i, j)`` of a decisions file (0-based indexes)."""
    lines: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value != "panels" or not isinstance(value, yaml.SequenceNode):
            continue
        for i, panel in enumerate(value.value):
            lines[("panel", i)] = panel.start_mark.line + 1
            if not isinstance(panel, yaml.MappingNode):
                continue
            for pkey, pvalue in panel.value:
                kind = {"verdicts": "verdict", "flagged_quotes": "flagged"}.get(pkey.value)
                if kind and isinstance(pvalue, yaml.SequenceNode):
                    for j, item in enumerate(pvalue.value):
                        lines[(kind, i, j)] = item.start_mark.line + 1
    return lines


def _merge_cycles(into: dict[int, Any]) -> list[list[int]]:
    """Each circle of merges (1 into 3, 3 into 1), once, as the themes in order."""
    cycles: list[list[int]] = []
    done: set[int] = set()
    for start in into:
        path, at = [], start
        while at in into and at not in path and at not in done:
            path.append(at)
            at = into[at]
        if at in path:
            cycle = path[path.index(at):]
            if not done & set(cycle):
                cycles.append(cycle)
        done.update(path)
    return cycles


def validate_decisions(data: dict[str, Any], path: Path, lines: dict[tuple[Any, ...], int] | None = None) -> None:
    """Check a decisions document strictly; every problem is an error naming its line.

    Raises:
        PanelError: A panel entry or verdict is malformed; an outcome is not one of :data:`OUTCOMES`; a
            renamed theme has no new name; a merge names no theme, or merges go round in a circle; one
            panel gives two verdicts on a theme; a panel and date are recorded twice; a withdrawn quote's
            citation is not ``file:start-end``.
    """
    lines = lines or {}
    where = lambda *key: lines.get(key)  # noqa: E731
    panels_seen: dict[tuple[str, str], int] = {}
    latest: dict[int, tuple[Any, int | None]] = {}
    for i, panel in enumerate(data["panels"]):
        if not isinstance(panel, dict) or not isinstance(panel.get("verdicts"), list):
            raise PanelError(f"panel entry {i + 1} has no 'verdicts:' list", path=path, line=where("panel", i),
                             hint="each panel entry has panel, date, verdicts and flagged_quotes")
        key = (str(panel.get("panel")), str(panel.get("date")))
        if key in panels_seen:
            raise PanelError(f"panel {key[0]!r} on {key[1]} is recorded twice (also at line {panels_seen[key]})",
                             path=path, line=where("panel", i), hint="remove one of the two entries")
        panels_seen[key] = where("panel", i) or i + 1
        themes_here: dict[Any, int | None] = {}
        for j, v in enumerate(panel["verdicts"]):
            line = where("verdict", i, j)
            if not isinstance(v, dict) or not isinstance(v.get("theme"), int) or isinstance(v.get("theme"), bool):
                raise PanelError("a verdict without a theme number", path=path, line=line,
                                 hint="each verdict names its theme: 'theme: 3'")
            tid, outcome = v["theme"], v.get("outcome")
            if outcome not in OUTCOMES:
                raise PanelError(f"theme {tid}: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}", path=path,
                                 line=line, hint="write one of those (a panel's 'not sure' is recorded as candidate)")
            rings = v.get("rings_true")
            if rings not in (None, "", *RINGS_ANSWERS):
                raise PanelError(f"theme {tid}: rings_true {rings!r} is not one of {', '.join(RINGS_ANSWERS)}",
                                 path=path, line=line, hint="write one of those, or leave it empty")
            if outcome == "renamed" and not str(v.get("new_label") or "").strip():
                raise PanelError(f"theme {tid} is renamed but has no new_label", path=path, line=line,
                                 hint="write the panel's name for it under new_label, or change the outcome")
            merged_into = v.get("merged_into")
            if outcome == "merged" and (not isinstance(merged_into, int) or merged_into == tid):
                raise PanelError(f"theme {tid} is merged but merged_into is {merged_into!r}", path=path, line=line,
                                 hint="write the number of the theme it was merged into (another theme)")
            if tid in themes_here:
                raise PanelError(f"panel {key[0]!r} gives theme {tid} two verdicts (also at line {themes_here[tid]})",
                                 path=path, line=line, hint="keep one verdict per theme per panel")
            themes_here[tid] = line
            latest[tid] = (merged_into if outcome == "merged" else None, line)
        for j, q in enumerate(panel.get("flagged_quotes") or []):
            if not isinstance(q, dict) or not _CITATION.match(str(q.get("citation", ""))):
                raise PanelError(f"withdrawn quote {q!r} has no citation like conversation-01.txt:120-245", path=path,
                                 line=where("flagged", i, j), hint="write the citation the panel pack gave the quote")
    into = {tid: target for tid, (target, _line) in latest.items() if target is not None}
    for cycle in _merge_cycles(into):
        chain = " -> ".join(f"theme {t} (line {latest[t][1]})" for t in cycle)
        raise PanelError(f"merges go round in a circle: {chain} -> theme {cycle[0]}, so no theme is kept",
                         path=path, line=latest[cycle[0]][1],
                         hint="change one of those verdicts (the later panel's word stands for each theme)")


def decisions_from_manifest(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The decisions a run was made with (``wisdoms run --decisions``), rebuilt from its manifest's
    ``panel_decisions``: one panel entry per panel and date, oldest first, each with its verdicts. The
    manifest does not say which panel withdrew which quote, so the withdrawn quotes are left to the caller
    (``panel_decisions.flagged_quotes``). None when the run was made without decisions."""
    recorded = PanelDecisions.from_manifest(manifest)
    if recorded is None:
        return None
    panels: dict[tuple[str, str], dict[str, Any]] = {}
    for verdicts in recorded.verdicts.values():
        for v in verdicts if isinstance(verdicts, list) else []:
            key = (str(v.get("panel")), str(v.get("date")))
            entry = panels.setdefault(key, {"panel": key[0], "date": key[1], "verdicts": [], "flagged_quotes": []})
            entry["verdicts"].append({k: val for k, val in v.items() if k not in ("panel", "date")})
    ordered = sorted(panels.values(), key=lambda p: p["date"])
    return {"schema": SCHEMA, "panels": ordered}


def flagged_citations(decisions: dict[str, Any]) -> set[str]:
    """Every citation any panel withdrew."""
    return CitationSet(q["citation"] for p in decisions.get("panels", []) for q in p.get("flagged_quotes", []) or [])


def match_verdicts(document: dict[str, Any], themes: list[tuple[int, str]]) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Each theme's verdicts, oldest panel first, and the verdicts that match no theme.

    A verdict applies to the theme with the same id and the label the panel saw (or the name it gave,
    for a run that already applied it), else to the only theme with that label; the others are
    returned (and logged), never dropped silently.

    Args:
        document: A decisions document (:func:`read_decisions`).
        themes: ``(id, label)`` of each theme of the run; a theme may come more than once, with each title a
            panel may have seen it under (its title once words a panel withdrew are taken out of it).
    """
    labels: dict[int, set[str]] = {}
    by_label: dict[str, list[int]] = {}
    for tid, label in themes:
        labels.setdefault(tid, set()).add(label)
        if tid not in by_label.setdefault(label, []):
            by_label[label].append(tid)
    verdicts_of: dict[str, list[dict[str, Any]]] = {}
    unmatched: list[dict[str, Any]] = []
    for panel in document["panels"]:
        for v in panel["verdicts"]:
            target: int | None = v.get("theme")
            if not (target in labels and labels[target] & {v.get("label"), v.get("new_label")}):
                same = by_label.get(v.get("label"), [])
                target = same[0] if len(same) == 1 else None
            if target is None:
                unmatched.append({"panel": panel["panel"], "date": panel["date"], "theme": v.get("theme"), "label": v.get("label")})
                log.warning("panel %s verdict on theme %s (%s) matches no theme in this run",
                            panel["panel"], v.get("theme"), v.get("label"))
                continue
            verdicts_of.setdefault(str(target), []).append({**v, "panel": panel["panel"], "date": panel["date"]})
    return verdicts_of, unmatched


def import_responses(responses: str | Path, *, panel: str, date: str, decisions: str | Path) -> dict[str, Any]:
    """Record a panel's response sheet in the decisions file and return the updated document.

    Raises:
        PanelError: Bad sheet, date or panel name, or this panel and date are already recorded; nothing is written.
    """
    if not panel.strip():
        raise PanelError("the panel name is empty", hint="pass --panel 'Name of the panel'")
    try:
        day = _dt.date.fromisoformat(date)
    except ValueError as exc:
        raise PanelError(f"date {date!r} is not a date like 2025-03-14", hint="pass --date YYYY-MM-DD") from exc
    path = Path(decisions)
    document = read_decisions(path)
    if any(p.get("panel") == panel and str(p.get("date")) == day.isoformat() for p in document["panels"]):
        raise PanelError(f"panel {panel!r} on {day.isoformat()} is already recorded", path=path,
                         hint="remove that entry from the decisions file to import it again")
    verdicts, flagged = parse_responses(responses)
    document["panels"].append({
        "panel": panel.strip(), "date": day.isoformat(), "source": Path(responses).name,
        "source_sha256": sha256_file(responses), "verdicts": verdicts, "flagged_quotes": flagged,
    })
    header = ("# Co-production panel decisions, written by 'wisdoms panel import'. One entry per panel; later\n"
              "# panels override earlier ones for the same theme. Withdrawn quotes are never used again.\n")
    write_text(path, header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100))
    log.info("recorded %d verdicts and %d withdrawn quotes from %s in %s", len(verdicts), len(flagged), panel, path)
    return document


def apply_decisions(analysis: Analysis, decisions_path: str | Path) -> Analysis:
    """A copy of ``analysis`` with the panels' verdicts applied to its themes.

    A verdict applies to the theme with the same id and the label the panel saw (then to the only theme
    with that label); verdicts that match no theme are listed in the manifest, not dropped silently.
    Withdrawn quotes are removed from every theme and replaced by other passages of the theme, from
    people not yet quoted where possible. The analysis gains ``panel_decisions`` (file, hash, verdicts; in
    manifest.json under that name),
    which the reports show.

    Raises:
        PanelError: The decisions file is invalid (see :func:`validate_decisions`), or a withdrawn quote of a
            transcript in this run points at no passage of it.
    """
    from ..models import Records, Theme

    document = read_decisions(decisions_path)
    flagged = flagged_citations(document)
    _check_withdrawn(document, Path(decisions_path), analysis.passages)
    passages = {p.id: p for p in analysis.passages}
    # a panel's cards show a theme by its title once withdrawn words are taken out of it: a verdict names that one
    shown = [(t.id, _replace_withdrawn(t, flagged, passages).label) for t in analysis.themes]
    verdicts_of, unmatched = match_verdicts(document, [(t.id, t.label) for t in analysis.themes] + shown)
    decided = {}
    for t in analysis.themes:
        theme = t
        for v in verdicts_of.get(str(t.id), []):
            theme = replace(theme, status=v["outcome"], label=v["new_label"] or theme.label)
        decided[t.id] = theme
    decided = _merge(decided, {int(tid): vs[-1].get("merged_into") for tid, vs in verdicts_of.items()
                               if vs and vs[-1].get("outcome") == "merged"}, passages)
    new_themes = [_replace_withdrawn(theme, flagged, passages) for theme in decided.values()]
    recorded = PanelDecisions(
        file=Path(decisions_path).name,  # the name only: a manifest is shared, a local path is not ours to share
        sha256=sha256_file(decisions_path) if Path(decisions_path).is_file() else None,
        panels=tuple({"panel": p["panel"], "date": p["date"], "verdicts": len(p["verdicts"]),
                      "flagged_quotes": len(p.get("flagged_quotes") or [])} for p in document["panels"]),
        verdicts=verdicts_of,
        flagged=tuple(sorted(flagged)),
        unmatched=tuple(unmatched),
    )
    return replace(analysis, themes=Records.of(Theme, new_themes), panel_decisions=recorded)


def _check_withdrawn(document: dict[str, Any], path: Path, passages: Any) -> None:
    """Every withdrawn quote of a transcript in this run must be one of its passages or a quote of one: a citation that points
    nowhere (a typo, or offsets from before the transcript was edited) would let the quote back in.

    Raises:
        PanelError: Such a citation, naming its line in the decisions file.
    """
    from ..themes.titles import quote_of

    # a passage, or the part of one that a theme quotes (its sentences that stand on their own)
    valid = {f"{p.transcript}:{p.start}-{p.end}" for p in passages} | {quote_of(p).citation for p in passages}
    transcripts = {p.transcript for p in passages}

    def cited(citation: str) -> bool:
        return citation in valid

    lines = _line_numbers(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for i, panel in enumerate(document.get("panels", [])):
        for j, q in enumerate(panel.get("flagged_quotes") or []):
            citation = str(q.get("citation"))
            transcript = citation.rsplit(":", 1)[0]
            if transcript in transcripts and not cited(citation):
                raise PanelError(f"withdrawn quote {citation} is not a passage of {transcript} in this run, so it "
                                 "could be quoted again", path=path, line=lines.get(("flagged", i, j)),
                                 hint="if the transcript was edited, find the quote in the new passages.csv and "
                                 "write its citation here")


#: Quotes a theme keeps after another theme is merged into it (its own first, then the merged theme's).
MERGED_QUOTES = 5


def _merge(themes: dict[int, Theme], into: dict[int, Any], passages: dict[str, Passage]) -> dict[int, Theme]:
    """Themes with every merge carried out: a theme a panel saw as "the same as card N" gives its passages,
    people and quotes to that card's theme (following chains: 3 into 5, 5 into 1 ends in 1) and keeps none.

    A merge that leads back to the theme itself (two cards each "the same as" the other) is not carried out:
    the later verdict is recorded, the passages stay where they are.
    """
    def final(tid: int) -> int | None:
        seen = {tid}
        target = into.get(tid)
        while target is not None and int(target) in into and int(target) not in seen:
            seen.add(int(target))
            target = into[int(target)]
        if target is None or int(target) in seen or int(target) not in themes:
            return None
        return int(target)

    out = dict(themes)
    next_strand = 1 + max((st.id for t in themes.values() for st in t.subthemes), default=-1)

    from ..models import SubTheme
    from ..themes.titles import describe

    def strands(theme: Theme) -> tuple[SubTheme, ...]:
        """A theme's sub-themes; a theme of one strand becomes one sub-theme under its own title."""
        nonlocal next_strand
        if theme.subthemes or not theme.passage_ids:
            return theme.subthemes
        next_strand += 1
        return (SubTheme(id=next_strand - 1, label=theme.label, passage_ids=theme.passage_ids,
                         participants=theme.participants, keywords=theme.keywords, title_quote=theme.title_words),)

    for tid in themes:
        target = final(tid) if tid in into else None
        if target is None:
            continue
        source, host = out[tid], out[target]
        members = tuple(dict.fromkeys([*host.passage_ids, *source.passage_ids]))
        owner = {pid: passages[pid].participant for pid in members if pid in passages}
        touched = set(owner.values())
        # everyone counted for either theme counts for the merged one (see wisdoms.themes.prevalence)
        people = host.counted(owner) | source.counted(owner)
        quoted = {q.participant for q in host.quotes}
        extra = [q for q in source.quotes if q.participant not in quoted and q.citation not in {h.citation for h in host.quotes}]
        # the merged theme's quotes come along: as many as there is room for, and at least one
        room = max(MERGED_QUOTES, len(host.quotes))
        taken = extra[:max(1, room - len(host.quotes))]
        quotes = (*host.quotes[:room - len(taken)], *taken)
        keywords = tuple(dict.fromkeys([*host.keywords, *source.keywords]))[:max(len(host.keywords), 1)]
        # the merged theme's strands (its sub-themes, or itself as one) become sub-themes of the host
        subthemes = (*strands(host), *strands(source)) if source.passage_ids else host.subthemes
        # its description counts people and passages and lists sub-themes: those of the merged theme, not the host's
        description = describe(people=len(people), passages=len(members), keywords=keywords,
                               subtitles=[st.label for st in subthemes], touched=len(touched)) if host.description else ""
        out[target] = replace(host, passage_ids=members, participants=len(people), quotes=quotes, keywords=keywords,
                              subthemes=subthemes, participant_ids=tuple(sorted(people)), touched_by=len(touched),
                              description=description)
        out[tid] = replace(source, passage_ids=(), participants=0, quotes=(), subthemes=(),
                           participant_ids=() if source.participant_ids is not None else None,
                           touched_by=0 if source.touched_by is not None else None)
    return out


def _replace_withdrawn(theme: Theme, flagged: set[str], passages: dict[str, Passage]) -> Theme:
    """``theme`` without withdrawn quotes, each replaced by another of its passages, from people not yet quoted
    where possible."""
    from ..themes.titles import quote_of

    kept = [q for q in theme.quotes if q.citation not in flagged]
    if len(kept) < len(theme.quotes):
        quoted = {q.participant for q in kept}
        pool = [passages[pid] for pid in theme.passage_ids if pid in passages]
        pool.sort(key=lambda p: (p.participant in quoted, -p.words, p.id))
        for p in pool:
            if len(kept) >= len(theme.quotes):
                break
            citation = f"{p.transcript}:{p.start}-{p.end}"
            if citation in flagged or any(q.passage == p.id for q in kept):
                continue
            kept.append(quote_of(p))  # the part of the passage that stands on its own, as the themes quote
    return _retitled(replace(theme, quotes=tuple(kept)), flagged, passages)


def _retitled(theme: Theme, flagged: set[str], passages: dict[str, Passage]) -> Theme:
    """``theme`` with no title made of withdrawn words: a theme (or sub-theme) titled with a phrase a panel withdrew
    is titled with the opening words of its first quote still shown (after the code's name where a code titled it),
    a sub-theme with those of its longest passage not withdrawn; the theme's keywords when nothing is left. The
    theme's description, which lists its sub-themes by title, takes their new titles too."""
    from ..themes.keywords import label_from_keywords
    from ..themes.titles import opening_rank, opening_words, title_text

    def opening(pool: list[Passage]) -> Quote | None:
        """The opening words of the first passage in ``pool`` that read best as a title (:func:`opening_rank`),
        none of them withdrawn."""
        found = [opening_words(p) for p in pool if f"{p.transcript}:{p.start}-{p.end}" not in flagged]
        found = [q for q in found if q.citation not in flagged and q.text.strip()]
        return min(found, key=opening_rank) if found else None

    subthemes = []
    for st in theme.subthemes:
        if st.title_quote is None or st.title_quote.citation not in flagged:
            subthemes.append(st)
            continue
        pool = sorted((passages[pid] for pid in st.passage_ids if pid in passages), key=lambda p: (-p.words, p.id))
        words = opening(pool)
        subthemes.append(replace(st, title_quote=words, label=title_text(words, label_from_keywords(st.keywords))))
    description = theme.description
    for before, after in zip(theme.subthemes, subthemes):  # it lists sub-themes by title: not the withdrawn words
        if before.label and before.label != after.label:
            description = description.replace(before.label, after.label)
    theme = replace(theme, subthemes=tuple(subthemes), description=description)
    old = theme.title_quote
    if old is None or old.citation not in flagged:
        return theme
    if theme.status == "renamed":  # the panel's own words title it; the withdrawn phrase is not kept behind them
        return replace(theme, title_quote=None)
    words = opening([passages[q.passage] for q in theme.quotes if q.passage in passages])
    shown = title_text(words, label_from_keywords(theme.keywords))
    fitted = theme.fitted_label or theme.label
    if theme.title_source == "code":
        name = theme.label.removesuffix(f": {title_text(old, '')}")
        label = f"{name}: {shown}" if words is not None else name
        return replace(theme, title_quote=words, label=label, fitted_label=fitted)
    return replace(theme, title_quote=words, label=shown, title_source="quote" if words is not None else "keywords",
                   fitted_label=fitted)
