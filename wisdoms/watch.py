"""Re-running the analysis whenever the transcripts change, in one process that stays loaded.

A convener who adds a conversation to the folder wants the report to follow within seconds. A new
``wisdoms run`` process spends most of a re-run starting up: importing spaCy and ONNX Runtime, loading
the sentence splitter, the NER pipeline and the encoder. :func:`watch` runs the
pipeline once, keeps those loaded, and runs it again each time a file in the folder (or the codebook,
settings or decisions file) is added, changed or removed, writing to the same output folder. Each re-run
is an ordinary :func:`wisdoms.pipeline.run`: the same caches, carried-over themes, privacy gate and
atomic writes, so its reports are the ones ``wisdoms run`` would write.

A run that fails (a transcript that cannot be read, a quote the privacy gate holds) is reported and the
watch goes on: fixing the file starts the next run.
"""

from __future__ import annotations

import logging
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._files import write_text
from .embed import Embedder
from .errors import TranscriptError, WisdomsError
from .ingest import is_hidden
from .progress import Progress
from .settings import Settings

log = logging.getLogger(__name__)

#: Seconds between looks at the folder.
POLL_SECONDS = 0.1

#: A change is acted on once the folder has looked the same for this long, so a file still being copied in
#: is not read half-written; a change is then read 0.2-0.3 s after it lands.
SETTLE_SECONDS = 0.2

#: ``(size, modification time in ns)`` of each watched file, by path.
Snapshot = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class WatchedRun:
    """One run of a watch.

    Attributes:
        number: 1 for the first run, then 2, 3, ...
        changes: What changed since the previous run (``"added conversation-12.txt"``); empty for the first.
        seconds: How long the run took, from the change being seen to the reports written.
        analysis: The run's :class:`~wisdoms.results.Analysis`, or ``None`` when it failed.
        error: The failure, as the CLI would print it, or ``""``.
    """

    number: int
    changes: tuple[str, ...]
    seconds: float
    analysis: Any = None
    error: str = ""


@dataclass
class _Options:
    codebook: str | Path | None
    out: Path
    settings: Settings
    allow_unreviewed: bool
    decisions: str | Path | None
    progress: Progress | None
    extra: list[Path] = field(default_factory=list)


def snapshot(folder: str | Path, extra: Sequence[str | Path] = ()) -> Snapshot:
    """Size and modification time of every file under ``folder`` (hidden files and Office lock files left
    out, as the readers leave them) and of each ``extra`` file that exists."""
    root = Path(folder)
    files = [p for p in root.rglob("*") if not is_hidden(p, root)] + [Path(p) for p in extra]
    out: Snapshot = {}
    for path in files:
        try:
            info = path.stat()
        except OSError:  # removed between listing and looking: it is simply not there
            continue
        if stat.S_ISREG(info.st_mode):  # one stat a file and look, not two
            out[str(path)] = (info.st_size, info.st_mtime_ns)
    return out


def describe_changes(before: Snapshot, after: Snapshot, root: str | Path) -> tuple[str, ...]:
    """``added x``, ``changed y``, ``removed z`` for each file that differs, paths relative to ``root``."""

    def name(path: str) -> str:
        try:
            return Path(path).relative_to(root).as_posix()
        except ValueError:
            return path

    added = [f"added {name(p)}" for p in sorted(set(after) - set(before))]
    removed = [f"removed {name(p)}" for p in sorted(set(before) - set(after))]
    changed = [f"changed {name(p)}" for p in sorted(set(before) & set(after)) if before[p] != after[p]]
    return tuple(added + changed + removed)


