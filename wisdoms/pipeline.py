"""The one place that knows the order of the stages.

``run()`` reads transcripts, splits participants' words into passages, embeds them (cached), finds
candidate themes, matches passages and themes to the codebook and writes the reports. It returns an
:class:`Analysis` whose parts a notebook can turn into DataFrames.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import platform
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any


from . import __version__
from ._files import sha256_file, write_text
from .codebook import ClassifierStore, Codebook, CodeMatcher, coverage, load_codebook
from .embed import CacheStats, Embedder, EmbeddingCache, embed_texts, make_embedder
from .errors import OutputError
from .ingest import Unread, read_folder
from .models import TABLE_FORMATS, Match, Passage, Records, Theme, Transcript, Unassigned
from .privacy.prescan import abandon as abandon_prescan
from .privacy.prescan import finish as finish_prescan
from .privacy.prescan import start as start_prescan
from .privacy.prescan import worth_it as prescan_worth_it
from .progress import Progress
from .results import Analysis, passage_records  # Analysis also re-exported: `from wisdoms.pipeline import Analysis` still works
from .segment import load_spacy, segment, spacy_model_id
from .settings import Settings
from .themes import analysable as find_analysable
from .themes import themes_for_run

log = logging.getLogger(__name__)


#: Packages whose versions every manifest records.
RECORDED_PACKAGES = (
    "numpy", "pandas", "spacy", "torch", "sentence-transformers", "transformers", "bertopic",
    "umap-learn", "hdbscan", "scikit-learn", "onnxruntime",
)


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):  # noqa: ANN202
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)


def run(
    transcripts: str | Path = "transcripts",
    *,
    codebook: str | Path | Codebook = "codebook/codebook.yaml",
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
        codebook: Codebook YAML path, or a loaded :class:`Codebook`.
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
    settings = (settings or Settings()).with_overrides(seed=seed, **overrides)
    timer = _Timer()
    started = _dt.datetime.now(_dt.timezone.utc)
    folder = Path(transcripts)

    with timer.stage("codebook"):
        book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    unread: list[Unread] = []
    with timer.stage("ingest"):
        docs = read_folder(folder, strict=strict, unread=unread)
    _step(progress, "Read transcripts", f"{len(docs)} conversations"
          + (f"; {len(unread)} file{'s' if len(unread) != 1 else ''} not read" if unread else ""))
    from .privacy.project import ProjectPrivacy

    # Found from the transcripts folder, never the working directory; shown and recorded in the manifest.
    _step(progress, "Privacy settings", ProjectPrivacy.find(folder).summary().removeprefix("privacy settings: "))

    client = None
    if settings.scheduler:
        from .distributed import connect

        client = connect(settings.scheduler)
    try:
        return _run_stages(
            docs, book, folder=folder, out=out, settings=settings, embedder=embedder, write=write,
            allow_unreviewed=allow_unreviewed, decisions=decisions, progress=progress, refit=refit,
            timer=timer, started=started, client=client, unread=unread,
        )
    finally:
        if client is not None and client is not settings.scheduler:
            client.close()


@lru_cache(maxsize=2)
def _embedder_for(model: str, encoder: str, cache_dir: str) -> Embedder:
    return make_embedder(model, encoder=encoder, cache_dir=cache_dir)


#: ``lru_cache`` does not stop two threads that miss at once from both making an embedder.
_EMBEDDER_LOCK = threading.Lock()


def ensure_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings`` configure, made once per process: a second run in a notebook or a
    ``wisdoms watch`` does not load the encoder again, nor do two runs started at once in two threads.

    Raises:
        ModelUnavailableError: The model is not installed.
    """
    with _EMBEDDER_LOCK:
        return _embedder_for(settings.model, settings.encoder, str(settings.resolved_cache_dir()))


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


