"""Units of meaning: what themes are found in.

A passage is one to three sentences, often too little to carry a point ("And then it got worse."). Themes are
found in units instead: the consecutive passages of one participant turn, kept together while they stay on one
point (each next passage close enough in meaning to the unit so far) and up to :data:`UNIT_MAX_WORDS` words. A
survey answer is one turn, so an answer split into passages is themed whole. A unit's vector is the mean of its
passages' vectors (nothing is embedded again), and every passage takes its unit's theme.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..models import Passage

#: A unit stops growing at about this many words (a long monologue holds several points).
UNIT_MAX_WORDS = 120
#: A passage starts a new unit when its cosine to the unit so far is below this: unrelated in meaning (0 is
#: orthogonal), the speaker moved to another point. Measured (benchmarks/theme_quality.py, AMI of themes against
#: the human codes): 0.25 split points that belong together (pdpilot 0.151, serdif 0.241); never splitting, 0.172
#: and 0.260; 0.0, 0.205 and 0.270; 0.1, 0.173 and 0.256 (BENCHMARKS.md, "Theme quality").
UNIT_MIN_COSINE = 0.0


def units_of(
    passages: Sequence[Passage], embeddings: NDArray[np.float32], *, max_words: int = UNIT_MAX_WORDS,
    min_cosine: float = UNIT_MIN_COSINE,
) -> list[list[int]]:
    """Group passages into units of meaning: runs of consecutive passages of one turn on one point.

    Args:
        passages: Passages in transcript order (as :func:`wisdoms.segment.segment` gives them).
        embeddings: One L2-normalised row per passage.
        max_words: A unit takes no passage that would bring it past this many words (a first passage
            longer than that is a unit alone).
        min_cosine: A passage whose cosine to the unit's mean so far is below this starts a new unit.

    Returns:
        Lists of passage indices, each in order; every index in exactly one unit.
    """
    units: list[list[int]] = []
    current: list[int] = []
    words = 0
    total = np.zeros(embeddings.shape[1] if len(embeddings) else 0, dtype=np.float64)
    for i, p in enumerate(passages):
        if current:
            last = passages[current[-1]]
            same_turn = last.transcript == p.transcript and last.turn == p.turn
            centre = total / (np.linalg.norm(total) or 1.0)
            on_point = float(embeddings[i] @ centre) >= min_cosine
            if same_turn and on_point and words + p.words <= max_words:
                current.append(i)
                words += p.words
                total += embeddings[i]
                continue
            units.append(current)
        current, words, total = [i], p.words, np.asarray(embeddings[i], dtype=np.float64).copy()
    if current:
        units.append(current)
    return units


def unit_vectors(units: Sequence[Sequence[int]], embeddings: NDArray[np.float32]) -> NDArray[np.float32]:
    """The L2-normalised mean of each unit's passage vectors."""
    if not units:
        return np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    owner = np.repeat(np.arange(len(units)), [len(u) for u in units])
    rows = np.concatenate([np.asarray(u, dtype=np.int64) for u in units])
    sums = np.zeros((len(units), embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, embeddings[rows])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
