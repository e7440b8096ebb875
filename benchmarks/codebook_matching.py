"""Codebook coding measured on human-coded data: NHS FFT comments and two interview studies (segments as units).

One command per data set reproduces the numbers in benchmarks/CODEBOOK.md (embeddings cached in --cache-dir):

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/codebook_matching.py --data nhs_fft --seeds 1 --shipped-only \
        --out benchmarks/results/codebook-i22-nhs_fft.json

(--seeds 3 for the mean of three draws; without --shipped-only the ungated learner is measured too.)

Data (benchmarks/coding_data.py): ../shared/bench/nhs_fft (5,084 comments, 32 codes, names, definitions and
examples), ../shared/bench/interviews/serdif-usability (1,791 coded segments, 22 codes, one-line definitions) and
pdpilot-userstudy (213 coded segments, 76 codes, most without a definition). Each figure stands beside plain
cosine top-1 ("name: definition", or the name alone, on the same rows), the baseline a user would otherwise run.

Zero-shot: the matcher sees only the codebook, as `wisdoms code` does by default (a text's codes never depend on
the batch it arrives in). "zero_shot_learning_from_batch" is the explicit option (`learn_from_corpus`): the same
texts, unlabelled, are learned from too. "batch_independence" codes the first eighth of the units alone and inside
the whole set and counts how often the top code and the assigned codes agree. Learning: for each code, n units
(5/20/50, at most half of that code's units) are drawn with a seed; every gold code of a drawn unit becomes a
confirmed decision; the rest are the evaluation rows, on which cosine, zero-shot and learned are all measured.
"learned" is as shipped (each code's components chosen by cross-validation on the decisions); "learned_ungated"
always uses the embedding + wording regression (the learner before this change), to show what the choice adds.
Assignment: each unit's best code plus others within the margin (the bench's rule); "*_as_assigned" assigns as
`wisdoms code` does (a best code under the threshold is not assigned). Macro figures average per-code F1 over
codes with at least 10 gold units among the rows measured (../shared/bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wisdoms._files import write_text  # noqa: E402
from wisdoms.codebook import CodeMatcher, Decision, assign  # noqa: E402
from wisdoms.embed import EmbeddingCache, embed_texts, make_embedder  # noqa: E402
from wisdoms.settings import Settings  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from coding_data import DATASETS, SHARED, gold_matrix, load  # noqa: E402

#: The NHS FFT data set (benchmarks/codebook_finetune.py reads it from here).
BENCH = SHARED / "nhs_fft"


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


#: Learned matchers measured at every point of the curve: (name, fixed combination or None for the shipped choice).
LEARNED = (("learned", None), ("learned_ungated", ("meaning", "wording")))


@contextmanager
def _combinations(fixed: tuple[str, ...] | None):
    """Every code uses ``fixed`` (no cross-validated choice) while inside; ``None`` leaves the shipped choice."""
    from wisdoms.codebook import learning

    saved = learning.COMBINATIONS
    if fixed is not None:
        learning.COMBINATIONS = (fixed,)
    try:
        yield
    finally:
        learning.COMBINATIONS = saved


def cosine_top1(book, vectors: np.ndarray, embed) -> np.ndarray:
    """Plain cosine to each code's "name: definition" (the name alone when it has none), best code only."""
    codes = list(book.active)
    described = embed([f"{c.name}: {c.definition}" if c.definition else c.name for c in codes])
    return assign(vectors @ described.T, threshold=-2.0, margin=0.0, max_codes=1, always_top=True)


def learned_run(book, units: list[dict], vectors: np.ndarray, gold: np.ndarray, embed, settings: Settings,
                n: int | None, seed: int, variants=LEARNED) -> dict[str, dict]:
    """One learning-curve point: confirmed decisions from the learning rows (``n`` per code, or with ``n=None``
    half of all units: :func:`half_split`); cosine, zero-shot and each learned variant on the evaluation rows."""
    train, test = split(gold, n, seed) if n is not None else half_split(len(gold), seed)
    decisions = [Decision(units[r]["id"], code, "confirm", units[r]["text"], "benchmark gold", "")
                 for r in train for code in units[r]["codes"]]
    texts = [u["text"] for u in units]
    test_texts = [texts[r] for r in test]
    common = {"train_units": int(len(train)), "test_units": int(len(test)), "seed": seed}
    out = {"cosine_top1": {**prf_scores(cosine_top1(book, vectors[test], embed), gold[test]), **common},
           "zero_shot": {**measure(CodeMatcher(book, settings).fit(embed), vectors[test], test_texts, gold[test],
                                   settings), **common}}
    for name, fixed in variants:
        started = time.time()
        with _combinations(fixed):
            learned = CodeMatcher(book, settings, decisions=decisions).fit(embed, corpus=vectors, corpus_texts=texts)
        fit_s = time.time() - started
        run = measure(learned, vectors[test], test_texts, gold[test], settings)
        if learned.learner_ is not None:
            chosen = [" + ".join(c) if c else "zero-shot" for c in learned.learner_.chosen_]
            run["chosen"] = {k: chosen.count(k) for k in sorted(set(chosen))}
        run.update(common, fit_seconds=round(fit_s, 1))
        out[name] = run
    return out


