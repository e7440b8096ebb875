"""Shared fixtures: paths, a small deterministic fake embedder, and one real-model run per session."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings as hypothesis_settings

# Property tests draw the same examples on every run ("ci"), so the suite that passed here passes in CI; set
# HYPOTHESIS_PROFILE=explore (with WISDOMS_HYPOTHESIS_EXAMPLES=1000, say) to search new random examples.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Tests never reach a model hub; the session shares one embedding cache folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts"
CODEBOOK = REPO / "codebook" / "codebook.yaml"


def shared_dir() -> Path | None:
    """``../shared`` beside the repository, if present."""
    for candidate in (REPO.parent / "shared", REPO.parents[1] / "shared"):
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole session, never the user's own cache."""
    folder = tmp_path_factory.mktemp("wisdoms-cache")
    os.environ["WISDOMS_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture
def shared() -> Path:
    """The shared data folder, or skip."""
    folder = shared_dir()
    if folder is None:
        pytest.skip("../shared is not present beside the repository (benchmark data lives there)")
    return folder


class FakeEmbedder:
    """Deterministic bag-of-words hashing embedder: texts sharing words get similar vectors.

    Small and fast, for unit tests only; integration tests use the real MiniLM model.
    """

    model_id = "fake-hashing-embedder"
    fingerprint = "v1"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str], *, progress=None) -> np.ndarray:  # noqa: ANN001
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z']+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0 if (h >> 8) % 2 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out

    def describe(self) -> dict[str, str]:
        return {"model": self.model_id, "fingerprint": self.fingerprint, "encoder": "FakeEmbedder"}


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def five_conversations(tmp_path: Path) -> Path:
    """A folder holding copies of the first five sample conversations (the sixth can be added as "one more")."""
    folder = tmp_path / "five"
    folder.mkdir()
    for p in sorted(SAMPLE.glob("conversation-*.txt"))[:5]:
        shutil.copy(p, folder / p.name)
    return folder


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the shipped sample that a test may change."""
    dest = tmp_path / "transcripts"
    shutil.copytree(SAMPLE, dest)
    return dest


@pytest.fixture(scope="session")
def real_run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The shipped sample through the real spaCy, MiniLM and BERTopic, once per session."""
    from wisdoms.pipeline import run

    out = tmp_path_factory.mktemp("real-run")
    return run(SAMPLE, codebook=CODEBOOK, out=out)


def ner_crashing(detector):  # noqa: ANN001, ANN201
    """A copy of ``detector`` whose spaCy NER raises on every text (a model that crashed), for fail-closed tests."""
    import copy

    broken = copy.copy(detector)

    class _Nlp:
        pipe_names = detector.nlp.pipe_names
        meta = detector.nlp.meta

        def select_pipes(self, **kwargs):  # noqa: ANN003, ANN202
            return detector.nlp.select_pipes(**kwargs)

        def pipe(self, texts, batch_size=64):  # noqa: ANN001, ANN202
            raise RuntimeError("NER model crashed")

    broken.nlp = broken.nlp_ = _Nlp()
    return broken
