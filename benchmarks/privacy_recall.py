"""Recall of the privacy detectors on the shared identifier snippets.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/privacy_recall.py [SNIPPETS.jsonl] [--presidio]``
Prints a table and writes ``benchmarks/results/privacy.json``.

``--presidio`` also measures Presidio's analyzer (defaults, on the local spaCy model, offline) alone and in
union with ours. Presidio is not a dependency: install it apart, e.g.
``pip install --target /tmp/presidio presidio-analyzer phonenumbers tldextract requests-file --no-deps``
and run with ``PYTHONPATH=/tmp/presidio``.

An identifier counts as caught when a finding overlaps its gold span; "whole span" counts the ones a
finding (or several) cover entirely. Lower-cased variants of every line are measured too (offsets are
unchanged by lower-casing), and the share of ``clean-`` lines with any finding.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wisdoms.privacy.detectors import Detector  # noqa: E402

#: ``../shared`` beside the checkout (a worktree under ``wt/`` looks one level further up).
DEFAULT = next((p / "shared" / "privacy" / "snippets.jsonl" for p in (ROOT.parent, ROOT.parent.parent)
                if (p / "shared" / "privacy" / "snippets.jsonl").is_file()), ROOT.parent / "shared" / "privacy" / "snippets.jsonl")


def measure(rows: list[dict], detector: Detector, *, lower: bool) -> dict:
    """Per-type recall (overlap and whole span) and the clean-line flag rate."""
    texts = [(r["id"], r["text"].lower() if lower else r["text"], 0) for r in rows]
    results = detector.find_many(texts)
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    missed: list[str] = []
    clean = flagged = 0
    for row, findings in zip(rows, results):
        if row["id"].startswith("clean-"):
            clean += 1
            flagged += bool(findings)
            continue
        for gold in row["identifiers"]:
            counts = per_type[gold["type"]]
            counts[0] += 1
            hit = any(f.start < gold["end"] and gold["start"] < f.end for f in findings)
            covered = all(any(f.start <= i < f.end for f in findings) for i in range(gold["start"], gold["end"]))
            counts[1] += hit
            counts[2] += covered
            if not hit:
                missed.append(f"{row['id']}: {gold['text']!r} ({gold['type']})")
    total = [sum(c[i] for c in per_type.values()) for i in range(3)]
    return {
        "types": {t: {"n": c[0], "recall": c[1] / c[0], "whole_span": c[2] / c[0]} for t, c in sorted(per_type.items())},
        "overall": {"n": total[0], "recall": total[1] / total[0], "whole_span": total[2] / total[0]},
        "clean_lines": clean,
        "clean_flagged": flagged / clean if clean else 0.0,
        "missed": missed,
    }


def presidio_comparison(rows: list[dict], detector: Detector, *, lower: bool) -> dict:
    """Overlap recall and clean-line flag rate of Presidio alone, ours, and the union of both."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    model = detector.nlp_.meta["lang"] + "_" + detector.nlp_.meta["name"]
    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                                    "models": [{"lang_code": "en", "model_name": model}]})
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    texts = [r["text"].lower() if lower else r["text"] for r in rows]
    theirs = [[(x.start, x.end) for x in engine.analyze(text=t, language="en")] for t in texts]
    ours = [[(f.start, f.end) for f in found] for found in detector.find_many([(r["id"], t, 0) for r, t in zip(rows, texts)])]
    hits = {"presidio": 0, "ours": 0, "union": 0}
    flagged = dict.fromkeys(hits, 0)
    n = clean = 0
    for row, p_spans, o_spans in zip(rows, theirs, ours):
        spans = {"presidio": p_spans, "ours": o_spans, "union": p_spans + o_spans}
        if row["id"].startswith("clean-"):
            clean += 1
            for k, v in spans.items():
                flagged[k] += bool(v)
            continue
        for gold in row["identifiers"]:
            n += 1
            for k, v in spans.items():
                hits[k] += any(s < gold["end"] and gold["start"] < e for s, e in v)
    return {k: {"recall": hits[k] / n, "clean_flagged": flagged[k] / clean if clean else 0.0} for k in hits}


def main(argv: list[str]) -> int:
    with_presidio = "--presidio" in argv
    argv = [a for a in argv if a != "--presidio"]
    path = Path(argv[0]) if argv else DEFAULT
    if not path.exists():
        print(f"snippets not found: {path} (pass the path to snippets.jsonl)", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    t0 = time.perf_counter()
    detector = Detector().fit()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cased = measure(rows, detector, lower=False)
    lowered = measure(rows, detector, lower=True)
    scan_s = time.perf_counter() - t0
    structured = ("POSTCODE", "PHONE", "EMAIL", "NINO", "NHS", "DOB")
    print(f"{'type':10} {'n':>3} {'recall':>7} {'whole':>7} {'lc recall':>9} {'lc whole':>9}")
    for kind, r in cased["types"].items():
        lc = lowered["types"][kind]
        print(f"{kind:10} {r['n']:>3} {r['recall']:>7.2f} {r['whole_span']:>7.2f} {lc['recall']:>9.2f} {lc['whole_span']:>9.2f}")
    o, lo = cased["overall"], lowered["overall"]
    print(f"{'overall':10} {o['n']:>3} {o['recall']:>7.3f} {o['whole_span']:>7.3f} {lo['recall']:>9.3f} {lo['whole_span']:>9.3f}")
    print(f"clean lines flagged: {cased['clean_flagged']:.0%} of {cased['clean_lines']} "
          f"(lower-cased: {lowered['clean_flagged']:.0%})")
    for label, result in (("missed", cased), ("missed (lower-cased)", lowered)):
        for miss in result["missed"]:
            print(f"{label}: {miss}")
    summary = {
        "snippets": str(path.name),
        "detector_version": detector.version,
        "cased": cased,
        "lowercased": lowered,
        "structured_recall": min(cased["types"][t]["recall"] for t in structured if t in cased["types"]),
        "structured_recall_lowercased": min(lowered["types"][t]["recall"] for t in structured if t in lowered["types"]),
        "seconds": {"load": round(load_s, 2), "scan_both_variants": round(scan_s, 2)},
    }
    if with_presidio:
        summary["presidio"] = {}
        for label, lower in (("cased", False), ("lowercased", True)):
            result = summary["presidio"][label] = presidio_comparison(rows, detector, lower=lower)
            print(f"presidio {label}: " + ", ".join(f"{k} recall {v['recall']:.3f} clean flagged {v['clean_flagged']:.0%}"
                                                    for k, v in result.items()))
    out = ROOT / "benchmarks" / "results" / "privacy.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
