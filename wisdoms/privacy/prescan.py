"""Privacy findings worked out ahead, in a second process, while themes are fitted.

On a first run over new transcripts, the privacy gate's detectors (spaCy NER above all) are a large
part of what follows the analysis. They depend only on the texts, so :func:`start` hands every
participant turn and passage to a second process as soon as the passages exist. That process runs the
same detectors with the same lower-case modes as the gate will (:meth:`PrivacyGate.scan_rendered_many`
for turns, :meth:`PrivacyGate.check` for passages) and fills the findings cache
(``<cache>/privacy/``), while this process fits themes on its own core. The gate then finds those
texts cached. The gate still decides everything: a prescan that fails or is not finished in time
only costs the time it would have saved.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


#: Above this many texts the second process (spaCy and every text, ~0.7 GB at 60,000) would take a run past
#: the 2 GB the main process stays within at 50,000 survey answers: no prescan.
MAX_TEXTS = 30_000


def worth_it(new: int, texts: int, threshold: int) -> bool:
    """Whether to prescan: ``new`` passages never seen before (embedded afresh this run) number at least
    ``threshold`` (0 turns it off), the ``texts`` to scan (turns and passages) at most :data:`MAX_TEXTS`, and a
    second CPU core to do it on.

    A re-run that adds a transcript or two finds nearly every text's findings cached: starting a second process
    to look them up cost a warm 10k run 1.2 s (9.1 s -> 7.7 s without it). New text is counted by the embedding
    cache, which the same texts fill, so a change that voids only the findings cache (new privacy rules, an
    edited name list) gets no prescan: the gate then detects in this process, slower once and the same. A
    prescan only pays while a theme fit runs beside it, and with few new passages the themes are carried
    over in a second or two: at 10k with every finding voided and the embeddings cached, prescanning made the
    run 21 s instead of 17 s (the gate waited for it).
    """
    return threshold > 0 and new >= threshold and texts <= MAX_TEXTS and (os.cpu_count() or 1) >= 2


def run(transcripts: Sequence[Any], passages: Sequence[Any], settings: Any) -> dict[str, float]:
    """Fill the findings cache for every participant turn and passage (in the second process).

    Returns:
        How many texts were scanned and how long it took.
    """
    from .gate import PrivacyGate

    started = time.perf_counter()
    gate = PrivacyGate(settings=settings, transcripts=transcripts).fit()
    turns = [(t.id, t.text[u.start:u.end]) for t in transcripts for u in t.participant_turns()]
    gate.scan_rendered_many(turns, allow_unreviewed=True)
    gate.check(list(passages), allow_unreviewed=True)
    return {"texts": len(turns) + len(passages), "seconds": round(time.perf_counter() - started, 2)}


def start(transcripts: Sequence[Any], passages: Sequence[Any], settings: Any) -> tuple[ProcessPoolExecutor, Future]:
    """Start :func:`run` in a new process (spawned: nothing of this one's threads is copied)."""
    import multiprocessing

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet)
    return pool, pool.submit(run, list(transcripts), list(passages), settings)


def _quiet() -> None:
    """In the prescan's own process only: the gate's warnings there ("N of M quotes blocked") are about every
    passage, not the quotes the reports will use; the gate in the main process says what matters."""
    logging.getLogger("wisdoms").setLevel(logging.ERROR)


def finish(started: tuple[ProcessPoolExecutor, Future] | None) -> None:
    """Wait for a prescan to end (what it found is in the cache) and close its process. Never raises:
    the gate detects whatever the prescan did not."""
    if started is None:
        return
    pool, future = started
    try:
        result = future.result()
        log.info("privacy findings prescanned for %d texts in %.1f s", result["texts"], result["seconds"])
    except Exception as exc:  # noqa: BLE001  (the gate itself detects everything; this only saves time)
        log.warning("the privacy prescan failed (%s); the gate detects everything itself", exc)
    finally:
        pool.shutdown(wait=True)


def abandon(started: tuple[ProcessPoolExecutor, Future] | None) -> None:
    """Stop a prescan without waiting (the run failed before its reports): its process is ended."""
    if started is None:
        return
    pool, future = started
    future.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()

