"""Transcript shapes: the two real bench interview studies rewritten as other teams' files come (labels, time
marks, exports, captions, Word), each read as a new user's folder would be, compared with the plain files.

For each shape: files read, participants, participant turns and words, interviewer words, and whether the
participant words are exactly those of the plain files (every participant word read, no interviewer word, no
label or time mark among them). With ``--themes`` each folder is also run (``wisdoms run FOLDER --codebook none
--allow-unreviewed``) and the run's structure recorded: passages, people, themes, largest theme's share of
substantive passages, substantive passages in no theme, exit status.

    PYTHONPATH=. python benchmarks/transcript_shapes.py --work /tmp/shapes --out benchmarks/results/transcript-shapes.json
    PYTHONPATH=. python benchmarks/transcript_shapes.py --work /tmp/shapes --themes --cache-dir /tmp/shapes-cache \\
        --out benchmarks/results/transcript-shapes-themes.json

Needs ../shared/bench/interviews (the two studies); the shapes are written under --work, never beside them.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((c for c in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if c.is_dir()), ROOT.parent / "shared")
STUDIES = {"serdif": "serdif-usability", "pdp": "pdpilot-userstudy"}
INTERVIEWER = {"Task", "MODERATOR", "Dan"}  # the studies' own interviewer-side labels (their speakers.yaml)
NAMES = ["Priya Shah", "Tom Walsh", "Aisha Khan", "Marek Nowak", "Grace Obi", "Luis Garcia", "Hannah Reid",
         "Kwame Mensah", "Sofia Rossi", "Owen Evans", "Mei Chen", "Ravi Patel", "Chloe Murphy", "Tariq Aziz",
         "Nina Berg", "Ben Cole", "Ines Silva"]
Turns = list[tuple[str, str]]


def turns(path: Path) -> Turns:
    """``(role, speech)`` of each turn of a bench transcript (role ``I`` or ``P``)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, speech = line.split(":", 1)
            out.append(("I" if label in INTERVIEWER else "P", speech.strip()))
    return out


