"""Titles, quotes that stand on their own, and descriptions: all built from members' own words.

A theme's title is a short verbatim phrase from one of its passages (cited by offsets), chosen among sentences
of the passages nearest its centre as the one that says most distinctly what this theme is about: the phrase
whose embedding is closest to its own centre and furthest from every other theme's (so the title alone finds
its theme again). Never a keyword list. Quotes are sentence-aligned verbatim spans of passages that do not open
mid-thought ("And he said...", "Yeah.") where the passage offers a better start.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from ..models import MARKER_PATTERN, Passage, Quote
from ..segment import FILLER_WORDS, HESITATION, REDACTION, content_free_reason, point_words

#: Openings that continue an earlier thought: a quote or title starting so does not stand on its own.
CONNECTIVES = frozenset(
    """and but so or because cos cause then also yeah yes yep no well oh um uh erm er like right okay ok
    anyway plus though although unless except whereas which mm hmm""".split()
)
#: Openings that point back to something said before ("He gave me his number."): fine inside a quote, a weak start.
BACK_REFERENCES = frozenset("he she it they them this that these those there his her their its him".split())
#: A title phrase has this many words, or fewer when that is all a member said.
TITLE_WORDS = (3, 14)
#: Title candidates per theme: sentences of the passages nearest its centre.
TITLE_CANDIDATES = 12

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_LEAD = re.compile(r"^(?:(?:(?:yeah|yes|yep|well|oh|um|uh|erm|er|okay|ok|right|so|like|no|mm|hmm)\b|\[[^\]\n]{1,30}\])"
                   r"[,.!]*\s+)+", re.IGNORECASE)


def sentences_of(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (ends at ``.``, ``!``, ``?``, ``…`` then a space), trimmed."""
    spans, cursor = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((cursor, m.start()))
        cursor = m.end()
    spans.append((cursor, len(text)))
    out = []
    for s, e in spans:
        chunk = text[s:e]
        lead = len(chunk) - len(chunk.lstrip())
        stripped = chunk.strip()
        if stripped:
            out.append((s + lead, s + lead + len(stripped)))
    return out


def _first_word(text: str) -> str:
    match = re.match(r"\W*([A-Za-z']+)", MARKER_PATTERN.sub(" ", text))
    return match.group(1).lower() if match else ""


def opening_penalty(text: str) -> int:
    """0: starts cleanly; 1: starts by pointing back ("He ...") or with a one-word answer to a question the reader
    does not see ("Classic. But he ..."); 2: starts mid-thought ("And ...", "[laughs] ...")."""
    if text.lstrip()[:1] in ("[", "(", ",", ";", "-", "…") or _first_word(text) in CONNECTIVES:
        return 2
    if _first_word(text) in BACK_REFERENCES:
        return 1
    spans = sentences_of(text)
    return 1 if len(spans) > 1 and len(MARKER_PATTERN.sub(" ", text[slice(*spans[0])]).split()) == 1 else 0


def _trim_lead(text: str, start: int, end: int) -> int:
    """``start`` moved past leading fillers ("Yeah, so, ") when what follows starts with a capital letter."""
    match = _LEAD.match(text[start:end])
    if match and start + match.end() < end and text[start + match.end()].isupper():
        return start + match.end()
    return start


def standalone_span(text: str) -> tuple[int, int]:
    """The sentence-aligned span of ``text`` that best stands on its own, as offsets into ``text``.

    Leading and trailing sentences with no content ("Yeah.", "Mm.") are dropped, then leading sentences that
    open mid-thought while a later one opens cleanly, a leading one-word answer to a question the reader does not
    see ("Badly. I didn't trust her ...": only when more follows), and a leading filler or transcription mark
    before a capital letter ("Yeah, I ...", "[laughs] I ..."). Never empty: the whole text when nothing better
    is found.
    """
    spans = [(s, e) for s, e in sentences_of(text) if content_free_reason(text[s:e]) is None]
    if not spans:
        return 0, len(text)
    starts = [i for i, (s, e) in enumerate(spans) if opening_penalty(text[_trim_lead(text, s, e):e]) == 0
              and not (i < len(spans) - 1 and len(MARKER_PATTERN.sub(" ", text[s:e]).split()) == 1)]
    first = starts[0] if starts and starts[0] < len(spans) else 0
    begin = _trim_lead(text, spans[first][0], spans[first][1])
    return begin, spans[-1][1]


