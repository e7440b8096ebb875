"""Review by distinct term: one row per distinct text, one decision for every occurrence.

``wisdoms privacy scan`` writes ``<stem>-terms.csv`` and ``<stem>-terms.xlsx`` beside the findings: a
``term`` row for each distinct identifier (the same words, or the same number however written: see
:func:`identity_key`) with how often and where it occurs, up to three sample
contexts and why it was raised. A decision on that row (``replace`` or ``keep``) applies to every
occurrence. A term that is both a name and an everyday word ("Will", "Hope", "Bill") also gets an
``occurrence`` row for each place it stands, since "Will rang" and "I will" need different answers; a
decision on an occurrence row wins over its term row. ``wisdoms privacy apply`` reads the sheet, expands
it to one decision per finding (``<stem>.csv`` beside it lists them) and, with ``--undecided keep`` or
``--undecided replace``, decides every term left blank in bulk.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._files import write_bytes
from .._tables import GuardedDictReader, append_row, write_csv
from ..errors import PrivacyError
from .detectors import Finding
from .lexicon import first_names, is_common, places

# What a scan found and how findings are named and grouped: shared with :mod:`.scan`, which writes the terms
# sheet through this module (the data flows one way: scan -> terms).
FINDING_COLUMNS = ("source", "start", "end", "text", "type", "detector")
#: Decisions a reviewer may write in the review sheet.
DECISIONS = ("replace", "keep")
#: Finding type -> the word in its pseudonym (``[Name 1]``).
PSEUDONYM_WORDS = {"NAME": "Name", "PLACE": "Place", "ADDRESS": "Address", "POSTCODE": "Postcode", "PHONE": "Phone",
                   "EMAIL": "Email", "NINO": "NI number", "NHS": "NHS number", "DOB": "Date of birth", "DATE": "Date",
                   "SERVICE": "Service", "HANDLE": "Handle", "VEHICLE": "Vehicle", "CODE": "Reference", "ORG": "Organisation"}


@dataclass(frozen=True)
class ScanResult:
    """Findings and the texts they point into (source -> full text)."""

    findings: tuple[Finding, ...]
    texts: dict[str, str]


def pseudonyms(findings: Sequence[Finding]) -> list[str]:
    """A suggested replacement per finding, the same for the same words across the corpus (``[Name 1]``)."""
    numbers: dict[tuple[str, str], str] = {}
    counters: Counter[str] = Counter()
    out = []
    for f in findings:
        word = PSEUDONYM_WORDS.get(f.type, f.type.title())
        key = (word, identity_key(f.type, f.text))
        if key not in numbers:
            counters[word] += 1
            numbers[key] = f"[{word} {counters[word]}]"
        out.append(numbers[key])
    return out


#: Types written in several layouts ("QQ 12 34 56 C", "qq123456c") whose letters and digits alone identify them.
_CODED_TYPES = frozenset({"POSTCODE", "PHONE", "NINO", "NHS", "VEHICLE", "CODE"})
_SPOKEN_DIGITS = {"oh": "0", "o": "0", "zero": "0", "nought": "0", "nil": "0", "one": "1", "two": "2", "three": "3",
                  "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}


def identity_key(kind: str, text: str) -> str:
    """What makes two findings the same identifier: their words, lower-cased, without a leading "the"; for
    numbers and codes their letters and digits only, read-out digits as digits ("oh seven seven double oh"
    is 07700), so every way of writing one phone number gets one pseudonym."""
    words = " ".join(text.lower().split())
    if kind not in _CODED_TYPES:
        return words.removeprefix("the ")
    out, repeat = [], 1
    for token in re.findall(r"[a-z]+|\d+", words):
        if token in {"double", "treble", "triple"}:
            repeat = 2 if token == "double" else 3
            continue
        out.append(_SPOKEN_DIGITS.get(token, token) * repeat)
        repeat = 1
    return "".join(out)


def context_of(text: str, f: Finding, width: int = 60) -> str:
    """The finding in its text, marked ``[[...]]``, with up to ``width`` characters either side on one line."""
    return " ".join(f"{text[max(0, f.start - width):f.start]}[[{text[f.start:f.end]}]]{text[f.end:f.end + width]}".split())


TERM_COLUMNS = ("row_kind", "term", "type", "count", "files", "why", "context", "source", "start", "end",
                "replacement", "decision", "reviewer", "note", "key")
#: Given names that are everyday English words too ("Will rang" / "I will"): their occurrences are decided one by one.
NAME_WORDS = frozenset("""will hope grace faith joy mark bill rose may june april august summer dawn amber ruby pearl
    jack frank ray sandy rich guy sue pat art drew gene don dean earl hunter chase wade bob rob violet iris holly ivy
    heather lily daisy angel autumn crystal destiny harmony honey jade star sky river stone king young brown green white
    black grey gray bush carter cook baker page penny sunny stormy rocky buck miles lance reed wolf fox bear""".split())
#: Sample contexts shown on a term row.
SAMPLES = 3


@dataclass(frozen=True)
class Term:
    """One distinct identifier and every finding of it."""

    key: str
    text: str
    type: str
    findings: tuple[Finding, ...]
    replacement: str

    @property
    def ambiguous(self) -> bool:
        """Whether the words are both a name (or place) and an everyday word, so each occurrence is decided:
        one word, a given name or place, and an English word in its own right (:data:`NAME_WORDS`, or, for a
        place, common: "Reading", "Bath")."""
        words = self.text.split()
        if len(words) != 1 or self.type not in {"NAME", "PLACE", "ORG"}:
            return False
        word = words[0].lower().strip("'’.,")
        return word in NAME_WORDS or (word in places() and word not in first_names() and is_common(word, threshold=4.0))


#: Types a detector only guesses between (NER and capital letters call one word a name here, a place there):
#: the same words under any of them are one term.
_WORD_TYPES = frozenset({"NAME", "PLACE", "ORG", "SERVICE"})


def term_key(f: Finding) -> str:
    """A finding's term: its :func:`identity_key`, with its type unless the type is a guess among names,
    places, organisations and services ("Wexford" called a PLACE once and a NAME once is one term)."""
    kind = "WORDS" if f.type in _WORD_TYPES else f.type
    return f"{kind}:{identity_key(f.type, f.text)}"


def group_terms(findings: Sequence[Finding]) -> list[Term]:
    """Findings grouped by term, most frequent first (then alphabetically)."""
    groups: dict[str, list[Finding]] = {}
    names = dict(zip((id(f) for f in findings), pseudonyms(findings)))
    for f in findings:
        groups.setdefault(term_key(f), []).append(f)
    terms = [Term(k, Counter(f.text for f in fs).most_common(1)[0][0], Counter(f.type for f in fs).most_common(1)[0][0],
                  tuple(fs), names[id(fs[0])]) for k, fs in groups.items()]
    return sorted(terms, key=lambda t: (-len(t.findings), t.text.lower(), t.type))


def term_rows(result: ScanResult) -> list[list[object]]:
    """The terms sheet's rows: a ``term`` row per distinct term, and ``occurrence`` rows for ambiguous ones."""
    rows: list[list[object]] = []
    for term in group_terms(result.findings):
        files = Counter(f.source for f in term.findings)
        why = "; ".join(dict.fromkeys(f.reason for f in term.findings))
        samples = " | ".join(context_of(result.texts[f.source], f) for f in term.findings[:SAMPLES])
        how = "decide each occurrence below (a name and an everyday word)" if term.ambiguous else ""
        rows.append(["term", term.text, term.type, len(term.findings),
                     "; ".join(f"{s} ({n})" for s, n in files.most_common()), why, samples, "", "", "",
                     term.replacement, "", "", how, term.key])
        if term.ambiguous:
            rows += [["occurrence", f.text, f.type, 1, f.source, f.reason, context_of(result.texts[f.source], f),
                      f.source, f.start, f.end, term.replacement, "", "", "", term.key] for f in term.findings]
    return rows


