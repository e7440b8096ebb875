"""Coverage: which codes have evidence, in how many passages and participants, and in which themes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Match, Passage, Theme
from ._model import Codebook


@dataclass(frozen=True)
class CodeCoverage:
    """Evidence for one active code.

    Attributes:
        code: Code id.
        name: Code name.
        passages: Passages assigned the code.
        participants: Distinct participants among them.
        themes: Ids of themes matched to the code.
    """

    code: str
    name: str
    passages: int
    participants: int
    themes: tuple[int, ...]


def coverage(codebook: Codebook, passages: Sequence[Passage], passage_matches: Sequence[Match],
             themes: Sequence[Theme]) -> list[CodeCoverage]:
    """One :class:`CodeCoverage` per active code, in codebook order (codes with none included)."""
    who = {p.id: p.participant for p in passages}
    hits: dict[str, set[str]] = {}
    for m in passage_matches:
        if m.assigned and m.target == "passage":
            hits.setdefault(m.code, set()).add(m.target_id)
    in_themes: dict[str, list[int]] = {}
    for theme in themes:
        for m in theme.codes:
            if m.assigned:
                in_themes.setdefault(m.code, []).append(theme.id)
    return [
        CodeCoverage(code.id, code.name, len(hits.get(code.id, ())),
                     len({who[p] for p in hits.get(code.id, ()) if p in who}), tuple(sorted(in_themes.get(code.id, ()))))
        for code in codebook.active
    ]
