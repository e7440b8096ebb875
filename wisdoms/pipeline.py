"""The one place that knows the order of the stages.

``run()`` reads transcripts, splits participants' words into passages, embeds them (cached), finds
candidate themes, matches passages and themes to the codebook and writes the reports. It returns an
:class:`Analysis` whose parts a notebook can turn into DataFrames.

Each stage is a short function over one :class:`RunContext`; what a stage keeps between runs lives with
the stage (passages: :mod:`wisdoms.segment_cache`; the encoder: :func:`wisdoms.embed.ensure_embedder`;
embeddings: :class:`wisdoms.embed.EmbeddingCache`; theme fits: :mod:`wisdoms.themes`; the code classifier:
:func:`wisdoms.codebook.code_run`).
"""

from __future__ import annotations

import datetime as _dt
import logging
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import __version__
from ._files import sha256_file, shown
from .codebook import NO_CODEBOOK, Codebook, find_codebook, load_codebook
from .codebook._model import NO_CODEBOOK_NAME
from .codebook.for_run import RunCoding, code_run
from .embed import CacheStats, Embedder, EmbeddingCache, embed_texts, ensure_embedder
from .errors import OutputError
from .ingest import Unread, read_folder
from .models import TABLE_FORMATS, Match, Passage, Records, Theme, Transcript, Unassigned
from .privacy.prescan import abandon as abandon_prescan
from .privacy.prescan import finish as finish_prescan
from .privacy.prescan import start as start_prescan
from .privacy.prescan import worth_it as prescan_worth_it
from .progress import Progress
from .provenance import Provenance
from .results import Analysis, passage_records  # Analysis also re-exported: `from wisdoms.pipeline import Analysis` still works
from .segment import load_spacy
from .segment_cache import segment_cached
from .settings import Settings
from .themes import ThemeResult, themes_for_run
from .themes import analysable as find_analysable

log = logging.getLogger(__name__)

__all__ = ["RECORDED_PACKAGES", "Analysis", "RunContext", "ensure_embedder", "ensure_out_dir", "package_versions",
           "run", "warm_up"]

#: The codebook a run uses when none is named and this file exists.

#: Packages whose versions every manifest records.
RECORDED_PACKAGES = (
    "numpy", "pandas", "spacy", "torch", "sentence-transformers", "transformers", "bertopic",
    "umap-learn", "hdbscan", "scikit-learn", "onnxruntime",
)


@dataclass
class RunContext:
    """One run: what it was asked for, and what each stage has made so far."""

    folder: Path
    settings: Settings
    out: str | Path | None = None
    embedder: Embedder | None = None
    write: bool = True
    allow_unreviewed: bool = False
    decisions: str | Path | None = None
    progress: Progress | None = None
    refit: bool = False
    strict: bool = False
    started: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc))
    seconds: dict[str, float] = field(default_factory=dict)
    client: Any = None
    # made by the stages, in order
    book: Codebook | None = None
    docs: list[Transcript] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    spacy_id: str = ""
    segment_stats: dict[str, int] = field(default_factory=dict)
    cache: EmbeddingCache | None = None
    vectors: Any = None
    cache_stats: CacheStats | None = None
    prescan: Any = None
    answers: set[str] = field(default_factory=set)
    analysable: list[int] = field(default_factory=list)
    found: ThemeResult | None = None
    coding: RunCoding | None = None

    @contextmanager
    def stage(self, name: str, starting: str | None = None) -> Iterator[None]:
        """Time a stage (``timings_seconds`` in the manifest); ``starting`` is shown while it runs."""
        if starting and self.progress:
            self.progress.start(starting)
        begun = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - begun, 3)

    def done(self, step: str, note: str) -> None:
        """Log a finished step and tell the progress reporter."""
        log.info("%s: %s", step, note)
        if self.progress:
            self.progress.finish(step, note)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed ``texts`` with the run's encoder, through its cache."""
        assert self.embedder is not None and self.cache is not None, "set by the embed stage"
        return embed_texts(list(texts), self.embedder, self.cache)[0]


