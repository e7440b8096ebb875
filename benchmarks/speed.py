"""Side-by-side speed and theme quality: plain BERTopic vs wisdoms' pipeline functions.

One command per size; every configuration runs in a fresh subprocess and writes one JSON record::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed.py --size 1000
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed.py --size 10000

Passages: ``size`` answers sampled (seed 42, without replacement while the file lasts) from
../shared/bench/nhs_fft/phase1_single_label.csv plus the passages of the shipped sample transcripts;
the last sample transcript is held back and added for the warm run. NMI/ARI are computed on the
labelled answers against ``category`` (a passage left out of every theme counts as cluster -1).

Configurations:
  bertopic      ``BERTopic(embedding_model=SentenceTransformer(MiniLM)).fit_transform(docs)``
  wisdoms_cold  new process, empty embedding cache (ONNX build and numba cache already made once)
  wisdoms_warm  new process, the cold run's cache, one more transcript
  wisdoms_first new process, nothing cached at all: also builds ONNX and compiles UMAP (one-off)
  wisdoms_survey as wisdoms_cold's cache, with min_passage_words=1 and min_theme_size=10 (survey answers)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CSV = SHARED / "bench" / "nhs_fft" / "phase1_single_label.csv"
RESULTS = ROOT / "benchmarks" / "results"


def _corpus(size: int, seed: int, *, with_held_back: bool):  # noqa: ANN202
    """(passages, labels): labelled survey answers plus the sample's passages (label None)."""
    import pandas as pd

    from wisdoms.ingest import read_folder
    from wisdoms.models import Passage
    from wisdoms.segment import segment

    frame = pd.read_csv(CSV)
    frame = frame[frame["text"].astype(str).str.strip().astype(bool)]
    take = frame.sample(n=min(size, len(frame)), random_state=seed)
    if size > len(frame):  # larger sizes repeat answers with a suffix so every text is new
        extra = frame.sample(n=size - len(frame), replace=True, random_state=seed + 1)
        extra = extra.assign(text=[f"{t} ({i})" for i, t in enumerate(extra["text"].astype(str))])
        take = pd.concat([take, extra])
    passages, labels = [], []
    for row, (text, label) in enumerate(zip(take["text"].astype(str), take["category"].astype(str))):
        passages.append(Passage(id=f"fft#{row}", transcript="fft.csv", participant=f"respondent-{row}",
                                start=0, end=len(text), text=text, turn=0))
        labels.append(label)
    docs = read_folder(ROOT / "transcripts")
    docs = docs if with_held_back else docs[:-1]
    sample = segment(docs)
    return passages + sample, labels + [None] * len(sample)


def _scores(labels, topics) -> dict[str, float]:  # noqa: ANN001
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    pairs = [(lab, t) for lab, t in zip(labels, topics) if lab is not None]
    truth, found = [p[0] for p in pairs], [p[1] for p in pairs]
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, found)), 4),
        "ari": round(float(adjusted_rand_score(truth, found)), 4),
        "outliers": round(sum(1 for t in found if t == -1) / max(1, len(found)), 4),
        "topics": len({t for t in found if t != -1}),
    }


def child(config: str, size: int, cache: Path, seed: int) -> dict[str, object]:
    """Run one configuration in this (fresh) process."""
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 2)
        clock = now

    passages, labels = _corpus(size, seed, with_held_back=config == "wisdoms_warm")
    lap("corpus")
    record: dict[str, object] = {"config": config, "size": size, "passages": len(passages)}
    if config == "bertopic":
        from bertopic import BERTopic
        from sentence_transformers import SentenceTransformer

        from wisdoms.embed import installed_model_path

        lap("import")
        model = SentenceTransformer(str(installed_model_path("all-MiniLM-L6-v2")))
        docs = [p.text for p in passages]
        embeddings = model.encode(docs, show_progress_bar=False)
        lap("embed")
        topics, _ = BERTopic().fit_transform(docs, embeddings=embeddings)
        lap("themes")
        record["encoder"] = "torch"
    else:
        from wisdoms.embed import EmbeddingCache, embed_texts, make_embedder
        from wisdoms.settings import Settings
        from wisdoms.themes import find_themes

        lap("import")
        settings = Settings(cache_dir=str(cache), seed=seed, encoder=os.environ.get("WISDOMS_ENCODER", "auto"))
        if config == "wisdoms_survey":  # survey answers: keep one-word answers, BERTopic's min cluster size
            settings = settings.with_overrides(min_passage_words=1, min_theme_size=10)
        embedder = make_embedder(settings.model, encoder=settings.encoder, cache_dir=cache)
        cache_store = EmbeddingCache(cache)
        vectors, stats = embed_texts([p.analysis_text for p in passages], embedder, cache_store)
        lap("embed")
        keep = [i for i, p in enumerate(passages) if p.words >= settings.min_passage_words]
        result = find_themes([passages[i] for i in keep], vectors[keep], settings=settings,
                             embed=lambda t: embed_texts(t, embedder, cache_store)[0])
        lap("themes")
        topics = [result.assignments.get(p.id, -1) for p in passages]
        record.update(encoder=embedder.describe()["encoder"], reduction=result.reduction,
                      cached=stats.cached, encoded=stats.encoded)
    record.update(_scores(labels, topics))
    record["stages_s"] = stages
    record["total_s"] = round(sum(stages.values()), 2)
    record["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return record


def _spawn(config: str, size: int, cache: Path, seed: int) -> dict[str, object]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", config, "--size", str(size), "--cache", str(cache), "--seed", str(seed)],
        capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
    )
    if done.returncode != 0:
        raise SystemExit(f"{config} failed:\n{done.stderr[-3000:]}")
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record["wall_s"] = round(time.perf_counter() - started, 2)
    print(json.dumps(record), flush=True)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--configs", default="bertopic,wisdoms_cold,wisdoms_warm")
    parser.add_argument("--work", default="/tmp/wisdoms-speed", help="scratch folder for caches")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.size, Path(args.cache), args.seed)))
        return
    if not CSV.is_file():
        raise SystemExit(f"benchmark data not found: {CSV}")
    work = Path(args.work)
    prepared = work / "prepared"  # ONNX build + numba cache, made once like an installation would
    records = []
    for config in args.configs.split(","):
        if config == "wisdoms_first":
            shutil.rmtree(work / "first", ignore_errors=True)
            records.append(_spawn(config, args.size, work / "first", args.seed))
            continue
        cache = work / f"cache-{args.size}"
        if config == "wisdoms_cold":
            if not prepared.exists():
                records.append(_spawn("wisdoms_first", min(args.size, 1000), prepared, args.seed))
                (prepared / "embeddings.sqlite").unlink(missing_ok=True)
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(prepared, cache)
        records.append(_spawn(config, args.size, cache, args.seed))
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
               "load_avg_at_end": os.getloadavg(), "note": "CPU shared with other engineers' jobs"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.configs == parser.get_default("configs") else "-" + args.configs.replace(",", "-")
    out = RESULTS / f"speed-{args.size}{suffix}.json"
    out.write_text(json.dumps({"size": args.size, "machine": machine, "records": records}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
