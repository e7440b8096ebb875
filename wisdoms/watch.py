"""Re-running the analysis whenever the transcripts change, in one process that stays loaded.

A convener who adds a conversation to the folder wants the report to follow within seconds. A new
``wisdoms run`` process spends most of a re-run starting up: importing spaCy, scikit-learn and ONNX
Runtime, loading the sentence splitter, the NER pipeline and the encoder. :func:`watch` runs the
pipeline once, keeps those loaded, and runs it again each time a file in the folder (or the codebook,
settings or decisions file) is added, changed or removed, writing to the same output folder. Each re-run
is an ordinary :func:`wisdoms.pipeline.run`: the same caches, carried-over themes, privacy gate and
atomic writes, so its reports are the ones ``wisdoms run`` would write.

A run that fails (a transcript that cannot be read, a quote the privacy gate holds) is reported and the
watch goes on: fixing the file starts the next run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .embed import Embedder
from .errors import TranscriptError, WisdomsError
from .progress import Progress
from .settings import Settings

log = logging.getLogger(__name__)

#: Seconds between looks at the folder. A change is acted on once two looks in a row agree, so a file
#: still being copied in is not read half-written.
POLL_SECONDS = 0.25

#: ``(size, modification time in ns)`` of each watched file, by path.
Snapshot = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class WatchedRun:
    """One run of a watch.

    Attributes:
        number: 1 for the first run, then 2, 3, ...
        changes: What changed since the previous run (``"added conversation-12.txt"``); empty for the first.
        seconds: How long the run took, from the change being seen to the reports written.
        analysis: The run's :class:`~wisdoms.pipeline.Analysis`, or ``None`` when it failed.
        error: The failure, as the CLI would print it, or ``""``.
    """

    number: int
    changes: tuple[str, ...]
    seconds: float
    analysis: Any = None
    error: str = ""


@dataclass
class _Options:
    codebook: str | Path
    out: Path
    settings: Settings
    allow_unreviewed: bool
    decisions: str | Path | None
    progress: Progress | None
    extra: list[Path] = field(default_factory=list)
    ignore: list[Path] = field(default_factory=list)


def snapshot(folder: str | Path, extra: Sequence[str | Path] = (), *, ignore: Sequence[str | Path] = ()) -> Snapshot:
    """Size and modification time of every file under ``folder`` (hidden files, Office lock files and
    anything under an ``ignore`` folder left out) and of each ``extra`` file that exists."""
    root = Path(folder)
    skip = [Path(i).resolve() for i in ignore]
    files = [p for p in root.rglob("*") if not any(part.startswith((".", "~$")) for part in p.relative_to(root).parts)
             and not any(p.resolve().is_relative_to(s) for s in skip)]
    files += [Path(p) for p in extra]
    out: Snapshot = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:  # removed between listing and looking: it is simply not there
            continue
        if path.is_file():
            out[str(path)] = (stat.st_size, stat.st_mtime_ns)
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
    codebook: str | Path = "codebook/codebook.yaml",
    settings: Settings | None = None,
    allow_unreviewed: bool = False,
    decisions: str | Path | None = None,
    watch_also: Sequence[str | Path] = (),
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    on_run: Callable[[WatchedRun], None] | None = None,
    stop: threading.Event | None = None,
    max_runs: int | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> int:
    """Run the analysis now and again after every change to the inputs, until ``stop`` is set, ``max_runs``
    runs have finished, or the process is interrupted.

    Args:
        transcripts: The transcripts folder to watch.
        out: The output folder every run writes (the same reports, rewritten file by file, atomically).
        codebook: Codebook file (watched too).
        settings: As for :func:`wisdoms.pipeline.run`.
        allow_unreviewed: As for :func:`wisdoms.pipeline.run`.
        decisions: Panel decisions file to apply (watched too).
        watch_also: Other files whose change should start a run (the settings file).
        embedder: Use this embedder (tests pass a fake one); by default the configured one, loaded once.
        progress: Told about each long step.
        on_run: Called after each run with its :class:`WatchedRun`.
        stop: Set it (from another thread) to end the watch after the current run.
        max_runs: End after this many runs (tests, benchmarks).
        poll_seconds: Seconds between looks at the folder.

    Returns:
        How many runs failed.

    Raises:
        TranscriptError: The transcripts folder does not exist.
        ModelUnavailableError: The embedding model is not installed.
    """
    from .pipeline import ensure_embedder, run, warm_up

    settings = settings or Settings()
    root = Path(transcripts)
    options = _Options(codebook=codebook, out=Path(out), settings=settings, allow_unreviewed=allow_unreviewed,
                       decisions=decisions, progress=progress,
                       extra=[Path(p) for p in (codebook, decisions, *watch_also) if p is not None],
                       # what the runs write: inside the watched folder, each run's reports would start the next
                       ignore=[Path(out), settings.resolved_cache_dir()])
    if not root.is_dir():
        raise TranscriptError("transcripts folder not found", path=root,
                              hint="pass the folder that holds the transcript files (default: transcripts/)")
    embedder = embedder or ensure_embedder(settings)
    stop = stop or threading.Event()
    seen = snapshot(root, options.extra, ignore=options.ignore)
    failures = 0
    number = 0
    changes: tuple[str, ...] = ()
    while True:
        number += 1
        started = time.perf_counter()
        result = _one_run(run, root, options, embedder, number, changes, started)
        failures += bool(result.error)
        if number == 1:
            warm_up(settings, embedder)  # what a re-run with new text needs, loaded before it is needed
        if on_run:
            on_run(result)
        del result  # the next run must not hold two analyses in memory at once
        if (max_runs is not None and number >= max_runs) or stop.is_set():
            return failures
        changed = _wait_for_change(root, options, seen, stop, poll_seconds)
        if changed is None:
            return failures
        changes = describe_changes(seen, changed, root)
        seen = changed


def _one_run(run: Callable[..., Any], root: Path, options: _Options, embedder: Embedder, number: int,
             changes: tuple[str, ...], started: float) -> WatchedRun:
    try:
        analysis = run(root, codebook=options.codebook, out=options.out, settings=options.settings,
                       embedder=embedder, allow_unreviewed=options.allow_unreviewed, decisions=options.decisions,
                       progress=options.progress)
    except WisdomsError as exc:
        log.debug("watched run %d failed", number, exc_info=True)
        return WatchedRun(number, changes, round(time.perf_counter() - started, 2), None, str(exc))
    return WatchedRun(number, changes, round(time.perf_counter() - started, 2), analysis)


def _wait_for_change(root: Path, options: _Options, seen: Snapshot, stop: threading.Event,
                     poll_seconds: float) -> Snapshot | None:
    """The folder's next settled state that differs from ``seen`` (two looks in a row agree), or ``None``
    once ``stop`` is set."""
    previous = seen
    while not stop.wait(poll_seconds):
        now = snapshot(root, options.extra, ignore=options.ignore)
        if now != seen and now == previous:
            return now
        previous = now
    return None
