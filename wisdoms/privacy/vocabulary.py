"""What an already-anonymised transcript holds that is not an identifier: placeholders, speaker labels,
acronyms, technical vocabulary and title-cased everyday phrases.

General rules, not a list tuned to one study:

- **Placeholders** the authors left (``[NAME]``, ``<name>``, ``Company X``, ``Country Y``, ``Participant 3``,
  ``Interviewee B``, ``P01``, ``R12``, a run of redaction words, capital X only) are blanked before detection, keeping every
  offset, so they are never findings.
- **Speaker labels and role words** (``Participant``, ``Interviewer``, ``Interviewee``, ``Moderator``,
  ``Speaker 2``) are not names.
- **Acronyms and technical words**: a guess (NER, a capital letter, a gazetteer) made only of all-capital
  acronyms (``ML``, ``API``, ``PDPs``, ``PM10``), of camel-case product names (``GitHub``, ``XGBoost``, but not
  ``McDonald``), of letter-hyphen terms (``X-axis``) or of the shipped technical-vocabulary list
  (``data/tech_terms.txt``: software, file formats, methods named after people such as "Shapley") is dropped.
- **Title-cased everyday phrases**: a run of two or more capitalised words each of them common English
  (wordfreq Zipf >= :data:`PHRASE_ZIPF`; a frequent surname only at :data:`SURNAME_WORD_ZIPF`) and none a given
  name or a place ("Box Plot", "Data Provenance"; not "Angus Morrison") is a heading or a feature's name.

A finding from a specific rule (a pattern, the project's name list, a title such as "Mr") is never dropped here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexicon import DATA, STOP_WORDS, _read_list, first_names, places, zipf
from .patterns import GENERIC_MODIFIERS

#: Words that name a role in the conversation, never a person (speaker labels and how transcripts refer to people).
ROLE_WORDS = frozenset("""participant participants interviewer interviewers interviewee interviewees moderator
    facilitator researcher researchers respondent respondents speaker listener host convener transcriber
    transcript person user users task question answer""".split())

#: Nouns that, followed by one capital letter or a number, make a placeholder ("Company X", "Participant 3").
_PLACEHOLDER_NOUN = r"[A-Za-z][a-z]+"
_NOUN_PLACEHOLDER = re.compile(rf"(?<![\w-])(?P<noun>{_PLACEHOLDER_NOUN})[ \t]+(?:[A-HJ-Z]|\d{{1,3}})(?![\w'’-])")
_PLACEHOLDER = re.compile(
    # Interview ids: P01, P1, R12, ID3, PID 7, S04, I2 (the reader's own numbered labels).
    r"(?<![\w-])(?:P|R|S|I|ID|PID|INT|RESP)[ \t-]?\d{1,3}(?![\w-])"
    # <name>, {name}, ((name)): angle, brace or double-parenthesis markers.
    r"|<[^<>\n]{1,30}>|\{[^{}\n]{1,30}\}|\(\([^()\n]{1,30}\)\)"
    # A run of words made only of X (each word of a sentence replaced by as many X as it had letters).
    r"|(?<![\w-])X{2,}(?:[ \t,.]+X+)*(?![\w-])|(?<![\w-])X(?:[ \t,.]+X+)+(?![\w-])"
)
#: Endings of English place names (Nottinghamshire, Glenfield, Wellingborough, Ashford, Bradford, Lichfield).
_TOPONYM = re.compile(r".{3,}(?:shire|field|ham|ford|borough|bury|chester|caster|minster|wick|thorpe|worth|stead|"
                      r"mouth|combe|cliffe|hurst|dale)$")
#: Last words that make a capitalised run a named place or service.
_SITE_WORDS = frozenset("""centre center hospital hostel house clinic surgery school college academy ward unit lodge
    prison estate street road lane avenue close drive park station building hall court gardens square""".split())
#: Titles: after one, a single letter other than X, Y or Z is someone's initial.
_TITLES = frozenset("mr mrs ms mx dr miss doctor nurse sister consultant professor prof sir dame judge officer".split())
#: An all-capital acronym, optionally with digits or a plural ``s`` (ML, API, PDPs, PM10, O3, Q1, R2RML).
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&-]{1,9}(?:s|x)?|[A-Z]s|[A-Z]\d{1,3}[A-Z0-9]*|[A-Z]")
#: Camel case: a capital after a lower-case letter inside a word (GitHub, XGBoost, PDPilot, NetCDF, AutoML).
_CAMEL = re.compile(r"[a-z][A-Z]|^[A-Z]{2,}[a-z]{2,}")
#: Inner capitals names are written with (McDonald, MacLeod, DiCaprio, LeBron, O'Brien, VanDyke, DeShawn).
_NAME_PREFIX = re.compile(r"^(?:Mc|Mac|Di|De|Da|Du|La|Le|Van|Von|St|Ja|Ke|Ty|Sha|Ra)[A-Z][a-z]")
#: A single letter and a word joined by a hyphen (X-axis, Z-score, T-test, A-level).
_LETTER_TERM = re.compile(r"[A-Za-z]-[a-z]+s?")
#: A word of the shipped technical vocabulary, a file name (data.csv), or a version (v2, 3.8).
_FILE_NAME = re.compile(r"[\w-]+\.(?:csv|txt|pdf|docx?|xlsx?|json|py|r|ipynb|html?|xml|png|jpe?g|zip)", re.I)
_WORD = re.compile(r"[^\s]+")

#: A noun this common (Zipf) before a letter or number ("Company X") makes a placeholder.
COMMON_ZIPF = 3.5
#: In a run of two or more capitalised words, a word this common (about once in a million words) and
#: neither a given name nor a place is an everyday word ("Data Provenance"); surnames a given name does not
#: protect are mostly rarer ("Whitlock" 2.7, "Hollins" 2.6, "Okonkwo" 1.9).
PHRASE_ZIPF = 3.0
#: ... unless it is a frequent surname (US Census), which must be an everyday word this common (about 30 in a
#: million words: "Box", "Brown", "Green") to be read as one rather than as a surname ("Morrison" 3.6, "Patel" 3.5).
SURNAME_WORD_ZIPF = 4.5


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """The 10,000 most frequent US Census surnames (``data/surnames.txt``), lower-cased."""
    return frozenset(t.lower() for t in _read_list(DATA / "surnames.txt"))


@lru_cache(maxsize=1)
def tech_terms() -> frozenset[str]:
    """The shipped technical vocabulary (``data/tech_terms.txt``), lower-cased."""
    return frozenset(t.lower() for t in _read_list(DATA / "tech_terms.txt"))


def mask_placeholders(text: str) -> str:
    """Blank out placeholders (``Company X``, ``Participant 3``, ``P01``, ``<name>``, runs of X-only words), keeping offsets.

    A noun followed by a capital letter (not the pronoun "I") or a number is a placeholder only when the noun is an everyday word
    or a role word and not a given name ("Company X", "Participant 3", "Hospital B"; not "Jack 2").
    """
    def blank(m: re.Match[str]) -> str:
        lower = m.group("noun").lower()
        if lower in _TITLES and m.group()[-1] not in "XYZ":
            return m.group()  # "Dr P", "Consultant M": an initial, not a placeholder ("Mr X" is one)
        everyday = lower in ROLE_WORDS or (zipf(lower) >= COMMON_ZIPF and lower not in first_names()
                                           and lower not in places())
        if not everyday or lower in STOP_WORDS:
            return m.group()
        return " " * len(m.group())

    # Marks and runs of X first, so "well X" followed by an X-only run is not read as the placeholder "well X" and the run kept.
    return _NOUN_PLACEHOLDER.sub(blank, _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text))


def _core(word: str) -> str:
    """A word without surrounding punctuation or a possessive ``'s``."""
    word = word.strip(".,;:!?\"“”‘’'()[]")
    if not any(c.isalnum() for c in word):
        return ""
    return re.sub(r"['’]s$", "", word)


