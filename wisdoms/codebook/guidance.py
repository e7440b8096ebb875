"""How the codebook guides the themes: themes named after the code they clearly are, and a check that the
codebook fits the material at all.

Codes seed the reading of themes (deductive): a theme whose passages mostly carry one code, and which matches
that code, takes the code's name as its title. Themes no code covers stay inductive candidates (the report marks
them and :func:`wisdoms.codebook.suggest_codes` drafts a code for each). A codebook that fits badly, one code
matching half of everything, is called out (:func:`codebook_fit`); the share of passages coded is recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..models import Match, Theme
from ._model import Codebook

#: A theme takes a code's name when at least this share of its passages carry the code (and the theme matches it).
NAMED_BY_CODE_SHARE = 0.5
#: The share of passages matching any code is recorded (``coded_share``) but raises no alarm: measured, it does not
#: tell a codebook that fits from one that does not (the sample with its own codebook: 8% of passages; the ML
#: interviews of ../shared/bench with the sample's homelessness codebook: 22%), passages being short against
#: code definitions.
#: One code matching at least this share of all passages: it is too broad to tell anything apart.
BROAD_CODE = 0.5


@dataclass(frozen=True)
class CodebookFit:
    """How well a codebook fits the passages it coded.

    Attributes:
        passages: Passages coded.
        coded_share: Share of them with at least one code assigned.
        broadest_code: The code assigned to most passages, and its share.
        fits: ``False`` when one code covers half of everything or more.
        note: One plain sentence for the screen and the report (empty when it fits).
    """

    passages: int
    coded_share: float
    broadest_code: tuple[str, float] | None
    fits: bool
    note: str


def codebook_fit(book: Codebook, passage_ids: Sequence[str], matches: Sequence[Match]) -> CodebookFit:
    """Whether ``book`` fits the material: the share of passages it codes and its broadest code."""
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
    notes = []
    if broadest and broadest[1] >= BROAD_CODE:
        notes.append(f"one code, “{names.get(broadest[0], broadest[0])}”, matches {broadest[1]:.0%} of all passages: "
                     "too broad to tell themes apart; consider splitting it")
    note = ("; ".join(notes) + ".") if notes else ""
    return CodebookFit(passages=n, coded_share=round(share, 4), broadest_code=broadest, fits=not notes,
                       note=note[:1].upper() + note[1:])


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