def watch(
    transcripts: str | Path = "transcripts",
    *,
    out: str | Path,
    codebook: str | Path | None = None,
    settings: Settings | None = None,
    settings_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    allow_unreviewed: bool = False,
    decisions: str | Path | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    on_run: Callable[[WatchedRun], None] | None = None,
    on_ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
    max_runs: int | None = None,
    poll_seconds: float = POLL_SECONDS,
    settle_seconds: float = SETTLE_SECONDS,
) -> int:
    """Run the analysis now and again after every change to the inputs, until ``stop`` is set, ``max_runs``
    runs have finished, or the process is interrupted.

    A run that fails (a transcript that cannot be read, a quote the privacy gate holds, a settings file
    with a typo, anything unexpected) is reported through ``on_run`` and the watch goes on. Its output
    folder then keeps the last good run's reports with :data:`NOT_CURRENT` beside them, saying they do not
    show the transcripts as they are now; the next good run removes it.

    Args:
        transcripts: The transcripts folder to watch.
        out: The output folder every run writes (the same reports, rewritten file by file, atomically).
            It must not be inside ``transcripts`` (the next run would read the reports as transcripts).
        codebook: Codebook file (watched too); ``None``: the project's ``codebook/codebook.yaml`` beside the
            transcripts if there is one, else none
            (themes found inductively, a starter codebook drafted), as for :func:`wisdoms.pipeline.run`.
        settings: As for :func:`wisdoms.pipeline.run`, when there is no ``settings_file``.
        settings_file: A YAML settings file, watched and read again before each run.
        overrides: Settings that win over the file's (the command line's ``--seed``, ``--cache-dir``).
        allow_unreviewed: As for :func:`wisdoms.pipeline.run`.
        decisions: Panel decisions file to apply (watched too).
        embedder: Use this embedder (tests pass a fake one); by default the configured one, loaded once.
        progress: Told about each long step.
        on_run: Called after each run with its :class:`WatchedRun`.
        on_ready: Called once, when the first run is done and what a re-run needs is loaded: from then on a
            change is acted on within a second.
        stop: Set it (from another thread) to end the watch after the current run.
        max_runs: End after this many runs (tests, benchmarks).
        poll_seconds: Seconds between looks at the folder.
        settle_seconds: How long a change must hold still (no file growing or touched) before a run reads it.

    Returns:
        How many runs failed.

    Raises:
        TranscriptError: The transcripts folder does not exist, or the output or cache folder is inside it.
        SettingsError: The settings file cannot be read before the first run.
        ModelUnavailableError: The embedding model is not installed.
    """
    root = Path(transcripts)
    if not root.is_dir():
        raise TranscriptError("transcripts folder not found", path=root,
                              hint="pass the folder that holds the transcript files (default: transcripts/)")
    first = _settings(settings, settings_file, overrides)
    for name, folder in (("output", Path(out)), ("cache", first.resolved_cache_dir())):
        if folder.resolve().is_relative_to(root.resolve()):
            raise TranscriptError(
                f"the {name} folder {folder} is inside the transcripts folder: each run would read what the last "
                "one wrote as transcripts", path=root,
                hint=f"give {'an output' if name == 'output' else 'a cache'} folder outside {root} "
                     f"({'--out' if name == 'output' else '--cache-dir'})")
    options = _Options(codebook=codebook, out=Path(out), settings=first, allow_unreviewed=allow_unreviewed,
                       decisions=decisions, progress=progress,
                       extra=[Path(p) for p in (_codebook_file(codebook, root),
                                                decisions, settings_file) if p is not None])
    if embedder is None:
        from .pipeline import ensure_embedder

        ensure_embedder(first)  # a missing model stops the watch here, not in every run
    stop = stop or threading.Event()
    seen = snapshot(root, options.extra)
    failures = 0
    number = 0
    last_good = 0
    changes: tuple[str, ...] = ()
    while True:
        number += 1
        result = _one_run(root, options, settings, settings_file, overrides, embedder, number, changes)
        failures += bool(result.error)
        last_good = _mark_currency(options.out, result, last_good)
        if on_run:
            on_run(result)
        del result  # the next run must not hold two analyses in memory at once
        if (max_runs is not None and number >= max_runs) or stop.is_set():
            return failures
        if number == 1:
            _warm_up(options.settings, embedder)
            if on_ready:
                on_ready()
        changed = _wait_for_change(root, options, seen, stop, poll_seconds, settle_seconds)
        if changed is None:
            return failures
        changes = describe_changes(seen, changed, root)
        seen = changed


