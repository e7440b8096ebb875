"""UK identifier patterns: pure functions from text to ``(start, end, type, detector)`` hits.

Structured identifiers (postcode, phone, email, NI number, NHS number, dates) are matched
case-insensitively so lower-case speech-to-text output is covered; numbers read out as words
("oh seven seven double oh ...") are counted digit by digit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache

from .lexicon import STOP_WORDS, is_common, places

Hit = tuple[int, int, str, str]

_I = re.IGNORECASE

POSTCODE = re.compile(r"(?<![\w])(?:GIR\s?0AA|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})(?![\w])", _I)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Also spoken: "dan dot okafor at gmail dot com".
SPOKEN_EMAIL = re.compile(r"\b[\w]+(?:\s+dot\s+\w+)*\s+at\s+\w+(?:\s+dot\s+(?:com|co|uk|org|net))+\b", _I)
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
NINO = re.compile(r"(?<![\w])[A-Z]{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?[A-D](?![\w])", _I)
PHONE = re.compile(r"(?<![\w+])(?:\+\s?44[\s-]?(?:\(0\)[\s-]?)?|\(?0)\d(?:[\s\-)]{0,2}\d){8,9}(?!\d)")
TEN_DIGITS = re.compile(r"(?<![\w])\d{3}[\s-]?\d{3}[\s-]?\d{4}(?![\w])")
VEHICLE = re.compile(r"(?<![\w])[A-Z]{2}\d{2}\s?[A-Z]{3}(?![\w])", _I)
VEHICLE_OLD = re.compile(r"(?<![\w])(?:[A-HJ-PR-Y]\d{1,3}\s?[A-Z]{3}|[A-Z]{3}\s?\d{1,3}\s?[A-HJ-PR-Y])(?![\w])")
REFERENCE = re.compile(
    r"(?<![\w])(?:[A-Z]{1,5}[-/]?\d{3,}(?:[-/][A-Z\d]+)*|\d{2,}[-/]\d{3,}(?:[-/]\d+)*|\d{3,}/\d{2}(?:/\d+)*"
    r"|[A-Z]\d{4}[A-Z]{2})(?![\w])", _I
)
#: What a case, claim, application or account number follows ("application no. 18403/91", "claim ref: AB123").
_REFERENCE_NOUN = (r"(?:case|reference|ref|claim|crime|account|customer|tenancy|prison(?:er)?|booking|application|"
                   r"file|docket|patient|member|policy|licen[cs]e|passport|student|employee|payroll|invoice|"
                   r"order|ticket|registration|membership|complaint|incident|appeal|hearing|petition|judgment)")
REFERENCE_CUE = re.compile(
    rf"\b{_REFERENCE_NOUN}\s+(?:number|no\.?|nos\.?|ref\.?|id|#)?\s*(?:is|was|were|:)?\s*"
    r"([A-Z0-9][A-Z0-9/-]*\d[A-Z0-9/-]*)",
    _I,
)
#: "no. 18403/91", "Nos. 123/45", "ref: 88231": a number of four or more digits after an abbreviation of number.
NUMBER_CUE = re.compile(r"\b(?:no|nos|ref|num)\.?\s*:?\s*(\d[\d/-]{2,}\d)(?![\w])", _I)
#: An eight-digit date stamp (20211130) inside a code: a date, not a reference ("GMT20211130").
_DATE_STAMP = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_ORDINAL_WORDS = (r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
                  r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
                  r"twenty[- ](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|thirty[- ]first)")
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
NUMERIC_DATE = re.compile(r"(?<![\w/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\w/-])")
WRITTEN_DATE = re.compile(
    rf"\b(?:(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTHS}(?:,?\s+(?:\d{{4}}|'\d{{2}}))?"
    rf"|{_MONTHS}\s+(?:the\s+)?{_DAY}(?:,?\s+\d{{4}})?)\b",
    _I,
)
BORN = re.compile(rf"\b(?:born(?:\s+on|\s+in)?|d\.?o\.?b\.?|date of birth(?:\s+is)?|birthday(?:\s+is)?)\s*:?\s*"
                  rf"((?:the\s+)?{_DAY}?(?:\s+of)?\s*{_MONTHS}?,?\s*(?:\d{{4}}|'\d{{2}})|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}})", _I)
_STREET = (r"(?:street|st|road|rd|lane|ln|avenue|ave|close|drive|dr|way|crescent|court|place|terrace|"
           r"gardens|grove|square|walk|row|mews|parade|rise|hill|green|view|boulevard)")
ADDRESS = re.compile(rf"\b(?:flat\s+\d+[a-z]?,?\s+)?\d{{1,4}}[a-z]?,?\s+(?:[A-Za-z'’-]+\s+){{1,3}}{_STREET}\b", _I)
_PLACE_SUFFIX = r"(?:estate|bus station|train station|station|park|market|precinct|shopping centre|retail park|industrial estate)"
_SERVICE_SUFFIX = (r"(?:hostel|house|centre|center|academy|school|college|hospital|infirmary|surgery|clinic|"
                   r"ward|unit|foyer|lodge|prison|primary|high school|general|medical centre|health centre)")
HMP = re.compile(r"\b(?:HMP|HMYOI|HMP/YOI|YOI|HM Prison)\s+[\w'’-]+", _I)
SAINT = re.compile(r"\b(?:St\.?|Saint)\s+[A-Z][a-z'’]+(?:'s|’s)?(?:\s+[A-Z][a-z]+)?")
SAINT_LOWER = re.compile(r"\b(?:st\.?|saint)\s+([a-z][a-z'’]+)")

#: Words that make "X Centre", "X hostel", "X estate" generic rather than a name.
GENERIC_MODIFIERS = frozenset(
    """job health day community drop-in drop medical advice leisure shopping city town sports youth family
    children's childrens treatment detox rehab assessment bail homeless women's womens men's mens crisis
    night emergency mental care approved supported council housing local new old big main same other
    next first last second whole private public probation police bus train court sorting training
    test vaccination walk-in walk dental foster halfway safe""".split()
)

WORD_DIGITS = {
    "oh": 1, "o": 1, "zero": 1, "nought": 1, "nil": 1, "one": 1, "two": 1, "three": 1, "four": 1,
    "five": 1, "six": 1, "seven": 1, "eight": 1, "nine": 1,
}
_SPOKEN_TOKEN = re.compile(r"[A-Za-z]+|\d+")


def nhs_checksum_ok(digits: str) -> bool:
    """Whether ten digits carry a valid NHS number modulus-11 check digit."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def spoken_numbers(text: str, *, min_digits: int = 7) -> Iterator[Hit]:
    """Runs of digits read out as words ("oh seven seven double oh nine ...") of ``min_digits`` or more."""
    run_start = run_end = -1
    digits = spoken = 0
    repeat = 1
    last_end = -1
    for m in _SPOKEN_TOKEN.finditer(text):
        token = m.group().lower()
        gap = text[last_end:m.start()] if last_end >= 0 else ""
        contiguous = last_end >= 0 and re.fullmatch(r"[\s,.-]*", gap) is not None
        if token in {"double", "treble", "triple"} or token in WORD_DIGITS or token.isdigit():
            if run_start < 0 or not contiguous:
                if digits >= min_digits and spoken:
                    yield run_start, run_end, "PHONE", "spoken_number"
                run_start, digits, repeat, spoken = m.start(), 0, 1, 0
            if token == "double":
                repeat = 2
            elif token in {"treble", "triple"}:
                repeat = 3
            else:
                spoken += not token.isdigit()
                digits += (len(token) if token.isdigit() else 1) * repeat
                repeat = 1
                run_end = m.end()
        else:
            if digits >= min_digits and spoken:
                yield run_start, run_end, "PHONE", "spoken_number"
            run_start, digits, repeat, spoken = -1, 0, 1, 0
        last_end = m.end()
    if digits >= min_digits and spoken:
        yield run_start, run_end, "PHONE", "spoken_number"


