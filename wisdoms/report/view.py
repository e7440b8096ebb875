"""What every report shows, computed once: the HTML, Word and Markdown writers only lay it out.

Small numbers are suppressed here, in one place: any count of people under :data:`SMALL_NUMBER` in a
breakdown by participant group is shown as ``fewer than 5``. Where exactly one group in a breakdown is
suppressed, the next smallest is suppressed too, so the hidden number cannot be worked out from the total.
Quotes a co-production panel asked not to use (recorded by :func:`wisdoms.panel.apply_decisions`) are
left out of every quote, matrix cell and listing.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import TYPE_CHECKING, Any

from ..groups import NOT_RECORDED, SUPPRESSED, GroupRow, breakdown
from ..models import MARKER_PATTERN, PREFERRED_GROUPS, SMALL_NUMBER, TABLE_FORMATS, CitationSet
from ..segment import HESITATION, REDACTION
from ..themes.prevalence import counting_rule
from ..themes.titles import disfluencies, opening_penalty
from .language import LanguageFlag, check_names, find_deficit_language

if TYPE_CHECKING:  # pragma: no cover
    from ..models import Passage, Quote, Theme
    from ..results import Analysis

MATRIX_WORDS = 14
#: The first screen's quote for a theme is a whole quote of at most this many words where there is one.
STRONG_QUOTE_WORDS = 70
#: ... and of at least this many: a quote of a few words ("Do for someone else what that fella did for me.") leans
#: on talk the reader never sees.
STRONG_QUOTE_MIN_WORDS = 12
#: The framework matrix is laid out in the reports only up to this many participants and themes; beyond
#: that (a survey of thousands of answers) nobody can read it on a page, so the reports point to
#: ``framework-matrix.csv``, which always holds the whole matrix.
MATRIX_MAX_PEOPLE = 200
MATRIX_MAX_THEMES = 60
#: Above this many cells (participants x themes) ``framework-matrix.csv`` is written long, one row per
#: non-empty cell: 50,000 survey answers in 2,363 themes would be 118 million mostly empty cells.
MATRIX_CSV_MAX_CELLS = 5_000_000


def matrix_written_long(view: Any) -> bool:
    """Whether ``framework-matrix.csv`` is written long (one row per non-empty cell), not as a grid: above
    :data:`MATRIX_CSV_MAX_CELLS` cells (``view`` has ``matrix_people`` and ``matrix_themes``)."""
    return len(view.matrix_people) * len(view.matrix_themes) > MATRIX_CSV_MAX_CELLS


#: A participant attribute with more values than this (a row number, a date, a free-text column) is not
#: broken down in "What was listened to": such a table would be one row per person, not groups.
MAX_GROUPS = 50
STATUS_TEXT = {
    "candidate": "Candidate: not yet checked by people",
    "validated": "Validated by a co-production panel",
    "renamed": "Renamed by a co-production panel",
    "merged": "Merged into another theme by a co-production panel",
    "rejected": "Rejected by a co-production panel",
}


@dataclass
class ThemeView:
    """One theme as the reports present it.

    ``label`` is the theme's title where it has one (a panel's name, or a title written for it), else its
    keyword label; ``people`` the number of participants it was heard from.
    """

    theme: Theme
    label: str
    status: str
    status_text: str
    description: str
    codes: list[dict[str, Any]]
    quotes: list[Quote]
    groups: list[GroupRow]
    verdicts: list[dict[str, Any]]
    merged_into: int | None = None
    subthemes: list[str] = field(default_factory=list)
    #: The quote the first screen shows: a whole quote of a readable length where there is one.
    strong_quote: Quote | None = None
    #: The name of the code that seeded the theme (``theme.seed_code`` is its id, "t07"), "" for none.
    seed_name: str = ""

    @property
    def people(self) -> int:
        return self.theme.participants

    @property
    def open(self) -> bool:
        """Still a theme of the findings (not rejected, not merged into another)."""
        return self.status not in ("rejected", "merged")


@dataclass
class CrossView:
    """Themes by one participant attribute, in people, small numbers hidden row by row (:func:`breakdown`).

    Attributes:
        attribute: The participant attribute (``area``).
        groups: Its groups shown as columns: those with at least one count that is not hidden.
        rows: Each open theme with a visible count, and its cells (one :class:`GroupRow` per column).
        hidden_groups: Groups every count of which is hidden (left out of the table, named in a sentence).
        hidden_themes: Open themes every count of which is hidden.
        small_groups: Groups of fewer than :data:`SMALL_NUMBER` people: never a column (every count in them would
            be under 5), named in a sentence; their counts still take part in hiding the others.
    """

    attribute: str
    groups: list[str]
    rows: list[tuple[ThemeView, list[GroupRow]]]
    hidden_groups: list[str]
    hidden_themes: list[ThemeView]
    small_groups: list[str] = field(default_factory=list)


@dataclass
class ReportView:
    """Everything a report shows."""

    title: str
    summary: dict[str, int]
    words: int
    group_by: str | None
    listened: dict[str, list[GroupRow]]
    #: Attributes not broken down, each with its number of different values (more than :data:`MAX_GROUPS`).
    not_grouped: list[tuple[str, int]]
    themes: list[ThemeView]
    matrix_themes: list[ThemeView]
    #: The matrix's people (rows), in order, and its non-empty cells: (participant, theme id) -> (short
    #: quote, citation). :attr:`matrix` lays it out as rows, but only when :attr:`matrix_shown`.
    matrix_people: list[str]
    matrix_cells: dict[tuple[str, int], tuple[str, str]]
    coverage: list[Any]
    uncovered: list[str]
    candidate_new_codes: list[ThemeView]
    unassigned_reasons: list[tuple[str, int]]
    unassigned: list[dict[str, str]]
    language_flags: list[LanguageFlag]
    method: list[tuple[str, str]]
    panels: list[dict[str, Any]]
    codebook: Any
    #: Draft codes suggested for the themes no code covers (see :func:`wisdoms.codebook.suggest_codes`).
    #: Transcript files the run could not read and went on without: ``(file, reason)``.
    unread: list[tuple[str, str]] = field(default_factory=list)
    code_suggestions: list[Any] = field(default_factory=list)
    suggestion_note: str = ""
    #: What was read, in words: "12 conversations", "1 survey table", "12 conversations and 1 survey table".
    sources: str = ""
    #: Themes by participant group, or ``None`` when no attribute has two groups of :data:`SMALL_NUMBER` or
    #: more people (every comparison would be hidden).
    cross: CrossView | None = None
    #: Attributes considered for :attr:`cross` (with 2 or more groups), for the sentence that replaces it.
    cross_candidates: list[str] = field(default_factory=list)
    #: Whether the codebook fits the material, in one sentence (``manifest.json``, ``codebook_fit``), or that the
    #: run had no codebook.
    codebook_note: str = ""
    #: Whether that sentence is a warning (the codebook does not fit the material).
    codebook_warns: bool = False
    #: What a theme's count of people counts, in one line (empty for an analysis saved before it was recorded).
    prevalence_note: str = ""
    #: Whether every input is a survey table (people answered; nobody was listened to in a conversation).
    surveys_only: bool = False

    @property
    def ranked(self) -> list[ThemeView]:
        """Open themes, heard from the most people first (then most passages, then theme number)."""
        return sorted((t for t in self.themes if t.open), key=lambda t: (-t.people, -t.theme.passages, t.theme.id))

    @property
    def without_codebook(self) -> bool:
        """Whether the run had no codebook: every theme found inductively, none matched to a code."""
        codes = getattr(self.codebook, "codes", None)
        return codes is not None and not codes

    @property
    def said(self) -> str:
        """What people's words are called: "talk" in conversations, "answers" in survey tables alone."""
        return "answers" if self.surveys_only else "talk"

    @property
    def headline(self) -> str:
        """The report's opening sentences (the same in every format)."""
        s = self.summary
        return (f"{self.sources} with {_count(s['participants'], 'participant')}: {_count(self.words, 'word')} of "
                f"their own in {_count(s['passages'], 'passage')}. {_count(s['themes'], 'theme')}; "
                f"{_count(s['unassigned'], 'passage')} not yet in a theme"
                + (f"; {_count(s['content_free'], 'passage')} of content-free {self.said} set aside." if s.get("content_free")
                   else "."))

    @property
    def not_grouped_note(self) -> str:
        """Which attributes "What was listened to" does not break down, and why ("" when none)."""
        if not self.not_grouped:
            return ""
        listed = "; ".join(f"{attr.replace('_', ' ')} ({n:,} different values)" for attr, n in self.not_grouped)
        return (f"Not broken down, because they have more than {MAX_GROUPS} different values (a row number, a date or "
                f"free text is not a group): {listed}.")

    @property
    def matrix_shown(self) -> bool:
        """Whether the reports lay the matrix out (small enough to read), else they point to the CSV."""
        return len(self.matrix_people) <= MATRIX_MAX_PEOPLE and len(self.matrix_themes) <= MATRIX_MAX_THEMES

    @property
    def matrix_note(self) -> str:
        """What the reports say instead of the matrix when it is too large to lay out."""
        long = matrix_written_long(self)
        return (f"The matrix has {len(self.matrix_people):,} participants and {len(self.matrix_themes):,} themes, too "
                f"many to read on a page (the reports lay it out up to {MATRIX_MAX_PEOPLE} participants and "
                f"{MATRIX_MAX_THEMES} themes). The whole matrix is in framework-matrix.csv beside this report, "
                + ("one row per participant and theme they spoke to (participant, theme, theme_label, quote, "
                   "citation), because a grid would have more than "
                   f"{MATRIX_CSV_MAX_CELLS:,} cells; a spreadsheet's pivot table lays it out as a grid." if long
                   else "for a spreadsheet.")
                + " framework-matrix.xlsx holds it one row per participant and theme they spoke to, headings "
                  "filtered and frozen.")

    @property
    def matrix(self) -> list[tuple[str, list[tuple[str, str] | None]]]:
        """One row per participant: (participant, a cell per matrix theme, ``None`` where they said nothing)."""
        return [(pid, [self.matrix_cells.get((pid, v.theme.id)) for v in self.matrix_themes])
                for pid in self.matrix_people]