def run(
    transcripts: str | Path = "transcripts",
    *,
    codebook: str | Path | Codebook | None = None,
    out: str | Path | None = None,
    seed: int | None = None,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    write: bool = True,
    allow_unreviewed: bool = False,
    decisions: str | Path | None = None,
    progress: Progress | None = None,
    refit: bool = False,
    strict: bool = False,
    **overrides: Any,
) -> Analysis:
    """Run the whole analysis on a folder of transcripts.

    Args:
        transcripts: Folder of transcript files.
        codebook: Codebook file (.yaml, .jsonl, .csv, .xlsx, .qdc), or a loaded :class:`Codebook`. ``None``: the
            project's ``codebook/codebook.yaml`` found beside the transcripts (in the folder or its parent, never
            the working directory) when there is one; ``"none"``, or none found: themes are found and named
            inductively and a starter codebook drafted from them is written beside the reports
            (``starter-codebook.yaml``).
        out: Output folder; default ``reports/<timestamp>/``.
        seed: Overrides ``settings.seed``.
        settings: All other options (see :class:`~wisdoms.settings.Settings`).
        embedder: Use this embedder instead of the configured model (tests pass a small fake one).
        write: Write the reports (``False`` in notebooks that only want the DataFrames).
        allow_unreviewed: Private drafts only: write quotes the privacy gate has not cleared, with
            every page stamped NOT FOR SHARING.
        decisions: A panel decisions file (``wisdoms panel import``): theme statuses, names and
            withdrawn quotes are applied before the reports are written.
        progress: Told about each long step (the CLI passes a progress bar).
        refit: Fit themes afresh even when an earlier run's themes could be carried over
            (see :func:`wisdoms.themes.themes_for_run`).
        strict: Stop if any transcript cannot be read. By default the run goes on without it: each file
            not read is logged, and listed with its reason in the manifest (``inputs.unread``) and the report.
        **overrides: Any setting by name, on top of ``settings`` (``min_theme_size=10``; see
            :class:`~wisdoms.settings.Settings`).

    Raises:
        TranscriptError: A transcript cannot be read and ``strict`` is set, no transcript can be read, or
            a folder-level file is invalid (the message names file and line).
        CodebookError: The codebook is missing or invalid.
        SettingsError: An override names no setting, or has a value of the wrong type.
        CorpusTooSmallError: Too little participant speech to look for themes.
        ModelUnavailableError: A model is not installed.
        ExportBlockedError: The privacy gate blocked a quote or the rendered output; nothing is written.
    """
    ctx = RunContext(folder=Path(transcripts), settings=(settings or Settings()).with_overrides(seed=seed, **overrides),
                     out=out, embedder=embedder, write=write, allow_unreviewed=allow_unreviewed, decisions=decisions,
                     progress=progress, refit=refit, strict=strict)
    _read(ctx, codebook)
    with _scheduler(ctx):
        _segment(ctx)
        _embed(ctx)
        _start_prescan(ctx)
        try:
            _find_themes(ctx)
            _match_codes(ctx)
            analysis = _assemble(ctx)
            if ctx.decisions:
                from .panel import apply_decisions

                analysis = apply_decisions(analysis, ctx.decisions)
            if ctx.write:
                _write(ctx, analysis)
        except BaseException:
            abandon_prescan(ctx.prescan)
            raise
    return analysis


def _read(ctx: RunContext, codebook: str | Path | Codebook | None) -> None:
    from .privacy.project import ProjectPrivacy

    with ctx.stage("codebook"):
        codebook = resolve_codebook(codebook, ctx.folder)
        if codebook is None:
            ctx.book = Codebook(codes=(), name=NO_CODEBOOK_NAME, version="-")
        else:
            ctx.book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    ctx.done("Codebook", "none: themes found and named inductively" if codebook is None else
             f"{ctx.book.name} ({len(ctx.book.codes)} codes)" + (f", {shown(codebook)}" if isinstance(codebook, (str, Path)) else ""))
    with ctx.stage("ingest"):
        ctx.docs = read_folder(ctx.folder, strict=ctx.strict, unread=ctx.unread)
    ctx.done("Read transcripts", f"{len(ctx.docs)} conversations"
             + (f"; {len(ctx.unread)} file{'s' if len(ctx.unread) != 1 else ''} not read" if ctx.unread else ""))
    # Found from the transcripts folder, never the working directory; shown and recorded in the manifest.
    ctx.done("Privacy settings", ProjectPrivacy.find(ctx.folder).summary().removeprefix("privacy settings: "))