def _regex(pattern: re.Pattern[str], kind: str, detector: str, group: int = 0) -> Callable[[str], Iterator[Hit]]:
    def find(text: str) -> Iterator[Hit]:
        for m in pattern.finditer(text):
            yield m.start(group), m.end(group), kind, detector

    return find


def phones(text: str) -> Iterator[Hit]:
    """UK phone numbers written as digits (10 or 11 digits, optional +44)."""
    for m in PHONE.finditer(text):
        yield m.start(), m.end(), "PHONE", "phone"


def nhs_numbers(text: str) -> Iterator[Hit]:
    """Ten-digit numbers in NHS form; a valid check digit or not, both are flagged (misheard digits are common)."""
    for m in TEN_DIGITS.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if digits.startswith("0"):
            continue  # a phone number, found by phones()
        yield m.start(), m.end(), "NHS", "nhs_checksum" if nhs_checksum_ok(digits) else "nhs_shape"


def dates(text: str) -> Iterator[Hit]:
    """Dates with a day (numeric or written); dates after "born" or "date of birth" are DOB."""
    born = [(m.start(1), m.end(1)) for m in BORN.finditer(text) if m.group(1).strip()]
    for s, e in born:
        yield s, e, "DOB", "date_of_birth"
    for pattern, detector in ((NUMERIC_DATE, "date_numeric"), (WRITTEN_DATE, "date_written")):
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e in born):
                continue
            yield m.start(), m.end(), "DATE", detector


def references(text: str) -> Iterator[Hit]:
    """Case and reference numbers: letter-digit codes, and anything with digits after "case number"."""
    dated = [(m.start(), m.end()) for m in NUMERIC_DATE.finditer(text)]
    for m in REFERENCE.finditer(text):
        token = m.group()
        if any(s < m.end() and m.start() < e for s, e in dated):
            continue  # "19-10-2014" is a date (found as one)
        if sum(c.isdigit() for c in token) >= 3 and not re.fullmatch(r"\d+", token) and not _label(token):
            yield m.start(), m.end(), "CODE", "reference"
    for pattern in (REFERENCE_CUE, NUMBER_CUE):
        for m in pattern.finditer(text):
            yield m.start(1), m.end(1), "CODE", "reference_cue"


