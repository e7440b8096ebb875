"""What a run produced: :class:`Analysis`, at the bottom of the house, with ``save``/``load``.

Every writer and later command (reports, panel packs, the REFI-QDA export, code suggestions) takes an
:class:`Analysis`; none of them needs the pipeline that made it. This module imports only the shared
models (the codebook's class is named for type checkers only), so any stage above it may import it.

``themes.json`` stays the documented, stable contract other tools read. Beside it, a run folder holds
``analysis.json``: the same analysis without loss (every passage with its turn, every match with its score
and evidence), and ``manifest.json``, the run's provenance; from the two :meth:`Analysis.load` rebuilds an
:class:`Analysis`. The transcripts and the
codebook are not copied into it: ``load`` re-reads them from where the manifest says (or where it is told)
and checks each file's SHA-256 against the manifest, so loaded offsets never point into changed text.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._files import check_folder, sha256_file, write_text
from .errors import RunFolderError, WisdomsError
from .models import CodeCoverage, Match, Passage, Quote, Records, SubTheme, Theme, Transcript, Unassigned
from .plots import by_group, prevalence, theme_map
from .provenance import Provenance
from .settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    import numpy as np
    from matplotlib.figure import Figure

    from .codebook import Codebook

log = logging.getLogger(__name__)

__all__ = [
    "ANALYSIS_FILE", "ANALYSIS_SCHEMA", "MANIFEST_FILE", "Analysis", "CodeCoverage", "SavedAnalysis", "analysis_json", "load_saved",
    "PanelDecisions", "manifest_document", "manifest_json", "passage_records", "read_run_inputs",
]

#: The file :meth:`Analysis.save` writes and :meth:`Analysis.load` reads, in a run folder.
ANALYSIS_FILE = "analysis.json"
ANALYSIS_SCHEMA = "wisdoms.analysis/1"
#: The run's provenance (seed, settings, models, versions, inputs and their hashes, panel decisions, timings).
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class PanelDecisions:
    """The co-production panels' decisions a run was made with (``wisdoms run --decisions``), as applied.

    Serialised under ``panel_decisions`` in ``manifest.json`` (:meth:`to_dict`).

    Attributes:
        file: The decisions file's name (never its local path: a manifest is shared).
        sha256: The decisions file's hash, when it was there.
        panels: One entry per panel and date: ``panel``, ``date``, and how many ``verdicts`` and
            ``flagged_quotes`` it gave.
        verdicts: Theme id (as text) -> the verdicts that applied to it, oldest panel first (``panel``, ``date``,
            ``outcome``, ``new_label``, ``merged_into``, ``rings_true``, ``call_it``, ``missing`` ...).
        flagged: Citations (``transcript:start-end``) of the quotes a panel withdrew.
        unmatched: Verdicts that matched no theme of the run.
    """

    file: str
    sha256: str | None
    panels: tuple[dict[str, Any], ...] = ()
    verdicts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    flagged: tuple[str, ...] = ()
    unmatched: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``panel_decisions`` entry of ``manifest.json``."""
        return {"file": self.file, "sha256": self.sha256, "panels": list(self.panels), "themes": self.verdicts,
                "flagged_quotes": [{"citation": c} for c in self.flagged], "unmatched": list(self.unmatched)}

    @classmethod
    def from_dict(cls, recorded: dict[str, Any]) -> PanelDecisions:
        """The decisions from a manifest's ``panel_decisions`` entry (:meth:`to_dict`)."""
        themes = recorded.get("themes") or {}
        return cls(
            file=str(recorded.get("file") or ""), sha256=recorded.get("sha256"),
            panels=tuple(p for p in recorded.get("panels") or [] if isinstance(p, dict)),
            verdicts={str(k): list(v) for k, v in themes.items() if isinstance(v, list)},
            flagged=tuple(str(q.get("citation")) for q in recorded.get("flagged_quotes") or [] if isinstance(q, dict)),
            unmatched=tuple(u for u in recorded.get("unmatched") or [] if isinstance(u, dict)),
        )

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> PanelDecisions | None:
        """The decisions a run folder's manifest records, or ``None`` when the run was made without any."""
        recorded = manifest.get("panel_decisions")
        return cls.from_dict(recorded) if isinstance(recorded, dict) and recorded else None


