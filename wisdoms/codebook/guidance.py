"""How the codebook guides the themes: themes named after the code they clearly are, and a check that the
codebook fits the material at all.

Codes seed the reading of themes (deductive): a theme whose passages mostly carry one code, and which matches
that code, takes the code's name as its title. Themes no code covers stay inductive candidates (the report marks
them and :func:`wisdoms.codebook.suggest_codes` drafts a code for each).

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

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ..models import Match, Theme
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
        notes.append(f"this codebook does not fit the material: only {selective} of its {k} codes single out some "
                     "passages more than others, as 4 in 5 of the passages themselves do; the rest are about as near "
                     "to everything, so their matches mean little. Check it is this study's codebook, or run without "
                     "one to draft a starter codebook")
    if broadest and broadest[1] >= BROAD_CODE:
        notes.append(f"one code, “{names.get(broadest[0], broadest[0])}”, matches {broadest[1]:.0%} of all passages: "
                     "too broad to tell themes apart; consider splitting it")
    note = _sentence("; ".join(notes) + ".") if notes else ""
    if note:
        summary = note
    elif selective is not None:
        summary = (f"The codebook fits the material: {selective} of its {k} codes single out some passages more than "
                   "others, as most passages do.")
    else:
        summary = "Too little material to check that the codebook fits it." if k else ""
    return CodebookFit(passages=n, coded_share=round(share, 4), broadest_code=broadest, fits=not notes,
                       note=note, codes=k, selective_codes=selective, summary=summary)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def name_themes_by_code(themes: Sequence[Theme], matches: Sequence[Match], book: Codebook) -> list[Theme]:
    """Themes whose passages mostly carry the code they match, titled with that code's name.

    A theme qualifies when its best-matching assigned code is carried by at least :data:`NAMED_BY_CODE_SHARE` of
    its passages; a code names one theme at most (the one where it has the highest share). The member phrase
    the theme was titled with stays in its description.
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
    out = []
    for t in themes:
        named_by = named.get(t.id)
        if named_by is None or named_by not in names:
            out.append(t)
            continue
        said = f" In participants' words: {t.label}." if t.title_source == "quote" else ""
        out.append(replace(t, label=names[named_by], title_source="code", description=t.description + said))
    return out