def _count(n: int, word: str) -> str:
    """``1 theme``, ``12 themes``, ``10,302 participants``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def describe_sources(transcripts: Any) -> str:
    """The inputs in words: conversations and survey tables (``.csv``/``.xlsx``, one answer a row) counted apart."""
    tables = sum(1 for t in transcripts if getattr(t, "format", "") in TABLE_FORMATS)
    conversations = len(transcripts) - tables
    parts = ([_count(conversations, "conversation")] if conversations or not tables else []) + (
        [_count(tables, "survey table")] if tables else [])
    return " and ".join(parts)


def choose_group_attribute(people: dict[str, dict[str, str]]) -> str | None:
    """The participant attribute themes are broken down by, among those with two or more groups of
    :data:`SMALL_NUMBER` or more people (the only counts a breakdown can show): one of
    :data:`PREFERRED_GROUPS` (``area`` ...) where there is one, else the one with the fewest groups (three
    trusts compare at a glance; forty answer categories do not), then the most groups shown. ``None`` when
    no attribute has two such groups."""
    keys: list[str] = []
    for attrs in people.values():
        keys += [k for k in attrs if k not in keys and k != "participant"]
    usable: dict[str, tuple[int, int]] = {}
    for k in keys:
        sizes = Counter(people[p].get(k) or NOT_RECORDED for p in people)
        shown = sum(n >= SMALL_NUMBER for n in sizes.values())
        if 1 < len(sizes) <= MAX_GROUPS and (len(sizes) < len(people) or len(people) < 3) and shown >= 2:
            usable[k] = (len(sizes), shown)
    for preferred in PREFERRED_GROUPS:
        if preferred in usable:
            return preferred
    if not usable:
        return None
    return min(usable, key=lambda k: (usable[k][0], -usable[k][1], keys.index(k)))


def cross_view(themes: Sequence[ThemeView], people: dict[str, dict[str, str]], who_of: dict[int, set[str]],
               attribute: str | None) -> CrossView | None:
    """Open themes by the groups of ``attribute``, in people, each theme's row suppressed as in :func:`breakdown`.

    ``None`` when no attribute is given or fewer than two of its groups have :data:`SMALL_NUMBER` or more people.
    """
    if not attribute:
        return None
    group_of = {p: people[p].get(attribute) or NOT_RECORDED for p in people}
    sizes = Counter(group_of.values())
    if sum(n >= SMALL_NUMBER for n in sizes.values()) < 2:
        return None
    order = sorted(sizes, key=lambda g: (g == NOT_RECORDED, g))
    rows = []
    for t in sorted((t for t in themes if t.open), key=lambda t: (-t.people, -t.theme.passages, t.theme.id)):
        counts = Counter(group_of[p] for p in who_of.get(t.theme.id, ()) if p in group_of)
        cells = {r.group: r for r in breakdown({g: counts.get(g, 0) for g in order}, hide_zero=True)}
        rows.append((t, [cells[g] for g in order]))
    # A theme's total is printed (n of N), so one hidden count in a row could be worked out from it and the
    # rest; where secondary suppression found nothing else to hide, the whole row is hidden.
    rows = [(t, cells if sum(c.suppressed for c in cells) != 1 else [_hidden(c) for c in cells]) for t, cells in rows]
    small = [g for g in order if sizes[g] < SMALL_NUMBER]  # never a column: every count in it is under 5
    visible = [i for i, g in enumerate(order)
               if g not in small and any(not cells[i].suppressed for _, cells in rows)]
    shown_rows = [(t, [cells[i] for i in visible]) for t, cells in rows if any(not cells[i].suppressed for i in visible)]
    return CrossView(
        attribute=attribute, groups=[order[i] for i in visible], rows=shown_rows,
        hidden_groups=[g for i, g in enumerate(order) if i not in visible and g not in small],
        hidden_themes=[t for t, cells in rows if not any(not cells[i].suppressed for i in visible)],
        small_groups=small,
    )


def _hidden(row: GroupRow) -> GroupRow:
    return GroupRow(row.group, row.people, SUPPRESSED, True, dict(row.extra))


#: A quote ending on one of these trails off mid-thought ("... I guess I'd be curious like."): the point is in
#: what came next, which the reader never sees. Not "so", "that", "to", "of", "with": "I don't think so.",
#: "I liked that.", "I wanted to.", "what I was scared of." are whole.
TRAILING_WORDS = frozenset("like the a an and or but because than um uh er erm".split())
#: A transcriber's note in round brackets ("(The participant reads the task again)"): not the participant's words.
_NOTE = re.compile(r"\([^()\n]{0,80}\b(?:participant|reads|inaudible|unintelligible|laughs?|pause)\b[^()\n]{0,80}\)",
                   re.IGNORECASE)


def quote_faults(text: str) -> tuple[int, int]:
    """What keeps a quote from standing on its own, as ``(serious, minor)`` counts. Serious: it trails off
    mid-thought ("... most in line with like the."), it is mostly redaction marks (every word a run of the letter X),
    or it holds a transcriber's note ("(The participant reads the task again)") or a transcription mark.
    Minor: each hesitation ("uh") or spoken discourse marker ("kind of", "you know"), and an opening that points
    back ("He ...": 1) or starts mid-thought ("And ...": 2)."""
    words = MARKER_PATTERN.sub(" ", text).split()
    if not words:
        return 1, 0
    bare = [w.strip(",.!?;:\"'“”‘’()…").lower() for w in words]
    serious = 0
    if sum(1 for w in bare if REDACTION.fullmatch(w)) * 10 >= 3 * len(words):  # 3 words in 10 or more redacted
        serious += 1
    if bare[-1] in TRAILING_WORDS or text.rstrip().endswith((",", "-", "—")):
        serious += 1
    if _NOTE.search(text) or MARKER_PATTERN.search(text):
        serious += 1
    minor = sum(1 for w in bare if w and (HESITATION.match(w) or w in ("uh", "um", "er", "erm")))
    return serious, minor + disfluencies(text) + opening_penalty(text)


def standing_rank(text: str, typical: float | None = None) -> tuple[bool, bool, bool]:
    """How well a quote stands on its own, best first when sorted: nothing serious (:func:`quote_faults`), then
    12 to 70 words (a quote of a few words, "Do for someone else what that fella did for me.", leans on talk the
    reader never sees), then at most one minor fault.

    ``typical``: the median words of the theme's passages. Where that is under 12 (survey answers: "Nothing.",
    "Staff were lovely."), a short answer is what the theme is, and a long one is not typical of it: a quote of
    up to three times the typical length, and at least 12 words, is the right size."""
    serious, minor = quote_faults(text)
    low, high = STRONG_QUOTE_MIN_WORDS, STRONG_QUOTE_WORDS
    if typical is not None and typical < low:
        low, high = max(1, round(typical)), max(low, round(3 * typical))
    sized = low <= len(text.split()) <= high
    return serious > 0, not sized, minor > 1


def _typical_words(theme: Theme, passages: dict[str, Passage]) -> float | None:
    """The median words of ``theme``'s passages (``None`` when none is at hand)."""
    words = [passages[i].words for i in theme.passage_ids if i in passages]
    return median(words) if words else None


