"""Codebook matching accuracy on the NHS Friends-and-Family-Test comments (../shared/bench/nhs_fft).

One command reproduces every number in benchmarks/CODEBOOK.md:

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/codebook_matching.py

Zero-shot: the matcher sees only codebook.jsonl and the (unlabelled) vectors and texts of the 5,084 comments it
codes, which it learns from as `wisdoms code` does; "not_learned_from_corpus" self-trains on the vectors only and
scores clause by clause, "without_clauses" the same scoring whole comments (as `wisdoms run` codes passages),
"codebook_only" without the corpus. "*_as_assigned" figures assign as `wisdoms code` does (a best code under the
threshold is not assigned); all others give every comment its best code, as this benchmark always has. Learning: for each code,
n comments (5/20/50, at most half of that code's comments) are drawn with a seed and every gold code of a
drawn comment becomes a confirmed decision; the rest of the comments are the evaluation set, never used for
fitting or tuning. Every matcher is given all the comments' vectors and texts as its corpus, as `wisdoms code`
does (no gold codes). Learned matchers are measured twice: on the embedding alone ("embedding") and, as
shipped, with the wording of each comment too ("lexical": word and character n-gram TF-IDF next to the
embedding, see wisdoms/codebook/learning.py); at n = 20 two ablations show what learning from the corpus and
scoring clause by clause add. "learned_from_half" trains both learners on half of all comments (about 2,500, drawn
with each seed) and evaluates on the other half: the protocol of the issue's reference figure, and how far more
confirmed examples take the same learner. Multi-label predictions: each comment's best code plus others within the margin.
Micro figures pool every (comment, code) cell; macro figures average per-code precision, recall and F1
over codes with at least 10 gold comments in the evaluation set (as ../shared/bench/README.md asks).
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


MIN_SUPPORT = 10  # macro figures average over codes with at least this many gold comments (bench README)


def prf_scores(pred: np.ndarray, gold: np.ndarray, *, min_support: int = MIN_SUPPORT) -> dict[str, float]:
    """Micro and macro precision, recall and F1 of a (comments x codes) boolean prediction.

    Micro pools every (comment, code) cell. Macro averages per-code figures over the codes with at least
    ``min_support`` gold comments in ``gold`` (a code never predicted has precision 0);
    ``macro_f1_any_support`` averages F1 over every code with one or more gold comments, for comparison
    with earlier runs.
    """
    tp, fp, fn = (pred & gold).sum(0), (pred & ~gold).sum(0), (~pred & gold).sum(0)
    support = gold.sum(0)
    kept = support >= min_support
    precision = tp / np.maximum(1, tp + fp)
    recall = tp / np.maximum(1, tp + fn)
    f1 = 2 * tp / np.maximum(1, 2 * tp + fp + fn)

    def r(x) -> float:
        return round(float(x), 4)

    return {
        "micro_precision": r(tp.sum() / max(1, tp.sum() + fp.sum())),
        "micro_recall": r(tp.sum() / max(1, tp.sum() + fn.sum())),
        "micro_f1": r(2 * tp.sum() / max(1, 2 * tp.sum() + fp.sum() + fn.sum())),
        "macro_precision": r(precision[kept].mean()) if kept.any() else 0.0,
        "macro_recall": r(recall[kept].mean()) if kept.any() else 0.0,
        "macro_f1": r(f1[kept].mean()) if kept.any() else 0.0,
        "macro_codes": int(kept.sum()),
        "macro_f1_any_support": r(f1[support > 0].mean()) if (support > 0).any() else 0.0,
    }


def per_code_f1(pred: np.ndarray, gold: np.ndarray, ids: list[str], *, min_support: int = MIN_SUPPORT
                ) -> dict[str, float]:
    """F1 of each code the macro figures average over (at least ``min_support`` gold comments), by code id,
    commonest first: where macro F1 is won and lost."""
    tp, fp, fn = (pred & gold).sum(0), (pred & ~gold).sum(0), (~pred & gold).sum(0)
    support = gold.sum(0)
    return {ids[k]: round(float(2 * tp[k] / max(1, 2 * tp[k] + fp[k] + fn[k])), 4)
            for k in np.argsort(-support, kind="stable") if support[k] >= min_support}


def predict(matcher: CodeMatcher, vectors: np.ndarray, settings: Settings, *, top1: bool = False,
            texts: list[str] | None = None, always_top: bool = True) -> np.ndarray:
    """Assigned codes: every comment's best code (``always_top``, the bench's rule throughout) plus others within
    the margin; ``always_top=False`` assigns as `wisdoms code` does, where a best code under the threshold is not."""
    return _assign(matcher, matcher.score(vectors, texts)[0], settings, top1=top1, always_top=always_top)


def _assign(matcher: CodeMatcher, scores: np.ndarray, settings: Settings, *, top1: bool = False,
            always_top: bool = True) -> np.ndarray:
    threshold = settings.learned_threshold if matcher.learned_ else settings.code_threshold
    return assign(scores, threshold=threshold, margin=settings.code_margin,
                  max_codes=1 if top1 else settings.max_codes_per_passage, always_top=always_top)


def measure(matcher: CodeMatcher, vectors: np.ndarray, texts: list[str], gold: np.ndarray,
            settings: Settings) -> dict:
    """:func:`prf_scores` of the bench's rule, plus micro and macro F1 as `wisdoms code` assigns
    (``*_as_assigned``) and :func:`per_code_f1` of the bench's rule, from one scoring of ``vectors``."""
    scores = matcher.score(vectors, texts)[0]
    tool = prf_scores(_assign(matcher, scores, settings, always_top=False), gold)
    bench = _assign(matcher, scores, settings)
    return {**prf_scores(bench, gold),
            "micro_f1_as_assigned": tool["micro_f1"], "macro_f1_as_assigned": tool["macro_f1"],
            "per_code_f1": per_code_f1(bench, gold, [c.id for c in matcher.codes_])}


