"""Candidate themes from passage embeddings with BERTopic.

The only module that imports BERTopic (and UMAP/HDBSCAN). We always pass our own cached embeddings.
Reduction before clustering is UMAP (cosine, seeded) under ``reduction="auto"``, except for
tiny corpora where PCA is used; on the shipped sample PCA+HDBSCAN left 40-90% of passages
unclustered against 25-40% for UMAP, so UMAP's compile time is worth paying. The seed goes to every random step, so the
same passages and seed give the same themes.

Incremental re-runs: every fit is saved in ``<cache>/themes/<settings key>/`` (theme centres, each
passage's theme, per-theme word counts, the vocabulary). A later run whose passages are a superset
of a saved run's, with the same theme settings, model and seed, carries the themes over: only the
new passages are placed (nearest theme centre, if at least as close as that theme's
:data:`FLOOR_PERCENTILE` th-percentile member), keywords, quotes and sizes are recomputed, theme ids
stay the same, and neither BERTopic nor UMAP is imported. Once the passages added since the fit
exceed ``settings.refit_share`` of the fitted ones (or when asked), the themes are fitted afresh.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._files import write_bytes, write_text
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

#: A new passage joins its nearest theme only if at least as close to the theme's centre as this
#: percentile of the theme's fitted members.
FLOOR_PERCENTILE = 10.0
#: Bump when the saved theme state changes meaning; older states are then ignored.
STATE_VERSION = 1
#: Saved states kept per settings key (newest first).
STATES_KEPT = 8


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
    state: ThemeState | None = field(default=None, repr=False)


@dataclass
class ThemeState:
    """What a later run needs to carry themes over without refitting.

    Attributes:
        keys: :func:`passage_key` of every analysable passage, in run order.
        topics: Theme id per key (``-1``: in no theme).
        centre_ids: Theme ids, in the row order of ``centres``.
        centres: L2-normalised fit-time centres (new passages are placed against these).
        floors: Least cosine to its centre a new passage needs, per theme.
        vocabulary: The keyword vectorizer's vocabulary.
        counts: Word counts, one row per id in ``count_ids`` (``-1`` included), over ``vocabulary``.
        count_ids: Theme id of each row of ``counts``.
        meta: ``fit`` (fingerprint of the fit), ``fit_passages``, ``created``, ``params``, ``min_df``.
    """

    keys: list[str]
    topics: NDArray[np.int32]
    centre_ids: list[int]
    centres: NDArray[np.float32]
    floors: NDArray[np.float32]
    vocabulary: list[str]
    counts: NDArray[np.float64]
    count_ids: list[int]
    meta: dict[str, object]

    @property
    def fingerprint(self) -> str:
        """Hash of the passage set this state covers."""
        return passage_set_hash(self.keys)


def passage_key(passage: Passage) -> str:
    """Identity of a passage for carrying themes over: its id and the text that was embedded."""
    return hashlib.sha256(f"{passage.id}\x00{passage.analysis_text}".encode()).hexdigest()[:24]


def passage_set_hash(keys: Sequence[str]) -> str:
    """Order-free hash of a set of passage keys."""
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:24]


def settings_key(settings: Settings, model: str, fingerprint: str) -> str:
    """Hash of everything that shapes a fit: theme settings, embedding model and seed."""
    material = {
        "version": STATE_VERSION, "model": model, "fingerprint": fingerprint, "seed": settings.seed,
        "min_passage_words": settings.min_passage_words, "min_answer_words": settings.min_answer_words,
        "min_theme_size": settings.min_theme_size,
        "min_passages": settings.min_passages, "reduction": settings.reduction,
        "reduced_dims": settings.reduced_dims, "umap_neighbors": settings.umap_neighbors,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:24]


def analysable(passages: Sequence[Passage], settings: Settings, *, answers: set[str] | frozenset[str] = frozenset()) -> list[int]:
    """Indices of the passages long enough to theme.

    Args:
        passages: Every passage of the run.
        settings: ``min_passage_words`` (conversations) and ``min_answer_words`` (survey answers).
        answers: Ids of transcripts read from survey tables, one answer a row.
    """
    return [
        i for i, p in enumerate(passages)
        if p.words >= (settings.min_answer_words if p.transcript in answers else settings.min_passage_words)
    ]


def adaptive_min_size(n_passages: int, *, survey: bool = False) -> int:
    """Smallest theme, in passages, growing with the square root of the corpus.

    Conversations: sqrt(n)/2.5, 5 to 60 (on the shipped sample, 15: 19 themes, 44% in none).
    Survey answers (most passages from tables, one answer a row): sqrt(n)/7, 10 to 40. On the NHS
    FFT bench the conversation rule (19 at 2k answers, 42 at 11k) let HDBSCAN merge answers into a
    handful of giant clusters (NMI 0.18 / 0.21); 10-15 matches plain BERTopic (evidence in
    BENCHMARKS.md, "Speed at every size").
    """
    if survey:
        return int(min(40, max(10, round(math.sqrt(n_passages) / 7))))
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
    answers: set[str] | frozenset[str] = frozenset(),
) -> ThemeResult:
    """Cluster analysable passages into candidate themes.

    Args:
        passages: Analysable passages (long enough to theme), in a fixed order.
        embeddings: One L2-normalised row per passage.
        settings: Seed, sizes and reduction.
        embed: Embeds keyword candidates so labels favour words close to the theme's centre
            (maximal marginal relevance over BERTopic's c-TF-IDF words); without it, c-TF-IDF order.
        answers: Ids of transcripts read from survey tables; when they hold most passages, the
            adaptive theme size follows the survey rule of :func:`adaptive_min_size`.

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
    except ImportError as exc:  # pragma: no cover - part of the default install
        raise MissingExtraError(
            f"theme finding needs BERTopic ({exc.name} is missing)",
            hint="run 'bash .ci/install' or 'pip install bertopic hdbscan umap-learn'",
        ) from exc

    reduction = choose_reduction(n, settings.reduction)
    survey = sum(p.transcript in answers for p in passages) * 2 > n
    min_size = settings.min_theme_size or adaptive_min_size(n, survey=survey)
    min_samples = max(2, min_size // 2)
    min_df = 2 if n >= 200 else 1
    model = BERTopic(
        umap_model=_reducer(reduction, n, settings),
        hdbscan_model=HDBSCAN(
            min_cluster_size=min_size,
            min_samples=min_samples,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=False,
        ),
        vectorizer_model=_vectorizer(min_df=min_df),
        top_n_words=30,
        calculate_probabilities=False,
        verbose=False,
    )
    docs = [p.analysis_text for p in passages]
    try:
        topics, _ = model.fit_transform(docs, embeddings=np.asarray(embeddings, dtype=np.float64))
        vocabulary = [str(w) for w in model.vectorizer_model.get_feature_names_out()]
    except ValueError as exc:
        # HDBSCAN finds no cluster at all, or the vocabulary is empty: no themes, every passage kept.
        log.warning("no themes found: %s", exc)
        topics = [-1] * n
        vocabulary = []
    topics = [int(t) for t in topics]
    count_ids = sorted(set(topics))
    if vocabulary:
        joined = [" ".join(d for d, t in zip(docs, topics) if t == topic) for topic in count_ids]
        counts = model.vectorizer_model.transform(_clean_for_keywords(joined)).toarray().astype(np.float64)
    else:
        counts = np.zeros((len(count_ids), 0), dtype=np.float64)
    words = topic_words(counts, count_ids, vocabulary)
    themes, centroids = _build_themes(passages, embeddings, topics, words, settings, embed)
    params: dict[str, object] = {"min_cluster_size": min_size, "min_samples": min_samples, "reduction": reduction,
                                 "reduced_dims": settings.reduced_dims, "seed": settings.seed}
    keys = [passage_key(p) for p in passages]
    centre_ids = sorted(centroids)
    topic_arr = np.asarray(topics, dtype=np.int32)
    floors = []
    for t in centre_ids:
        sims = embeddings[topic_arr == t] @ centroids[t]
        floors.append(float(np.percentile(sims, FLOOR_PERCENTILE)))
    state = ThemeState(
        keys=keys, topics=topic_arr, centre_ids=centre_ids,
        centres=np.stack([centroids[t] for t in centre_ids]) if centre_ids else np.zeros((0, embeddings.shape[1]), np.float32),
        floors=np.asarray(floors, dtype=np.float32), vocabulary=vocabulary, counts=counts, count_ids=count_ids,
        meta={"fit_passages": n, "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
              "params": dict(params), "min_df": min_df},
    )
    state.meta["fit"] = state.fingerprint
    params["fit"] = state.fingerprint
    return ThemeResult(
        themes=themes,
        assignments={p.id: t for p, t in zip(passages, topics)},
        centroids=centroids,
        reduction=reduction,
        min_theme_size=min_size,
        params=params,
        state=state,
    )


def _vectorizer(*, min_df: int = 1, vocabulary: Sequence[str] | None = None):  # noqa: ANN202
    """The keyword vectorizer (1-2 word phrases, English and spoken stop words)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    return CountVectorizer(
        stop_words=sorted(ENGLISH_STOP_WORDS | SPOKEN_STOP_WORDS),
        ngram_range=(1, 2),
        min_df=min_df,
        token_pattern=_WORD,
        preprocessor=_normalise_for_keywords,
        vocabulary=list(vocabulary) if vocabulary is not None else None,
    )


def _clean_for_keywords(docs: Sequence[str]) -> list[str]:
    """BERTopic's own cleaning before counting words (English: letters, digits and spaces only)."""
    cleaned = [re.sub(r"[^A-Za-z0-9 ]+", "", d.replace("\n", " ").replace("\t", " ")) for d in docs]
    return [d if d else "emptydoc" for d in cleaned]


def topic_words(counts: NDArray[np.float64], count_ids: Sequence[int], vocabulary: Sequence[str], *,
                top_n: int = 30) -> dict[int, list[str]]:
    """Each theme's top words by class-based TF-IDF (BERTopic's c-TF-IDF, computed from word counts).

    Ties are broken by vocabulary order, so the same counts always give the same words.
    """
    if not len(vocabulary) or not len(count_ids):
        return {int(t): [] for t in count_ids}
    df = counts.sum(axis=0)
    avg = int(counts.sum(axis=1).mean())
    with np.errstate(divide="ignore"):
        idf = np.log(avg / np.where(df > 0, df, np.inf) + 1)
    totals = counts.sum(axis=1, keepdims=True)
    tfidf = counts / np.where(totals > 0, totals, 1) * idf
    out: dict[int, list[str]] = {}
    for row, topic in enumerate(count_ids):
        order = np.lexsort((np.arange(len(vocabulary)), -tfidf[row]))[:top_n]
        out[int(topic)] = [vocabulary[i] for i in order if tfidf[row, i] > 0]
    return out


def _normalise_for_keywords(text: str) -> str:
    return text.lower().replace("\u2019", "'")


def _build_themes(passages, embeddings, topics, words_of, settings, embed) -> tuple[list[Theme], dict[int, NDArray[np.float32]]]:  # noqa: ANN001
    by_topic: dict[int, list[int]] = {}
    for i, t in enumerate(topics):
        if t >= 0:
            by_topic.setdefault(t, []).append(i)
    themes: list[Theme] = []
    centroids: dict[int, NDArray[np.float32]] = {}
    for topic in sorted(by_topic, key=lambda t: (-len(by_topic[t]), t)):
        members = by_topic[topic]
        words = _dedupe_keywords([w for w in words_of.get(topic, []) if w])
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




class ThemeStore:
    """Saved theme states in ``<cache>/themes/<settings key>/``, one ``.npz`` + ``.json`` per run.

    Args:
        folder: The cache folder (``settings.resolved_cache_dir()``).
        key: :func:`settings_key` of the run.
    """

    def __init__(self, folder: str | Path, key: str) -> None:
        self.folder = Path(folder) / "themes" / key

    def save(self, state: ThemeState) -> Path:
        """Write ``state`` atomically (data first, then the small index file) and prune old states."""
        name = state.fingerprint
        buffer = io.BytesIO()
        np.savez(
            buffer, keys=np.asarray(state.keys, dtype="U24"), topics=state.topics.astype(np.int32),
            centre_ids=np.asarray(state.centre_ids, dtype=np.int32), centres=state.centres.astype(np.float32),
            floors=state.floors.astype(np.float32), vocabulary=np.asarray(state.vocabulary, dtype=str),
            counts=state.counts.astype(np.float64), count_ids=np.asarray(state.count_ids, dtype=np.int32),
        )
        write_bytes(self.folder / f"{name}.npz", buffer.getvalue())
        meta = {**state.meta, "passages": len(state.keys), "state": name}
        path = write_text(self.folder / f"{name}.json", json.dumps(meta, indent=1, sort_keys=True, default=str))
        self._prune()
        return path

    def _prune(self) -> None:
        metas = sorted(self.folder.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in metas[STATES_KEPT:]:
            old.with_suffix(".npz").unlink(missing_ok=True)
            old.unlink(missing_ok=True)

    def load(self, name: str) -> ThemeState:
        """The state saved under ``name`` (a passage-set hash)."""
        meta = json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
        with np.load(self.folder / f"{name}.npz", allow_pickle=False) as data:
            return ThemeState(
                keys=[str(k) for k in data["keys"]], topics=data["topics"].astype(np.int32),
                centre_ids=[int(t) for t in data["centre_ids"]], centres=data["centres"],
                floors=data["floors"], vocabulary=[str(w) for w in data["vocabulary"]],
                counts=data["counts"], count_ids=[int(t) for t in data["count_ids"]], meta=meta,
            )

    def best_base(self, keys: Sequence[str]) -> ThemeState | None:
        """The saved state with the most passages whose passages are all among ``keys``."""
        if not self.folder.is_dir():
            return None
        wanted = set(keys)
        candidates = []
        for path in self.folder.glob("*.json"):
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if int(meta.get("passages", 0)) <= len(wanted) and path.with_suffix(".npz").is_file():
                candidates.append((int(meta["passages"]), path.stem))
        for _n, name in sorted(candidates, key=lambda c: (-c[0], c[1])):
            try:
                state = self.load(name)
            except (OSError, ValueError, KeyError) as exc:
                log.debug("ignoring unreadable theme state %s: %s", name, exc)
                continue
            if wanted.issuperset(state.keys):
                return state
        return None


def carry_over(
    passages: Sequence[Passage],
    embeddings: NDArray[np.float32],
    base: ThemeState,
    *,
    settings: Settings | None = None,
    embed: Callable[[list[str]], NDArray[np.float32]] | None = None,
) -> ThemeResult:
    """Themes of ``base`` for ``passages`` (a superset of its passages), without refitting.

    Passages ``base`` knows keep their theme. Each new passage joins its nearest theme centre when
    its cosine is at least that theme's floor, else it stays in no theme. Word counts of the new
    passages are added to their theme's, then keywords, labels, centres and quotes are recomputed.
    Theme ids are those of ``base``.
    """
    settings = settings or Settings()
    keys = [passage_key(p) for p in passages]
    known = dict(zip(base.keys, base.topics.tolist()))
    new_rows = [i for i, k in enumerate(keys) if k not in known]
    topics = [int(known.get(k, -1)) for k in keys]
    if new_rows and len(base.centre_ids):
        sims = embeddings[new_rows] @ base.centres.T
        best = np.argmax(sims, axis=1)
        for pos, (row, j) in enumerate(zip(new_rows, best)):
            if sims[pos, j] >= base.floors[j]:
                topics[row] = base.centre_ids[int(j)]
    counts = base.counts.copy()
    count_ids = list(base.count_ids)
    if new_rows and base.vocabulary:
        added = _vectorizer(vocabulary=base.vocabulary).transform(
            _clean_for_keywords([passages[i].analysis_text for i in new_rows])
        )
        for pos, row in enumerate(new_rows):
            topic = topics[row]
            if topic not in count_ids:
                count_ids.append(topic)
                counts = np.vstack([counts, np.zeros((1, counts.shape[1]))])
            counts[count_ids.index(topic)] += added[pos].toarray().ravel()
        order = sorted(range(len(count_ids)), key=lambda r: count_ids[r])
        counts, count_ids = counts[order], [count_ids[r] for r in order]
    words = topic_words(counts, count_ids, base.vocabulary)
    themes, centroids = _build_themes(passages, embeddings, topics, words, settings, embed)
    assigned = sum(1 for i in new_rows if topics[i] >= 0)
    params = dict(base.meta.get("params", {}))  # type: ignore[arg-type]
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
        count_ids=count_ids, meta={**base.meta, "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")},
    )
    return ThemeResult(
        themes=themes,
        assignments={p.id: t for p, t in zip(passages, topics)},
        centroids=centroids,
        reduction=str(params.get("reduction", "carried over")),
        min_theme_size=int(params.get("min_cluster_size", 0)),  # type: ignore[call-overload]
        params=params,
        state=state,
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
    """
    store = ThemeStore(settings.resolved_cache_dir(), settings_key(settings, model, fingerprint))
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
        result = carry_over(passages, embeddings, base, settings=settings, embed=embed)
        log.info("themes carried over from %s (fit %s on %d passages); %d new passages, %d assigned to themes",
                 base.fingerprint, base.meta.get("fit"), int(base.meta.get("fit_passages", 0)),
                 result.params["new_passages"], result.params["new_passages_assigned"])
    else:
        log.info("fitting themes afresh: %s", reason)
        result = find_themes(passages, embeddings, settings=settings, embed=embed, answers=answers)
        result.params["refit_reason"] = reason
    if result.state is not None:
        try:
            store.save(result.state)
        except OSError as exc:  # a read-only cache only costs the next run a refit
            log.warning("could not save the theme state in %s: %s", store.folder, exc)
    return result
