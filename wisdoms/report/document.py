"""The convener report's wording, held once: a :class:`~wisdoms.report.view.ReportView` -> a :class:`Report`.

Every sentence, heading and caption of ``report.html``, ``report.md`` and ``report.docx`` is written here;
the writers (:mod:`.html`, :mod:`.markdown`, :mod:`.docx`) map the blocks to their format. The order:
what we heard (every theme ranked by people, each with its title, sub-themes, matched code and one quote,
and a prevalence chart), how to read the report, then the detail.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath
from typing import Any

from ..models import is_row_id
from .blocks import (
    Block,
    Bullets,
    Facts,
    Figure,
    Heading,
    Para,
    Quote,
    Report,
    Rich,
    ScreenOnly,
    Section,
    Span,
    Table,
    ThemeSummary,
)
from .view import MAX_GROUPS, SMALL_NUMBER, SUPPRESSED, CrossView, GroupRow, ReportView, ThemeView, content_free

#: Tone of each status badge (``ok`` green, ``no`` red, otherwise the candidate yellow).
STATUS_TONE = {"validated": "ok", "renamed": "ok", "rejected": "no", "merged": "no"}
#: Group columns per table of themes by group, so no table is wider than a page (Word: 12 columns at most).
GROUP_COLUMNS = 8
#: The workbook beside the report that holds the framework matrix for a spreadsheet.
MATRIX_WORKBOOK = "framework-matrix.xlsx"
HIDDEN_CELL = "—"
#: Themes the first screen draws and sums up with a quote; the rest are a table of titles and counts under them.
GLANCE_THEMES = 25
#: Sub-theme titles the first screen lists per theme (the detail lists them all): 37 made a 1,300-character line.
GLANCE_SUBTHEMES = 5
#: A hidden count in the table of themes by group: short, read aloud as "less than 5", explained above it.
HIDDEN_COUNT = f"<{SMALL_NUMBER}"


def _people(n: int, total: int) -> str:
    return f"{n:,} of {total:,} people"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def subtheme_list(names: list[str], limit: int | None = None) -> str:
    """A theme's sub-theme titles, largest first as given: a title shared by several sub-themes once, with how
    many (a survey's "“Nothing”" can title twenty), and past ``limit`` titles how many more there are."""
    counts = Counter(names)
    items = [name if counts[name] == 1 else f"{name} ({counts[name]} sub-themes)" for name in dict.fromkeys(names)]
    if limit is None or len(items) <= limit:
        return "; ".join(items)
    more = sum(counts[name] for name in list(dict.fromkeys(names))[limit:])
    return "; ".join(items[:limit]) + f"; and {_plural(more, 'more sub-theme')} (in the theme's detail)"


def heard_from(people: int, total: int, passages: int, touched_by: int | None) -> str:
    """A theme's reach, the same wherever it is shown: the people it is a real part of what they said, and those
    who only touched on it, labelled as such."""
    heard = f"{people:,} of {total:,} participants ({_plural(passages, 'passage')})"
    more = (touched_by or 0) - people
    if more > 0:
        heard += f"; also touched on by {_plural(more, 'more person', 'more people')}"
    return heard


def _theme_link(t: ThemeView) -> Span:
    return Span(t.label, "strong", href=f"#theme-{t.theme.id}")


def _quote(q: Any, note: str = "") -> Quote:
    return Quote(q.text, attribution(q.participant, q.transcript), q.citation, note)


def attribution(participant: str, transcript: str) -> str:
    """Who said a quote, as printed before its citation: the participant's id; ``""`` where the citation already
    says it (the id is the file's name, as in a study of one file a person: "P12_GMT20211206,
    P12_GMT20211206.txt:271-339" said it twice); the row for an answer of a table with no id column ("row 1042",
    not "answers-r1042, answers.csv:...")."""
    stem = PurePosixPath(transcript).stem
    if participant == stem:
        return ""
    if is_row_id(participant, transcript):
        return f"row {participant[len(stem) + 2:]}"
    return participant


def build_document(view: ReportView, *, chart: Any = None) -> Report:
    """The report as ordered sections.

    Args:
        view: What the report shows (:func:`~wisdoms.report.view.build_view`).
        chart: A callable drawing the prevalence chart, ``(bars, total, title, alt, chart_id) -> Chart``
            (:func:`wisdoms.report.charts.prevalence_chart`); ``None`` leaves the chart out.
    """
    sections = [
        _overview(view, chart),
        _how_to_read(view),
        _listened(view),
        _by_group(view),
        _themes(view),
        _coverage(view),
        _matrix(view),
        _language(view),
        _unassigned(view),
        _method(view),
    ]
    contents = tuple((s.id, s.title) for s in sections)
    return Report(title=view.title, lead=(Para((view.headline,), "lead"),), sections=tuple(sections),
                  contents=contents)


# --- the first screen -----------------------------------------------------------------------------------

def _overview(v: ReportView, chart: Any) -> Section:
    total = v.summary["participants"]
    ranked = v.ranked
    blocks: list[Block] = []
    if not ranked:
        blocks.append(Para(("No theme was found in this run: every passage is listed in ", Span("passages.csv", "code"),
                            " with the reason it is not in a theme.",)))
        return Section("overview", "What we heard", tuple(blocks))
    heard = "who answered" if v.surveys_only else "we listened to"
    blocks.append(Para((f"{_plural(len(ranked), 'theme')}, ranked by how many of the {total:,} people {heard} "
                        "raised each (people, not passages). Each is a candidate until people check it.",)))
    if v.prevalence_note:
        blocks.append(Para((v.prevalence_note,), "note"))
    top, rest = ranked[:GLANCE_THEMES], ranked[GLANCE_THEMES:]
    bars = [(t.label, t.people) for t in top]
    named = "The themes" if not rest else f"The {len(top)} themes raised by the most people"
    alt = (f"{named}, by the number of people who raised them: "
           + "; ".join(f"{t.label}, {_people(t.people, total)}" for t in top) + ".")
    table = Table("People who raised each theme", "glance-caption", ("Theme", "People"),
                  tuple(((t.label,), (_people(t.people, total),)) for t in top), numeric=(1,))
    if chart is not None:
        title = "How many people raised each theme" if not rest else f"How many people raised the top {len(top)} themes"
        drawn = chart(bars, total, title=title, alt=alt, chart_id="glance")
        blocks.append(Figure(drawn, f"{title} (bars in people; the list below gives each theme's words).", table,
                             anchor="glance-chart"))
    if v.codebook_note:  # under the chart, so the first screen shows every theme and its count of people
        blocks.append(_codebook_check(v))
    for t in top:
        lines: list[Rich] = [(Span(_people(t.people, total), "strong"),
                              f" · {_plural(t.theme.passages, 'passage')} · theme {t.theme.id}")]
        if t.subthemes:
            lines.append(("Sub-themes: " + subtheme_list(t.subthemes, GLANCE_SUBTHEMES),))
        if t.codes:
            lines.append(("Matched code: ", t.codes[0]["name"]))
        elif not v.without_codebook:  # without a codebook no theme could match a code: said once, above
            lines.append(("No code matches it yet: a candidate new code.",))
        q = t.strong_quote
        blocks.append(ThemeSummary((_theme_link(t),), tuple(lines), _quote(q) if q else None))
    if rest:
        blocks.append(Table(f"The other {_plural(len(rest), 'theme')}, by people", "glance-rest", ("Theme", "People"),
                            tuple(((Span(t.label, href=f"#theme-{t.theme.id}"),), (_people(t.people, total),))
                                  for t in rest), numeric=(1,)))
    closed = [t for t in v.themes if not t.open]
    if closed:
        blocks.append(Para(("Rejected or merged by a panel, and left out above: "
                            + "; ".join(f"{t.label} ({t.status})" for t in closed) + ".",)))
    return Section("overview", "What we heard", tuple(blocks))


def _codebook_check(v: ReportView) -> Para:
    """Whether the codebook fits the material (strong when it does not), or that there was none."""
    if v.codebook_warns:
        return Para((Span(v.codebook_note, "strong"),))
    return Para((v.codebook_note,))


def _how_to_read(v: ReportView) -> Section:
    said = ("Prevalence counts people, not passages. Every quote is the person's answer exactly as written"
            if v.surveys_only else "Prevalence counts people, not passages, and the interviewers' words are never counted. "
            "Every quote is the participant's words exactly as transcribed")
    return Section("reading", "How to read this report", (
        Para(("Themes start as ", Span("candidates", "strong"), " found by a machine. They stay candidates until people — "
              "the research team and a co-production panel of people with lived experience — validate, rename, merge or "
              f"reject them. {said}, with where it comes from. In breakdowns by group, "
              f"any number of people under {SMALL_NUMBER} is shown as “{SUPPRESSED}”, so nobody can be singled out; a "
              "breakdown in which every number would be hidden is left out and said so in one sentence."), "note"),
    ))


# --- the detail -----------------------------------------------------------------------------------------

def _listened(v: ReportView) -> Section:
    blocks: list[Block] = [Para((f"{v.sources}, {_plural(v.summary['participants'], 'participant')}, "
                                 f"{_plural(v.words, 'word')} from participants.",))]
    if v.unread:
        blocks.append(Para((f"Not read, so not in this report ({_plural(len(v.unread), 'file')}; the run went on "
                            "without them): " + "; ".join(f"{name} ({why})" for name, why in v.unread) + ".",), "note"))
    hidden: list[str] = []
    partly = False
    for attr, rows in v.listened.items():
        name = attr.replace("_", " ")
        if rows and all(r.suppressed for r in rows):
            hidden.append(f"{name} ({_plural(len(rows), 'group')})")
            continue
        partly = partly or any(r.suppressed for r in rows)
        counts = [k for k in ("conversations", "words") if any(k in r.extra for r in rows)]  # no conversations in a survey
        blocks.append(Table(
            f"Participants by {name}", f"listened-{attr}", (name.capitalize(), "People", *(k.capitalize() for k in counts)),
            tuple(((r.group,), (r.shown,), *((HIDDEN_CELL if r.suppressed else r.extra[k],) for k in counts)) for r in rows),
            numeric=tuple(range(1, len(counts) + 2))))
    if partly:
        blocks.append(Para((f"{HIDDEN_CELL}: not shown for a group whose number of people is hidden.",)))
    if hidden:
        blocks.append(Para((f"Also recorded, not broken down because every group has fewer than {SMALL_NUMBER} people: "
                            + _listing(hidden) + ".",)))
    if v.not_grouped_note:
        blocks.append(Para((v.not_grouped_note,)))
    return Section("listened", "What was listened to", tuple(blocks))


def _by_group(v: ReportView) -> Section:
    title = "Themes by group"
    cross = v.cross
    if cross is None:
        considered = [a.replace("_", " ") for a in v.cross_candidates]
        if considered:
            why = (f"no participant attribute ({_listing(considered)}) has two or more groups of {SMALL_NUMBER} or more "
                   "people, so every comparison between groups would show only hidden numbers.")
        else:
            why = ("the participants have no attribute (such as area or age band) with two to "
                   f"{MAX_GROUPS} groups to compare.")
        return Section("groups", title, (Para(("Themes are not broken down by group: " + why,)),))
    return Section("groups", title, tuple(_cross_blocks(cross)))


def _cross_blocks(cross: CrossView) -> list[Block]:
    name = cross.attribute.replace("_", " ")
    blocks: list[Block] = [Para((f"How many people in each {name} group raised each theme (counts of people). "
                                 f"“{HIDDEN_COUNT}” stands for {SUPPRESSED} people (none included): the number is "
                                 "hidden, and where only one in a row would be, the next smallest is hidden too.",))]
    chunks = [cross.groups[i:i + GROUP_COLUMNS] for i in range(0, len(cross.groups), GROUP_COLUMNS)] or [[]]
    for n, groups in enumerate(chunks, start=1):
        at = [cross.groups.index(g) for g in groups]
        part = f" ({n} of {len(chunks)})" if len(chunks) > 1 else ""
        rows: list[tuple[Rich, ...]] = []
        for t, cells in cross.rows:
            rows.append(((Span(t.label, href=f"#theme-{t.theme.id}"),), *((_cell(cells[i]),) for i in at)))
        blocks.append(Table(f"Themes by {name}{part}", f"groups-{n}", ("Theme", *groups), tuple(rows),
                            numeric=tuple(range(1, len(groups) + 1))))
    if cross.small_groups:
        blocks.append(Para((f"Not shown as a column, because the group has fewer than {SMALL_NUMBER} people: "
                            f"{_listing(cross.small_groups)}.",)))
    if cross.hidden_groups:
        blocks.append(Para((f"Left out because every count in them is hidden: {_listing(cross.hidden_groups)}.",)))
    if cross.hidden_themes:
        blocks.append(Para(("Themes left out because every count in their row is hidden: "
                            + "; ".join(t.label for t in cross.hidden_themes) + ".",)))
    return blocks


def _cell(row: GroupRow) -> str:
    """A count, or :data:`HIDDEN_COUNT` (explained once above the table) where it is hidden."""
    return HIDDEN_COUNT if row.suppressed else row.shown


def _themes(v: ReportView) -> Section:
    total = v.summary["participants"]
    parts: list[Block] = []
    if not v.themes:
        parts.append(Para(("No themes were found in this run: every passage is in ", Span("passages.csv", "code"), ".")))
    for t in v.themes:
        parts.append(_theme_section(t, total, without_codebook=v.without_codebook))
    return Section("themes", "Themes in detail", tuple(parts))


def _origin(theme: Any, without_codebook: bool = False, seed_name: str = "") -> Rich:
    """Where a theme came from: seeded by a code of the codebook (by name, its id after it), or new (inductive)
    with its suggested code."""
    if getattr(theme, "origin", "inductive") == "codebook":
        if seed_name and seed_name != theme.seed_code:
            return (f"from the codebook: seeded by its code “{seed_name}” (", Span(theme.seed_code, "code"), ")")
        return ("from the codebook: seeded by its code ", Span(theme.seed_code, "code"))
    suggested = getattr(theme, "suggested_code", "")
    if without_codebook:
        return ("inductively, from what people said (this run had no codebook)" + (
            f"; suggested code “{suggested}”" if suggested else ""),)
    return (Span("new", "strong"), ": found in material no code covers" + (
        f"; suggested code “{suggested}”" if suggested else ""))


def _theme_section(t: ThemeView, total: int, *, without_codebook: bool = False) -> Section:
    status: Rich = (Span(t.status, "status", tone=STATUS_TONE.get(t.status, "")), " ", t.status_text)
    if t.merged_into is not None:
        status += (" (into ", Span(f"theme {t.merged_into}", href=f"#theme-{t.merged_into}"), ")")
    facts: list[tuple[str, Rich]] = [("Heard from", (heard_from(t.people, total, t.theme.passages, t.theme.touched_by),))]
    if t.subthemes:
        facts.append(("Sub-themes", (subtheme_list(t.subthemes),)))
    title = t.theme.title_words
    if title is not None:  # the title is, or holds, a participant's words
        said = "the code's name, then " if t.theme.title_source == "code" else ""
        who = attribution(title.participant, title.transcript)
        whose = (f"the answer in {who}" if who.startswith("row ") else who) if who else "the person at"
        facts.append(("Title", (f"{said}in the words of {whose}{', ' if who else ' '}", Span(title.citation, "code"))))
    facts.append(("Keywords", (", ".join(t.theme.keywords),)))
    facts.append(("Found", _origin(t.theme, without_codebook, t.seed_name)))
    if t.codes:
        codes: Rich = ()
        for i, c in enumerate(t.codes):
            codes += (("; " if i else "") + c["name"], Span(f" (score {c['score']:.2f}, {c['evidence']})", "small"))
        facts.append(("Matched codes", codes))
    elif not without_codebook:  # without a codebook, the "Found" line says there was none to match
        facts.append(("Matched codes", ("none yet: this theme is a ", Span("candidate new code", "strong"))))
    blocks: list[Block] = [Para(status), Para((t.description,)), Facts(tuple(facts))]
    for vd in t.verdicts:
        words = f"Panel “{vd['panel']}” on {vd['date']}: rings true — "
        line: Rich = (words, Span(str(vd["rings_true"]), "strong"))
        if vd.get("call_it"):
            line += (f"; they would call it “{vd['call_it']}”",)
        if vd.get("missing"):
            line += (f"; missing: {vd['missing']}",)
        line += (f". Outcome: {vd['outcome']}.",)
        blocks.append(Para(line, "note"))
    blocks.append(Heading("What people said", 1))
    if t.quotes:
        blocks.extend(_quote(q) for q in t.quotes)
    else:
        blocks.append(Para(("No quote can be shown for this theme.",)))
    return Section(f"theme-{t.theme.id}", f"Theme {t.theme.id}: {t.label}", tuple(blocks), kind="theme")


def _coverage(v: ReportView) -> Section:
    if v.without_codebook:  # no codes to show evidence for: what there is, is the draft codes to start one from
        return Section("coverage", "Codebook coverage", (Para((v.codebook_note,)), *_suggestions(v)))
    blocks: list[Block] = [Para((f"Codebook: {v.codebook.name} (version {v.codebook.version}).",))]
    if v.codebook_note:  # whether the codebook fits the material
        blocks.append(_codebook_check(v))
    rows = []
    for c in v.coverage:
        links: Rich = ()
        for i, tid in enumerate(c.themes):
            links += ((", " if i else ""), Span(f"Theme {tid}", href=f"#theme-{tid}"))
        rows.append(((c.name,), (str(c.passages),), (str(c.participants),), links or ("—",)))
    blocks.append(Table("Evidence for each code", "coverage-caption", ("Code", "Passages", "Participants", "Themes"),
                        tuple(rows), numeric=(1, 2)))
    blocks.append(Para(("Codes with no supporting passage: " + (", ".join(v.uncovered) or "none") + ".",)))
    new: Rich = ("Themes no code covers (candidate new codes): ",)
    for i, t in enumerate(v.candidate_new_codes):
        new += (("; " if i else ""), Span(f"Theme {t.theme.id} ({t.label})", href=f"#theme-{t.theme.id}"))
    blocks.append(Para(new + (("none",) if not v.candidate_new_codes else ()) + (".",)))
    return Section("coverage", "Codebook coverage", tuple(blocks + _suggestions(v)))


def _suggestions(v: ReportView) -> list[Block]:
    """The draft codes suggested for the themes no code covers, each with its definition, reach and quotes."""
    blocks: list[Block] = [Heading("Suggested new codes", 1, anchor="suggested-codes")]
    if v.code_suggestions:
        blocks.append(Para((v.suggestion_note + " ", Span("wisdoms codebook suggest", "code"),
                            " writes them as draft codes to paste into the codebook."), "note"))
    else:
        blocks.append(Para(("No new code is suggested: every theme is covered by a code, or was rejected or merged by a "
                            "panel.",)))
    total = v.summary["participants"]
    for c in v.code_suggestions:
        blocks.append(Heading(f"{c.name} (from theme {c.theme})", 2, anchor=f"suggested-{c.theme}"))
        blocks.append(Facts((("Suggested id", (Span(c.id, "code"),)), ("Suggested definition", (c.definition,)),
                             ("Heard from", (heard_from(c.participants, total, c.passages, c.touched_by),)))))
        blocks.extend(_quote(q) for q in c.quotes)
        if not c.quotes:
            blocks.append(Para(("No quote can be shown for this suggestion.",)))
    return blocks


def _matrix(v: ReportView) -> Section:
    if not v.matrix_shown:
        return Section("matrix", "Framework matrix", (Para((v.matrix_note,)),))
    people, themes = len(v.matrix_people), len(v.matrix_themes)
    pointer = Para(("The framework matrix (", _plural(people, "participant"), " by ", _plural(themes, "theme"),
                    ", a short quote and its citation in each cell) is too wide for a page. Open ",
                    Span(MATRIX_WORKBOOK, "code"), " beside this report: one sheet per group of themes, headings frozen, "
                    "cells wrapped, ready to print on A4. ", Span("framework-matrix.csv", "code"), " holds the same."))
    rows = []
    for pid, cells in v.matrix:
        rows.append(((pid,), *((("“" + c[0] + "” ", Span(c[1], "code")) if c else (Span("nothing in this theme", "hidden"),))
                                for c in cells)))
    screen = (Para(("One row per participant, one column per theme (rejected and merged themes left out); each cell is a "
                    "short quote from that person in that theme, with its citation. An empty cell means the person said "
                    "nothing in that theme. The same matrix is in ", Span(MATRIX_WORKBOOK, "code"), " and ",
                    Span("framework-matrix.csv", "code"), " beside this file.")),
              Table("Participants by theme", "matrix-caption", ("Participant", *(t.label for t in v.matrix_themes)),
                    tuple(rows), wide=True))
    return Section("matrix", "Framework matrix", (ScreenOnly(screen, (pointer,)),))


def _language(v: ReportView) -> Section:
    blocks: list[Block] = [Para(("Theme and sub-theme titles and codebook names are checked against a list of deficit "
                                 "labels about people (such as “hard to reach” or “chaotic”). Participants' own words "
                                 "are never changed, titles quoted from them included.",))]
    if v.language_flags:
        blocks.append(Bullets(tuple((_language_line(f),) for f in v.language_flags)))
    else:
        blocks.append(Para(("No listed term was found in theme or sub-theme titles or codebook names.",)))
    return Section("language", "Language check", tuple(blocks))


def _language_line(f: Any) -> str:
    """One listed term found: reword the team's own name; a title in a participant's words is theirs, so the theme
    (or sub-theme) is renamed instead, if it should not be called by it."""
    name = f"{f.kind.capitalize()} {f.id} “{f.name.strip('“”')}”"
    if f.speaker:
        return (f"{name} is {f.speaker}'s own words and holds “{f.term}”. Their words stay as they are; if the "
                f"{f.kind} should not be called by them, rename it (for example with “{f.suggestion}”).")
    return f"{name} uses “{f.term}”: consider “{f.suggestion}”."


def _unassigned(v: ReportView) -> Section:
    """Passages in no theme: those not yet in one (counted as the headline counts them), then the content-free
    talk set aside, each as one line per reason."""
    blocks: list[Block] = []
    waiting = [(r, n) for r, n in v.unassigned_reasons if not content_free(r)]
    aside = [(r, n) for r, n in v.unassigned_reasons if content_free(r)]
    if not v.unassigned:
        blocks.append(Para(("Every passage is in a theme.",)))
    else:
        if waiting:
            n = sum(c for _, c in waiting)
            people = len({u["participant"] for u in v.unassigned if not content_free(u["reason"])})
            blocks.append(Para((f"{_plural(n, 'passage')} from {_plural(people, 'participant')} "
                                f"{'is' if n == 1 else 'are'} not in a theme yet, for these reasons:",)))
            blocks.append(Bullets(tuple((f"{_plural(count, 'passage')}: {reason}",) for reason, count in waiting)))
        else:
            blocks.append(Para(("Every passage with something to say is in a theme.",)))
        if aside:
            n = sum(c for _, c in aside)
            blocks.append(Para((f"Also set aside, as content-free {v.said}, never put in a theme (and not counted "
                                f"above): {_plural(n, 'passage')}:",)))
            blocks.append(Bullets(tuple((f"{_plural(count, 'passage')}: {reason.removeprefix('content-free: ')}",)
                                        for reason, count in aside)))
        blocks.append(Para(("Every one is in ", Span("passages.csv", "code"), " beside this report (its ",
                            Span("not_in_theme_because", "code"), " column, with its text and citation) and in ",
                            Span("themes.json", "code"), "; none is dropped.")))
    return Section("unassigned", "Passages not yet in a theme", tuple(blocks))


def _method(v: ReportView) -> Section:
    blocks: list[Block] = [Facts(tuple((k, (val,)) for k, val in v.method))]
    if v.panels:
        blocks.append(Heading("Co-production panels", 1))
        blocks.append(Bullets(tuple((f"{p['panel']}, {p['date']} (verdicts: {p['verdicts']}; quotes withdrawn: "
                                     f"{p['flagged_quotes']})",) for p in v.panels)))
    blocks.append(Para(("The full run manifest (input hashes, package versions, timings) is in ", Span("manifest.json", "code"),
                        " beside this file.")))
    return Section("method", "Method and run", tuple(blocks))
