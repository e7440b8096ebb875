"""A report as data: an ordered list of sections made of a few kinds of block, with its wording held once.

:func:`wisdoms.report.document.build_document` writes every sentence of the convener report into these
blocks; the HTML, Markdown and Word writers only map each kind of block to their format. A writer never
adds wording of its own beyond punctuation and what its format needs (a Markdown table's rule line).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """A run of inline text with a style.

    Attributes:
        text: The words.
        style: ``""``, ``strong``, ``em``, ``code`` (a file name or citation), ``small``, ``status``, or
            ``hidden`` (words for screen readers only: what an empty cell means).
        href: A place in the same report (``#theme-3``), for formats that link; others print the text only.
        tone: For ``status``: ``ok``, ``no`` or ``""`` (a candidate).
    """

    text: str
    style: str = ""
    href: str = ""
    tone: str = ""


Inline = str | Span
#: A line of inline text: plain strings and :class:`Span` runs.
Rich = tuple[Inline, ...]


def plain(rich: Rich) -> str:
    """The words of a rich line, styles dropped."""
    return "".join(part if isinstance(part, str) else part.text for part in rich)


@dataclass(frozen=True)
class Para:
    """A paragraph; ``role`` ``note`` is boxed (a reading note), ``lead`` the report's opening line."""

    parts: Rich
    role: str = ""


@dataclass(frozen=True)
class Heading:
    """A heading inside a section: ``level`` 1 is one below the section's own title."""

    text: str
    level: int = 1
    anchor: str = ""


@dataclass(frozen=True)
class Bullets:
    """A list; ``ordered`` numbers it."""

    items: tuple[Rich, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Facts:
    """Term and value pairs (a definition list)."""

    items: tuple[tuple[str, Rich], ...]


@dataclass(frozen=True)
class Table:
    """A table with a caption and one header row; the first column heads each row.

    Attributes:
        caption: What the table shows.
        anchor: Id of the caption (HTML), so a scroll box can be labelled by it.
        header: Column headings.
        rows: One tuple of cells a row; a cell is rich text.
        numeric: Indexes of the columns holding numbers (right-aligned).
        wide: Wider than a page: on screen it scrolls inside its own box.
    """

    caption: str
    anchor: str
    header: tuple[str, ...]
    rows: tuple[tuple[Rich, ...], ...]
    numeric: tuple[int, ...] = ()
    wide: bool = False


@dataclass(frozen=True)
class Quote:
    """A participant's words, verbatim, and where they come from (``who``, ``citation``, ``note``)."""

    text: str
    who: str
    citation: str
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the same picture as SVG (HTML) and PNG (Word), with its text alternative.

    Attributes:
        title: A short name (the SVG ``<title>``, the Word picture's title).
        alt: The text alternative: every number the chart shows, in words.
        svg: An ``<svg>`` element (no XML prolog), its ``role``, title and description set.
        png: The PNG image.
        width_cm: How wide it is printed in Word.
    """

    title: str
    alt: str
    svg: str = field(repr=False)
    png: bytes = field(repr=False)
    width_cm: float = 16.0


@dataclass(frozen=True)
class Figure:
    """A chart with its caption and a table of the same numbers (for formats without pictures)."""

    chart: Chart
    caption: str
    table: Table
    anchor: str = ""


@dataclass(frozen=True)
class ThemeSummary:
    """One theme on the first screen: its title (linked to its detail), lines about it, one strong quote."""

    title: Rich
    lines: tuple[Rich, ...]
    quote: Quote | None = None


@dataclass(frozen=True)
class ScreenOnly:
    """Blocks for a screen that can scroll (HTML and Markdown), and what paper and Word show instead."""

    screen: tuple[Block, ...]
    paper: tuple[Block, ...]


@dataclass(frozen=True)
class Section:
    """A section of the report; sections nest (a theme inside "Themes in detail").

    ``kind`` ``theme`` is one theme's part (an article in HTML, kept on its own page in print where it fits).
    """

    id: str
    title: str
    blocks: tuple[Block, ...]
    kind: str = ""


Block = Para | Heading | Bullets | Facts | Table | Quote | Figure | ThemeSummary | ScreenOnly | Section


@dataclass(frozen=True)
class Report:
    """The whole report: title, opening blocks, sections in reading order, and contents. (A draft's stamp is
    the writers' to place: the page's banner, Word's page headers.)"""

    title: str
    lead: tuple[Block, ...]
    sections: tuple[Section, ...]
    #: (section id, text) for the table of contents, in order.
    contents: tuple[tuple[str, str], ...] = ()