def clock(t: float, hours: bool = True) -> str:
    s = int(t)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" if hours else f"{s // 60}:{s % 60:02d}"


def cue_time(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{clock(ms // 1000)}.{ms % 1000:03d}"


def times(ts: Turns) -> list[float]:
    out, t = [], 3.0
    for _r, s in ts:
        out.append(t)
        t += len(s.split()) / 2.5 + 1.5
    return out


def labelled(i: str, p: str, sep: str = "\n\n") -> Callable[[Turns, str], str]:
    return lambda ts, _name: sep.join(f"{i if r == 'I' else p}{s}" for r, s in ts) + "\n"


def timed(fmt: Callable[[str, str, float], str]) -> Callable[[Turns, str], str]:
    return lambda ts, _name: "\n\n".join(fmt(r, s, t) for (r, s), t in zip(ts, times(ts))) + "\n"


def captions(ts: Turns, name: str, vtt: bool) -> str:
    lines, n = (["WEBVTT", ""] if vtt else []), 0
    for (r, s), t in zip(ts, times(ts)):
        words = s.split()
        for j in range(0, max(len(words), 1), 12):
            n += 1
            a = t + j / 12 * 4.8
            span = f"{cue_time(a)} --> {cue_time(a + 4.7)}"
            chunk = " ".join(words[j:j + 12]).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            who = "Sarah Jones" if r == "I" else name
            lines += [str(n), span if vtt else span.replace(".", ","), f"<v {who}>{chunk}</v>" if vtt else f"{who}: {chunk}", ""]
    return "\n".join(lines)


def who(r: str, name: str) -> str:
    return "Sarah Jones" if r == "I" else name


SHAPES: dict[str, tuple[str, Callable]] = {
    "Interviewer/Respondent": (".txt", labelled("Interviewer: ", "Respondent: ")),
    "I/R": (".txt", labelled("I: ", "R: ")),
    "Q/A": (".txt", labelled("Q: ", "A: ")),
    "CAPITALS": (".txt", labelled("INTERVIEWER: ", "PARTICIPANT: ")),
    "**bold:**": (".md", labelled("**Interviewer:** ", "**Participant:** ")),
    "**bold**:": (".md", labelled("**Interviewer**: ", "**Respondent**: ")),
    "no blank lines": (".txt", labelled("Interviewer: ", "Participant: ", sep="\n")),
    "tab after label": (".txt", labelled("INT\t", "RESP\t")),
    "first names": (".txt", lambda ts, name: "\n\n".join(
        f"{'Sarah' if r == 'I' else name.split()[0]}: {s}" for r, s in ts) + "\n"),
    "[00:01:23] Speaker 1:": (".txt", timed(lambda r, s, t: f"[{clock(t)}] Speaker {1 if r == 'I' else 2}: {s}")),
    "Otter 'Speaker 1  0:03'": (".txt", timed(lambda r, s, t: f"Speaker {1 if r == 'I' else 2}  {clock(t, False)}\n{s}")),
    "Otter names 'Name  00:01:23'": (".txt", lambda ts, name: timed(lambda r, s, t: f"{who(r, name)}  {clock(t)}\n{s}")(ts, name)),
    "Rev 'Name (00:01:23):'": (".txt", lambda ts, name: timed(lambda r, s, t: f"{who(r, name)} ({clock(t)}):\n{s}")(ts, name)),
    "Zoom '[Name] 10:01:23'": (".txt", lambda ts, name: timed(lambda r, s, t: f"[{who(r, name)}] {clock(t + 36000)}\n{s}")(ts, name)),
    "Word Transcribe '00:01:23 Speaker 1'": (".txt", timed(lambda r, s, t: f"{clock(t)} Speaker {1 if r == 'I' else 2}\n{s}")),
    "'00:01:23 Name: ...'": (".txt", lambda ts, name: timed(lambda r, s, t: f"{clock(t)} {who(r, name)}: {s}")(ts, name)),
    "f4 'I: ... #00:01:23-4#'": (".txt", timed(lambda r, s, t: f"{'I' if r == 'I' else 'R'}: {s} #{clock(t)}-{int(t * 10) % 10}#")),
    "hard-wrapped at 72": (".txt", lambda ts, _n: "\n\n".join(textwrap.fill(
        f"{'Interviewer' if r == 'I' else 'Participant'}: {s}", 72) for r, s in ts) + "\n"),
    "Teams .vtt": (".vtt", lambda ts, name: captions(ts, name, True)),
    "Zoom .srt": (".srt", lambda ts, name: captions(ts, name, False)),
    "Word .docx, bold labels": (".docx", None),
    "Teams Word 'Name   0:03'": (".docx", None),
}


def write_docx(path: Path, ts: Turns, name: str, teams: bool) -> None:
    import docx

    d = docx.Document()
    if teams:
        for (r, s), t in zip(ts, times(ts)):
            d.add_paragraph(f"{who(r, name)}   {clock(t, False)}")
            d.add_paragraph(s)
    else:
        d.add_heading(f"Interview {path.stem}", 1)
        for r, s in ts:
            p = d.add_paragraph()
            p.add_run("Interviewer:" if r == "I" else "Participant:").bold = True
            p.add_run(" " + s)
    d.save(path)


def make(bench: Path, work: Path) -> dict[str, Path]:
    """Every shape of every study under ``work``; returns folder name -> folder."""
    if work.exists():
        shutil.rmtree(work)
    folders = {}
    for k, (shape, (suffix, render)) in enumerate(SHAPES.items()):
        for study, name in STUDIES.items():
            folder = work / f"{k:02d}-{study}"
            folder.mkdir(parents=True)
            for n, src in enumerate(sorted((bench / name / "transcripts").glob("*.txt"))):
                ts, person = turns(src), NAMES[n % len(NAMES)]
                target = folder / (src.stem + suffix)
                if render is None:
                    write_docx(target, ts, person, teams=shape.startswith("Teams"))
                else:
                    target.write_text(render(ts, person), encoding="utf-8")
            folders[f"{shape} [{study}]"] = folder
    return folders


def read(folder: Path) -> dict:
    from wisdoms.errors import TranscriptError
    from wisdoms.ingest import read_folder

    unread: list = []
    try:
        docs = read_folder(folder, strict=False, unread=unread)
    except TranscriptError as exc:  # no file of the folder could be read
        return {"files": 0, "unread": [str(exc).split("\n")[1][:200]], "participants": 0, "participant_turns": 0,
                "participant_words": 0, "interviewer_words": 0, "_words": []}
    p_words = [w for t in docs for u in t.turns if u.role == "participant" for w in t.text[u.start:u.end].split()]
    i_words = sum(len(t.text[u.start:u.end].split()) for t in docs for u in t.turns if u.role != "participant")
    people = {u.participant for t in docs for u in t.turns if u.participant}
    return {"files": len(docs), "unread": [f"{u.id}: {u.reason}" for u in unread], "participants": len(people),
            "participant_turns": sum(u.role == "participant" for t in docs for u in t.turns),
            "participant_words": len(p_words), "interviewer_words": i_words, "_words": p_words}


def structure(run: Path) -> dict:
    manifest = json.loads((run / "manifest.json").read_text())
    themes = json.loads((run / "themes.json").read_text())["themes"]
    with open(run / "passages.csv", newline="", encoding="utf-8") as f:
        substantive = [r for r in csv.DictReader(f) if not r["not_in_theme_because"].startswith("content-free")]
    sizes = [t["passages"] for t in themes]
    return {"passages": manifest["counts"]["passages"], "people": manifest["counts"]["participants"],
            "themes": len(themes), "largest_share": round(max(sizes, default=0) / max(1, len(substantive)), 3),
            "no_theme_share": round(sum(not r["theme"] for r in substantive) / max(1, len(substantive)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", type=Path, default=SHARED / "bench" / "interviews")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--themes", action="store_true", help="also run wisdoms on each folder")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    if not args.bench.is_dir():
        sys.exit(f"the bench interviews are not at {args.bench} (../shared is absent): nothing to measure")
    logging.disable(logging.WARNING)
    folders = {**{f"plain [{s}]": args.bench / n / "transcripts" for s, n in STUDIES.items()}, **make(args.bench, args.work)}
    plain = {s: read(args.bench / n / "transcripts") for s, n in STUDIES.items()}
    results = []
    for shape, folder in folders.items():
        study = re.search(r"\[(\w+)\]$", shape).group(1)  # type: ignore[union-attr]
        row = read(folder)
        row["same_participant_words"] = row.pop("_words") == plain[study]["_words"]
        row = {"shape": shape, **row}
        if args.themes:
            out = args.work / "runs" / folder.name
            cmd = [sys.executable, "-m", "wisdoms.cli", "run", str(folder), "--codebook", "none", "--out", str(out),
                   "--allow-unreviewed"] + (["--cache-dir", str(args.cache_dir)] if args.cache_dir else [])
            row["exit"] = subprocess.run(cmd, capture_output=True, text=True).returncode
            row.update(structure(out) if (out / "themes.json").is_file() else {})
        results.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != "unread"}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
