"""Errors a user can act on.

Every error names what is at fault (file, line, row or cue), the bad value where there is one,
and what would be accepted, so the CLI can print it without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class WisdomsError(Exception):
    """Base class for every error wisdoms raises for a user mistake or an unusable input.

    Args:
        message: What is wrong, in plain words.
        path: The file at fault, if any.
        line: The 1-based line (or row, or cue) at fault, if any.
        hint: What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.hint = hint
        super().__init__(self.__str__())

    @property
    def location(self) -> str:
        """``file:line`` (or just the file) where the problem is, or an empty string."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        hint = f"\n  What to do: {self.hint}" if self.hint else ""
        return f"{where}{self.message}{hint}"


class TranscriptError(WisdomsError):
    """A transcript cannot be read: empty, binary, bad front matter, unknown speaker labels."""


class CodebookError(WisdomsError):
    """A codebook is missing or invalid: duplicate ids, missing definitions, unknown parents."""


class SettingsError(WisdomsError):
    """A settings file or option has a value wisdoms cannot use."""


class CorpusTooSmallError(WisdomsError):
    """There are too few passages or participants to look for themes."""


class ModelUnavailableError(WisdomsError):
    """A model (spaCy pipeline, sentence-transformer) is not installed or cannot be loaded offline."""


class MissingExtraError(WisdomsError):
    """An optional dependency is not installed; the message names the extra to install."""


class OutputError(WisdomsError):
    """An output cannot be written (for example the target exists and is not a folder)."""


class PrivacyError(WisdomsError):
    """The privacy gate cannot check something (a detector failed, a review sheet or sign-off is invalid)."""


class ExportBlockedError(PrivacyError):
    """The privacy gate refused to write an output: it holds an identifier nobody has signed off."""


class RunFolderError(WisdomsError):
    """A run folder (themes.json, passages.csv, manifest.json) is incomplete, or its inputs changed since the run."""


class PanelError(WisdomsError):
    """A panel response sheet or decisions file is invalid; the message names the row and column."""


class NotFittedError(WisdomsError, AttributeError):
    """A method that needs :meth:`fit` was called first (an ``AttributeError`` too, as scikit-learn's is)."""
