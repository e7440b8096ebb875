"""Encoding time and agreement to torch of the int8 ONNX encoder by batch size (issue 7; ``onnx.BATCH_SIZE``).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/onnx_batch.py --texts 4000 --batch-sizes 64,32,16,8 --agreement 1500

Texts: distinct answers of ../shared/bench/nhs_fft/phase1_single_label.csv, or with ``--passages`` the
passages of the shipped sample conversations (longer). Prints one JSON line per batch size: seconds to encode
``--texts`` texts (after one warm-up call), and the mean and lowest cosine to the torch model over the first
``--agreement`` texts. Uses the benchmark scratch cache (ONNX build made once).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed


def _texts(passages: bool) -> list[str]:
    if passages:
        from wisdoms.ingest import read_folder
        from wisdoms.segment import segment

        return list(dict.fromkeys(p.analysis_text for p in segment(read_folder(speed.ROOT / "transcripts"))))
    import pandas as pd

    frame = pd.read_csv(speed.CSV)
    return list(dict.fromkeys(t for t in frame["text"].astype(str) if t.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--batch-sizes", default="64,32,16,8")
    parser.add_argument("--agreement", type=int, default=1500, help="texts compared with torch (0: skip)")
    parser.add_argument("--passages", action="store_true", help="the sample's conversation passages instead")
    parser.add_argument("--work", default="/tmp/wisdoms-speed", help="scratch folder (ONNX build)")
    args = parser.parse_args()

    from wisdoms.embed import make_embedder

    cache = Path(args.work) / "prepared"
    texts = _texts(args.passages)[: args.texts]
    onnx = make_embedder(encoder="onnx", cache_dir=cache)
    reference = make_embedder(encoder="torch", cache_dir=cache).encode(texts[: args.agreement]) if args.agreement else None
    for size in (int(b) for b in args.batch_sizes.split(",")):
        onnx.batch_size = size
        onnx._runner = None  # a runner of this batch size
        onnx.encode(texts[:50])
        print(json.dumps(timed(onnx.encode, texts, reference, batch_size=size)), flush=True)


def timed(encode: Callable[[list[str]], Any], texts: list[str], reference: Any, **fields: object) -> dict[str, object]:
    """``fields`` plus the seconds ``encode`` takes over ``texts`` and, given torch's vectors of the first
    texts as ``reference``, the mean and lowest cosine to them."""
    started = time.perf_counter()
    vectors = encode(texts)
    record = {**fields, "texts": len(texts), "seconds": round(time.perf_counter() - started, 2)}
    if reference is not None:
        cosines = (vectors[: len(reference)] * reference).sum(axis=1)
        record.update(mean_cosine=round(float(cosines.mean()), 4), min_cosine=round(float(cosines.min()), 4))
    return record


if __name__ == "__main__":
    main()