def strong_quote(quotes: Sequence[Quote], typical: float | None = None) -> Quote | None:
    """The quote to show first, the one a reader of the first screen sees for the theme: the first (most
    representative) of those that stand best on their own (:func:`standing_rank`, ``typical`` the median words
    of the theme's passages). One that trails off, is mostly redacted or holds a transcriber's note is shown only
    when every quote does."""
    return min(quotes, key=lambda q: standing_rank(q.text, typical)) if quotes else None  # min keeps the first of equals


def _description(theme: Theme, code_names: dict[str, str], code_defs: dict[str, str]) -> str:
    """The theme's own description where the themes stage wrote one (after a panel's name once renamed),
    else :func:`describe_theme`."""
    written = str(getattr(theme, "description", "") or "")
    if not written:
        return describe_theme(theme, code_names, code_defs)
    if theme.status == "renamed":
        return f"A co-production panel named this “{theme.label}”. {written}"
    return written


def _subtheme_names(theme: Theme) -> list[str]:
    """A theme's sub-themes by name, where the themes stage gave it some (a name, or a record with one)."""
    found = getattr(theme, "subthemes", None) or getattr(theme, "sub_themes", None) or ()
    names = []
    for sub in found:
        name = sub if isinstance(sub, str) else (getattr(sub, "title", "") or getattr(sub, "label", "")
                                                  or (sub.get("title") or sub.get("label") if isinstance(sub, dict) else ""))
        if name:
            names.append(str(name))
    return names