def mean_of(runs: list[dict]) -> dict:
    """Mean of every micro/macro figure over seeds, with the runs themselves."""
    metrics = [k for k in runs[0] if k.startswith(("micro_", "macro_")) and k != "macro_codes"]
    return {**{k: round(float(np.mean([r[k] for r in runs])), 4) for k in metrics}, "runs": runs}


def batch_independence(book, units: list[dict], vectors: np.ndarray, embed, settings: Settings,
                       whole: CodeMatcher) -> dict:
    """The first eighth of the units coded alone and inside the whole set (``whole``: fitted with ``settings`` and
    every unit as its corpus): how often the top code, and the set of assigned codes, agree (1.0: the batch made
    no difference)."""
    texts = [u["text"] for u in units]
    part = max(1, len(units) // 8)

    def coded(matcher: CodeMatcher) -> tuple[np.ndarray, np.ndarray]:
        scores = matcher.score(vectors[:part], texts[:part])[0]
        return np.argmax(scores, axis=1), matcher.assigned(scores)

    alone = CodeMatcher(book, settings).fit(embed, corpus=vectors[:part], corpus_texts=texts[:part])
    (top_a, set_a), (top_b, set_b) = coded(alone), coded(whole)
    return {"units": part, "of": len(units), "top_code_agrees": round(float((top_a == top_b).mean()), 4),
            "assigned_codes_agree": round(float((set_a == set_b).all(axis=1).mean()), 4)}


def run_dataset(name: str, embed, seeds: int, sizes: list[int], variants=LEARNED) -> dict:
    """Every figure for data set ``name``."""
    book, units = load(name)
    texts = [u["text"] for u in units]
    vectors = embed(texts)
    settings = Settings()
    zero = CodeMatcher(book, settings).fit(embed)
    ids = [c.id for c in zero.codes_]
    gold = gold_matrix(units, ids)
    batch = settings.with_overrides(learn_from_corpus=True)
    from_batch = CodeMatcher(book, batch).fit(embed, corpus=vectors, corpus_texts=texts)
    results: dict = {
        "units": len(units), "codes": len(ids), "codes_used": int(gold.any(axis=0).sum()),
        "cosine_top1": prf_scores(cosine_top1(book, vectors, embed), gold),
        "zero_shot": {**measure(zero, vectors, texts, gold, settings),
                      "top1": prf_scores(predict(zero, vectors, settings, top1=True, texts=texts), gold)},
        "zero_shot_learning_from_batch": measure(from_batch, vectors, texts, gold, batch),
        "batch_independence": {
            "default": batch_independence(book, units, vectors, embed, settings,
                                          CodeMatcher(book, settings).fit(embed, corpus=vectors, corpus_texts=texts)),
            "learning_from_batch": batch_independence(book, units, vectors, embed, batch, from_batch)},
    }
    curve: dict = {}
    for n in sizes:
        started = time.time()
        runs = [learned_run(book, units, vectors, gold, embed, settings, n, seed, variants) for seed in range(seeds)]
        curve[str(n)] = {part: mean_of([r[part] for r in runs]) for part in runs[0]}
        print(f"{name} n={n}: {time.time() - started:.0f} s "
              + ", ".join(f"{part} {v['macro_f1']:.3f} (any support {v['macro_f1_any_support']:.3f})"
                          for part, v in curve[str(n)].items()), flush=True)
    results["learning_curve"] = curve
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=",".join(DATASETS), help=f"comma-separated, of {', '.join(DATASETS)}")
    parser.add_argument("--cache-dir", default="/tmp/wisdoms-bench-cache")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", default="5,20,50", help="confirmed units per code at each learning point")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "codebook.json"))
    parser.add_argument("--shipped-only", action="store_true", help="measure the shipped learner only, not the "
                        "learner without the cross-validated choice as well")
    parser.add_argument("--encoder", default="torch", choices=["torch", "onnx"],
                        help="MiniLM through torch (the figures in CODEBOOK.md) or the int8 ONNX build")
    args = parser.parse_args()
    embedder, cache = make_embedder(encoder=args.encoder, cache_dir=args.cache_dir), EmbeddingCache(args.cache_dir)

    def embed(texts):
        return embed_texts(list(texts), embedder, cache)[0]

    started = time.time()
    results: dict = {"model": embedder.describe(), "settings": Settings().to_dict(), "seeds": args.seeds}
    for name in args.data.split(","):
        begun = time.time()
        results[name] = run_dataset(name, embed, args.seeds, [int(n) for n in args.sizes.split(",")],
                                    LEARNED[:1] if args.shipped_only else LEARNED)
        results[name]["seconds"] = round(time.time() - begun, 1)
        summary = {k: (results[name][k]["macro_f1"], results[name][k]["macro_f1_any_support"])
                   for k in ("cosine_top1", "zero_shot", "zero_shot_learning_from_batch")}
        print(name, json.dumps({**summary, "batch_independence": results[name]["batch_independence"]}), flush=True)
    results["seconds"] = round(time.time() - started, 1)
    write_text(args.out, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
