"""Deficit-language check: labels that describe people by what services say is wrong with them.

Theme labels, codebook names and the report's own words should describe what people said and what
services did, not label people ("hard to reach", "chaotic"). :func:`find_deficit_language` finds the
listed terms in a piece of text; :func:`check_names` runs it over codebook names and theme and sub-theme
titles so the report can show what to reword. Participants' own words are never changed: a title quoted from
one holds them, so the report names whose words they are and suggests renaming the theme instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..codebook import Codebook
    from ..models import Theme

#: Term -> a suggested way to say it instead. Matching ignores case, spacing and hyphens.
DEFICIT_TERMS: dict[str, str] = {
    "hard to reach": "people services have not yet reached / services people cannot easily get to",
    "complex needs": "people facing several disadvantages at once",
    "non-compliant": "did not use the service as offered (and why)",
    "non-engaging": "the service has not yet found a way to reach them",
    "failed to engage": "the service has not yet found a way to reach them",
    "disengaged": "stopped using the service",
    "chaotic": "going through a lot at once",
    "chaotic lifestyle": "going through a lot at once",
    "service user failed to": "the service did not make it possible to",
    "service users failed to": "the service did not make it possible to",
    "client failed to": "the service did not make it possible to",
    "complex need": "facing several disadvantages at once",
    "non-compliance": "did not use the service as offered (and why)",
    "non-engagement": "the service has not yet found a way to reach them",
    "did not engage": "the service has not yet found a way to reach them",
    "hard to engage": "services that have not yet found a way to work with them",
    "failed to comply": "did not use the service as offered (and why)",
    "failed to attend": "could not attend (and why)",
    "did not attend": "could not attend (and why)",
    "hard to place": "services could not find a place that fitted",
    "difficult client": "a person the service found hard to work with",
    "problem family": "a family facing several difficulties",
    "troubled families": "families facing several difficulties",
    "vulnerable people": "people the system has left at risk",
    "the homeless": "people experiencing homelessness",
    "addicts": "people who use drugs or alcohol",
    "addict": "person who uses drugs or alcohol",
    "junkie": "person who uses drugs",
    "alcoholic": "person who uses alcohol",
    "offenders": "people with a conviction",
    "offender": "person with a conviction",
    "ex-offender": "person with a conviction",
    "manipulative": "doing what they could to be heard",
    "attention seeking": "asking for help",
    "revolving door": "returning to services repeatedly because needs were not met",
    "frequent flyer": "person who needed services often",
    "bed blocker": "person waiting for a suitable place",
    "lacks insight": "sees it differently from the service",
    "refused support": "did not take up the support offered (and why)",
    "resistant to help": "did not take up the support offered (and why)",
}


@dataclass(frozen=True)
class LanguageFlag:
    """One deficit term found in a name.

    Attributes:
        kind: ``code``, ``theme`` or ``sub-theme``.
        id: Code id, theme id or sub-theme id.
        name: The name as written.
        term: The listed term found.
        suggestion: A way to say it instead.
        speaker: The participant whose own words the name is (a title quoted from a member passage), else ``""``:
            their words are never reworded, so the report suggests renaming the theme, not changing the words.
    """

    kind: str
    id: str
    name: str
    term: str
    suggestion: str
    speaker: str = ""


def _pattern(term: str) -> re.Pattern[str]:
    words = re.split(r"[\s\-]+", term.strip())
    return re.compile(r"\b" + r"[\s\-]*".join(re.escape(w) for w in words) + r"\b", re.IGNORECASE)


_PATTERNS = [(term, _pattern(term)) for term in sorted(DEFICIT_TERMS, key=len, reverse=True)]


def find_deficit_language(text: str) -> list[str]:
    """The listed deficit terms in ``text``, longest first, each once (a term inside a longer one is not repeated)."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for term, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            if term not in found:
                found.append(term)
    return found


def check_names(codebook: Codebook | None = None, themes: Iterable[Theme] = ()) -> list[LanguageFlag]:
    """Flag deficit terms in codebook code names and definitions, and in theme and sub-theme titles. A title
    quoted from a participant is flagged with whose words it is (:attr:`LanguageFlag.speaker`)."""
    flags = []
    for code in codebook.codes if codebook is not None else ():
        for term in find_deficit_language(f"{code.name}\n{code.definition}"):
            flags.append(LanguageFlag("code", code.id, code.name, term, DEFICIT_TERMS[term]))
    for theme in themes:
        # a member's words alone or after a code's name; a panel's new name is the panel's words, though the quote
        # that titled the theme before is still recorded (title_words is None then)
        quoted = getattr(theme, "title_words", None)
        named = [("theme", theme.id, theme.label, quoted)] + [
            ("sub-theme", sub.id, sub.label, sub.title_quote) for sub in getattr(theme, "subthemes", ()) or ()]
        for kind, tid, label, quote in named:
            said = find_deficit_language(quote.text) if quote is not None else []
            for term in find_deficit_language(label):  # the term in the member's words, not in a code's name
                flags.append(LanguageFlag(kind, str(tid), label, term, DEFICIT_TERMS[term],
                                          speaker=quote.participant if quote is not None and term in said else ""))
    return flags
