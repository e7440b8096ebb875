"""Does the codebook-fit check tell a codebook that fits the material from one that does not?

One command::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/codebook_fit.py

Four materials, each with its own codebook (fits) and with each of the three others' (does not fit):
  sample   the shipped transcripts/ (12 conversations) and codebook/codebook.yaml
  serdif   ../shared/bench/interviews/serdif-usability (17 think-aloud sessions) and its codebook.jsonl
  pdpilot  ../shared/bench/interviews/pdpilot-userstudy (7 interviews) and its codebook.jsonl (MAXQDA paths as
           slug ids, as benchmarks/coding_data.py reads it)
  nhs      ../shared/bench/nhs_fft/comments.jsonl (5,084 FFT answers, given to ``wisdoms run`` as a table) and
           nhs_fft/codebook.jsonl

Each material is run once (``wisdoms.run(..., write=False)``, embeddings and themes cached in ``--work``); then for
every codebook the run's own codebook stage check is made (:func:`wisdoms.codebook.for_run._fit_check`: the
matcher fitted on that codebook, zero-shot, scoring the material's substantive passages). Printed per pair: codes
that single out part of the material (of all codes), the share of passages coded (recorded, not an alarm), the
broadest code's share, and whether the check says it fits. Results: ``benchmarks/results/codebook-fit.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from coding_data import SHARED, load  # noqa: E402

MATERIALS = ("sample", "serdif", "pdpilot", "nhs")
FOLDERS = {"sample": ROOT / "transcripts", "serdif": SHARED / "interviews" / "serdif-usability" / "transcripts",
           "pdpilot": SHARED / "interviews" / "pdpilot-userstudy" / "transcripts"}


def _codebook(name: str):
    from wisdoms.codebook import load_codebook

    if name == "sample":
        return load_codebook(ROOT / "codebook" / "codebook.yaml")
    return load({"nhs": "nhs_fft"}.get(name, name))[0]


def _nhs_folder(work: Path) -> Path:
    """comments.jsonl as a survey table (respondent, answer), the answers as written (a form feed or vertical tab
    would be read as a line break; the file holds none)."""
    folder = work / "nhs-comments"
    target = folder / "answers.csv"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        rows = [json.loads(line) for line in (SHARED / "nhs_fft" / "comments.jsonl").read_text("utf-8").splitlines()
                if line.strip()]
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["respondent", "answer"])
            writer.writerows([r["id"], r["text"]] for r in rows if str(r["text"]).strip())
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="/tmp/wisdoms-codebook-fit", help="cache folder (embeddings, themes)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "codebook-fit.json"))
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"../shared/bench not found (looked for {SHARED}); this benchmark needs it", file=sys.stderr)
        return 2
    from wisdoms.codebook.for_run import _fit_check
    from wisdoms.codebook.matching import CodeMatcher
    from wisdoms.embed import EmbeddingCache, embed_texts, ensure_embedder
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings

    work = Path(args.work)
    settings = Settings(cache_dir=str(work / "cache"))
    embedder = ensure_embedder(settings)
    cache = EmbeddingCache(settings.resolved_cache_dir())

    def embed(texts):
        return embed_texts(list(texts), embedder, cache)[0]

    books = {name: _codebook(name) for name in MATERIALS}
    rows = []
    for material in MATERIALS:
        folder = FOLDERS.get(material) or _nhs_folder(work)
        started = time.perf_counter()
        analysis = run(folder, codebook=books[material], write=False, settings=settings)
        content_free = {u.passage for u in analysis.unassigned if u.reason.startswith("content-free")}
        passages = list(analysis.passages)
        substantive = [p.id for p in passages if p.id not in content_free]
        vectors = np.asarray(analysis.embeddings, dtype=np.float32)
        for name, book in books.items():
            matcher = CodeMatcher(book, Settings()).fit(embed)
            matches = matcher.match_passages(passages, vectors, scored=matcher.score(vectors))
            fit = _fit_check(book, matcher, passages, vectors, substantive, matches)
            rows.append({"material": material, "codebook": name, "own": name == material, "codes": fit.codes,
                         "selective_codes": fit.selective_codes,
                         "selective_share": round((fit.selective_codes or 0) / max(1, fit.codes), 3),
                         "coded_share": fit.coded_share,
                         "broadest_code_share": round(fit.broadest_code[1], 3) if fit.broadest_code else 0.0,
                         "fits": fit.fits, "right": fit.fits == (name == material), "summary": fit.summary})
            r = rows[-1]
            print(f"{material:8} {name:8} {'own' if r['own'] else '   '} codes singling out {r['selective_codes']}/"
                  f"{r['codes']} ({r['selective_share']:.0%}), coded {r['coded_share']:.0%}, broadest "
                  f"{r['broadest_code_share']:.0%}: {'fits' if r['fits'] else 'does not fit'}"
                  f"{'' if r['right'] else '  <- WRONG'}", flush=True)
        print(f"  ({material}: {len(passages)} passages, {time.perf_counter() - started:.0f} s)", flush=True)
    right = sum(r["right"] for r in rows)
    print(f"{right} of {len(rows)} pairs judged right")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/codebook_fit.py",
                               "right": right, "pairs": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
