"""Find identifiers in text: spaCy NER, UK patterns, gazetteers, the project name list.

:class:`Detector` is the front door. Texts are scanned with transcription markers (``[NAME]``,
``[PLACE]``, ``[inaudible]``) blanked out, so already-redacted placeholders are never findings.
Text whose sentences start in lower case and whose "I" is written "i", as speech-to-text often gives,
is scanned in lower-case mode: given-name and place gazetteers, cue phrases ("my sister X", "me and X",
"called X") and uncommon words stand in for the capital letters NER relies on. The mode is decided once
per source (a transcript, a row), from all of its text, so a normally punctuated transcript is never read
as lower-case because one of its turns happens to hold no capital but "I". Any detector error raises
:class:`~wisdoms.errors.PrivacyError`: the gate fails closed.

With a :class:`~wisdoms.privacy.cache.FindingsCache`, a text whose key (:meth:`Detector.cache_key`) is
cached is not analysed again, and the spaCy pipeline is loaded only when some text is not cached.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import ModelUnavailableError, PrivacyError
from ..models import MARKER_PATTERN
from ..settings import Settings
from . import patterns
from .cache import CachedFinding, FindingsCache
from .lexicon import STOP_WORDS, NameList, allow_spans, allow_terms, first_names, is_common, lists_version, places, zipf
from .vocabulary import mask_placeholders, ordinary

log = logging.getLogger(__name__)

#: Bumped whenever a rule may find something it did not before; part of :attr:`Detector.version`, so it
#: voids sign-offs. A change that can only drop findings (skipping NER where it cannot add one) keeps it:
#: a text reviewed and signed off stays cleared. Cached findings are voided by any edit (:func:`code_version`).
RULES_VERSION = "7"

#: spaCy entity label -> finding type.
NER_TYPES = {"PERSON": "NAME", "GPE": "PLACE", "LOC": "PLACE", "FAC": "PLACE", "ORG": "ORG"}

#: When overlapping findings merge, the type of the earliest here wins.
TYPE_PRIORITY = ("EMAIL", "PHONE", "NINO", "NHS", "POSTCODE", "DOB", "HANDLE", "VEHICLE", "CODE", "ADDRESS",
                 "DATE", "SERVICE", "NAME", "PLACE", "ORG")
#: What each detector's finding means, for the review sheet and error messages (:attr:`Finding.reason`).
REASONS = {
    "ner": "spaCy's entity model read it as a name, place or organisation",
    "capitalised": "a capitalised word or run that is not an everyday word",
    "rare_word": "an uncommon word in lower-case speech-to-text (maybe a name)",
    "locative": "an uncommon word after 'in', 'at', 'from' ... (maybe a place)",
    "given_name": "a given name (US Census list) in lower-case text",
    "place_name": "a town or country name (GeoNames list)",
    "cue": "a word after 'my sister', 'called', 'me and' ... (maybe a name)",
    "title": "a word after a title (Mr, Dr, nurse ...)",
    "name_list": "on the project's name list",
    "postcode": "UK postcode shape", "phone": "phone number (10-11 digits)",
    "spoken_number": "a number read out as words (7+ digits)", "email": "email address",
    "spoken_email": "email address read out", "nino": "National Insurance number shape",
    "nhs_checksum": "NHS number (valid check digit)", "nhs_shape": "ten-digit number in NHS number form",
    "date_of_birth": "a date after 'born' or 'date of birth'", "date_numeric": "a date",
    "date_written": "a date", "handle": "a social media handle", "vehicle": "vehicle registration shape",
    "reference": "a case or reference number shape (letters and digits)",
    "reference_cue": "a number after 'case', 'claim', 'reference', 'application', 'account' ... 'no.'",
    "address": "a house number and street", "street": "a named street", "place_suffix": "a named estate, station or park",
    "service": "a named hostel, school, hospital or prison", "saint": "a named St ... service or place",
    "file_name": "in a file or folder name", "id": "in a participant or transcript id",
}
_WEAK_DETECTORS = frozenset({"capitalised", "ner", "rare_word", "locative", "given_name", "place_name", "cue"})
#: Detectors that find a span but only guess its type.
_TYPE_GUESSES = frozenset({"capitalised", "rare_word"})
STRUCTURED_TYPES = frozenset({"POSTCODE", "PHONE", "EMAIL", "NINO", "NHS", "DOB"})

_TITLE = re.compile(r"\b(?:(?:mr|mrs|ms|mx|dr|pc|dc|sgt)\.?|miss|doctor|nurse|judge|officer|sergeant)[ \t]+([A-Za-z][\w'’-]+)",
                    re.IGNORECASE)
#: A run of capitalised words, each starting a word ("kInd", a common OCR slip for "kind", is not "Ind").
_CAPITALISED_RUN = re.compile(r"(?<![\w'’&-])[A-Z][\w'’&-]*(?:[ \t]+(?:of[ \t]+|the[ \t]+|de[ \t]+)?[A-Z][\w'’&-]*)*")
_I_FORMS = frozenset({"I", "I'm", "I've", "I'd", "I'll", "I’m", "I’ve", "I’d", "I’ll"})
_I_FORMS_LOWER = frozenset(w.lower() for w in _I_FORMS)
_INTERJECTIONS = frozenset("""okay ok yeah yes no oh well so right and but like hiya hello hi sorry please thanks
    cheers anyway honestly basically literally obviously bang wow alright mate love""".split())
_RELATION = (r"(?:sister|brother|son|daughter|boy|girl|lad|mate|friend|pal|worker|key ?worker|support worker|"
             r"social worker|coach|mentor|partner|boyfriend|girlfriend|husband|wife|ex|cousin|nan|gran|grandad|"
             r"uncle|aunt|auntie|officer|probation officer|doctor|nurse|kid|kids|baby|missus|fella)")
_CUES = (
    re.compile(rf"\b(?:my|his|her|our|their|your)\s+(?:(?:little|big|older|younger|baby|best|old|new|eldest|"
               rf"youngest|oldest)\s+)?{_RELATION}\s*,?\s+(?:(?:called|named|was|is)\s+)?([a-z][\w'’-]+)", re.I),
    re.compile(r"\b(?:called|named|name's|name is|known as)\s+([a-z][\w'’-]+)", re.I),
    re.compile(r"\b(?:me and|and me|with)\s+([a-z][\w'’-]+)", re.I),
    re.compile(r"\b(?:at|to|round|from)\s+([a-z][\w'’-]+)(?:'s|’s)\b", re.I),
)
_LOCATIVE = re.compile(r"\b(?:in|at|from|near|to|round|down|up|by|outside)\s+(?:the\s+)?([a-z][\w'’-]+)", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@dataclass(frozen=True)
class Finding:
    """Something a reviewer should look at before text is shared.

    Attributes:
        source: The transcript id, file or row id the text came from.
        start: Code-point offset of the first character, in the source text.
        end: Offset just past the last character.
        text: ``source_text[start:end]``.
        type: ``NAME``, ``PLACE``, ``POSTCODE`` ... (see :data:`wisdoms.privacy.lexicon.TYPES`).
        detector: Which rule or model found it (``ner``, ``postcode``, ``name_list`` ...), ``+``-joined when merged.
    """

    source: str
    start: int
    end: int
    text: str
    type: str
    detector: str

    @property
    def reason(self) -> str:
        """Why it was raised, in words: each detector that found it, ``; ``-joined."""
        return "; ".join(REASONS.get(d, d) for d in self.detector.split("+"))


class Detector:
    """Every detector behind one call.

    Args:
        settings: Run settings (``spacy_model``).
        names: The project's name list.
        use_ner: Run spaCy NER (the full English pipeline) as well as the rules.
        nlp: An already loaded full spaCy pipeline.
        cache: Findings of earlier runs; with one, the spaCy pipeline is loaded only when a text is not
            in it. Only a plain :class:`Detector` uses a cache (a subclass may detect differently).
    """

    def __init__(self, *, settings: Settings | None = None, names: NameList | None = None,
                 use_ner: bool = True, nlp: Any = None, cache: FindingsCache | None = None,
                 allow: Sequence[str] = ()) -> None:
        self.settings = settings
        self.names = names
        self.allow = allow
        self.use_ner = use_ner
        self.nlp = nlp
        self.cache = cache

    def fit(self) -> Detector:
        """Load the spaCy pipeline (once per process); with a cache, only note which one would be loaded.

        Raises:
            ModelUnavailableError: No English spaCy pipeline is installed.
        """
        self.model_: str | None = None
        if self.use_ner and self.nlp is None and self._caching():
            self.model_ = installed_model((self.settings or Settings()).spacy_model)
        if self.use_ner and self.nlp is None and self.model_ is None:
            self._load()
        self.nlp_ = self.nlp
        return self

    def _load(self) -> Any:
        """The full spaCy pipeline, loaded now if it is not yet.

        Raises:
            ModelUnavailableError: No English spaCy pipeline is installed.
            PrivacyError: The loaded pipeline is not the one the cache keys were made for.
        """
        if self.nlp is None:
            from ..segment import load_spacy

            nlp = load_spacy((self.settings or Settings()).spacy_model, full=True)
            expected = getattr(self, "model_", None)
            if expected is not None and _identity(nlp) != expected:
                raise PrivacyError(f"the spaCy pipeline loaded is {_identity(nlp)}, but its package metadata said "
                                   f"{expected}", hint="reinstall the spaCy model package, then run again")
            self.nlp = nlp
        self.nlp_ = self.nlp
        return self.nlp

    def _caching(self) -> bool:
        return self.cache is not None and type(self) is Detector

    @property
    def model(self) -> str:
        """``name==version`` of the NER pipeline (``no-ner`` without NER), without loading it when a cache is used."""
        if not self.use_ner:
            return "no-ner"
        if not hasattr(self, "nlp_"):
            self.fit()
        return _identity(self.nlp_) if self.nlp_ is not None else str(self.model_)

    @property
    def version(self) -> str:
        """Rules, shipped lists and NER model: a change to any of them voids sign-offs."""
        return f"rules-{RULES_VERSION}+lists-{lists_version()}+{self.model}"

    def cache_key(self, text: str, *, lowercase: bool) -> str:
        """Key of ``text``'s findings: a hash of the exact text, the lower-case mode decided for it, and
        everything else detection depends on (:func:`code_version`, rules, shipped lists incl. the
        allow-list, spaCy model and library, word-frequency data, Python, the name list in order)."""
        if not hasattr(self, "nlp_"):
            self.fit()
        # Remade whenever an attribute it depends on is replaced (a gate gives its copy the project's names).
        inputs = (self.names, self.use_ner, self.nlp_, getattr(self, "model_", None), tuple(self.allow or ()))
        memo = getattr(self, "_cache_context_", None)
        if memo is None or any(a is not b and a != b for a, b in zip(memo[0], inputs)):
            names = (self.names or NameList()).entries
            context = json.dumps({
                "code": code_version(), "rules": RULES_VERSION, "lists": lists_version(),
                "allow": _allow_version(), "model": self.model, "environment": _environment(),
                "names": hashlib.sha256(json.dumps(names, ensure_ascii=False).encode()).hexdigest(),
                "project_allow": sorted({t.lower() for t in self.allow or ()}),
            }, sort_keys=True)
            memo = self._cache_context_ = (inputs, context)
        mode = "lower" if lowercase else "cased"
        return hashlib.sha256(f"{memo[1]}\x00{mode}\x00{text}".encode()).hexdigest()

    def _allow_terms(self) -> tuple[str, ...]:
        """The shipped allow-list and the project's own (``privacy/allow.txt``), lower-cased."""
        project = tuple(t.lower() for t in self.allow or ())
        return allow_terms() + project if project else allow_terms()

    @property
    def names_version(self) -> str:
        """Version of the project name list."""
        return (self.names or NameList()).version

    def find(self, text: str, *, source: str = "", offset: int = 0) -> list[Finding]:
        """Findings in one text; offsets are shifted by ``offset`` (the text's place in its source).

        Raises:
            PrivacyError: A detector failed (the caller must treat the text as blocked).
        """
        return self.find_many([(source, text, offset)])[0]

    def find_many(self, items: Sequence[tuple[str, str, int]], *,
                  lowercase: Mapping[str, bool] | None = None) -> list[list[Finding]]:
        """Findings for each ``(source, text, offset)``, NER batched across texts.

        Lower-case mode is decided per source: from ``lowercase[source]`` when given, else by
        :func:`is_lowercase` over all the items of that source together (every turn of a transcript).

        Raises:
            PrivacyError: A detector failed.
        """
        if not hasattr(self, "nlp_"):
            self.fit()
        masked = [_mask(text) for _s, text, _o in items]
        modes = source_modes([(source, m) for (source, _t, _o), m in zip(items, masked)], known=lowercase)
        if not self._caching():
            return self._detect(items, masked, modes)
        assert self.cache is not None
        keys = [self.cache_key(text, lowercase=modes[source]) for source, text, _o in items]
        texts = dict(zip(keys, (text for _s, text, _o in items)))
        known = self.cache.get_many(keys, texts)
        first = {key: i for i, key in reversed(list(enumerate(keys))) if key not in known}
        todo = sorted(first.values())
        # Any detector error raises here, before anything is stored or any cached finding is returned.
        fresh = self._detect([items[i] for i in todo], [masked[i] for i in todo], modes)
        stored: dict[str, list[CachedFinding]] = {}
        for i, found in zip(todo, fresh):
            offset = items[i][2]
            stored[keys[i]] = [(f.start - offset, f.end - offset, f.text, f.type, f.detector) for f in found]
        self.cache.put_many(stored)
        if todo:
            log.info("privacy detectors ran on %d text(s); %d found in the cache", len(todo), len(items) - len(todo))
        known.update(stored)
        return [[Finding(source, offset + s, offset + e, words, kind, det) for s, e, words, kind, det in known[key]]
                for (source, _t, offset), key in zip(items, keys)]

    def _detect(self, items: Sequence[tuple[str, str, int]], masked: Sequence[str],
                modes: Mapping[str, bool]) -> list[list[Finding]]:
        # NER runs only where it could add a finding (see _ner_may_add): most survey answers and turns
        # have no capital but the first word's, and NER was most of the final scan's time.
        ner = [self.use_ner and (modes[source] or _ner_may_add(m)) for (source, _t, _o), m in zip(items, masked)]
        if not any(ner):
            return [self._find_one(source, text, m, offset, None, lowercase=modes[source])
                    for (source, text, offset), m in zip(items, masked)]
        out: list[list[Finding]] = []
        try:
            nlp = self._load()
            with nlp.select_pipes(enable=[p for p in ("tok2vec", "ner") if p in nlp.pipe_names]):
                # Docs are read as they stream out, never all held: 50,000 answers' docs and tensors
                # would take hundreds of MB.
                docs = nlp.pipe((m for m, n in zip(masked, ner) if n), batch_size=256)
                for (source, text, offset), m, n in zip(items, masked, ner):
                    try:
                        doc = next(docs) if n else None
                    except Exception as exc:
                        raise _failure("ner", source, exc) from exc
                    out.append(self._find_one(source, text, m, offset, doc, lowercase=modes[source]))
        except PrivacyError:
            raise
        except Exception as exc:
            raise _failure("ner", items[0][0], exc) from exc
        return out

    def _find_one(self, source: str, text: str, masked: str, offset: int, doc: Any, *, lowercase: bool) -> list[Finding]:
        raw: list[tuple[int, int, str, str]] = []
        stages = [
            ("patterns", lambda: patterns.structured(masked)),
            ("named_places", lambda: patterns.named_places(masked, lowercase=lowercase)),
            ("titles", lambda: _titles(masked, lowercase=lowercase)),
            ("name_list", lambda: ((s, e, k, "name_list") for s, e, k in (self.names or NameList()).spans(masked))),
            ("lowercase" if lowercase else "capitalised",
             (lambda: _lowercase_hits(masked)) if lowercase else (lambda: _capitalised(masked))),
        ]
        if doc is not None:
            stages.append(("ner", lambda: _ner_hits(doc, masked, lowercase=lowercase)))
        for name, stage in stages:
            try:
                raw.extend(stage())
            except Exception as exc:
                raise _failure(name, source, exc) from exc
        allowed = allow_spans(masked, self._allow_terms())
        kept = [h for h in raw if h[1] > h[0] and not _allowed(h, allowed, masked)]
        # A guess made only of acronyms, technical words, role words or title-cased everyday words is no name.
        kept = [h for h in kept if h[3] not in _WEAK_DETECTORS or not _not_identifying(masked, h)]
        # A structured identifier is exact; a guess overlapping it (NER on lower-case text) would only blur its span.
        exact = [(s, e) for s, e, kind, _d in kept if kind in STRUCTURED_TYPES]
        kept = [h for h in kept if h[3] not in _WEAK_DETECTORS or not any(s < h[1] and h[0] < e for s, e in exact)]
        return [Finding(source, offset + s, offset + e, text[s:e], kind, det) for s, e, kind, det in _merge(kept)]