def flagged_citations(analysis: Analysis) -> set[str]:
    """Citations (``transcript:start-end``) of quotes a panel asked not to use."""
    return CitationSet(analysis.panel_decisions.flagged) if analysis.panel_decisions else CitationSet()


def _citation(p: Passage) -> str:
    return f"{p.transcript}:{p.start}-{p.end}"


def _short(text: str, words: int = MATRIX_WORDS) -> str:
    parts = " ".join(text.split()).split(" ")
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def describe_theme(theme: Theme, code_names: dict[str, str], code_defs: dict[str, str]) -> str:
    """A plain description from the theme's own description (built from its passages), its name (a panel's,
    once renamed) and closest code (no labels about people)."""
    kws = [k for k in theme.keywords[:4]]
    listed = ", ".join(kws[:-1]) + " and " + kws[-1] if len(kws) > 1 else (kws[0] if kws else "this")
    if theme.status == "renamed":
        text = f"A co-production panel named this “{theme.label}”. " + (theme.description or f"Words people used often: {listed}.")
    else:
        text = theme.description or "People talked about " + listed + "."
    if theme.codes:
        best = theme.codes[0].code
        text += f" Closest code: {code_names.get(best, best)}"
        if code_defs.get(best):
            text += f" — {code_defs[best].strip().rstrip('.')}."
        else:
            text += "."
    elif code_names:
        text += " No code in the codebook covers it yet: a candidate new code (found inductively)."
    else:
        text += " Found inductively (no codebook): a draft code for it is in starter-codebook.yaml."
    return text


