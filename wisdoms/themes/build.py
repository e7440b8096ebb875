"""Themes from each passage's sub-theme: members, centres, keywords, titles, descriptions and quotes.

Shared by a fresh fit (:mod:`wisdoms.themes.fit`) and a carried-over one
(:mod:`wisdoms.themes.incremental`), so both describe a theme the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from ..models import MARKER_PATTERN, Passage, Quote, SubTheme, Theme
from ..segment import NOTE, REDACTION
from ..settings import Settings
from .keywords import _dedupe_keywords, same_words
from .prevalence import counted_people
from .titles import (
    choose_titles,
    describe,
    opening_penalty,
    opening_rank,
    opening_words,
    quote_of,
    reads_as_list,
    title_text,
)


def _centre(embeddings: NDArray[np.float32], rows: Sequence[int]) -> NDArray[np.float32]:
    c = embeddings[list(rows)].mean(axis=0)
    return (c / (np.linalg.norm(c) or 1.0)).astype(np.float32)


def _build_themes(
    passages: Sequence[Passage], embeddings: NDArray[np.float32], subtopics: Sequence[int], parents: Mapping[int, int],
    sub_words: Mapping[int, list[str]], theme_words: Mapping[int, list[str]], settings: Settings,
    embed: Callable[[list[str]], NDArray[np.float32]] | None, *, units: Sequence[Sequence[int]],
    origins: Mapping[int, str] | None = None,
) -> tuple[list[Theme], dict[int, NDArray[np.float32]]]:
    """Themes (largest first) and their centres from each passage's sub-theme (``-1``: none) and each
    sub-theme's theme (``parents``); ``units`` are the passages' units of meaning, as the fit formed them (people
    are counted in them); ``origins`` names the code that seeded each theme from the codebook (the others are
    inductive)."""
    origins = origins or {}
    by_sub: dict[int, list[int]] = {}
    for i, s in enumerate(subtopics):
        if s >= 0:
            by_sub.setdefault(int(s), []).append(i)
    by_theme: dict[int, list[int]] = {}
    subs_of: dict[int, list[int]] = {}
    for s in sorted(by_sub, key=lambda s: (-len(by_sub[s]), s)):
        t = int(parents[s])
        by_theme.setdefault(t, []).extend(by_sub[s])
        subs_of.setdefault(t, []).append(s)
    order = sorted(by_theme, key=lambda t: (-len(by_theme[t]), t))
    for t in order:
        by_theme[t].sort()
    centroids = {t: _centre(embeddings, by_theme[t]) for t in order}
    sub_ids = [s for t in order for s in subs_of[t]]
    sub_centres = {s: _centre(embeddings, by_sub[s]) for s in sub_ids}

    theme_titles = _titles([by_theme[t] for t in order], [centroids[t] for t in order], passages, embeddings, embed)
    # a theme of one strand shows no sub-themes: its title would only repeat the theme's
    shown_subs = [s for t in order if len(subs_of[t]) > 1 for s in subs_of[t]]
    sub_titles = dict(zip(shown_subs, _titles([by_sub[s] for s in shown_subs], [sub_centres[s] for s in shown_subs],
                                              passages, embeddings, embed)))

    for t, title in zip(order, theme_titles):  # a sub-theme titled with its theme's own words says nothing more
        for s in subs_of[t]:
            same = sub_titles.get(s)
            if title is not None and same is not None and same.citation == title.citation:
                rows = by_sub[s]
                sims = np.round(embeddings[rows] @ sub_centres[s], 6)
                central = [rows[i] for i in np.lexsort((np.asarray(rows), -sims))][:20]
                other = [q for q in (opening_words(passages[i]) for i in central)
                         if q.citation != title.citation and not reads_as_list(q.text)]  # never a list of words
                sub_titles[s] = min(other, key=opening_rank) if other else same  # the most central of the best
    counted = counted_people(passages, units, {t: by_theme[t] for t in order})
    themes: list[Theme] = []
    for t, title in zip(order, theme_titles):
        members = by_theme[t]
        keywords = tuple(_dedupe_keywords([w for w in theme_words.get(t, []) if w])[:8])
        subthemes = tuple(
            SubTheme(id=s, label=title_text(sub_titles[s], ", ".join(sub_words.get(s, [])[:3]) or f"sub-theme {s}"),
                     passage_ids=tuple(passages[i].id for i in sorted(by_sub[s])),
                     participants=len({passages[i].participant for i in by_sub[s]}),
                     keywords=tuple(_dedupe_keywords([w for w in sub_words.get(s, []) if w])[:8]),
                     title_quote=sub_titles[s])
            for s in subs_of[t] if s in sub_titles
        )
        touched = len({passages[i].participant for i in members})
        people = len(counted[t])
        position = {i: n for n, i in enumerate(members)}
        quotes = representative_quotes([passages[i] for i in members], embeddings[members], centroids[t],
                                       k=settings.quotes_per_theme,
                                       strands=[[position[i] for i in by_sub[s]] for s in subs_of[t]])
        themes.append(Theme(
            id=t, label=title_text(title, ", ".join(keywords[:3]) or f"theme {t}"), keywords=keywords,
            passage_ids=tuple(passages[i].id for i in members), participants=people, quotes=quotes,
            description=describe(people=people, passages=len(members), keywords=keywords,
                                 subtitles=[st.label for st in subthemes], touched=touched),
            participant_ids=counted[t], touched_by=touched,
            subthemes=subthemes, title_quote=title, title_source="quote" if title is not None else "keywords",
            origin="codebook" if t in origins else "inductive", seed_code=origins.get(t, ""),
        ))
    return themes, centroids


def _titles(groups: list[list[int]], centres: list[NDArray[np.float32]], passages: Sequence[Passage],
            embeddings: NDArray[np.float32], embed: Callable[[list[str]], NDArray[np.float32]] | None) -> list[Quote | None]:
    """A title phrase per group; where no member sentence fits, the opening words of its most central passage.
    Where no member sentence singles the group out (:func:`choose_titles`), the opening words of its most central
    passage that does (nearer its own centre than any other), reads as no list and names no one (no redaction
    mark), if one of the 20 most central does ("No", for a theme of "No." answers)."""
    if not groups:
        return []
    matrix = np.stack(centres)

    def central(g: int) -> list[int]:
        """The group's 20 most central passages, most central first."""
        rows = groups[g]
        sims = np.round(embeddings[rows] @ matrix[g], 6)
        return [rows[i] for i in np.lexsort((np.asarray(rows), -sims))[:20]]

    def distinct(g: int) -> Quote | None:
        rows = central(g)
        openings = [opening_words(passages[i]) for i in rows]
        kept = [k for k, q in enumerate(openings) if not reads_as_list(q.text) and not REDACTION.search(q.text)]
        if not kept:
            return None
        vectors = embeddings[[rows[k] for k in kept]]  # the words themselves where they can be embedded
        if embed is not None:
            vectors = np.asarray(embed([" ".join(MARKER_PATTERN.sub(" ", openings[k].text).split()) for k in kept]),
                                 dtype=np.float32)
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        sims = vectors @ matrix.T
        own = sims[:, g].copy()
        sims[:, g] = -np.inf
        return next((openings[k] for k, margin in zip(kept, own - sims.max(axis=1)) if margin > 0), None)

    titles = choose_titles(groups, passages, embeddings, matrix, embed, instead=distinct)
    for g, title in enumerate(titles):
        if title is None:
            openings = [opening_words(passages[i]) for i in central(g)]  # passed over while they read as a list
            titles[g] = min(openings, key=opening_rank)  # the most central that reads best as a title
    return titles


