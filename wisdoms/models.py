"""Small frozen dataclasses shared by every stage.

Offsets are Unicode code-point offsets into ``Transcript.text`` (the file's text as decoded), so
``transcript.text[passage.start:passage.end] == passage.text`` always holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, Generic, Literal, TypeVar

Role = Literal["participant", "interviewer"]

#: Transcription markers such as ``[inaudible]`` or ``[NAME]``: quoted verbatim, never analysed as words.
MARKER_PATTERN = re.compile(r"\[[^\[\]\n]{1,40}\]")


def analysis_positions(text: str) -> tuple[int, ...]:
    """For each character of a passage's analysis text (markers like ``[inaudible]`` removed, spaces collapsed:
    :attr:`Passage.analysis_text`), its index in ``text``. A space standing for a marker or a run of spaces
    points at that run's first character, so a span of the analysis text maps back to a span of ``text``."""
    chars: list[tuple[str, int]] = []  # text with each marker as one space, as analysis_text builds it
    last = 0
    for marker in MARKER_PATTERN.finditer(text):
        chars.extend((c, i) for i, c in enumerate(text[last : marker.start()], last))
        chars.append((" ", marker.start()))
        last = marker.end()
    chars.extend((c, i) for i, c in enumerate(text[last:], last))
    out: list[int] = []
    gap: int | None = None  # first character of the spaces since the last word, once a word has been seen
    for c, i in chars:
        if c.isspace():
            if out and gap is None:
                gap = i
        else:
            if gap is not None:
                out.append(gap)
                gap = None
            out.append(i)
    return tuple(out)

#: Counts of people below this are never printed in a breakdown by participant group.
SMALL_NUMBER = 5
#: Participant attributes preferred for breakdowns by group, in order.
PREFERRED_GROUPS = ("group", "area", "service", "region")

#: Transcript formats that hold survey answers, one respondent a row (``Transcript.format``).
TABLE_FORMATS = frozenset({"csv", "xlsx"})


def is_table_source(transcript_id: str) -> bool:
    """Whether a transcript id (its path in the transcripts folder) names a survey table, by its suffix:
    for places that have only the id (a quote's source, a source inside a .qdpx)."""
    return transcript_id.lower().endswith(tuple(f".{f}" for f in TABLE_FORMATS))


def row_id(transcript_id: str, row: int) -> str:
    """The participant id wisdoms gives a respondent of a table with no id column: the file's name and the row's
    line number (``answers-r12``), which says no more than the file name does."""
    return f"{PurePosixPath(transcript_id).stem}-r{row}"


def is_row_id(participant: str, transcript_id: str) -> bool:
    """Whether ``participant`` is an id wisdoms made for a row of the table ``transcript_id`` (:func:`row_id`):
    the privacy gate checks the file name, and a row number names no one."""
    if not is_table_source(transcript_id):
        return False
    stem = PurePosixPath(transcript_id).stem
    return participant.startswith(f"{stem}-r") and participant[len(stem) + 2:].isdigit()


@dataclass(frozen=True)
class Turn:
    """One speaker's turn: the span of their words in the transcript (label excluded).

    Attributes:
        speaker: The label as written (``Participant``, ``P1``, ``Interviewer``).
        role: ``participant`` or ``interviewer``.
        participant: The participant id whose words these are (``None`` for interviewers).
        start: Offset of the first character of the speech.
        end: Offset just past the last character of the speech.
        line: 1-based line where the turn starts.
        time: Timestamp of the turn where the source has one (``00:03:12``), else ``None``.
    """

    speaker: str
    role: Role
    participant: str | None
    start: int
    end: int
    line: int
    time: str | None = None


@dataclass(frozen=True, eq=False)
class Transcript:
    """A conversation as read from one file.

    Attributes:
        id: The file path relative to the transcripts folder, with ``/`` separators.
        path: Absolute path of the file.
        text: The whole file text as decoded; every offset refers to it.
        format: The reader that read it (``text``, ``docx``, ``vtt`` ...).
        participants: Participant id -> attributes (area, age band, ...), in order of appearance.
        turns: Every turn, interviewer turns included, in order.
        sha256: Hash of the file's bytes, for the run manifest.
    """

    id: str
    path: str
    text: str
    format: str
    participants: Mapping[str, Mapping[str, str]]
    turns: tuple[Turn, ...]
    sha256: str

    def participant_turns(self) -> tuple[Turn, ...]:
        """The turns whose words are a participant's."""
        return tuple(t for t in self.turns if t.role == "participant")


