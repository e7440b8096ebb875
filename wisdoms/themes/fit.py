"""Fitting candidate themes with BERTopic: the only module that imports BERTopic, UMAP and HDBSCAN.

We always pass our own cached embeddings. Reduction before clustering is UMAP (cosine, seeded)
under ``reduction="auto"``, except for tiny corpora where PCA is used; on the shipped sample
PCA+HDBSCAN left 40-90% of passages unclustered against 25-40% for UMAP, so UMAP's compile time is
worth paying. The seed goes to every random step, so the same passages and seed give the same themes.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib
import importlib.util
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._imports import LazyModule, forget, hidden, torch_hidden
from ..errors import CorpusTooSmallError, MissingExtraError
from ..models import Passage
from ..segment import content_free_reason
from ..settings import Settings
from .build import _build_themes, left_out_reasons
from .keywords import _clean_for_keywords, _vectorizer, topic_words
from .state import FLOOR_PERCENTILE, ThemeResult, ThemeState, passage_key
from .structure import (
    attach_outliers,
    centres_of,
    group_subthemes,
    group_with_seeds,
    split_lone_strands,
    split_oversized,
    subtheme_seeds,
    theme_count,
)
from .units import unit_vectors, units_of

log = logging.getLogger(__name__)


#: Smallest theme for survey answers: BERTopic's default ``min_topic_size``, the like-for-like setting.
SURVEY_MIN_THEME_SIZE = 10
#: Below this many passages ``reduction="auto"`` skips UMAP (its neighbour graph is unreliable).
UMAP_FROM = 60

#: How a codebook guides a fit: given the unit vectors (L2-normalised, one row per unit of meaning), the seed of
#: each unit (an index into the seed ids, ``-1`` where no code confidently covers it) and the seed ids (the
#: codes, or code groups, that can seed a theme). See :func:`wisdoms.codebook.guidance.seed_guide`.
Guide = Callable[[NDArray[np.float32]], tuple[NDArray[np.int64], list[str]]]


def analysable(passages: Sequence[Passage], settings: Settings, *,  # noqa: ARG001 - kept: callers pass it
               answers: set[str] | frozenset[str] = frozenset()) -> list[int]:
    """Indices of the passages that carry content, the ones themes are found in.

    Content-free talk (:func:`wisdoms.segment.content_free_reason`: backchannels, fillers, greetings, talk
    about the interview) is never themed. Short passages are kept: they are themed with the rest of their
    turn (units of meaning); a unit under ``settings.min_passage_words`` (conversations) or
    ``settings.min_answer_words`` (survey answers) words is too short to theme on its own.

    Args:
        passages: Every passage of the run.
        settings: Kept for the signature (the word limits apply to units, in :func:`find_themes`).
        answers: Ids of transcripts read from survey tables, one answer a row.
    """
    return [i for i, p in enumerate(passages) if content_free_reason(p.text, answer=p.transcript in answers) is None]


def least_words(settings: Settings, answers: set[str] | frozenset[str]) -> Callable[[Passage], int]:
    """The fewest words a unit starting with a given passage needs to be themed on its own."""
    return lambda p: settings.min_answer_words if p.transcript in answers else settings.min_passage_words


def adaptive_min_size(n_passages: int, *, survey: bool = False) -> int:
    """Smallest theme, in passages.

    Conversations: sqrt(n)/2.5, 5 to 60 (on the shipped sample, 15: 15 themes, 30% of passages in none).
    Survey answers (a third or more of the passages from tables, one answer a row): 10 at every
    size, BERTopic's own ``min_topic_size``. On the NHS FFT bench the conversation rule (19 at 2k answers, 42 at 11k) let
    HDBSCAN merge answers into a handful of giant clusters (NMI 0.18 / 0.21), and the earlier survey
    rule sqrt(n)/7 (32 at 51k) gave NMI 0.214 from 623 themes against plain BERTopic's 0.257; 10
    gave 0.260 (evidence in BENCHMARKS.md, "Speed at every size"). Many small themes are what
    BERTopic finds too; raise ``min_theme_size`` for fewer, broader themes a panel can review.
    """
    if survey:
        return SURVEY_MIN_THEME_SIZE
    return int(min(60, max(5, round(math.sqrt(n_passages) / 2.5))))


def choose_reduction(n_passages: int, setting: str) -> str:
    """The reduction for this corpus size when ``setting`` is ``auto``."""
    if setting != "auto":
        return setting
    return "umap" if n_passages >= UMAP_FROM else "pca"


def _cache_numba_compilation(settings: Settings) -> None:
    """Keep UMAP's and pynndescent's numba compilations on disk in the wisdoms cache.

    Most of their jitted functions are not declared ``cache=True``, so every new process spent
    10-60 s compiling them. Enabling caching on every dispatcher of those packages, with numba's
    cache folder in ``<cache>/numba``, lets later processes load the machine code instead.
    """
    import numba
    from numba.core.registry import CPUDispatcher

    folder = settings.resolved_cache_dir() / "numba"
    if getattr(numba.config, "CACHE_DIR", "") == str(folder):
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"cannot write to {folder}")
    except OSError as exc:  # a read-only cache: UMAP compiles in this process, as it would without one
        log.warning("cannot keep UMAP's compiled code in %s (%s); compiling it in this run", folder, exc)
        return
    numba.config.CACHE_DIR = str(folder)  # type: ignore[attr-defined]
    importlib.import_module("umap.umap_")
    for name in [m for m in list(sys.modules) if m.split(".")[0] in ("umap", "pynndescent")]:
        for value in list(vars(sys.modules[name]).values()):
            if isinstance(value, CPUDispatcher):
                try:
                    value.enable_caching()
                except Exception as exc:  # noqa: BLE001 - a function numba cannot cache just compiles as before
                    log.debug("numba cannot cache %s.%s: %s", name, getattr(value, "__name__", value), exc)


#: BERTopic's optional representation models (LLMs, zero-shot, vision), which ``bertopic.representation``
#: imports eagerly, each inside ``try/except ModuleNotFoundError``. Two of them import ``transformers``
#: (and through it torch): 3-4 s of a cold run's 7 s ``import bertopic``, for models wisdoms never uses.
#: Their classes are imported when first used instead (:func:`import_bertopic`). Module -> class name.
DEFERRED_REPRESENTATIONS = {
    "bertopic.representation._textgeneration": "TextGeneration",
    "bertopic.representation._zeroshot": "ZeroShotClassification",
    "bertopic.representation._visual": "VisualRepresentation",
    "bertopic.representation._llamacpp": "LlamaCPP",
    "bertopic.representation._openai": "OpenAI",
    "bertopic.representation._litellm": "LiteLLM",
    "bertopic.representation._langchain": "LangChain",
    # imports spaCy, which would then be imported with torch hidden: a transformer pipeline loaded later
    # in the same process would find thinc without torch
    "bertopic.representation._pos": "PartOfSpeech",
}


def import_bertopic() -> type:
    """``bertopic.BERTopic``, imported without BERTopic's optional representation models or torch.

    ``bertopic.representation.TextGeneration`` and the other classes of :data:`DEFERRED_REPRESENTATIONS`
    stay available: they are imported on first access (a module ``__getattr__``), so code that uses them
    in the same process, a notebook for instance, gets the real class as before. When BERTopic is already
    imported, nothing changes. Torch is hidden during the import (:func:`wisdoms._imports.torch_hidden`):
    BERTopic's model saving, its only user there, imports it when first used.
    """
    if "bertopic" in sys.modules:
        from bertopic import BERTopic

        return BERTopic
    # BERTopic's optional representation modules report themselves missing while it is imported
    with hidden(*DEFERRED_REPRESENTATIONS):
        try:
            with torch_hidden() as torch_was_hidden:
                from bertopic import BERTopic
        except ImportError:  # something in that import needed torch after all: import it the ordinary way
            forget("bertopic")
            torch_was_hidden = False
            from bertopic import BERTopic
    saving = sys.modules.get("bertopic._save_utils")
    if torch_was_hidden and saving is not None and importlib.util.find_spec("torch") is not None:
        # BERTopic imports torch only to save and load models in its "pytorch" format: it gets the real
        # module when it first uses it.
        saving.torch = LazyModule("torch")  # type: ignore[attr-defined]
        saving._has_torch = True  # type: ignore[attr-defined]  # noqa: SLF001
    representation = sys.modules["bertopic.representation"]
    placeholders = {}
    for module, name in DEFERRED_REPRESENTATIONS.items():
        if module not in sys.modules and name in vars(representation):
            placeholders[name] = (module, vars(representation).pop(name))

    def _first_use(name: str) -> object:
        if name not in placeholders:
            raise AttributeError(f"module 'bertopic.representation' has no attribute {name!r}")
        module, placeholder = placeholders.pop(name)
        try:
            value = getattr(importlib.import_module(module), name)
        except ModuleNotFoundError:  # its extra really is missing: BERTopic's own placeholder says what to install
            value = placeholder
        setattr(representation, name, value)
        return value

    setattr(representation, "__getattr__", _first_use)  # noqa: B010 - a module __getattr__ (PEP 562)
    return BERTopic


@functools.lru_cache(maxsize=2)
def _without_representative_docs(bertopic: type) -> type:
    """``BERTopic`` that does not pick three representative documents per topic at the end of a fit.

    wisdoms chooses each theme's quotes itself (:mod:`wisdoms.themes.build`) and never reads BERTopic's;
    picking them was ~0.9 s of a 10k fit. Everything else about the fit is BERTopic's own.
    """

    class BERTopicForWisdoms(bertopic):
        def _save_representative_docs(self, documents: object) -> None:  # noqa: ARG002
            self.representative_docs_: dict[int, list[str]] = {}

    return BERTopicForWisdoms


#: Similarities this close are re-measured before neighbours are chosen: a float32 matrix product differs by
#: up to about 1e-6 between block sizes, BLAS thread counts and CPUs (0.38232577 against 0.3823259 for two
#: identical rows on one machine), so the float32 product only shortlists neighbours.
NEIGHBOUR_TOLERANCE = 1e-5
#: Shortlisted beyond the k needed, before the tolerance widens the shortlist where it must.
_SHORTLIST_EXTRA = 8


def exact_neighbours(vectors: NDArray[np.floating], k: int, *, chunk: int = 256) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Each row's ``k`` nearest rows by cosine distance (itself first), exactly, in row blocks of ``chunk``.

    The same on every machine, for every ``chunk`` and BLAS thread count: rows with the same vector (an
    answer repeated word for word) are one point, whose copies follow each other in row order; every
    other candidate within :data:`NEIGHBOUR_TOLERANCE` of the k-th is measured again in float64 and rounded
    to float32, so float noise never orders them; equal distances are ordered by row index.

    Returns:
        ``(indices, distances)``, each ``(n, k)``, nearest first; equal distances in row order, so where more
        rows than fit are equally near at the k-th place, the lowest-numbered are kept.
    """
    # Normalised in float64: a float32 norm depends on the order of the additions, and two vectors that are
    # equally near a third (one a permutation of the other) would then not be.
    x = np.ascontiguousarray(vectors, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
    x = x / np.where(norms > 0, norms, 1)
    n = len(x)
    k = min(k, n)
    if n == 0 or k == 0:
        return np.empty((n, k), dtype=np.int64), np.empty((n, k), dtype=np.float32)
    # One point per distinct vector, numbered in order of its first row (a dict of row bytes: np.unique's
    # row sort took 1 s at 13k rows).
    numbers: dict[bytes, int] = {}
    group = np.fromiter((numbers.setdefault(row.tobytes(), len(numbers)) for row in x), dtype=np.int64, count=n)
    first = np.flatnonzero(np.concatenate(([True], group[1:] > np.maximum.accumulate(group)[:-1])))
    points = x[first]
    m = len(points)
    members = np.argsort(group, kind="stable")  # rows by point, in row order within each
    starts = np.concatenate(([0], np.cumsum(np.bincount(group, minlength=m))))
    near_points, near_sims = _nearest_points(points, min(k, m), chunk)
    sizes = starts[1:] - starts[:-1]
    if m == n:  # no vector repeated: each point is one row
        row_of = members
        indices = row_of[near_points]
        distances = np.clip(1.0 - near_sims, 0.0, 2.0)
        distances[:, 0] = 0.0
        return indices[group], distances[group]
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    rows_of = [members[starts[g] : starts[g + 1]].tolist() for g in range(m)]
    for g in range(m):
        tail: list[int] = []
        tail_dist: list[float] = []
        for p, sim in zip(near_points[g, 1:].tolist(), near_sims[g, 1:].tolist()):
            if len(tail) >= k:
                break
            tail.extend(rows_of[p])
            tail_dist.extend([1.0 - sim] * int(sizes[p]))
        own = rows_of[g]
        for row in own:
            listed = ([row] + [r for r in own if r != row])[:k]
            zeros = len(listed)
            listed += tail[: k - zeros]
            indices[row] = listed
            distances[row, :zeros] = 0.0
            distances[row, zeros:] = tail_dist[: k - zeros]
    np.clip(distances, 0.0, 2.0, out=distances)
    return indices, distances


def _nearest_points(wide: NDArray[np.float64], k: int, chunk: int) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Each distinct unit vector's ``k`` nearest (itself first) and their cosine similarities.

    A float32 block product shortlists; the shortlist (widened to every point within
    :data:`NEIGHBOUR_TOLERANCE` of the k-th) is measured again in float64 and ordered by the float32-rounded
    similarity, then by point number.
    """
    points = wide.astype(np.float32)
    m = len(points)
    keep = min(m, k + _SHORTLIST_EXTRA)
    out = np.empty((m, k), dtype=np.int64)
    sims_out = np.empty((m, k), dtype=np.float32)
    for start in range(0, m, chunk):
        sims = points[start : start + chunk] @ points.T
        block = np.arange(len(sims))
        sims[block, start + block] = np.inf  # a point is its own nearest neighbour, whatever rounding says
        short = np.argpartition(sims, m - keep, axis=1)[:, m - keep :]
        short_sims = np.take_along_axis(sims, short, axis=1)
        kth = -np.partition(-short_sims, k - 1, axis=1)[:, k - 1]
        points_here = start + block
        exact = np.einsum("bd,bcd->bc", wide[points_here], wide[short]).astype(np.float32)
        exact[short == points_here[:, None]] = np.inf
        order = np.lexsort((short, -exact), axis=1)[:, :k]
        out[points_here] = np.take_along_axis(short, order, axis=1)
        sims_out[points_here] = np.take_along_axis(exact, order, axis=1)
        if keep < m:
            # Where every shortlisted point is within the tolerance of the k-th, more may be: look at all of them.
            for r in np.flatnonzero(short_sims.min(axis=1) >= kth - NEIGHBOUR_TOLERANCE):
                candidates = np.flatnonzero(sims[r] >= kth[r] - NEIGHBOUR_TOLERANCE)
                point = start + r
                wider = (wide[candidates] @ wide[point]).astype(np.float32)
                wider[candidates == point] = np.inf
                pick = np.lexsort((candidates, -wider))[:k]
                out[point], sims_out[point] = candidates[pick], wider[pick]
        sims_out[points_here, 0] = 1.0
    return out, sims_out


#: Above this many passages UMAP starts from a PCA of the embeddings instead of its spectral layout. On the
#: 50k NHS benchmark (60,276 passages, many answers repeated word for word) the spectral layout's eigensolver
#: failed, and UMAP's fallback gave a different layout in every process (2,318 / 2,361 / 2,326 clusters in
#: three processes from identical neighbours and seed); a PCA start is the same in every process. At 10k the
#: spectral layout worked and repeated exactly, so smaller corpora keep it.
SPECTRAL_INIT_MAX = 20_000


def umap_init(n: int) -> str:
    """UMAP's initial layout for ``n`` passages: ``spectral``, or ``pca`` above :data:`SPECTRAL_INIT_MAX`."""
    return "spectral" if n <= SPECTRAL_INIT_MAX else "pca"


def _reducer(kind: str, n: int, settings: Settings):  # noqa: ANN202
    dims = max(2, min(settings.reduced_dims, n - 2))
    if kind == "umap":
        _cache_numba_compilation(settings)
        from umap import UMAP

        return UMAP(
            n_neighbors=max(2, min(settings.umap_neighbors, n - 1)),
            n_components=dims,
            min_dist=0.0,
            metric="cosine",
            random_state=settings.seed,
            n_jobs=1,
            low_memory=True,
            init=umap_init(n),
        )
    if kind == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=dims, svd_solver="full", random_state=settings.seed)
    from bertopic.dimensionality import BaseDimensionalityReduction

    return BaseDimensionalityReduction()


