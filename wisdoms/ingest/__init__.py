"""Read transcript files into :class:`~wisdoms.models.Transcript` objects.

Readers are chosen by file suffix (see :data:`READERS`). Files that are not transcripts
(``README*``, hidden files, ``participants.csv``) are skipped by :func:`transcript_files`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from ..errors import TranscriptError
from ..models import Transcript
from .text import read_text_transcript

log = logging.getLogger(__name__)

Reader = Callable[[Path, str], Transcript]

#: suffix -> reader(path, transcript_id). Other modules add readers here.
READERS: dict[str, Reader] = {
    ".txt": read_text_transcript,
    ".md": read_text_transcript,
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
        (
            p
            for p in root.rglob("*")
            if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
            and not p.name.upper().startswith("README")
            and p.name.lower() not in NOT_TRANSCRIPTS
        ),
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


def read_transcript(path: str | Path, root: str | Path | None = None) -> Transcript:
    """Read one file with the reader for its suffix.

    Args:
        path: The file.
        root: The transcripts folder; the transcript id is the path relative to it.

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
    return reader(path, transcript_id)


def read_folder(folder: str | Path) -> list[Transcript]:
    """Read every transcript in ``folder``.

    All files are read before anything is reported, so one bad file does not hide another.

    Raises:
        TranscriptError: At least one file could not be read; the message lists every problem.
    """
    transcripts: list[Transcript] = []
    problems: list[TranscriptError] = []
    for path in transcript_files(folder):
        try:
            transcripts.append(read_transcript(path, folder))
        except TranscriptError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise TranscriptError(f"{len(problems)} transcripts could not be read:\n{listed}", path=folder)
    _check_unique_participants(transcripts)
    return transcripts


def _check_unique_participants(transcripts: list[Transcript]) -> None:
    seen: dict[str, str] = {}
    for transcript in transcripts:
        for pid in transcript.participants:
            if pid in seen and seen[pid] != transcript.id:
                # The same person in two conversations is allowed only when stated; attributes must agree.
                log.info("participant %s appears in %s and %s", pid, seen[pid], transcript.id)
            seen.setdefault(pid, transcript.id)
