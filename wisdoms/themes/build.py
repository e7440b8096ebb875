"""Themes from theme assignments: members, centre, keywords, label and representative quotes.

Shared by a fresh fit (:mod:`wisdoms.themes.fit`) and a carried-over one
(:mod:`wisdoms.themes.incremental`), so both describe a theme the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from ..models import Passage, Quote, Theme
from .keywords import _dedupe_keywords, label_from_keywords, mmr_keywords, same_words


def _build_themes(passages, embeddings, topics, words_of, settings, embed) -> tuple[list[Theme], dict[int, NDArray[np.float32]]]:  # noqa: ANN001
    by_topic: dict[int, list[int]] = {}
    for i, t in enumerate(topics):
        if t >= 0:
            by_topic.setdefault(t, []).append(i)
    order = sorted(by_topic, key=lambda t: (-len(by_topic[t]), t))
    candidates = {t: _dedupe_keywords([w for w in words_of.get(t, []) if w]) for t in order}
    word_vectors = _candidate_vectors(candidates, embed)
    themes: list[Theme] = []
    centroids: dict[int, NDArray[np.float32]] = {}
    for topic in order:
        members = by_topic[topic]
        words = candidates[topic]
        centroid = embeddings[members].mean(axis=0)
        centroid = (centroid / (np.linalg.norm(centroid) or 1.0)).astype(np.float32)
        if word_vectors is not None and len(words) > 1:
            matrix, row = word_vectors
            words = mmr_keywords(words, matrix[[row[w] for w in words]], centroid, k=8)
        keywords = tuple(words[:8])
        centroids[topic] = centroid
        quotes = representative_quotes(
            [passages[i] for i in members], embeddings[members], centroid, k=settings.quotes_per_theme
        )
        themes.append(
            Theme(
                id=topic,
                label=label_from_keywords(keywords, [passages[i].text for i in members]),
                keywords=keywords,
                passage_ids=tuple(passages[i].id for i in members),
                participants=len({passages[i].participant for i in members}),
                quotes=quotes,
            )
        )
    return themes, centroids


def _candidate_vectors(
    candidates: dict[int, list[str]], embed: Callable[[list[str]], NDArray[np.float32]] | None
) -> tuple[NDArray[np.float32], dict[str, int]] | None:
    """Vectors of every keyword candidate of every theme, from one ``embed`` call.

    Each distinct word is embedded once for all themes (themes share many words), instead of one
    call, one cache transaction and one small encoder batch per theme: with ~1,800 themes that was
    most of the theme stage. Only themes with two or more candidates need vectors (MMR).
    """
    if embed is None:
        return None
    union = list(dict.fromkeys(w for words in candidates.values() if len(words) > 1 for w in words))
    if not union:
        return None
    return embed(union), {w: i for i, w in enumerate(union)}


def representative_quotes(
    passages: Sequence[Passage],
    embeddings: NDArray[np.float32],
    centroid: NDArray[np.float32],
    *,
    k: int = 5,
    min_words: int = 8,
    max_words: int = 80,
) -> tuple[Quote, ...]:
    """Up to ``k`` passages closest to the theme's centre, one per participant first.

    Passages of readable length are preferred; the choice is deterministic (ties broken by id). No two
    quotes say the same words (:func:`~wisdoms.themes.keywords.same_words`): a theme of 400 "Nothing"
    answers shows "Nothing" once, not five times, so it can have fewer than ``k`` quotes.
    """
    scores = embeddings @ centroid
    order = sorted(range(len(passages)), key=lambda i: (-round(float(scores[i]), 6), passages[i].id))
    readable = [i for i in order if min_words <= passages[i].words <= max_words] or order
    chosen: list[int] = []
    people: set[str] = set()
    said: set[str] = set()
    for new_person_only in (True, False):
        for i in readable:
            if len(chosen) == k:
                break
            words = same_words(passages[i].text)
            if i in chosen or words in said or (new_person_only and passages[i].participant in people):
                continue
            chosen.append(i)
            people.add(passages[i].participant)
            said.add(words)
    return tuple(
        Quote(
            transcript=passages[i].transcript,
            participant=passages[i].participant,
            start=passages[i].start,
            end=passages[i].end,
            text=passages[i].text,
            passage=passages[i].id,
        )
        for i in chosen
    )
