"""Segmentation and embedding on a Dask distributed cluster, with the same results as one process.

Given a scheduler address (``tcp://host:8786``, or a :class:`distributed.Client`), transcripts are
segmented in partitions of whole transcripts and new texts are embedded in partitions cut along the
encoder's own batches (:meth:`~wisdoms.embed.Embedder.batch_order`), so every batch a worker runs is
the batch a single process would have run: the passages and vectors are identical. Only the driver
reads and writes the embedding cache; workers load spaCy and the encoder once each and keep them.

Workers need the same Python environment as the driver (wisdoms, the spaCy pipeline, the model,
and for ``encoder: onnx`` the ONNX build in the same cache path, for example on a shared disk).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .embed import Embedder, Progress
from .errors import MissingExtraError, SettingsError
from .models import Passage, Transcript
from .settings import Settings

log = logging.getLogger(__name__)

#: Encoders already loaded in this (worker) process, by (class, model id, fingerprint).
_LIVE: dict[tuple[str, str, str], Embedder] = {}


def connect(scheduler: Any) -> Any:
    """A Dask client for ``scheduler`` (an address, or an existing client, returned as is).

    Raises:
        MissingExtraError: ``dask[distributed]`` is not installed.
        SettingsError: The scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError as exc:
        raise MissingExtraError(
            "running on a Dask cluster needs dask distributed",
            hint="pip install 'wisdoms[distributed]'",
        ) from exc
    if isinstance(scheduler, Client):
        return scheduler
    try:
        return Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise SettingsError(
            f"cannot reach the Dask scheduler {scheduler!r}: {exc}",
            hint="start one with 'dask scheduler' and workers with 'dask worker ADDRESS', or drop --scheduler",
        ) from exc


def transcript_partitions(transcripts: Sequence[Transcript], parts: int) -> list[list[Transcript]]:
    """Split ``transcripts`` into at most ``parts`` runs of whole transcripts with similar text length."""
    if not transcripts:
        return []
    parts = max(1, min(parts, len(transcripts)))
    target = sum(len(t.text) for t in transcripts) / parts
    chunks: list[list[Transcript]] = [[]]
    size = 0
    for transcript in transcripts:
        if chunks[-1] and size >= target and len(chunks) < parts:
            chunks.append([])
            size = 0
        chunks[-1].append(transcript)
        size += len(transcript.text)
    return chunks


def _segment_partition(transcripts: list[Transcript], settings: Settings) -> list[Passage]:
    from .segment import load_spacy, segment

    return segment(transcripts, settings=settings, nlp=load_spacy(settings.spacy_model))


def segment_distributed(
    transcripts: Sequence[Transcript], *, settings: Settings, scheduler: Any, partitions: int | None = None
) -> list[Passage]:
    """:func:`wisdoms.segment.segment` on the cluster; the same passages in the same order.

    Args:
        transcripts: Transcripts to split.
        settings: Passage sizes and spaCy model.
        scheduler: Scheduler address or client.
        partitions: Number of partitions (default: four per worker thread).
    """
    client = connect(scheduler)
    parts = partitions or 4 * max(1, sum(client.nthreads().values()))
    chunks = transcript_partitions(list(transcripts), parts)
    futures = client.map(_segment_partition, chunks, settings=settings, pure=False)
    passages: list[Passage] = []
    for part in client.gather(futures):
        passages.extend(part)
    log.info("segmented %d transcripts in %d partitions on %s", len(transcripts), len(chunks), client.scheduler.address)
    return passages


def _encode_partition(embedder: Embedder, texts: list[str]) -> NDArray[np.float32]:
    key = (type(embedder).__name__, embedder.model_id, embedder.fingerprint)
    live = _LIVE.setdefault(key, embedder)
    return live.encode(texts)


class DaskEmbedder(Embedder):
    """Runs another embedder's :meth:`encode` on a Dask cluster, partition by partition.

    It keeps the inner embedder's model id and fingerprint, so it shares its cache entries and its
    vectors equal the inner embedder's.

    Args:
        inner: The embedder workers run (shipped without its loaded weights).
        scheduler: Scheduler address or client.
        partition_size: Texts per task, rounded up to a whole number of the encoder's batches.
    """

    def __init__(self, inner: Embedder, scheduler: Any, *, partition_size: int = 2048) -> None:
        self.inner = inner
        self.scheduler = scheduler
        self.partition_size = partition_size
        self.model_id = inner.model_id
        self.fingerprint = inner.fingerprint
        self.dim = inner.dim

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from distributed import as_completed

        client = connect(self.scheduler)
        batch_order = getattr(self.inner, "batch_order", None)  # duck-typed embedders encode one by one
        order, step = batch_order(texts) if batch_order else (list(range(len(texts))), 1)
        size = max(step, -(-self.partition_size // step) * step)
        slices = [order[i : i + size] for i in range(0, len(order), size)]
        [shipped] = client.scatter([self.inner], broadcast=True, hash=False)
        futures = {
            client.submit(_encode_partition, shipped, [texts[i] for i in rows], pure=False): rows for rows in slices
        }
        out: NDArray[np.float32] | None = None
        done = 0
        for future in as_completed(futures):
            rows = futures[future]
            vectors = future.result()
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                self.dim = int(vectors.shape[1])
            out[rows] = vectors
            done += len(rows)
            if progress:
                progress(done, len(texts))
        log.info("encoded %d texts in %d partitions on %s", len(texts), len(slices), client.scheduler.address)
        assert out is not None
        return out

    def describe(self) -> dict[str, str]:
        info = self.inner.describe()
        info["scheduler"] = _address(self.scheduler)
        return info


def _address(scheduler: Any) -> str:
    info = getattr(scheduler, "scheduler", None)
    return str(getattr(info, "address", scheduler))
