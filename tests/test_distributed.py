"""Segmentation and embedding on a local Dask cluster give exactly the single-process results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed", reason="dask distributed is not installed (pip install 'wisdoms[distributed]')")

from wisdoms.distributed import DaskEmbedder, segment_distributed, transcript_partitions  # noqa: E402
from wisdoms.ingest import read_folder  # noqa: E402
from wisdoms.settings import Settings  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "transcripts"


def test_partitions_keep_every_transcript_once_in_order() -> None:
    if not SAMPLE.is_dir():
        pytest.skip(f"the shipped sample {SAMPLE} is absent")
    docs = read_folder(SAMPLE)
    chunks = transcript_partitions(docs, 4)
    assert 1 < len(chunks) <= 4
    assert [t.id for c in chunks for t in c] == [t.id for t in docs]


@pytest.fixture(scope="module")
def client():  # noqa: ANN201
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.slow
def test_cluster_results_equal_single_process(client) -> None:  # noqa: ANN001
    if not SAMPLE.is_dir():
        pytest.skip(f"the shipped sample {SAMPLE} is absent")
    from wisdoms.embed import SentenceTransformerEmbedder
    from wisdoms.segment import segment

    docs = read_folder(SAMPLE)[:3]
    settings = Settings()
    here = segment(docs, settings=settings)
    there = segment_distributed(docs, settings=settings, scheduler=client, partitions=3)
    assert there == here

    texts = [p.analysis_text for p in here][:300]
    local = SentenceTransformerEmbedder(batch_size=8)  # encodes 256-text chunks: 300 texts, 2 partitions
    remote = DaskEmbedder(SentenceTransformerEmbedder(batch_size=8), client, partition_size=64)
    progress: list[int] = []
    ours = remote.encode(texts, progress=lambda done, total: progress.append(done))
    np.testing.assert_array_equal(ours, local.encode(texts))
    assert sorted(progress) == progress and progress[-1] == len(texts) and len(progress) == 2
    assert remote.fingerprint == local.fingerprint and remote.model_id == local.model_id


def test_pipeline_segments_and_embeds_on_the_scheduler(client, tmp_path, fake_embedder, monkeypatch) -> None:  # noqa: ANN001
    if not SAMPLE.is_dir():
        pytest.skip(f"the shipped sample {SAMPLE} is absent")
    import shutil

    import wisdoms.distributed as distributed
    from wisdoms.pipeline import run

    folder = tmp_path / "four"
    folder.mkdir()
    for p in sorted(SAMPLE.glob("conversation-*.txt"))[:4]:
        shutil.copy(p, folder / p.name)
    codebook = SAMPLE.parent / "codebook" / "codebook.yaml"
    calls: list[int] = []
    real = distributed.segment_distributed

    def counting(docs, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(len(docs))
        return real(docs, **kw)

    monkeypatch.setattr(distributed, "segment_distributed", counting)
    settings = Settings(cache_dir=str(tmp_path / "cache-here"))
    here = run(folder, codebook=codebook, settings=settings, embedder=fake_embedder, write=False)
    there = run(folder, codebook=codebook, embedder=fake_embedder, write=False,
                settings=settings.with_overrides(scheduler=client.scheduler.address, cache_dir=str(tmp_path / "cache-there")))
    assert calls == [4], "the pipeline segments on the cluster when a scheduler is set"
    assert there.manifest["models"]["embedding"]["scheduler"] == client.scheduler.address
    assert [p.id for p in there.passages] == [p.id for p in here.passages]
    np.testing.assert_array_equal(there.embeddings, here.embeddings)
    assert [(t.id, t.passage_ids) for t in there.themes] == [(t.id, t.passage_ids) for t in here.themes]
