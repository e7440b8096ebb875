"""The response sheet's columns, shared by the pack (which writes it) and the import (which reads it)."""

from __future__ import annotations

import re

CARD = "Card"
THEME = "Theme"
RINGS_TRUE = "Does this ring true? (yes / partly / no)"
CALL_IT = "What would you call it?"
MISSING = "What is missing?"
QUOTES = "Any quote that should not be used? (quote numbers)"
SAME_AS = "Is it the same as another card? (card number)"
THEME_REF = "Theme reference (please do not change)"
QUOTE_REFS = "Quote references (please do not change)"
COLUMNS = [CARD, THEME, RINGS_TRUE, CALL_IT, MISSING, QUOTES, SAME_AS, THEME_REF, QUOTE_REFS]
ANSWERS = [RINGS_TRUE, CALL_IT, MISSING, QUOTES, SAME_AS]
THEME_REF_PATTERN = re.compile(r"^theme (\d+) / (.*)$", re.DOTALL)
QUOTE_REF_PATTERN = re.compile(r"(\d+)=(\S+:\d+-\d+)")


def theme_ref(theme_id: int, label: str) -> str:
    """``theme 3 / Rent, register, bank``: how a row names the theme it is about."""
    return f"theme {theme_id} / {label}"


def quote_refs(citations: list[str]) -> str:
    """``1=conversation-01.txt:10-80; 2=...``: which quote number on the card is which passage."""
    return "; ".join(f"{i}={c}" for i, c in enumerate(citations, start=1))
