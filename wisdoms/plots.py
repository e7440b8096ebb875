"""Figures for a researcher's notebook: prevalence in people, themes by participant group, a map of themes.

Each function takes an :class:`~wisdoms.results.Analysis` (the methods ``Analysis.plot_*`` call them; this
module imports only the models, so the results module can import it) and returns a
:class:`matplotlib.figure.Figure`, made without pyplot, so a notebook shows it once and a script
can ``fig.savefig(...)``. Counts are of people, never passages. Themes a panel rejected or merged are left
out, as in the reports. matplotlib is imported when a figure is first drawn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .errors import WisdomsError
from .groups import breakdown
from .models import PREFERRED_GROUPS, SMALL_NUMBER, Passage, Theme

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


class Plottable(Protocol):
    """What the figures read of a :class:`wisdoms.results.Analysis`."""

    @property
    def themes(self) -> Sequence[Theme]: ...
    @property
    def passages(self) -> Sequence[Passage]: ...
    @property
    def participants(self) -> Mapping[str, Mapping[str, str]]: ...
    @property
    def embeddings(self) -> Any: ...

#: Longest theme label shown on an axis before it is cut with an ellipsis.
LABEL_CHARS = 48
#: An attribute with more values than this is not a grouping (a row number, a date).
MAX_GROUPS = 12


def _open(themes: Any) -> list[Theme]:
    return [t for t in themes if t.status not in ("rejected", "merged")]


def _label(theme: Theme) -> str:
    text = f"{theme.id}: {theme.label}"
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - a dependency
        raise WisdomsError("plots need matplotlib", hint="pip install matplotlib") from exc

    class NotebookFigure(Figure):
        """A figure a notebook shows as a picture without pyplot or ``%matplotlib inline``."""

        def _repr_png_(self) -> bytes:
            import io

            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100)
            return buffer.getvalue()

    return NotebookFigure(figsize=(width, height), layout="constrained")


def prevalence(analysis: Plottable, *, top: int | None = 20) -> Figure:
    """A bar per theme: how many of the people listened to raised it (largest first).

    Args:
        analysis: The analysis.
        top: Only the ``top`` themes heard from the most people (``None``: all).
    """
    themes = sorted(_open(analysis.themes), key=lambda t: (-t.participants, t.id))[: top or None]
    total = len(analysis.participants)
    fig = _figure(8, 1.2 + 0.35 * max(len(themes), 1))
    ax = fig.add_subplot()
    ax.barh([_label(t) for t in themes], [t.participants for t in themes], color="#0b5394")
    ax.invert_yaxis()
    ax.set_xlabel(f"people who raised it (of {total})")
    ax.set_title("Themes by the number of people who raised them")
    if total:
        ax.set_xlim(0, total)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def group_of(analysis: Plottable, by: str | None = None) -> tuple[str, dict[str, str]]:
    """The participant attribute to break themes down by, and each participant's value of it.

    Raises:
        WisdomsError: ``by`` is not an attribute of any participant, or no attribute makes groups.
    """
    people = analysis.participants
    known: dict[str, set[str]] = defaultdict(set)
    for attrs in people.values():
        for key, value in attrs.items():
            known[key].add(str(value))
    if by is None:
        usable = [k for k, values in known.items() if 2 <= len(values) <= MAX_GROUPS]
        preferred = [k for k in PREFERRED_GROUPS if k in usable]
        if not (preferred or usable):
            raise WisdomsError("no participant attribute makes groups to break the themes down by",
                               hint="add attributes (group, area, ...) in participants.csv or the front matter")
        by = (preferred or usable)[0]
    elif by not in known:
        raise WisdomsError(f"no participant has the attribute {by!r}",
                           hint=f"choose one of: {', '.join(sorted(known)) or '(none recorded)'}")
    return by, {pid: str(attrs.get(by, "not recorded")) for pid, attrs in people.items()}


def by_group(analysis: Plottable, *, by: str | None = None, top: int | None = 20, suppress: bool = True) -> Figure:
    """A grid of themes by participant group: in each cell, how many people of that group raised the theme.

    Args:
        analysis: The analysis.
        by: The participant attribute (default: ``group``, ``area``, ``service`` or ``region``, else the
            first attribute with 2 to 12 values).
        top: Only the ``top`` themes heard from the most people.
        suppress: As the reports do (for a figure that may be shared): every count under 5 people, 0
            included, shows as ``<5`` with no shade, and the next smallest in its row too where only one would
            be; a group of fewer than 5 people is no column. ``False`` shows every count (the researcher's own
            view).

    Raises:
        WisdomsError: ``by`` is not an attribute of any participant, or none makes groups; with ``suppress``,
            every group of ``by`` has fewer than 5 people.
    """
    import numpy as np


    by, group = group_of(analysis, by)
    themes = sorted(_open(analysis.themes), key=lambda t: (-t.participants, t.id))[: top or None]
    groups = sorted(set(group.values()))
    who = {p.id: p.participant for p in analysis.passages}
    counts = np.zeros((len(themes), len(groups)), dtype=int)
    column = {g: j for j, g in enumerate(groups)}
    for i, t in enumerate(themes):
        for pid in t.counted(who):
            counts[i, column[group.get(pid, "not recorded")]] += 1
    hidden = np.zeros_like(counts, dtype=bool)
    if suppress:
        for i in range(len(themes)):
            cells = {r.group: r.suppressed for r in breakdown({g: int(counts[i, j]) for j, g in enumerate(groups)},
                                                              hide_zero=True)}
            hidden[i] = [cells[g] for g in groups]
        sizes = Counter(group.values())
        keep = [j for j, g in enumerate(groups) if sizes[g] >= SMALL_NUMBER]  # a small group is never a column
        if not keep:
            raise WisdomsError(f"every {by.replace('_', ' ')} group has fewer than {SMALL_NUMBER} people: a shared "
                               "figure would show nothing", hint="choose another attribute with by=..., or "
                               "suppress=False for your own view")
        groups, counts, hidden = [groups[j] for j in keep], counts[:, keep], hidden[:, keep]
    shade = np.where(hidden, 0, counts)
    fig = _figure(2.5 + 1.1 * len(groups), 1.2 + 0.35 * max(len(themes), 1))
    ax = fig.add_subplot()
    image = ax.imshow(shade, cmap="Blues", aspect="auto", vmin=0, vmax=max(int(shade.max(initial=0)), 1))
    ax.set_xticks(range(len(groups)), groups, rotation=30, ha="right")
    ax.set_yticks(range(len(themes)), [_label(t) for t in themes])
    ax.set_xlabel(by.replace("_", " "))
    ax.set_title(f"People who raised each theme, by {by.replace('_', ' ')}")
    top_value = shade.max() if shade.size else 0
    for i in range(len(themes)):
        for j in range(len(groups)):
            text = f"<{SMALL_NUMBER}" if hidden[i, j] else str(counts[i, j])
            ax.text(j, i, text, ha="center", va="center", color="white" if shade[i, j] > top_value / 2 else "black")
    fig.colorbar(image, ax=ax, label="people", shrink=0.6)
    return fig


def theme_map(analysis: Plottable) -> Figure:
    """A 2-D map of the themes: each theme's centre (the mean of its passages' embeddings) placed by its two
    principal components, the dot's area by the people who raised it. Themes near each other are close in
    meaning; the axes themselves mean nothing.

    Raises:
        WisdomsError: The analysis has no embeddings (one loaded from a run folder), or fewer than 2 themes.
    """
    import numpy as np

    if analysis.embeddings is None:
        raise WisdomsError("the map needs the passages' embeddings, which a loaded analysis does not keep",
                           hint="run wisdoms.run(...) in this session (the embeddings come from the cache)")
    themes = _open(analysis.themes)
    if len(themes) < 2:
        raise WisdomsError(f"a map needs 2 or more themes; this analysis has {len(themes)}")
    row = {p.id: i for i, p in enumerate(analysis.passages)}
    vectors = np.asarray(analysis.embeddings, dtype=np.float64)
    centres = np.stack([vectors[[row[p] for p in t.passage_ids if p in row]].mean(axis=0) for t in themes])
    centred = centres - centres.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ components[:2].T
    xy *= np.sign(xy[np.abs(xy).argmax(axis=0), range(2)])  # one orientation for the same themes, run to run
    people = np.array([t.participants for t in themes], dtype=float)
    fig = _figure(8, 6)
    ax = fig.add_subplot()
    ax.scatter(xy[:, 0], xy[:, 1], s=60 + 600 * people / max(people.max(), 1), alpha=0.5, color="#0b5394")
    for (x, y), t in zip(xy, themes):
        ax.annotate(_label(t), (x, y), fontsize=8, ha="center", va="center")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Themes by meaning (closer = more alike); dot size = people who raised it")
    return fig
