"""Two levels from fine clusters: sub-themes (BERTopic's topics) grouped into themes.

Small pure functions over arrays. The fine clusters a fit finds become sub-themes after three steps:
no sub-theme may hold more than :data:`MAX_THEME_SHARE` of the passages (a collapsed cluster is split),
units the clustering left out join their nearest sub-theme when they are as close to it as its own members
are (:func:`attach_outliers`), and the sub-themes are grouped into :func:`theme_count` themes, none above
:data:`MAX_THEME_SHARE` either (:func:`group_subthemes`). With a codebook, sub-themes the codes seed form one theme per code
(:func:`subtheme_seeds`, :func:`group_with_seeds`) and the rest are grouped inductively.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

#: No theme (nor sub-theme) holds more than this share of the themed material's passages.
MAX_THEME_SHARE = 0.25
#: A left-out unit joins its nearest sub-theme when at least as close to its centre as this percentile of the
#: sub-theme's own members (the same rule, at the 10th percentile, places a re-run's new passages).
ATTACH_PERCENTILE = 5.0
#: Fewest and most themes at the top level.
MIN_THEMES, MAX_THEMES = 4, 12
#: With a codebook, a sub-theme joins the theme of the code that seeds most of it when that code seeds at least
#: this share of its passages. Measured on all three studies of benchmarks/theme_quality.py (each with its own
#: codebook), 0.3 against 0.5: AMI pdpilot 0.249 / 0.241, serdif 0.286 / 0.250, NHS 0.200 / 0.198
#: (BENCHMARKS.md, "Theme quality").
SEED_SHARE = 0.3


def theme_count(people: int) -> int:
    """How many themes to group sub-themes into: ``2 * sqrt(people)``, 4 to 12.

    About 6 for 10 conversations, 8 for 17, 12 from 36: a structure a panel can review in one sitting, at
    every size (10,000 survey respondents also give 12 themes, each with its sub-themes).
    """
    return int(min(MAX_THEMES, max(MIN_THEMES, round(2 * math.sqrt(max(people, 1))))))


def centres_of(labels: NDArray[np.int64], vectors: NDArray[np.float32], ids: list[int]) -> NDArray[np.float32]:
    """L2-normalised mean vector of each cluster in ``ids``."""
    out = np.zeros((len(ids), vectors.shape[1]), dtype=np.float32)
    for row, c in enumerate(ids):
        m = vectors[labels == c].mean(axis=0)
        out[row] = m / (np.linalg.norm(m) or 1.0)
    return out


def split_oversized(
    labels: NDArray[np.int64], vectors: NDArray[np.float32], weights: NDArray[np.float64], *,
    cap: float = MAX_THEME_SHARE, seed: int = 42,
) -> NDArray[np.int64]:
    """Split every cluster whose weight (passages) is over ``cap`` of the total into parts under it (k-means).

    HDBSCAN can put most of a corpus into one cluster (36 interviews: one theme held 93% of the passages);
    a cluster that big says nothing. Labels ``-1`` (in no cluster) are left as they are.
    """
    def parts(rows: NDArray[np.int64], share: float) -> NDArray[np.int64] | None:
        if len(rows) < 4:
            return None
        return kmeans_parts(vectors[rows], share, cap=cap, most=len(rows) // 2, seed=seed, n_init=3)

    return split_over_cap(labels, weights, parts, cap=cap, total=float(weights.sum()) or 1.0)[0]


def split_over_cap(
    labels: NDArray[np.int64], weights: NDArray[np.float64],
    parts: Callable[[NDArray[np.int64], float], NDArray[np.int64] | None], *, cap: float, total: float,
) -> tuple[NDArray[np.int64], dict[int, int]]:
    """Split every label over ``cap`` of ``total`` weight, again and again until none is over or none can be split.

    ``parts(rows, share)`` splits one: the part of each of its rows (part 0 keeps the label, each other part takes a
    new one), or ``None`` to leave it whole. Labels ``-1`` are left as they are.

    Returns:
        ``(labels, split_from)``: the new label of each row (new labels numbered after the old), and for each new
        label the label it was split from.
    """
    labels = labels.copy()
    split_from: dict[int, int] = {}
    next_id = int(labels.max()) + 1 if len(labels) else 0
    queue = sorted(int(c) for c in np.unique(labels) if c >= 0)
    while queue:
        c = queue.pop(0)
        rows = np.flatnonzero(labels == c)
        share = float(weights[rows].sum()) / total
        found = parts(rows, share) if share > cap else None
        if found is None:
            continue
        for part in sorted(set(found.tolist()) - {0}):
            labels[rows[found == part]] = next_id
            split_from[next_id] = split_from.get(c, c)
            queue.append(next_id)
            next_id += 1
        queue.append(c)
    return labels, split_from


def kmeans_parts(
    points: NDArray[np.float32], share: float, *, cap: float, most: int, seed: int, n_init: int,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.int64] | None:
    """The k-means part of each of ``points``, a group holding ``share`` of the weight: as many parts as bring it
    under ``cap`` on average (2 to ``most``); ``None`` when they do not come apart (identical points)."""
    from sklearn.cluster import KMeans

    k = min(most, max(2, math.ceil(share / cap)))
    found = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(points, sample_weight=weights)
    return np.asarray(found, dtype=np.int64) if len(set(found.tolist())) >= 2 else None


def split_lone_strands(
    labels: NDArray[np.int64], parents: dict[int, int], vectors: NDArray[np.float32], *, min_size: int, seed: int = 42,
) -> tuple[NDArray[np.int64], dict[int, int]]:
    """Sub-themes for a theme that is one fine cluster: split it (k-means of its units) into two or three parts of
    about ``min_size`` units or more each, when every part holds at least half that.

    A theme of hundreds of passages with no sub-theme (the sample: 7 of 8 themes, the largest 20% of the passages)
    shows a convener none of its parts. Which theme a unit is in does not change, only its sub-theme.

    Args:
        labels: Sub-theme per unit (``-1``: none).
        parents: Theme of each sub-theme.
        vectors: One L2-normalised row per unit.
        min_size: The fit's least cluster size, in units.

    Returns:
        ``(labels, parents)`` with the new sub-themes numbered after the others.
    """
    from sklearn.cluster import KMeans

    labels, parents = labels.copy(), dict(parents)
    strands: dict[int, int] = {}
    for theme in parents.values():
        strands[theme] = strands.get(theme, 0) + 1
    next_id = max(parents, default=-1) + 1
    least = max(2, min_size // 2)
    for sub, theme in sorted(parents.items()):
        rows = np.flatnonzero(labels == sub)
        k = min(3, len(rows) // max(min_size, 1))
        if strands[theme] != 1 or k < 2:
            continue
        found = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(vectors[rows])
        if min(np.bincount(found, minlength=k)) < least:
            continue
        for part in range(1, k):
            labels[rows[found == part]] = next_id
            parents[next_id] = theme
            next_id += 1
    return labels, parents


def attach_outliers(
    labels: NDArray[np.int64], vectors: NDArray[np.float32], *, percentile: float = ATTACH_PERCENTILE,
    eligible: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """Units in no cluster join their nearest cluster when as close to it as its ``percentile`` th member.

    Args:
        labels: Cluster per unit, ``-1`` for none.
        vectors: One L2-normalised row per unit.
        percentile: Of each cluster's members' cosines to its centre: the least a unit needs to join.
        eligible: Units that may join (``None``: all left out).

    Returns:
        ``(labels, nearest, cosine)``: the new labels, and for every unit its nearest cluster and cosine to
        it (what the report says of a unit still left out).
    """
    ids = sorted(int(c) for c in np.unique(labels) if c >= 0)
    nearest = np.full(len(labels), -1, dtype=np.int64)
    cosine = np.zeros(len(labels), dtype=np.float32)
    if not ids:
        return labels.copy(), nearest, cosine
    centres = centres_of(labels, vectors, ids)
    sims = vectors @ centres.T
    best = np.argmax(sims, axis=1)
    nearest = np.asarray(ids, dtype=np.int64)[best]
    cosine = sims[np.arange(len(labels)), best].astype(np.float32)
    floors = np.asarray([np.percentile(sims[labels == c, j], percentile) for j, c in enumerate(ids)], dtype=np.float32)
    out = labels.copy()
    free = labels < 0 if eligible is None else (labels < 0) & eligible
    join = free & (cosine >= floors[best])
    out[join] = nearest[join]
    return out, nearest, cosine


def group_subthemes(
    centres: NDArray[np.float32], weights: NDArray[np.float64], k: int, *, cap: float = MAX_THEME_SHARE,
    seed: int = 42, set_apart: bool = False,
) -> NDArray[np.int64]:
    """The theme of each sub-theme: weighted k-means of sub-theme centres into ``k`` groups, then any group
    over ``cap`` of the weight split again (a sub-theme is never split here; ``set_apart``: see :func:`split_groups`).

    Returns:
        A group per sub-theme, numbered from 0.
    """
    from sklearn.cluster import KMeans

    n = len(centres)
    if n <= k:
        return np.arange(n, dtype=np.int64)
    groups = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(centres, sample_weight=weights)
    groups = np.asarray(groups, dtype=np.int64)
    return split_groups(groups, centres, weights, cap=cap, seed=seed, set_apart=set_apart)[0]


def split_groups(
    groups: NDArray[np.int64], centres: NDArray[np.float32], weights: NDArray[np.float64], *,
    cap: float = MAX_THEME_SHARE, seed: int = 42, total: float | None = None, set_apart: bool = False,
) -> tuple[NDArray[np.int64], dict[int, int]]:
    """Split every group of sub-themes over ``cap`` of ``total`` weight (default: all of ``weights``) by weighted
    k-means of its sub-themes' centres (a sub-theme is never split).

    With ``set_apart``, a sub-theme over ``cap`` on its own becomes a group on its own first, so that the rest of
    its group is not split again and again around it (with a codebook, 11 inductive themes on serdif instead of 5).

    Returns:
        ``(groups, split_from)``: the new group of each sub-theme (new groups numbered after the old), and for each
        new group the group it was split from.
    """
    total = (float(weights.sum()) if total is None else total) or 1.0

    def parts(rows: NDArray[np.int64], share: float) -> NDArray[np.int64] | None:
        if len(rows) < 2:
            return None
        alone = np.flatnonzero(weights[rows] / total > cap) if set_apart else rows[:0]
        if 0 < len(alone) < len(rows):  # each a group of its own; the rest stay together, to be split if still over
            found = np.zeros(len(rows), dtype=np.int64)
            found[alone] = np.arange(1, len(alone) + 1)
            return found
        return kmeans_parts(centres[rows], share, cap=cap, most=len(rows), seed=seed, n_init=4, weights=weights[rows])

    return split_over_cap(groups, weights, parts, cap=cap, total=total)


def subtheme_seeds(
    labels: NDArray[np.int64], seeds: NDArray[np.int64], weights: NDArray[np.float64], ids: list[int], *,
    share: float = SEED_SHARE,
) -> list[int]:
    """The code that seeds each sub-theme in ``ids`` (``-1``: none).

    A sub-theme takes the seed carried by most of its weight (passages), when that is at least ``share`` of it.

    Args:
        labels: Sub-theme per unit (``-1``: none).
        seeds: Seed per unit (``-1``: the codebook does not confidently cover it).
        weights: Passages per unit.
        ids: Sub-theme ids, in the order wanted.
        share: The least share of a sub-theme's weight its seed must carry.
    """
    out = []
    for c in ids:
        rows = np.flatnonzero(labels == c)
        own = float(weights[rows].sum()) or 1.0
        seeded = rows[seeds[rows] >= 0]
        if not len(seeded):
            out.append(-1)
            continue
        tally = np.bincount(seeds[seeded], weights=weights[seeded])
        best = int(np.argmax(tally))  # ties: the lowest seed number
        out.append(best if tally[best] / own >= share else -1)
    return out


def group_with_seeds(
    centres: NDArray[np.float32], weights: NDArray[np.float64], sub_seeds: list[int], k: int, *,
    cap: float = MAX_THEME_SHARE, seed: int = 42,
) -> tuple[NDArray[np.int64], dict[int, int]]:
    """Themes from sub-themes when codes seed them: one theme per seeding code, the rest grouped inductively.

    Sub-themes seeded by the same code form that code's theme (deductive). The unseeded ones are grouped by
    :func:`group_subthemes` into new, inductive themes, as many as their share of ``k`` (at least one): the
    material no code covers gets the structure a study of its size would. The seeds holding the most weight each
    keep a theme, as many as :data:`MAX_THEMES` leaves beside the inductive ones; sub-themes of any other seed
    are grouped with the unseeded. Any theme over ``cap`` of all the weight is split (:func:`split_groups`); its
    parts keep their seed.

    Returns:
        ``(groups, seed_of)``: a group per sub-theme, numbered from 0, and the seed of each deductive group.
    """
    seeds = np.asarray(sub_seeds, dtype=np.int64)
    total = float(weights.sum()) or 1.0
    tally: dict[int, float] = {}
    for s, w in zip(seeds.tolist(), weights.tolist()):
        if s >= 0:
            tally[s] = tally.get(s, 0.0) + w
    ranked = sorted(tally, key=lambda s: (-tally[s], s))
    unseeded = float(weights[seeds < 0].sum())
    inductive = max(1, round(k * unseeded / total)) if unseeded > 0 else 0
    kept = ranked[: max(0, MAX_THEMES - max(inductive, 1 if len(ranked) > MAX_THEMES else 0))]
    if len(kept) < len(ranked):
        inductive = max(inductive, 1)
    group_of_seed = {s: g for g, s in enumerate(kept)}
    groups = np.asarray([group_of_seed.get(int(s), -1) for s in seeds], dtype=np.int64)
    # a sub-theme over the cap on its own is an inductive theme on its own; the rest fill the other inductive themes
    alone = np.flatnonzero((groups < 0) & (weights / total > cap))
    groups[alone] = len(kept) + np.arange(len(alone))
    rest = np.flatnonzero(groups < 0)
    if len(rest):
        rest_weight = float(weights[rest].sum()) or 1.0
        found = group_subthemes(centres[rest], weights[rest], max(1, inductive - len(alone)),
                                cap=cap * total / rest_weight, seed=seed, set_apart=True)
        groups[rest] = found + len(kept) + len(alone)
    groups, split_from = split_groups(groups, centres, weights, cap=cap, seed=seed, total=total, set_apart=True)
    seed_of = {g: s for s, g in group_of_seed.items()}
    seed_of.update({new: seed_of[old] for new, old in split_from.items() if old in seed_of})
    return groups, seed_of
