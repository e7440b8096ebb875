"""Splitting an answer into clauses, so that each of its points can match a code on its own.

A short answer often makes two or three points ("Quick response, accurate advice, very polite"). Its
sentence embedding averages them, and the code for each single point scores lower than it would on its
own. Scoring each clause as well as the whole text, and keeping the higher score per code, lets every
point count (measured on the NHS FFT comments in ``benchmarks/CODEBOOK.md``: macro F1 +0.03 zero-shot
and with learned codes). Clauses are cut at sentence ends, semicolons, commas and contrast words
("but", "however", "although", "though", "whereas"): the first split tried, and better than finer ones
("and", six-word windows) or coarser ones (sentences only) in the same measurement. A title or
abbreviation ("Dr.", "e.g.") does not end a sentence, and a lone connective ("However, the wait")
stays with the clause it introduces. A clause may still be one word ("Nothing, all fine"): it is
scored like any other, and like a whole one-word answer.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from .evidence import Evidence

_ABBREVIATIONS = r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bSt\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)"
_BREAK = re.compile(rf"(?<=[.!?;]){_ABBREVIATIONS}\s+|\s*[;,]\s+|\s+(?:but|however|although|though|whereas)\s+",
                    re.IGNORECASE)
_EDGE = " \t\r\n.,;"
#: Words that only join a clause to the one before; alone, they stay with the clause that follows.
_CONNECTIVES = frozenset({"and", "also", "but", "however", "although", "though", "whereas", "so", "then", "still",
                          "overall", "anyway", "plus"})


#: A text of more clauses than this is a passage, not a short answer making a few points: it is scored whole.
#: Each code keeping its best of a dozen clauses lets every code find some clause that fits (measured on the
#: interview segments of ``../shared/bench/interviews``, median 12 clauses: zero-shot macro F1 fell 0.03-0.16).
MAX_CLAUSES = 6


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Code-point spans ``(start, end)`` (from 0, end excluded) of the clauses of ``text``, without the
    punctuation around them.

    Returns ``[]`` when the text is a single clause (nothing to add to scoring the whole text), or has more than
    :data:`MAX_CLAUSES` (a passage, scored whole).
    """
    spans: list[tuple[int, int]] = []
    start = 0
    pending: int | None = None  # start of a lone connective waiting for its clause
    for cut in [*_BREAK.finditer(text), None]:
        end = cut.start() if cut is not None else len(text)
        left, right = start, end
        while left < right and text[left] in _EDGE:
            left += 1
        while right > left and text[right - 1] in _EDGE:
            right -= 1
        if right > left:
            if pending is not None:
                left, pending = pending, None
            if text[left:right].lower() in _CONNECTIVES and cut is not None:
                pending = left
            else:
                spans.append((left, right))
        if cut is not None:
            start = cut.end()
    return spans if 1 < len(spans) <= MAX_CLAUSES else []


def keep_best_clause(scores: NDArray[np.float32], evidence: list[list[Evidence]], spans: list[list[tuple[int, int]]],
                     clause_scores: NDArray[np.float32], clause_evidence: list[list[Evidence]]) -> None:
    """Raise each cell of ``scores`` (in place) to its text's best clause's score for that code.

    ``spans`` holds each text's clause spans (:func:`clause_spans`); ``clause_scores`` and ``clause_evidence``
    have one row per clause, in the same order. A raised cell's evidence is the clause's, with the clause's span
    in the text (:attr:`Evidence.clause`).
    """
    first = 0
    for row, found in enumerate(spans):
        if not found:
            continue
        block = clause_scores[first : first + len(found)]
        best = np.argmax(block, axis=0)
        top = block[best, np.arange(block.shape[1])]
        for col in np.flatnonzero(top > scores[row]):
            scores[row, col] = top[col]
            evidence[row][col] = replace(clause_evidence[first + best[col]][col], clause=found[best[col]])
        first += len(found)
