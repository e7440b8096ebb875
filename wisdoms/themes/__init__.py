"""Candidate themes from passage embeddings with BERTopic.

The only package that imports BERTopic (and UMAP/HDBSCAN), all of it inside
:mod:`wisdoms.themes.fit` and only when a fit runs. We always pass our own cached embeddings.
Reduction before clustering is UMAP (cosine, seeded) under ``reduction="auto"``, except for
tiny corpora where PCA is used. The seed goes to every random step, so the same passages and seed
give the same themes.

Incremental re-runs (:mod:`wisdoms.themes.incremental`): every fit is saved in
``<cache>/themes/<settings key>/``; a later run whose passages are a superset of a saved run's,
with the same theme settings, model and seed, carries the themes over without importing BERTopic or
UMAP, until the passages added since the fit exceed ``settings.refit_share`` of the fitted ones.

Modules:
    fit: :func:`find_themes` and the corpus-size rules (:func:`analysable`, :func:`adaptive_min_size`).
    keywords: the word counter, class-based TF-IDF, maximal marginal relevance, labels.
    build: themes, centres and representative quotes from each passage's theme.
    state: :class:`ThemeResult`, :class:`ThemeState` and the :class:`ThemeStore` on disk.
    incremental: :func:`carry_over` and :func:`themes_for_run`.
"""

from __future__ import annotations

from .build import representative_quotes
from .fit import UMAP_FROM, adaptive_min_size, analysable, choose_reduction, find_themes
from .incremental import carry_over, themes_for_run
from .keywords import SPOKEN_STOP_WORDS, label_from_keywords, mmr_keywords, topic_words
from .state import (
    FLOOR_PERCENTILE,
    STATE_VERSION,
    STATES_KEPT,
    ThemeResult,
    ThemeState,
    ThemeStore,
    passage_key,
    passage_set_hash,
    settings_key,
)

__all__ = [
    "FLOOR_PERCENTILE",
    "SPOKEN_STOP_WORDS",
    "STATES_KEPT",
    "STATE_VERSION",
    "UMAP_FROM",
    "ThemeResult",
    "ThemeState",
    "ThemeStore",
    "adaptive_min_size",
    "analysable",
    "carry_over",
    "choose_reduction",
    "find_themes",
    "label_from_keywords",
    "mmr_keywords",
    "passage_key",
    "passage_set_hash",
    "representative_quotes",
    "settings_key",
    "themes_for_run",
    "topic_words",
]