def resolve_codebook(codebook: str | Path | Codebook | None, transcripts: str | Path) -> str | Path | Codebook | None:
    """The codebook a run uses: the one named; with none named, the project's own beside the transcripts
    (:func:`~wisdoms.codebook.find_codebook`); ``"none"`` (``--codebook none``), or no codebook found: ``None``."""
    if isinstance(codebook, (str, Path)) and str(codebook).strip().lower() == NO_CODEBOOK and not Path(codebook).is_file():
        return None
    if codebook is None:
        return find_codebook(transcripts)
    return codebook


@contextmanager
def _scheduler(ctx: RunContext) -> Iterator[None]:
    """A Dask client for the run when ``settings.scheduler`` names one, closed after it (unless passed in)."""
    if ctx.settings.scheduler:
        from .distributed import connect

        ctx.client = connect(ctx.settings.scheduler)
    try:
        yield
    finally:
        if ctx.client is not None and ctx.client is not ctx.settings.scheduler:
            ctx.client.close()


def _segment(ctx: RunContext) -> None:
    with ctx.stage("segment", "Splitting into passages"):
        ctx.passages, ctx.spacy_id, ctx.segment_stats = segment_cached(ctx.docs, ctx.settings, ctx.client)
    ctx.done("Split into passages", f"{len(ctx.passages)} passages ({ctx.segment_stats['segmented']} conversations split, "
             f"{ctx.segment_stats['cached']} from cache)")


def _embed(ctx: RunContext) -> None:
    with ctx.stage("embed"):
        embedder = ctx.embedder or ensure_embedder(ctx.settings)
        if ctx.client is not None:
            from .distributed import DaskEmbedder

            if isinstance(embedder, DaskEmbedder):
                embedder.scheduler = ctx.client
            else:
                embedder = DaskEmbedder(embedder, ctx.client)
        ctx.embedder = embedder
        ctx.cache = EmbeddingCache(ctx.settings.resolved_cache_dir())
        if ctx.progress:
            ctx.progress.start("Embedding passages", len(ctx.passages))
        ctx.vectors, ctx.cache_stats = embed_texts(
            [p.analysis_text for p in ctx.passages], embedder, ctx.cache,
            progress=ctx.progress.advance if ctx.progress else None,
        )
    ctx.done("Embedded passages", f"{ctx.cache_stats.encoded} encoded, {ctx.cache_stats.cached} from cache")


def _start_prescan(ctx: RunContext) -> None:
    """The privacy gate's detectors need only the texts: a second process runs them while themes are fitted."""
    assert ctx.cache_stats is not None
    turns = sum(len(t.participant_turns()) for t in ctx.docs)
    if ctx.write and prescan_worth_it(ctx.cache_stats.encoded, turns + len(ctx.passages), ctx.settings.privacy_prescan):
        ctx.prescan = start_prescan(ctx.docs, ctx.passages, ctx.settings)


