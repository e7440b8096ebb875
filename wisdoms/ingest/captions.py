"""WebVTT (``.vtt``) and SubRip (``.srt``) caption files, as exported by Teams, Zoom or Otter.

Cues are merged into speaker turns. The speaker comes from a ``<v Name>`` voice tag (Teams) or a
``Name:`` prefix (Zoom, Otter); a cue with neither continues the previous speaker's turn. Each turn
keeps the time of its first cue, so quotes can cite it.

Caption files hold real names, so the transcript text is rebuilt with the speakers as they may be
shown (participant id or ``Interviewer``), one turn a paragraph::

    [00:00:04] Interviewer: What was the first thing that helped?

    [00:00:09] P07: Honestly, just someone ringing back.

Offsets refer to that rebuilt text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from .._files import sha256_file
from ..errors import TranscriptError
from ..models import Transcript, Turn
from .speakers import FileOptions, Speaker, builtin_role, label_key, require_participant, resolve_speakers
from .text import decode

_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VOICE = re.compile(r"<v(?:\.[\w.\-]+)?[ \t]+([^>]+)>", re.IGNORECASE)
_TAG = re.compile(r"</?[^>\n]*>")
# A speaker prefix in a cue: every word capitalised or a number ("Sam Smith:", "Speaker 2:", "P1:").
# A speaker prefix in a cue ("Sam Smith:", "Élodie:", "Speaker 2:", "P1:", ">> INTERVIEWER:", "- interviewer:"):
# up to four words, each capitalised or a number, or a role word in any case (checked in _speaker_and_words).
_PREFIX = re.compile(r"^[ \t]*(?:(?:-|>>)[ \t]*)?(?P<label>[^\W\d_][\w.'\-]*(?: [^\W_][\w.'\-]*){0,3})[ \t]*:(?:[ \t]+|$)")


@dataclass
class _Cue:
    number: int
    line: int
    time: str
    parts: list[tuple[str | None, str]]
    lines: list[str]


def read_caption_transcript(
    path: Path,
    transcript_id: str,
    *,
    options: FileOptions | None = None,
    notes: list[str] | None = None,
    speakers: list[Speaker] | None = None,
) -> Transcript:
    """Read a ``.vtt`` or ``.srt`` caption file into speaker turns.

    Raises:
        TranscriptError: Empty or binary file, a missing ``WEBVTT`` header, a cue without a timing
            line, no speaker names at all, speech before the first named speaker, speakers whose
            roles cannot be told apart, or no participant speech.
    """
    raw, encoding = decode(path.read_bytes(), path, notes=notes)
    if encoding == "cp1252" and notes is not None:
        notes.append("not UTF-8: read as Windows-1252")
    vtt = path.suffix.lower() == ".vtt"
    cues = _cues(raw, path, vtt=vtt)
    merged = _merge(cues, path)
    rules = dict(options.speakers) if options else {}
    decided = resolve_speakers(
        [(label, speech, f"cue {cue}") for label, speech, cue, _time in merged],
        path=path,
        rules=rules,
        single_id=Path(transcript_id).stem,
        base_id=Path(transcript_id).stem,
        notes=notes,
        seen=speakers,
    )
    # The text is built as parts with its length and lines counted as it grows (linear in turns).
    parts: list[str] = []
    length = newlines = 0
    turns: list[Turn] = []
    for label, speech, _cue, time in merged:
        speaker = decided[label_key(label)]
        if parts:
            parts.append("\n\n")
            length += 2
            newlines += 2
        prefix = f"[{time}] {speaker.shown}: "
        start = length + len(prefix)
        parts += [prefix, speech]
        length = start + len(speech)
        turns.append(speaker.turn(start, length, line=newlines + 1, time=time))
        newlines += speech.count("\n")
    text = "".join(parts) + "\n"
    require_participant(
        turns, path=path, why="every speaker was taken as the interviewer",
        hint="say which speakers are participants in a 'speakers.yaml' beside the transcripts, "
        "e.g. 'speakers: {Speaker 2: participant}'",
    )
    return Transcript(
        id=transcript_id,
        path=str(path.resolve()),
        text=text,
        format="vtt" if vtt else "srt",
        participants={t.participant: {} for t in turns if t.participant},
        turns=tuple(turns),
        sha256=sha256_file(path),
    )


def _cues(raw: str, path: Path, *, vtt: bool) -> list[_Cue]:
    lines = raw.splitlines()
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            if not current:
                blocks.append((number, current))
            current.append(line)
        else:
            current = []
    if vtt:
        if not blocks or not blocks[0][1][0].lstrip("\ufeff").startswith("WEBVTT"):
            raise TranscriptError(
                "not a WebVTT file: the first line must be 'WEBVTT'",
                path=path,
                line=1,
                hint="export the captions again as WebVTT, or rename the file to .srt if it is SubRip",
            )
        blocks = blocks[1:]
    cues: list[_Cue] = []
    for first_line, block in blocks:
        if vtt and block[0].split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = next((i for i, line in enumerate(block[:2]) if _TIMING.match(line)), None)
        number = len(cues) + 1
        if timing_at is None:
            raise TranscriptError(
                f"cue {number}: expected a timing line such as '00:01:02.000 --> 00:01:05.000', "
                f"found {block[1 if block[0].strip().isdigit() and len(block) > 1 else 0][:60]!r}",
                path=path,
                line=first_line,
                hint="check the file is a complete caption export; each cue needs a timing line",
            )
        time = _clock(_TIMING.match(block[timing_at]).group("start"))  # type: ignore[union-attr]
        parts = [_speaker_and_words(line) for line in block[timing_at + 1 :]]
        cues.append(_Cue(number, first_line, time, parts, block[timing_at + 1 :]))
    if not cues:
        raise TranscriptError(
            "the caption file has no cues", path=path, hint="export the captions again, with the speech"
        )
    # A line that is only "Name:" names a speaker who says nothing in that cue (its words never hold the
    # name) when that name speaks elsewhere in the file; else it is words ("Honestly:").
    speaking = {label_key(label) for cue in cues for label, words in cue.parts if label and words}
    for cue in cues:
        cue.parts = [(label, words) if words or label is None or label_key(label) in speaking
                     else (None, _words(line)) for (label, words), line in zip(cue.parts, cue.lines)]
        cue.parts = [(label, words) for label, words in cue.parts if words]
    return cues


def _words(line: str) -> str:
    return html.unescape(_TAG.sub("", line)).replace("\u00a0", " ").strip()


def _speaker_and_words(line: str) -> tuple[str | None, str]:
    voice = _VOICE.search(line)
    label = voice.group(1).strip() if voice else None
    words = _words(line)
    if label is None:
        prefix = _PREFIX.match(words)
        if prefix and _is_speaker(prefix.group("label")):
            label, words = prefix.group("label"), words[prefix.end() :].strip()
    return label, words


def _is_speaker(label: str) -> bool:
    """A prefix that names a speaker: every word capitalised or a number (``Sam Smith``, ``Speaker 2``), or a
    role word in any case (``interviewer``); not the start of a sentence such as ``so basically:``."""
    words = label.split()
    return all(w[0].isupper() or w[0].isdigit() for w in words) or builtin_role(label) is not None


def _merge(cues: list[_Cue], path: Path) -> list[tuple[str, str, int, str]]:
    """``(label, speech, first cue, time)`` for each run of cues by one speaker."""
    merged: list[tuple[str, str, int, str]] = []
    if not any(label for cue in cues for label, _w in cue.parts):
        raise TranscriptError(
            "unknown speaker format: no cue names its speaker",
            path=path,
            line=cues[0].line,
            hint="export the captions with speaker names ('<v Name>' tags or 'Name:' at the start of "
            "each cue), or convert them to a text file with 'Interviewer:'/'Participant:' labels",
        )
    for cue in cues:
        for label, words in cue.parts:
            if label is None:
                if not merged:
                    raise TranscriptError(
                        f"cue {cue.number}: speech before the first named speaker: {words[:60]!r}",
                        path=path,
                        line=cue.line,
                        hint="add the speaker's name to this cue ('Name: ...'), or delete the cue",
                    )
                label = merged[-1][0]
            if merged and label_key(merged[-1][0]) == label_key(label):
                prev = merged[-1]
                merged[-1] = (prev[0], f"{prev[1]} {words}", prev[2], prev[3])
            else:
                merged.append((label, words, cue.number, cue.time))
    return merged


def _clock(stamp: str) -> str:
    """``hh:mm:ss`` from a caption timestamp (``01:02.500`` or ``00:01:02,500``)."""
    whole = re.split(r"[.,]", stamp)[0].split(":")
    while len(whole) < 3:
        whole.insert(0, "0")
    return ":".join(f"{int(x):02d}" for x in whole)