def split(gold: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Learning rows (per code, ``n`` of its comments, at most half of them, drawn with ``seed``) and
    evaluation rows (every other comment), as sorted index arrays that never overlap."""
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for k in range(gold.shape[1]):
        pos = np.flatnonzero(gold[:, k])
        if len(pos):
            chosen |= set(rng.choice(pos, min(n, max(1, len(pos) // 2)), replace=False).tolist())
    train = np.array(sorted(chosen), dtype=np.int64)
    return train, np.setdiff1d(np.arange(len(gold)), train)


def half_split(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Half of the comments, drawn with ``seed``, as learning rows and the other half as evaluation rows: the
    protocol of the issue's reference figure (a regression over MiniLM embeddings trained on half the comments)."""
    drawn = np.random.default_rng(seed).permutation(rows)
    return np.sort(drawn[: rows // 2]), np.sort(drawn[rows // 2:])


#: Learned matchers measured at every point of the curve: (name, setting overrides). "lexical" is as shipped.
LEARNED = (("embedding", {"learned_lexical": False}), ("lexical", {}))
#: Measured at n = 20 only, to show what each part of the shipped learner adds.
ABLATIONS = (("lexical_no_corpus", {"learn_from_corpus": False}),
             ("lexical_no_clauses_no_corpus", {"learn_from_corpus": False, "code_clauses": False}))


def learned_run(book, comments: list[dict], vectors: np.ndarray, gold: np.ndarray, embed, settings: Settings,
                n: int | None, seed: int, variants=LEARNED) -> dict[str, dict]:
    """One learning-curve point: confirmed decisions from the learning rows, scores on the evaluation rows
    (``n`` confirmed comments per code, or, with ``n=None``, half of all comments: :func:`half_split`).

    As ``wisdoms code --learn`` does, the matcher is fitted with every comment's vector and text as its
    corpus (no gold codes: the learning round on the corpus uses the matcher's own confident codes).
    """
    train, test = split(gold, n, seed) if n is not None else half_split(len(gold), seed)
    decisions = [Decision(comments[r]["id"], code, "confirm", comments[r]["text"], "benchmark gold", "")
                 for r in train for code in comments[r]["codes"]]
    texts = [c["text"] for c in comments]
    test_texts = [texts[r] for r in test]
    out = {}
    for name, overrides in variants:
        s = settings.with_overrides(**overrides)
        started = time.time()
        learned = CodeMatcher(book, s, decisions=decisions).fit(embed, corpus=vectors, corpus_texts=texts)
        fit_s = time.time() - started
        run = measure(learned, vectors[test], test_texts, gold[test], s)
        run.update(train_comments=len(train), test_comments=int(len(test)), seed=seed, fit_seconds=round(fit_s, 1),
                   corpus_rows=learned.corpus_rows_)
        out[name] = run
    return out


def mean_of(runs: list[dict]) -> dict:
    """Mean of every micro/macro figure over seeds, with the runs themselves."""
    metrics = [k for k in runs[0] if k.startswith(("micro_", "macro_")) and k != "macro_codes"]
    return {**{k: round(float(np.mean([r[k] for r in runs])), 4) for k in metrics}, "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=str(BENCH))
    parser.add_argument("--cache-dir", default="/tmp/wisdoms-bench-cache")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "codebook.json"))
    parser.add_argument("--encoder", default="torch", choices=["torch", "onnx"],
                        help="MiniLM through torch (the figures in CODEBOOK.md) or the int8 ONNX build "
                             "`wisdoms code` and `wisdoms run` use on a CPU (built in --cache-dir)")
    args = parser.parse_args()
    bench = Path(args.bench)
    book = load_codebook(bench / "codebook.jsonl")
    comments = [json.loads(line) for line in (bench / "comments.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    embedder, cache = make_embedder(encoder=args.encoder, cache_dir=args.cache_dir), EmbeddingCache(args.cache_dir)

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
    texts = [c["text"] for c in comments]
    self_trained = CodeMatcher(book, settings).fit(embed, corpus=vectors, corpus_texts=texts)
    # self-trained on the corpus's vectors only; scored whole ("without_clauses") it is what `wisdoms run` does
    fast = CodeMatcher(book, settings).fit(embed, corpus=vectors)
    whole = settings.with_overrides(code_clauses=False)
    results["zero_shot"] = {"multi_label": measure(self_trained, vectors, texts, gold, settings),
                            "top1": prf_scores(predict(self_trained, vectors, settings, top1=True, texts=texts), gold),
                            "self_trained_rows": self_trained.self_trained_rows_,
                            "corpus_rows": self_trained.corpus_rows_,
                            "not_learned_from_corpus": prf_scores(predict(fast, vectors, settings, texts=texts), gold),
                            "without_clauses": prf_scores(predict(fast, vectors, whole), gold),
                            "codebook_only": prf_scores(predict(zero, vectors, settings, texts=texts), gold)}
    curve: dict = {name: {} for name, _ in LEARNED}
    for n in (5, 20, 50):
        runs = [learned_run(book, comments, vectors, gold, embed, settings, n, seed) for seed in range(args.seeds)]
        for name in curve:
            curve[name][str(n)] = mean_of([r[name] for r in runs])
    results["learning_curve"] = curve
    ablations = [learned_run(book, comments, vectors, gold, embed, settings, 20, seed, ABLATIONS)
                 for seed in range(args.seeds)]
    results["ablations_20"] = {name: mean_of([r[name] for r in ablations]) for name, _ in ABLATIONS}
    halves = [learned_run(book, comments, vectors, gold, embed, settings, None, seed) for seed in range(args.seeds)]
    results["learned_from_half"] = {name: mean_of([r[name] for r in halves]) for name, _ in LEARNED}
    results["seconds"] = round(time.time() - started, 1)
    write_text(args.out, json.dumps(results, indent=2) + "\n")
    print(json.dumps({"zero_shot": results["zero_shot"],
                      "learning_curve": {name: {n: {k: v for k, v in c.items() if k != "runs"}
                                                for n, c in points.items()} for name, points in curve.items()},
                      **{part: {name: {k: v for k, v in c.items() if k != "runs"} for name, c in results[part].items()}
                        for part in ("ablations_20", "learned_from_half")}},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