# Pure: a process that stays loaded (wisdoms watch) scans the same texts each run. 16,384 texts covers a
# 10k-answer run's final scan and bounds what the cache keeps alive between runs.
@lru_cache(maxsize=1 << 14)
def is_lowercase(text: str) -> bool:
    """Whether ``text`` reads like lower-case speech-to-text.

    Votes are its sentence starts (the first word, and the first after ``.``, ``!``, ``?`` or a line
    break) and every "I" ("I'm", "I've" ...): a lower-case start or an "i" votes lower-case, a capital
    votes cased; lower-case wins on a strict majority. Capitalised words inside a sentence (other than
    "I") count as one vote for cased when they are at least 1 word in 50, so "we lived at 22 Mill Lane"
    reads as cased. Text without words is not lower-case.
    """
    lower = upper = 0
    words = 0
    capitalised_inside = 0
    for m in _WORD.finditer(text):
        word = m.group()
        words += 1
        if word.lower() in _I_FORMS_LOWER:
            lower += word[0] == "i"
            upper += word[0] == "I"
        elif _starts_sentence(text, m.start()):
            lower += word[0].islower()
            upper += word[0].isupper()
        elif word[0].isupper():
            capitalised_inside += 1
    if not words:
        return False
    if capitalised_inside and capitalised_inside * 50 >= words:
        upper += 1
    return lower > upper


