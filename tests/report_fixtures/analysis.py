"""A small analysis for the report, panel and REFI-QDA tests: 5 sample transcripts, a fake embedder.

The fake embedder hashes words into a fixed-size vector, so texts that share words are close; it is
deterministic and needs no model download. BERTopic still runs (about 15-25 s), so tests build this
once per module.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np

from wisdoms.embed import Embedder

REPO = Path(__file__).resolve().parents[2]
SAMPLE = ("conversation-01.txt", "conversation-02.txt", "conversation-03.txt", "conversation-04.txt", "conversation-05.txt")


class WordHashEmbedder(Embedder):
    """Bag of hashed words, L2-normalised: a deterministic stand-in for a sentence-transformer."""

    model_id = "test/word-hash"
    fingerprint = "word-hash-v1"
    dim = 64

    def encode(self, texts, *, progress=None):  # noqa: ANN001, ANN201
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z']{4,}", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1.0
            out[i, i % self.dim] += 0.01
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def make_inputs(tmp: Path) -> tuple[Path, Path]:
    """Copy 5 sample transcripts and the codebook into ``tmp``; return (transcripts folder, codebook)."""
    folder = tmp / "transcripts"
    folder.mkdir(parents=True)
    for name in SAMPLE:
        shutil.copy(REPO / "transcripts" / name, folder / name)
    codebook = tmp / "codebook.yaml"
    shutil.copy(REPO / "codebook" / "codebook.yaml", codebook)
    return folder, codebook


def build_analysis(tmp: Path):  # noqa: ANN201
    """Run the pipeline on the small corpus (not written); returns the Analysis."""
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings

    folder, codebook = make_inputs(tmp)
    return run(folder, codebook=codebook, write=False, embedder=WordHashEmbedder(),
               settings=Settings(cache_dir=str(tmp / "cache"), min_passages=20))
