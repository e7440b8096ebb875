"""Findings already made, on disk, so a text that has not changed is not analysed again.

One SQLite file, ``<cache>/privacy/findings.sqlite`` (WAL, one row per key). The key is built by
:meth:`wisdoms.privacy.Detector.cache_key`: a hash of the exact text and of everything the detectors'
answer depends on (rules and code version, shipped lists, spaCy model and library, name list, lower-case
mode, word-frequency data). A row holds the findings as ``(start, end, text, type, detector)`` with
offsets relative to the text, and a checksum of key and findings.

The cache can only save work, never clear a text: a row that fails its checksum or does not fit its text
is a miss, an unreadable file turns the cache off for the process (logged), and the text is detected
again. Only detections that succeeded are stored; a detector error is raised before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

#: A cached finding: ``(start, end, text, type, detector)``, offsets relative to the text it was found in.
CachedFinding = tuple[int, int, str, str, str]

_SCHEMA = "CREATE TABLE IF NOT EXISTS findings (key TEXT PRIMARY KEY, findings TEXT NOT NULL, checksum TEXT NOT NULL)"
_BATCH = 900  # below SQLite's default limit on bound parameters


class FindingsCache:
    """Findings keyed by :meth:`~wisdoms.privacy.Detector.cache_key`, in ``<folder>/findings.sqlite``.

    Args:
        folder: The cache folder (the gate uses ``Settings.resolved_cache_dir() / "privacy"``).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "findings.sqlite"
        self.disabled = False

    @classmethod
    def for_settings(cls, settings: object) -> FindingsCache:
        """The cache under the run's cache folder (``<cache>/privacy/``)."""
        return cls(Path(settings.resolved_cache_dir()) / "privacy")  # type: ignore[attr-defined]

    def _connect(self) -> sqlite3.Connection:
        self.folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=60)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(_SCHEMA)
        return con

    def get_many(self, keys: Sequence[str], texts: Mapping[str, str]) -> dict[str, list[CachedFinding]]:
        """The cached findings among ``keys``; ``texts[key]`` is the text each key was made from.

        Never raises: an unreadable cache gives no hits (and is turned off for this process), a row
        that fails its checks is a miss. Either way the texts are detected afresh.
        """
        found: dict[str, list[CachedFinding]] = {}
        if self.disabled or not keys or not self.path.exists():
            return found
        wanted = list(dict.fromkeys(keys))
        try:
            con = self._connect()
            try:
                rows = []
                for begin in range(0, len(wanted), _BATCH):
                    part = wanted[begin:begin + _BATCH]
                    marks = ",".join("?" * len(part))
                    rows += con.execute(f"SELECT key, findings, checksum FROM findings WHERE key IN ({marks})", part).fetchall()
            finally:
                con.close()
        except (sqlite3.Error, OSError) as exc:
            self._turn_off("read", exc)
            return found
        bad = 0
        for key, body, checksum in rows:
            findings = _decode(key, body, checksum, texts.get(key))
            if findings is None:
                bad += 1
            else:
                found[key] = findings
        if bad:
            log.warning("privacy findings cache %s: %d row(s) failed their checks; those texts are detected again",
                        self.path, bad)
        return found

    def put_many(self, items: Mapping[str, Sequence[CachedFinding]]) -> None:
        """Store findings, one transaction. A failure to write is logged; the findings in hand stand."""
        if self.disabled or not items:
            return
        rows = []
        for key, findings in items.items():
            body = json.dumps([list(f) for f in findings], ensure_ascii=False, separators=(",", ":"))
            rows.append((key, body, _checksum(key, body)))
        try:
            con = self._connect()
            try:
                with con:
                    con.executemany("INSERT OR REPLACE INTO findings (key, findings, checksum) VALUES (?, ?, ?)", rows)
            finally:
                con.close()
        except (sqlite3.Error, OSError) as exc:
            self._turn_off("write", exc)

    def _turn_off(self, action: str, exc: Exception) -> None:
        self.disabled = True
        log.warning("cannot %s the privacy findings cache %s (%s: %s); every text is detected afresh in this run. "
                    "Delete the file to rebuild it.", action, self.path, type(exc).__name__, exc)


def _checksum(key: str, body: str) -> str:
    return hashlib.sha256(f"{key}\x00{body}".encode()).hexdigest()


def _decode(key: str, body: object, checksum: object, text: str | None) -> list[CachedFinding] | None:
    """A row's findings, or ``None`` when the row does not hold together for ``text``."""
    if text is None or not isinstance(body, str) or checksum != _checksum(key, body):
        return None
    try:
        raw = json.loads(body)
    except ValueError:
        return None
    if not isinstance(raw, list):
        return None
    out: list[CachedFinding] = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 5):
            return None
        start, end, words, kind, detector = item
        if not (type(start) is int and type(end) is int and 0 <= start < end <= len(text)
                and isinstance(kind, str) and isinstance(detector, str) and words == text[start:end]):
            return None
        out.append((start, end, words, kind, detector))
    return out