def build_view(analysis: Analysis, *, group_by: str | None = None, suggestions: Sequence[Any] | None = None) -> ReportView:
    """Compute everything the reports show from an analysis (no analysis is done here).

    Args:
        analysis: The run's results.
        group_by: The participant attribute themes are broken down by (default: :func:`choose_group_attribute`).
        suggestions: The draft codes for uncovered themes (:func:`code_suggestions`), when already made, so
            they are made once per write.
    """
    people = analysis.participants
    group_by = group_by or choose_group_attribute(people)
    flagged = flagged_citations(analysis)
    passages = {p.id: p for p in analysis.passages}
    code_names = {c.id: c.name for c in analysis.codebook.codes}
    code_defs = {c.id: c.definition for c in analysis.codebook.codes}
    verdicts_of = dict(analysis.panel_decisions.verdicts) if analysis.panel_decisions else {}

    words_of: Counter[str] = Counter()
    conversations_of: dict[str, set[str]] = defaultdict(set)
    for p in analysis.passages:
        words_of[p.participant] += p.words
        conversations_of[p.participant].add(p.transcript)
    for t in analysis.transcripts:
        for pid in t.participants:
            conversations_of[pid].add(t.id)

    listened: dict[str, list[GroupRow]] = {}
    surveys_only = bool(analysis.transcripts) and all(
        getattr(t, "format", "") in TABLE_FORMATS for t in analysis.transcripts)
    not_grouped: list[tuple[str, int]] = []
    attributes: list[str] = []
    for attrs in people.values():
        attributes += [k for k in attrs if k not in attributes and k != "participant"]
    for attr in attributes:
        members: dict[str, list[str]] = defaultdict(list)
        for p in people:
            members[people[p].get(attr) or NOT_RECORDED].append(p)
        if len(members) > MAX_GROUPS:
            not_grouped.append((attr, len(members)))
            continue
        extra = {  # a survey table is one file of many people: a count of "conversations" there says nothing
            group: ({} if surveys_only else {"conversations": f"{len(set().union(*(conversations_of[m] for m in who))):,}"})
            | {"words": f"{sum(words_of[m] for m in who):,}"}
            for group, who in members.items()
        }
        listened[attr] = breakdown({group: len(who) for group, who in members.items()}, extra=extra)

    theme_views = []
    who_of: dict[int, set[str]] = {}
    owner = {pid: p.participant for pid, p in passages.items()}
    for t in analysis.themes:
        quotes = [q for q in t.quotes if q.citation not in flagged]
        who = t.counted(owner)  # the people counted for it, as its count is (small numbers hidden alike)
        who_of[t.id] = who
        groups = []
        if group_by:
            counts = Counter(people.get(p, {}).get(group_by) or NOT_RECORDED for p in who)
            every = {people[p].get(group_by) or NOT_RECORDED for p in people}
            groups = breakdown({g: counts.get(g, 0) for g in every}, hide_zero=True)
        label = str(getattr(t, "title", "") or t.label)
        verdicts = [_shown_verdict(vd) for vd in verdicts_of.get(str(t.id), [])]
        merged_into = next((v.get("merged_into") for v in reversed(verdicts) if v.get("merged_into") is not None), None)
        theme_views.append(ThemeView(
            theme=t, label=label, status=t.status, status_text=STATUS_TEXT.get(t.status, t.status),
            description=_description(t, code_names, code_defs),
            codes=[{"id": m.code, "name": code_names.get(m.code, m.code), "score": m.score, "evidence": m.evidence.words()}
                   for m in t.codes],
            quotes=quotes, groups=groups, verdicts=verdicts, merged_into=merged_into,
            subthemes=_subtheme_names(t),
            strong_quote=strong_quote(quotes, _typical_words(t, passages)),
            seed_name=code_names.get(str(getattr(t, "seed_code", "") or ""), ""),
        ))

    matrix_themes = [v for v in theme_views if v.status not in ("rejected", "merged")]
    first_passage: dict[tuple[str, int], Passage] = {}
    for v in matrix_themes:
        for pid in v.theme.passage_ids:
            p = passages.get(pid)
            if p is None or _citation(p) in flagged:
                continue
            key = (p.participant, v.theme.id)
            if key not in first_passage or p.words > first_passage[key].words:
                first_passage[key] = p
    matrix_cells = {key: (_short(p.text), _citation(p)) for key, p in first_passage.items()}

    texts = {t.id: t.text for t in analysis.transcripts}
    unassigned = []
    for u in analysis.unassigned:
        citation = f"{u.transcript}:{u.start}-{u.end}"
        withheld = citation in flagged
        unassigned.append({
            "citation": citation, "participant": u.participant, "reason": u.reason,
            "text": "(withheld at a co-production panel's request)" if withheld else texts[u.transcript][u.start:u.end],
        })

    m = analysis.manifest
    models = m.get("models", {}) or {}
    emb = models.get("embedding", {}) or {}
    th = m.get("themes", {}) or {}
    packages = m.get("packages", {}) or {}
    def known(value: Any) -> str:  # a value the manifest does not hold reads "not recorded", never "None"
        return NOT_RECORDED if value is None or value == "" else str(value)

    method = [
        ("Seed", known(m.get("seed"))),
        ("Embedding model", f"{known(emb.get('model'))} ({known(emb.get('fingerprint'))})"),
        ("spaCy pipeline", known(models.get("spacy"))),
        ("Themes", f"BERTopic; {known(th.get('reduction'))} reduction, HDBSCAN (smallest theme "
                   f"{known(th.get('min_cluster_size'))} passages)"),
        ("Run", f"{known(m.get('created'))}, wisdoms {known(m.get('wisdoms'))}, Python {known(m.get('python'))}"),
        ("Package versions", ", ".join(f"{k} {v}" for k, v in packages.items()) or "not recorded"),
        ("Codebook", f"{analysis.codebook.name} (version {analysis.codebook.version})" if analysis.codebook.codes
         else "none: every theme was found inductively"),
    ]
    unread = [(str(u["id"]), str(u["reason"])) for u in (m.get("inputs") or {}).get("unread") or []]
    panel = analysis.panel_decisions
    if panel:
        # The file's name only: a report is shared, and a local path says whose machine made it.
        name = panel.file.replace("\\", "/").rsplit("/", 1)[-1]
        method.append(("Panel decisions", f"{name} (sha256 {str(panel.sha256)[:12]})"))

    fit = analysis.manifest.get("codebook_fit") or {}
    codebook_note = _with_theme_matches(str(fit.get("summary") or fit.get("note") or ""), fit, theme_views) or (
        "No codebook was given: every theme was found and named inductively, and starter-codebook.yaml beside this "
        "report drafts one code per theme to start a codebook from." if not analysis.codebook.codes else "")
    return ReportView(
        codebook_note=codebook_note, codebook_warns=fit.get("fits") is False,
        prevalence_note=(counting_rule(len(analysis.themes)) if any(t.participant_ids is not None for t in analysis.themes)
                         else ""),
        title="Themes from the survey answers" if surveys_only else "Themes from the listening conversations",
        surveys_only=surveys_only,
        summary=analysis.summary(),
        words=sum(words_of.values()),
        group_by=group_by,
        cross=cross_view(theme_views, people, who_of, group_by),
        cross_candidates=[a for a in attributes if 1 < len({people[p].get(a) or NOT_RECORDED for p in people}) <= MAX_GROUPS],
        listened=listened,
        not_grouped=not_grouped,
        themes=theme_views,
        matrix_themes=matrix_themes,
        matrix_people=sorted(people),
        matrix_cells=matrix_cells,
        coverage=list(analysis.coverage),
        uncovered=[c.name for c in analysis.uncovered_codes()],
        candidate_new_codes=[v for v in theme_views if not v.theme.codes],
        unassigned_reasons=reason_lines([u.reason for u in analysis.unassigned], theme_views, analysis.passages),
        unassigned=unassigned,
        language_flags=check_names(analysis.codebook, analysis.themes),
        method=method,
        unread=unread,
        panels=list(panel.panels) if panel else [],
        codebook=analysis.codebook,
        code_suggestions=code_suggestions(analysis) if suggestions is None else list(suggestions),
        suggestion_note=_machine_note(),
        sources=describe_sources(analysis.transcripts),
    )


