"""A project's own privacy settings, found from its transcripts folder, never from the working directory.

A project keeps them in a ``privacy/`` folder, either inside the transcripts folder or beside it (in the
project folder that holds ``transcripts/``)::

    my-study/
      transcripts/          the conversations
      privacy/
        names.txt           names, nicknames, local places and services to find (deny-list)
        allow.txt           terms a reviewer agreed name no one in this project (one a line)
        signoffs.yaml       sign-offs: quotes and kept findings a reviewer cleared

The same run started from any directory finds the same files. :class:`ProjectPrivacy` says which were
found; commands print it and the run manifest records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import shown
from .lexicon import _read_list

#: The folder a project keeps its privacy settings in.
PRIVACY_DIR = "privacy"
NAMES_FILE = "names.txt"
ALLOW_FILE = "allow.txt"
SIGNOFFS_FILE = "signoffs.yaml"


@dataclass(frozen=True)
class ProjectPrivacy:
    """Where one project's privacy settings are.

    Attributes:
        folder: The project's ``privacy/`` folder (it may not exist yet: sign-offs are written there).
        names: The name list, if the project has one.
        allow: The project allow-list, if the project has one.
        signoffs: The sign-offs file (it may not exist yet).
    """

    folder: Path
    names: Path | None
    allow: Path | None
    signoffs: Path

    @classmethod
    def find(cls, start: str | Path) -> ProjectPrivacy:
        """The settings of the project ``start`` belongs to: ``start`` is a transcripts folder or a file of texts.

        Looks in ``<folder>/privacy/`` and then ``<folder's parent>/privacy/``, where ``<folder>`` is
        ``start`` (a folder) or the folder holding it (a file); the first that exists wins. With neither,
        the settings are empty and sign-offs go to ``<parent>/privacy/signoffs.yaml``.
        """
        start = Path(start).resolve()
        folder = start if start.is_dir() else start.parent
        candidates = [folder / PRIVACY_DIR, folder.parent / PRIVACY_DIR]
        found = next((c for c in candidates if c.is_dir()), candidates[1])
        names = found / NAMES_FILE
        if not names.is_file():
            names = next((found / n for n in ("names.yaml", "names.yml") if (found / n).is_file()), names)
        allow = found / ALLOW_FILE
        return cls(folder=found, names=names if names.is_file() else None, allow=allow if allow.is_file() else None,
                   signoffs=found / SIGNOFFS_FILE)

    @classmethod
    def for_transcripts(cls, transcripts: Sequence[Any]) -> ProjectPrivacy | None:
        """The project of the folder the transcripts were read from (``path`` minus ``id``); ``None`` when
        they were not read from files."""
        for t in transcripts:
            path, tid = getattr(t, "path", None), getattr(t, "id", None)
            if not path or not tid or "#" in str(tid):
                continue
            parts = Path(str(tid)).parts
            file = Path(path)
            if len(file.parts) > len(parts) and file.parts[-len(parts):] == parts:
                return cls.find(Path(*file.parts[:-len(parts)]))
        return None

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> tuple[ProjectPrivacy | None, str | None]:
        """The project (and transcripts folder) of a run, from its manifest's ``inputs.transcripts_folder``;
        ``(None, None)`` when the manifest does not say or the folder is gone."""
        folder = (manifest.get("inputs") or {}).get("transcripts_folder")
        if not folder or not Path(str(folder)).exists():
            return None, None
        return cls.find(str(folder)), str(folder)

    def allow_terms(self) -> tuple[str, ...]:
        """The project allow-list's terms (empty without one)."""
        return tuple(_read_list(self.allow)) if self.allow is not None else ()

    def describe(self) -> dict[str, str | None]:
        """Resolved paths, for the screen and the run manifest."""
        return {"folder": str(self.folder), "names": str(self.names) if self.names else None,
                "allow": str(self.allow) if self.allow else None,
                "signoffs": str(self.signoffs) if self.signoffs.is_file() else None}

    def summary(self) -> str:
        """One line for the screen: which settings were found where."""
        found = [f"{label} {shown(path)}" for label, path in (("names", self.names), ("allow-list", self.allow),
                                                               ("sign-offs", self.signoffs if self.signoffs.is_file() else None))
                 if path is not None]
        return ("privacy settings: " + ", ".join(found)) if found else f"privacy settings: none found in {shown(self.folder)}"
