"""``report.md``: the theme report as Markdown, for wikis and version control."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..pipeline import Analysis


def _quote_block(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in text.splitlines())


def render_markdown(analysis: Analysis) -> str:
    """The report as Markdown: summary, themes with verbatim quotes and citations, coverage, method."""
    s = analysis.summary()
    total = s["participants"]
    names = {c.id: c.name for c in analysis.codebook.codes}
    lines = [
        "# Themes from the listening conversations",
        "",
        f"{s['transcripts']} conversations with {total} participants; {s['passages']} passages of the "
        f"participants' own words. {s['themes']} candidate themes; {s['unassigned']} passages not yet in a theme.",
        "",
        "Themes are **candidates** found by a machine. They stay candidates until people (the research team and "
        "a co-production panel) accept, rename or reject them. Prevalence is counted in people, not passages; "
        "interviewers' words are never counted.",
        "",
    ]
    for t in analysis.themes:
        codes = ", ".join(f"{names.get(m.code, m.code)} ({m.score:.2f})" for m in t.codes) or "none — candidate new code"
        lines += [
            f"## Theme {t.id}: {t.label}",
            "",
            f"- Status: {t.status}",
            f"- Heard from: {t.participants} of {total} participants ({t.passages} passages)",
            f"- Keywords: {', '.join(t.keywords)}",
            f"- Codes: {codes}",
            "",
        ]
        for q in t.quotes:
            lines += [_quote_block(q.text), f">\n> — {q.participant}, `{q.citation}`", ""]
    lines += ["## Codebook coverage", "", "| Code | Passages | Participants | Themes |", "|---|---:|---:|---|"]
    for c in analysis.coverage:
        lines.append(f"| {c.name} | {c.passages} | {c.participants} | {', '.join(map(str, c.themes)) or '—'} |")
    uncovered = analysis.uncovered_codes()
    lines += ["", "Codes with no supporting passage: " + (", ".join(c.name for c in uncovered) or "none") + ".", ""]
    candidates = analysis.candidate_new_codes()
    if candidates:
        lines += ["Themes no code covers (candidate new codes): "
                  + "; ".join(f"Theme {t.id} ({t.label})" for t in candidates) + ".", ""]
    lines += ["## Passages not yet in a theme", ""]
    reasons: dict[str, int] = {}
    for u in analysis.unassigned:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        lines.append(f"- {count} passages: {reason}")
    lines += ["", "They are listed in `themes.json` and `passages.csv`; none is dropped.", ""]
    m = analysis.manifest
    lines += [
        "## Method and run",
        "",
        f"- Seed: {m.get('seed')}",
        f"- Embedding model: {m.get('models', {}).get('embedding', {}).get('model')}",
        f"- spaCy pipeline: {m.get('models', {}).get('spacy')}",
        f"- Themes: BERTopic with {m.get('themes', {}).get('reduction')} reduction and HDBSCAN "
        f"(smallest theme {m.get('themes', {}).get('min_cluster_size')} passages)",
        f"- Run: {m.get('created')}, wisdoms {m.get('wisdoms')}",
        "",
    ]
    return "\n".join(lines)