#: A redaction mark as a word of its own (a run of the letter X, of asterisks or of block characters): a quote mostly
#: of these says nothing to a reader.
_REDACTED_TOKEN = re.compile(r"^[(\[]?(?:[Xx]+|\*{2,}|\u2588+)[)\].,;:!?]*$")
#: Words no finished English sentence ends on: a quote ending "... most in line with like the." trails off.
_TRAILING = frozenset("a an the and or but nor of like my your our their his her because than".split())


def trails_off(text: str) -> bool:
    """Whether a quote is cut off mid-sentence: it ends with no full stop, question or exclamation mark ("... over
    in"), or on a word no sentence ends on ("... in line with like the.")."""
    words = re.findall(r"[A-Za-z']+", text)
    return text.rstrip()[-1:] not in ".!?\"”’)…" or (bool(words) and words[-1].lower() in _TRAILING)


def representative_quotes(
    passages: Sequence[Passage],
    embeddings: NDArray[np.float32],
    centroid: NDArray[np.float32],
    *,
    k: int = 5,
    min_words: int = 8,
    max_words: int = 80,
    strands: Sequence[Sequence[int]] = (),
) -> tuple[Quote, ...]:
    """Up to ``k`` quotes from the passages closest to the theme's centre that stand on their own.

    Each quote is the passage's sentence-aligned span that stands alone (:func:`~wisdoms.themes.titles.quote_of`:
    no leading "Yeah." or "And ..." where the passage offers a cleaner start). Quotes come from different people
    first, and, given ``strands`` (indices into ``passages``, one list per sub-theme), from each sub-theme in turn.
    Quotes mostly of redaction marks, or only a transcriber's note ("(The participant reads the task again)"),
    come last; then quotes of readable length that open cleanly and do not trail
    off (:func:`trails_off`) are preferred; the choice is deterministic (ties broken by id). No
    two quotes say the same words (:func:`~wisdoms.themes.keywords.same_words`): a theme of 400 "Nothing" answers
    shows "Nothing" once, so it can have fewer than ``k`` quotes.
    """
    scores = embeddings @ centroid
    cut = [quote_of(p) for p in passages]

    def rank(i: int) -> tuple:
        tokens = MARKER_PATTERN.sub(" ", cut[i].text).split()
        redacted = sum(bool(_REDACTED_TOKEN.match(t)) for t in tokens)
        readable = min_words <= len(tokens) - redacted <= max_words
        unsaid = redacted * 4 > len(tokens) or not re.search(r"[A-Za-z]", NOTE.sub(" ", " ".join(tokens)))
        return (unsaid, not readable, opening_penalty(cut[i].text), trails_off(cut[i].text),
                -round(float(scores[i]), 6), passages[i].id)

    pools = [sorted(s, key=rank) for s in strands if s] or [sorted(range(len(passages)), key=rank)]
    chosen: list[int] = []
    people: set[str] = set()
    said: set[str] = set()
    for new_person_only in (True, False):
        progress = True
        while progress and len(chosen) < k:
            progress = False
            for pool in pools:
                for i in pool:
                    words = same_words(cut[i].text)
                    if i in chosen or words in said or (new_person_only and passages[i].participant in people):
                        continue
                    chosen.append(i)
                    people.add(passages[i].participant)
                    said.add(words)
                    progress = True
                    break
                if len(chosen) == k:
                    break
    return tuple(cut[i] for i in chosen)