#: A passage left out of every theme for being far from them all, with the nearest sub-theme and its similarity.
_NOT_CLOSE = re.compile(r"^not close enough to any theme \(nearest: (?:theme (\d+), )?sub-theme (\d+), "
                        r"similarity (-?[\d.]+)")
#: Nearest themes named by title in the one line for passages not close to any theme.
NEAREST_NAMED = 3


def content_free(reason: str) -> bool:
    """Whether a passage was set aside as content-free talk (never themed, not "not yet in a theme")."""
    return reason.startswith("content-free")


def reason_lines(reasons: Sequence[str], themes: Sequence[ThemeView], passages: Sequence[Passage]) -> list[tuple[str, int]]:
    """Why passages are in no theme, one line per reason with its count of passages (most first): every
    "not close enough to any theme" joins one line, its similarities as a range and its nearest themes named by
    title (sub-theme numbers mean nothing to a reader)."""
    theme_of_sub: dict[int, ThemeView] = {}
    in_theme = {pid: v for v in themes for pid in v.theme.passage_ids}
    for p in passages:  # a theme of one strand lists no sub-theme: its passages say which it was
        sub = getattr(p, "subtheme", None)
        if isinstance(sub, int) and p.id in in_theme:
            theme_of_sub.setdefault(sub, in_theme[p.id])
    for v in themes:
        for st in v.theme.subthemes:
            theme_of_sub[int(st.id)] = v
    by_id = {v.theme.id: v for v in themes}
    plain: Counter[str] = Counter()
    sims: list[float] = []
    nearest: Counter[str] = Counter()
    for reason in reasons:
        m = _NOT_CLOSE.match(reason)
        if not m:
            plain[reason] += 1
            continue
        sims.append(float(m.group(3)))
        near = by_id.get(int(m.group(1))) if m.group(1) else theme_of_sub.get(int(m.group(2)))
        if near is not None:
            nearest[near.label] += 1
    lines = list(plain.items())
    if sims:
        low, high = min(sims), max(sims)
        span = f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f} to {high:.2f}"
        line = (f"not close enough in meaning to any theme: each is less like its nearest theme than that theme's "
                f"own passages are (similarity {span})")
        if nearest:
            named = nearest.most_common(NEAREST_NAMED)
            line += "; nearest theme: " + "; ".join(f"{label} ({_count(n, 'passage')})" for label, n in named)
            others = len(sims) - sum(n for _, n in named)
            if others > 0:
                line += f"; other themes ({_count(others, 'passage')})"
        lines.append((line, len(sims)))
    return sorted(lines, key=lambda item: (-item[1], item[0]))