#: Manifest entries an :class:`Analysis` holds typed (``settings``, ``panel_decisions``), not in ``manifest``.
TYPED_ENTRIES = ("settings", "panel_decisions")


@dataclass
class Analysis:
    """Everything a run produced.

    Attributes:
        transcripts: The conversations read.
        passages: Every participant passage (``.to_frame()`` adds theme and code columns).
        themes: Candidate themes, largest first, with quotes and codes.
        matches: Passage and theme matches to codes, with scores and evidence.
        unassigned: Passages not yet in a theme, with the reason.
        codebook: The codebook used.
        coverage: Evidence for each code.
        provenance: Where the results came from, typed (:class:`~wisdoms.provenance.Provenance`): seed,
            version, inputs with hashes, timings, and the rest of the run's record. ``manifest`` is it as a
            dict (``manifest.json`` is that with ``settings`` and ``panel_decisions`` added:
            :func:`manifest_document`).
        out_dir: Where the reports were written (``None`` if not written).
        embeddings: One row per passage, in the order of ``passages`` (``None`` in a loaded analysis).
        topic_model: The fitted BERTopic model, for BERTopic's own tools (``None`` when the run carried an
            earlier run's themes over, or was loaded: ``wisdoms.run(..., refit=True)`` fits one). Its topic
            numbers are BERTopic's; ``themes`` are renumbered largest first.
        settings: The run's settings (the privacy gate's spaCy model among them).
        panel_decisions: The panels' decisions the run applied (``wisdoms run --decisions``), or ``None``.

    A ``manifest`` set with ``settings`` or ``panel_decisions`` entries (one read from ``manifest.json``) has
    them taken out into the typed fields.
    """

    transcripts: list[Transcript]
    passages: Records[Passage]
    themes: Records[Theme]
    matches: Records[Match]
    unassigned: Records[Unassigned]
    codebook: Codebook
    coverage: list[CodeCoverage]
    provenance: Provenance = field(default_factory=Provenance)
    out_dir: Path | None = None
    embeddings: np.ndarray | None = field(default=None, repr=False)
    topic_model: Any = field(default=None, repr=False, compare=False)
    settings: Settings = field(default_factory=Settings)
    panel_decisions: PanelDecisions | None = None

    @property
    def manifest(self) -> dict[str, Any]:
        """The provenance as the dict ``manifest.json`` holds (a copy: set ``manifest`` or ``provenance`` to
        change it), without the typed ``settings`` and ``panel_decisions``."""
        return self.provenance.to_dict()

    @manifest.setter
    def manifest(self, manifest: dict[str, Any]) -> None:
        manifest = dict(manifest)
        recorded = manifest.pop("settings", None)
        if isinstance(recorded, dict) and self.settings == Settings():
            self.settings = Settings.from_dict(recorded)
        decided = manifest.pop("panel_decisions", None)
        if self.panel_decisions is None and isinstance(decided, dict) and decided:
            self.panel_decisions = PanelDecisions.from_dict(decided)
        self.provenance = Provenance.from_dict(manifest)

    def __repr__(self) -> str:
        """A few lines: the counts, the codebook, where the reports are, and the largest themes."""
        s = self.summary()
        lines = [
            f"<Analysis: {s['transcripts']:,} transcripts, {s['participants']:,} participants, {s['passages']:,} "
            f"passages in {s['themes']:,} themes ({s['unassigned']:,} passages not in a theme)",
            f" codebook {_cut(self.codebook.name or '(unnamed)', 60)!r} (version {self.codebook.version}), "
            f"seed {self.provenance.seed}, reports: {self.out_dir or 'not written'}",
        ]
        if self.codebook_check:
            lines.append(f" codebook check: {self.codebook_check}")
        if len(self.themes):
            lines.append(" themes, largest first (.themes.to_frame() for all):")
            lines += [f"  {t.id:>3}  {_cut(t.label, 70)}  ({t.participants} people, {t.status})"
                      for t in self.themes[:_REPR_THEMES]]
            if len(self.themes) > _REPR_THEMES:
                lines.append(f"  ... {len(self.themes) - _REPR_THEMES:,} more")
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        """A notebook's view: the counts, then a table of the largest themes."""
        from html import escape

        s = self.summary()
        rows = "".join(
            f"<tr><td>{t.id}</td><td>{escape(t.label)}</td><td>{t.participants}</td><td>{t.passages}</td>"
            f"<td>{escape(t.status)}</td><td>{escape(', '.join(m.code for m in t.codes if m.assigned))}</td></tr>"
            for t in self.themes[:_HTML_THEMES])
        more = (f"<p>The {_HTML_THEMES} largest of {len(self.themes):,} themes; <code>.themes.to_frame()</code> "
                "has them all.</p>" if len(self.themes) > _HTML_THEMES else "")
        return (f"<p><b>Analysis</b>: {s['transcripts']:,} transcripts, {s['participants']:,} participants, "
                f"{s['passages']:,} passages in {s['themes']:,} themes ({s['unassigned']:,} not in a theme). "
                f"Codebook {escape(str(self.codebook.name))} (version {escape(str(self.codebook.version))}); "
                f"seed {escape(str(self.provenance.seed))}; reports: "
                f"{escape(str(self.out_dir or 'not written'))}.</p>"
                + (f"<p><b>Codebook check</b>: {escape(self.codebook_check)}</p>" if self.codebook_check else "")
                + "<table><thead><tr><th>theme</th><th>label</th><th>people</th><th>passages</th><th>status</th>"
                f"<th>codes</th></tr></thead><tbody>{rows}</tbody></table>{more}")

    def plot_prevalence(self, *, top: int | None = 20) -> Figure:
        """Themes by the number of people who raised them (see :func:`wisdoms.plots.prevalence`)."""
        return prevalence(self, top=top)

    def plot_groups(self, *, by: str | None = None, top: int | None = 20, suppress: bool = True) -> Figure:
        """Themes by participant group, in people (see :func:`wisdoms.plots.by_group`).

        Raises:
            WisdomsError: ``by`` is not a participant attribute, or no attribute makes groups.
        """
        return by_group(self, by=by, top=top, suppress=suppress)

    def plot_map(self) -> Figure:
        """A 2-D map of the themes by meaning (see :func:`wisdoms.plots.theme_map`).

        Raises:
            WisdomsError: No embeddings (a loaded analysis), or fewer than 2 themes.
        """
        return theme_map(self)

    @property
    def codebook_check(self) -> str:
        """One plain sentence: whether the codebook fits the material (``manifest["codebook_fit"]``; see
        :func:`wisdoms.codebook.guidance.codebook_fit`), empty when the run had no codebook."""
        fit = self.manifest.get("codebook_fit") or {}
        return str(fit.get("summary") or fit.get("note") or "")

    @property
    def participants(self) -> dict[str, dict[str, str]]:
        """Participant id -> attributes, across all transcripts."""
        people: dict[str, dict[str, str]] = {}
        for t in self.transcripts:
            for pid, attrs in t.participants.items():
                people.setdefault(pid, dict(attrs))
        return people

    def transcript(self, transcript_id: str) -> Transcript:
        """The transcript with this id (its path relative to the transcripts folder)."""
        for t in self.transcripts:
            if t.id == transcript_id:
                return t
        raise KeyError(transcript_id)

    def summary(self) -> dict[str, int]:
        """Counts a person would want first."""
        return {
            "transcripts": len(self.transcripts),
            "participants": len(self.participants),
            "passages": len(self.passages),
            "themes": len(self.themes),
            # content-free talk (backchannels, greetings ...) is never themed, and is not "not yet in a theme"
            "unassigned": sum(not u.reason.startswith("content-free") for u in self.unassigned),
            "content_free": sum(u.reason.startswith("content-free") for u in self.unassigned),
        }

    def candidate_new_codes(self) -> list[Theme]:
        """Themes that match no code: candidates for new codes."""
        return [t for t in self.themes if not t.codes]

    def uncovered_codes(self) -> list[CodeCoverage]:
        """Active codes with no supporting passage."""
        return [c for c in self.coverage if c.passages == 0]

    def save(self, folder: str | Path) -> Path:
        """Write ``analysis.json`` and ``manifest.json`` into ``folder`` (created if needed), each atomically;
        returns the path of ``analysis.json``.

        ``analysis.json`` holds the participants' passages verbatim, like ``passages.csv``, but has not been through the
        privacy gate: it is a working file to :meth:`load` again, not something to share. ``wisdoms run``
        writes it with the reports, through the gate (:func:`wisdoms.report.write_reports`).

        Raises:
            OutputError: The file cannot be written.
        """
        write_text(Path(folder) / MANIFEST_FILE, manifest_json(self))
        return write_text(Path(folder) / ANALYSIS_FILE, analysis_json(self))

    @classmethod
    def load(cls, folder: str | Path, *, transcripts: str | Path | None = None,
             codebook: str | Path | None = None) -> Analysis:
        """The analysis saved in a run folder (``wisdoms run --out``, or :meth:`save`).

        Args:
            folder: The run folder, holding ``analysis.json`` and the reports.
            transcripts: Transcripts folder, if not where the run's manifest says.
            codebook: Codebook file, if not where the run's manifest says.

        Raises:
            RunFolderError: The folder or ``analysis.json`` is missing or unreadable, or an input is missing
                or changed since the run (the message names the file and what to pass or re-run).
        """
        path = Path(folder)
        saved = load_saved(path)
        docs, book = read_run_inputs(saved.manifest, path, transcripts=transcripts, codebook=codebook)
        analysis = cls(
            transcripts=docs, passages=passage_records(saved.passages, saved.themes, saved.matches),
            themes=Records.of(Theme, saved.themes), matches=Records.of(Match, saved.matches),
            unassigned=Records.of(Unassigned, saved.unassigned), codebook=book, coverage=saved.coverage,
            out_dir=path,
        )
        analysis.manifest = saved.manifest  # settings and panel decisions taken out into their typed fields
        return analysis