def left_out_reasons(
    passages: Sequence[Passage], embeddings: NDArray[np.float32], units: Sequence[Sequence[int]],
    subtopics: Sequence[int], centre_ids: Sequence[int], centres: NDArray[np.float32], least: Callable[[Passage], int],
    parents: Sequence[int] = (),
) -> dict[str, str]:
    """Why each passage in no sub-theme is there (``units``: the passages' units of meaning, as the fit formed
    them): its unit of meaning is too short to theme on its own
    (fewer than ``least(first passage)`` words), or not close enough to any sub-theme (the nearest named, with
    its cosine, and its theme where ``parents`` gives each sub-theme's, in the order of ``centre_ids``: a theme
    of one strand lists no sub-theme, so its number alone would name nothing). The same for a fit and a
    carried-over run, from what a saved state holds."""
    from .units import unit_vectors

    out: dict[str, str] = {}
    left = [list(u) for u in units if all(subtopics[i] < 0 for i in u)]
    if not left:
        return out
    vectors = unit_vectors(left, embeddings)
    sims = vectors @ centres.T if len(centre_ids) else np.zeros((len(left), 0), dtype=np.float32)
    for u, rows in enumerate(left):
        need = least(passages[rows[0]])
        if sum(passages[i].words for i in rows) < need:
            why = f"too short to theme (this stretch of talk has fewer than {need} words)"
        elif sims.shape[1]:
            j = int(np.argmax(sims[u]))
            near = (f"theme {int(parents[j])}, sub-theme {centre_ids[j]}" if len(parents) == len(centre_ids)
                    else f"sub-theme {centre_ids[j]}")
            why = (f"not close enough to any theme (nearest: {near}, similarity "
                   f"{float(sims[u, j]):.2f}, below what its own passages reach)")
        else:
            why = "not close enough to any theme (no theme was found)"
        for i in rows:
            out[passages[i].id] = why
    return out
