"""The response sheet's columns, shared by the pack (which writes it) and the import (which reads it).

The four questions are worded exactly as the panel is asked them; "Card" and "Theme" say which card a
row is about, and the two reference columns (greyed, "please do not change") tie each row and quote
number back to the run. Two cards the panel sees as one idea are merged by writing "same as card 3"
under "What would you call it?".
"""

from __future__ import annotations

import re

CARD = "Card"
THEME = "Theme"
RINGS_TRUE = "Does this ring true? (yes / partly / no / not sure)"
CALL_IT = "What would you call it?"
MISSING = "What is missing?"
QUOTES = "Any quote that should not be used?"
THEME_REF = "Theme reference (please do not change)"
QUOTE_REFS = "Quote references (please do not change)"
COLUMNS = [CARD, THEME, RINGS_TRUE, CALL_IT, MISSING, QUOTES, THEME_REF, QUOTE_REFS]
ANSWERS = [RINGS_TRUE, CALL_IT, MISSING, QUOTES]
#: Headers of sheets written by earlier versions, read as today's columns.
ALIASES = {"Any quote that should not be used? (quote numbers)": QUOTES,
           "Does this ring true? (yes / partly / no)": RINGS_TRUE}
#: Answers to "Does this ring true?" the drop-down offers.
RINGS_CHOICES = ("yes", "partly", "no", "not sure")
#: An optional column of earlier sheets ("Is it the same as another card? (card number)"), still honoured.
SAME_AS = "Is it the same as another card? (card number)"
THEME_REF_PATTERN = re.compile(r"^theme (\d+) / (.*)$", re.DOTALL)
QUOTE_REF_PATTERN = re.compile(r"(\d+)=(\S+:\d+-\d+)")
#: "same as card 3", "same as 3", "card 3": the panel sees this card as the same idea as card 3.
SAME_AS_PATTERN = re.compile(r"^\s*(?:(?:the\s+)?same\s+(?:as|idea\s+as)\s+)?card\s*(?:no\.?|number)?\s*(\d+)\s*\.?\s*$"
                             r"|^\s*same\s+as\s+(\d+)\s*\.?\s*$", re.IGNORECASE)


def theme_ref(theme_id: int, label: str) -> str:
    """``theme 3 / Rent, register, bank``: how a row names the theme it is about."""
    return f"theme {theme_id} / {label}"


def quote_refs(citations: list[str]) -> str:
    """``1=conversation-01.txt:10-80; 2=...``: which quote number on the card is which passage."""
    return "; ".join(f"{i}={c}" for i, c in enumerate(citations, start=1))


def same_as_card(answer: str) -> str | None:
    """The card number in a "same as card 3" answer, or None when the answer is a name."""
    m = SAME_AS_PATTERN.match(answer or "")
    return (m.group(1) or m.group(2)) if m else None
