"""What contrastive (SetFit-style) fine-tuning of MiniLM adds to the shipped codebook learner (issue 4).

Not part of the one-command benchmark: fine-tuning needs a CUDA GPU to run in minutes (on 2 CPU threads one
seed's fine-tuning alone had not finished after 560 s). On a machine with one:

    HF_HUB_OFFLINE=1 python benchmarks/codebook_finetune.py --model MODEL_DIR --out benchmarks/results/codebook-finetune.json

For each seed, the learning and evaluation rows are those of ``codebook_matching.py`` at n confirmed comments per
code. Both arms fit the shipped :class:`~wisdoms.codebook.CodeMatcher` (wording + embedding, clauses, second round
on the corpus) with every comment's vector and text as its corpus, exactly as that benchmark does; they differ
only in the encoder behind every vector (comments, clauses, codebook descriptors, decided texts):

- ``frozen``: MiniLM as shipped;
- ``fine_tuned``: MiniLM after one epoch over pairs of the decided comments (same code: cosine target 1; no code
  in common: 0; half of the pairs each), CosineSimilarityLoss, AdamW 2e-5 with 10% warm-up, batch 16.

``zero_shot`` does the same without decisions: the pairs come from the clearest half of the comments' distinct
texts, labelled with the codes the frozen matcher assigns them once fitted as `wisdoms code` fits it (learned from
its provisional examples, then the second round; not the provisional examples' own pre-learning codes), and both
matchers are scored on every comment. No gold code is seen there.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from codebook_matching import BENCH, measure, split

from wisdoms._files import write_text
from wisdoms.codebook import CodeMatcher, Decision, load_codebook
from wisdoms.codebook.learning import clearest_rows
from wisdoms.settings import Settings


def pairs_of(groups: list[frozenset[int]], count: int, seed: int) -> list[tuple[int, int, float]]:
    """``count`` (i, j, target) pairs over rows with code sets ``groups``: half share a code (target 1), half
    share none (target 0); two rows without codes are never paired. A shared-code pair is two rows of one code
    (a code with two or more rows, drawn uniformly, then two of its rows), so two rows with the same text can
    make a pair; when no code has two rows every pair shares none."""
    rng = random.Random(seed)
    by_code: dict[int, list[int]] = {}
    for row, codes in enumerate(groups):
        for c in codes:
            by_code.setdefault(c, []).append(row)
    coded = [c for c, rows in by_code.items() if len(rows) > 1]
    out: list[tuple[int, int, float]] = []
    for _ in range(100 * count):
        if len(out) == count:
            break
        if len(out) % 2 == 0 and coded:
            a, b = rng.sample(by_code[rng.choice(coded)], 2)
            out.append((a, b, 1.0))
        else:
            a, b = rng.randrange(len(groups)), rng.randrange(len(groups))
            if a != b and not groups[a] & groups[b] and (groups[a] or groups[b]):
                out.append((a, b, 0.0))
    if len(out) == count:
        return out
    raise ValueError(f"could not draw {count} pairs from {len(groups)} rows: too few codes or counter-examples")


def fine_tune(model_dir: str, texts: list[str], groups: list[frozenset[int]], *, pairs: int, seed: int,
              device: str):
    """A copy of the model trained one epoch on :func:`pairs_of`; returns the SentenceTransformer."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    model = SentenceTransformer(model_dir, device=device, local_files_only=True).float()
    model.train()
    chosen = pairs_of(groups, pairs, seed)
    batch, steps = 16, math.ceil(len(chosen) / 16)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))

    def embed(batch_texts: list[str]):
        features = {k: v.to(device) if hasattr(v, "to") else v for k, v in model.tokenize(batch_texts).items()}
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    for step in range(steps):
        part = chosen[step * batch:(step + 1) * batch]
        a = embed([texts[i] for i, _, _ in part])
        b = embed([texts[j] for _, j, _ in part])
        target = torch.tensor([t for _, _, t in part], device=device)
        loss = torch.nn.functional.mse_loss((a * b).sum(dim=-1), target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    model.eval()
    return model


def encoder(model):
    def embed(texts):
        return model.encode(list(texts), batch_size=256, normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False).astype(np.float32)
    return embed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="local all-MiniLM-L6-v2 folder")
    parser.add_argument("--bench", default=str(BENCH))
    parser.add_argument("--n", type=int, default=20, help="confirmed comments per code")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=4000)
    parser.add_argument("--comments", type=int, default=0, help="use only the first N comments (a smoke run)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    bench = Path(args.bench)
    book = load_codebook(bench / "codebook.jsonl")
    comments = [json.loads(line) for line in (bench / "comments.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
    comments = comments[: args.comments or None]
    texts = [c["text"] for c in comments]
    ids = [c.id for c in book.active]
    gold = np.zeros((len(comments), len(ids)), dtype=bool)
    for r, c in enumerate(comments):
        for code in c["codes"]:
            gold[r, ids.index(code)] = True
    settings = Settings()
    frozen = encoder(SentenceTransformer(args.model, device=args.device, local_files_only=True).float().eval())
    frozen_vectors = frozen(texts)
    results: dict = {"comments": len(comments), "n": args.n, "pairs": args.pairs, "device": args.device}

    def save() -> None:
        write_text(args.out, json.dumps(results, indent=2) + "\n")

    def fitted(embed, vectors, decisions=()):
        started = time.time()
        matcher = CodeMatcher(book, settings, decisions=list(decisions)).fit(embed, corpus=vectors, corpus_texts=texts)
        return matcher, round(time.time() - started, 1)

    # zero-shot: provisional examples from the frozen matcher, no gold
    zero, fit_s = fitted(frozen, frozen_vectors)
    results["zero_shot"] = {"frozen": {**measure(zero, frozen_vectors, texts, gold, settings), "fit_seconds": fit_s}}
    distinct = list(dict.fromkeys(texts))
    scores = zero.score(frozen(distinct), distinct)[0]
    keep = clearest_rows(scores, 0.5)
    chosen = zero.assigned(scores[keep], always_top=True)
    started = time.time()
    tuned = fine_tune(args.model, [distinct[i] for i in keep],
                      [frozenset(np.flatnonzero(row).tolist()) for row in chosen], pairs=args.pairs, seed=0,
                      device=args.device)
    tune_s = round(time.time() - started, 1)
    embed = encoder(tuned)
    vectors = embed(texts)
    matcher, fit_s = fitted(embed, vectors)
    results["zero_shot"]["fine_tuned"] = {**measure(matcher, vectors, texts, gold, settings),
                                          "fine_tune_seconds": tune_s, "fit_seconds": fit_s}
    save()
    print(json.dumps({k: {a: (r["micro_f1"], r["macro_f1"]) for a, r in v.items()}
                      for k, v in results.items() if k == "zero_shot"}), flush=True)

    results["learned"] = []
    for seed in range(args.seeds):
        train, test = split(gold, args.n, seed)
        decisions = [Decision(comments[r]["id"], code, "confirm", texts[r], "benchmark gold", "")
                     for r in train for code in comments[r]["codes"]]
        test_texts = [texts[r] for r in test]
        run: dict = {"seed": seed, "train_comments": len(train), "test_comments": len(test)}
        matcher, fit_s = fitted(frozen, frozen_vectors, decisions)
        run["frozen"] = {**measure(matcher, frozen_vectors[test], test_texts, gold[test], settings), "fit_seconds": fit_s}
        started = time.time()
        tuned = fine_tune(args.model, [texts[r] for r in train], [frozenset(np.flatnonzero(gold[r]).tolist())
                                                                  for r in train],
                          pairs=args.pairs, seed=seed, device=args.device)
        tune_s = round(time.time() - started, 1)
        embed = encoder(tuned)
        vectors = embed(texts)
        matcher, fit_s = fitted(embed, vectors, decisions)
        run["fine_tuned"] = {**measure(matcher, vectors[test], test_texts, gold[test], settings),
                             "fine_tune_seconds": tune_s, "fit_seconds": fit_s}
        results["learned"].append(run)
        save()
        print(json.dumps({"seed": seed, **{a: (run[a]["micro_f1"], run[a]["macro_f1"])
                                           for a in ("frozen", "fine_tuned")}}), flush=True)
    for arm in ("frozen", "fine_tuned"):
        for key in ("micro_f1", "macro_f1", "micro_f1_as_assigned", "macro_f1_as_assigned"):
            results.setdefault("learned_mean", {}).setdefault(arm, {})[key] = round(
                float(np.mean([r[arm][key] for r in results["learned"]])), 4)
    save()
    print(json.dumps(results["learned_mean"]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
