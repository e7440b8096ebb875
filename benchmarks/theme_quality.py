"""Theme quality side by side: ``wisdoms run``'s themes and plain BERTopic defaults on the same studies.

One command::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/theme_quality.py
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/theme_quality.py --datasets serdif,pdpilot --systems wisdoms

Data sets (from ``../shared/bench``; the benchmark stops with a clear message when they are absent):
  serdif   interviews/serdif-usability, 17 think-aloud sessions, human codes (``--group code``, 22 codes)
  pdpilot  interviews/pdpilot-userstudy, 7 interviews, the study's 8 code groups (``--group theme``)
  nhs      nhs_fft/phase1_single_label.csv, 10,302 survey answers, one ``category`` each (9 labels),
           given to ``wisdoms run`` as a table (respondent, answer)

Systems:
  wisdoms   ``wisdoms.run(folder, write=False)`` as a user runs it, codebook-free (``--codebook none``, the
            default), or with the shipped sample codebook (``--codebook shipped``) or the study's own
            (``--codebook study``; NHS: its framework codebook.jsonl)
  bertopic  plain ``BERTopic()`` defaults (seeded UMAP, as ``score_themes.py --bertopic``) with all-MiniLM-L6-v2
            (torch) on every participant turn (interviews; as ``score_themes.py --bertopic``) or every answer (NHS)
  bertopic-zeroshot  the same, given the study's codes as BERTopic's zero-shot topics (``zeroshot_topic_list``: the
            active codes' names, ``zeroshot_min_similarity`` at BERTopic's default 0.7): what a user with a codebook
            would otherwise run
  bertopic-guided    the same, given the codes as BERTopic's guided topics (``seed_topic_list``: each active code's
            name, split into words)

The study's own codebook (``--codebook study``): names and definitions only (``codebook.jsonl``; pdpilot's MAXQDA
code paths read as ``benchmarks/coding_data.py`` reads them, a code with sub-codes a group); the human coding is
used for scoring only.

Scores, as ``../shared/bench/interviews/score_themes.py`` scores them: units are the human-coded segments in
participant turns with one group (interviews: each takes the theme of the passage overlapping it most) or the
labelled answers (NHS: each takes the theme of its first passage); units in no theme count as one group.
Printed: AMI and harmonic purity (P1) against the human codes, themes, the largest theme's share of all
passages, the share of substantive passages in no theme (content-free talk left out of both counts), the
number of theme titles that are keyword lists (a code's own name, the title of a theme it clearly is, is not
counted), title self-retrieval (a title alone, embedded with MiniLM,
finds its own theme's centre, the mean of its members' embeddings, among all themes: the share of themes) and
whether a title stands for its theme (the share of the 10 passages nearest the title alone that are its theme's,
averaged over themes).
Results go to ``benchmarks/results/theme-quality-<codebook>.json``; BERTopic's per seed results are cached in
``--work`` (they do not depend on wisdoms' code).
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import importlib.util
import json
import logging
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((c for c in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if c.is_dir()), ROOT.parent / "shared")
INTERVIEWS = SHARED / "bench" / "interviews"
NHS = SHARED / "bench" / "nhs_fft" / "phase1_single_label.csv"
RESULTS = ROOT / "benchmarks" / "results"
DATASETS = {"serdif": ("serdif-usability", "code"), "pdpilot": ("pdpilot-userstudy", "theme"), "nhs": (None, None)}
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: A title is a keyword list when it is two or more comma-separated items of one to three words each.
_KEYWORD_LIST = re.compile(r"^[\w'\-]+(?: [\w'\-]+){0,2}(?:, [\w'\-]+(?: [\w'\-]+){0,2})+$")


def _scorer():
    """The shared scorer's module (its turn reader and harmonic purity), so both score alike."""
    path = INTERVIEWS / "score_themes.py"
    spec = importlib.util.spec_from_file_location("score_themes", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def is_keyword_list(title: str) -> bool:
    """Whether a theme title is a list of keywords (``Lunch, cook, dinner``) rather than words someone said."""
    return bool(_KEYWORD_LIST.match(title.strip().strip("“”\"")))


def _interview_units(corpus: Path, group: str) -> tuple[list[tuple[str, int, int]], list[str], dict]:
    """The shared scorer's units: coded segments lying in participant turns with exactly one group."""
    sc = _scorer()
    turns = sc.turns_of(corpus)
    per, glob = sc.interviewer_labels(corpus)

    def is_interviewer(f: str, lab: str) -> bool:
        return lab in glob or lab in per.get(f, set()) or lab.lower().startswith(("interviewer", "moderator", "task"))

    part = {f: [(s, e) for s, e, lab in ts if not is_interviewer(f, lab)] for f, ts in turns.items()}
    groups: dict[tuple[str, int, int], set[str]] = collections.defaultdict(set)
    for line in (corpus / "coding.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        g = r.get(group) if group == "theme" else r.get("code")
        if not g:
            continue
        s = int(r["start"])
        if any(a <= s < b for a, b in part.get(r["file"], [])):
            groups[(r["file"], s, int(r["end"]))].add(g)
    units = [(k, next(iter(v))) for k, v in sorted(groups.items()) if len(v) == 1]
    return [k for k, _ in units], [g for _, g in units], part


def _scores(truth: list[str], pred: list[str]) -> dict[str, float]:
    from sklearn.metrics import adjusted_mutual_info_score

    sc = _scorer()
    return {"units": len(truth), "groups": len(set(truth)), "AMI": round(float(adjusted_mutual_info_score(truth, pred)), 4),
            "P1": round(float(sc.harmonic_purity(truth, pred)), 4),
            "units_in_no_theme": round(sum(p == "none" for p in pred) / max(1, len(pred)), 4)}


def _retrieval(titles: list[str], centres: np.ndarray, encode) -> float:
    """Share of themes whose title, embedded, is nearest its own theme's centre."""
    if len(titles) < 2:
        return 1.0 if titles else 0.0
    vectors = encode([t.strip().strip("“”\"") for t in titles])
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    best = np.argmax(vectors @ centres.T, axis=1)
    return round(float(np.mean(best == np.arange(len(titles)))), 4)


#: How many passages nearest a title :func:`_title_neighbours` looks at.
NEIGHBOURS = 10


def _title_neighbours(titles: list[str], members: list[list[int]], vectors: np.ndarray, encode) -> float:
    """Whether each title stands for its theme: the share of the ``NEIGHBOURS`` passages nearest the title alone,
    embedded (among all passages in a theme), that are its own theme's, averaged over themes. A title a member
    said that is about something else ("I told her she was only doing it for the money" on a theme about workers
    who kept coming back) finds other themes' passages, or none, however distinct it is."""
    if not titles:
        return 0.0
    rows = np.asarray([i for m in members for i in m])
    owner = np.asarray([g for g, m in enumerate(members) for _ in m])
    found = encode([t.strip().strip("“”\"") for t in titles])
    found = found / np.maximum(np.linalg.norm(found, axis=1, keepdims=True), 1e-12)
    sims = found @ vectors[rows].T
    k = min(NEIGHBOURS, len(rows))
    near = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return round(float(np.mean([np.mean(owner[near[g]] == g) for g in range(len(titles))])), 4)


def _torch_encoder():
    from sentence_transformers import SentenceTransformer

    from wisdoms.embed import installed_model_path

    model = SentenceTransformer(str(installed_model_path(MODEL)), device="cpu")

    def encode(texts):
        return np.asarray(model.encode(list(texts), batch_size=32), dtype=np.float32)

    encode.model = model  # BERTopic's zero-shot and guided modes embed the codes with it
    return encode


def _cached_encode(texts: list[str], encode, work: Path) -> np.ndarray:
    """MiniLM (torch) embeddings of ``texts``, kept in ``work`` by a hash of the texts."""
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:20]
    path = work / f"emb-{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = encode(texts)
    np.save(path, vectors)
    return vectors


def _nhs_rows() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with NHS.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if str(row["text"]).strip():
                texts.append(str(row["text"]))
                labels.append(str(row["category"]))
    return texts, labels


def _nhs_folder(work: Path) -> Path:
    texts, _ = _nhs_rows()
    folder = work / "nhs-input-v2"
    target = folder / "answers.csv"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["respondent", "answer"])
            # written as they are: a vertical tab in an answer (NHS row 747) is read as a line break
            writer.writerows([f"r{row}", text] for row, text in enumerate(texts))
    return folder