@dataclass(frozen=True)
class SavedAnalysis:
    """What ``analysis.json`` holds, typed: an :class:`Analysis` without its transcripts and codebook (for
    commands that need neither, so they run where the inputs are not at hand)."""

    passages: list[Passage]
    themes: list[Theme]
    matches: list[Match]
    unassigned: list[Unassigned]
    coverage: list[CodeCoverage]
    manifest: dict[str, Any]
    draft: str | None = None


def load_saved(folder: str | Path) -> SavedAnalysis:
    """The records of the analysis saved in ``folder``, without re-reading its inputs.

    Raises:
        RunFolderError: The folder or ``analysis.json`` is missing or unreadable, or a file the run wrote
            into the folder is gone.
    """
    path = Path(folder)
    check_folder(path, RunFolderError)  # a folder a stopped run left missing, or with a file gone, is refused
    document = _read_document(path)
    try:
        return SavedAnalysis(
            passages=[Passage(**row) for row in document["passages"]],
            themes=[_theme(row) for row in document["themes"]],
            matches=[Match(**row) for row in document["matches"]],
            unassigned=[Unassigned(**row) for row in document["unassigned"]],
            coverage=[CodeCoverage(**{**row, "themes": tuple(row["themes"])}) for row in document["coverage"]],
            manifest=_read_manifest(path),
            draft=document.get("draft"),
        )
    except (KeyError, TypeError) as exc:
        raise RunFolderError(f"{ANALYSIS_FILE} is not a saved analysis: {exc}", path=path / ANALYSIS_FILE,
                             hint="re-run 'wisdoms run' to write it again") from exc