def _find_themes(ctx: RunContext) -> None:
    assert ctx.embedder is not None
    ctx.answers = {t.id for t in ctx.docs if t.format in TABLE_FORMATS}
    ctx.analysable = find_analysable(ctx.passages, ctx.settings, answers=ctx.answers)
    guide, guide_key = None, ""
    if ctx.book is not None and ctx.book.active:  # the team's codes seed the themes (deductive)
        from .codebook.guidance import guide_key as _guide_key
        from .codebook.guidance import seed_guide

        guide, guide_key = seed_guide(ctx.book, ctx.settings, ctx.embed), _guide_key(ctx.book, ctx.settings)
    with ctx.stage("themes", "Finding themes"):
        found = ctx.found = themes_for_run(
            [ctx.passages[i] for i in ctx.analysable], ctx.vectors[ctx.analysable], settings=ctx.settings,
            model=ctx.embedder.model_id, fingerprint=ctx.embedder.fingerprint, embed=ctx.embed, refit=ctx.refit,
            answers=ctx.answers, guide=guide, guide_key=guide_key,
        )
    if "carried_over_from" in found.params:
        ctx.done("Carried themes over", f"{len(found.themes)} themes from run {found.params['carried_over_from']} "
                 f"(fit {found.params['fit']}); {found.params['new_passages']} new passages, "
                 f"{found.params['new_passages_assigned']} assigned")
    else:
        seeded = sum(t.origin == "codebook" for t in found.themes)
        ctx.done("Found candidate themes", f"{len(found.themes)} themes" + (
            f" ({seeded} seeded by the codebook's codes, {len(found.themes) - seeded} new)" if guide is not None else ""))


def _match_codes(ctx: RunContext) -> None:
    assert ctx.book is not None and ctx.embedder is not None and ctx.found is not None
    with ctx.stage("codebook_matching"):
        ctx.coding = code_run(ctx.book, ctx.settings, ctx.passages, ctx.vectors, ctx.found.themes, ctx.found.centroids,
                              embed=ctx.embed, model=ctx.embedder.model_id, fingerprint=ctx.embedder.fingerprint,
                              fit=str(ctx.found.params.get("fit") or ""), cache_dir=ctx.settings.resolved_cache_dir(),
                              substantive=[ctx.passages[i].id for i in ctx.analysable],
                              units=[[ctx.analysable[r] for r in u] for u in ctx.found.units] or None)
    fit = ctx.coding.fit
    if fit is not None and not fit.fits:
        log.warning("%s", fit.note)
        ctx.done("Codebook check", fit.note)


def _assemble(ctx: RunContext) -> Analysis:
    """The :class:`Analysis`, every passage accounted for, with its manifest."""
    assert ctx.book is not None and ctx.found is not None and ctx.coding is not None
    themes, passage_matches = ctx.coding.themes, ctx.coding.passage_matches
    unassigned = _unassigned(ctx.passages, ctx.analysable, ctx.found.assignments, ctx.found.reasons, ctx.answers)
    _account_for_every_passage(ctx.passages, themes, unassigned)
    analysis = Analysis(
        transcripts=ctx.docs,
        passages=passage_records(ctx.passages, themes, passage_matches),
        themes=Records.of(Theme, themes),
        matches=Records.of(Match, [*passage_matches, *(m for t in themes for m in t.codes)]),
        unassigned=Records.of(Unassigned, unassigned),
        codebook=ctx.book,
        coverage=ctx.coding.coverage,
        embeddings=ctx.vectors,
        topic_model=ctx.found.model,
        settings=ctx.settings,
    )
    analysis.provenance = Provenance.from_dict(_manifest(ctx, analysis))
    return analysis


def _write(ctx: RunContext, analysis: Analysis) -> None:
    from .report import write_reports

    out_dir = Path(ctx.out) if ctx.out else Path("reports") / ctx.started.strftime("%Y%m%d-%H%M%S")
    with ctx.stage("report"):
        finish_prescan(ctx.prescan)
        write_reports(analysis, out_dir, allow_unreviewed=ctx.allow_unreviewed)
    analysis.out_dir = out_dir
    ctx.done("Wrote reports", str(out_dir))


def warm_up(settings: Settings, embedder: Embedder | None = None) -> None:
    """Load now what a run that brings new text will need, so that a process that stays loaded
    (``wisdoms watch``, a notebook) does not wait for it then: the sentence splitter, the privacy gate's NER
    pipeline and word lists, and the encoder. (A carried-over re-run needs no scikit-learn: its word counts and
    code classifier are plain arrays.)

    Raises:
        ModelUnavailableError: A spaCy pipeline or the embedding model is not installed.
    """
    from .privacy.detectors import Detector

    load_spacy(settings.spacy_model)
    Detector(settings=settings).find("Ann Smith came from Leeds on 2 May.")  # NER, word frequencies, patterns
    (embedder or ensure_embedder(settings)).encode(["warming up"])


