"""Does a theme's count of people tell themes apart?

One command::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/prevalence.py

On the shipped sample (12 conversations) and the two interview studies of ``../shared/bench/interviews``
(serdif-usability, 17 sessions; pdpilot-userstudy, 7 interviews), each run as ``wisdoms.run(..., write=False)``
with its own codebook: per theme, the people counted (a real part of what they said,
:mod:`wisdoms.themes.prevalence`) beside everyone with any passage in it (the count before: "also touched on by"),
the number of themes at N of N and the range; and why everyone touched on everything: each person's substantive
points (units of meaning). Results: ``benchmarks/results/prevalence.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from coding_data import SHARED, load  # noqa: E402

STUDIES = {"sample": ROOT / "transcripts", "serdif": SHARED / "interviews" / "serdif-usability" / "transcripts",
           "pdpilot": SHARED / "interviews" / "pdpilot-userstudy" / "transcripts"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="/tmp/wisdoms-codebook-fit", help="cache folder (embeddings, themes)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "prevalence.json"))
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"../shared/bench not found (looked for {SHARED}); this benchmark needs it", file=sys.stderr)
        return 2
    import numpy as np

    from wisdoms.codebook import load_codebook
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings
    from wisdoms.themes.units import units_of

    settings = Settings(cache_dir=str(Path(args.work) / "cache"))
    records = []
    for name, folder in STUDIES.items():
        book = load_codebook(ROOT / "codebook" / "codebook.yaml") if name == "sample" else load(name)[0]
        analysis = run(folder, codebook=book, write=False, settings=settings)
        people = len(analysis.participants)
        content_free = {u.passage for u in analysis.unassigned if u.reason.startswith("content-free")}
        rows = [i for i, p in enumerate(analysis.passages) if p.id not in content_free]
        substantive = [analysis.passages[i] for i in rows]
        units = units_of(substantive, np.asarray(analysis.embeddings)[rows])
        points: dict[str, int] = {}
        for u in units:
            points[substantive[u[0]].participant] = points.get(substantive[u[0]].participant, 0) + 1
        counted = [t.participants for t in analysis.themes]
        touched = [t.touched_by or 0 for t in analysis.themes]
        record = {"study": name, "participants": people, "themes": len(counted),
                  "points_per_person_median": statistics.median(points.values()),
                  "before": {"people": touched, "at_n_of_n": sum(c == people for c in touched),
                             "range": [min(touched), max(touched)]},
                  "after": {"people": counted, "at_n_of_n": sum(c == people for c in counted),
                            "range": [min(counted), max(counted)]}}
        records.append(record)
        print(f"{name}: {people} people, {len(counted)} themes, {record['points_per_person_median']:g} substantive "
              f"points a person (median)\n  before (anyone with a passage): {touched}, "
              f"{record['before']['at_n_of_n']} at N of N, range {min(touched)}-{max(touched)}\n"
              f"  after (a real part of what they said): {counted}, {record['after']['at_n_of_n']} at N of N, "
              f"range {min(counted)}-{max(counted)}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/prevalence.py",
                               "studies": records}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
