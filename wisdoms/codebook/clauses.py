"""Splitting an answer into clauses, so that each of its points can match a code on its own.

A short answer often makes two or three points ("Quick response, accurate advice, very polite"). Its
sentence embedding averages them, and the code for each single point scores lower than it would on its
own. Scoring each clause as well as the whole text, and keeping the higher score per code, lets every
point count (measured on the NHS FFT comments in ``benchmarks/CODEBOOK.md``: macro F1 +0.03 zero-shot
and with learned codes). Clauses are cut at sentence ends, semicolons, commas and contrast words
("but", "however", "although", "though", "whereas"): the first split tried, and better than finer ones
("and", six-word windows) or coarser ones (sentences only) in the same measurement.
"""

from __future__ import annotations

import re

_BREAK = re.compile(r"(?<=[.!?;])\s+|\s*[;,]\s+|\s+(?:but|however|although|though|whereas)\s+", re.IGNORECASE)
_EDGE = " \t\r\n.,;"


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Code-point spans ``(start, end)`` of the clauses of ``text``, without the punctuation around them.

    Returns ``[]`` when the text is a single clause (nothing to add to scoring the whole text).
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_BREAK.finditer(text), None]:
        end = cut.start() if cut is not None else len(text)
        left, right = start, end
        while left < right and text[left] in _EDGE:
            left += 1
        while right > left and text[right - 1] in _EDGE:
            right -= 1
        if right > left:
            spans.append((left, right))
        if cut is not None:
            start = cut.end()
    return spans if len(spans) > 1 else []
