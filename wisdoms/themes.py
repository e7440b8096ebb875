"""Candidate themes from passage embeddings with BERTopic.

The only module that imports BERTopic (and UMAP/HDBSCAN). We always pass our own cached embeddings.
Reduction before clustering is UMAP (cosine, seeded) under ``reduction="auto"``, except for
tiny corpora where PCA is used; on the shipped sample PCA+HDBSCAN left 40-90% of passages
unclustered against 25-40% for UMAP, so UMAP's compile time is worth paying. The seed goes to every random step, so the
same passages and seed give the same themes.
"""

from __future__ import annotations

import logging
import math

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .errors import CorpusTooSmallError, MissingExtraError
from .models import Passage, Quote, Theme
from .settings import Settings

log = logging.getLogger(__name__)

#: Below this many passages ``reduction="auto"`` skips UMAP (its neighbour graph is unreliable).
UMAP_FROM = 60

#: Spoken fillers that carry no theme, on top of scikit-learn's English stop words.
SPOKEN_STOP_WORDS = frozenset(
    """yeah yes yep no nope like know just mean really got get gets getting gonna gotta kind sort
    think thought thing things say says said saying went go goes going um uh erm er ah oh ok okay
    right well lot lots bit actually literally basically stuff want wanted wanna did didn don doesn
    isn wasn weren ve ll re im dont didnt cause cos coz way ll maybe probably honestly
    pretty quite tell told come came make made bloody proper sure guess anyway mate
    thats youre hes shes theyre ive id ill wont cant couldnt wouldnt shouldnt isnt arent wasnt
    werent doesnt hadnt hasnt havent theres whats lets its youve weve theyve wed youd theyd
    aint innit dunno""".split()
)

_WORD = r"(?u)\b[a-zA-Z][a-zA-Z']+\b"


@dataclass
class ThemeResult:
    """What :func:`find_themes` found.

    Attributes:
        themes: Themes, largest first, with quotes (codes are added by the codebook stage).
        assignments: Theme id per analysable passage (``-1``: not yet in a theme).
        centroids: Theme id -> L2-normalised mean embedding of its passages.
        reduction: The reduction actually used (``pca``, ``umap``, ``none``).
        min_theme_size: The smallest theme size used.
    """

    themes: list[Theme]
    assignments: dict[str, int]
    centroids: dict[int, NDArray[np.float32]]
    reduction: str
    min_theme_size: int
    params: dict[str, object] = field(default_factory=dict)