#: Themes a repr lists, and rows of a notebook's table.
_REPR_THEMES = 10
_HTML_THEMES = 30


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def passage_records(passages: Sequence[Passage], themes: Sequence[Theme], matches: Sequence[Match]) -> Records[Passage]:
    """The passages as records whose frame has each passage's theme, theme label, sub-theme, codes and words."""
    theme_of = {pid: t.id for t in themes for pid in t.passage_ids}
    subtheme_of = {pid: st.id for t in themes for st in t.subthemes for pid in st.passage_ids}
    label_of = {t.id: t.label for t in themes}
    codes_of: dict[str, list[str]] = {}
    for m in matches:
        if m.target == "passage" and m.assigned:
            codes_of.setdefault(m.target_id, []).append(m.code)
    return Records.of(
        Passage,
        passages,
        extra={
            "theme": [theme_of.get(p.id) for p in passages],
            "theme_label": [label_of.get(theme_of.get(p.id, -1), "") for p in passages],
            "subtheme": [subtheme_of.get(p.id) for p in passages],
            "codes": [codes_of.get(p.id, []) for p in passages],
            "words": [p.words for p in passages],
        },
    )


def analysis_json(analysis: Analysis, *, draft: str | None = None) -> str:
    """``analysis.json`` text (see :meth:`Analysis.save`); a draft's stamp under ``draft``."""
    document: dict[str, Any] = {
        "schema": ANALYSIS_SCHEMA,
        "passages": [asdict(p) for p in analysis.passages],
        "themes": [asdict(t) for t in analysis.themes],
        "matches": [asdict(m) for m in analysis.matches],
        "unassigned": [asdict(u) for u in analysis.unassigned],
        "coverage": [asdict(c) for c in analysis.coverage],
    }
    if draft:
        document["draft"] = draft
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"


