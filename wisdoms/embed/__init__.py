"""Passage embeddings, cached on disk.

The only package that imports sentence-transformers (in :mod:`wisdoms.embed.sentence_transformer`)
and onnxruntime (in :mod:`wisdoms.embed.onnx`), both inside the functions that need them. Vectors
are L2-normalised ``float32``. The cache is keyed by a hash of (model id, model fingerprint, text),
so a re-run, or a run after one more transcript, encodes only text it has not seen.

Two encoders give (nearly) the same vectors for the default MiniLM model:

* :class:`SentenceTransformerEmbedder`: the model through torch, on GPU when there is one.
* :class:`OnnxEmbedder`: an int8 ONNX export of the same local model run by plain ``onnxruntime``,
  about twice as fast on CPU. It is built once, offline, from the installed weights into
  ``<cache>/onnx/<fingerprint>/`` and checked against torch on a fixed probe set when built; it is
  used only if the mean cosine agreement is at least :data:`MIN_AGREEMENT`. It has its own model id
  and fingerprint, so its vectors never mix with torch's in the cache.

Modules:
    base: the :class:`Embedder` interface.
    sentence_transformer: local models through torch, model folders and fingerprints.
    onnx: the int8 ONNX build and its runner.
    factory: :func:`make_embedder`, which picks the encoder.
    cache: :class:`EmbeddingCache` and :func:`embed_texts`.
"""

from __future__ import annotations

from .base import Embedder, Progress
from .cache import CacheStats, EmbeddingCache, embed_texts
from .factory import ensure_embedder, make_embedder
from .onnx import (
    AGREEMENT_PROBES,
    ATTENTION_BUDGET,
    MIN_AGREEMENT,
    ONNX_RECIPE,
    OnnxBuild,
    OnnxEmbedder,
    build_onnx,
    onnx_build_dir,
)
from .sentence_transformer import SentenceTransformerEmbedder, cuda_available, installed_model_path, model_fingerprint

__all__ = [
    "ensure_embedder",
    "AGREEMENT_PROBES",
    "ATTENTION_BUDGET",
    "MIN_AGREEMENT",
    "ONNX_RECIPE",
    "CacheStats",
    "Embedder",
    "EmbeddingCache",
    "OnnxBuild",
    "OnnxEmbedder",
    "Progress",
    "SentenceTransformerEmbedder",
    "build_onnx",
    "cuda_available",
    "embed_texts",
    "installed_model_path",
    "make_embedder",
    "model_fingerprint",
    "onnx_build_dir",
]