#: Written into the output folder after a run fails, removed by the next good run.
NOT_CURRENT = "NOT-CURRENT.txt"


def _settings(settings: Settings | None, settings_file: str | Path | None,
              overrides: Mapping[str, Any] | None) -> Settings:
    base = Settings.from_file(settings_file) if settings_file else (settings or Settings())
    return base.with_overrides(**(overrides or {}))


def _one_run(root: Path, options: _Options, settings: Settings | None, settings_file: str | Path | None,
             overrides: Mapping[str, Any] | None, embedder: Embedder | None, number: int,
             changes: tuple[str, ...]) -> WatchedRun:
    from .pipeline import ensure_embedder, run

    started = time.perf_counter()
    try:
        options.settings = _settings(settings, settings_file, overrides)  # a changed settings file applies now
        analysis = run(root, codebook=options.codebook, out=options.out, settings=options.settings,
                       embedder=embedder or ensure_embedder(options.settings), allow_unreviewed=options.allow_unreviewed,
                       decisions=options.decisions, progress=options.progress)
    except WisdomsError as exc:
        error = str(exc)
    except OSError as exc:  # a file removed or still locked while it was read: the next change runs again
        error = f"{exc.filename or 'a file'}: could not be read ({exc.strerror or exc}); save it again or wait for the copy to end"
    except Exception as exc:
        log.error("run %d failed unexpectedly", number, exc_info=True)
        error = f"unexpected {type(exc).__name__}: {exc} (the traceback is in the log above; please report it)"
    else:
        return WatchedRun(number, changes, round(time.perf_counter() - started, 2), analysis)
    return WatchedRun(number, changes, round(time.perf_counter() - started, 2), None, error)


def _mark_currency(out: Path, result: WatchedRun, last_good: int) -> int:
    """After a good run, remove :data:`NOT_CURRENT`; after a failed one, say in the output folder that its
    reports are an earlier run's. Returns the number of the last good run."""
    marker = out / NOT_CURRENT
    if not result.error:
        marker.unlink(missing_ok=True)
        return result.number
    if last_good and (out / "report.html").is_file():
        try:
            write_text(marker, f"These reports are from run {last_good} of 'wisdoms watch'. Run {result.number} "
                               f"({time.strftime('%Y-%m-%d %H:%M:%S')}) failed, so they do not show the transcripts "
                               f"as they are now:\n\n{result.error}\n")
        except OSError as exc:
            log.warning("could not write %s: %s", marker, exc)
    return last_good


def _warm_up(settings: Settings, embedder: Embedder | None) -> None:
    """Load what a re-run with new text needs before it is needed; only a speed-up, so never fatal."""
    from .pipeline import warm_up

    try:
        warm_up(settings, embedder)
    except Exception as exc:  # noqa: BLE001
        log.warning("could not load the models ahead of the next run (%s); it will load them itself", exc)


def _wait_for_change(root: Path, options: _Options, seen: Snapshot, stop: threading.Event,
                     poll_seconds: float, settle_seconds: float = SETTLE_SECONDS) -> Snapshot | None:
    """The folder's next settled state that differs from ``seen`` (unchanged over ``settle_seconds`` of
    looks), or ``None`` once ``stop`` is set."""
    previous, since = seen, time.monotonic()
    while not stop.wait(poll_seconds):
        now, at = snapshot(root, options.extra), time.monotonic()
        if now != previous:
            previous, since = now, at
        elif now != seen and at - since >= settle_seconds:
            return now
    return None


def _codebook_file(codebook: str | Path | None, root: Path) -> str | Path | None:
    """The codebook file a run of ``root`` uses (the one named, else the project's own, if it exists; none for
    ``"none"``), so the watch sees it change too."""
    from .pipeline import resolve_codebook

    found = resolve_codebook(codebook, root)
    return found if isinstance(found, (str, Path)) else None
