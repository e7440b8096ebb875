"""``wisdoms check``: read a folder of transcripts and summarise each file before analysis.

Imports only the readers (never torch, spaCy, BERTopic or UMAP), so it runs in a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..models import MARKER_PATTERN, Transcript
from . import scan_folder, unreadable_hint
from .speakers import Speaker


@dataclass(frozen=True)
class FileRow:
    """One line of the check table."""

    file: str
    format: str
    participants: int
    turns: int
    participant_words: int
    warnings: tuple[str, ...]
    error: str | None = None
    speakers: tuple[Speaker, ...] = ()


@dataclass(frozen=True)
class CheckReport:
    """The check of a folder: one row a file, plus folder-level errors and warnings."""

    folder: str
    rows: tuple[FileRow, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the folder can be analysed (no errors)."""
        return not self.errors and all(r.error is None for r in self.rows)

    def render(self) -> str:
        """The report as a plain-text table followed by every error and warning in full."""
        header = ("file", "format", "participants", "turns", "participant words", "warnings")
        cells = [
            (r.file, r.format, str(r.participants), str(r.turns), str(r.participant_words),
             "ERROR" if r.error else str(len(r.warnings)) if r.warnings else "-")
            for r in self.rows
        ]
        widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
        read = [r for r in self.rows if r.error is None]
        lines.append(
            f"\n{len(read)} of {len(self.rows)} files read: {sum(r.participants for r in read)} participant "
            f"entries, {sum(r.turns for r in read)} turns, {sum(r.participant_words for r in read)} participant words."
        )
        lines += self._speaker_lines()
        problems = [f"error: {r.error}" for r in self.rows if r.error]
        problems += [f"error: {e}" for e in self.errors]
        problems += [f"warning: {r.file}: {w}" for r in self.rows for w in r.warnings]
        problems += [f"warning: {w}" for w in self.warnings]
        if problems:
            lines.append("")
            lines.extend(problems)
        return "\n".join(lines)


    def _speaker_lines(self) -> list[str]:
        """Per file, each speaker label as written, the role (and participant id) it was given, its turns
        and why: so a user confirms the roles at a glance before a long run."""
        rows = [r for r in self.rows if r.speakers]
        if not rows:
            return []
        out = ["", "Speaker labels and the role given each (to change one, name the label in speakers.yaml):"]
        for row in rows:
            cells = [(s.label, s.role + (f" {s.participant}" if s.participant else ""),
                      f"{s.turns} turn{'s' if s.turns != 1 else ''}", s.how) for s in row.speakers]
            widths = [max(len(c[i]) for c in cells) for i in range(3)]
            out.append(f"  {row.file}" + ("  (not read)" if row.error else ""))
            out += [f"    {c[0].ljust(widths[0])}  {c[1].ljust(widths[1])}  {c[2].rjust(widths[2])}  {c[3]}"
                    for c in cells]
        return out


def participant_words(transcript: Transcript) -> int:
    """Words spoken by participants, transcription markers (``[inaudible]``) excluded."""
    return sum(
        len(MARKER_PATTERN.sub(" ", transcript.text[t.start : t.end]).split())
        for t in transcript.participant_turns()
    )


def check_folder(folder: str | Path) -> CheckReport:
    """Read every file under ``folder`` and report on each; never stops at a bad file.

    Raises:
        TranscriptError: The folder does not exist.
    """
    scan = scan_folder(folder)
    rows: list[FileRow] = []
    for result in scan.files:
        t = result.transcript
        if t is None:
            rows.append(FileRow(result.id, _format_of(result.path), 0, 0, 0, result.notes, str(result.error),
                                result.speakers))
        else:
            rows.append(FileRow(result.id, t.format, len(t.participants), len(t.turns), participant_words(t),
                                result.notes, speakers=result.speakers))
    root = Path(folder)
    warnings = [f"{p.relative_to(root).as_posix()}: not read: no reader for {p.suffix or 'files without a suffix'!r} "
                f"files ({unreadable_hint(p)})" for p in scan.skipped]
    warnings += [str(w) for w in scan.issues.warnings]
    errors = [str(e) for e in scan.issues.errors]
    if not scan.files:
        errors.append(f"{folder}: no transcript files found (add .txt, .md, .docx, .vtt, .srt, .csv or .xlsx files)")
    return CheckReport(str(folder), tuple(rows), tuple(errors), tuple(warnings))


def _format_of(path: Path) -> str:
    return {".txt": "text", ".md": "markdown"}.get(path.suffix.lower(), path.suffix.lower().lstrip("."))