def installed_model(name: str = "auto") -> str | None:
    """``name==version`` of the spaCy pipeline :func:`wisdoms.segment.load_spacy` would load, read from the
    package's ``meta.json`` without importing spaCy; ``None`` when the metadata cannot be read (load it then).

    Raises:
        ModelUnavailableError: No candidate pipeline is installed.
    """
    from ..segment import SPACY_CANDIDATES

    names = SPACY_CANDIDATES if name == "auto" else (name,)
    for candidate in names:
        try:
            spec = importlib.util.find_spec(candidate)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            continue
        try:
            meta = json.loads((Path(spec.origin).parent / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(meta, dict) or not meta.get("name") or not meta.get("version"):
            return None
        return f"{meta['name']}=={meta['version']}"
    raise ModelUnavailableError(
        f"no English spaCy pipeline installed (tried {', '.join(names)})",
        hint="run 'bash .ci/install', which installs en_core_web_sm or its pinned re-upload",
    )


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the wisdoms version and the detectors' own source (this module, patterns, lexicon, the
    marker pattern): an edit to the code that finds identifiers voids every cached finding."""
    from .. import __version__

    digest = hashlib.sha256(f"{__version__}\x00{MARKER_PATTERN.pattern}".encode())
    here = Path(__file__).resolve().parent
    for name in ("detectors.py", "patterns.py", "lexicon.py", "vocabulary.py", "cache.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _allow_version() -> str:
    return hashlib.sha256("\n".join(allow_terms()).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _environment() -> str:
    """Libraries whose behaviour the detections depend on: spaCy (NER), wordfreq (common words), Python (re)."""
    parts = [f"python=={sys.version_info[0]}.{sys.version_info[1]}"]
    for package in ("spacy", "wordfreq"):
        try:
            parts.append(f"{package}=={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{package}==none")
    return "+".join(parts)


def _identity(nlp: Any) -> str:
    return f"{nlp.meta.get('name')}=={nlp.meta.get('version')}"


def source_modes(items: Iterable[tuple[str, str]], *, known: Mapping[str, bool] | None = None) -> dict[str, bool]:
    """Lower-case mode per source: ``known[source]`` when given, else :func:`is_lowercase` of all its texts
    joined (each text starts a sentence)."""
    texts: dict[str, list[str]] = {}
    for source, text in items:
        texts.setdefault(source, []).append(text)
    known = known or {}
    return {source: known[source] if source in known else is_lowercase("\n".join(parts))
            for source, parts in texts.items()}


def _starts_sentence(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (text start, or after ``.!?…`` or a line break)."""
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘(":
        i -= 1
    return i < 0 or text[i] in ".!?\n…"


#: Marks left where someone already redacted words (a run of three or more capital X, of asterisks, or of
#: full blocks): nothing left to find there.
_REDACTION_MARK = re.compile(r"\bX{3,}\b|\*{3,}|\u2588+")


def _mask(text: str) -> str:
    """Blank out transcription markers ("[laughs]", "[NAME]"), redaction marks and placeholders ("Company X",
    "Participant 3", "P01"), keeping every offset."""
    text = MARKER_PATTERN.sub(lambda m: " " * len(m.group()), text)
    return mask_placeholders(_REDACTION_MARK.sub(lambda m: " " * len(m.group()), text))


def _failure(stage: str, source: str, exc: Exception) -> PrivacyError:
    log.error("privacy detector %s failed on %s: %r", stage, source, exc)
    return PrivacyError(
        f"privacy detector {stage!r} failed on {source or 'a text'}: {type(exc).__name__}: {exc}",
        path=source or None,
        hint="nothing can be shared until every detector runs cleanly; fix the cause (see the log) and scan again",
    )


def _allowed(hit: tuple[int, int, str, str], allowed: list[tuple[int, int]], text: str) -> bool:
    if hit[2] in STRUCTURED_TYPES or hit[3] == "name_list":
        return False
    start, end = hit[0], hit[1]
    if text[start:end].lower().startswith("the "):
        start += 4
    return any(s <= start and end <= e for s, e in allowed)


#: A list marker before a heading ("3.a Please ...", "c.ii Data Lineage", "8. Export").
_ENUMERATOR = re.compile(r"(?:\d+(?:\.[a-z0-9]{1,4})*\.?|[a-z]{1,4}\.[a-z0-9.]*)\s+", re.I)


def _not_identifying(text: str, hit: tuple[int, int, str, str]) -> bool:
    """Whether a guessed hit is no identifier (:func:`~wisdoms.privacy.vocabulary.ordinary`); a leading list
    marker is left out first, and a lone everyday word after one starts its heading ("3.a Please", "2 Login")."""
    words = text[hit[0]:hit[1]]
    m = _ENUMERATOR.match(words)
    if m is not None:
        words = words[m.end():]
        if len(words.split()) == 1 and is_common(words.strip(), threshold=3.5) and not _known(words.strip()):
            return True
    return ordinary(words) is not None


def _merge(hits: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """Merge overlapping hits into one finding: the union span, the highest-priority type."""
    rank = {t: i for i, t in enumerate(TYPE_PRIORITY)}

    def strength(kind: str, det: str) -> tuple[bool, float]:
        # A specific rule (a pattern, the name list) knows the type better than a capital letter or NER.
        # A capital letter only says "some name": NER's place ("Leicester" is a GPE) beats it, but not
        # NER's ORG, which the small model gives to lone first names ("Callum").
        guess = det in _TYPE_GUESSES and kind == "NAME"
        return (det in _WEAK_DETECTORS, rank["PLACE"] + 0.5 if guess else rank.get(kind, 99))

    merged: list[list[Any]] = []
    for s, e, kind, det in sorted(hits, key=lambda h: (h[0], -h[1])):
        if merged and s < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], e)
            if strength(kind, det) < last[4]:
                last[2], last[4] = kind, strength(kind, det)
            if det not in last[3]:
                last[3].append(det)
        else:
            merged.append([s, e, kind, [det], strength(kind, det)])
    return [(s, e, k, "+".join(d)) for s, e, k, d, _ in merged]


def _titles(text: str, *, lowercase: bool) -> Iterator[tuple[int, int, str, str]]:
    for m in _TITLE.finditer(text):
        word = m.group(1)
        if word.lower() not in STOP_WORDS and (not is_common(word) if lowercase else word[0].isupper()):
            yield m.start(), m.end(), "NAME", "title"


def _ner_hits(doc: Any, text: str, *, lowercase: bool) -> Iterator[tuple[int, int, str, str]]:
    for ent in doc.ents:
        kind = NER_TYPES.get(ent.label_)
        if kind is None or not ent.text.strip():
            continue
        words = _WORD.findall(ent.text)
        if not words or all(w.lower() in STOP_WORDS or w in _I_FORMS or _case_slip(w) for w in words):
            continue
        if not lowercase and not any(w[0].isupper() and w not in _I_FORMS and not _case_slip(w) for w in words):
            continue  # in cased text a name is capitalised ("I" and case slips are not capitalised names)
        if len(words) == 1 and _sentence_initial(text, ent.start_char) and not _known(words[0]):
            continue  # a capital at the start of a sentence tells NER nothing
        if kind == "ORG" and len(words) == 1 and _everyday(words[0]):
            continue  # "Data", "Location": an everyday word NER calls an organisation (a person's name is PERSON)
        yield ent.start_char, ent.end_char, kind, "ner"


#: A lone capitalised word mid-sentence at least this common (Zipf; 3.5 is about three in a million words) is an
#: everyday word ("Login", "Download"), unless it is a given name or a place; NER still reads it in its sentence.
EVERYDAY_ZIPF = 3.5


def _everyday(word: str) -> bool:
    """Whether a lone capitalised word inside a sentence is an everyday word capitalised for emphasis or
    by habit ("team Excellent care", "very Good", "she Is"), not a name: common (Zipf >= 3.5, or a function
    word), stripped of punctuation, and neither a given name nor a place. A surname that is also an
    everyday word ("Brown") is left to NER, which reads it in its sentence, and to titles ("Mrs Brown")."""
    lower = word.strip("'’.-").lower()
    if lower in STOP_WORDS:
        return True
    if not lower.isalpha() or lower in first_names() or lower in places():
        return False
    return lower in STOP_WORDS or zipf(lower) >= EVERYDAY_ZIPF


#: A capital "I" straight after a lower-case letter inside a word.
_INNER_I = re.compile(r"[a-z]I")


def _case_slip(word: str) -> bool:
    """Whether a word is an everyday word with an "I" slipped inside it ("FrIendly", "InformatIon",
    "NothIng": a scanner or keyboard reading "i" or "l" as "I"), rather than a name: its lower-case form is
    an everyday word (Zipf >= 3) and no given name or place. Only "I" counts: names are written with other
    inner capitals ("McDonald", "DiCaprio")."""
    core = re.sub(r"['’]s$", "", word)
    if not _INNER_I.search(core):
        return False
    lower = core.lower()
    return zipf(lower) >= 3.0 and lower not in first_names() and lower not in places()


def _ner_may_add(text: str) -> bool:
    """Whether NER could add a finding to cased ``text``, which :func:`_ner_hits` keeps only for an entity
    with a capitalised word, and not for one word starting a sentence unless it is a known name or place.

    So NER is skipped when every capitalised word starts a sentence and is an everyday word ("Staff were
    kind. Nothing to improve."), or is "I". Kept whenever a capital stands inside a sentence, or a
    sentence starts with an uncommon or known word (the first word of a two-word name).
    """
    for m in re.finditer(r"\b[A-Z][\w'’-]*", text):
        word = m.group()
        if word in _I_FORMS or _case_slip(word):
            continue
        if not _sentence_initial(text, m.start()):
            return True
        if _known(word) or not is_common(word.strip("'’"), threshold=4.6):
            return True
    return False


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t")
    # A list marker at the start of a line or text ("2 Login with ...", "3.a Please ...") starts a sentence too.
    marker = re.search(r"(?:^|\n)[ \t]*(?:\d+(?:\.[a-z0-9]{1,4})*\.?|[a-z]{1,4}\.[a-z0-9.]*)$", before, re.I)
    if marker is not None:
        return True
    return not before or before[-1] in ".!?:;\"“”‘(\n-–—…" or before.endswith("'")


def _capitalised(text: str) -> Iterator[tuple[int, int, str, str]]:
    """Capitalised words a sentence does not explain: likely names, places or services."""
    for m in _CAPITALISED_RUN.finditer(text):
        tokens = [t for t in re.finditer(r"\S+", m.group())]
        # Cut the run at "I", "I'm": they are capitalised by rule, not because they name anything.
        parts: list[list[re.Match[str]]] = [[]]
        # Cut it at case slips too ("FrIendly", "InformatIon"): capitalised by a keyboard or scanner.
        for t in tokens:
            if t.group() in _I_FORMS or _case_slip(t.group()):
                parts.append([])
            else:
                parts[-1].append(t)
        for part in parts:
            if not part:
                continue
            start = m.start() + part[0].start()
            initial = _sentence_initial(text, start)
            if initial:
                # A sentence starts capitalised anyway: drop leading everyday words ("When Dave" -> "Dave").
                while part and is_common(part[0].group().strip("'’"), threshold=4.0) and not _known(part[0].group()):
                    part = part[1:]
                if not part:
                    continue
                start = m.start() + part[0].start()
                if len(part) == 1 and not _known(part[0].group()):
                    continue
            end = m.start() + part[-1].end()
            words = [p.group() for p in part]
            if len(words) == 1 and not initial:
                word = re.sub(r"['’]s$", "", words[0])
                if word.lower() in _INTERJECTIONS or (word.isupper() and len(word) <= 5):
                    continue
                if _everyday(word):
                    continue  # "team Excellent care", "she Is a credit": NER still reads the word in context
            yield start, end, "PLACE" if _is_place(words) else "NAME", "capitalised"


def _is_place(words: Sequence[str]) -> bool:
    """Whether capitalised words name a known town or country rather than a person ("Kettering")."""
    phrase = " ".join(re.sub(r"['’]s$", "", w) for w in words).lower()
    return phrase in places() and phrase not in first_names()


def _known(word: str) -> bool:
    """A given name or place that is not also an everyday word."""
    w = re.sub(r"['’]s$", "", word).lower()
    return (w in first_names() and not is_common(w, threshold=4.6)) or (w in places() and not is_common(w, threshold=4.0))


def _lowercase_hits(text: str) -> Iterator[tuple[int, int, str, str]]:
    """Names and places in lower-case text: gazetteers, cue phrases, uncommon words."""
    words = list(_WORD.finditer(text))
    for i, m in enumerate(words):
        w = re.sub(r"['’]s$", "", m.group()).lower()
        if w in STOP_WORDS:
            continue
        if w in first_names() and not is_common(w, threshold=4.6):
            end = m.end()
            if i + 1 < len(words):
                nxt = words[i + 1]
                gap = text[m.end():nxt.start()]
                if gap.strip() == "" and not is_common(nxt.group(), threshold=3.5):
                    end = nxt.end()
            yield m.start(), end, "NAME", "given_name"
        elif w in places() and not is_common(w, threshold=4.0):
            yield m.start(), m.end(), "PLACE", "place_name"
        elif len(w) >= 3 and zipf(w) < 2.2 and w.isalpha():
            yield m.start(), m.end(), "NAME", "rare_word"
    for i in range(len(words) - 1):
        phrase = f"{words[i].group()} {words[i + 1].group()}".lower()
        if phrase in places() and text[words[i].end():words[i + 1].start()].strip() == "":
            yield words[i].start(), words[i + 1].end(), "PLACE", "place_name"
    for cue in _CUES:
        for m in cue.finditer(text):
            word = m.group(1)
            if word.lower() not in STOP_WORDS and not is_common(word, threshold=4.6):
                yield m.start(1), m.end(1), "NAME", "cue"
    for m in _LOCATIVE.finditer(text):
        word = m.group(1)
        if word.lower() not in STOP_WORDS and zipf(re.sub(r"['’]s$", "", word)) < 3.0:
            yield m.start(1), m.end(1), "PLACE", "locative"