def run_wisdoms(name: str, *, codebook: str, seed: int, work: Path, encode) -> dict[str, object]:
    """``wisdoms.run`` on one data set, scored."""
    from wisdoms.codebook import Codebook
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings

    folder_name, group = DATASETS[name]
    if folder_name:
        corpus = INTERVIEWS / folder_name
        folder = corpus / "transcripts"
    else:
        folder = _nhs_folder(work)
    book: str | Path | Codebook
    if codebook == "shipped":
        book = ROOT / "codebook" / "codebook.yaml"
    elif codebook == "study":
        book = study_codebook(name)
    else:  # no codebook at all (a run in this folder would otherwise use the sample's codebook/codebook.yaml)
        book = Codebook(codes=(), name="none")
    settings = Settings(cache_dir=str(work / "cache"), seed=seed)
    started = time.perf_counter()
    analysis = run(folder, codebook=book, write=False, settings=settings, refit=True)  # a fresh fit, never a saved one
    seconds = time.perf_counter() - started
    passages = list(analysis.passages)
    theme_of = {pid: t.id for t in analysis.themes for pid in t.passage_ids}
    content_free = {u.passage for u in analysis.unassigned if _content_free(u.reason)}
    substantive = [p for p in passages if p.id not in content_free]
    in_none = sum(p.id not in theme_of for p in substantive)
    sizes = collections.Counter(theme_of.values())
    if folder_name:
        keys, truth, _part = _interview_units(corpus, group)
        by_file: dict[str, list] = collections.defaultdict(list)
        for p in passages:
            by_file[p.transcript].append(p)
        pred = []
        for f, s, e in keys:
            best, theme = 0, "none"
            for p in by_file.get(f, []):
                overlap = min(e, p.end) - max(s, p.start)
                if overlap > best:
                    best, theme = overlap, (str(theme_of[p.id]) if p.id in theme_of else "none")
            pred.append(theme)
    else:
        texts, labels = _nhs_rows()
        first: dict[str, str] = {}
        for p in passages:
            first.setdefault(p.participant, str(theme_of[p.id]) if p.id in theme_of else "none")
        truth = labels
        pred = [first.get(f"r{row}", "none") for row in range(len(texts))]
    record: dict[str, object] = {"system": "wisdoms", "dataset": name, "codebook": codebook, "seed": seed,
                                 **_scores(truth, pred)}
    vectors = analysis.embeddings
    index = {p.id: i for i, p in enumerate(passages)}
    centres, titles, code_titles = [], [], []
    for t in analysis.themes:
        c = vectors[[index[pid] for pid in t.passage_ids]].mean(axis=0)
        centres.append(c / (np.linalg.norm(c) or 1.0))
        titles.append(t.label)
        if t.title_source == "code":
            code_titles.append(t.label)
    subtitles = [s.label for t in analysis.themes for s in getattr(t, "subthemes", ())]
    record.update({
        "themes": len(analysis.themes),
        "from_codebook": sum(t.origin == "codebook" for t in analysis.themes),
        "inductive_with_suggested_code": sum(t.origin == "inductive" and bool(t.suggested_code) for t in analysis.themes),
        "subthemes": len(subtitles),
        "passages": len(passages),
        "content_free": len(content_free),
        "largest_share": round(max(sizes.values()) / len(passages), 4) if sizes else 0.0,
        "substantive_in_no_theme": round(in_none / max(1, len(substantive)), 4),
        # a code's own name ("Environment, equipment & catering") is not a keyword list, whatever its commas
        "keyword_list_titles": sum(is_keyword_list(t) for t in titles + subtitles if t not in code_titles),
        "code_titles": len(code_titles),
        "title_self_retrieval": _retrieval(titles, np.asarray(centres), encode) if titles else 0.0,
        "title_neighbours_in_theme": _title_neighbours(
            titles, [[index[pid] for pid in t.passage_ids] for t in analysis.themes], vectors, encode),
        "titles": titles[:15],
        "all_titles": titles,
        "subtitles": subtitles,
        "seconds": round(seconds, 1),
    })
    return record


