"""Throughput per Dask worker: ONNX embedding and spaCy segmentation on a LocalCluster.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/distributed_throughput.py --texts 2000 --workers 1,2

Each worker is a process with one thread (onnxruntime limited to one thread), so the numbers are
per core. Vectors from the cluster are checked to equal a single-process run of the same encoder.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT.parent / "shared" / "bench" / "nhs_fft" / "phase1_single_label.csv"


def main() -> None:
    import pandas as pd
    from distributed import Client, LocalCluster

    from wisdoms.distributed import DaskEmbedder, segment_distributed
    from wisdoms.embed import OnnxEmbedder, build_onnx
    from wisdoms.ingest import read_folder
    from wisdoms.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--cache", default="/tmp/wisdoms-speed/prepared")
    args = parser.parse_args()
    texts = pd.read_csv(CSV)["text"].astype(str).tolist()[: args.texts]
    docs = read_folder(ROOT / "transcripts")
    build = build_onnx(cache_dir=args.cache)
    reference = OnnxEmbedder(build, threads=1).encode(texts)
    rows = []
    for n in [int(x) for x in args.workers.split(",")]:
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            remote = DaskEmbedder(OnnxEmbedder(build, threads=1), client, partition_size=256)
            remote.encode(texts[:n * 256])  # load the model on every worker
            start = time.perf_counter()
            vectors = remote.encode(texts)
            embed_s = time.perf_counter() - start
            segment_distributed(docs[:n], settings=Settings(), scheduler=client, partitions=n)  # load spaCy
            start = time.perf_counter()
            passages = segment_distributed(docs, settings=Settings(), scheduler=client, partitions=4 * n)
            segment_s = time.perf_counter() - start
        words = sum(len(d.text.split()) for d in docs)
        rows.append({
            "workers": n, "texts_per_s": round(len(texts) / embed_s, 1),
            "texts_per_s_per_worker": round(len(texts) / embed_s / n, 1),
            "identical_to_single_process": bool(np.array_equal(vectors, reference)),
            "segment_words_per_s": round(words / segment_s), "passages": len(passages),
        })
        print(json.dumps(rows[-1]), flush=True)
    out = ROOT / "benchmarks" / "results" / "distributed-throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
