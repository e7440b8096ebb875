"""Reading speed of long labelled transcripts: time to read one file of N turns (10k, 20k, 40k, 80k).

Each file alternates ``Interviewer:`` and ``Participant:`` turns of a sentence or two, as a long focus group
or a concatenated study would. Reading was quadratic in turns (each turn's line number counted the newlines
from the start of the file); it is now linear. Run it against another checkout to compare:

    PYTHONPATH=. python benchmarks/ingest_reading.py --turns 10000 20000 40000 80000 --out benchmarks/results/ingest-reading.json

Writes ``{"turns": [...], "seconds": [...], "chars": [...]}`` (best of ``--repeat`` runs) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

INTERVIEWER = "Interviewer: And what happened after that, when you went back to the council office?\n\n"
PARTICIPANT = ("Participant: They said the form was wrong again, so I sat in the waiting room for two hours "
               "and then a woman at the desk finally listened to me.\n\n")


def transcript(turns: int) -> str:
    """A labelled transcript of ``turns`` turns, interviewer and participant by turns."""
    return "".join(INTERVIEWER if i % 2 == 0 else PARTICIPANT for i in range(turns))


def time_read(turns: int, repeat: int) -> tuple[float, int]:
    """Best wall time of reading a ``turns``-turn transcript, and its length in characters."""
    from wisdoms.ingest import read_transcript

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.txt"
        text = transcript(turns)
        path.write_text(text, encoding="utf-8")
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            read = read_transcript(path, tmp)
            best = min(best, time.perf_counter() - start)
        assert len(read.turns) == turns, (len(read.turns), turns)
        return best, len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, nargs="+", default=[10_000, 20_000, 40_000, 80_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for turns in args.turns:
        seconds, chars = time_read(turns, args.repeat)
        rows.append((turns, seconds, chars))
        print(f"{turns:>7,} turns  {chars:>11,} characters  {seconds:8.2f} s", flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"turns": [r[0] for r in rows], "seconds": [round(r[1], 3) for r in rows],
                                        "chars": [r[2] for r in rows]}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