def study_codebook(name: str):
    """The study's own codebook (names, definitions, groups; never its coding), as ``wisdoms run`` is given it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import coding_data

    return coding_data.load({"nhs": "nhs_fft"}.get(name, name), SHARED / "bench")[0]


def _content_free(reason: str) -> bool:
    return reason.startswith("content-free")


def run_bertopic(name: str, *, seed: int, work: Path, encode, mode: str = "bertopic") -> dict[str, object]:
    """Plain BERTopic defaults (seeded UMAP) on participant turns or answers, scored; cached per seed. ``mode``
    ``bertopic-zeroshot`` / ``bertopic-guided``: given the study's codes as zero-shot or guided topics."""
    cached = work / f"{mode}-{name}-{seed}.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    from bertopic import BERTopic
    from umap import UMAP

    folder_name, group = DATASETS[name]
    if folder_name:
        corpus = INTERVIEWS / folder_name
        keys, truth, part = _interview_units(corpus, group)
        docs, spans = [], []
        for f, turns in part.items():
            text = (corpus / "transcripts" / f).read_text(encoding="utf-8")
            for a, b in turns:
                if text[a:b].strip():
                    docs.append(text[a:b].strip())
                    spans.append((f, a, b))
    else:
        docs, truth = _nhs_rows()
    vectors = _cached_encode(docs, encode, work)
    started = time.perf_counter()
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    if mode == "bertopic":
        model = BERTopic(umap_model=umap)
    else:
        names = [c.name for c in study_codebook(name).active]
        if mode == "bertopic-zeroshot":
            model = BERTopic(umap_model=umap, embedding_model=encode.model, zeroshot_topic_list=names)
        else:
            model = BERTopic(umap_model=umap, embedding_model=encode.model,
                             seed_topic_list=[re.findall(r"[\w'\-]+", n.lower()) for n in names])
    topics, _ = model.fit_transform(docs, vectors.copy())
    seconds = time.perf_counter() - started
    if folder_name:
        pred = []
        for f, s, _e in keys:
            pred.append(next((str(t) if t >= 0 else "none" for (ff, a, b), t in zip(spans, topics) if ff == f and a <= s < b),
                             "none"))
    else:
        pred = [str(t) if t >= 0 else "none" for t in topics]
    sizes = collections.Counter(t for t in topics if t >= 0)
    ids = sorted(sizes)
    titles = [", ".join(w for w, _ in (model.get_topic(t) or [])[:3]) for t in ids]
    norm = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    centres = []
    for t in ids:
        c = norm[[i for i, x in enumerate(topics) if x == t]].mean(axis=0)
        centres.append(c / (np.linalg.norm(c) or 1.0))
    record: dict[str, object] = {
        "system": mode, "dataset": name, "seed": seed, **_scores(truth, pred),
        "themes": len(ids), "passages": len(docs),
        "largest_share": round(max(sizes.values()) / len(docs), 4) if sizes else 0.0,
        "substantive_in_no_theme": round(sum(t < 0 for t in topics) / len(docs), 4),
        "keyword_list_titles": sum(is_keyword_list(t) for t in titles),
        "title_self_retrieval": _retrieval(titles, np.asarray(centres), encode) if titles else 0.0,
        "titles": titles[:15], "fit_seconds": round(seconds, 1),
    }
    cached.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="serdif,pdpilot,nhs")
    parser.add_argument("--systems", default="bertopic,wisdoms")
    parser.add_argument("--codebook", choices=("none", "shipped", "study"), default="none")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=Path("/tmp/wisdoms-theme-quality"))
    parser.add_argument("--out", type=Path, default=None, help="results JSON (default benchmarks/results/...)")
    args = parser.parse_args(argv)
    if not INTERVIEWS.is_dir() or not NHS.is_file():
        raise SystemExit(f"benchmark data not found under {SHARED / 'bench'}: "
                         "this benchmark needs ../shared beside the repository")
    logging.basicConfig(level=logging.WARNING)
    args.work.mkdir(parents=True, exist_ok=True)
    encode = _torch_encoder()
    records = []
    for name in args.datasets.split(","):
        for system in args.systems.split(","):
            if system.startswith("bertopic"):
                record = run_bertopic(name, seed=args.seed, work=args.work, encode=encode, mode=system)
            else:
                record = run_wisdoms(name, codebook=args.codebook, seed=args.seed, work=args.work, encode=encode)
            records.append(record)
            shown = {k: v for k, v in record.items() if k not in ("titles", "all_titles", "subtitles")}
            print(json.dumps(shown), flush=True)
            print("   titles:", " | ".join(str(t) for t in record["titles"][:8]), flush=True)  # type: ignore[index]
    out = args.out or RESULTS / f"theme-quality-{args.codebook}.json"
    if args.out is not None or set(args.datasets.split(",")) == set(DATASETS):
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"argv": sys.argv[1:], "records": records}, indent=1), encoding="utf-8")
        print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