def _unassigned(
    passages: Sequence[Passage], analysable: Sequence[int], assignments: dict[str, int], reasons: dict[str, str],
    answers: set[str],
) -> list[Unassigned]:
    """Every passage in no theme, with the reason: content-free talk, too short, or not close to any theme."""
    from .segment import content_free_reason

    analysable_ids = {passages[i].id for i in analysable}
    out = []
    for p in passages:
        if p.id not in analysable_ids:
            reason = content_free_reason(p.text, answer=p.transcript in answers) or "content-free"
        elif assignments.get(p.id, -1) < 0:
            reason = reasons.get(p.id, "not close enough to any theme")
        else:
            continue
        out.append(Unassigned(p.id, p.transcript, p.participant, p.start, p.end, reason))
    return out


def _account_for_every_passage(passages: Sequence[Passage], themes: Sequence[Theme], unassigned: Sequence[Unassigned]) -> None:
    """Every passage is in exactly one theme or in the unassigned list; anything else is a bug."""
    in_themes = [pid for t in themes for pid in t.passage_ids]
    placed = in_themes + [u.passage for u in unassigned]
    if len(placed) != len(passages) or set(placed) != {p.id for p in passages}:
        raise RuntimeError(
            f"passage accounting failed: {len(passages)} passages, {len(in_themes)} in themes, "
            f"{len(unassigned)} unassigned"
        )


def package_versions(names: Sequence[str] = RECORDED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``not installed`` where missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _manifest(ctx: RunContext, analysis: Analysis) -> dict[str, Any]:
    """The run's provenance (``manifest.json`` adds the settings and panel decisions: :func:`manifest_document`)."""
    from .privacy.project import ProjectPrivacy

    assert ctx.embedder is not None and ctx.cache_stats is not None and ctx.found is not None and ctx.coding is not None
    book = analysis.codebook
    return {
        "wisdoms": __version__,
        "created": ctx.started.isoformat(timespec="seconds"),
        "seed": ctx.settings.seed,
        "models": {"embedding": ctx.embedder.describe(), "spacy": ctx.spacy_id},
        "themes": dict(ctx.found.params),
        "codebook_matching": ctx.coding.info,
        # how well the codebook fits the material (a note when it fits badly); none without a codebook
        "codebook_fit": ({"coded_share": fit.coded_share, "fits": fit.fits, "note": fit.note, "summary": fit.summary,
                          "codes": fit.codes, "selective_codes": fit.selective_codes,
                          "broadest_code": list(fit.broadest_code) if fit.broadest_code else None}
                         if (fit := ctx.coding.fit) is not None else {"codebook": "none", "note": ""}),
        "inputs": {
            "transcripts_folder": str(ctx.folder),
            "transcripts": [{"id": t.id, "format": t.format, "sha256": t.sha256} for t in analysis.transcripts],
            "unread": [{"id": u.id, "reason": u.reason} for u in ctx.unread],
            "codebook": {"path": book.path, "name": book.name, "version": book.version,
                         "sha256": sha256_file(book.path) if book.path and Path(book.path).is_file() else None},
        },
        # The project's privacy settings the gate uses (found from the transcripts folder).
        "privacy": ProjectPrivacy.find(ctx.folder).describe(),
        "counts": analysis.summary(),
        "embedding_cache": {"cached": ctx.cache_stats.cached, "encoded": ctx.cache_stats.encoded},
        "segment_cache": ctx.segment_stats,
        "timings_seconds": ctx.seconds,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }


def ensure_out_dir(path: Path) -> Path:
    """Create the output folder.

    Raises:
        OutputError: ``path`` exists and is not a folder.
    """
    if path.exists() and not path.is_dir():
        raise OutputError("output path exists and is not a folder", path=path, hint="choose another --out")
    path.mkdir(parents=True, exist_ok=True)
    return path