def quote_of(passage: Passage) -> Quote:
    """A quote of ``passage``: its :func:`standalone_span`, offsets exact in the transcript."""
    s, e = standalone_span(passage.text)
    return Quote(transcript=passage.transcript, participant=passage.participant, start=passage.start + s,
                 end=passage.start + e, text=passage.text[s:e], passage=passage.id)


def _without_end(text: str) -> str:
    """``text`` without its closing punctuation, an ellipsis whole ("in terms of days ..." reads "in terms of days",
    not "... days .."), and the spaces before it; a question or exclamation mark stays."""
    return text.rstrip(" .,;:\u2026")


def opening_words(passage: Passage) -> Quote:
    """The first words (up to the title length) of ``passage``'s standalone span, as a quote with exact offsets."""
    s, e = standalone_span(passage.text)
    words = list(re.finditer(r"\S+", passage.text[s:e]))
    if len(words) > TITLE_WORDS[1]:
        e = s + words[TITLE_WORDS[1] - 1].end()
    e = s + len(_without_end(passage.text[s:e]))
    return Quote(transcript=passage.transcript, participant=passage.participant, start=passage.start + s,
                 end=passage.start + e, text=passage.text[s:e], passage=passage.id)


#: A phrase ending on one of these was cut off mid-thought ("... an option to like").
_WEAK_ENDINGS = CONNECTIVES | FILLER_WORDS | frozenset(
    """a an the to of in on at for with from by as if than that which who whose whom my your our their his her
    its is are was were be been am i you we they he she it and or nor but because kind sort being""".split())


#: A word or two said twice in a row ("in the, in the"): a disfluency, not a title.
_STUTTER = re.compile(r"\b(\w+(?: \w+)?)\W+\1\b", re.IGNORECASE)


#: Two or more comma-separated items of one to three words ("Friendly, helpful, caring"): said by someone, but
#: it reads as a keyword list, which a title must not be.
_LIST = re.compile(r"^[\w'\-]+(?: [\w'\-]+){0,2}(?:, (?:and )?[\w'\-]+(?: [\w'\-]+){0,2})+[.!]*$")


def reads_as_list(text: str) -> bool:
    """Whether ``text`` reads as a list of words (:data:`_LIST`) as a title shows it, its spaces made single
    ("Excellent,  pleasant lady." as typed into a survey form is shown as a list of words too)."""
    return bool(_LIST.match(" ".join(text.split())))


#: Hesitation sounds: a phrase holding one is talk in progress, not a title.
_HESITATIONS = frozenset("uh uhh um umm uhm erm er ah mm hmm".split())

#: Spoken discourse markers inside a phrase ("to like highlight", "so like, you know, fitting"): a title holding
#: them reads as talk in progress, so a member phrase without them is preferred. "Like" as a verb or a comparison
#: ("I'd like to", "looks like the") is not one.
_DISCOURSE = re.compile(
    r"\b(?:you know|i mean|kind of|sort of|lol|basically|literally)\b|"
    r"(?:^|[,;]\s*|\b(?:the|a|of|to|do|is|was|and|so|just|it's|that's|it’s|that’s)\s+)like\b"
    r"(?!\s+(?:to|a|an|the|that|this|it|i|you|we|they|he|she|me|him|her|them|my|your|our|their)\b)",
    re.IGNORECASE,
)


def disfluencies(phrase: str) -> int:
    """How many spoken discourse markers (:data:`_DISCOURSE`) ``phrase`` holds."""
    return len(_DISCOURSE.findall(phrase))