def write_terms(result: ScanResult, csv_path: Path, xlsx_path: Path) -> int:
    """Write the terms sheet as CSV and XLSX (a decision list on the decision column); returns the term count."""
    rows = term_rows(result)
    write_csv(csv_path, TERM_COLUMNS, rows)
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "terms"
    sheet.append(list(TERM_COLUMNS))
    for row in rows:
        append_row(sheet, row)
    column = "ABCDEFGHIJKLMNO"[TERM_COLUMNS.index("decision")]
    check = DataValidation(type="list", formula1=f'"{",".join(DECISIONS)}"', allow_blank=True)
    sheet.add_data_validation(check)
    check.add(f"{column}2:{column}{max(2, len(rows) + 1)}")
    sheet.column_dimensions["O"].hidden = True  # the key ties a row to its findings
    sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    book.save(buffer)
    write_bytes(xlsx_path, buffer.getvalue())
    return sum(1 for r in rows if r[0] == "term")


def is_terms_sheet(rows: Sequence[tuple[int, dict[str, object]]]) -> bool:
    """Whether sheet rows (as read for a review) are a terms sheet."""
    return bool(rows) and "row_kind" in rows[0][1] and "key" in rows[0][1]


def findings_beside(sheet: Path) -> list[Finding]:
    """The findings CSV ``wisdoms privacy scan`` wrote beside a terms sheet (``x-terms.csv`` -> ``x.csv``).

    Raises:
        PrivacyError: It is missing or unreadable.
    """
    stem = sheet.name[: -len(sheet.suffix)].removesuffix("-terms")
    path = sheet.with_name(f"{stem}.csv")
    if not path.is_file():
        raise PrivacyError(f"the findings the terms sheet stands for are not beside it ({path.name})", path=sheet,
                           hint="keep the terms sheet in the folder 'wisdoms privacy scan' wrote it to")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        try:
            return [Finding(r["source"], int(r["start"]), int(r["end"]), r["text"], r["type"], r["detector"])
                    for r in GuardedDictReader(fh)]
        except (KeyError, ValueError) as exc:
            raise PrivacyError(f"cannot read the findings ({exc})", path=path,
                               hint=f"scan again; its columns are {', '.join(FINDING_COLUMNS)}") from exc


