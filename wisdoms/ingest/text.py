"""Plain-text and Markdown transcripts with speaker labels and optional YAML front matter.

::

    ---
    participant: P01
    area: North
    ---
    Interviewer: How did that feel?

    Participant: Honestly? Like nobody was listening.
    A paragraph with no label continues the same speaker's turn.

Offsets are code-point offsets into the file text as decoded (a UTF-8 byte-order mark is not
part of the text; Windows line endings are kept as they are).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml

from .._files import sha256_file
from ..errors import TranscriptError
from ..models import Transcript, Turn
from .speakers import (  # noqa: F401  (role_of and the label sets are part of this module's API)
    INTERVIEWER_LABELS,
    NUMBERED_SPEAKER,
    PARTICIPANT_LABELS,
    FileOptions,
    Speaker,
    SpeakerRule,
    builtin_role,
    is_numbered,
    label_key,
    parse_rules,
    require_participant,
    resolve_speakers,
    role_of,
)

#: Keys of the front matter that are not participant attributes.
RESERVED_KEYS = {"participant", "participants", "speakers", "conversation", "title", "notes"}

# A label at the start of a line: an optional timestamp ("[00:03:12]", "(00:03:12)" or "00:03:12", as
# transcription services put one before the name), optional **bold** (colon inside or outside it), a short name
# or number (letters of any script), an optional "(00:03:12)" or "[00:03:12]" after the name (Rev, Descript), a colon not followed
# by a digit (a clock time such as 10:30 is not a label) or a tab (Word transcripts: "INT<tab>So tell me").
# Or a heading line, the speech on the lines below, as Teams' Word transcripts and Otter write it
# ("Priya Shah   0:03", "Speaker 1  1:02:10"), Word's Transcribe ("00:01:02 Speaker 1") and Zoom's saved
# captions ("[Priya Shah] 10:01:23"); the time may be bracketed and set off by "-" or "|" ("[00:01:02] - Speaker 1",
# "Priya Shah (00:01:02)"); or a role word alone on its line ("INTERVIEWER", "Respondent 2": never a name, which
# could be a line of speech).
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_HEADING_NAME = r"[^\W\d_][\w.'\-]*(?: [^\W_][\w.'\-]*){0,3}"
_LABEL = re.compile(
    rf"^[ \t]*(?:(?:\[(?P<time>{_CLOCK})\]|\((?P<ptime>{_CLOCK})\)|(?P<btime>{_CLOCK})(?=[ \t]))[ \t]*)?"
    r"(?P<bold>\*\*)?(?P<label>[^\W_][\w .'\-]{0,29}?(?: ?\([\w .'\-]{1,20}\))?)"
    rf"(?:[ \t]*(?P<ab>[\[(])?(?P<after_time>{_CLOCK})(?(ab)[\])]))?"
    r"(?:(?(bold)(?:\*\*[ \t]*:|[ \t]*:\*\*)|[ \t]*:)(?!\d)|(?(bold)\*\*)(?P<tab>\t+)(?=\S))[ \t]*"
    rf"|^[ \t]*(?P<heading>{_HEADING_NAME})[ \t]+(?:[-|][ \t]*)?(?P<hb>[\[(])?(?P<heading_time>{_CLOCK})"
    r"(?(hb)[\])])[ \t]*\r?$"
    rf"|^[ \t]*(?P<tb>[\[(])?(?P<time_heading>{_CLOCK})(?(tb)[\])])[ \t]+(?:[-|][ \t]*)?"
    rf"(?P<heading_after>{_HEADING_NAME})[ \t]*\r?$"
    rf"|^[ \t]*\[(?P<bracket_heading>{_HEADING_NAME})\][ \t]{{1,}}(?P<bracket_time>{_CLOCK})[ \t]*\r?$"
    rf"|^[ \t]*(?P<bare_heading>{_HEADING_NAME})[ \t]*\r?$",
    re.MULTILINE,
)


# A time mark at the very end of a turn, as f4/f5transkript ("#00:01:23-4#") and other transcription tools
# ("[00:01:23]", "(00:01:23)") close each paragraph with, or at its very start: kept in the text, not in the turn.
_TRAILING_TIME = re.compile(
    rf"\s*(?:#{_CLOCK}(?:-\d+)?#|\[{_CLOCK}\]|\({_CLOCK}\))$"
)


_LEADING_TIME = re.compile(rf"[#\[(](?P<lead>{_CLOCK})(?:-\d+)?[#\])]\s*|(?P<lead_line>{_CLOCK})[ \t]*\r?\n\s*")


def _label(m: re.Match) -> str:
    return next(m.group(g) for g in ("label", "heading", "heading_after", "bracket_heading", "bare_heading")
                if m.group(g) is not None)


def _time(m: re.Match) -> str | None:
    return next((m.group(g) for g in ("time", "ptime", "btime", "after_time", "heading_time", "time_heading",
                                      "bracket_time") if m.group(g) is not None), None)


_FRONT_MATTER_END = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


def decode(data: bytes, path: Path, *, notes: list[str] | None = None, keep_breaks: bool = False) -> tuple[str, str]:
    """Decode file bytes: UTF-16 (with a byte-order mark, as Notepad's "Unicode" saves, or without one when
    every other byte is zero), UTF-8 (with or without BOM), else Windows-1252.

    A form feed (page break) or vertical tab (Word's line break, pasted as text) is read as a line break, one
    character for one, so every offset stays that of the file; where, is appended to ``notes``. With
    ``keep_breaks`` they are left as they are (a table maps them cell by cell once parsed: a line break in an
    unquoted cell would split its row). Any other control character is refused.

    Returns:
        The text and the encoding used.

    Raises:
        TranscriptError: The file is empty or binary.
    """
    utf16 = _utf16(data)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise TranscriptError(
                f"the file starts like UTF-16 text but byte {exc.start} is not UTF-16",
                path=path,
                hint="open it in a text editor and save it again as UTF-8",
            ) from exc
        text = text.lstrip("\ufeff")
        if not text.strip():
            raise TranscriptError("the file is empty", path=path, hint="remove it, or add the conversation's text")
        return _checked(text, path, notes, keep_breaks), "utf-16"
    if not data.strip():
        raise TranscriptError(
            "the file is empty", path=path, hint="remove it, or add the conversation's text"
        )
    if b"\x00" in data[:4096]:
        raise TranscriptError(
            "the file looks binary, not text",
            path=path,
            hint="save it as plain text (UTF-8), or use a supported format such as .docx",
        )
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
    return _checked(text, path, notes, keep_breaks), encoding


def _checked(text: str, path: Path, notes: list[str] | None, keep_breaks: bool) -> str:
    refuse_control_characters(text, path)
    return text if keep_breaks else page_breaks_as_lines(text, notes)


#: Control characters no report format can hold (XML 1.0, so Word and Excel, refuses them): NUL, ESC and the
#: rest; tab, CR and LF are text, and a form feed or vertical tab is read as a line break (:data:`PAGE_BREAKS`).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f]")
_CONTROL_NAMES = {0x00: "NUL", 0x1B: "ESC"}
#: A form feed (a page break in a Word or PDF export) and a vertical tab (Word's manual line break, pasted as
#: text): whitespace between lines, read as a line break one for one.
PAGE_BREAKS = re.compile(r"[\x0b\x0c]")
_BREAK_NAMES = {"\x0b": "vertical tab", "\x0c": "form feed (page break)"}


def page_breaks_as_lines(text: str, notes: list[str] | None = None) -> str:
    """``text`` with each form feed and vertical tab replaced by a line break (one character for one, so
    offsets are kept), and a note appended to ``notes`` naming the line(s) they were on (in the file's own
    numbering, counted before the replacement)."""
    found = [(m.start(), m.group()) for m in PAGE_BREAKS.finditer(text)]
    if not found:
        return text
    if notes is not None:
        lines = list(dict.fromkeys(text.count("\n", 0, at) + 1 for at, _ in found))
        notes.append(page_break_note("line", lines, [c for _, c in found]))
    return PAGE_BREAKS.sub("\n", text)


def page_break_note(unit: str, places: Sequence[int], found: Sequence[str]) -> str:
    """The note saying where (``unit`` "line" or "row", then ``places``) the characters ``found`` (form feeds
    and vertical tabs) were read as line breaks."""
    where = (unit if len(places) == 1 else f"{unit}s") + " " + ", ".join(map(str, places[:5])) + (
        f" and {len(places) - 5} more" if len(places) > 5 else "")
    what = (f"a {_BREAK_NAMES[found[0]]} read as a line break" if len(found) == 1 else
            f"{len(found)} form feeds or vertical tabs (page and line breaks from Word) read as line breaks")
    return f"{where}: {what}"


def refuse_control_characters(text: str, path: Path) -> None:
    """Refuse a text holding a control character, naming its line and column.

    Raises:
        TranscriptError: The first such character, with what it is and what to do.
    """
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return
    code = ord(found.group())
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    line = text.count("\n", 0, found.start()) + 1
    count = len(CONTROL_CHARACTERS.findall(text))
    name = _CONTROL_NAMES.get(code, "control character")
    raise TranscriptError(
        f"column {column} holds a {name} (U+{code:04X}), which no report can hold"
        + (f"; {count - 1} more such characters follow" if count > 1 else ""),
        path=path, line=line,
        hint="open the file in a text editor, delete the character (often pasted in from another program) "
        "and save it again",
    )


def _utf16(data: bytes) -> str | None:
    """``utf-16``/``utf-16-le``/``utf-16-be`` when ``data`` is UTF-16 text, else ``None``."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and len(data) % 2 == 0:
        return "utf-16"
    sample = data[:4096]
    if len(sample) >= 8 and len(data) % 2 == 0:
        # ASCII-heavy UTF-16 without a BOM: one byte of each pair is zero, and never both.
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
            return "utf-16-be"
    return None


def line_of(text: str, offset: int) -> int:
    """1-based line number of ``offset`` in ``text`` (for one offset; :class:`LineIndex` for many)."""
    return text.count("\n", 0, offset) + 1


class LineIndex:
    """Line numbers of many offsets of one text in linear time overall (the newlines are found once)."""

    def __init__(self, text: str) -> None:
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        """1-based line number of ``offset``."""
        return bisect.bisect_left(self._newlines, offset) + 1


class _TextLoader(yaml.SafeLoader):
    """YAML where every scalar stays the text as written (``19``, ``007``, ``yes``, ``2024-05-01``),
    except an empty value or ``null``: speaker labels, ids and attributes are text, whatever they look like."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml_text(text: str) -> object:
    """Parse YAML keeping every scalar as text (see :class:`_TextLoader`).

    Raises:
        yaml.YAMLError: Not valid YAML.
    """
    return yaml.load(text, Loader=_TextLoader)  # noqa: S506  (a SafeLoader subclass)


def split_front_matter(text: str, path: Path) -> tuple[dict, int]:
    """Parse a leading ``---`` YAML block.

    Returns:
        The front matter (empty when there is none) and the offset where the body starts.

    Raises:
        TranscriptError: The block is not closed, is not valid YAML, or is not a mapping.
    """
    if not re.match(r"---[ \t]*\r?\n", text):
        return {}, 0
    closing = _FRONT_MATTER_END.search(text, text.index("\n") + 1)
    if closing is None:
        raise TranscriptError(
            "front matter starts with '---' on line 1 but is never closed",
            path=path,
            line=1,
            hint="end the front matter with a line holding only '---'",
        )
    block = text[text.index("\n") + 1 : closing.start()]
    try:
        data = load_yaml_text(block) or {}
    except yaml.YAMLError as exc:
        # The context mark (where the broken construct opened) is nearer the mistake than the problem mark.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise TranscriptError(
            f"invalid front matter: {problem}",
            path=path,
            line=line,
            hint="write one 'key: value' per line, e.g. 'participant: P01'",
        ) from exc
    if not isinstance(data, dict):
        raise TranscriptError(
            "invalid front matter: expected 'key: value' lines",
            path=path,
            line=2,
            hint="write one 'key: value' per line, e.g. 'participant: P01'",
        )
    body = closing.end()
    if text.startswith("\r\n", body):
        body += 2
    elif text.startswith("\n", body):
        body += 1
    return data, body


def read_text_transcript(
    path: Path,
    transcript_id: str,
    *,
    options: FileOptions | None = None,
    notes: list[str] | None = None,
    speakers: list[Speaker] | None = None,
) -> Transcript:
    """Read a labelled plain-text or Markdown transcript.

    Args:
        path: The file.
        transcript_id: Its id (path relative to the transcripts folder).
        options: What the folder's ``speakers.yaml`` says about this file.
        notes: Decisions worth showing to the user (guessed roles, a preamble) are appended here.
        speakers: Each speaker label's decision is appended here (``wisdoms check``).

    Raises:
        TranscriptError: Empty or binary file, invalid front matter, no speaker label at all,
            speakers that cannot be placed, or no participant speech.
    """
    text, encoding = decode(path.read_bytes(), path, notes=notes)
    if encoding == "cp1252" and notes is not None:
        notes.append("not UTF-8: read as Windows-1252")
    turns, people = parse_labelled(text, path, transcript_id, options=options, notes=notes, speakers=speakers)
    return Transcript(
        id=transcript_id,
        path=str(path.resolve()),
        text=text,
        format="markdown" if path.suffix.lower() == ".md" else "text",
        participants=people,
        turns=turns,
        sha256=sha256_file(path),
    )


def parse_labelled(
    text: str,
    path: Path,
    transcript_id: str,
    *,
    options: FileOptions | None = None,
    notes: list[str] | None = None,
    speakers: list[Speaker] | None = None,
    unit: Callable[[int], int] | None = None,
    unit_name: str = "line",
) -> tuple[tuple[Turn, ...], dict[str, dict[str, str]]]:
    """Split labelled text (optional front matter, then ``Label: speech`` turns) into turns.

    Lines before the first speaker label (a title, a header, a stray "All right.") are kept in the text
    as preamble, not analysed, and named in a note.

    Args:
        text: The text every offset refers to.
        path: The source file, for errors.
        transcript_id: The transcript id; its stem is the participant id when nothing else gives one.
        options: Folder-level speaker rules; the front matter's ``speakers:`` wins over them.
        notes: Decisions worth showing to the user are appended here.
        speakers: Each speaker label's decision is appended here.
        unit: Maps an offset to the number of the ``unit_name`` holding it (paragraph of a Word file);
            by default errors cite the line.
        unit_name: What ``unit`` counts.

    Returns:
        The turns and the participants (id -> attributes) who speak.

    Raises:
        TranscriptError: As :func:`read_text_transcript`.
    """
    meta, body_start = split_front_matter(text, path)
    rules = dict(options.speakers) if options else {}
    rules.update(parse_rules(meta.get("speakers"), path=path, line=2, where="invalid front matter"))
    participants = _participants(meta, path, fallback_id=Path(transcript_id).stem)
    lines = LineIndex(text)

    def where(offset: int) -> str:
        return f"{unit_name} {unit(offset) if unit else lines.line_of(offset)}"

    def error(message: str, offset: int, hint: str) -> TranscriptError:
        if unit is None:
            return TranscriptError(message, path=path, line=lines.line_of(offset), hint=hint)
        return TranscriptError(f"{where(offset)}: {message}", path=path, hint=hint)

    labels = [m for m in _LABEL.finditer(text, body_start) if _is_line_start(text, m.start())]
    known = _speaker_labels(labels, rules)
    first_words = re.search(r"\S", text[body_start:])
    if first_words is None:
        raise TranscriptError(
            "the file has front matter but no conversation",
            path=path,
            hint="add the conversation below the front matter",
        )
    first = body_start + first_words.start()
    if not known:
        found = text[first : text.find("\n", first) if "\n" in text[first:] else len(text)][:60]
        raise error(
            f"unknown speaker format: cannot tell who is speaking: expected a speaker label such as "
            f"'Interviewer:' or 'Participant:' at the start of the {unit_name}, found {found.strip()!r}",
            first,
            "start each turn with a label ('Interviewer:', 'Participant:', 'I:', 'P1:', 'Speaker 2:'), "
            "or map your labels in speakers.yaml beside the file, e.g. 'speakers: {Jo: interviewer, Sam: participant}'",
        )
    preamble = text[first : known[0].start()].strip()
    if preamble and notes is not None:
        words = len(preamble.split())
        shown = " ".join(preamble.split())
        shown = shown if len(shown) <= 50 else shown[:47] + "..."
        notes.append(
            f"{where(first)}: {words} word{'s' if words != 1 else ''} before the first speaker label kept as "
            f"preamble, not analysed ({shown!r})"
        )

    spans: list[tuple[re.Match, int, int, str | None]] = []
    for i, match in enumerate(known):
        end_limit = known[i + 1].start() if i + 1 < len(known) else len(text)
        speech = text[match.end():end_limit]
        start = match.end() + len(speech) - len(speech.lstrip())  # a heading's speech starts on the next line
        end = start + len(speech.strip())
        mark = _TRAILING_TIME.search(text, start, end)
        if mark is not None:  # a time mark closing the turn (f4transkript's "#00:01:23-4#") is no one's words
            end = mark.start()
        time = _time(match)
        mark = _LEADING_TIME.match(text, start, end)
        if mark is not None:  # nor one opening it ("Participant: [00:01:23] ..."), the turn's time
            start, time = mark.end(), time or mark.group("lead") or mark.group("lead_line")
        if end > start:
            spans.append((match, start, end, time))
    group = {
        attrs["_label"]: pid for pid, attrs in participants.items() if "_label" in attrs
    } if meta.get("participants") is not None else None
    single = next(iter(participants))
    decided = resolve_speakers(
        [(_label(m), text[s:e], where(m.start())) for m, s, e, _t in spans],
        path=path,
        rules=rules,
        group=group,
        single_id=single,
        base_id=str(meta.get("participant") or Path(transcript_id).stem),
        notes=notes,
        seen=speakers,
    )
    turns: list[Turn] = []
    for match, start, end, time in spans:
        speaker = decided[label_key(_label(match))]
        turns.append(speaker.turn(start, end, line=lines.line_of(start), time=time))
    require_participant(
        turns, path=path, why="every turn is the interviewer's",
        hint="label the participant's turns 'Participant:' (or map the label under 'speakers:' "
        "in the front matter or in speakers.yaml)",
    )
    used = [t.participant for t in turns if t.participant]
    people = {
        pid: {k: v for k, v in participants.get(pid, {}).items() if k != "_label"}
        for pid in dict.fromkeys(used)
    }
    return tuple(turns), people


def _is_line_start(text: str, offset: int) -> bool:
    return offset == 0 or text[offset - 1] == "\n"


def _is_name_like(label: str) -> bool:
    """One to three words, each starting with a capital letter (any script) or a digit: ``Sam``, ``Jo Bloggs``."""
    words = label.split()
    return 0 < len(words) <= 3 and words[0][0].isupper() and all(w[0].isupper() or w[0].isdigit() for w in words)


def _speaker_labels(labels: list[re.Match], rules: Mapping[str, SpeakerRule]) -> list[re.Match]:
    """The label matches that start turns.

    Conventional labels (``Interviewer``, ``P1``, ``Speaker 2``, and their variants and near-miss typos) and
    labels named in the rules always do, also alone on their line; another capitalised, name-like label (``Sam``, ``Jo Bloggs``) or a
    bare number (``19``, a focus group's seat) does when it starts two or more lines, since a single ``Note:``
    or ``1:`` inside a turn is more likely speech than a speaker.
    """
    counts: dict[str, int] = {}
    for m in labels:
        key = label_key(_label(m))
        counts[key] = counts.get(key, 0) + 1
    rule_keys = {label_key(k) for k in rules}
    # Seats by number: once a file's speakers are numbers (named in speakers.yaml, or several starting lines
    # again and again), a number heard only once is a speaker too, not words of the turn before.
    by_number = any(k.isdigit() and (k in rule_keys or n >= 2) for k, n in counts.items())
    chosen = []
    for m in labels:
        label = _label(m).strip()
        key = label_key(label)
        if m.group("bare_heading") is not None:
            # A line alone is a heading only as one is written: capitalised, no full stop, a role word of more
            # than a letter (not "Question"/"Answer", words of speech too), a numbered voice or a rule's label;
            # a wrapped line "question." or a reply "Okay" is speech.
            role_word = key.split()[0]
            if label[:1].isupper() and not label.endswith(".") and (
                    key in rule_keys or NUMBERED_SPEAKER.match(key)
                    or (builtin_role(label) is not None and len(role_word) > 1
                        and role_word not in ("question", "answer"))):
                chosen.append(m)
            continue
        if key in rule_keys or builtin_role(label) is not None or NUMBERED_SPEAKER.match(key):
            chosen.append(m)
        elif key.isdigit() and (by_number or counts[key] >= 2):
            chosen.append(m)
        elif counts[key] >= 2 and _is_name_like(label):
            chosen.append(m)
    # A name set off by a tab ("Monday<tab>9am" twice in a pasted timetable) is a speaker only in a file whose
    # labels are set off by tabs, not in one whose speakers are labelled with colons.
    if any(m.group("label") is not None and m.group("tab") is None for m in chosen):
        chosen = [m for m in chosen if m.group("label") is None or m.group("tab") is None
                  or label_key(_label(m)) in rule_keys or builtin_role(_label(m)) is not None
                  or NUMBERED_SPEAKER.match(label_key(_label(m)))]
    return chosen


def _participants(meta: dict, path: Path, *, fallback_id: str) -> dict[str, dict[str, str]]:
    """Participant id -> attributes from the front matter."""
    attributes = {
        str(k): _attribute(v) for k, v in meta.items() if k not in RESERVED_KEYS and v is not None
    }
    group = meta.get("participants")
    if group is not None:
        if not isinstance(group, dict):
            raise TranscriptError(
                "invalid front matter: 'participants' must map speaker labels to participants",
                path=path,
                line=2,
                hint="e.g. 'participants: {P1: {id: P03, area: North}, P2: {id: P04}}'",
            )
        result: dict[str, dict[str, str]] = {}
        for label, info in group.items():
            info = info if isinstance(info, dict) else {"id": info}
            pid = str(info.get("id") or label)
            result[pid] = {
                **attributes,
                **{str(k): _attribute(v) for k, v in info.items() if k != "id" and v is not None},
                "_label": str(label),
            }
        return result
    pid = meta.get("participant", fallback_id)
    if not isinstance(pid, (str, int)) or not str(pid).strip():
        raise TranscriptError(
            f"invalid front matter: participant id {pid!r}",
            path=path,
            line=2,
            hint="give a pseudonym id such as 'participant: P01'",
        )
    return {str(pid).strip(): attributes}


def _attribute(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


