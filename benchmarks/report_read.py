"""The report as a convener reads it, counted: what a reader of the real-data reports found by hand, on every data set.

One command::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/report_read.py --work /tmp/report-read
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/report_read.py --datasets sample,pdpilot --codebooks none

Each data set is run as a user runs it (``wisdoms.run(folder, codebook=..., write=False)``, fitted afresh), codebook-free
(``none``) and with its own codebook (``own``: the sample's ``codebook/codebook.yaml``, each interview study's
``codebook.jsonl``, the NHS framework's ``codebook.jsonl``), and the report's view (``build_view``, what every
report format shows) is read for what a convener trips over:

- quotes not verbatim: a quote that is not exactly ``text[start:end]`` of the transcript it cites (must be 0);
- titles (themes and sub-themes, in quotation marks or not) cut inside an ellipsis ("... in terms of days .."),
  ending mid-thought on a function word or filler ("... I've had a chance to go and"), holding a hesitation
  ("Uh, and, uh"), a redaction mark ("The XX XXXX ...") or a transcriber's note ("(The participant reads ...)"),
  or asked as a question; sub-theme titles repeated within their theme ("“Nothing”" twenty times);
- first-screen quotes with a serious fault (:func:`wisdoms.report.view.quote_faults`: trailing off, mostly
  redaction marks, a transcriber's note): the one quote a reader sees per theme;
- themes counted for 0 people, and the largest theme's share of passages.

Data sets (``../shared/bench``; a missing one is skipped with a message): ``sample`` (the shipped 12
conversations), ``serdif`` (17 think-aloud sessions), ``pdpilot`` (7 interviews), ``nhs`` (10,302 survey answers, a
table of respondent and answer, as ``theme_quality.py`` gives it). Results: ``benchmarks/results/report-read.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import theme_quality  # noqa: E402  (the data sets as the theme benchmark reads them)

RESULTS = ROOT / "benchmarks" / "results" / "report-read.json"
DATASETS = ("sample", "serdif", "pdpilot", "nhs")
HESITATIONS = frozenset("uh uhh um umm uhm erm er ah mm hmm".split())
NOTE = re.compile(r"\([^()\n]{0,80}\b(?:participant|reads|inaudible|unintelligible|laughs?|pause)\b[^()\n]{0,80}\)",
                  re.IGNORECASE)


def title_faults(title: str) -> list[str]:
    """What is wrong with a title as a convener reads it (empty: nothing found)."""
    from wisdoms.models import MARKER_PATTERN
    from wisdoms.report.view import TRAILING_WORDS
    from wisdoms.segment import REDACTION

    text = title.strip().strip("“”")
    words = [w.strip(",.!?;:\"'“”()…").lower() for w in text.split()]
    faults = []
    if re.search(r"(?<!\.)\.\.$", text):
        faults.append("cut inside an ellipsis")
    if words and words[-1] in TRAILING_WORDS:
        faults.append("ends mid-thought")
    if any(w in HESITATIONS for w in words):
        faults.append("hesitation")
    if REDACTION.search(text):
        faults.append("redaction mark")
    if NOTE.search(text) or MARKER_PATTERN.search(text):
        faults.append("transcriber's note")
    if text.endswith("?"):
        faults.append("a question")
    return faults


def _inputs(name: str, work: Path) -> tuple[Path, object] | None:
    """(transcripts folder, own codebook) for a data set, or ``None`` when it is absent."""
    if name == "sample":
        return ROOT / "transcripts", ROOT / "codebook" / "codebook.yaml"
    if name == "nhs":
        if not theme_quality.NHS.is_file():
            return None
        return theme_quality._nhs_folder(work), theme_quality.NHS.parent / "codebook.jsonl"
    corpus = theme_quality.INTERVIEWS / theme_quality.DATASETS[name][0]
    if not corpus.is_dir():
        return None
    return corpus / "transcripts", corpus / "codebook.jsonl"


def read(name: str, codebook: str, work: Path) -> dict[str, object] | None:
    """Run one data set as a user would and count what a convener trips over in its report."""
    from wisdoms.pipeline import run
    from wisdoms.report.view import build_view, quote_faults
    from wisdoms.settings import Settings

    found = _inputs(name, work)
    if found is None:
        print(f"{name}: not found under {theme_quality.SHARED}; skipped")
        return None
    folder, own = found
    started = time.perf_counter()
    analysis = run(folder, codebook=own if codebook == "own" else "none", write=False,  # a fresh fit, never a saved one
                   settings=Settings(cache_dir=str(work / "cache")), refit=True)
    seconds = time.perf_counter() - started
    view = build_view(analysis)
    texts = {t.id: t.text for t in analysis.transcripts}
    quotes = [q for t in analysis.themes for q in t.quotes]
    titles: dict[str, list[str]] = {}
    for t in analysis.themes:
        for label in [t.label, *(s.label for s in t.subthemes)]:
            for fault in title_faults(label):
                titles.setdefault(fault, []).append(label)
    repeated = sum(len(t.subthemes) - len({s.label for s in t.subthemes}) for t in analysis.themes)
    weak = [v.strong_quote.text for v in view.themes if v.strong_quote is not None and quote_faults(v.strong_quote.text)[0]]
    total = max(1, sum(t.passages for t in analysis.themes))
    return {
        "data": name, "codebook": codebook, "seconds": round(seconds, 1), "themes": len(analysis.themes),
        "sub_themes": sum(len(t.subthemes) for t in analysis.themes),
        "quotes": len(quotes), "quotes_not_verbatim": sum(texts[q.transcript][q.start:q.end] != q.text for q in quotes),
        "title_faults": {k: len(v) for k, v in sorted(titles.items())},
        "title_examples": {k: v[:3] for k, v in sorted(titles.items())},
        "sub_theme_titles_repeated": repeated,
        "first_screen_quotes_with_a_serious_fault": len(weak), "first_screen_examples": weak[:3],
        "themes_with_0_people": sum(t.participants == 0 for t in analysis.themes),
        "largest_theme_share": round(max((t.passages for t in analysis.themes), default=0) / total, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--codebooks", default="none,own", help="none, own or both (comma-separated)")
    parser.add_argument("--work", default="/tmp/report-read", help="cache and NHS table folder")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.datasets.split(","):
        for codebook in args.codebooks.split(","):
            row = read(name, codebook, work)
            if row is None:
                continue
            rows.append(row)
            faults = ", ".join(f"{k} {n}" for k, n in row["title_faults"].items()) or "none"  # type: ignore[union-attr]
            print(f"{name:8} {codebook:5} themes {row['themes']:3} sub-themes {row['sub_themes']:3} quotes not verbatim "
                  f"{row['quotes_not_verbatim']} | titles: {faults} | repeated sub-theme titles "
                  f"{row['sub_theme_titles_repeated']} | first-screen quotes with a serious fault "
                  f"{row['first_screen_quotes_with_a_serious_fault']} | 0-people themes {row['themes_with_0_people']} | "
                  f"largest {row['largest_theme_share']:.0%}", flush=True)
    command = "HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/report_read.py " + " ".join(argv or sys.argv[1:])
    Path(args.out).write_text(json.dumps({"command": command.strip(), "results": rows}, indent=1, ensure_ascii=False)
                              + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