def _label(token: str) -> bool:
    """Whether a letters-and-digits token is a label or a time stamp, not a reference: an everyday word and a
    number of up to three digits ("event-147", "step 120"), or letters and an eight-digit date ("GMT20211130")."""
    m = re.fullmatch(r"([A-Za-z]+)[-/]?(\d+)", token)
    if m is None:
        return False
    letters, digits = m.groups()
    if _DATE_STAMP.fullmatch(digits):
        return True
    return len(digits) <= 3 and (letters.islower() or letters.istitle()) and is_common(letters, threshold=4.0)


def vehicles(text: str) -> Iterator[Hit]:
    """UK registration plates (current format in any case; older formats in capitals)."""
    for pattern in (VEHICLE, VEHICLE_OLD):
        for m in pattern.finditer(text):
            tail = re.search(r"[A-Za-z]+$", m.group())
            if tail and tail.group().islower() and m.group()[:1].isupper() and is_common(tail.group(), threshold=4.0):
                continue  # "PM10 and": a capitalised code and an everyday word, not a plate written in lower case
            if re.search(r"\d", m.group()):
                yield m.start(), m.end(), "VEHICLE", "vehicle"


def named_places(text: str, *, lowercase: bool) -> Iterator[Hit]:
    """Streets, estates and stations with a name ("Campbell Square", "lumbertubs estate"), and services
    ("Oasis hostel", "Weston Favell Academy", "HMP Bedford", "St Giles", "Northampton General")."""
    yield from _regex(HMP, "SERVICE", "service")(text)
    for m in ADDRESS.finditer(text):
        words = re.findall(r"[A-Za-z'’-]+", m.group())[:-1]
        if words and all(w.lower() in STOP_WORDS for w in words):
            continue  # "5 as you were close": no street name between the number and the word
        yield m.start(), m.end(), "ADDRESS", "address"
    for suffix, kind, detector in ((_STREET, "PLACE", "street"), (_PLACE_SUFFIX, "PLACE", "place_suffix"),
                                   (_SERVICE_SUFFIX, "SERVICE", "service")):
        yield from _named(text, suffix, kind, detector, lowercase=lowercase)
    if lowercase:
        for m in SAINT_LOWER.finditer(text):
            if not is_common(m.group(1), threshold=6.0):
                yield m.start(), m.end(), "SERVICE", "saint"
    else:
        yield from _regex(SAINT, "SERVICE", "saint")(text)


_NAME_WORD = r"[\w'’-]+"


@cache
def _named_patterns(suffix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The suffix alone (a cheap test that most texts fail) and ``<1-3 words> <suffix>``."""
    return (re.compile(rf"\s(?:{suffix})\b", _I),
            re.compile(rf"((?:{_NAME_WORD}\s+){{1,3}}){suffix}\b", _I))


def _named(text: str, suffix: str, kind: str, detector: str, *, lowercase: bool) -> Iterator[Hit]:
    """``<name words> <suffix>``: name words are capitalised, or in lower-case text uncommon."""
    word = _NAME_WORD
    has_suffix, pattern = _named_patterns(suffix)
    if not has_suffix.search(text):  # the full pattern backtracks at every word: most texts have no suffix
        return
    for m in pattern.finditer(text):
        words = list(re.finditer(word, m.group(1)))
        keep: list[re.Match[str]] = []
        for w in reversed(words):
            token = w.group()
            generic = token.lower() in GENERIC_MODIFIERS or token.lower().rstrip("'’s") in GENERIC_MODIFIERS
            if lowercase:
                ok = not generic and (not is_common(token) or token.lower() in places())
            else:
                ok = token[:1].isupper() and not generic and token.lower() not in STOP_WORDS
                if ok and w.start() == 0 and _starts_sentence(text, m.start(1)) and is_common(token):
                    ok = False  # "Black market" at the start of a sentence is just a capital
            if not ok:
                break
            keep.append(w)
        if keep:
            start = m.start(1) + keep[-1].start()
            yield start, m.end(), kind, detector


def structured(text: str) -> Iterator[Hit]:
    """Every structured identifier: the ones the tests hold to 100% recall."""
    yield from _regex(POSTCODE, "POSTCODE", "postcode")(text)
    yield from phones(text)
    yield from spoken_numbers(text)
    yield from _regex(EMAIL, "EMAIL", "email")(text)
    yield from _regex(SPOKEN_EMAIL, "EMAIL", "spoken_email")(text)
    yield from _regex(NINO, "NINO", "nino")(text)
    yield from nhs_numbers(text)
    yield from dates(text)
    yield from _regex(HANDLE, "HANDLE", "handle")(text)
    yield from vehicles(text)
    yield from references(text)


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in ".!?:;\"“”‘(\n-–—…"