def _run_stages(docs, book, *, folder, out, settings, embedder, write, allow_unreviewed, decisions, progress,  # noqa: ANN001, ANN202, C901
                refit, timer, started, client, unread):
    """The stages after reading: segment, embed, themes, codebook, reports (see :func:`run`)."""
    if progress:
        progress.start("Splitting into passages")
    with timer.stage("segment"):
        passages, spacy_id, seg_stats = _segment_cached(docs, settings, client)
    _step(progress, "Split into passages",
          f"{len(passages)} passages ({seg_stats['segmented']} conversations split, {seg_stats['cached']} from cache)")

    with timer.stage("embed"):
        embedder = embedder or ensure_embedder(settings)
        if client is not None:
            from .distributed import DaskEmbedder

            if isinstance(embedder, DaskEmbedder):
                embedder.scheduler = client
            else:
                embedder = DaskEmbedder(embedder, client)
        cache = EmbeddingCache(settings.resolved_cache_dir())
        if progress:
            progress.start("Embedding passages", len(passages))
        vectors, cache_stats = embed_texts(
            [p.analysis_text for p in passages], embedder, cache,
            progress=progress.advance if progress else None,
        )
    _step(progress, "Embedded passages", f"{cache_stats.encoded} encoded, {cache_stats.cached} from cache")

    prescan = None
    turns = sum(len(t.participant_turns()) for t in docs)
    if write and prescan_worth_it(cache_stats.encoded, turns + len(passages), settings.privacy_prescan):
        # The privacy gate's detectors need only the texts: a second process runs them while themes are fitted.
        prescan = start_prescan(docs, passages, settings)
    try:
        return _analyse(docs, book, passages, vectors, embedder, cache, cache_stats, seg_stats, spacy_id, prescan,
                        folder=folder, out=out, settings=settings, write=write, allow_unreviewed=allow_unreviewed,
                        decisions=decisions, progress=progress, refit=refit, timer=timer, started=started,
                        unread=unread)
    except BaseException:
        abandon_prescan(prescan)
        raise