def _last_word(text: str) -> str:
    words = re.findall(r"[A-Za-z']+", text)
    return words[-1].lower() if words else ""


def _phrases(passage: Passage) -> list[tuple[int, int]]:
    """Sentences of ``passage`` that could be a title: 3 to 14 words, two content words, a clean opening."""
    out = []
    for s, e in sentences_of(passage.text):
        s = _trim_lead(passage.text, s, e)
        e = s + len(_without_end(passage.text[s:e]))
        if e > s and is_title_phrase(passage.text[s:e]):
            out.append((s, e))
    return out


def is_title_phrase(phrase: str) -> bool:
    """Whether ``phrase`` can title a theme: 3 to 14 words, two content words, no transcription note, a clean
    opening (not "And ...", ", how ..."), no ending cut off mid-thought ("... an option to like"), no
    transcriber's note ("(unintelligible)"), no redaction mark ("XX rang me"), no hesitation ("Hmmm"), no stutter
    ("in the, in the") and not a list of words."""
    words = MARKER_PATTERN.sub(" ", phrase).split()
    bad_shape = ("[" in phrase or "(" in phrase or _STUTTER.search(phrase) or reads_as_list(phrase)
                 or not phrase[:1].isalnum() or REDACTION.search(phrase))
    if bad_shape or not TITLE_WORDS[0] <= len(words) <= TITLE_WORDS[1] or opening_penalty(phrase) == 2 \
            or _last_word(phrase) in _WEAK_ENDINGS:
        return False
    bare = {w.lower().strip(",.!?") for w in words}
    if bare & _HESITATIONS or any(HESITATION.match(w) for w in bare):  # "We tend to go, uh, and deal into"
        return False
    return len(point_words(phrase)) >= 2


def opening_rank(quote: Quote) -> int:
    """How well a passage's opening words (:func:`opening_words`) serve as a title where no member sentence does:
    0 a title phrase (:func:`is_title_phrase`); 1 not one, but no list of words, note, redaction mark, hesitation
    or opening mid-thought; 2 any other ("Uh, and, uh, and, uh, like, uh, I've had a chance to go and")."""
    text = quote.text
    if is_title_phrase(text):
        return 0
    bare = {w.lower().strip(",.!?") for w in text.split()}
    fair = not (reads_as_list(text) or REDACTION.search(text) or "(" in text or "[" in text
                or opening_penalty(text) == 2 or bare & _HESITATIONS)
    return 1 if fair and point_words(text) else 2