def _tech(word: str) -> bool:
    lower = word.lower()
    return lower in tech_terms() or (lower.endswith("s") and lower[:-1] in tech_terms())


def is_acronym(word: str) -> bool:
    """Whether ``word`` is an all-capital acronym (``ML``, ``PDPs``, ``PM10``, ``EDA``), not a name in capitals:
    up to four capitals are an acronym whatever they spell; a longer run only when it is no given name ("JOHNSON")."""
    core = _core(word)
    if not _ACRONYM.fullmatch(core):
        return False
    return len(re.sub(r"s$", "", core)) <= 4 or core.lower() not in first_names()


def _technical(word: str) -> bool:
    """An acronym, a camel-case product name, a letter-hyphen term, a file name or a listed technical word."""
    core = _core(word)
    if not core:
        return True
    if is_acronym(core) or _tech(core) or _FILE_NAME.fullmatch(core) or _LETTER_TERM.fullmatch(core):
        return True
    if not _CAMEL.search(core.replace("I", "i")) or _NAME_PREFIX.match(core) or core.lower() in first_names():
        return False  # an inner "I" is a scanner's slip ("GlenfIeld"), not camel case
    parts = [p.lower() for p in re.findall(r"[A-Z][a-z]+", core)]
    # "JoJo", "MaryAnn", "LeeAnn": every part a given name is a name written in camel case
    return not (len(parts) >= 2 and "".join(parts) == core.lower() and all(p in first_names() for p in parts))