def _analyse(docs, book, passages, vectors, embedder, cache, cache_stats, seg_stats, spacy_id, prescan, *,  # noqa: ANN001, ANN202, C901
             folder, out, settings, write, allow_unreviewed, decisions, progress, refit, timer, started, unread):
    """Themes, codebook and reports, after passages and embeddings (see :func:`run`)."""
    answers = {t.id for t in docs if t.format in TABLE_FORMATS}
    analysable = find_analysable(passages, settings, answers=answers)
    if progress:
        progress.start("Finding themes")
    with timer.stage("themes"):
        result = themes_for_run(
            [passages[i] for i in analysable], vectors[analysable], settings=settings,
            model=embedder.model_id, fingerprint=embedder.fingerprint,
            embed=lambda texts: embed_texts(texts, embedder, cache)[0], refit=refit, answers=answers,
        )
    if "carried_over_from" in result.params:
        _step(progress, "Carried themes over",
              f"{len(result.themes)} themes from run {result.params['carried_over_from']} "
              f"(fit {result.params['fit']}); {result.params['new_passages']} new passages, "
              f"{result.params['new_passages_assigned']} assigned")
    else:
        _step(progress, "Found candidate themes", f"{len(result.themes)} themes")

    with timer.stage("codebook_matching"):
        # The passages are the matcher's corpus, as for `wisdoms code`: transcript passages score lower
        # against code descriptions than short survey answers do, and the self-training step calibrates
        # the codes on the words actually being coded (see CodeMatcher.fit and benchmarks/CODEBOOK.md).
        # Self-trained once per theme fit: a re-run that carries the themes over reuses that fit's classifier.
        store, fit = ClassifierStore(settings.resolved_cache_dir()), str(result.params.get("fit") or "")
        key = ClassifierStore.key(book, model=embedder.model_id, fingerprint=embedder.fingerprint, corpus=fit)
        saved = store.load(key, codes=len(book.active), dims=vectors.shape[1]) if fit else None
        matcher = CodeMatcher(book, settings).fit(lambda texts: embed_texts(texts, embedder, cache)[0], corpus=vectors,
                                                  self_trained=saved)
        if saved is None and fit and matcher.self_trained_rows_:
            store.save(key, matcher.descriptor_model_)
        matching_info = {"self_trained_rows": matcher.self_trained_rows_,
                         "classifier": "reused from the theme fit" if saved is not None else "trained in this run",
                         "scored": "whole passages"}
        # Whole passages only: scoring each clause too (as `wisdoms code` does, settings.code_clauses) embeds
        # every clause, 6.5 s more in a first run at 10k survey answers (benchmarks/CODEBOOK.md).
        scored = matcher.score(vectors)
        passage_matches = matcher.match_passages(passages, vectors, scored=scored)
        scores = scored[0]
        theme_codes = matcher.match_themes(
            result.themes, passage_matches, {p.id: scores[i] for i, p in enumerate(passages)}, result.centroids
        )
        themes = [_with_codes(t, theme_codes.get(t.id, ())) for t in result.themes]
        code_coverage = coverage(book, passages, passage_matches, themes)

    unassigned = _unassigned(passages, analysable, result.assignments, settings, answers)
    records = passage_records(passages, themes, passage_matches)
    _account_for_every_passage(passages, themes, unassigned)

    analysis = Analysis(
        transcripts=docs,
        passages=records,
        themes=Records.of(Theme, themes),
        matches=Records.of(Match, [*passage_matches, *(m for t in themes for m in t.codes)]),
        unassigned=Records.of(Unassigned, unassigned),
        codebook=book,
        coverage=code_coverage,
        manifest={},
        embeddings=vectors,
        topic_model=result.model,
        settings=settings,
    )
    analysis.manifest = _manifest(
        analysis, folder=folder, settings=settings, embedder=embedder, spacy_id=spacy_id, started=started,
        timer=timer, cache_stats=cache_stats, theme_params=result.params, segment_stats=seg_stats,
        matching=matching_info, unread=unread,
    )
    if decisions:
        from .panel import apply_decisions

        analysis = apply_decisions(analysis, decisions)
    if write:
        out_dir = Path(out) if out else Path("reports") / started.strftime("%Y%m%d-%H%M%S")
        with timer.stage("report"):
            from .report import write_reports

            finish_prescan(prescan)
            write_reports(analysis, out_dir, allow_unreviewed=allow_unreviewed)
        analysis.out_dir = out_dir
        _step(progress, "Wrote reports", str(out_dir))
    return analysis


def _spacy_package(name: str) -> tuple[str, str] | None:
    """(package, installed version) of the spaCy pipeline ``name`` resolves to, without importing spaCy."""
    import importlib.util

    from .segment import SPACY_CANDIDATES

    for candidate in SPACY_CANDIDATES if name == "auto" else (name,):
        if importlib.util.find_spec(candidate) is not None:
            try:
                return candidate, metadata.version(candidate)
            except metadata.PackageNotFoundError:
                return None
    return None