def adaptive_min_size(n_passages: int) -> int:
    """Smallest theme, in passages, growing with the square root of the corpus (5 to 60)."""
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
    import importlib
    import sys

    import numba
    from numba.core.registry import CPUDispatcher

    folder = settings.resolved_cache_dir() / "numba"
    if getattr(numba.config, "CACHE_DIR", "") == str(folder):
        return
    folder.mkdir(parents=True, exist_ok=True)
    numba.config.CACHE_DIR = str(folder)
    importlib.import_module("umap.umap_")
    for name in [m for m in list(sys.modules) if m.split(".")[0] in ("umap", "pynndescent")]:
        for value in list(vars(sys.modules[name]).values()):
            if isinstance(value, CPUDispatcher):
                try:
                    value.enable_caching()
                except Exception as exc:  # noqa: BLE001 - a function numba cannot cache just compiles as before
                    log.debug("numba cannot cache %s.%s: %s", name, getattr(value, "__name__", value), exc)


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
) -> ThemeResult:
    """Cluster analysable passages into candidate themes.

    Args:
        passages: Analysable passages (long enough to theme), in a fixed order.
        embeddings: One L2-normalised row per passage.
        settings: Seed, sizes and reduction.
        embed: Embeds keyword candidates so labels favour words close to the theme's centre
            (maximal marginal relevance over BERTopic's c-TF-IDF words); without it, c-TF-IDF order.

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
    try:
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
    except ImportError as exc:  # pragma: no cover - part of the default install
        raise MissingExtraError(
            f"theme finding needs BERTopic ({exc.name} is missing)",
            hint="run 'bash .ci/install' or 'pip install bertopic hdbscan umap-learn'",
        ) from exc

    reduction = choose_reduction(n, settings.reduction)
    min_size = settings.min_theme_size or adaptive_min_size(n)
    min_samples = max(2, min_size // 2)
    stop_words = sorted(ENGLISH_STOP_WORDS | SPOKEN_STOP_WORDS)
    vectorizer = CountVectorizer(
        stop_words=stop_words,
        ngram_range=(1, 2),
        min_df=2 if n >= 200 else 1,
        token_pattern=_WORD,
        preprocessor=_normalise_for_keywords,
    )
    model = BERTopic(
        umap_model=_reducer(reduction, n, settings),
        hdbscan_model=HDBSCAN(
            min_cluster_size=min_size,
            min_samples=min_samples,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=False,
        ),
        vectorizer_model=vectorizer,
        top_n_words=30,
        calculate_probabilities=False,
        verbose=False,
    )
    docs = [p.analysis_text for p in passages]
    try:
        topics, _ = model.fit_transform(docs, embeddings=np.asarray(embeddings, dtype=np.float64))
    except ValueError as exc:
        # HDBSCAN finds no cluster at all, or the vocabulary is empty: no themes, every passage kept.
        log.warning("no themes found: %s", exc)
        topics = [-1] * n
    topics = [int(t) for t in topics]
    themes, centroids = _build_themes(passages, embeddings, topics, model, settings, embed)
    params = {"min_cluster_size": min_size, "min_samples": min_samples, "reduction": reduction,
              "reduced_dims": settings.reduced_dims, "seed": settings.seed}
    return ThemeResult(
        themes=themes,
        assignments={p.id: t for p, t in zip(passages, topics)},
        centroids=centroids,
        reduction=reduction,
        min_theme_size=min_size,
        params=params,
    )


def _normalise_for_keywords(text: str) -> str:
    return text.lower().replace("\u2019", "'")


def _build_themes(passages, embeddings, topics, model, settings, embed) -> tuple[list[Theme], dict[int, NDArray[np.float32]]]:  # noqa: ANN001
    by_topic: dict[int, list[int]] = {}
    for i, t in enumerate(topics):
        if t >= 0:
            by_topic.setdefault(t, []).append(i)
    themes: list[Theme] = []
    centroids: dict[int, NDArray[np.float32]] = {}
    for topic in sorted(by_topic, key=lambda t: (-len(by_topic[t]), t)):
        members = by_topic[topic]
        words = _dedupe_keywords([w for w, _score in (model.get_topic(topic) or []) if w])
        centroid = embeddings[members].mean(axis=0)
        centroid = (centroid / (np.linalg.norm(centroid) or 1.0)).astype(np.float32)
        if embed is not None and len(words) > 1:
            words = mmr_keywords(words, embed(words), centroid, k=8)
        keywords = tuple(words[:8])
        centroids[topic] = centroid
        quotes = representative_quotes(
            [passages[i] for i in members], embeddings[members], centroid, k=settings.quotes_per_theme
        )
        themes.append(
            Theme(
                id=topic,
                label=label_from_keywords(keywords),
                keywords=keywords,
                passage_ids=tuple(passages[i].id for i in members),
                participants=len({passages[i].participant for i in members}),
                quotes=quotes,
            )
        )
    return themes, centroids


def mmr_keywords(
    words: Sequence[str], vectors: NDArray[np.float32], centroid: NDArray[np.float32], *, k: int = 8,
    diversity: float = 0.3,
) -> list[str]:
    """Pick ``k`` words close to ``centroid`` but not to each other (maximal marginal relevance)."""
    relevance = vectors @ centroid
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(k, len(words)):
        rest = [i for i in range(len(words)) if i not in chosen]
        redundancy = (vectors[rest] @ vectors[chosen].T).max(axis=1)
        mmr = (1 - diversity) * relevance[rest] - diversity * redundancy
        chosen.append(rest[int(np.argmax(mmr))])
    return [words[i] for i in chosen]


def _dedupe_keywords(words: Sequence[str]) -> list[str]:
    """Drop single words already inside a better-ranked phrase, and phrases repeating one word."""
    chosen: list[str] = []
    for word in words:
        parts = word.split()
        if len(set(parts)) < len(parts):
            continue
        if any(word in c.split() or c in parts for c in chosen):
            continue
        chosen.append(word)
    return chosen


def label_from_keywords(keywords: Sequence[str]) -> str:
    """A short label from the top three keywords: ``Waiting list, mental health, months``."""
    label = ", ".join(keywords[:3]) or "unlabelled theme"
    return label[:1].upper() + label[1:]


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

    Passages of readable length are preferred; the choice is deterministic (ties broken by id).
    """
    scores = embeddings @ centroid
    order = sorted(range(len(passages)), key=lambda i: (-round(float(scores[i]), 6), passages[i].id))
    readable = [i for i in order if min_words <= passages[i].words <= max_words] or order
    chosen: list[int] = []
    people: set[str] = set()
    for i in readable:
        if passages[i].participant not in people:
            chosen.append(i)
            people.add(passages[i].participant)
        if len(chosen) == k:
            break
    for i in readable:
        if len(chosen) == k:
            break
        if i not in chosen:
            chosen.append(i)
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