def find_themes(
    passages: Sequence[Passage],
    embeddings: NDArray[np.float32],
    *,
    settings: Settings | None = None,
    embed: Callable[[list[str]], NDArray[np.float32]] | None = None,
    answers: set[str] | frozenset[str] = frozenset(),
    guide: Guide | None = None,
) -> ThemeResult:
    """Find candidate themes and their sub-themes in analysable passages.

    Passages are grouped into units of meaning (:func:`~wisdoms.themes.units.units_of`); BERTopic clusters the
    units (our embeddings, seeded UMAP, HDBSCAN) into fine clusters, the sub-themes; a cluster over
    :data:`~wisdoms.themes.structure.MAX_THEME_SHARE` of the passages is split, units left out join their
    nearest sub-theme when as close as its own members, and sub-themes are grouped into
    :func:`~wisdoms.themes.structure.theme_count` themes (:mod:`wisdoms.themes.structure`). Every passage takes
    its unit's sub-theme and theme.

    With a codebook (``guide``), codes seed the themes (deductive): units the codebook confidently covers carry
    their code as a seed, which the fit's UMAP takes as a (semi-supervised) target, as BERTopic's own guided
    topic modelling does, so seeded units of one code gather; each sub-theme mostly seeded by one code joins that
    code's theme (:func:`~wisdoms.themes.structure.group_with_seeds`), and what no code covers is grouped into
    new, inductive themes. Each theme's origin is in ``ThemeResult.params["origins"]`` and on the theme.

    Args:
        passages: Analysable passages (substantive: content-free talk left out), in transcript order.
        embeddings: One L2-normalised row per passage.
        settings: Seed, sizes and reduction.
        embed: Embeds title candidates (member sentences that are not whole passages), through the cache.
        answers: Ids of transcripts read from survey tables; when they hold a third or more of the
            passages, the adaptive theme size follows the survey rule of :func:`adaptive_min_size`.
        guide: Seeds each unit of meaning with a code (see :data:`Guide`); ``None``: themes found inductively.

    Raises:
        CorpusTooSmallError: Fewer than ``settings.min_passages`` passages, or one participant only.
        MissingExtraError: BERTopic is not installed.
    """
    settings = settings or Settings()
    n = len(passages)
    people = {p.participant for p in passages}
    if n < settings.min_passages or len(people) < 2:
        raise CorpusTooSmallError(
            f"too little to look for themes: {n} passages long enough to analyse from "
            f"{len(people)} participant(s); themes need at least {settings.min_passages} passages "
            "from 2 or more participants",
            hint="add more conversations, or lower 'min_passages' in the settings for a trial run",
        )
    units = units_of(passages, embeddings)
    vectors = unit_vectors(units, embeddings)
    least = [least_words(settings, answers)(passages[u[0]]) for u in units]
    long_enough = np.asarray([sum(passages[i].words for i in u) >= w for u, w in zip(units, least)], dtype=bool)
    fit_rows = np.flatnonzero(long_enough)
    survey = sum(p.transcript in answers for p in passages) * 3 >= n  # answers are a third or more
    min_size = settings.min_theme_size or adaptive_min_size(len(fit_rows), survey=survey)
    docs = [" ".join(passages[i].analysis_text for i in u) for u in units]
    labels = np.full(len(units), -1, dtype=np.int64)
    params: dict[str, object] = {"units": len(units), "min_cluster_size": min_size, "reduced_dims": settings.reduced_dims,
                                 "seed": settings.seed}
    seeds = np.full(len(units), -1, dtype=np.int64)
    seed_ids: list[str] = []
    if guide is not None and len(units):
        found_seeds, seed_ids = guide(vectors)
        seeds = np.where(long_enough, np.asarray(found_seeds, dtype=np.int64), -1)
        params["seeded_units"] = int((seeds >= 0).sum())
    model = None
    if len(fit_rows) >= 2:
        target = seeds[fit_rows] if guide is not None else None
        found, fit_params, model = fine_clusters([docs[i] for i in fit_rows], vectors[fit_rows], settings, min_size=min_size,
                                                 seeds=target)
        labels[fit_rows] = found
        params.update(fit_params)
    weights = np.asarray([len(u) for u in units], dtype=np.float64)
    labels = split_oversized(labels, vectors, weights, cap=settings.max_theme_share, seed=settings.seed)
    labels, nearest, cosine = attach_outliers(labels, vectors, eligible=long_enough)
    # units that joined may take a sub-theme past the cap again (with a codebook, serdif at seed 2: 28%)
    labels = split_oversized(labels, vectors, weights, cap=settings.max_theme_share, seed=settings.seed)
    # sub-themes numbered by size; themes from grouping their centres
    sizes = {int(c): float(weights[labels == c].sum()) for c in np.unique(labels) if c >= 0}
    sub_order = sorted(sizes, key=lambda c: (-sizes[c], c))
    renumber = {c: k for k, c in enumerate(sub_order)}
    labels = np.asarray([renumber.get(int(c), -1) for c in labels], dtype=np.int64)
    centres = centres_of(labels, vectors, list(range(len(sub_order))))
    sub_weights = np.asarray([sizes[c] for c in sub_order])
    k = theme_count(len(people))
    seed_of: dict[int, int] = {}
    if not sub_order:
        groups = np.zeros(0, np.int64)
    elif guide is not None:
        sub_seeds = subtheme_seeds(labels, seeds, weights, list(range(len(sub_order))))
        groups, seed_of = group_with_seeds(centres, sub_weights, sub_seeds, k, cap=settings.max_theme_share,
                                           seed=settings.seed)
    else:
        groups = group_subthemes(centres, sub_weights, k, cap=settings.max_theme_share, seed=settings.seed)
    group_size: dict[int, float] = {}
    for sub, g in enumerate(groups.tolist()):
        group_size[g] = group_size.get(g, 0.0) + sizes[sub_order[sub]]
    theme_id = {g: t for t, g in enumerate(sorted(group_size, key=lambda g: (-group_size[g], g)))}
    parents = {sub: theme_id[int(g)] for sub, g in enumerate(groups.tolist())}
    labels, parents = split_lone_strands(labels, parents, vectors, min_size=min_size, seed=settings.seed)
    params.update(themes_asked=k, subthemes=len(parents))
    if guide is not None:
        # theme id -> the code (or code group) that seeded it; themes not listed are inductive
        params["origins"] = {str(theme_id[g]): seed_ids[s] for g, s in seed_of.items() if g in theme_id}

    subtopics = np.full(n, -1, dtype=np.int64)
    for u, rows in enumerate(units):
        subtopics[rows] = labels[u]
    return _result(passages, embeddings, subtopics, parents, settings=settings, embed=embed, params=params,
                   min_size=min_size, answers=answers, model=model, units=units)