def _segment_cached(docs: Sequence[Transcript], settings: Settings, client: Any) -> tuple[list[Passage], str, dict[str, int]]:
    """Passages of ``docs``, split again only for conversations whose text, turns or settings changed.

    Each transcript's passages are kept in ``<cache>/passages/<key>.json``, keyed by the wisdoms
    version, the spaCy package and version, the passage settings, and a hash of the transcript's
    text and turns. spaCy is not even loaded when every transcript is cached.
    """
    package = _spacy_package(settings.spacy_model)
    folder = settings.resolved_cache_dir() / "passages"
    keys: dict[str, str] = {}
    found: dict[str, list[Passage]] = {}
    spacy_id = ""
    if package is not None:
        for t in docs:
            material = json.dumps([__version__, package, settings.max_sentences, settings.max_words,
                                   settings.min_passage_words, t.id, t.text, repr(t.turns)])
            keys[t.id] = hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]
            path = folder / f"{keys[t.id]}.json"
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                found[t.id] = [Passage(**row) for row in entry["passages"]]
                spacy_id = entry["spacy"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
    missing = [t for t in docs if t.id not in found]
    if missing:
        nlp = load_spacy(settings.spacy_model)
        spacy_id = spacy_model_id(nlp)
        if client is not None:
            from . import distributed

            fresh = distributed.segment_distributed(missing, settings=settings, scheduler=client)
        else:
            fresh = segment(missing, settings=settings, nlp=nlp)
        by_doc: dict[str, list[Passage]] = {t.id: [] for t in missing}
        for p in fresh:
            by_doc[p.transcript].append(p)
        for t in missing:
            found[t.id] = by_doc[t.id]
            if t.id in keys:
                try:
                    write_text(folder / f"{keys[t.id]}.json", json.dumps(
                        {"spacy": spacy_id, "passages": [asdict(p) for p in by_doc[t.id]]}, ensure_ascii=False))
                except OSError as exc:  # a read-only cache only costs the next run a re-split
                    log.warning("could not cache the passages of %s: %s", t.id, exc)
    passages = [p for t in docs for p in found[t.id]]
    return passages, spacy_id, {"segmented": len(missing), "cached": len(docs) - len(missing)}


def _step(progress: Progress | None, step: str, note: str) -> None:
    log.info("%s: %s", step, note)
    if progress:
        progress.finish(step, note)


def _with_codes(theme: Theme, codes: Sequence[Match]) -> Theme:
    from dataclasses import replace

    return replace(theme, codes=tuple(codes))


def _unassigned(
    passages: Sequence[Passage], analysable: Sequence[int], assignments: dict[str, int], settings: Settings,
    answers: set[str],
) -> list[Unassigned]:
    analysable_ids = {passages[i].id for i in analysable}
    out = []
    for p in passages:
        if p.id not in analysable_ids:
            least = settings.min_answer_words if p.transcript in answers else settings.min_passage_words
            reason = f"too short to theme (fewer than {least} words)"
        elif assignments.get(p.id, -1) < 0:
            reason = "not close enough to any theme"
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


def _manifest(analysis: Analysis, *, folder: Path, settings: Settings, embedder: Embedder, spacy_id: str,
              started: _dt.datetime, timer: _Timer, cache_stats: CacheStats, theme_params: dict,
              segment_stats: dict[str, int], matching: dict[str, Any], unread: Sequence[Unread] = ()) -> dict[str, Any]:
    book = analysis.codebook
    return {
        "wisdoms": __version__,
        "created": started.isoformat(timespec="seconds"),
        "seed": settings.seed,
        "models": {"embedding": embedder.describe(), "spacy": spacy_id},
        "themes": {k: v for k, v in theme_params.items()},
        "codebook_matching": matching,
        "inputs": {
            "transcripts_folder": str(folder),
            "transcripts": [{"id": t.id, "format": t.format, "sha256": t.sha256} for t in analysis.transcripts],
            "unread": [{"id": u.id, "reason": u.reason} for u in unread],
            "codebook": {"path": book.path, "name": book.name, "version": book.version,
                         "sha256": sha256_file(book.path) if book.path and Path(book.path).is_file() else None},
        },
        "privacy": _privacy_settings(folder),
        "counts": analysis.summary(),
        "embedding_cache": {"cached": cache_stats.cached, "encoded": cache_stats.encoded},
        "segment_cache": segment_stats,
        "timings_seconds": timer.seconds,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }


def _privacy_settings(folder: Path) -> dict[str, str | None]:
    """The project's privacy settings the gate uses (found from the transcripts folder), for the manifest."""
    from .privacy.project import ProjectPrivacy

    return ProjectPrivacy.find(folder).describe()


def ensure_out_dir(path: Path) -> Path:
    """Create the output folder.

    Raises:
        OutputError: ``path`` exists and is not a folder.
    """
    if path.exists() and not path.is_dir():
        raise OutputError("output path exists and is not a folder", path=path, hint="choose another --out")
    path.mkdir(parents=True, exist_ok=True)
    return path
