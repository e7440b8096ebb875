"""The theme stage alone on the NHS answers: a fresh fit and a carried-over run, and how often units of meaning are
formed in each.

One command (the embeddings cached in ``--work`` by ``benchmarks/theme_quality.py`` or an earlier run)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/theme_stage.py --work /tmp/wisdoms-theme-quality

The NHS answers (``phase1_single_label.csv`` as a table, as ``theme_quality.py`` gives them to ``wisdoms run``) are
read, split and embedded by ``wisdoms.run`` (no codebook); the analysable passages it gives the theme stage are then
fitted with :func:`~wisdoms.themes.fit.find_themes` (seed 42) and carried over with
:func:`~wisdoms.themes.incremental.carry_over`, each ``--repeats`` times. Every call of
:func:`~wisdoms.themes.units.units_of` is counted and timed, and one call is timed on the passages four times over
(about 50k, the largest size ``benchmarks/speed.py`` runs). Results: ``benchmarks/results/theme-stage.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import theme_quality as tq  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/wisdoms-theme-quality"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "theme-stage.json")
    args = parser.parse_args(argv)
    if not tq.NHS.is_file():
        print(f"{tq.NHS} not found; this benchmark needs ../shared/bench", file=sys.stderr)
        return 2
    import numpy as np

    import wisdoms.pipeline as pipeline
    import wisdoms.themes.units as units_module
    from wisdoms.codebook import Codebook
    from wisdoms.settings import Settings
    from wisdoms.themes.fit import find_themes
    from wisdoms.themes.incremental import carry_over

    settings = Settings(cache_dir=str(args.work / "cache"), seed=42)
    given: dict[str, Any] = {}
    real_stage = pipeline.themes_for_run

    def keep(passages, embeddings, **kw):
        given.update(passages=list(passages), embeddings=np.asarray(embeddings), answers=kw.get("answers"))
        return real_stage(passages, embeddings, **kw)

    pipeline.themes_for_run = keep
    pipeline.run(tq._nhs_folder(args.work), codebook=Codebook(codes=(), name="none"), write=False, settings=settings)
    pipeline.themes_for_run = real_stage
    passages, embeddings, answers = given["passages"], given["embeddings"], given["answers"]

    calls = {"n": 0, "s": 0.0}
    real_units = units_module.units_of

    def counted(*a, **kw):
        started = time.perf_counter()
        found = real_units(*a, **kw)
        calls["n"] += 1
        calls["s"] += time.perf_counter() - started
        return found

    for name in ("wisdoms.themes.units", "wisdoms.themes.fit", "wisdoms.themes.build", "wisdoms.themes.prevalence",
                 "wisdoms.themes.incremental"):
        module = importlib.import_module(name)
        if hasattr(module, "units_of"):
            module.units_of = counted
    record: dict[str, Any] = {"passages": len(passages), "find_themes": [], "carry_over": []}
    for _ in range(args.repeats):
        for stage, work in (("find_themes", lambda: find_themes(passages, embeddings, settings=settings, answers=answers)),
                            ("carry_over", lambda: carry_over(passages, embeddings, fitted.state, settings=settings,
                                                              answers=answers))):
            calls.update(n=0, s=0.0)
            started = time.perf_counter()
            result = work()
            record[stage].append({"seconds": round(time.perf_counter() - started, 2), "units_of_calls": calls["n"],
                                  "units_of_seconds": round(calls["s"], 2)})
            if stage == "find_themes":
                fitted = result
            print(stage, record[stage][-1], flush=True)
    started = time.perf_counter()
    real_units(passages * 4, np.concatenate([embeddings] * 4))
    record["units_of_seconds_at_4x"] = round(time.perf_counter() - started, 2)
    record["passages_4x"] = 4 * len(passages)
    print(f"units_of on {4 * len(passages)} passages: {record['units_of_seconds_at_4x']} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/theme_stage.py "
                                               "--work /tmp/wisdoms-theme-quality", **record}, indent=1) + "\n",
                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