@dataclass(frozen=True)
class Passage:
    """One or a few consecutive sentences of one participant turn.

    Attributes:
        id: Stable id ``<transcript>#<start>-<end>``.
        transcript: Transcript id (relative path).
        participant: Participant id.
        start: Offset of the first character.
        end: Offset just past the last character.
        text: ``transcript.text[start:end]``, verbatim.
        turn: Index of the turn in ``Transcript.turns``.
        sentences: How many sentences it holds.
    """

    id: str
    transcript: str
    participant: str
    start: int
    end: int
    text: str
    turn: int
    sentences: int = 1

    # Computed once per passage (a 50k re-run read them half a million times); not fields, so equality,
    # hashing, ``asdict`` and ``replace`` are as before.
    @cached_property
    def analysis_text(self) -> str:
        """The text used for embedding: markers like ``[inaudible]`` removed, spaces collapsed."""
        return " ".join(MARKER_PATTERN.sub(" ", self.text).split())

    @cached_property
    def analysis_positions(self) -> tuple[int, ...]:
        """Where each character of :attr:`analysis_text` is in :attr:`text` (see :func:`analysis_positions`)."""
        return analysis_positions(self.text)

    @cached_property
    def words(self) -> int:
        """Number of words the participant said here (markers excluded)."""
        return len(self.analysis_text.split())

    def __getstate__(self) -> dict[str, Any]:
        """The fields only: a pickled passage (to Dask workers, to the privacy prescan) does not carry its
        cached analysis text too."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Quote:
    """A verbatim quote with its citation."""

    transcript: str
    participant: str
    start: int
    end: int
    text: str
    passage: str

    @property
    def citation(self) -> str:
        """``transcript:start-end``, the form reports print."""
        return f"{self.transcript}:{self.start}-{self.end}"


@dataclass(frozen=True)
class Code:
    """One code of a codebook.

    Attributes:
        id: Stable identifier (never reused).
        name: Short, plain-language name.
        definition: What the code captures.
        parent: Id of the parent code, or ``None`` at the top level.
        include: When to apply it.
        exclude: When not to apply it.
        examples: Example quotes.
        status: ``active`` or ``retired``.
        line: Line in the codebook file where the code starts (for error messages), if known.
    """

    id: str
    name: str
    definition: str
    parent: str | None = None
    include: str = ""
    exclude: str = ""
    examples: tuple[str, ...] = ()
    status: str = "active"
    history: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Evidence:
    """Why a text (or a theme) scored what it did for a code, kept as data; :meth:`words` puts it in words for a
    report or a table.

    Attributes:
        code: The code's id.
        descriptor: The code's descriptor the text (or its clause, or the theme's centre) was closest to:
            ``definition``, ``name``, ``group`` (the code named within its parent), ``inclusion note`` or
            ``example N`` (from 1); empty for a blank text, or a theme that has the code through its passages only.
        clause: Code points ``(start, end)`` (from 0, end excluded) of the clause that scored, in the text the
            evidence is about; ``None`` when the whole text scored.
        learned_from: ``""`` for a zero-shot score; ``decisions`` when the score is learned.
        uses: The parts of a learned score (``codebook``, ``meaning``, ``wording``), as cross-validation chose them.
        blank: The text is blank, so no code applies.
        passage_share: For a theme: the share of its passages assigned the code (``None`` for a text).
        note: Evidence an earlier version saved as words only, kept as it was written (empty otherwise).
    """

    code: str
    descriptor: str = ""
    clause: tuple[int, int] | None = None
    learned_from: str = ""
    uses: tuple[str, ...] = ()
    blank: bool = False
    passage_share: float | None = None
    note: str = ""

    @classmethod
    def of(cls, value: Evidence | Mapping[str, Any] | str, code: str) -> Evidence:
        """Evidence as saved: a mapping of these fields (``analysis.json``, ``themes.json``'s ``evidence_detail``), or
        the words an earlier version wrote (kept as :attr:`note`, not parsed back).

        Raises:
            TypeError: ``value`` is none of these, or a mapping with a field this class does not have.
        """
        if isinstance(value, Evidence):
            return value
        if isinstance(value, str):
            return cls(code, note=value)
        if not isinstance(value, Mapping):
            raise TypeError(f"evidence for code {code!r} is {type(value).__name__}, not a mapping or words")
        row = {"code": code, **value}
        unknown = set(row) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"evidence for code {code!r} has unknown fields {sorted(unknown)}")
        clause = row.get("clause")
        row["clause"] = None if clause is None else (int(clause[0]), int(clause[1]))
        row["uses"] = tuple(row.get("uses") or ())
        return cls(**row)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (the clause as a two-item list), without the code."""
        out = asdict(self)
        out.pop("code")
        out["clause"] = list(self.clause) if self.clause is not None else None
        out["uses"] = list(self.uses)
        return out

    def in_text(self, positions: Sequence[int]) -> Evidence:
        """The same evidence with its clause counted in another text: ``positions[i]`` is where character ``i`` of
        the scored text is in that one (:func:`analysis_positions`)."""
        if self.clause is None:
            return self
        start, end = self.clause
        return replace(self, clause=(positions[start], positions[end - 1] + 1))

    def words(self) -> str:
        """The evidence in words: "example 2", "learned from decisions (codebook + meaning; closest to:
        definition), in its clause at characters 17-31" (counted from 1, both ends included), "theme centre
        matches example 1; 40% of its passages"."""
        if self.note:
            return self.note
        if self.blank:
            return "a blank answer"
        text = self.descriptor
        if self.learned_from:
            text = f"learned from {self.learned_from} ({' + '.join(self.uses) or 'codebook'}; closest to: {text})"
        if self.clause is not None:
            text += f", in its clause at characters {self.clause[0] + 1}-{self.clause[1]}"
        if self.passage_share is not None:
            share = f"{self.passage_share:.0%} of its passages"
            text = f"theme centre matches {text}; {share}" if text else share
        return text


@dataclass(frozen=True)
class Match:
    """A passage or theme matched to a code.

    Attributes:
        target: ``passage`` or ``theme``.
        target_id: Passage id, or theme id as a string.
        code: Code id.
        score: Similarity score in [-1, 1]; higher is closer.
        evidence: Why it matched, as data (:class:`Evidence`; ``.words()`` for a table or report). A mapping of its
            fields or the words an earlier version saved are read as :meth:`Evidence.of` reads them.
        assigned: Whether the score clears the assignment threshold.
    """

    target: Literal["passage", "theme"]
    target_id: str
    code: str
    score: float
    evidence: Evidence
    assigned: bool

    def __post_init__(self) -> None:
        if not isinstance(self.evidence, Evidence):  # read back from JSON: a mapping, or words saved before
            object.__setattr__(self, "evidence", Evidence.of(self.evidence, self.code))


@dataclass(frozen=True)
class SubTheme:
    """One strand of a theme: a group of passages on one narrower point.

    Attributes:
        id: Sub-theme number, unique in the run (a passage's ``subtheme``).
        label: Its title: a verbatim phrase of a member, in quotation marks (see ``title_quote``).
        passage_ids: Passages in the sub-theme.
        participants: Distinct participants with a passage in it.
        keywords: Most distinctive words, best first (secondary detail).
        title_quote: Where the title's words were said (``None`` when the title is not a quote).
    """

    id: int
    label: str
    passage_ids: tuple[str, ...]
    participants: int
    keywords: tuple[str, ...] = ()
    title_quote: Quote | None = None

    @property
    def passages(self) -> int:
        """Number of passages in the sub-theme."""
        return len(self.passage_ids)


@dataclass(frozen=True)
class Theme:
    """A candidate theme found in the participants' words.

    Attributes:
        id: Theme number, 0 for the largest.
        label: Its title: a short verbatim phrase from a member passage in quotation marks (``title_quote``
            says where it was said), the name of the codebook code it clearly is followed by such a phrase
            (``Staff: “The nurses were so kind and caring”``), or a panel's new name.
        keywords: Most distinctive words and phrases, best first (secondary detail, never the title).
        passage_ids: Passages in the theme.
        participants: Number of distinct participants with a substantive passage in the theme.
        status: ``candidate`` until a person accepts, renames or rejects it.
        quotes: Representative verbatim quotes (sentence-aligned spans of passages), from different
            participants and sub-themes where possible.
        codes: Codes the theme matches, best first.
        description: One or two plain sentences built only from its passages and the codebook.
        subthemes: Its sub-themes, largest first (none when it holds one strand only).
        title_quote: Where the title's words were said, or ``None``.
        title_source: ``quote`` (a member's words), ``code`` (the code it clearly is, with a member's words
            where ``title_quote`` is set) or ``keywords`` (no member sentence could serve) or ``panel`` (renamed
            by a panel).
        participant_ids: The participants counted in ``participants``: those the theme is a real part of what
            they said (:mod:`wisdoms.themes.prevalence`); ``None`` in an analysis saved before it was recorded,
            where everyone with a passage in the theme counts (:meth:`counted`).
        touched_by: Participants with any passage in the theme ("also touched on by"); ``None`` when not recorded.
        origin: Where the theme came from: ``codebook`` (deductive: seeded by a code of the team's codebook,
            ``seed_code``) or ``inductive`` (found in material no code covers, or in a run without a codebook).
        seed_code: The id of the code (or code group) that seeded it; empty for an inductive theme.
        suggested_code: For an inductive theme, the name of the draft code suggested for it
            (:func:`wisdoms.codebook.suggest_codes`); empty for a theme from the codebook.
        fitted_label: The title the fit gave it, where a panel withdrew the words it was made of and it was titled
            again (a panel that saw the first title named that one in its verdict); empty otherwise.
    """

    id: int
    label: str
    keywords: tuple[str, ...]
    passage_ids: tuple[str, ...]
    participants: int
    status: str = "candidate"
    quotes: tuple[Quote, ...] = ()
    codes: tuple[Match, ...] = ()
    description: str = ""
    subthemes: tuple[SubTheme, ...] = ()
    title_quote: Quote | None = None
    title_source: str = "quote"
    participant_ids: tuple[str, ...] | None = None
    touched_by: int | None = None
    origin: str = "inductive"
    seed_code: str = ""
    suggested_code: str = ""
    fitted_label: str = ""

    @property
    def passages(self) -> int:
        """Number of passages in the theme."""
        return len(self.passage_ids)

    @property
    def title_words(self) -> Quote | None:
        """Where the participant's words its title shows were said: ``title_quote`` for a title that is a member's
        phrase or a code's name with one; ``None`` for a title by keywords or a panel's name."""
        shown = self.title_source in ("quote", "code") and self.status != "renamed"
        return self.title_quote if shown else None

    def counted(self, who: Mapping[str, str]) -> set[str]:
        """The participants counted for the theme (breakdowns by group count these): :attr:`participant_ids`, or
        where not recorded everyone with a passage in it (``who``: passage id -> participant)."""
        if self.participant_ids is not None:
            return set(self.participant_ids)
        return {who[p] for p in self.passage_ids if p in who}

    def __repr__(self) -> str:
        codes = ", ".join(m.code for m in self.codes if m.assigned) or "none"
        return (f"Theme({self.id}: {self.label!r}, {self.participants} people, {self.passages} passages, "
                f"{self.status}, codes: {codes}, {len(self.quotes)} quotes)")

    def _touched(self) -> str:
        more = (self.touched_by or 0) - self.participants
        return f" (also touched on by {more} more)" if more > 0 else ""

    def _repr_html_(self) -> str:
        """The theme as a notebook shows it: its label, reach, keywords, codes and quotes in full."""
        from html import escape

        codes = ", ".join(f"{escape(m.code)} ({m.score:.2f})" for m in self.codes if m.assigned) or "none"
        quotes = "".join(f"<blockquote>{escape(q.text)}<br><small>{escape(q.participant)}, "
                         f"<code>{escape(q.citation)}</code></small></blockquote>" for q in self.quotes)
        return (f"<h4>Theme {self.id}: {escape(self.label)} <small>({escape(self.status)})</small></h4>"
                f"<p>Heard from {self.participants} people{self._touched()} in {self.passages} passages. "
                f"Keywords: {escape(', '.join(self.keywords[:10]))}. Codes: {codes}.</p>{quotes}")


@dataclass(frozen=True)
class Unassigned:
    """A passage that is not (yet) in any theme, and why. Kept and reported, never dropped."""

    passage: str
    transcript: str
    participant: str
    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class CodeCoverage:
    """Evidence for one active code.

    Attributes:
        code: Code id.
        name: Code name.
        passages: Passages assigned the code.
        participants: Distinct participants among them.
        themes: Ids of themes matched to the code.
    """

    code: str
    name: str
    passages: int
    participants: int
    themes: tuple[int, ...]


T = TypeVar("T")


class Records(tuple, Generic[T]):
    """A tuple of dataclass records that a notebook can turn into a DataFrame."""

    _kind: Any = None
    _extra: Mapping[str, Any] | None = None

    def to_frame(self) -> Any:
        """Return a ``pandas.DataFrame`` with one row per record and one column per field.

        Whole-number columns with gaps (a passage not in any theme) are pandas' nullable ``Int64``, not
        floats with ``NaN``. A theme's ``quotes`` are the quoted words, its ``citations`` where they are from.
        """
        import pandas as pd

        names = [f.name for f in fields(self._kind)] if self._kind else []
        rows = [_row(r) for r in self]
        columns: dict[str, list[Any]] = {}
        for row in rows:
            for key in row:
                columns.setdefault(key, [])
        if not rows:
            columns = {name: [] for name in names}
        for row in rows:
            for key, values in columns.items():
                values.append(row.get(key))
        for column, values in (self._extra or {}).items():
            columns[column] = list(values)
        return pd.DataFrame({k: _column(v) for k, v in columns.items()})

    def __repr__(self) -> str:
        kind = self._kind.__name__ if self._kind else "record"
        shown = ", ".join(_short(repr(r)) for r in self[:_REPR_ITEMS])
        more = f", ... {len(self) - _REPR_ITEMS:,} more" if len(self) > _REPR_ITEMS else ""
        return f"<{len(self):,} {kind}{'' if len(self) == 1 else 's'}: [{shown}{more}]; .to_frame() for all>"

    def _repr_html_(self) -> str:
        """The first rows as a table, for notebooks (``.to_frame()`` has them all)."""
        head = Records.of(self._kind, self[:_HTML_ROWS], extra={k: list(v)[:_HTML_ROWS] for k, v in (self._extra or {}).items()})
        kind = self._kind.__name__ if self._kind else "record"
        note = (f"<p>{len(self):,} {kind}s; the first {_HTML_ROWS} shown (<code>.to_frame()</code> has them all)</p>"
                if len(self) > _HTML_ROWS else f"<p>{len(self):,} {kind}{'' if len(self) == 1 else 's'}</p>")
        return note + head.to_frame()._repr_html_()

    @classmethod
    def of(cls, kind: type, items: Iterable[Any], *, extra: Mapping[str, Iterable[Any]] | None = None) -> Records[Any]:
        """Records of one dataclass ``kind``; ``extra`` adds columns (one value per record) to the frame."""
        records = cls(items)
        records._kind = kind
        records._extra = {k: list(v) for k, v in (extra or {}).items()}
        return records


def _row(record: Any) -> dict[str, Any]:
    row = asdict(record)
    if isinstance(record, Match):
        row["evidence"] = record.evidence.words()
        row["descriptor"] = record.evidence.descriptor
        row["clause"] = list(record.evidence.clause) if record.evidence.clause is not None else None
    for key, value in list(row.items()):
        if isinstance(value, (tuple, list)) and value and isinstance(value[0], dict):
            row[key] = len(value)
        elif isinstance(value, tuple):
            row[key] = list(value)
    if isinstance(record, Theme):
        row["passages"] = record.passages
        row.pop("passage_ids")
        row["subthemes"] = [st.label for st in record.subthemes]
        row["title_quote"] = record.title_quote.citation if record.title_quote else None
        row["codes"] = [m.code for m in record.codes if m.assigned]
        row["quotes"] = [q.text for q in record.quotes]
        row["citations"] = [q.citation for q in record.quotes]
    return row


#: Records listed in a repr, and rows in a notebook's table.
_REPR_ITEMS = 3
_HTML_ROWS = 20


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _column(values: list[Any]) -> Any:
    """Whole numbers with gaps as a nullable ``Int64`` array; anything else as it is."""
    import pandas as pd

    present = [v for v in values if v is not None]
    if present and len(present) < len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.array(values, dtype="Int64")
    return values


class CitationSet(set):
    """Citations (``transcript:start-end``) of withdrawn words, where ``citation in withdrawn`` means the cited span
    shares a character with one of them: a quote is often a sentence-aligned part of its passage, so a panel's
    withdrawn quote also withholds the passage it is part of (and any other quote of those words)."""

    def __contains__(self, citation: object) -> bool:
        if set.__contains__(self, citation):
            return True
        span = _span(citation)
        if span is None:
            return False
        for other in self:
            found = _span(other)
            if found is not None and found[0] == span[0] and span[1] < found[2] and found[1] < span[2]:
                return True
        return False


def _span(citation: object) -> tuple[str, int, int] | None:
    transcript, _, offsets = str(citation).rpartition(":")
    start, _, end = offsets.partition("-")
    try:
        return transcript, int(start), int(end)
    except ValueError:
        return None