@dataclass(frozen=True)
class TermDecision:
    """A decision read from the terms sheet, expanded to one finding."""

    row: int
    finding: Finding
    replacement: str
    decision: str
    reviewer: str


def expand(sheet: Path, rows: Sequence[tuple[int, dict[str, object]]], *,
           undecided: str | None = None) -> list[TermDecision]:
    """One decision per finding: each occurrence row's own, else its term row's, else ``undecided`` (bulk).

    Raises:
        PrivacyError: An unknown decision, a term or occurrence nobody decided (without ``undecided``), or a
            row whose key names no finding.
    """
    findings = findings_beside(sheet)
    by_key: dict[str, list[Finding]] = {}
    for f in findings:
        by_key.setdefault(term_key(f), []).append(f)
    term_rows_: dict[str, tuple[int, dict[str, object]]] = {}
    occurrence: dict[tuple[str, int, int], tuple[int, dict[str, object]]] = {}
    for number, row in rows:
        decision = str(row.get("decision") or "").strip().lower()
        if decision and decision not in DECISIONS:
            raise PrivacyError(f"unknown decision {decision!r}", path=sheet, line=number,
                               hint=f"write one of: {', '.join(DECISIONS)}")
        key = str(row.get("key") or "")
        if key not in by_key:
            raise PrivacyError(f"row names a term ({key!r}) the findings beside the sheet do not hold", path=sheet,
                               line=number, hint="use the terms sheet of the same scan, or scan again")
        if str(row.get("row_kind")) == "occurrence":
            occurrence[(str(row.get("source")), int(str(row.get("start"))), int(str(row.get("end"))))] = (number, row)
        else:
            term_rows_[key] = (number, row)
    out: list[TermDecision] = []
    missing: list[int] = []
    for key, fs in by_key.items():
        number, term = term_rows_.get(key, (0, {}))
        for f in fs:
            at, row = occurrence.get((f.source, f.start, f.end), (number, term))
            decision = str(row.get("decision") or "").strip().lower() or str(term.get("decision") or "").strip().lower()
            if not decision:
                if undecided is None:
                    missing.append(at)
                    continue
                decision = undecided
            reviewer = str(row.get("reviewer") or term.get("reviewer") or "").strip()
            replacement = str(row.get("replacement") or term.get("replacement") or "").strip()
            out.append(TermDecision(at, f, replacement, decision, reviewer))
    if missing:
        rows_ = sorted(set(missing))
        shown = ", ".join(map(str, rows_[:20])) + (" ..." if len(rows_) > 20 else "")
        raise PrivacyError(f"{len(rows_)} term(s) or occurrence(s) have no decision (rows {shown})", path=sheet,
                           line=rows_[0], hint="decide each row (replace or keep), or decide the rest in bulk "
                           "with --undecided keep or --undecided replace")
    return out
