"""The codebook stage of a run: passages and themes matched to the codes, and the evidence for each code.

The passages are the matcher's corpus, as for ``wisdoms code``: transcript passages score lower against code
descriptions than short survey answers do, and the self-training step calibrates the codes on the words
actually being coded (see :meth:`CodeMatcher.fit` and ``benchmarks/CODEBOOK.md``). It is self-trained once
per theme fit and kept in the cache (:class:`ClassifierStore`): a re-run that carries the themes over
reuses that fit's classifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..models import CodeCoverage, Match, Passage, Quote, Theme
from ..settings import Settings
from ._model import Codebook
from .coverage import coverage
from .guidance import CodebookFit, PhraseChooser, codebook_fit, name_themes_by_code, suggest_for_inductive
from .matching import ClassifierStore, CodeMatcher


@dataclass
class RunCoding:
    """What the codebook stage gives a run.

    Attributes:
        themes: The themes, each with its codes.
        passage_matches: Every assigned (passage, code) pair and each passage's best unassigned code.
        coverage: Evidence for each active code.
        info: For the manifest: rows self-trained on, whether the classifier was reused, what was scored.
        fit: How well the codebook fits the substantive passages (``None`` without a codebook).
    """

    themes: list[Theme]
    passage_matches: list[Match]
    coverage: list[CodeCoverage]
    info: dict[str, Any]
    fit: CodebookFit | None = None


def code_run(book: Codebook, settings: Settings, passages: Sequence[Passage], vectors: NDArray[np.float32],
             themes: Sequence[Theme], centroids: dict[int, NDArray[np.float32]], *,
             embed: Callable[[Sequence[str]], NDArray[np.float32]], model: str, fingerprint: str, fit: str,
             cache_dir: str | Path, substantive: Sequence[str] = (),
             units: Sequence[Sequence[int]] | None = None) -> RunCoding:
    """Match a run's passages and themes to the codebook; name each theme that clearly is a code after it
    (:func:`~wisdoms.codebook.guidance.name_themes_by_code`), suggest a draft code for each inductive theme
    (:func:`~wisdoms.codebook.guidance.suggest_for_inductive`) and check the codebook fits (``fit``). Without a
    codebook (no codes), the themes stay as found, inductive, each with its suggested code.

    Args:
        book: The codebook.
        settings: Thresholds, margin, seed.
        passages: Every passage, row for row with ``vectors``.
        vectors: Their embeddings.
        themes: The candidate themes; ``centroids`` their centres.
        embed: Embeds texts (the codes' descriptors) with the run's encoder and cache.
        model, fingerprint: The encoder's id and weights fingerprint (part of the classifier's cache key).
        fit: The theme fit's fingerprint (``""``: none, so nothing is kept or reused).
        cache_dir: The cache folder.
        substantive: Ids of the passages with content (content-free talk left out), for the fit check.
        units: Their units of meaning as the theme fit formed them (rows of ``passages``); ``None``: formed here.
    """
    if not book.codes:
        return RunCoding(suggest_for_inductive(themes, passages, book), [], [],
                         {"codebook": "none: themes found and named inductively; a starter codebook is drafted from them"})
    # A passage's codes depend only on it and the codebook. With settings.learn_from_corpus (off by default) the
    # passages are the matcher's corpus too: the zero-shot classifier self-trains on them once per theme fit, and a
    # re-run that carries the themes over reuses that fit's classifier.
    store = ClassifierStore(cache_dir)
    key = ClassifierStore.key(book, model=model, fingerprint=fingerprint, corpus=fit)
    learn = settings.learn_from_corpus
    saved = store.load(key, codes=len(book.active), dims=vectors.shape[1]) if fit and learn else None
    matcher = CodeMatcher(book, settings).fit(embed, corpus=vectors, self_trained=saved)
    if learn and saved is None and fit and matcher.self_trained_rows_ and matcher.descriptor_model_ is not None:
        store.save(key, matcher.descriptor_model_)
    info = {"self_trained_rows": matcher.self_trained_rows_,
            "classifier": ("codebook only" if not learn
                           else "reused from the theme fit" if saved is not None else "trained in this run"),
            "scored": "whole passages"}
    # Whole passages only: scoring each clause too (as `wisdoms code` does, settings.code_clauses) embeds
    # every clause, 6.5 s more in a first run at 10k survey answers (benchmarks/CODEBOOK.md).
    scored = matcher.score(vectors)
    passage_matches = matcher.match_passages(passages, vectors, scored=scored)
    scores = scored[0]
    theme_codes = matcher.match_themes(themes, passage_matches, {p.id: scores[i] for i, p in enumerate(passages)},
                                       centroids)
    coded = [replace(t, codes=tuple(theme_codes.get(t.id, ()))) for t in themes]
    found = coverage(book, passages, passage_matches, coded)
    named = suggest_for_inductive(name_themes_by_code(coded, passage_matches, book,
                                                      phrases=_phrase_chooser(passages, vectors, themes, centroids, embed)),
                                  passages, book)
    return RunCoding(named, passage_matches, found, info,
                     _fit_check(book, matcher, passages, vectors, substantive, passage_matches, units=units))


def _phrase_chooser(passages: Sequence[Passage], vectors: NDArray[np.float32], themes: Sequence[Theme],
                    centroids: dict[int, NDArray[np.float32]], embed: Callable[[Sequence[str]], NDArray[np.float32]]
                    ) -> PhraseChooser | None:
    """Title phrases for themes named after a code, chosen as any theme title is
    (:func:`~wisdoms.themes.titles.choose_titles`: distinct from every other theme's centre) among the member
    passages that carry the code; ``None`` when a theme's centre is not known."""
    from ..themes.titles import choose_titles

    order = [t.id for t in themes]
    if not order or any(tid not in centroids for tid in order):
        return None
    matrix = np.stack([centroids[tid] for tid in order]).astype(np.float32)
    row = {p.id: i for i, p in enumerate(passages)}

    def choose(carriers: Mapping[int, Sequence[str]]) -> dict[int, Quote | None]:
        groups = [[row[pid] for pid in carriers.get(tid, ()) if pid in row] for tid in order]
        found = choose_titles(groups, passages, vectors, matrix, lambda texts: embed(texts))
        return {tid: q for tid, q in zip(order, found) if tid in carriers}

    return choose


def _fit_check(book: Codebook, matcher: CodeMatcher, passages: Sequence[Passage], vectors: NDArray[np.float32],
               substantive: Sequence[str], passage_matches: Sequence[Match], *,
               units: Sequence[Sequence[int]] | None = None) -> CodebookFit:
    """:func:`~wisdoms.codebook.guidance.codebook_fit` on the substantive passages, their units of meaning (given,
    as rows of ``passages``, or formed here) and the matcher's descriptor vectors."""
    from ..themes.units import unit_vectors, units_of

    wanted = set(substantive)
    rows = [i for i, p in enumerate(passages) if p.id in wanted] if wanted else list(range(len(passages)))
    if units is None:
        units = [[rows[j] for j in u] for u in units_of([passages[i] for i in rows], vectors[rows])]
    return codebook_fit(book, [passages[i].id for i in rows], passage_matches, units=unit_vectors(units, vectors),
                        descriptors=matcher.positive_vectors_, code_of=[d.code for d in matcher.positives_],
                        code_names=[c.name for c in matcher.codes_])
