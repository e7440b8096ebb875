"""How far can all-MiniLM-L6-v2 separate each study's human codes at all? The ceiling behind issue 16's AMI target.

Issue 16 asks for themes whose adjusted mutual information (AMI) with the researchers' codes is at least 0.10 above
plain BERTopic's. This benchmark asks what the mandated encoder allows, independently of wisdoms' clustering: it
embeds each scored unit's *own* text (the human-coded segment, or the NHS answer: perfect segmentation, which no
run has) with all-MiniLM-L6-v2 and scores, against the same human codes and with the same AMI as
``benchmarks/theme_quality.py``:

  kmeans-themes   k-means (k = the number of themes wisdoms groups the study into) on the embeddings: clustering
                  with the right number of themes and nothing else
  kmeans-codes    k-means with k = the number of human codes
  supervised      a logistic regression trained on the human codes themselves (5 folds, split by transcript /
                  respondent so nobody's words are in both training and test), each unit given the code it
                  predicts out of fold: a classifier that has seen the answers, which unsupervised theme-finding
                  cannot beat on average; and the same trained on only 5 or 20 coded units per code

beside plain BERTopic's AMI (``theme_quality.py``'s cached result for the seed, or computed) and the target
(plain BERTopic + 0.10). One command (about 2 minutes with embeddings cached in ``--work``)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/theme_ceiling.py

Results: ``benchmarks/results/theme-ceiling.json``.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import theme_quality as tq  # the same data, units and scores

FOLDS = 5
#: Coded examples per code for the few-examples classifiers.
EXAMPLES = (5, 20)


def scored_units(name: str) -> tuple[list[str], list[str], list[str]]:
    """Each scored unit's own text, its human code and who said it (transcript file or respondent)."""
    folder_name, group = tq.DATASETS[name]
    if not folder_name:
        texts, labels = tq._nhs_rows()
        return texts, labels, [f"r{i}" for i in range(len(texts))]
    corpus = tq.INTERVIEWS / folder_name
    keys, truth, _part = tq._interview_units(corpus, group)
    files: dict[str, str] = {}
    texts = []
    for f, s, e in keys:
        if f not in files:
            files[f] = (corpus / "transcripts" / f).read_text(encoding="utf-8")
        texts.append(files[f][s:e].strip())
    return texts, truth, [f for f, _s, _e in keys]


def people_of(name: str) -> int:
    """Participants a run of the study counts (interviews: transcripts; NHS: respondents)."""
    folder_name, _group = tq.DATASETS[name]
    if not folder_name:
        return len(tq._nhs_rows()[0])
    return len(list((tq.INTERVIEWS / folder_name / "transcripts").glob("*.txt")))


def out_of_fold(vectors: np.ndarray, truth: list[str], who: list[str], *, seed: int,
                per_code: int | None = None) -> list[str]:
    """Each unit's code as predicted by a classifier trained on the other folds' people (``per_code``: on at most
    that many of their units per code, drawn at random: what a team that coded a few examples would have)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    labels = np.asarray(truth)
    pred = np.empty(len(truth), dtype=object)
    folds = GroupKFold(n_splits=min(FOLDS, len(set(who))))
    rng = np.random.default_rng(seed)
    for train, test in folds.split(vectors, labels, groups=who):
        if per_code is not None:
            train = np.concatenate([rng.permutation(train[labels[train] == c])[:per_code] for c in np.unique(labels[train])])
        model = LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced", random_state=seed)
        model.fit(vectors[train], labels[train])
        pred[test] = model.predict(vectors[test])
    return [str(p) for p in pred]


def ceiling(name: str, *, seed: int, work: Path, encode) -> dict[str, object]:
    """One study's ceiling record."""
    from sklearn.cluster import KMeans

    from wisdoms.themes.structure import theme_count

    texts, truth, who = scored_units(name)
    vectors = tq._cached_encode(texts, encode, work)
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    k_themes = theme_count(people_of(name))
    k_codes = len(set(truth))
    plain = tq.run_bertopic(name, seed=seed, work=work, encode=encode)
    record: dict[str, object] = {
        "dataset": name, "seed": seed, "units": len(truth), "codes": k_codes, "themes_k": k_themes,
        "people": len(set(who)), "largest_code_share": round(max(collections.Counter(truth).values()) / len(truth), 4),
        "plain_bertopic_ami": plain["AMI"], "target_ami": round(float(plain["AMI"]) + 0.10, 4),
    }
    for label, k in (("kmeans_themes", k_themes), ("kmeans_codes", k_codes)):
        found = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(vectors)
        record[f"{label}_ami"] = tq._scores(truth, [str(c) for c in found])["AMI"]
    supervised = out_of_fold(vectors, truth, who, seed=seed)
    scores = tq._scores(truth, supervised)
    record["supervised_ami"] = scores["AMI"]
    record["supervised_accuracy"] = round(float(np.mean(np.asarray(supervised) == np.asarray(truth))), 4)
    for few in EXAMPLES:
        record[f"supervised_{few}_per_code_ami"] = tq._scores(truth, out_of_fold(vectors, truth, who, seed=seed,
                                                                                  per_code=few))["AMI"]
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="serdif,pdpilot,nhs")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=Path("/tmp/wisdoms-theme-quality"))
    parser.add_argument("--out", type=Path, default=tq.RESULTS / "theme-ceiling.json")
    args = parser.parse_args(argv)
    if not tq.INTERVIEWS.is_dir() or not tq.NHS.is_file():
        print(f"theme_ceiling: the benchmark data is not here ({tq.SHARED / 'bench'}); it needs ../shared/bench",
              file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    encode = tq._torch_encoder()
    records = []
    print(f"{'study':8} {'units':>6} {'codes':>5} {'plain':>6} {'target':>6} {'km-k':>6} {'km-codes':>8} "
          f"{'supervised':>10} {'sup@5':>6} {'sup@20':>6}")
    for name in args.datasets.split(","):
        r = ceiling(name, seed=args.seed, work=args.work, encode=encode)
        records.append(r)
        print(f"{name:8} {r['units']:>6} {r['codes']:>5} {r['plain_bertopic_ami']:>6.3f} {r['target_ami']:>6.3f} "
              f"{r['kmeans_themes_ami']:>6.3f} {r['kmeans_codes_ami']:>8.3f} {r['supervised_ami']:>10.3f} "
              f"{r['supervised_5_per_code_ami']:>6.3f} {r['supervised_20_per_code_ami']:>6.3f}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps({"model": tq.MODEL, "folds": FOLDS, "records": records}, indent=1), encoding="utf-8")
    tmp.replace(args.out)
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
