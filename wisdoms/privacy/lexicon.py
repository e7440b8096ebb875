"""Word lists the detectors rely on: the allow-list, gazetteers, the project name list, word frequency.

The shipped lists live in ``wisdoms/privacy/data`` (one entry a line, ``#`` starts a comment):
``allow.txt`` (reviewed generic terms), ``first_names.txt`` (US Census given names, public domain) and
``places.txt`` (GeoNames towns and countries, CC BY 4.0). A project adds its own name list
(participants' and staff names and nicknames, local places and services), matched case-insensitively.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import PrivacyError

DATA = Path(__file__).resolve().parent / "data"

#: Words that never start a name on their own (function words and fillers of spoken English).
STOP_WORDS = frozenset(
    """a about after again all also am an and any are as at back be because been before being but by
    can could did do does doing done down each even ever every for from get gets getting go goes going
    gone got had has have having he her here hers him his how i if in into is it its just know like
    me mine more most my myself no nor not now of off oh ok okay on once one only or other our out over
    own really right said say says she should so some still such than that the their them then there
    these they this those through to too under until up us very was we well went were what when where
    which while who whom why will with would yeah yes yet you your yours um uh er erm mm like innit
    kind sort bit lot thing things stuff time times day days way week weeks month months year years""".split()
)


def _read_list(path: Path) -> list[str]:
    entries = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line:
            entries.append(line)
    return entries


@lru_cache(maxsize=1)
def allow_terms() -> tuple[str, ...]:
    """The reviewed allow-list, lower-cased, longest first."""
    terms = {t.lower() for t in _read_list(DATA / "allow.txt") + _read_list(DATA / "countries.txt")}
    return tuple(sorted(terms, key=lambda t: (-len(t), t)))


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Lower-cased given names."""
    return frozenset(n.lower() for n in _read_list(DATA / "first_names.txt"))


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """Lower-cased place names (towns, cities, countries)."""
    return frozenset(n.lower() for n in _read_list(DATA / "places.txt"))


@lru_cache(maxsize=1)
def lists_version() -> str:
    """Short hash of the shipped lists, part of the detector version."""
    digest = hashlib.sha256()
    for name in ("allow.txt", "countries.txt", "first_names.txt", "places.txt", "tech_terms.txt", "surnames.txt"):
        digest.update((DATA / name).read_bytes())
    return digest.hexdigest()[:12]


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common ``word`` is in English (Zipf scale: 0 unseen, 3 once per million words, 7 "the")."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en")


def is_common(word: str, *, threshold: float = 4.5) -> bool:
    """Whether ``word`` is an everyday English word (or a function word) rather than a likely name."""
    w = word.lower().strip("'’")
    if w.endswith(("'s", "’s")):
        w = w[:-2]
    return w in STOP_WORDS or zipf(w) >= threshold


def allow_spans(text: str, terms: Iterable[str] | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of every allow-listed term in ``text`` (case-insensitive, whole words)."""
    terms = allow_terms() if terms is None else tuple(terms)
    pattern = _terms_pattern(tuple(terms))
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


@lru_cache(maxsize=8)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(set(terms), key=lambda t: (-len(t), t))
    body = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in ordered)
    # Plurals and possessives of a term ("Thursdays", "Tuesday's") are the same term.
    return re.compile(rf"(?<![\w@])(?:{body})(?:s|'s|’s)?(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class NameList:
    """The project's own names, nicknames, local places and services, matched case-insensitively.

    Attributes:
        entries: ``(term, type)`` pairs; type is ``NAME``, ``PLACE``, ``SERVICE`` ...
        path: The file they came from, if any.
    """

    entries: tuple[tuple[str, str], ...] = ()
    path: str | None = None

    @property
    def version(self) -> str:
        """Hash of the normalised entries; any change to the list changes it (and voids sign-offs)."""
        if not self.entries:
            return "none"
        body = "\n".join(sorted(f"{t.lower()}\t{k}" for t, k in self.entries))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, type)`` of every entry found in ``text``."""
        if not self.entries:
            return []
        kinds = {t.lower(): k for t, k in self.entries}
        pattern = _terms_pattern(tuple(kinds))
        assert pattern is not None
        return [(m.start(), m.end(), kinds.get(" ".join(m.group().lower().split()), "NAME")) for m in pattern.finditer(text)]

    @classmethod
    def load(cls, path: str | Path | None) -> NameList:
        """Read a name list: a text file (``term`` or ``term<TAB>TYPE`` a line) or YAML (``TYPE: [terms]``).

        No path gives an empty list (a project's list is found from its transcripts folder, never the working
        directory: :class:`~wisdoms.privacy.project.ProjectPrivacy`); a missing file is an error.

        Raises:
            PrivacyError: The file cannot be read or has an unknown type.
        """
        if path is None:
            return cls()
        path = Path(path)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PrivacyError(
                f"cannot read the name list: {exc}", path=path, hint="pass an existing file to --names"
            ) from exc
        entries: list[tuple[str, str]] = []
        if path.suffix.lower() in {".yaml", ".yml"}:
            try:
                data = yaml.safe_load(raw) or {}
            except yaml.YAMLError as exc:
                raise PrivacyError(f"name list is not valid YAML: {exc}", path=path) from exc
            if not isinstance(data, dict):
                raise PrivacyError("name list must map a type to a list of names", path=path,
                                   hint="write e.g. 'NAME: [Jo, Big Tez]' and 'PLACE: [the Drapery]'")
            for kind, terms in data.items():
                for term in terms or []:
                    entries.append((str(term).strip(), _kind(str(kind), path, None)))
        else:
            for number, line in enumerate(raw.splitlines(), start=1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                term, _, kind = line.partition("\t")
                entries.append((term.strip(), _kind(kind.strip() or "NAME", path, number)))
        return cls(entries=tuple(e for e in entries if e[0]), path=str(path))


#: Identifier types a finding can have.
TYPES = ("NAME", "PLACE", "ADDRESS", "POSTCODE", "PHONE", "EMAIL", "NINO", "NHS", "DOB", "DATE",
         "SERVICE", "HANDLE", "VEHICLE", "CODE", "ORG")


def _kind(kind: str, path: Path, line: int | None) -> str:
    kind = kind.upper()
    if kind not in TYPES:
        raise PrivacyError(f"unknown identifier type {kind!r} in the name list", path=path, line=line,
                           hint=f"use one of: {', '.join(TYPES)}")
    return kind
