"""How far per-code calibration can take zero-shot coding, on NHS FFT and the two interview studies.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/codebook_calibration.py \
        --out benchmarks/results/codebook-i22-calibration.json

Two measurements per data set (benchmarks/CODEBOOK.md, "Why serdif's zero-shot target stays out of reach"):

- ``ceiling``: one additive bias per code fitted by coordinate ascent on the gold labels of the very units scored,
  top-1 macro F1 over every code with a gold unit. It is cheating on purpose: no per-code prior, threshold or
  standardisation, whatever it is estimated from, can do better than biases chosen with the answers, so it bounds
  what calibration can add to plain cosine ("name: definition") and to the shipped zero-shot score.
- ``broadness``: the shipped zero-shot score minus ``a`` times each code's "broadness" (its "name: definition"
  vector's mean cosine to the other codes', centred over codes): a prior from the codebook alone. Tried, not shipped.

Embeddings are cached in --cache-dir (as benchmarks/codebook_matching.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from codebook_matching import cosine_top1, per_code_f1, prf_scores  # noqa: E402
from coding_data import DATASETS, gold_matrix, load  # noqa: E402

from wisdoms._files import write_text  # noqa: E402
from wisdoms.codebook import CodeMatcher, assign  # noqa: E402
from wisdoms.embed import EmbeddingCache, embed_texts, make_embedder  # noqa: E402
from wisdoms.settings import Settings  # noqa: E402

GRID = np.linspace(-0.15, 0.15, 31)


def top1(scores: np.ndarray) -> np.ndarray:
    return assign(scores, threshold=-9.0, margin=0.0, max_codes=1, always_top=True)


def ceiling(scores: np.ndarray, gold: np.ndarray, rounds: int = 3) -> float:
    """Top-1 macro F1 (any support) with the per-code biases that maximise it on ``gold`` itself."""
    bias = np.zeros(scores.shape[1])
    best = prf_scores(top1(scores), gold)["macro_f1_any_support"]
    for _ in range(rounds):
        for c in range(scores.shape[1]):
            keep = bias[c]
            for b in GRID:
                bias[c] = b
                got = prf_scores(top1(scores + bias), gold)["macro_f1_any_support"]
                if got > best:
                    best, keep = got, b
            bias[c] = keep
    return round(float(best), 4)


def run(name: str, embed) -> dict:
    book, units = load(name)
    texts = [u["text"] for u in units]
    vectors = embed(texts)
    settings = Settings()
    matcher = CodeMatcher(book, settings).fit(embed)
    ids = [c.id for c in matcher.codes_]
    gold = gold_matrix(units, ids)
    described = embed([f"{c.name}: {c.definition}" if c.definition else c.name for c in matcher.codes_])
    cosine = vectors @ described.T
    shipped = matcher.score(vectors, texts)[0]

    def rule(scores: np.ndarray) -> np.ndarray:
        return assign(scores, threshold=settings.code_threshold, margin=settings.code_margin,
                      max_codes=settings.max_codes_per_passage, always_top=True)

    gram = described @ described.T
    np.fill_diagonal(gram, np.nan)
    broad = np.nanmean(gram, axis=1)
    broad -= broad.mean()
    out = {
        "cosine_top1": prf_scores(cosine_top1(book, vectors, embed), gold),
        "zero_shot": {**prf_scores(rule(shipped), gold), "per_code_f1": per_code_f1(rule(shipped), gold, ids),
                      "predicted": dict(zip(ids, rule(shipped).sum(axis=0).tolist())),
                      "gold": dict(zip(ids, gold.sum(axis=0).tolist()))},
        "ceiling_top1_any_support": {"cosine": ceiling(cosine, gold), "zero_shot": ceiling(shipped, gold),
                                     "cosine_without_biases": prf_scores(top1(cosine), gold)["macro_f1_any_support"],
                                     "zero_shot_without_biases": prf_scores(top1(shipped), gold)["macro_f1_any_support"]},
        "broadness": {},
    }
    for a in (0.4, 0.6, 0.8):
        pred = rule(shipped - a * broad[None, :].astype(np.float32))
        out["broadness"][str(a)] = {**prf_scores(pred, gold), "per_code_f1": per_code_f1(pred, gold, ids)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=",".join(DATASETS))
    parser.add_argument("--cache-dir", default="/tmp/wisdoms-bench-cache")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "codebook-i22-calibration.json"))
    args = parser.parse_args()
    embedder, cache = make_embedder(encoder="torch", cache_dir=args.cache_dir), EmbeddingCache(args.cache_dir)

    def embed(texts):
        return embed_texts(list(texts), embedder, cache)[0]

    results: dict = {"model": embedder.describe()}
    for name in args.data.split(","):
        started = time.time()
        results[name] = run(name, embed)
        results[name]["seconds"] = round(time.time() - started, 1)
        r = results[name]
        print(name, json.dumps({"cosine": r["cosine_top1"]["macro_f1"], "zero_shot": r["zero_shot"]["macro_f1"],
                                "ceiling": r["ceiling_top1_any_support"],
                                "broadness": {a: v["macro_f1"] for a, v in r["broadness"].items()}}), flush=True)
    write_text(args.out, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
