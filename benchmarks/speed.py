"""Side-by-side speed and theme quality: plain BERTopic vs wisdoms' pipeline functions.

One command per size; every configuration runs in a fresh subprocess and writes one JSON record::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed.py --size 1000
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/speed.py --size 10000

Passages: ``size`` survey answers (see :func:`_answers`: up to 10,302 a sample of
../shared/bench/nhs_fft/phase1_single_label.csv; 50k = every phase1 answer, every comments.jsonl answer,
the rest drawn with replacement, duplicates kept verbatim) plus the passages of the shipped sample
transcripts; the last sample transcript is held back and added for the warm run. NMI/ARI are computed
on the labelled phase1 answers against ``category`` (a passage in no theme counts as cluster -1).
The survey answers count as answers from a table (``min_answer_words`` applies), as ``wisdoms run``
treats a .csv/.xlsx.

Configurations:
  bertopic      ``BERTopic().fit_transform(docs, embeddings=SentenceTransformer(MiniLM).encode(docs))``;
                above 20,000 passages it encodes each distinct text once (a lower bound on its time)
  wisdoms_cold  new process, empty embedding cache (ONNX build and numba cache already made once);
                themes fitted afresh and saved
  wisdoms_warm  new process, the cold run's caches, one more transcript: themes carried over
  wisdoms_first new process, nothing cached at all: also builds ONNX and compiles UMAP (one-off)
  wisdoms_size10 as wisdoms_cold's caches with ``min_theme_size: 10`` (BERTopic's min_cluster_size;
                the survey default since round 3, so now the same fit as wisdoms_cold)
  wisdoms_old_defaults as wisdoms_cold's caches with the pre-issue-7 theme defaults (answers under
                4 words not themed, adaptive min_theme_size)
  cli_cold      the command a user types, end to end: the answers written to ``answers.csv``
                (respondent, answer) in a folder with the sample transcripts but the last, then
                ``wisdoms run FOLDER --out OUT --allow-unreviewed`` in a new process with wisdoms_cold's
                starting caches: reading, splitting answers into passages, embedding, themes, codebook
                matching, the privacy gate and every report file. Peak memory is the ``wisdoms``
                process's. NMI here is per respondent (the theme of their first passage), because the
                CLI splits a long answer into passages. ``--allow-unreviewed``: the gate holds quotes
                with capitalised common words for a reviewer (see PRIVACY.md), which a benchmark cannot do.
  cli_warm      cli_cold's caches and folder plus the held-back transcript: carried-over themes
  cli_watch     ``wisdoms watch FOLDER --out OUT --allow-unreviewed`` on cli_cold's folder and caches (as
                cli_cold left them): once it says it is watching, the held-back transcript is copied
                into the folder; the time is from that copy to the second run's line (its reports
                written), polling included. ``run_s`` is the re-run alone, as the command prints it.
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
# ../shared beside the checkout, or beside the folder of worktrees it sits in
SHARED = next((c for c in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if c.is_dir()), ROOT.parent / "shared")
CSV = SHARED / "bench" / "nhs_fft" / "phase1_single_label.csv"
COMMENTS = SHARED / "bench" / "nhs_fft" / "comments.jsonl"
RESULTS = ROOT / "benchmarks" / "results"
#: Above this size plain BERTopic encodes each distinct text once (bounded on shared CPUs; said in the record).
UNIQUE_ONLY_FROM = 20_000


def _child_env() -> dict[str, str]:
    """The environment every measured process runs in: offline, tokenizers single-threaded."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _answers(size: int, seed: int):
    """(texts, labels) of ``size`` survey answers, and how they were drawn.

    Up to 10,302 answers: a sample without replacement of phase1_single_label.csv (labelled). Larger
    sizes take every phase1 answer, then every answer of comments.jsonl (5,084, another coding scheme,
    so unlabelled here), then draw the rest with replacement from both (seed + 1): repeated answers
    stay verbatim duplicates, as in real surveys, and the record counts the unique texts.
    """
    import pandas as pd

    frame = pd.read_csv(CSV)
    frame = frame[frame["text"].astype(str).str.strip().astype(bool)]
    if size <= len(frame):
        take = frame.sample(n=size, random_state=seed)
        return take["text"].astype(str).tolist(), take["category"].astype(str).tolist(), "phase1 sample"
    texts = frame.sample(frac=1.0, random_state=seed)["text"].astype(str).tolist()
    labels: list[str | None] = frame.sample(frac=1.0, random_state=seed)["category"].astype(str).tolist()
    if COMMENTS.is_file():
        extra = [json.loads(line)["text"] for line in COMMENTS.read_text(encoding="utf-8").splitlines() if line.strip()]
        extra = [t for t in extra if t.strip()]
        texts += extra
        labels += [None] * len(extra)
    pool = list(zip(texts, labels))
    import random

    rng = random.Random(seed + 1)
    while len(texts) < size:
        text, label = pool[rng.randrange(len(pool))]
        texts.append(text)
        labels.append(label)
    return texts[:size], labels[:size], "all phase1 + comments.jsonl, rest drawn with replacement"


