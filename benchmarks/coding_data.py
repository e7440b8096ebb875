"""The human-coded data sets the coding benchmark reads: NHS FFT comments and two interview studies.

Each loader returns the codebook a team would hand `wisdoms code` and the units the humans coded, as
``{"id", "text", "codes"}`` dicts. Nothing is added to a codebook that its team did not write: the interview
codebooks keep their short or missing definitions. Only what `load_codebook` needs to accept a file is changed
(an MAXQDA code path such as "Benefits of PDPilot > Compliment" becomes a slug id; its name, definition and
parent are kept, and a code with sub-codes is a group, as REFI-QDA marks it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from wisdoms.codebook import Codebook, load_codebook
from wisdoms.models import Code

#: ``../shared/bench`` beside the checkout (or beside the folder of worktrees holding it).
SHARED = next((p / "shared" / "bench" for p in Path(__file__).resolve().parents[1].parents
               if (p / "shared" / "bench").is_dir()), Path(__file__).resolve().parents[2] / "shared" / "bench")
DATASETS = ("nhs_fft", "serdif", "pdpilot")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "code"


def _segments(rows: list[dict], code_of) -> list[dict]:
    """One unit per distinct coded span (file, start, end), with every code people gave it."""
    units: dict[tuple, dict] = {}
    for r in rows:
        key = (r["file"], r["start"], r["end"])
        unit = units.setdefault(key, {"id": f"{r['file']}:{r['start']}-{r['end']}", "text": r["text"], "codes": []})
        code = code_of(r)
        if code not in unit["codes"]:
            unit["codes"].append(code)
    return list(units.values())


def load(name: str, root: Path = SHARED) -> tuple[Codebook, list[dict]]:
    """The codebook and coded units of data set ``name`` (one of :data:`DATASETS`)."""
    if name == "nhs_fft":
        folder = root / "nhs_fft"
        return load_codebook(folder / "codebook.jsonl"), _jsonl(folder / "comments.jsonl")
    if name == "serdif":
        folder = root / "interviews" / "serdif-usability"
        return load_codebook(folder / "codebook.jsonl"), _segments(_jsonl(folder / "coding.jsonl"),
                                                                  lambda r: r["code_id"])
    if name == "pdpilot":
        folder = root / "interviews" / "pdpilot-userstudy"
        raw = _jsonl(folder / "codebook.jsonl")
        ids = {c["id"]: _slug(c["id"]) for c in raw}
        parents = {c["parent"] for c in raw if c["parent"]}
        codes = tuple(Code(id=ids[c["id"]], name=c["name"], definition=c.get("definition") or "",
                           parent=ids.get(c["parent"]) if c["parent"] else None,
                           status="group" if c["id"] in parents else "active", line=i)
                      for i, c in enumerate(raw, start=1))
        book = Codebook(codes=codes, name="pdpilot-userstudy", path=str(folder / "codebook.jsonl"))
        return book, _segments(_jsonl(folder / "coding.jsonl"), lambda r: ids[r["code_path"]])
    raise ValueError(f"unknown data set {name!r}; one of {', '.join(DATASETS)}")


def gold_matrix(units: list[dict], ids: list[str]) -> np.ndarray:
    """The human coding as a units x codes matrix, columns in the order of ``ids`` (a matcher's ``codes_``)."""
    gold = np.zeros((len(units), len(ids)), dtype=bool)
    for r, u in enumerate(units):
        gold[r, [ids.index(code) for code in u["codes"]]] = True
    return gold
