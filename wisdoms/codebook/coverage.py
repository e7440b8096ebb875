"""Coverage: which codes have evidence, in how many passages and participants, and in which themes;
and, for each theme no code covers, a machine-suggested draft code.

A suggestion is built without a language model, deterministically: a plain name (the theme's title, in
members' own words, else its keywords; any listed deficit term left out), a definition built only from the
theme's own material (:func:`theme_gist`: its title, its sub-themes' titles and the words that mark it out),
up to three verbatim example quotes (one per participant, with citations) and the number of participants it was
heard from, counted as the theme counts them. It is a draft for a researcher to
reword, never a code the tool applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import write_text
from .._words import unquoted
from ..models import Code, CodeCoverage, Match, Passage, Quote, Theme
from ._model import Codebook, codebook_to_dict, validate

#: Says plainly where a suggested definition came from, wherever it is shown.
MACHINE_NOTE = ("Machine-suggested from the theme's title, sub-themes and passages (no language model); "
                "a researcher should check and reword it before adding it to the codebook.")
#: Theme statuses that never yield a suggestion (a panel turned them down or folded them in).
_NO_SUGGESTION = ("rejected", "merged")


def coverage(codebook: Codebook, passages: Sequence[Passage], passage_matches: Sequence[Match],
             themes: Sequence[Theme]) -> list[CodeCoverage]:
    """One :class:`CodeCoverage` per active code, in codebook order (codes with none included)."""
    who = {p.id: p.participant for p in passages}
    hits: dict[str, set[str]] = {}
    for m in passage_matches:
        if m.assigned and m.target == "passage":
            hits.setdefault(m.code, set()).add(m.target_id)
    in_themes: dict[str, list[int]] = {}
    for theme in themes:
        for m in theme.codes:
            if m.assigned:
                in_themes.setdefault(m.code, []).append(theme.id)
    return [
        CodeCoverage(code.id, code.name, len(hits.get(code.id, ())),
                     len({who[p] for p in hits.get(code.id, ()) if p in who}), tuple(sorted(in_themes.get(code.id, ()))))
        for code in codebook.active
    ]


@dataclass(frozen=True)
class CodeSuggestion:
    """A draft code for a theme that no code covers.

    Attributes:
        theme: The theme's id.
        id: Suggested code id (unique in the codebook).
        name: Suggested plain-language name.
        definition: One machine-suggested sentence (see :data:`MACHINE_NOTE`).
        keywords: The theme's keywords used, deficit terms left out.
        quotes: Up to three verbatim quotes, one per participant, with citations.
        participants: Participants the theme was heard from, counted as the theme counts them (those it is a
            real part of what they said, :attr:`wisdoms.models.Theme.participants`).
        passages: Passages in the theme.
        touched_by: Participants with any passage in the theme ("also touched on by"); ``None`` when not recorded.
    """

    theme: int
    id: str
    name: str
    definition: str
    keywords: tuple[str, ...]
    quotes: tuple[Quote, ...]
    participants: int
    passages: int
    touched_by: int | None = None

    def to_code(self, *, date: str = "") -> Code:
        """The suggestion as a ``draft`` code whose history says it was machine-suggested and cites its quotes."""
        cited = "; ".join(f"{q.participant} at {q.citation}" for q in self.quotes) or "none"
        change = (f"Machine-suggested from theme {self.theme} (heard from {self.participants} participants, "
                  f"{self.passages} passages); example quotes from {cited}. {MACHINE_NOTE}")
        return Code(id=self.id, name=self.name, definition=self.definition, status="draft",
                    examples=tuple(q.text for q in self.quotes),
                    history=({"version": "draft", "date": date, "change": change},))


def _has(text: str, keyword: str) -> bool:
    return re.search(r"\b" + r"\s+".join(map(re.escape, keyword.split())) + r"\b", text, re.IGNORECASE) is not None


def _listing(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


#: The longest slug part of a suggested code id; longer titles are cut at a word boundary.
SLUG_CHARACTERS = 48


def _slug(text: str) -> str:
    """``text`` as an id: lower case words joined by ``-``, cut after the last whole word that fits."""
    slug = re.sub(r"[\W_]+", "-", text.casefold()).strip("-")
    if len(slug) > SLUG_CHARACTERS:
        cut = slug[:SLUG_CHARACTERS + 1]
        slug = cut[:cut.rfind("-")] if "-" in cut else slug[:SLUG_CHARACTERS]
    return slug.strip("-") or "code"


def _quoted(title: str) -> str:
    """A title in curly quotation marks (once)."""
    return f"“{unquoted(title)}”"


def theme_gist(title: str, subtitles: Sequence[str] = (), keywords: Sequence[str] = (), *, most: int = 4) -> str:
    """What a theme is about, in plain words built only from its own material: its title (members' own words),
    its sub-themes' titles and, as secondary detail, the words that mark it out. No counts, nothing invented.

    ``"What people said about “Four beds in one room”, including “I put a chair against my door some nights”
    and “We've been there fourteen months now”."``
    """
    text = f"What people said about {_quoted(title)}" if title.strip() else "What people said in this theme"
    subs = [_quoted(s) for s in subtitles if s.strip() and _quoted(s) != _quoted(title)]
    if subs:
        shown = subs[:most]
        text += ", including " + (_listing(shown) if len(subs) <= most else "; ".join(shown) + " and more")
    words = [k for k in keywords if k.strip()][:4]
    if words:
        text += f". Words that mark it out: {', '.join(words)}"
    return text + "."


def suggest_codes(themes: Sequence[Theme], passages: Sequence[Passage], codebook: Codebook, *,
                  screen: Callable[[str], Sequence[str]], exclude: Collection[str] = (),
                  quotes: int = 3) -> list[CodeSuggestion]:
    """One :class:`CodeSuggestion` per theme that matches no code, in theme order.

    Args:
        themes: The run's themes; those with codes, and rejected or merged ones, get none.
        passages: The run's passages (for participants, keyword counts and extra quotes).
        codebook: The codebook, so suggested ids and names do not clash with its codes.
        screen: Returns the deficit terms in a text (:func:`wisdoms.report.language.find_deficit_language`);
            keywords holding one are left out of the name and definition.
        exclude: Citations (``transcript:start-end``) never to quote, e.g. those a panel withdrew.
        quotes: How many example quotes, one per participant.
    """
    by_id = {p.id: p for p in passages}
    ids = {c.id for c in codebook.codes}
    names = {c.name.casefold() for c in codebook.codes}
    out = []
    for theme in themes:
        if theme.codes or theme.status in _NO_SUGGESTION:
            continue
        members = [by_id[pid] for pid in theme.passage_ids if pid in by_id]
        keywords = _distinct([k for k in theme.keywords if k.strip() and not screen(k)])
        title = unquoted(theme.label)
        if theme.title_source == "code" and theme.title_quote is not None and title.endswith("”"):
            title = " ".join(theme.title_quote.text.split())  # a code's name then a member's words: the words
        titled = theme.title_source != "keywords" and bool(title) and not screen(title)
        if titled:
            label = title  # the theme's own title: a member's words, or a panel's name
        else:
            label = _listing(list(keywords[:3])) if keywords else f"new code from theme {theme.id}"
        name = _unique(label[:1].upper() + label[1:],
                       names, lambda base, n: f"{base} ({n})")
        names.add(name.casefold())
        code_id = _unique("new-" + _slug(name), ids, lambda base, n: f"{base}-{n}")
        ids.add(code_id)
        out.append(CodeSuggestion(
            theme=theme.id, id=code_id, name=name,
            definition=_theme_definition(theme, label if titled else "", keywords, members, screen),
            keywords=keywords, quotes=_quotes(theme, members, keywords, exclude, quotes),
            participants=theme.participants, passages=len(members),
            touched_by=theme.touched_by if theme.touched_by is not None else len({p.participant for p in members}),
        ))
    return out


def _stem(word: str) -> str:
    word = word.casefold()
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _distinct(keywords: Sequence[str]) -> tuple[str, ...]:
    """Keywords that share no word (up to a plural ``s`` or an ``ing``) with an earlier one: ``phones`` drops
    ``phone`` and ``ringing`` drops ``ring``."""
    kept: list[str] = []
    seen: set[str] = set()
    for keyword in keywords:
        stems = {_stem(w) for w in keyword.split()}
        if stems & seen:
            continue
        kept.append(keyword)
        seen |= stems
    return tuple(kept)


def _unique(base: str, taken: Collection[str], variant: Callable[[str, int], str]) -> str:
    candidate, number = base, 2
    while candidate in taken or candidate.casefold() in taken:
        candidate = variant(base, number)
        number += 1
    return candidate


def _theme_definition(theme: Theme, label: str, keywords: Sequence[str], members: Sequence[Passage],
                      screen: Callable[[str], Sequence[str]]) -> str:
    """The suggested definition: :func:`theme_gist` of the theme's title (``label``) and sub-themes (those free of
    deficit terms), else (no usable title: ``label`` empty) one built from its keywords and how often its passages
    use them."""
    if not label:
        return _definition(keywords, members)
    subtitles = [st.label for st in theme.subthemes if not screen(st.label)]
    return theme_gist(label, subtitles, keywords)


def _definition(keywords: Sequence[str], members: Sequence[Passage]) -> str:
    if not keywords:
        return f"What people said in the {len(members)} passages of this theme, which share no clear keywords."
    counts = sorted(((sum(_has(p.text, k) for p in members), -i, k) for i, k in enumerate(keywords)), reverse=True)
    used = [(n, k) for n, _i, k in counts if n][:2]
    sentence = f"Experiences of {_listing(list(keywords[:3]))}, as people described them"
    if used and members:
        sentence += "; its passages most often mention " + _listing(
            [f"{k} ({n} of {len(members)} passages)" for n, k in used])
    return sentence + "."


def _quotes(theme: Theme, members: Sequence[Passage], keywords: Sequence[str], exclude: Collection[str],
            k: int) -> tuple[Quote, ...]:
    """The theme's representative quotes first, one per participant; then, for participants not yet quoted,
    their passage that uses the most keywords (ties: more words, then id)."""
    chosen: list[Quote] = []
    people: set[str] = set()
    for q in theme.quotes:
        if len(chosen) < k and q.participant not in people and q.citation not in exclude:
            chosen.append(q)
            people.add(q.participant)
    ranked = sorted(members, key=lambda p: (-sum(_has(p.text, w) for w in keywords), -len(p.text.split()), p.id))
    for p in ranked:
        if len(chosen) >= k:
            break
        quote = Quote(transcript=p.transcript, participant=p.participant, start=p.start, end=p.end, text=p.text,
                      passage=p.id)
        if p.participant not in people and quote.citation not in exclude and p.text.strip():
            chosen.append(quote)
            people.add(p.participant)
    return tuple(chosen)


def release_suggestions(suggestions: Sequence[CodeSuggestion], path: str | Path, *, source: str = "", date: str = "",
                        draft: bool = False, allow_unreviewed: bool = False, settings: Any = None, project: Any = None,
                        folder: str | None = None, gate: Any = None) -> Path:
    """:func:`write_suggestions` through the privacy gate (:func:`wisdoms.privacy.release.release`): the example
    quotes, their files and participants, and every name, definition and keyword are checked before the file is
    written. With ``allow_unreviewed`` (private drafts only) the file is written stamped NOT FOR SHARING.

    Raises:
        ExportBlockedError: A quote, id or suggested wording holds an unresolved identifier; nothing is written.
        CodebookError: The suggestions do not form a valid codebook.
    """
    from ..privacy.release import ScanItem, release

    quotes = [q for s in suggestions for q in s.quotes]

    def render(stamp: bool) -> dict[str, str | bytes]:
        return {"suggestions": suggestions_yaml(suggestions, path, source=source, date=date, draft=draft or stamp)}

    def items(_rendered: dict[str, str | bytes]) -> list[ScanItem]:
        return [ScanItem(f"{path} (code {s.id})", value) for s in suggestions
                for value in (s.name, s.definition, *s.keywords) if value]

    rendered = release(quotes, render, items, where=str(path), allow_unreviewed=allow_unreviewed, gate=gate,
                       settings=settings, project=project, folder=folder)
    return write_text(path, str(rendered["suggestions"]))


def write_suggestions(suggestions: Sequence[CodeSuggestion], path: str | Path, *, source: str = "", date: str = "",
                      draft: bool = False) -> Path:
    """Write suggestions as ``draft`` codes in the codebook YAML layout, atomically; returns the path.

    The file loads as a codebook, and each code can be pasted under ``codes:`` of the real one.
    ``draft`` marks a file made from a private draft run: its quotes are not cleared for sharing.

    Raises:
        CodebookError: The suggestions do not form a valid codebook (duplicate ids or names).
    """
    return write_text(path, suggestions_yaml(suggestions, path, source=source, date=date, draft=draft))


def suggestions_yaml(suggestions: Sequence[CodeSuggestion], path: str | Path, *, source: str = "", date: str = "",
                     draft: bool = False) -> str:
    """The suggestions file's text (:func:`write_suggestions`), nothing written.

    Raises:
        CodebookError: The suggestions do not form a valid codebook (duplicate ids or names).
    """
    import yaml

    from ..privacy.gate import NOT_FOR_SHARING

    book = Codebook(codes=tuple(s.to_code(date=date) for s in suggestions), name="Suggested new codes (draft)",
                    version="draft", path=str(path))
    if book.codes:
        validate(book)
    header = [
        "# Draft codes suggested by wisdoms for themes no code covers" + (f" (run {source})" if source else "") + ".",
        "# " + MACHINE_NOTE,
        "# To adopt one: reword it, set 'status: active' and paste it under 'codes:' in your codebook.",
    ]
    if draft:
        header.insert(0, f"# {NOT_FOR_SHARING}: made from a private draft run; the example quotes are not cleared "
                         "by the privacy gate.")
    body = yaml.safe_dump(codebook_to_dict(book), sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body
