"""Who counts for a theme: a person whose substantive talk it is a real part of, not everyone who touched on it.

People in a listening conversation talk for an hour: on the shipped sample a participant makes a median of 30
substantive points (units of meaning, :mod:`wisdoms.themes.units`), in the think-aloud study 115, so nearly every
person has a point or two in nearly every theme, and "heard from 12 of 12" told themes apart for none of them
(BENCHMARKS.md, "Prevalence"). A person is counted for a theme when it holds at least half an even share of
their substantive points (with 7 themes, at least 1 in 14 of what they said), or at least as large a share of
their points as it holds of everyone's points together. The second clause is for a theme smaller than half an
even share: spread thinly over everyone, it reached nobody's 1 in 14, and the think-aloud study's report said
"0 of 17 participants; also touched on by 17 more". A theme's share of everyone's points is the average, weighted
by points, of its share of each person's, so someone is always at or above it: a theme anyone made a point in
counts at least one person, the people it is most a part of. Content-free talk was never a point, and a survey
respondent's one answer is all they said, so they count for its theme. Everyone with any passage in the theme is
kept too, as "also touched on by".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from ..models import Passage

#: A person counts for a theme holding at least this share of an even split of their points over the themes.
EVEN_SHARE = 0.5


def counted_people(passages: Sequence[Passage], units: Sequence[Sequence[int]],
                   members: Mapping[int, Sequence[int]]) -> dict[int, tuple[str, ...]]:
    """The participants counted for each theme, sorted.

    Args:
        passages: The substantive passages themes were found in, in transcript order.
        units: Their units of meaning (rows of ``passages``, :func:`~wisdoms.themes.units.units_of`), as the fit
            formed them: a person's points.
        members: Theme id -> rows of ``passages`` in it.

    Returns:
        Theme id -> the participants who have at least :func:`least_share` of their units of meaning in it
        (a unit counts for each theme any of its passages is in): never empty for a theme any unit is in.
    """
    theme_of: dict[int, int] = {row: t for t, rows in members.items() for row in rows}
    points: Counter[str] = Counter()
    inside: dict[int, Counter[str]] = {t: Counter() for t in members}
    for unit in units:
        person = passages[unit[0]].participant
        points[person] += 1
        for t in {theme_of[r] for r in unit if r in theme_of}:
            inside[t][person] += 1
    everyone = sum(points.values()) or 1
    counted: dict[int, tuple[str, ...]] = {}
    for t in members:
        share = least_share(len(members), sum(inside[t].values()) / everyone)
        counted[t] = tuple(sorted(p for p, n in inside[t].items() if n >= share * points[p] - 1e-9))
    return counted


def least_share(themes: int, overall: float = 1.0) -> float:
    """The share of a person's points a theme needs to hold for them to count: half of ``1 / themes``, or the
    theme's ``overall`` share of everyone's points where that is less."""
    return min(EVEN_SHARE / max(1, themes), overall)


def counting_rule(themes: int) -> str:
    """The plain line a report gives for what is counted, for a run of ``themes`` themes."""
    one_in = round(1 / least_share(themes))
    return (f"A person is counted for a theme when at least 1 in {one_in} of the points they made falls in it (half "
            f"an even share over the {themes} themes), or when it holds as large a share of their points as of "
            "everyone's (so a smaller theme counts the people it is most a part of); talk with no content never "
            "counts, and “also touched on by” counts everyone with any passage in it.")
