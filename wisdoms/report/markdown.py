"""``report.md``: the theme report as Markdown, for wikis and version control (same content as the HTML)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .view import SUPPRESSED, ReportView, build_view

if TYPE_CHECKING:  # pragma: no cover
    from ..results import Analysis


def _quote_block(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def render_markdown(analysis: Analysis, *, group_by: str | None = None,
                view: ReportView | None = None) -> str:
    """The report as Markdown: what was listened to, themes with quotes and citations, coverage, matrix, method."""
    v = view or build_view(analysis, group_by=group_by)
    s = v.summary
    total = s["participants"]
    lines = [
        f"# {v.title}",
        "",
        v.headline,
        "",
        "Themes start as **candidates** found by a machine. They stay candidates until people (the research team and "
        "a co-production panel) validate, rename, merge or reject them. Prevalence is counted in people, not passages; "
        f"interviewers' words are never counted. In breakdowns by group, any number of people under 5 is shown as "
        f"\"{SUPPRESSED}\".",
        "",
        "## What was listened to",
        "",
    ]
    for attr, rows in v.listened.items():
        name = attr.replace("_", " ")
        lines += [f"**By {name}**", "", f"| {name.capitalize()} | People | Conversations | Words |", "|---|---:|---:|---:|"]
        lines += [f"| {_cell(r.group)} | {r.shown} | {r.extra['conversations']} | {r.extra['words']} |" for r in rows]
        lines.append("")
    if v.not_grouped_note:
        lines += [v.not_grouped_note, ""]
    lines += ["## Themes", ""]
    for t in v.themes:
        codes = "; ".join(f"{c['name']} ({c['score']:.2f}, {c['evidence']})" for c in t.codes) or "none — candidate new code"
        status = t.status_text + (f" (into theme {t.merged_into})" if t.merged_into is not None else "")
        lines += [
            f"### Theme {t.theme.id}: {t.label}",
            "",
            f"- Status: **{t.status}** — {status}",
            f"- Heard from: {t.theme.participants} of {total} participants ({t.theme.passages} passages)",
            f"- Keywords: {', '.join(t.theme.keywords)}",
            f"- Matched codes: {codes}",
        ]
        if v.group_by and t.groups:
            lines.append(f"- Who it came from, by {v.group_by.replace('_', ' ')}: "
                         + "; ".join(f"{g.group}: {g.shown}" for g in t.groups))
        for vd in t.verdicts:
            lines.append(f"- Panel \"{vd['panel']}\" on {vd['date']}: rings true — {vd['rings_true']}"
                         + (f"; would call it \"{vd['call_it']}\"" if vd.get("call_it") else "")
                         + (f"; missing: {vd['missing']}" if vd.get("missing") else "") + f". Outcome: {vd['outcome']}.")
        lines += ["", t.description, ""]
        for q in t.quotes:
            lines += [_quote_block(q.text), f">\n> — {q.participant}, `{q.citation}`", ""]
    lines += ["## Codebook coverage", "", f"Codebook: {v.codebook.name} (version {v.codebook.version}).", "",
              "| Code | Passages | Participants | Themes |", "|---|---:|---:|---|"]
    for c in v.coverage:
        lines.append(f"| {_cell(c.name)} | {c.passages} | {c.participants} | {', '.join(f'Theme {t}' for t in c.themes) or '—'} |")
    lines += ["", "Codes with no supporting passage: " + (", ".join(v.uncovered) or "none") + ".", ""]
    if v.candidate_new_codes:
        lines += ["Themes no code covers (candidate new codes): "
                  + "; ".join(f"Theme {t.theme.id} ({t.label})" for t in v.candidate_new_codes) + ".", ""]
    lines += ["### Suggested new codes", ""]
    if v.code_suggestions:
        lines += [v.suggestion_note + " `wisdoms codebook suggest` writes them as draft codes to paste into the "
                  "codebook.", ""]
    else:
        lines += ["No new code is suggested: every theme is covered by a code, or was rejected or merged by a panel.", ""]
    for c in v.code_suggestions:
        lines += [f"#### {c.name} (from theme {c.theme})", "", f"- Suggested id: `{c.id}`",
                  f"- Suggested definition: {c.definition}",
                  f"- Heard from: {c.participants} of {total} participants ({c.passages} passages)", ""]
        for q in c.quotes:
            lines += [_quote_block(q.text), f">\n> — {q.participant}, `{q.citation}`", ""]
    lines += ["## Framework matrix", ""]
    if v.matrix_shown:
        lines += ["Participants by theme; each cell a short quote with its citation (also in `framework-matrix.csv`).", "",
                  "| Participant | " + " | ".join(_cell(t.label) for t in v.matrix_themes) + " |",
                  "|---|" + "---|" * len(v.matrix_themes)]
        for pid, cells in v.matrix:
            lines.append(f"| {pid} | " + " | ".join(f"\"{_cell(c[0])}\" `{c[1]}`" if c else "" for c in cells) + " |")
    else:
        lines.append(v.matrix_note.replace("framework-matrix.csv", "`framework-matrix.csv`"))
    lines += ["", "## Language check", ""]
    if v.language_flags:
        lines += [f"- {f.kind.capitalize()} {f.id} \"{f.name}\" uses \"{f.term}\": consider \"{f.suggestion}\"."
                  for f in v.language_flags]
    else:
        lines.append("No listed term was found in theme labels or codebook names.")
    lines += ["", "## Passages not yet in a theme", ""]
    lines += [f"- {count} passages: {reason}" for reason, count in v.unassigned_reasons]
    lines += ["", "They are listed in `themes.json` and `passages.csv`; none is dropped.", "", "## Method and run", ""]
    lines += [f"- {k}: {val}" for k, val in v.method]
    for p in v.panels:
        lines.append(f"- Panel: {p['panel']}, {p['date']} (verdicts: {p['verdicts']}; quotes withdrawn: {p['flagged_quotes']})")
    lines.append("")
    return "\n".join(lines)