def manifest_document(analysis: Analysis) -> dict[str, Any]:
    """The ``manifest.json`` document: the analysis's provenance (``manifest``) with its typed ``settings``
    (after ``seed``) and ``panel_decisions`` (last, when the run applied any) serialised into it."""
    document: dict[str, Any] = {}
    for key, value in analysis.manifest.items():
        if key in TYPED_ENTRIES:
            continue
        document[key] = value
        if key == "seed":
            document["settings"] = analysis.settings.to_dict()
    document.setdefault("settings", analysis.settings.to_dict())
    if analysis.panel_decisions is not None:
        document["panel_decisions"] = analysis.panel_decisions.to_dict()
    return document


def manifest_json(analysis: Analysis, *, draft: str | None = None) -> str:
    """``manifest.json``: seed, settings, models, versions, input hashes, timings and panel decisions
    (:func:`manifest_document`); a draft's stamp under ``draft``."""
    manifest = manifest_document(analysis)
    if draft:
        manifest["draft"] = draft
    return json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n"


def _theme(row: dict[str, Any]) -> Theme:
    return Theme(**{
        **row,
        "keywords": tuple(row["keywords"]),
        "passage_ids": tuple(row["passage_ids"]),
        "quotes": tuple(Quote(**q) for q in row.get("quotes", ())),
        "codes": tuple(Match(**m) for m in row.get("codes", ())),
        "subthemes": tuple(SubTheme(**{**st, "passage_ids": tuple(st["passage_ids"]), "keywords": tuple(st.get("keywords", ())),
                                       "title_quote": Quote(**st["title_quote"]) if st.get("title_quote") else None})
                           for st in row.get("subthemes", ())),
        "title_quote": Quote(**row["title_quote"]) if row.get("title_quote") else None,
        "participant_ids": tuple(row["participant_ids"]) if row.get("participant_ids") is not None else None,
    })


def _read_document(path: Path) -> dict[str, Any]:
    if not path.is_dir():
        raise RunFolderError("run folder not found", path=path, hint="pass the --out folder of 'wisdoms run'")
    file = path / ANALYSIS_FILE
    if not file.is_file():
        raise RunFolderError(f"{ANALYSIS_FILE} is missing from the run folder", path=file,
                             hint="pass a folder written by 'wisdoms run' (older runs: run it again to write it)")
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"cannot read {ANALYSIS_FILE}: {exc}", path=file,
                             hint="re-run 'wisdoms run' to write it again") from exc
    if not isinstance(document, dict) or document.get("schema") != ANALYSIS_SCHEMA:
        raise RunFolderError(f"{ANALYSIS_FILE} is not a saved analysis (expected schema {ANALYSIS_SCHEMA!r})",
                             path=file, hint="re-run 'wisdoms run' to write it again")
    return document


