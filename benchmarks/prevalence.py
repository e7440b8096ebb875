"""Does a theme's count of people tell themes apart, and is it never absurd?

One command::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/prevalence.py

Every study with its own codebook and with none, each run as ``wisdoms.run(..., write=False, refit=True)``: the
shipped sample (12 conversations; its codebook/codebook.yaml), the two interview studies of
``../shared/bench/interviews`` (serdif-usability, 17 think-aloud sessions; pdpilot-userstudy, 7 interviews) and the
NHS answers (``phase1_single_label.csv`` as a table, its framework codebook), the codebooks as
``benchmarks/theme_quality.py --codebook study`` reads them. Per theme: the people counted
(:mod:`wisdoms.themes.prevalence`), everyone with any passage in it ("also touched on by"), and the people the
session 9 rule alone (half an even share of a person's points) would count, recomputed from the same units of
meaning; per run the themes at N of N, the themes counting nobody, the range, and each person's substantive points
(units of meaning). Results: ``benchmarks/results/prevalence.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import theme_quality as tq  # noqa: E402

STUDIES = ("sample", "serdif", "pdpilot", "nhs")


def _summary(counts: list[int], people: int) -> dict[str, object]:
    return {"people": counts, "at_n_of_n": sum(c == people for c in counts), "nobody": sum(c == 0 for c in counts),
            "range": [min(counts), max(counts)] if counts else []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/wisdoms-theme-quality"),
                        help="cache folder (embeddings, themes), as theme_quality.py's")
    parser.add_argument("--studies", default=",".join(STUDIES))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "prevalence.json"))
    args = parser.parse_args(argv)
    if not tq.SHARED.is_dir():
        print(f"../shared/bench not found (looked for {tq.SHARED}); this benchmark needs it", file=sys.stderr)
        return 2
    import numpy as np

    from wisdoms.codebook import Codebook, load_codebook
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings
    from wisdoms.themes.prevalence import EVEN_SHARE
    from wisdoms.themes.units import units_of

    settings = Settings(cache_dir=str(args.work / "cache"))
    records = []
    for name in args.studies.split(","):
        if name == "sample":
            folder, own = ROOT / "transcripts", load_codebook(ROOT / "codebook" / "codebook.yaml")
        elif name == "nhs":
            folder, own = tq._nhs_folder(args.work), tq.study_codebook(name)
        else:
            folder, own = tq.INTERVIEWS / tq.DATASETS[name][0] / "transcripts", tq.study_codebook(name)
        for codebook, book in (("own", own), ("none", Codebook(codes=(), name="none"))):
            analysis = run(folder, codebook=book, write=False, settings=settings, refit=True)
            people = len(analysis.participants)
            content_free = {u.passage for u in analysis.unassigned if tq._content_free(u.reason)}
            rows = [i for i, p in enumerate(analysis.passages) if p.id not in content_free]
            substantive = [analysis.passages[i] for i in rows]
            theme_of = {pid: t.id for t in analysis.themes for pid in t.passage_ids}
            points: Counter[str] = Counter()
            inside: dict[int, Counter[str]] = {t.id: Counter() for t in analysis.themes}
            for u in units_of(substantive, np.asarray(analysis.embeddings)[rows]):
                person = substantive[u[0]].participant
                points[person] += 1
                for t in {theme_of[substantive[r].id] for r in u if substantive[r].id in theme_of}:
                    inside[t][person] += 1
            bar = EVEN_SHARE / max(1, len(analysis.themes))
            even_share = [sum(n >= bar * points[p] - 1e-9 for p, n in inside[t.id].items()) for t in analysis.themes]
            counted = [t.participants for t in analysis.themes]
            touched = [t.touched_by or 0 for t in analysis.themes]
            record = {"study": name, "codebook": codebook, "participants": people, "themes": len(counted),
                      "points_per_person_median": statistics.median(points.values()),
                      "touched": _summary(touched, people), "even_share_only": _summary(even_share, people),
                      "counted": _summary(counted, people)}
            records.append(record)
            short = people > 50  # survey answers: thousands of respondents, one answer each
            print(f"{name} ({codebook} codebook): {people} people, {len(counted)} themes, "
                  f"{record['points_per_person_median']:g} substantive points a person (median)", flush=True)
            for label, key in (("touched on", "touched"), ("even share alone", "even_share_only"),
                               ("counted", "counted")):
                found = record[key]
                assert isinstance(found, dict)
                listed = "" if short else f"{found['people']}, "
                print(f"  {label}: {listed}{found['at_n_of_n']} at N of N, {found['nobody']} counting nobody, "
                      f"range {found['range']}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/prevalence.py",
                               "studies": records}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