def _everyday(word: str) -> bool:
    core = _core(word).lower()
    if not core:
        return True
    if core in STOP_WORDS or core in ROLE_WORDS:
        return True
    if not core.replace("-", "").isalpha() or core in first_names() or core in places():
        return False
    if _TOPONYM.search(core):
        return False  # shaped like an English place name: Nottinghamshire, Glenfield, Kettering, Wellingborough
    # A surname is everyday only when it is far more common as a word ("Box", "Brown"), not "Morrison" or "Patel".
    return zipf(core) >= (SURNAME_WORD_ZIPF if core in surnames() else PHRASE_ZIPF)


def ordinary(words: str) -> str | None:
    """Why the words of a guessed finding are not an identifier, or ``None`` when they may be one.

    Returns a short reason: ``"role word"``, ``"acronym or technical term"``, ``"title-cased everyday words"``.
    """
    tokens = _WORD.findall(words)
    cores = [_core(t) for t in tokens]
    cores = [c for c in cores if c]
    if not cores:
        return "no words"
    if " ".join(cores).lower() in tech_terms():
        return "acronym or technical term"
    if len(cores) > 1 and any(c.lower().rstrip(".") in _TITLES for c in cores[:-1]):
        return None  # "Dr P", "Nurse Green": a title names someone
    if all(c.lower() in ROLE_WORDS or c.lower() in STOP_WORDS for c in cores):
        return "role word"
    if all(_technical(c) or c.lower() in STOP_WORDS for c in cores):
        return "acronym or technical term"
    named = [c for c in cores if c.lower() not in STOP_WORDS]
    if len(named) >= 2 and named[-1].lower() in _SITE_WORDS and any(
            c.lower() not in GENERIC_MODIFIERS and c.lower() not in _SITE_WORDS for c in named[:-1]):
        return None  # "Horizon Day Centre", "Windsor House": a named place or service ("Job Centre" is generic)
    if len(named) >= 2 and all(_everyday(c) or _technical(c) for c in named):
        return "title-cased everyday words"
    if len(named) == 1 and len(cores) > 1 and _technical(named[0]):
        return "acronym or technical term"
    return None
