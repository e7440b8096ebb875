"""Read transcript files into :class:`~wisdoms.models.Transcript` objects.

Readers are chosen by file suffix (see :data:`READERS`). Files that are not transcripts
(``README*``, hidden files, ``participants.csv``, ``speakers.yaml``) are skipped by
:func:`transcript_files`. :func:`scan_folder` reads every file and collects every problem;
:func:`read_folder` raises if there is any error; ``wisdoms check`` prints the scan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import TranscriptError
from ..models import Transcript
from .captions import read_caption_transcript
from .docx import read_docx_transcript
from .participants import FolderIssues, apply_participants, options_for
from .speakers import FileOptions
from .table import read_table_transcript
from .text import read_text_transcript

log = logging.getLogger(__name__)

#: ``reader(path, transcript_id, *, options=FileOptions | None, notes=list[str] | None)``.
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
        log.warning("%s: skipped: no reader for %r files", skipped, skipped.suffix or "suffix-less")
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
) -> Transcript:
    """Read one file with the reader for its suffix.

    Args:
        path: The file.
        root: The transcripts folder; the transcript id is the path relative to it.
        options: Speaker rules and spreadsheet columns for this file; by default those of the
            ``speakers.yaml`` files between ``root`` (or the file's folder) and the file.
        notes: Decisions worth showing to the user (guessed roles, skipped rows) are appended here.

    Raises:
        TranscriptError: No reader for the suffix, or the file cannot be read as a transcript.
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
    if options is None:
        options = options_for(path, Path(root) if root is not None else path.parent)
    return reader(path, transcript_id, options=options, notes=notes)


@dataclass(frozen=True)
class FileResult:
    """What reading one file gave: a transcript or the error, and notes for the user."""

    path: Path
    id: str
    transcript: Transcript | None
    error: TranscriptError | None
    notes: tuple[str, ...]


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


def scan_folder(folder: str | Path) -> FolderScan:
    """Read every file in ``folder``, never stopping at a bad one.

    Raises:
        TranscriptError: The folder does not exist.
    """
    root = Path(folder)
    if not root.is_dir():
        transcript_files(root)
    candidates = [p for p in sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix())
                  if p.is_file() and _is_candidate(p, root)]
    results: list[FileResult] = []
    skipped = [p for p in candidates if p.suffix.lower() not in READERS]
    for path in candidates:
        if path in skipped:
            continue
        notes: list[str] = []
        tid = path.relative_to(root).as_posix()
        try:
            transcript = read_transcript(path, root, notes=notes)
            results.append(FileResult(path, tid, transcript, None, tuple(notes)))
        except TranscriptError as exc:
            results.append(FileResult(path, tid, None, exc, tuple(notes)))
    read = [r.transcript for r in results if r.transcript is not None]
    merged, issues = apply_participants(read, root)
    by_id = {t.id: t for t in merged}
    results = [
        FileResult(r.path, r.id, by_id[r.id], None, r.notes) if r.transcript is not None else r for r in results
    ]
    return FolderScan(tuple(results), tuple(skipped), issues)


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


def read_folder(folder: str | Path) -> list[Transcript]:
    """Read every transcript in ``folder``, with ``speakers.yaml`` and ``participants.csv`` applied.

    All files are read before anything is reported, so one bad file does not hide another.
    Notes and warnings (guessed roles, attributes for unknown participants) are logged.

    Raises:
        TranscriptError: The folder holds no transcript files, or at least one problem is an error;
            the message lists every problem.
    """
    transcript_files(folder)
    scan = scan_folder(folder)
    for result in scan.files:
        for note in result.notes:
            log.info("%s: %s", result.id, note)
    for warning in scan.issues.warnings:
        log.warning("%s", warning)
    problems = scan.errors
    if len(problems) == 1:
        raise problems[0]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise TranscriptError(f"{len(problems)} problems in the transcripts:\n{listed}", path=folder,
                              hint="run 'wisdoms check' on the folder to see every file's status")
    return scan.transcripts
