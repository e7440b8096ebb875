"""The segment stage's cache: each transcript's passages, kept so a re-run splits only what changed.

Each transcript's passages are kept in ``<cache>/passages/<key>.json``, keyed by the wisdoms version, the
spaCy package and version, the passage settings, and a hash of the transcript's text and turns. spaCy is
not even loaded when every transcript is cached.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from importlib import metadata
from typing import Any

from . import __version__
from ._files import write_text
from .models import Passage, Transcript
from .segment import SPACY_CANDIDATES, load_spacy, segment, spacy_model_id
from .settings import Settings

log = logging.getLogger(__name__)


def spacy_package(name: str) -> tuple[str, str] | None:
    """(package, installed version) of the spaCy pipeline ``name`` resolves to, without importing spaCy."""
    for candidate in SPACY_CANDIDATES if name == "auto" else (name,):
        if importlib.util.find_spec(candidate) is not None:
            try:
                return candidate, metadata.version(candidate)
            except metadata.PackageNotFoundError:
                return None
    return None


def segment_cached(docs: Sequence[Transcript], settings: Settings, client: Any = None) -> tuple[list[Passage], str, dict[str, int]]:
    """Passages of ``docs``, split again only for conversations whose text, turns or settings changed.

    Args:
        docs: The transcripts, in order.
        settings: Passage sizes, the spaCy pipeline and the cache folder.
        client: A Dask client to split on (``None``: in this process).

    Returns:
        The passages (in transcript order), the spaCy pipeline's id, and how many conversations were split
        and how many came from the cache (``segmented``, ``cached``).

    Raises:
        ModelUnavailableError: A transcript needs splitting and the spaCy pipeline is not installed.
    """
    package = spacy_package(settings.spacy_model)
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