def _read_manifest(path: Path) -> dict[str, Any]:
    file = path / MANIFEST_FILE
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RunFolderError(f"{MANIFEST_FILE} is missing from the run folder", path=file,
                             hint="pass a folder written by 'wisdoms run' or Analysis.save") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFolderError(f"cannot read {MANIFEST_FILE}: {exc}", path=file, hint="re-run 'wisdoms run' to write it again") from exc
    if not isinstance(manifest, dict):
        raise RunFolderError(f"{MANIFEST_FILE} is not a run manifest (not a JSON object)", path=file,
                             hint="re-run 'wisdoms run' to write it again")
    manifest.pop("draft", None)  # the stamp of the files written, not a fact of the analysis
    return manifest


def _resolve(recorded: str | None, override: str | Path | None, run_dir: Path) -> Path | None:
    if override is not None:
        return Path(override)
    if not recorded:
        return None
    candidate = Path(recorded)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    beside = run_dir.parent / recorded
    return beside if beside.exists() else candidate


def read_run_inputs(manifest: dict[str, Any], run_dir: Path, *, transcripts: str | Path | None = None,
                    codebook: str | Path | None = None) -> tuple[list[Transcript], Codebook]:
    """Re-read a run's transcripts and codebook, checking their hashes against its manifest.

    Args:
        manifest: The run's manifest (``inputs`` names the folder, files and hashes).
        run_dir: The run folder (a relative recorded path is also looked for beside it).
        transcripts: Transcripts folder, if not where the manifest says.
        codebook: Codebook file, if not where the manifest says.

    Raises:
        RunFolderError: An input is missing or differs from the one the run read.
    """
    from .codebook import Codebook, load_codebook
    from .codebook._model import NO_CODEBOOK_NAME
    from .ingest import read_folder

    inputs = manifest.get("inputs") or {}
    folder = _resolve(inputs.get("transcripts_folder"), transcripts, run_dir)
    if folder is None or not folder.is_dir():
        raise RunFolderError("the transcripts folder the run read is not there", path=folder or run_dir / "manifest.json",
                             hint="pass --transcripts FOLDER (the folder given to 'wisdoms run')")
    try:
        docs = read_folder(folder, strict=False)  # a partial run's unread files are not among its inputs
    except WisdomsError as exc:
        raise RunFolderError(f"cannot re-read the transcripts: {exc.message}", path=exc.path, line=exc.line, hint=exc.hint) from exc
    recorded = {t["id"]: t["sha256"] for t in inputs.get("transcripts", [])}
    found = {t.id: t.sha256 for t in docs}
    for tid, digest in recorded.items():
        if tid not in found:
            raise RunFolderError(f"transcript {tid} from the run is no longer in the folder", path=folder / tid,
                                 hint="restore it, or re-run 'wisdoms run' and export the new run")
        if found[tid] != digest:
            raise RunFolderError(f"transcript {tid} changed since the run (sha256 {found[tid][:12]}, run read {digest[:12]})",
                                 path=folder / tid, hint="re-run 'wisdoms run' on the changed transcripts, then export the new run")
    extra = sorted(set(found) - set(recorded))
    if extra:
        log.info("ignoring %d transcripts added since the run: %s", len(extra), ", ".join(extra))
    book_info = inputs.get("codebook") or {}
    if codebook is None and not book_info.get("path") and book_info.get("name") == NO_CODEBOOK_NAME:
        # a run without a codebook (themes found inductively) had an empty one: nothing to re-read
        return [t for t in docs if t.id in recorded], Codebook(codes=(), name=NO_CODEBOOK_NAME, version="-")
    book_path = _resolve(book_info.get("path"), codebook, run_dir)
    if book_path is None or not book_path.is_file():
        raise RunFolderError("the codebook the run used is not there", path=book_path or run_dir / "manifest.json",
                             hint="pass --codebook FILE (the codebook given to 'wisdoms run')")
    if book_info.get("sha256") and sha256_file(book_path) != book_info["sha256"]:
        raise RunFolderError("the codebook changed since the run", path=book_path,
                             hint="re-run 'wisdoms run' with the new codebook, then export the new run")
    return [t for t in docs if t.id in recorded], load_codebook(book_path)
