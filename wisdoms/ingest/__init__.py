"""Read transcript files into :class:`~wisdoms.models.Transcript` objects.

Readers are chosen by file suffix (see :data:`READERS`). Files that are not transcripts
(``README*``, hidden files, ``participants.csv``, ``speakers.yaml``) are skipped by
:func:`transcript_files`. :func:`scan_folder` reads every file and collects every problem;
:func:`read_folder` reads what it can and lists the files it could not read (``strict=True``: raises
if there is any error); ``wisdoms check`` prints the scan.

A link to a file outside the transcripts folder is never followed (it is listed as not read, its target
unread). A turn longer than :data:`MAX_TURN_CHARS` characters is split at sentence ends into several turns
of the same speaker, so no paragraph reaches the sentence splitter's length limit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import TranscriptError
from ..models import Transcript
from .captions import read_caption_transcript
from .docx import read_docx_transcript
from .participants import FolderIssues, apply_participants, options_for
from .speakers import FileOptions, RolesUndecidedError, Speaker, SpeakerRule, label_key, recurring_interviewer
from .table import read_table_transcript
from .text import LineIndex, read_text_transcript

log = logging.getLogger(__name__)

#: ``reader(path, transcript_id, *, options=FileOptions | None, notes=list[str] | None,
#: speakers=list[Speaker] | None)``.
Reader = Callable[..., Transcript]

#: suffix -> reader. Other modules add readers here.
READERS: dict[str, Reader] = {
    ".txt": read_text_transcript,
    ".md": read_text_transcript,
    ".docx": read_docx_transcript,
    ".vtt": read_caption_transcript,
    ".srt": read_caption_transcript,
    ".csv": read_table_transcript,
    ".xlsx": read_table_transcript,
}

#: Files in a transcripts folder that are never transcripts.
NOT_TRANSCRIPTS = {"participants.csv", "participants.xlsx", "speakers.yaml", "wisdoms.yaml"}
#: A turn longer than this (characters) is split into several turns of the same speaker at sentence ends:
#: spaCy refuses texts over 1,000,000 characters (E088) and needs about 1 GB per 100,000 to parse one.
MAX_TURN_CHARS = 100_000


_SAVE_AS = {
    **dict.fromkeys((".doc", ".rtf", ".odt", ".pages", ".wpd"), "open it in Word or LibreOffice and save it as .docx"),
    **dict.fromkeys((".xls", ".ods", ".numbers"), "open it in a spreadsheet program and save it as .xlsx or .csv"),
    **dict.fromkeys((".sbv", ".ttml", ".dfxp", ".sub", ".ass"), "export the captions again as .vtt or .srt"),
    ".pdf": "a PDF does not keep speaker turns: export the transcript again as .docx or .txt, or copy its text "
            "into a .txt file",
    **dict.fromkeys((".mp3", ".m4a", ".wav", ".mp4", ".mov", ".ogg", ".webm"),
                    "a recording, not a transcript: add its transcript (.txt, .docx, .vtt or .srt) instead"),
}


def unreadable_hint(path: Path) -> str:
    """What to do with a file no reader reads: how to save it as a format one does (f4transkript's .rtf,
    an old .doc, a PDF, a recording)."""
    return _SAVE_AS.get(path.suffix.lower(), "use .txt, .md, .docx, .vtt, .srt, .csv or .xlsx")


def transcript_files(folder: str | Path) -> list[Path]:
    """Every file under ``folder`` that a reader can read, sorted by relative path.

    Raises:
        TranscriptError: The folder does not exist or holds no transcript files.
    """
    root = Path(folder)
    if not root.is_dir():
        raise TranscriptError(
            "transcripts folder not found",
            path=root,
            hint="pass the folder that holds the transcript files (default: transcripts/)",
        )
    files = sorted(
        (p for p in root.rglob("*") if p.is_file() and _is_candidate(p, root)),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    readable = [p for p in files if p.suffix.lower() in READERS]
    for skipped in sorted(set(files) - set(readable)):
        log.warning("%s: skipped: no reader for %r files (%s)", skipped, skipped.suffix or "suffix-less",
                    unreadable_hint(skipped))
    if not readable:
        raise TranscriptError(
            "no transcript files found",
            path=root,
            hint=f"add files ending in {', '.join(sorted(READERS))}",
        )
    return readable


def read_transcript(
    path: str | Path,
    root: str | Path | None = None,
    *,
    options: FileOptions | None = None,
    notes: list[str] | None = None,
    speakers: list[Speaker] | None = None,
) -> Transcript:
    """Read one file with the reader for its suffix.

    Args:
        path: The file.
        root: The transcripts folder; the transcript id is the path relative to it.
        options: Speaker rules and spreadsheet columns for this file; by default those of the
            ``speakers.yaml`` files between ``root`` (or the file's folder) and the file.
        notes: Decisions worth showing to the user (guessed roles, skipped rows) are appended here.
        speakers: Each speaker label's decision (label as written, role, turns) is appended here.

    Raises:
        TranscriptError: No reader for the suffix, the file vanished or cannot be opened, or it cannot
            be read as a transcript.
    """
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise TranscriptError(
            f"no reader for {path.suffix or 'files without a suffix'!r}",
            path=path,
            hint=f"use one of: {', '.join(sorted(READERS))}",
        )
    transcript_id = path.relative_to(root).as_posix() if root is not None else path.name
    try:
        if options is None:
            options = options_for(path, Path(root) if root is not None else path.parent)
        transcript = reader(path, transcript_id, options=options, notes=notes, speakers=speakers)
    except FileNotFoundError as exc:
        raise TranscriptError(
            f"the file disappeared while it was being read ({exc.filename or path})",
            path=path,
            hint="if it was moved or renamed, run again; if another program is still writing it, wait until it has finished",
        ) from exc
    except OSError as exc:
        raise TranscriptError(
            f"cannot read the file: {exc.strerror or exc.__class__.__name__}",
            path=path,
            hint="check the file is readable by you (permissions) and not locked by another program",
        ) from exc
    return split_long_turns(transcript, notes=notes)


def split_long_turns(transcript: Transcript, *, limit: int = MAX_TURN_CHARS, notes: list[str] | None = None) -> Transcript:
    """The transcript with every turn longer than ``limit`` characters split into turns of at most ``limit``,
    each ending at a paragraph or sentence end where there is one (else at a space, else at ``limit``)."""
    if all(turn.end - turn.start <= limit for turn in transcript.turns):
        return transcript
    lines = LineIndex(transcript.text)
    text = transcript.text
    turns = []
    for turn in transcript.turns:
        if turn.end - turn.start <= limit:
            turns.append(turn)
            continue
        pieces = _pieces(text, turn.start, turn.end, limit)
        turns += [replace(turn, start=s, end=e, line=turn.line if s == turn.start else lines.line_of(s)) for s, e in pieces]
        if notes is not None:
            notes.append(f"line {turn.line}: a turn of {turn.end - turn.start:,} characters split into "
                         f"{len(pieces)} turns of the same speaker (at most {limit:,} characters each)")
    return replace(transcript, turns=tuple(turns))


_CUT = re.compile(r"\n\s*\n|[.!?\u2026][\"'\u201d\u2019)\]]*\s+|\s+")


def _pieces(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > limit:
        window_end = start + limit
        best: list[re.Match[str] | None] = [None, None, None]  # the last paragraph break, sentence end, space
        for m in _CUT.finditer(text, start + limit // 2, window_end):
            found = m.group()
            best[0 if found.count("\n") >= 2 else 2 if found[0].isspace() else 1] = m
        cut = next((m for m in best if m is not None), None)
        if cut is None:
            stop = resume = window_end
        else:  # a sentence end keeps its stop and closing quotes; a break or space is left out
            stop = cut.start() if cut.group()[0].isspace() else cut.start() + len(cut.group().rstrip())
            resume = cut.end()
        pieces.append((start, stop))
        start = resume
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


@dataclass(frozen=True)
class FileResult:
    """What reading one file gave: a transcript or the error, notes for the user, and each speaker label's
    decision (label as written, role, participant id, turns, why)."""

    path: Path
    id: str
    transcript: Transcript | None
    error: TranscriptError | None
    notes: tuple[str, ...]
    speakers: tuple[Speaker, ...] = ()


@dataclass(frozen=True)
class FolderScan:
    """Every file of a folder read, with the folder-level issues (``participants.csv``, shared ids)."""

    files: tuple[FileResult, ...]
    skipped: tuple[Path, ...]
    issues: FolderIssues

    @property
    def transcripts(self) -> list[Transcript]:
        """The transcripts that could be read, with ``participants.csv`` attributes applied."""
        return [f.transcript for f in self.files if f.transcript is not None]

    @property
    def errors(self) -> list[TranscriptError]:
        """Every error: files that could not be read, then folder-level errors."""
        return [f.error for f in self.files if f.error is not None] + list(self.issues.errors)

    @property
    def unread(self) -> list[FileResult]:
        """The files that could not be read."""
        return [f for f in self.files if f.error is not None]


def scan_folder(folder: str | Path) -> FolderScan:
    """Read every file in ``folder``, never stopping at a bad one.

    Raises:
        TranscriptError: The folder does not exist.
    """
    root = Path(folder)
    if not root.is_dir():
        transcript_files(root)
    everything = sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix())
    candidates = [p for p in everything if p.is_file() and _is_candidate(p, root)]
    results: list[FileResult] = []
    skipped = [p for p in candidates if p.suffix.lower() not in READERS]
    inside = root.resolve()
    # A linked folder is not walked into (pathlib does not follow it): one that leads outside is named, not
    # silently left out; one that leads inside holds files read where they are.
    for link in (p for p in everything if p.is_symlink() and p.is_dir() and not _within(p, inside)):
        results.append(FileResult(link, link.relative_to(root).as_posix(), None, TranscriptError(
            "a link to a folder outside the transcripts folder: not read",
            path=link,
            hint="copy the files into the transcripts folder if they belong to this study, or remove the link",
        ), ()))
    for path in candidates:
        if path.suffix.lower() not in READERS:
            continue
        notes: list[str] = []
        seen: list[Speaker] = []
        tid = path.relative_to(root).as_posix()
        try:
            if not _within(path, inside):
                raise TranscriptError(
                    "a link to a file outside the transcripts folder: not read",
                    path=path,
                    hint="copy the file into the transcripts folder if it belongs to this study, or remove the link",
                )
            transcript = read_transcript(path, root, notes=notes, speakers=seen)
            results.append(FileResult(path, tid, transcript, None, tuple(notes), tuple(seen)))
        except TranscriptError as exc:
            results.append(FileResult(path, tid, None, exc, tuple(notes), tuple(seen)))
    results = _settle_from_other_files(results, root)
    read = [r.transcript for r in results if r.transcript is not None]
    merged, issues = apply_participants(read, root)
    by_id = {t.id: t for t in merged}
    results = [replace(r, transcript=by_id[r.id]) if r.transcript is not None else r for r in results]
    return FolderScan(tuple(results), tuple(skipped), issues)


def _settle_from_other_files(results: list[FileResult], root: Path) -> list[FileResult]:
    """Read again each file whose speakers' roles were undecided, where one of its named speakers speaks in
    many of the folder's files and the others in this file alone (:func:`recurring_interviewer`): the study's
    interviewer, who talks to each participant once. Said in the file's notes and by ``wisdoms check``."""
    undecided = [r for r in results if isinstance(r.error, RolesUndecidedError)]
    if not undecided:
        return results
    labels_of = {r.id: {label_key(s.label) for s in r.speakers} for r in results if r.speakers}
    labels_of.update({r.id: {label_key(label) for label in r.error.labels} for r in undecided
                      if isinstance(r.error, RolesUndecidedError)})
    files_of: dict[str, int] = {}
    for keys in labels_of.values():
        for key in keys:
            files_of[key] = files_of.get(key, 0) + 1
    settled = {}
    for r in undecided:
        assert isinstance(r.error, RolesUndecidedError)
        found = recurring_interviewer(r.error.labels, files_of)
        if found is None:
            continue
        label, count = found
        why = f"guessed: speaks in {count} of {len(labels_of)} files, the others in this one alone"
        notes: list[str] = []
        seen: list[Speaker] = []
        try:
            options = options_for(r.path, root)
            options = replace(options, speakers={**options.speakers,
                                                 label_key(label): SpeakerRule("interviewer", source=why)})
            transcript = read_transcript(r.path, root, options=options, notes=notes, speakers=seen)
        except TranscriptError:
            continue
        notes.append(f"speaker {label!r}: taken as the interviewer, who speaks in {count} of "
                     f"the folder's {len(labels_of)} files (the others speak in this one alone); if that is wrong, "
                     f"say who is who in speakers.yaml")
        settled[r.id] = FileResult(r.path, r.id, transcript, None, tuple(notes), tuple(seen))
    return [settled.get(r.id, r) for r in results]


def _within(path: Path, root: Path) -> bool:
    """Whether ``path``, links followed, is inside ``root`` (resolved)."""
    try:
        target = path.resolve()
    except OSError:  # a link loop
        return False
    return target == root or root in target.parents


def is_hidden(path: Path, root: Path) -> bool:
    """A file no one means as input: hidden (``.name``, or in a hidden folder), or the lock file Word and
    Excel keep beside a document while it is open (``~$name.docx``)."""
    return any(part.startswith((".", "~$")) for part in path.relative_to(root).parts)


def _is_candidate(path: Path, root: Path) -> bool:
    return (
        not is_hidden(path, root)
        and not path.name.upper().startswith("README")
        and path.name.lower() not in NOT_TRANSCRIPTS
    )


@dataclass(frozen=True)
class Unread:
    """A transcript file a run went on without, and why (the error's first clause: the full message, which
    may quote a speaker's name as written, is shown on screen, not put in reports)."""

    id: str
    reason: str

    @classmethod
    def of(cls, transcript_id: str, error: TranscriptError) -> Unread:
        """The file and the short reason of its error."""
        place = re.match(r"(?:(?:line|row|cue|paragraph|table \d+ row) \d+: )?", error.message)
        rest = error.message[place.end() if place else 0:]
        return cls(transcript_id, error.message[: len(error.message) - len(rest)] + rest.split(": ", 1)[0].split(" (")[0])


def read_folder(folder: str | Path, *, strict: bool = True, unread: list[Unread] | None = None) -> list[Transcript]:
    """Read every transcript in ``folder``, with ``speakers.yaml`` and ``participants.csv`` applied.

    All files are read before anything is reported, so one bad file does not hide another.
    Notes and warnings (guessed roles, attributes for unknown participants) are logged.

    Args:
        folder: The transcripts folder.
        strict: Raise if any file cannot be read. With ``strict=False`` the files that cannot be read are
            logged as warnings and appended to ``unread``, and the others returned; an error that is not one
            file's (a broken ``participants.csv``, one id with clashing attributes) still raises, as does a
            folder where no file can be read.
        unread: With ``strict=False``, each file not read is appended here with its reason.

    Raises:
        TranscriptError: The folder holds no transcript files, or (``strict``) at least one problem is an
            error; the message lists every problem.
    """
    transcript_files(folder)
    scan = scan_folder(folder)
    for result in scan.files:
        for note in result.notes:
            log.info("%s: %s", result.id, note)
    for warning in scan.issues.warnings:
        log.warning("%s", warning)
    problems = scan.errors if strict or not scan.transcripts else list(scan.issues.errors)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise TranscriptError(f"{len(problems)} problems in the transcripts:\n{listed}", path=folder,
                              hint="run 'wisdoms check' on the folder to see every file's status")
    for result in scan.unread:
        assert result.error is not None
        log.warning("not read, the run goes on without it: %s", result.error)
        if unread is not None:
            unread.append(Unread.of(result.id, result.error))
    return scan.transcripts
