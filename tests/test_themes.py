"""Theme building blocks: adaptive sizes, labels, quotes from different people, too-small corpora."""

from __future__ import annotations

import numpy as np
import pytest

from wisdoms.errors import CorpusTooSmallError
from wisdoms.models import Passage
from wisdoms.settings import Settings
from wisdoms.themes import adaptive_min_size, find_themes, label_from_keywords, mmr_keywords, representative_quotes


def passage(i: int, participant: str, words: int = 12) -> Passage:
    text = " ".join(["word"] * words)
    return Passage(f"t{i}.txt#0-{len(text)}", f"t{i}.txt", participant, 0, len(text), text, 1)


def test_min_size_adapts_to_corpus() -> None:
    assert adaptive_min_size(50) == 5
    assert adaptive_min_size(1400) == 15
    assert adaptive_min_size(50_000) == 60
    assert adaptive_min_size(300) < adaptive_min_size(3000)


def test_label_and_mmr() -> None:
    assert label_from_keywords(["waiting list", "months", "letter", "x"]) == "Waiting list, months, letter"
    assert label_from_keywords([]) == "Unlabelled theme"
    vecs = np.eye(3, dtype=np.float32)
    vecs[1] = vecs[0]
    centroid = np.array([1.0, 0.0, 0.6], dtype=np.float32)
    picked = mmr_keywords(["a", "a-copy", "c"], vecs, centroid, k=2)
    assert picked == ["a", "c"], "a near-duplicate loses to a distinct relevant word"


def test_quotes_prefer_different_participants() -> None:
    passages = [passage(i, "P1" if i < 4 else f"P{i}") for i in range(7)]
    emb = np.tile(np.array([1.0, 0.0], dtype=np.float32), (7, 1))
    emb[:4] = [1.0, 0.0]
    emb[4:] = [0.8, 0.6]
    quotes = representative_quotes(passages, emb, np.array([1.0, 0.0], dtype=np.float32), k=4)
    people = [q.participant for q in quotes]
    assert len(quotes) == 4 and len(set(people)) == 4, people


def test_too_small_corpus_is_a_clear_error() -> None:
    passages = [passage(i, "P1") for i in range(30)]
    with pytest.raises(CorpusTooSmallError, match="from 1 participant"):
        find_themes(passages, np.ones((30, 4), dtype=np.float32), settings=Settings())
    with pytest.raises(CorpusTooSmallError, match="at least 20 passages"):
        find_themes([passage(i, f"P{i}") for i in range(5)], np.ones((5, 4), dtype=np.float32))