def fine_clusters(docs: Sequence[str], vectors: NDArray[np.float32], settings: Settings, *,
                  min_size: int, seeds: NDArray[np.int64] | None = None) -> tuple[NDArray[np.int64], dict[str, object], Any]:
    """BERTopic's topics for ``docs`` with our ``vectors`` (seeded UMAP or PCA, then HDBSCAN); ``-1``: none; and
    the fitted BERTopic model (its topics are the fine clusters, before sub-themes are split and grouped).

    ``seeds`` (a code per doc, ``-1``: none) go to BERTopic as its semi-supervised target ``y``: UMAP then
    draws docs of one code together (PCA, for tiny corpora, ignores them).

    Raises:
        MissingExtraError: BERTopic is not installed.
    """
    try:
        BERTopic = import_bertopic()  # noqa: N806
        from hdbscan import HDBSCAN
    except ImportError as exc:  # pragma: no cover - part of the default install
        raise MissingExtraError(
            f"theme finding needs BERTopic ({exc.name} is missing)",
            hint="run 'bash .ci/install' or 'pip install bertopic hdbscan umap-learn'",
        ) from exc
    n = len(docs)
    reduction = choose_reduction(n, settings.reduction)
    min_samples = max(2, min_size // 2)
    reducer = _reducer(reduction, n, settings)
    if reduction == "umap":
        # Exact neighbours by one matrix product: no approximate search (pynndescent's numba compile and
        # its single thread), and the same neighbours in every process.
        reducer.precomputed_knn = (*exact_neighbours(vectors, reducer.n_neighbors), None)
    model = _without_representative_docs(BERTopic)(
        umap_model=reducer,
        hdbscan_model=HDBSCAN(min_cluster_size=min_size, min_samples=min_samples, metric="euclidean",
                              cluster_selection_method="eom", prediction_data=False),
        vectorizer_model=_vectorizer(min_df=2 if n >= 200 else 1),
        top_n_words=30,
        calculate_probabilities=False,
        verbose=False,
    )
    try:
        topics, _ = model.fit_transform(list(docs), embeddings=np.asarray(vectors, dtype=np.float64),
                                        y=None if seeds is None or not (seeds >= 0).any() else np.asarray(seeds))
    except ValueError as exc:
        # HDBSCAN finds no cluster at all, or the vocabulary is empty: no clusters, every unit kept.
        log.warning("no fine clusters found: %s", exc)
        topics = [-1] * n
    params: dict[str, object] = {"min_samples": min_samples, "reduction": reduction}
    if reduction == "umap":
        params["umap_init"] = umap_init(n)
    return np.asarray([int(t) for t in topics], dtype=np.int64), params, model


def _word_counts(docs: Sequence[str], groups: Sequence[int], ids: list[int], min_df: int):  # noqa: ANN202
    """Word counts per group id (one document per group, as BERTopic's c-TF-IDF counts them) and the vocabulary,
    over text that keeps apostrophes: BERTopic's own cleaning would turn "he'd" into "hed" and "I'll" into "ill"."""
    from scipy import sparse

    docs_of: dict[int, list[str]] = {g: [] for g in ids}
    for doc, g in zip(docs, groups):  # one pass, not one pass over every passage per group
        docs_of[int(g)].append(doc)
    joined = _clean_for_keywords([" ".join(docs_of[g]) for g in ids])
    vectorizer = _vectorizer(min_df=min_df)
    try:
        counts = vectorizer.fit_transform(joined).astype(np.float64).tocsr()  # sparse: ~0.3% filled at 50k
        return counts, [str(w) for w in vectorizer.get_feature_names_out()]
    except ValueError:  # no word left after stop words and min_df
        return sparse.csr_matrix((len(ids), 0), dtype=np.float64), []


def _result(passages, embeddings, subtopics, parents, *, settings, embed, params, min_size, answers,  # noqa: ANN001
            units: list[list[int]], model: Any = None) -> ThemeResult:
    """Keywords, themes, centres and the state a later run carries over, from each passage's sub-theme and
    the fit's ``units`` of meaning (formed once, used for counting people and the reasons for passages left out)."""
    n = len(passages)
    min_df = 2 if n >= 200 else 1
    count_ids = sorted({int(t) for t in subtopics})
    counts, vocabulary = _word_counts([p.analysis_text for p in passages], subtopics, count_ids, min_df)
    sub_words = topic_words(counts, count_ids, vocabulary)
    theme_words = topic_words(*theme_counts(counts, count_ids, parents), vocabulary)
    themes, centroids = _build_themes(passages, embeddings, subtopics.tolist(), parents, sub_words, theme_words,
                                      settings, embed, units=units, origins=seed_origins(params))
    sub_ids = sorted(parents)
    rows_of: dict[int, list[int]] = {}
    for i, t in enumerate(subtopics.tolist()):
        rows_of.setdefault(t, []).append(i)
    sub_centres = [embeddings[rows_of[s]].mean(axis=0) for s in sub_ids]
    sub_centres = [(c / (np.linalg.norm(c) or 1.0)).astype(np.float32) for c in sub_centres]
    floors = [float(np.percentile(embeddings[rows_of[s]] @ c, FLOOR_PERCENTILE)) for s, c in zip(sub_ids, sub_centres)]
    state = ThemeState(
        keys=[passage_key(p) for p in passages], topics=np.asarray(subtopics, dtype=np.int32), centre_ids=sub_ids,
        centres=np.stack(sub_centres) if sub_ids else np.zeros((0, embeddings.shape[1]), np.float32),
        floors=np.asarray(floors, dtype=np.float32), vocabulary=vocabulary, counts=counts, count_ids=count_ids,
        parents=np.asarray([parents[s] for s in sub_ids], dtype=np.int32),
        meta={"fit_passages": n, "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "params": dict(params), "min_df": min_df},
    )
    state.meta["fit"] = state.fingerprint
    params["fit"] = state.fingerprint
    reasons = left_out_reasons(passages, embeddings, units, subtopics.tolist(), state.centre_ids, state.centres,
                               least_words(settings, answers), parents=state.parents.tolist())
    return ThemeResult(
        themes=themes,
        assignments={p.id: (int(parents[int(s)]) if s >= 0 else -1) for p, s in zip(passages, subtopics.tolist())},
        centroids=centroids,
        reduction=str(params.get("reduction", "none")),
        min_theme_size=min_size,
        params=params,
        state=state,
        model=model,
        subtheme_of={p.id: int(s) for p, s in zip(passages, subtopics.tolist())},
        reasons=reasons,
        units=units,
    )


def seed_origins(params: dict[str, Any]) -> dict[int, str]:
    """Theme id -> the code that seeded it, from a fit's ``params`` (``origins``; saved with its state)."""
    found = params.get("origins") or {}
    return {int(t): str(code) for t, code in found.items()} if isinstance(found, dict) else {}


def theme_counts(counts: Any, count_ids: Sequence[int], parents: dict[int, int]) -> tuple[Any, list[int]]:
    """Sub-theme word counts summed per theme: ``(counts, theme ids)`` for :func:`topic_words`."""
    from scipy import sparse

    themes = sorted(set(parents.values()))
    if not themes:
        return sparse.csr_matrix((0, counts.shape[1]), dtype=np.float64), []
    row = {t: r for r, t in enumerate(themes)}
    pairs = [(row[parents[c]], j) for j, c in enumerate(count_ids) if c >= 0 and c in parents]
    if not pairs:
        return sparse.csr_matrix((len(themes), counts.shape[1]), dtype=np.float64), themes
    target, source = zip(*pairs)
    place = sparse.csr_matrix((np.ones(len(pairs)), (target, source)), shape=(len(themes), len(count_ids)))
    return (place @ sparse.csr_matrix(counts)).tocsr(), themes
