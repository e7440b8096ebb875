"""How the codebook guides the themes: codes seed them, themes are named after the code they are, and a check
that the codebook fits the material at all.

Codes seed the themes (deductive): :func:`seed_guide` gives the theme fit each unit of meaning's code where the
codebook confidently covers it (the matcher's top code, assigned by its threshold and margin, from the codebook
alone), at the level of the code's top group in a codebook with groups; sub-themes mostly seeded by one code form
that code's theme (:mod:`wisdoms.themes.structure`), titled with its name and a member's phrase (:func:`name_themes_by_code`). What no code
covers forms new, inductive themes, each with a suggested draft code (:func:`suggest_for_inductive`).

A codebook that does not fit the material is called out (:func:`codebook_fit`). Each code is asked whether it
*singles out* part of the material: whether its similarity to the substantive units of meaning varies across them
as much as a passage's own similarity to the rest of the material does. A code written for this material is near
what it is about and far from the rest; a code written for other material is about as near to everything, so its
matches mean little. Measured (``benchmarks/codebook_fit.py``, BENCHMARKS.md "Codebook fit") on four materials
each with its own codebook and with the three others': 69-86% of a fitting codebook's codes single out part of the
material, 0-33% of a foreign one's. A codebook fits when at least half its codes do, and no one code matches half of
all passages or more (too broad to tell anything apart). The share of passages coded is recorded (``coded_share``)
but raises no alarm: it does not tell fit (the sample with its own codebook: 15% of units; with the NHS one: 20%).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..models import Match, Passage, Quote, Theme
from ..settings import Settings
from ..themes.titles import title_text
from ._model import Codebook

#: A theme takes a code's name when at least this share of its passages carry the code (and the theme matches it).
NAMED_BY_CODE_SHARE = 0.5
#: One code matching at least this share of all passages: it is too broad to tell anything apart.
BROAD_CODE = 0.5
#: A code singles out part of the material when the spread of its similarity across the units of meaning is at
#: least this percentile of the passages' own spreads (as sharp as 4 in 5 of the material's passages). Measured
#: (BENCHMARKS.md, "Codebook fit"), the share of codes singling out part of the material, fitting codebooks
#: against foreign ones: at the 10th percentile 85-94% against 0-50%, at the 20th 69-86% against 0-33%, at the
#: 25th 62-78% against 0-26%: the 20th leaves the widest gap around :data:`SELECTIVE_SHARE`.
PASSAGE_PERCENTILE = 20.0
#: A codebook fits when at least this share of its codes single out part of the material (most of them).
SELECTIVE_SHARE = 0.5
#: Fewer units of meaning than this: too little material to tell whether the codes single anything out.
MIN_UNITS = 20
#: Rows and probes the spreads are measured on (evenly spaced units, so the same material gives the same answer).
MAX_ROWS, MAX_PROBES = 2000, 500


@dataclass(frozen=True)
class CodebookFit:
    """How well a codebook fits the passages it coded.

    Attributes:
        passages: Passages coded.
        coded_share: Share of them with at least one code assigned (recorded; not an alarm).
        broadest_code: The code assigned to most passages, and its share.
        fits: ``False`` when most codes single out nothing in the material, or one code covers half of it.
        note: One plain sentence for the screen and the report when it does not fit (empty when it fits).
        codes: Active codes checked.
        selective_codes: Codes that single out part of the material (``None``: too little material to tell).
        summary: One plain sentence, whether it fits or not (what ``wisdoms run`` prints).
    """

    passages: int
    coded_share: float
    broadest_code: tuple[str, float] | None
    fits: bool
    note: str
    codes: int = 0
    selective_codes: int | None = None
    summary: str = ""


def code_spreads(units: NDArray[np.float32], descriptors: NDArray[np.float32], code_of: Sequence[int], codes: int
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """How sharply each code, and each sampled unit, singles out part of the material.

    Args:
        units: One L2-normalised row per substantive unit of meaning.
        descriptors: The codes' descriptor vectors (L2-normalised), one row per descriptor.
        code_of: The code (column, ``0 .. codes-1``) each descriptor describes.
        codes: Number of codes.

    Returns:
        ``(code_sd, unit_sd)``: per code, the standard deviation across units of its similarity (its closest
        descriptor's) to each; per probe unit (up to :data:`MAX_PROBES`, evenly spaced), the standard deviation of
        its similarity to the other units. Units beyond :data:`MAX_ROWS` are evenly sampled.
    """
    rows = units if len(units) <= MAX_ROWS else units[np.linspace(0, len(units) - 1, MAX_ROWS).round().astype(int)]
    probe_at = np.unique(np.linspace(0, len(rows) - 1, min(MAX_PROBES, len(rows))).round().astype(int))
    sims = (rows @ rows[probe_at].T).astype(np.float64)
    sims[probe_at, np.arange(len(probe_at))] = np.nan  # a unit against itself says nothing
    unit_sd = np.nanstd(sims, axis=0)
    to_desc = rows @ descriptors.T
    owner = np.asarray(code_of)
    code_sd = np.zeros(codes)
    for c in range(codes):
        cols = np.flatnonzero(owner == c)
        if len(cols):
            code_sd[c] = float(np.std(to_desc[:, cols].max(axis=1)))
    return code_sd, unit_sd


def codebook_fit(book: Codebook, passage_ids: Sequence[str], matches: Sequence[Match], *,
                 units: NDArray[np.float32] | None = None, descriptors: NDArray[np.float32] | None = None,
                 code_of: Sequence[int] = (), code_names: Sequence[str] = ()) -> CodebookFit:
    """Whether ``book`` fits the material: how many of its codes single out part of it, and its broadest code.

    Args:
        book: The codebook.
        passage_ids: The substantive passages coded.
        matches: The passages' matches (assigned ones count).
        units: Vectors of the substantive units of meaning (``None``: the singling-out check is not made).
        descriptors: The codes' descriptor vectors; ``code_of`` the column of each; ``code_names`` the name of
            each column's code (their number is the number of codes checked).
    """
    n = len(passage_ids)
    wanted = set(passage_ids)
    coded: set[str] = set()
    per_code: Counter[str] = Counter()
    for m in matches:
        if m.target == "passage" and m.assigned and m.target_id in wanted:
            coded.add(m.target_id)
            per_code[m.code] += 1
    share = len(coded) / n if n else 0.0
    broadest = None
    if per_code:
        code, count = min(per_code.items(), key=lambda kv: (-kv[1], kv[0]))
        broadest = (code, count / n if n else 0.0)
    names = {c.id: c.name for c in book.codes}
    k = len(code_names)
    selective: int | None = None
    if units is not None and descriptors is not None and k and len(units) >= MIN_UNITS:
        code_sd, unit_sd = code_spreads(units, descriptors, code_of, k)
        selective = int(np.sum(code_sd >= np.percentile(unit_sd, PASSAGE_PERCENTILE)))
    notes = []
    if selective is not None and selective < SELECTIVE_SHARE * k:
        few = ("none of them points" if selective == 0 else
               f"only {selective} of them point{'s' if selective == 1 else ''}")  # not "only 0 of them point"
        notes.append(f"this codebook does not suit this material: each of its {k} codes was compared with everything "
                     f"people said, and {few} to particular things people said; the {'codes are' if selective == 0 else 'rest are'} "
                     "about as close to everything, so their matches mean little. Check it is this study's codebook, "
                     "or run without one to draft a starter codebook from the themes")
    if broadest and broadest[1] >= BROAD_CODE:
        notes.append(f"one code, “{names.get(broadest[0], broadest[0])}”, matches {broadest[1]:.0%} of all passages: "
                     "too broad to tell themes apart; consider splitting it")
    note = _sentence("; ".join(notes) + ".") if notes else ""
    if note:
        summary = note
    elif selective is not None:
        summary = (f"The codebook suits this material: each of its {k} codes was compared with everything people "
                   f"said, and {selective} of them point to particular things people said (not to everything alike), "
                   "so where a code matches, the match means something.")
    else:
        summary = "Too little material to check that the codebook fits it." if k else ""
    return CodebookFit(passages=n, coded_share=round(share, 4), broadest_code=broadest, fits=not notes,
                       note=note, codes=k, selective_codes=selective, summary=summary)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def seed_of(book: Codebook) -> dict[str, str]:
    """Each active code's seed: the code at the top of its group (a code's ``parent`` chain; a parent that is no
    code of the book, a group named only in ``parent``, is the top itself), or the code itself in a flat codebook.

    Seeding by top group, against seeding by each code, measured on the two studies whose codebooks have groups
    (AMI of themes against the human codes, BENCHMARKS.md "Theme quality"): pdpilot 0.225 / 0.138, NHS 0.206 /
    0.189; a flat codebook (serdif) is the same either way.
    """
    by_id = {c.id: c for c in book.codes}
    out = {}
    for code in book.active:
        top, seen = code, {code.id}
        while top.parent and top.parent in by_id and top.parent not in seen:
            seen.add(top.parent)
            top = by_id[top.parent]
        out[code.id] = top.parent if top.parent and top.parent not in by_id else top.id
    return out


def seed_name(book: Codebook, seed: str) -> str:
    """The name of a seed: its code's name, or the group's name as ``parent`` gives it."""
    return next((c.name for c in book.codes if c.id == seed), seed)


def guide_key(book: Codebook, settings: Settings) -> str:
    """What identifies the seeds :func:`seed_guide` gives: the active codes and how they are assigned."""
    codes = [[c.id, c.name, c.definition, c.parent, c.include, c.exclude, list(c.examples)] for c in book.active]
    groups = sorted({(c.id, c.name, c.parent, c.status) for c in book.codes if c.status == "group"}, key=str)
    material = json.dumps({"codes": codes, "groups": groups, "threshold": settings.code_threshold,
                           "margin": settings.code_margin}, sort_keys=True, default=str)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]


def seed_guide(book: Codebook, settings: Settings, embed: Callable[[Sequence[str]], NDArray[np.float32]]
               ) -> Callable[[NDArray[np.float32]], tuple[NDArray[np.int64], list[str]]]:
    """The codebook's seeds for a theme fit (:data:`wisdoms.themes.fit.Guide`).

    Each unit of meaning is scored against the codes from the codebook alone (the zero-shot matcher; no learning
    from the batch, so a unit's seed depends only on it and the codebook). A unit is seeded with its best code's
    seed (:func:`seed_of`) when the matcher assigns it that code (``settings.code_threshold`` and ``code_margin``).
    """
    from .matching import CodeMatcher

    seeds = seed_of(book)
    ids = sorted(set(seeds.values()))
    index = {s: i for i, s in enumerate(ids)}

    def guide(vectors: NDArray[np.float32]) -> tuple[NDArray[np.int64], list[str]]:
        out = np.full(len(vectors), -1, dtype=np.int64)
        if not len(vectors) or not ids:
            return out, ids
        matcher = CodeMatcher(book, replace(settings, learn_from_corpus=False)).fit(embed)
        scores = matcher.score(np.asarray(vectors, dtype=np.float32))[0]
        top = np.argmax(scores, axis=1)
        sure = matcher.assigned(scores)[np.arange(len(top)), top]
        column = np.asarray([index[seeds[c.id]] for c in matcher.codes_], dtype=np.int64)
        out[sure] = column[top[sure]]
        return out, ids

    return guide


#: Chooses a title phrase for themes named after a code: given, for each such theme's id, its member passages that
#: carry the code, a member phrase (cited) per theme id, or none where none fits (:func:`name_themes_by_code`).
PhraseChooser = Callable[[Mapping[int, Sequence[str]]], Mapping[int, Quote | None]]


def name_themes_by_code(themes: Sequence[Theme], matches: Sequence[Match], book: Codebook, *,
                        phrases: PhraseChooser | None = None) -> list[Theme]:
    """Themes titled with the name of the code they are.

    A theme the codebook seeded (``origin == "codebook"``) takes its seed's name (:func:`seed_name`); when the
    code's theme was split (over the largest share a theme may hold), the largest part takes it and the others keep
    their own titles. An inductive theme whose best-matching assigned code is carried by at least
    :data:`NAMED_BY_CODE_SHARE` of its passages is that code's theme too: it takes the code's name and becomes
    ``codebook``-origin, unless the code already names a theme; a code names one such theme at most (the one where it
    has the highest share). After the code's name the title keeps a member phrase (:func:`code_title`): given
    ``phrases``, one it chooses among the theme's passages that carry the code (so the phrase is an instance of
    the code), else the phrase the theme was titled with.
    """
    codes_of: dict[str, set[str]] = {}
    for m in matches:
        if m.target == "passage" and m.assigned:
            codes_of.setdefault(m.target_id, set()).add(m.code)
    names = {c.id: c.name for c in book.codes}
    best: dict[str, tuple[float, int]] = {}
    for t in themes:
        assigned = [m for m in t.codes if m.assigned]
        if not assigned or not t.passage_ids:
            continue
        code = assigned[0].code
        share = sum(code in codes_of.get(pid, ()) for pid in t.passage_ids) / len(t.passage_ids)
        if share >= NAMED_BY_CODE_SHARE and (code not in best or share > best[code][0]):
            best[code] = (share, t.id)
    named = {tid: code for code, (_share, tid) in best.items()}
    seeded: dict[str, int] = {}
    for t in sorted(themes, key=lambda t: (-t.passages, t.id)):
        if t.origin == "codebook" and t.seed_code and t.seed_code not in seeded:
            seeded[t.seed_code] = t.id
    by_seed = {tid: seed for seed, tid in seeded.items()}
    tops = seed_of(book)
    named = {tid: code for tid, code in named.items() if code not in seeded and tops.get(code) not in seeded}
    named = {tid: code for tid, code in named.items() if code in names}
    chosen: Mapping[int, Quote | None] = {}
    if phrases is not None:
        carriers = {t.id: [pid for pid in t.passage_ids if _carries(codes_of.get(pid, set()), by_seed[t.id], tops)]
                    if t.id in by_seed else [pid for pid in t.passage_ids if named[t.id] in codes_of.get(pid, set())]
                    for t in themes if t.id in by_seed or (t.id in named and t.origin != "codebook")}
        chosen = phrases({tid: pids for tid, pids in carriers.items() if pids})
    out = []
    for t in themes:
        phrased = t
        if chosen.get(t.id) is not None and t.title_source in ("quote", "keywords"):
            phrased = replace(t, title_quote=chosen[t.id], title_source="quote")
        if t.id in by_seed:
            out.append(replace(phrased, label=code_title(seed_name(book, by_seed[t.id]), phrased), title_source="code"))
            continue
        named_by = named.get(t.id) if t.origin != "codebook" else None
        if named_by is None:
            out.append(t)
            continue
        out.append(replace(phrased, label=code_title(names[named_by], phrased), title_source="code",
                           origin="codebook", seed_code=named_by, suggested_code=""))
    return out


def _carries(codes: set[str], seed: str, tops: Mapping[str, str]) -> bool:
    """Whether a passage with these assigned ``codes`` carries ``seed`` (the code, or one in its group)."""
    return any(c == seed or tops.get(c) == seed for c in codes)


def code_title(name: str, theme: Theme) -> str:
    """The title of ``theme`` named after the code ``name``: the code's name, then the member phrase it was titled
    with (``Staff: “The nurses were so kind and caring”``, still cited by ``theme.title_quote``), so the title says
    which code it is and, in participants' words, what of the code this theme holds. A code's name alone
    ("General", "Staff") does not tell apart themes that all sit near the same codebook. The name alone when the
    theme has no member phrase (titled by keywords)."""
    if theme.title_source != "quote" or theme.title_quote is None:
        return name
    return f"{name.rstrip(' :.')}: {title_text(theme.title_quote, name)}"


def suggest_for_inductive(themes: Sequence[Theme], passages: Sequence[Passage], book: Codebook) -> list[Theme]:
    """Each inductive theme with the name of a draft code suggested for it (``suggested_code``), as
    :func:`wisdoms.codebook.suggest_codes` drafts it (its codes, if some passages match one, set aside: no code
    covers the theme as a whole)."""
    from ..report.language import find_deficit_language
    from .coverage import suggest_codes

    inductive = [replace(t, codes=()) for t in themes if t.origin != "codebook"]
    if not inductive:
        return list(themes)
    names = {s.theme: s.name for s in suggest_codes(inductive, passages, book, screen=find_deficit_language)}
    return [replace(t, suggested_code=names.get(t.id, "")) if t.origin != "codebook" else t for t in themes]