def _with_theme_matches(note: str, fit: dict[str, Any], themes: Sequence[ThemeView]) -> str:
    """The codebook check, and where the codebook suits the material but few themes match a code, that too: a
    codebook can suit the material and still not name most of what people raised (not a contradiction)."""
    open_themes = [t for t in themes if t.open]
    if not note or fit.get("fits") is not True or not open_themes:
        return note
    matched = sum(1 for t in open_themes if t.codes)
    if matched * 2 > len(open_themes):
        return note
    n = len(open_themes)
    if matched == 0:
        said = f"None of the {n} themes matches a code, though"
    else:
        said = f"Only {matched} of the {n} themes match{'es' if matched == 1 else ''} a code, though"
    return (f"{note} {said}: the others are about things the codebook does not name yet. Each is a candidate new code "
            "(see the suggested new codes below) to add to the codebook or to fold into a code it has.")


def code_suggestions(analysis: Analysis) -> list[Any]:
    """Machine-suggested draft codes for the themes no code covers, never quoting a withdrawn passage."""
    from ..codebook.coverage import suggest_codes

    return suggest_codes(analysis.themes, analysis.passages, analysis.codebook, screen=find_deficit_language,
                         exclude=flagged_citations(analysis))


def _machine_note() -> str:
    from ..codebook.coverage import MACHINE_NOTE

    return MACHINE_NOTE


def _shown_verdict(verdict: dict[str, Any]) -> dict[str, Any]:
    """A verdict as the reports print it: a merge says which theme it joined, in the report's own theme numbers,
    instead of the panel's "same as card 2" (card numbers mean nothing outside the pack)."""
    shown = dict(verdict)
    if shown.get("merged_into") is not None:
        shown["call_it"] = ""
        shown["outcome"] = f"merged into theme {shown['merged_into']}"
    return shown
