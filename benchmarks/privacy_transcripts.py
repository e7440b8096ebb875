"""False alarms of the privacy detectors on real, already-anonymised research interviews.

Run: ``HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/privacy_transcripts.py [FOLDER ...] [--label NAME]
[--allow FILE]`` (``--allow``: a project allow-list, as ``privacy/allow.txt`` would be). A ``.csv`` argument is
read as a table of answers (``text`` column, ``row_index`` ids), e.g.
``../shared/bench/nhs_fft/phase1_single_label.csv``.
(default folders: every ``transcripts/`` under ``../shared/bench/interviews/``). Run it with ``PYTHONPATH``
pointing at another checkout to measure that version (the "before" column: the commit before issue 18).
Prints, per folder and in all,
the words, findings, findings per 10,000 words and distinct terms to review (what ``wisdoms privacy scan``'s
terms sheet lists), then every distinct term with its count, type and why it was raised, so a person can say
which are true names. Writes ``benchmarks/results/privacy-transcripts[-LABEL].json``.

The scan is what ``wisdoms privacy scan FOLDER`` reads: every turn (interviewer included) and the metadata lines,
with the project settings found from the folder (none in these studies).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wisdoms.privacy.detectors import Detector  # noqa: E402
from wisdoms.privacy.scan import scan  # noqa: E402
from wisdoms.privacy.terms import identity_key  # noqa: E402

try:
    from wisdoms.privacy.terms import term_key
except ImportError:  # an older wisdoms (the "before" column): the same grouping as the terms sheet
    def term_key(f) -> str:
        kind = "WORDS" if f.type in {"NAME", "PLACE", "ORG", "SERVICE"} else f.type
        return f"{kind}:{identity_key(f.type, f.text)}"

#: ``../shared`` beside the checkout (a worktree under ``wt/`` looks one level further up).
DEFAULT = next((p / "shared" / "bench" / "interviews" for p in (ROOT.parent, ROOT.parent.parent)
                if (p / "shared" / "bench" / "interviews").is_dir()), ROOT.parent / "shared" / "bench" / "interviews")


def main(argv: list[str]) -> int:
    label = ""
    if "--label" in argv:
        i = argv.index("--label")
        label = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    allow: tuple[str, ...] = ()
    if "--allow" in argv:
        i = argv.index("--allow")
        allow = tuple(line.split("#", 1)[0].strip() for line in Path(argv[i + 1]).read_text(encoding="utf-8").splitlines()
                      if line.split("#", 1)[0].strip())
        argv = argv[:i] + argv[i + 2:]
    folders = [Path(a) for a in argv] or sorted(DEFAULT.glob("*/transcripts"))
    if not folders:
        print(f"no transcripts folders under {DEFAULT} (pass folders)", file=sys.stderr)
        return 2
    detector = (Detector(allow=allow) if allow else Detector()).fit()
    summary: dict = {"detector_version": detector.version, "folders": {}}
    terms: dict[str, dict] = {}
    total_words = total_findings = 0
    started = time.perf_counter()
    for folder in folders:
        name = folder.parent.name if folder.name in {"transcripts", "phase1_single_label.csv"} else folder.name
        # A table (the NHS FFT answers) is read as its scan reads it: the text column, one row a source.
        result = scan(folder, detector=detector, text_column="text", id_column="row_index") if folder.is_file() \
            else scan(folder, detector=detector)
        words = sum(len(re.findall(r"\w+", t)) for t in result.texts.values())
        distinct = {term_key(f) for f in result.findings}
        summary["folders"][name] = {"texts": len(result.texts), "words": words, "findings": len(result.findings),
                                    "per_10k_words": round(len(result.findings) * 10_000 / words, 2),
                                    "distinct_terms": len(distinct)}
        total_words += words
        total_findings += len(result.findings)
        for f in result.findings:
            row = terms.setdefault(term_key(f), {"text": f.text, "type": f.type, "count": 0, "why": Counter(),
                                                 "folders": set()})
            row["count"] += 1
            row["why"][getattr(f, "reason", "") or f.detector] += 1
            row["folders"].add(name)
    by_type: Counter[str] = Counter()
    for r in terms.values():
        by_type[r["type"]] += r["count"]
    summary["by_type"] = dict(by_type.most_common())
    summary["all"] = {"words": total_words, "findings": total_findings,
                      "per_10k_words": round(total_findings * 10_000 / total_words, 2), "distinct_terms": len(terms)}
    summary["seconds"] = round(time.perf_counter() - started, 1)
    listed = sorted(terms.values(), key=lambda r: (-r["count"], r["text"].lower()))
    summary["terms"] = [{"text": r["text"], "type": r["type"], "count": r["count"], "why": dict(r["why"]),
                         "folders": sorted(r["folders"])} for r in listed]
    print(f"{'folder':22} {'words':>7} {'findings':>8} {'per 10k':>8} {'terms':>6}")
    for name, s in {**summary["folders"], "all": summary["all"]}.items():
        print(f"{name:22} {s['words']:>7} {s['findings']:>8} {s['per_10k_words']:>8} {s['distinct_terms']:>6}")
    print("findings by type: " + ", ".join(f"{k} {v}" for k, v in summary["by_type"].items()))
    for r in summary["terms"]:
        why = "; ".join(f"{k} x{v}" if v > 1 else k for k, v in r["why"].items())
        print(f"{r['count']:>4}  {r['type']:8} {r['text']!r:30} {why}")
    out = ROOT / "benchmarks" / "results" / f"privacy-transcripts{'-' + label if label else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, default=sorted) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)} in {summary['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
