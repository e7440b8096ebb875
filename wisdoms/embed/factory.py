"""Choosing the encoder a run uses: torch, the int8 ONNX build, or whichever suits the machine."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from ..errors import ModelUnavailableError, SettingsError
from ..settings import DEFAULT_MODEL, Settings
from .base import Embedder
from .onnx import MIN_AGREEMENT, OnnxEmbedder, build_onnx
from .sentence_transformer import SentenceTransformerEmbedder, cuda_available

log = logging.getLogger(__name__)


def make_embedder(model: str = DEFAULT_MODEL, *, encoder: str = "torch", cache_dir: str | Path | None = None) -> Embedder:
    """The embedder a run uses for ``model``.

    ``encoder`` is ``torch`` (sentence-transformers, on GPU when there is one), ``onnx`` (the int8
    ONNX build, made once in ``cache_dir`` if missing) or ``auto`` (torch when a CUDA GPU is present,
    else the ONNX build). ONNX falls back to torch, with the reason logged, when the build cannot be
    made or its mean cosine to torch is below :data:`MIN_AGREEMENT`.

    Raises:
        ModelUnavailableError: The model is not installed locally.
        SettingsError: ``encoder`` is not one of ``auto``, ``torch``, ``onnx``.
    """
    if encoder not in ("auto", "torch", "onnx"):
        raise SettingsError(f"encoder {encoder!r} is unknown", hint="use auto, torch or onnx")
    if encoder == "torch" or (encoder == "auto" and cuda_available()):
        return SentenceTransformerEmbedder(model)
    try:
        build = build_onnx(model, cache_dir)
    except _onnx_failures() as exc:
        log.warning("using torch for %s: the ONNX encoder could not be built (%s: %s)", model, type(exc).__name__, exc)
        return SentenceTransformerEmbedder(model)
    if not build.agrees:
        log.warning(
            "using torch for %s: its ONNX build agrees with torch at mean cosine %.4f, below %.2f (%s)",
            model, build.mean_cosine, MIN_AGREEMENT, build.folder,
        )
        return SentenceTransformerEmbedder(model)
    return OnnxEmbedder(build, model)


@lru_cache(maxsize=2)
def _embedder_for(model: str, encoder: str, cache_dir: str) -> Embedder:
    return make_embedder(model, encoder=encoder, cache_dir=cache_dir)


#: ``lru_cache`` does not stop two threads that miss at once from both making an embedder.
_EMBEDDER_LOCK = threading.Lock()


def ensure_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings`` configure, made once per process: a second run in a notebook or a
    ``wisdoms watch`` does not load the encoder again, nor do two runs started at once in two threads.

    Raises:
        ModelUnavailableError: The model is not installed.
    """
    with _EMBEDDER_LOCK:
        return _embedder_for(settings.model, settings.encoder, str(settings.resolved_cache_dir()))


def _onnx_failures() -> tuple[type[BaseException], ...]:
    """What building or checking an ONNX encoder may raise for a model it does not suit: our own errors, the
    exporter's (``TypeError`` for a forward it cannot call, ``RuntimeError``), and onnxruntime's own exceptions,
    which derive from ``Exception`` only (``InvalidArgument`` for an input the graph does not declare)."""
    failures: list[type[BaseException]] = [ModelUnavailableError, OSError, RuntimeError, ValueError, TypeError,
                                            KeyError, ImportError]
    try:
        from onnxruntime.capi import onnxruntime_pybind11_state as state
    except ImportError:
        return tuple(failures)
    failures += [error for error in vars(state).values()
                 if isinstance(error, type) and issubclass(error, Exception) and error.__module__ == state.__name__]
    return tuple(failures)