def _corpus(size: int, seed: int, *, with_held_back: bool):
    """(passages, labels, how drawn): survey answers plus the sample's passages (label None)."""
    from wisdoms.ingest import read_folder
    from wisdoms.models import Passage
    from wisdoms.segment import segment

    texts, labels, how = _answers(size, seed)
    passages = [Passage(id=f"fft#{row}", transcript="fft.csv", participant=f"respondent-{row}",
                        start=0, end=len(text), text=text, turn=0) for row, text in enumerate(texts)]
    docs = read_folder(ROOT / "transcripts")
    docs = docs if with_held_back else docs[:-1]
    sample = segment(docs)
    return passages + sample, list(labels) + [None] * len(sample), how


def cli(config: str, size: int, cache: Path, seed: int) -> dict[str, object]:
    """``wisdoms run`` on a folder holding the answers as a CSV and the sample transcripts (cli_cold, cli_warm)."""
    import csv

    texts, labels, how = _answers(size, seed)
    folder = cache.parent / f"cli-{size}-input"
    if config == "cli_cold":
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        with (folder / "answers.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["respondent", "answer"])
            # written as they are: a vertical tab in an answer (NHS row 747) is read as a line break
            writer.writerows([f"r{row}", text] for row, text in enumerate(texts))
    sample = sorted((ROOT / "transcripts").glob("conversation-*.txt"))
    for path in sample if config == "cli_warm" else sample[:-1]:
        shutil.copy2(path, folder / path.name)
    out = cache.parent / f"cli-{size}-{config}-out"
    shutil.rmtree(out, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("wisdoms")), "run", str(folder), "--out", str(out), "--cache-dir",
               str(cache), "--seed", str(seed), "--codebook", str(ROOT / "codebook" / "codebook.yaml"),
               "--allow-unreviewed"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True,
                          env=_child_env())
    total = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{config}: wisdoms run failed:\n{done.stderr[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    topics = _respondent_topics(out, len(texts))
    record: dict[str, object] = {
        "config": config, "size": size, "drawn": how, "counts": manifest.get("counts"),
        "command": " ".join(command[1:]).replace(str(cache.parent), "$WORK"),
        "total_s": round(total, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        # The manifest is written before the reports, so its timings stop there: the rest (imports, the
        # privacy gate, rendering and writing every report) is "not_in_manifest".
        "stages_s": {**manifest["timings_seconds"],
                     "not_in_manifest": round(total - sum(manifest["timings_seconds"].values()), 2)},
        "summary": done.stdout.strip().splitlines()[-2:],
        "report_mb": {p.name: round(p.stat().st_size / 1e6, 2) for p in sorted(out.iterdir()) if p.is_file()},
    }
    record.update(_scores(labels, topics))
    return record


def watch(size: int, cache: Path, seed: int) -> dict[str, object]:
    """``wisdoms watch`` on cli_cold's folder and caches: the time from one more transcript to its report."""
    texts, labels, how = _answers(size, seed)
    after_cold = cache.parent / f"cli-cache-{size}-after-cold"
    cache = cache.parent / f"cli-cache-{size}-watch"
    if not after_cold.is_dir():
        raise SystemExit("cli_watch: run cli_cold first in the same command (it leaves the caches cli_watch starts from)")
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(after_cold, cache)
    folder = cache.parent / f"cli-{size}-watch-input"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(cache.parent / f"cli-{size}-input", folder)
    held = sorted((ROOT / "transcripts").glob("conversation-*.txt"))[-1]
    (folder / held.name).unlink(missing_ok=True)
    out = cache.parent / f"cli-{size}-cli_watch-out"
    shutil.rmtree(out, ignore_errors=True)
    command = [str(Path(sys.executable).with_name("wisdoms")), "watch", str(folder), "--out", str(out), "--cache-dir",
               str(cache), "--seed", str(seed), "--codebook", str(ROOT / "codebook" / "codebook.yaml"),
               "--allow-unreviewed", "--runs", "2"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_child_env())
    assert proc.stdout is not None
    lines: list[str] = []

    def until(prefix: str) -> str:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line.rstrip())
            if prefix in line:
                return line
        raise SystemExit(f"cli_watch: 'wisdoms watch' ended before printing {prefix!r}:\n" + "\n".join(lines))

    first = until("] run 1:")
    until("watching")  # the first run done and the models a re-run needs loaded
    first_s = time.perf_counter() - started
    added = time.perf_counter()
    shutil.copy2(held, folder / held.name)
    second = until("run 2:")
    latency = time.perf_counter() - added
    proc.wait(timeout=600)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    record: dict[str, object] = {
        "config": "cli_watch", "size": size, "drawn": how, "counts": manifest.get("counts"),
        "command": " ".join(command[1:]).replace(str(cache.parent), "$WORK"),
        "total_s": round(latency, 2), "run_s": float(second.rsplit(" in ", 1)[1].split()[0]),
        "first_run_and_start_s": round(first_s, 2), "printed": [first.strip(), second.strip()],
        "stages_s": manifest["timings_seconds"], "themes": manifest["themes"].get("note", ""),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
    record.update(_scores(labels, _respondent_topics(out, len(texts))))
    return record


def _respondent_topics(out: Path, n: int) -> list[int]:
    """Each respondent's theme (that of their first passage; -1 for none) from a run's passages.csv."""
    import csv

    theme_of: dict[str, int] = {}
    with (out / "passages.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["transcript"] == "answers.csv":
                theme_of.setdefault(row["participant"], int(row["theme"]) if row["theme"] else -1)
    return [theme_of.get(f"r{row}", -1) for row in range(n)]


def _scores(labels, topics) -> dict[str, float]:
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
    if config == "cli_watch":
        return watch(size, cache, seed)
    if config.startswith("cli_"):
        return cli(config, size, cache, seed)
    stages: dict[str, float] = {}
    rss: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 2)
        rss[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        clock = now

    passages, labels, how = _corpus(size, seed, with_held_back=config == "wisdoms_warm")
    lap("corpus")
    record: dict[str, object] = {"config": config, "size": size, "passages": len(passages), "drawn": how,
                                 "unique_texts": len({p.analysis_text for p in passages})}
    if config == "bertopic":
        from bertopic import BERTopic
        from sentence_transformers import SentenceTransformer

        from wisdoms.embed import installed_model_path

        lap("import")
        model = SentenceTransformer(str(installed_model_path("all-MiniLM-L6-v2")))
        docs = [p.text for p in passages]
        if size > UNIQUE_ONLY_FROM:  # bound the run on shared CPUs: encode each distinct text once
            distinct = list(dict.fromkeys(docs))
            vectors = model.encode(distinct, show_progress_bar=False)
            row = {t: i for i, t in enumerate(distinct)}
            embeddings = vectors[[row[t] for t in docs]]
            record["bertopic_encoded_unique_only"] = len(distinct)
        else:
            embeddings = model.encode(docs, show_progress_bar=False)
        lap("embed")
        topics, _ = BERTopic().fit_transform(docs, embeddings=embeddings)
        lap("themes")
        record["encoder"] = "torch"
    else:
        from wisdoms.embed import EmbeddingCache, embed_texts, make_embedder
        from wisdoms.settings import Settings
        from wisdoms.themes import analysable, themes_for_run

        lap("import")
        settings = Settings(cache_dir=str(cache), seed=seed, encoder=os.environ.get("WISDOMS_ENCODER", "auto"))
        if config == "wisdoms_size10":  # BERTopic's own min_cluster_size, as a settings override
            settings = settings.with_overrides(min_theme_size=10)
        if config == "wisdoms_old_defaults":  # the defaults before issue 7's decision, for comparison
            settings = settings.with_overrides(min_answer_words=settings.min_passage_words)
        embedder = make_embedder(settings.model, encoder=settings.encoder, cache_dir=cache)
        cache_store = EmbeddingCache(cache)
        vectors, stats = embed_texts([p.analysis_text for p in passages], embedder, cache_store)
        lap("embed")
        answers = frozenset() if config == "wisdoms_old_defaults" else frozenset({"fft.csv"})
        keep = analysable(passages, settings, answers=answers)
        result = themes_for_run([passages[i] for i in keep], vectors[keep], settings=settings,
                                model=embedder.model_id, fingerprint=embedder.fingerprint,
                                embed=lambda t: embed_texts(t, embedder, cache_store)[0],
                                refit=config != "wisdoms_warm", answers=answers)
        lap("themes")
        topics = [result.assignments.get(p.id, -1) for p in passages]
        record.update(encoder=embedder.describe()["encoder"], reduction=result.reduction,
                      cached=stats.cached, encoded=stats.encoded, min_theme_size=result.min_theme_size,
                      carried_over=result.params.get("note", "no: " + str(result.params.get("refit_reason"))),
                      bertopic_imported="bertopic" in sys.modules, umap_imported="umap" in sys.modules)
    record.update(_scores(labels, topics))
    record["stages_s"] = stages
    record["peak_rss_mb_after"] = rss
    record["total_s"] = round(sum(stages.values()), 2)
    record["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return record


def _spawn(config: str, size: int, cache: Path, seed: int) -> dict[str, object]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", config, "--size", str(size), "--cache", str(cache), "--seed", str(seed)],
        capture_output=True, text=True, env=_child_env(),
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
        cache = work / (f"cli-cache-{args.size}" if config.startswith("cli_") else f"cache-{args.size}")
        if config in ("wisdoms_cold", "cli_cold"):
            if not prepared.exists():
                records.append(_spawn("wisdoms_first", min(args.size, 1000), prepared, args.seed))
                (prepared / "embeddings.sqlite").unlink(missing_ok=True)
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(prepared, cache)
        records.append(_spawn(config, args.size, cache, args.seed))
        if config == "cli_cold":  # cli_watch starts from the caches as the cold run left them
            shutil.rmtree(work / f"cli-cache-{args.size}-after-cold", ignore_errors=True)
            shutil.copytree(cache, work / f"cli-cache-{args.size}-after-cold")
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
               "load_avg_at_end": os.getloadavg(), "note": "CPU shared with other engineers' jobs"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.configs == parser.get_default("configs") else "-" + args.configs.replace(",", "-")
    out = RESULTS / f"speed-{args.size}{suffix}.json"
    out.write_text(json.dumps({"size": args.size, "machine": machine, "records": records}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
