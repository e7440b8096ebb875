"""Embeddings cached on disk in SQLite, so a re-run encodes only text it has not seen."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .base import Embedder, Progress

log = logging.getLogger(__name__)


@dataclass
class CacheStats:
    """How many texts a call found in the cache and how many it encoded."""

    cached: int = 0
    encoded: int = 0


#: Texts encoded between two commits to the cache: a run stopped part-way keeps what it had encoded.
COMMIT_EVERY = 2048


class EmbeddingCache:
    """Vectors on disk in one SQLite file, keyed by sha256(model id, fingerprint, text).

    SQLite gives atomic, crash-safe writes and lets several processes share one cache. A cache that cannot
    be read or written (a read-only folder, a full disk) is not an error: the run goes on without it, says
    so once, and encodes what it would have read.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "embeddings.sqlite"
        self.disabled = False

    def _connect(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=60)
        con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
        return con

    def _give_up(self, exc: Exception, doing: str) -> None:
        if not self.disabled:
            log.warning("the embedding cache %s cannot be %s (%s): going on without it, so the next run encodes "
                        "these texts again. To keep them, pass --cache-dir a folder you can write to (or free "
                        "disk space).", self.path, doing, exc)
        self.disabled = True

    @staticmethod
    def key(embedder: Embedder, text: str) -> str:
        """Cache key of one text for one embedder."""
        raw = f"{embedder.model_id}\x00{embedder.fingerprint}\x00{text}".encode()
        return hashlib.sha256(raw).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The cached vectors among ``keys``."""
        found: dict[str, NDArray[np.float32]] = {}
        if self.disabled or not self.path.exists() or not keys:
            return found
        try:
            con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
            try:
                for begin in range(0, len(keys), 900):
                    part = list(keys[begin : begin + 900])
                    marks = ",".join("?" * len(part))
                    for key, _dim, blob in con.execute(f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", part):  # noqa: S608 - "?" marks only
                        found[key] = np.frombuffer(blob, dtype=np.float32)
            finally:
                con.close()
        except (sqlite3.Error, OSError) as exc:
            if "no such table" in str(exc):  # created but never written: nothing cached yet
                return found
            self._give_up(exc, "read")
        return found

    def put_many(self, items: dict[str, NDArray[np.float32]]) -> None:
        """Store vectors; one transaction, so a crash leaves the cache as it was."""
        if not items or self.disabled:
            return
        try:
            con = self._connect()
            try:
                with con:
                    con.executemany(
                        "INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)",
                        ((k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                         for k, v in items.items()),
                    )
            finally:
                con.close()
        except (sqlite3.Error, OSError) as exc:
            self._give_up(exc, "written")


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[NDArray[np.float32], CacheStats]:
    """Vectors for ``texts`` (one row each), encoding only what the cache lacks.

    New texts are encoded and committed to the cache :data:`COMMIT_EVERY` at a time, cut along the
    embedder's own batches (:meth:`~wisdoms.embed.base.Embedder.batch_order`), so the vectors are those of
    one call and a run stopped part-way keeps the texts it had encoded.

    Returns:
        The matrix and how many unique texts came from the cache or were encoded.
    """
    unique = list(dict.fromkeys(texts))
    keys = {t: EmbeddingCache.key(embedder, t) for t in unique}
    known = cache.get_many(list(keys.values())) if cache is not None else {}
    missing = [t for t in unique if keys[t] not in known]
    if missing:
        log.info("encoding %d new texts (%d from cache)", len(missing), len(unique) - len(missing))
        batch_order = getattr(embedder, "batch_order", None)  # duck-typed embedders may lack it
        order, step = batch_order(missing) if batch_order else (list(range(len(missing))), 1)
        size = max(1, step) * max(1, COMMIT_EVERY // max(1, step))
        for begin in range(0, len(order), size):
            part = [missing[i] for i in order[begin : begin + size]]
            tell = None if progress is None else (lambda done, _total, at=begin: progress(at + done, len(missing)))
            vectors = embedder.encode(part, progress=tell)
            fresh = {keys[t]: vectors[i] for i, t in enumerate(part)}
            if cache is not None:
                cache.put_many(fresh)
            known.update(fresh)
    stats = CacheStats(cached=len(unique) - len(missing), encoded=len(missing))
    if not texts:
        return np.zeros((0, embedder.dim or 0), dtype=np.float32), stats
    return np.vstack([known[keys[t]] for t in texts]).astype(np.float32, copy=False), stats
