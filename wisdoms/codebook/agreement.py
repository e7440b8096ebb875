"""Agreement between two coders: Cohen's kappa and Krippendorff's alpha, per code and overall.

Each coder's file lists assignments, one row per (id, code), as ``wisdoms code`` writes them
(``id, code, score, assigned``) or just ``id, code`` (every row an assignment); or it is a JSONL file
with one unit a line, ``id`` and a ``codes`` list (the layout of the benchmark's human coding). Every
(unit, code) pair over the units both files cover is a binary decision; "overall" pools them all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import clear_read_errors, read_jsonl
from .._tables import GuardedDictReader
from ..errors import CodebookError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Agreement:
    """Agreement on one code (or ``overall``) over ``units`` binary decisions."""

    code: str
    units: int
    a_count: int
    b_count: int
    kappa: float
    alpha: float


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Cohen's kappa of two binary codings; 1.0 when both never vary and agree, ``nan`` if undefined."""
    x, y = np.asarray(a, bool), np.asarray(b, bool)
    if not len(x):
        return float("nan")
    observed = float(np.mean(x == y))
    pa, pb = x.mean(), y.mean()
    expected = float(pa * pb + (1 - pa) * (1 - pb))
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else float("nan")
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Krippendorff's alpha (nominal, two coders, no missing values); ``nan`` when there is no variation."""
    x, y = np.asarray(a, int), np.asarray(b, int)
    n = 2 * len(x)
    if n < 2:
        return float("nan")
    values = np.concatenate([x, y])
    disagree_pairs = 2 * int(np.sum(x != y))  # ordered pairs within units
    n1 = int(values.sum())
    n0 = n - n1
    expected = 2 * n0 * n1 / (n * (n - 1))
    if expected == 0:
        return float("nan")
    return 1.0 - (disagree_pairs / n) / expected


@clear_read_errors(CodebookError)
def read_assignments(path: str | Path) -> dict[str, set[str]]:
    """Unit id -> assigned codes, from a coding CSV (``id, code[, assigned]``) or JSONL (``id``, ``codes``).

    Units listed with no assigned code (``assigned`` false everywhere, an empty ``code`` cell, or an
    empty ``codes`` list) are kept with an empty set.

    Raises:
        CodebookError: Missing file, missing ``id``/``code`` columns, or a JSONL line without ``id`` and a
            ``codes`` list; the message names the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise CodebookError("coding file not found", path=path, hint="pass two CSVs written by 'wisdoms code'")
    if path.suffix.lower() == ".jsonl":
        return _read_jsonl_assignments(path)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = GuardedDictReader(fh)
        fields = reader.fieldnames or []
        if "id" not in fields or "code" not in fields:
            raise CodebookError(f"columns are {fields}, not id and code", path=path, line=1,
                                hint="use a file with columns id, code (and optionally assigned)")
        out: dict[str, set[str]] = {}
        for row in reader:
            codes = out.setdefault(row["id"], set())
            flag = str(row.get("assigned", "true")).strip().casefold()
            if flag in ("true", "1", "yes", "y") and row["code"].strip():
                codes.add(row["code"].strip())
    return out


def _read_jsonl_assignments(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for number, item in read_jsonl(path, CodebookError):
        codes = item.get("codes") if isinstance(item, dict) else None
        if not isinstance(item, dict) or item.get("id") in (None, "") or not isinstance(codes, list):
            raise CodebookError("a line lacks 'id' or a 'codes' list", path=path, line=number,
                                hint='write {"id": ..., "codes": ["code-id", ...]} on every line')
        unit = str(item["id"])
        if unit in out:
            raise CodebookError(f"duplicate id {unit!r}", path=path, line=number,
                                hint="list each unit once, with all its codes in 'codes'")
        out[unit] = {str(c).strip() for c in codes if str(c).strip()}
    return out


def agreement(a: dict[str, set[str]], b: dict[str, set[str]], codes: Sequence[str] | None = None) -> list[Agreement]:
    """Per-code agreement over the units both codings cover, then ``overall`` (pooled)."""
    units = sorted(set(a) & set(b))
    only = len(set(a) ^ set(b))
    if only:
        log.warning("%d units are coded in only one file; agreement uses the %d coded in both", only, len(units))
    codes = sorted(set().union(*a.values(), *b.values())) if codes is None else list(codes)
    result = []
    pooled_a: list[bool] = []
    pooled_b: list[bool] = []
    for code in codes:
        xa = [code in a[u] for u in units]
        xb = [code in b[u] for u in units]
        pooled_a += xa
        pooled_b += xb
        result.append(Agreement(code, len(units), sum(xa), sum(xb), cohen_kappa(xa, xb), krippendorff_alpha(xa, xb)))
    result.append(Agreement("overall", len(pooled_a), sum(pooled_a), sum(pooled_b),
                            cohen_kappa(pooled_a, pooled_b), krippendorff_alpha(pooled_a, pooled_b)))
    return result
