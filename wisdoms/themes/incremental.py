"""Incremental re-runs: carry a saved fit over to a superset of its passages, or fit afresh.

Every fit is saved in ``<cache>/themes/<settings key>/`` (theme centres, each passage's theme,
per-theme word counts, the vocabulary). A later run whose passages are a superset of a saved run's,
with the same theme settings, model and seed, carries the themes over: only the new passages are
placed (nearest theme centre, if at least as close as that theme's
:data:`~wisdoms.themes.state.FLOOR_PERCENTILE` th-percentile member), keywords, quotes and sizes
are recomputed, theme ids stay the same, and neither BERTopic nor UMAP is imported. Once the
passages added since the fit exceed ``settings.refit_share`` of the fitted ones (or when asked),
the themes are fitted afresh.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..models import Passage
from ..settings import Settings
from .build import _build_themes, left_out_reasons
from .fit import Guide, find_themes, least_words, seed_origins, theme_counts
from .keywords import _clean_for_keywords, count_words, topic_words
from .state import ThemeResult, ThemeState, ThemeStore, passage_key, settings_key
from .units import unit_vectors, units_of

log = logging.getLogger(__name__)


def carry_over(
    passages: Sequence[Passage],
    embeddings: NDArray[np.float32],
    base: ThemeState,
    *,
    settings: Settings | None = None,
    embed: Callable[[list[str]], NDArray[np.float32]] | None = None,
    answers: set[str] | frozenset[str] = frozenset(),
) -> ThemeResult:
    """Themes of ``base`` for ``passages`` (a superset of its passages), without refitting.

    Passages ``base`` knows keep their sub-theme. New passages are grouped into units of meaning; each unit
    joins its nearest sub-theme centre when its cosine is at least that sub-theme's floor, else it stays in no
    theme. Word counts of the new
    passages are added to their theme's, then keywords, labels, centres and quotes are recomputed.
    Theme ids are those of ``base``.
    """
    from scipy import sparse

    settings = settings or Settings()
    keys = [passage_key(p) for p in passages]
    known = dict(zip(base.keys, base.topics.tolist()))
    new_rows = [i for i, k in enumerate(keys) if k not in known]
    topics = [int(known.get(k, -1)) for k in keys]
    if new_rows and len(base.centre_ids):
        # new passages are placed as units of meaning, as a fit would theme them
        placed = [[new_rows[j] for j in u] for u in units_of([passages[i] for i in new_rows], embeddings[new_rows])]
        vectors = unit_vectors(placed, embeddings)
        sims = vectors @ base.centres.T
        best = np.argmax(sims, axis=1)
        for u, j in enumerate(best.tolist()):
            joined = sims[u, j] >= base.floors[j]
            for row in placed[u]:
                if joined:
                    topics[row] = base.centre_ids[int(j)]

    counts = sparse.csr_matrix(base.counts, dtype=np.float64)
    count_ids = list(base.count_ids)
    if new_rows and base.vocabulary:
        added = count_words(_clean_for_keywords([passages[i].analysis_text for i in new_rows]),
                            base.vocabulary).astype(np.float64)
        fresh = sorted({topics[row] for row in new_rows} - set(count_ids))
        if fresh:
            count_ids += fresh
            counts = sparse.vstack([counts, sparse.csr_matrix((len(fresh), counts.shape[1]))]).tocsr()
        # Each new passage's counts go to its sub-theme's row (a 0/1 matrix sums them per sub-theme).
        target = [count_ids.index(topics[row]) for row in new_rows]
        place = sparse.csr_matrix((np.ones(len(new_rows)), (target, np.arange(len(new_rows)))),
                                  shape=(len(count_ids), len(new_rows)))
        counts = (counts + place @ added).tocsr()
        order = sorted(range(len(count_ids)), key=lambda r: count_ids[r])
        counts, count_ids = counts[order], [count_ids[r] for r in order]
    parents = {int(s): int(t) for s, t in zip(base.centre_ids, base.parents.tolist())}
    sub_words = topic_words(counts, count_ids, base.vocabulary)
    theme_words = topic_words(*theme_counts(counts, count_ids, parents), base.vocabulary)
    units = units_of(passages, embeddings)  # every passage's, once: people are counted in them, reasons given by them
    themes, centroids = _build_themes(passages, embeddings, topics, parents, sub_words, theme_words, settings, embed,
                                      units=units, origins=seed_origins(dict(base.meta.get("params", {}))))
    reasons = left_out_reasons(passages, embeddings, units, topics, base.centre_ids, base.centres,
                               least_words(settings, answers), parents=base.parents.tolist())
    assigned = sum(1 for i in new_rows if topics[i] >= 0)
    params: dict[str, Any] = dict(base.meta.get("params", {}))
    fit_n = int(base.meta.get("fit_passages", len(base.keys)))
    params.update(
        fit=base.meta.get("fit", base.fingerprint), carried_over_from=base.fingerprint,
        new_passages=len(new_rows), new_passages_assigned=assigned,
        added_since_fit=len(keys) - fit_n,
        note=f"themes carried over from {base.fingerprint} (fit {base.meta.get('fit', base.fingerprint)}); "
             f"{len(new_rows)} new passages, {assigned} assigned to a theme",
    )
    state = ThemeState(
        keys=keys, topics=np.asarray(topics, dtype=np.int32), centre_ids=list(base.centre_ids),
        centres=base.centres, floors=base.floors, vocabulary=list(base.vocabulary), counts=counts,
        count_ids=count_ids, parents=base.parents,
        meta={**base.meta, "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")},
    )
    return ThemeResult(
        themes=themes,
        assignments={p.id: (parents[t] if t >= 0 else -1) for p, t in zip(passages, topics)},
        centroids=centroids,
        reduction=str(params.get("reduction", "carried over")),
        min_theme_size=int(params.get("min_cluster_size", 0)),
        params=params,
        state=state,
        subtheme_of={p.id: t for p, t in zip(passages, topics)},
        reasons=reasons,
        units=units,
    )


def themes_for_run(
    passages: Sequence[Passage],
    embeddings: NDArray[np.float32],
    *,
    settings: Settings,
    model: str,
    fingerprint: str,
    embed: Callable[[list[str]], NDArray[np.float32]] | None = None,
    refit: bool = False,
    answers: set[str] | frozenset[str] = frozenset(),
    guide: Guide | None = None,
    guide_key: str = "",
) -> ThemeResult:
    """Carry over a saved fit when the passages extend it by little, else fit afresh; save the result.

    Args:
        passages: Analysable passages, in run order.
        embeddings: One row per passage.
        settings: Theme settings, seed, cache folder and ``refit_share``.
        model: Embedding model id (part of the state key).
        fingerprint: Embedding model fingerprint (part of the state key).
        embed: As for :func:`find_themes`.
        refit: Fit afresh even if a saved fit could be carried over.
        answers: As for :func:`find_themes`.
        guide: As for :func:`find_themes`: the codebook's seeds.
        guide_key: What identifies ``guide`` (the codebook's codes), part of the state key: a fit seeded by one
            codebook is never carried over to a run with another, or with none.
    """
    store = ThemeStore(settings.resolved_cache_dir(), settings_key(settings, model, fingerprint, guide=guide_key))
    keys = [passage_key(p) for p in passages]
    reason = "asked to refit" if refit else "no earlier run with a subset of these passages and the same settings"
    base = None if refit else store.best_base(keys)
    if base is not None:
        fit_n = int(base.meta.get("fit_passages", len(base.keys)))
        added = len(keys) - fit_n
        if added > settings.refit_share * fit_n:
            reason = (f"{added} passages added since the fit of {fit_n} exceed refit_share "
                      f"{settings.refit_share:g}")
            base = None
    if base is not None:
        result = carry_over(passages, embeddings, base, settings=settings, embed=embed, answers=answers)
        log.info("themes carried over from %s (fit %s on %d passages); %d new passages, %d assigned to themes",
                 base.fingerprint, base.meta.get("fit"), int(base.meta.get("fit_passages", 0)),
                 result.params["new_passages"], result.params["new_passages_assigned"])
    else:
        log.info("fitting themes afresh: %s", reason)
        result = find_themes(passages, embeddings, settings=settings, embed=embed, answers=answers, guide=guide)
        result.params["refit_reason"] = reason
    if result.state is not None:
        try:
            store.save(result.state)
        except OSError as exc:  # a read-only cache only costs the next run a refit
            log.warning("could not save the theme state in %s: %s", store.folder, exc)
    return result