def choose_titles(
    members: Sequence[Sequence[int]], passages: Sequence[Passage], embeddings: NDArray[np.float32],
    centres: NDArray[np.float32], embed: Callable[[list[str]], NDArray[np.float32]] | None,
    *, instead: Callable[[int], Quote | None] | None = None,
) -> list[Quote | None]:
    """A verbatim title phrase for each group of ``members`` (passage indices), with ``centres`` its centre.

    Candidates are sentences (:func:`_phrases`) of the passages nearest each centre; each is scored by its
    cosine to its own centre less its highest cosine to any other centre, and the best of those with the fewest
    spoken discourse markers (:func:`disfluencies`) is kept. A candidate that
    is a whole passage uses that passage's vector; the others are embedded with ``embed`` in one call (cached).
    Where even the best is nearer another theme's centre than its own (no member sentence singles the theme out:
    a theme of "No." answers whose few longer sentences praise the care, "Very good - just long waiting times"),
    it would mislead; ``instead(group)`` gives the title then, unless it gives ``None``.

    Returns:
        A :class:`Quote` per group (offsets of the phrase itself), or ``None`` where no member sentence fits.
    """
    cands: list[tuple[int, int, int, int]] = []  # group, passage index, start, end (in the passage)
    for g, rows in enumerate(members):
        rows = list(rows)
        if not rows:
            continue
        sims = embeddings[rows] @ centres[g]
        order = [rows[i] for i in np.lexsort((np.asarray(rows), -np.round(sims, 6)))]
        picked: list[tuple[int, int, int, int]] = []
        for i in order:
            picked += [(g, i, s, e) for s, e in _phrases(passages[i])]
            if len(picked) >= TITLE_CANDIDATES:
                break
        # a phrase opening by pointing back ("He asked about my husband") only when no other will do
        clean = [c for c in picked if opening_penalty(passages[c[1]].text[c[2]:c[3]]) == 0]
        cands += clean or picked
    if not cands:
        return [None] * len(members)
    texts = [" ".join(MARKER_PATTERN.sub(" ", passages[i].text[s:e]).split()) for _g, i, s, e in cands]
    vectors = np.zeros((len(cands), embeddings.shape[1]), dtype=np.float32)
    need = [k for k, (_g, i, _s, _e) in enumerate(cands) if texts[k] != passages[i].analysis_text.rstrip(".,;:")]
    for k, (_g, i, _s, _e) in enumerate(cands):
        vectors[k] = embeddings[i]
    if need and embed is not None:
        unique = list(dict.fromkeys(texts[k] for k in need))
        found = np.asarray(embed(unique), dtype=np.float32)
        row = {t: r for r, t in enumerate(unique)}
        for k in need:
            v = found[row[texts[k]]]
            vectors[k] = v / (np.linalg.norm(v) or 1.0)
    sims = vectors @ centres.T
    groups = np.asarray([g for g, *_ in cands])
    own = sims[np.arange(len(cands)), groups]
    others = sims.copy()
    others[np.arange(len(cands)), groups] = -np.inf
    margin = own - (others.max(axis=1) if centres.shape[0] > 1 else 0.0)
    # fluent first (fewest discourse markers), then the most distinct, then the shorter
    keys = [(-disfluencies(texts[k]), round(float(margin[k]), 6), -len(texts[k])) for k in range(len(cands))]
    best: dict[int, tuple[float, int]] = {}
    for k, g in enumerate(groups.tolist()):
        if g not in best or keys[k] > keys[best[g][1]]:
            best[g] = (float(margin[k]), k)
    out: list[Quote | None] = []
    for g in range(len(members)):
        if g not in best:
            out.append(None)
            continue
        other = instead(g) if instead is not None and centres.shape[0] > 1 and best[g][0] <= 0 else None
        if other is not None:
            out.append(other)
            continue
        _g, i, s, e = cands[best[g][1]]
        p = passages[i]
        out.append(Quote(transcript=p.transcript, participant=p.participant, start=p.start + s, end=p.start + e,
                         text=p.text[s:e], passage=p.id))
    return out


def title_text(quote: Quote | None, fallback: str) -> str:
    """The title as shown: the phrase in quotation marks, its first letter capitalised; else ``fallback``."""
    if quote is None:
        return fallback
    phrase = " ".join(quote.text.split())
    return f"“{phrase[:1].upper()}{phrase[1:]}”"


def describe(*, people: int, passages: int, keywords: Sequence[str], subtitles: Sequence[str],
             touched: int | None = None) -> str:
    """One or two plain sentences about a theme, from its counts, its sub-themes' titles and its words only.

    ``people`` are those it is a real part of what they said (:mod:`wisdoms.themes.prevalence`), ``touched`` all
    with a passage in it (``None``: the same)."""
    who = "1 person" if people == 1 else f"{people} people"
    where = f"in {passages} passage{'s' if passages != 1 else ''}"
    if touched is None or touched == people:
        text = f"{who} said something on this, {where}."
    else:
        text = f"A real part of what {who} said, {where}; {touched} touched on it."
    if len(subtitles) > 1:
        shown = list(subtitles[:4])
        more = " …" if len(subtitles) > 4 else ""
        text += f" It brings together {len(subtitles)} sub-themes: " + "; ".join(shown) + more + "."
    elif keywords:
        text += " Words that mark it out: " + ", ".join(keywords[:4]) + "."
    return text
