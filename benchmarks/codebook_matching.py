"""Codebook matching accuracy on the NHS Friends-and-Family-Test comments (../shared/bench/nhs_fft).

One command reproduces every number in benchmarks/CODEBOOK.md:

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/codebook_matching.py

Zero-shot: the matcher sees only codebook.jsonl and scores all 5,084 comments. Learning: for each code,
n comments (5/20/50, at most half of that code's comments) are drawn with a seed and every gold code of a
drawn comment becomes a confirmed decision; the rest of the comments are the evaluation set, never used for
fitting or tuning. Multi-label predictions: each comment's best code plus others within the margin.
Micro F1 pools every (comment, code) cell; macro F1 averages per-code F1 over codes with at least one
gold comment in the evaluation set.
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

from wisdoms._files import write_text  # noqa: E402
from wisdoms.codebook import CodeMatcher, Decision, assign, load_codebook  # noqa: E402
from wisdoms.embed import EmbeddingCache, embed_texts, make_embedder  # noqa: E402
from wisdoms.settings import Settings  # noqa: E402

BENCH = ROOT.parent / "shared" / "bench" / "nhs_fft"


def f1_scores(pred: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Micro and macro F1 (macro over codes with gold support)."""
    tp = (pred & gold).sum(0)
    fp = (pred & ~gold).sum(0)
    fn = (~pred & gold).sum(0)
    micro = 2 * tp.sum() / max(1, 2 * tp.sum() + fp.sum() + fn.sum())
    support = gold.sum(0) > 0
    per_code = 2 * tp / np.maximum(1, 2 * tp + fp + fn)
    return {"micro_f1": round(float(micro), 4), "macro_f1": round(float(per_code[support].mean()), 4),
            "codes_with_support": int(support.sum())}


def predict(matcher: CodeMatcher, vectors: np.ndarray, settings: Settings, *, top1: bool = False) -> np.ndarray:
    scores, _ = matcher.score(vectors)
    threshold = settings.learned_threshold if matcher.learned_ else settings.code_threshold
    return assign(scores, threshold=threshold, margin=settings.code_margin,
                  max_codes=1 if top1 else settings.max_codes_per_passage, always_top=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(BENCH))
    parser.add_argument("--cache-dir", default="/tmp/wisdoms-bench-cache")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "codebook.json"))
    args = parser.parse_args()
    bench = Path(args.bench)
    book = load_codebook(bench / "codebook.jsonl")
    comments = [json.loads(line) for line in (bench / "comments.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    embedder, cache = make_embedder(), EmbeddingCache(args.cache_dir)

    def embed(texts):
        return embed_texts(list(texts), embedder, cache)[0]

    started = time.time()
    vectors = embed([c["text"] for c in comments])
    settings = Settings()
    zero = CodeMatcher(book, settings).fit(embed)
    ids = [c.id for c in zero.codes_]
    gold = np.zeros((len(comments), len(ids)), dtype=bool)
    for r, c in enumerate(comments):
        for code in c["codes"]:
            gold[r, ids.index(code)] = True
    results: dict = {"comments": len(comments), "codes": len(ids), "settings": settings.to_dict(),
                     "model": embedder.describe()}
    results["zero_shot"] = {"multi_label": f1_scores(predict(zero, vectors, settings), gold),
                            "top1": f1_scores(predict(zero, vectors, settings, top1=True), gold)}
    curve = {}
    for n in (5, 20, 50):
        runs = []
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            chosen: set[int] = set()
            for k in range(len(ids)):
                pos = np.flatnonzero(gold[:, k])
                if len(pos):
                    chosen |= set(rng.choice(pos, min(n, max(1, len(pos) // 2)), replace=False).tolist())
            train = sorted(chosen)
            test = np.setdiff1d(np.arange(len(comments)), train)
            decisions = [Decision(comments[r]["id"], code, "confirm", comments[r]["text"], "benchmark gold", "")
                         for r in train for code in comments[r]["codes"]]
            learned = CodeMatcher(book, settings, decisions=decisions).fit(embed)
            run = f1_scores(predict(learned, vectors[test], settings), gold[test])
            run.update(train_comments=len(train), test_comments=int(len(test)), seed=seed)
            runs.append(run)
        curve[str(n)] = {"micro_f1": round(float(np.mean([r["micro_f1"] for r in runs])), 4),
                         "macro_f1": round(float(np.mean([r["macro_f1"] for r in runs])), 4), "runs": runs}
    results["learning_curve"] = curve
    results["seconds"] = round(time.time() - started, 1)
    write_text(args.out, json.dumps(results, indent=2) + "\n")
    print(json.dumps({"zero_shot": results["zero_shot"],
                      "learning_curve": {n: {k: v for k, v in c.items() if k != "runs"} for n, c in curve.items()}},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
