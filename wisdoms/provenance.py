"""Where a run's results came from, typed: :attr:`wisdoms.Analysis.provenance`.

``manifest.json`` is its serialisation (with the run's settings and panel decisions added:
:func:`wisdoms.results.manifest_document`). :meth:`Provenance.from_dict` reads every manifest a run has
written, older ones included (a key they lack takes its default); what it does not type (the models, the theme
and coding parameters, the codebook's fit, counts, caches, platform and package versions) is kept as recorded
in :attr:`Provenance.other`, and :meth:`Provenance.to_dict` writes every key back in the order it was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TranscriptInput:
    """One transcript the run read: its id (path in the transcripts folder), format and SHA-256."""

    id: str
    format: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class UnreadInput:
    """A file the run could not read and went on without, and why."""

    id: str
    reason: str = ""


@dataclass(frozen=True)
class CodebookInput:
    """The codebook the run used: its file (``None`` for one given in memory, or none at all), name, version
    and the file's SHA-256."""

    path: str | None = None
    name: str = ""
    version: str = ""
    sha256: str | None = None


@dataclass(frozen=True)
class RunInputs:
    """What the run read: the transcripts folder, each transcript, the files not read and the codebook."""

    transcripts_folder: str | None = None
    transcripts: tuple[TranscriptInput, ...] = ()
    unread: tuple[UnreadInput, ...] = ()
    codebook: CodebookInput | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``inputs`` entry of ``manifest.json``."""
        out: dict[str, Any] = {
            "transcripts_folder": self.transcripts_folder,
            "transcripts": [{"id": t.id, "format": t.format, "sha256": t.sha256} for t in self.transcripts],
            "unread": [{"id": u.id, "reason": u.reason} for u in self.unread],
        }
        if self.codebook is not None:
            c = self.codebook
            out["codebook"] = {"path": c.path, "name": c.name, "version": c.version, "sha256": c.sha256}
        return out

    @classmethod
    def from_dict(cls, recorded: Mapping[str, Any] | None) -> RunInputs:
        """Read the ``inputs`` entry of a manifest (a missing or partial one gives the defaults)."""
        recorded = recorded if isinstance(recorded, Mapping) else {}
        book = recorded.get("codebook")
        folder = recorded.get("transcripts_folder")
        return cls(
            transcripts_folder=None if folder is None else str(folder),
            transcripts=tuple(TranscriptInput(str(t.get("id", "")), str(t.get("format", "")), str(t.get("sha256", "")))
                              for t in recorded.get("transcripts") or () if isinstance(t, Mapping)),
            unread=tuple(UnreadInput(str(u.get("id", "")), str(u.get("reason", "")))
                         for u in recorded.get("unread") or () if isinstance(u, Mapping)),
            codebook=CodebookInput(path=book.get("path"), name=str(book.get("name") or ""),
                                   version=str(book.get("version") or ""), sha256=book.get("sha256"))
            if isinstance(book, Mapping) else None,
        )


#: The manifest keys :class:`Provenance` types, in the order a run writes them.
TYPED_KEYS = ("wisdoms", "created", "seed", "inputs", "privacy", "timings_seconds")


@dataclass(frozen=True)
class Provenance:
    """A run's provenance.

    Attributes:
        wisdoms: The wisdoms version that ran.
        created: When the run started (ISO 8601, seconds).
        seed: The random seed.
        inputs: The transcripts (with hashes), the files not read, and the codebook.
        privacy: Where the project's privacy settings were found (folder, names, allow-list, sign-offs).
        timings_seconds: Seconds per stage.
        other: Every other manifest entry as recorded (models, themes, codebook matching and fit, counts,
            caches, python, platform, packages).
        order: The manifest's keys in the order they were recorded (``manifest.json`` keeps it); ``None`` when
            not read from a manifest (every typed entry is then written, in the order a run writes them).
    """

    wisdoms: str = ""
    created: str = ""
    seed: int | None = None
    inputs: RunInputs = field(default_factory=RunInputs)
    privacy: dict[str, str | None] = field(default_factory=dict)
    timings_seconds: dict[str, float] = field(default_factory=dict)
    other: dict[str, Any] = field(default_factory=dict)
    order: tuple[str, ...] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The manifest's provenance entries, in the order they were recorded (typed ones first when new)."""
        typed = {"wisdoms": self.wisdoms, "created": self.created, "seed": self.seed, "inputs": self.inputs.to_dict(),
                 "privacy": dict(self.privacy), "timings_seconds": dict(self.timings_seconds)}
        keys = self.order if self.order is not None else (*TYPED_KEYS, *self.other)
        out = {key: typed[key] if key in typed else self.other[key] for key in keys if key in typed or key in self.other}
        out.update((key, value) for key, value in self.other.items() if key not in out)
        return out

    @classmethod
    def from_dict(cls, recorded: Mapping[str, Any]) -> Provenance:
        """Read a manifest's provenance (``settings`` and ``panel_decisions`` are the analysis's own fields and
        must be taken out first); an entry an older run did not write takes its default."""
        seed = recorded.get("seed")
        return cls(
            wisdoms=str(recorded.get("wisdoms") or ""),
            created=str(recorded.get("created") or ""),
            seed=seed if isinstance(seed, int) else None,
            inputs=RunInputs.from_dict(recorded.get("inputs")),
            privacy=dict(recorded.get("privacy") or {}),
            timings_seconds=dict(recorded.get("timings_seconds") or {}),
            other={k: v for k, v in recorded.items() if k not in TYPED_KEYS},
            order=tuple(recorded),
        )
