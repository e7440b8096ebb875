"""What a fit leaves behind for later runs: results, saved states, and the keys they are found by.

A state is saved as one ``.npz`` (arrays and strings, loaded with ``allow_pickle=False``) and one
``.json`` (metadata) in ``<cache>/themes/<settings key>/``; neither records a Python class or module
path, so states saved before :mod:`wisdoms.themes` became a package still load.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._files import write_bytes, write_text
from ..models import Passage, Theme
from ..settings import Settings

log = logging.getLogger(__name__)


#: A new passage joins its nearest theme only if at least as close to the theme's centre as this
#: percentile of the theme's fitted members.
FLOOR_PERCENTILE = 10.0
#: Bump when the saved theme state changes meaning; older states are then ignored. 3: survey answers'
#: adaptive minimum theme size became 10 (states fitted under sqrt(n)/7 must not be carried over), and
#: word counts are saved sparse.
STATE_VERSION = 5
#: Saved states kept per settings key (newest first).
STATES_KEPT = 8
#: Modules whose code decides which passages a fit groups and how: a change to any of them (a new wisdoms) makes
#: earlier states stale, so a run fits afresh instead of carrying over a structure the new code would not find.
FIT_MODULES = ("wisdoms.themes.fit", "wisdoms.themes.structure", "wisdoms.themes.units", "wisdoms.segment")


def fit_code_version() -> str:
    """A hash of the source of :data:`FIT_MODULES` (read, not imported), so states from other code are not found."""
    import importlib.util

    digest = hashlib.sha256()
    for name in FIT_MODULES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        digest.update(Path(origin).read_bytes() if origin and Path(origin).is_file() else name.encode())
    return digest.hexdigest()[:16]


@dataclass
class ThemeResult:
    """What :func:`~wisdoms.themes.fit.find_themes` found.

    Attributes:
        themes: Themes, largest first, with quotes (codes are added by the codebook stage).
        assignments: Theme id per analysable passage (``-1``: not yet in a theme).
        centroids: Theme id -> L2-normalised mean embedding of its passages.
        reduction: The reduction actually used (``pca``, ``umap``, ``none``).
        min_theme_size: The smallest theme size used.
        model: The fitted BERTopic model (``None`` when themes were carried over from an earlier fit).
        subtheme_of: Sub-theme id per analysable passage (``-1``: none).
        reasons: Why each analysable passage in no theme is there.
        units: The analysable passages' units of meaning (lists of their rows, :func:`~wisdoms.themes.units.units_of`),
            formed once per run; later stages read them rather than form them again.
    """

    themes: list[Theme]
    assignments: dict[str, int]
    centroids: dict[int, NDArray[np.float32]]
    reduction: str
    min_theme_size: int
    params: dict[str, object] = field(default_factory=dict)
    state: ThemeState | None = field(default=None, repr=False)
    model: Any = field(default=None, repr=False)
    subtheme_of: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    units: list[list[int]] = field(default_factory=list, repr=False)


@dataclass
class ThemeState:
    """What a later run needs to carry themes over without refitting.

    Attributes:
        keys: :func:`passage_key` of every analysable passage, in run order.
        topics: Sub-theme id per key (``-1``: in no theme).
        centre_ids: Sub-theme ids, in the row order of ``centres``.
        centres: L2-normalised fit-time centres (new passages are placed against these).
        floors: Least cosine to its centre a new passage needs, per theme.
        vocabulary: The keyword vectorizer's vocabulary.
        counts: Word counts (SciPy CSR matrix, float64), one row per id in ``count_ids`` (``-1``
            included), over ``vocabulary``; saved as its CSR arrays (~0.3% of cells are filled).
        count_ids: Sub-theme id of each row of ``counts``.
        parents: The theme of each sub-theme, in the order of ``centre_ids``.
        meta: ``fit`` (fingerprint of the fit), ``fit_passages``, ``created``, ``params``, ``min_df``.
    """

    keys: list[str]
    topics: NDArray[np.int32]
    centre_ids: list[int]
    centres: NDArray[np.float32]
    floors: NDArray[np.float32]
    vocabulary: list[str]
    counts: Any
    count_ids: list[int]
    meta: dict[str, Any]
    parents: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))

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


def settings_key(settings: Settings, model: str, fingerprint: str, *, guide: str = "") -> str:
    """Hash of everything that shapes a fit: theme settings, embedding model, seed, the code that fits
    (:func:`fit_code_version`) and (``guide``) the codebook that seeds it."""
    material: dict[str, object] = {
        "version": STATE_VERSION, "code": fit_code_version(), "model": model, "fingerprint": fingerprint, "seed": settings.seed,
        "min_passage_words": settings.min_passage_words, "min_answer_words": settings.min_answer_words,
        "min_theme_size": settings.min_theme_size,
        "min_passages": settings.min_passages, "reduction": settings.reduction,
        "max_theme_share": settings.max_theme_share,
        "reduced_dims": settings.reduced_dims, "umap_neighbors": settings.umap_neighbors,
    }
    if guide:  # codebook-free fits keep the key they had
        material["guide"] = guide
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:24]


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
        from scipy import sparse

        name = state.fingerprint
        counts = sparse.csr_matrix(state.counts, dtype=np.float64)
        buffer = io.BytesIO()
        np.savez(
            buffer, keys=np.asarray(state.keys, dtype="U24"), topics=state.topics.astype(np.int32),
            centre_ids=np.asarray(state.centre_ids, dtype=np.int32), centres=state.centres.astype(np.float32),
            floors=state.floors.astype(np.float32), vocabulary=np.asarray(state.vocabulary, dtype=str),
            counts_data=counts.data, counts_indices=counts.indices.astype(np.int32),
            counts_indptr=counts.indptr.astype(np.int64), counts_shape=np.asarray(counts.shape, dtype=np.int64),
            count_ids=np.asarray(state.count_ids, dtype=np.int32), parents=np.asarray(state.parents, dtype=np.int32),
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
        from scipy import sparse

        meta = json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
        with np.load(self.folder / f"{name}.npz", allow_pickle=False) as data:
            return ThemeState(
                keys=[str(k) for k in data["keys"]], topics=data["topics"].astype(np.int32),
                centre_ids=[int(t) for t in data["centre_ids"]], centres=data["centres"],
                floors=data["floors"], vocabulary=[str(w) for w in data["vocabulary"]],
                counts=sparse.csr_matrix((data["counts_data"], data["counts_indices"], data["counts_indptr"]),
                                         shape=tuple(int(n) for n in data["counts_shape"])),
                count_ids=[int(t) for t in data["count_ids"]], meta=meta, parents=data["parents"].astype(np.int32),
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
