"""Findings already made, on disk, so a text that has not changed is not analysed again.

One SQLite file, ``<cache>/privacy/findings.sqlite`` (WAL, one row per key). The key is built by
:meth:`wisdoms.privacy.Detector.cache_key`: a hash of the exact text and of everything the detectors'
answer depends on (rules and code version, shipped lists, spaCy model and library, name list, lower-case
mode, word-frequency data). A row holds the findings as ``(start, end, text, type, detector)`` with
offsets relative to the text, and an HMAC-SHA256 of key and findings under a secret kept beside the file
(``findings.key``, 32 random bytes, readable and writable by its owner only). Whoever can write the
cache but not read the key cannot forge a row ("no findings" for a text with a phone number): a row
whose HMAC does not verify is a miss. A key that others may read or write turns the cache off.

The cache can only save work, never clear a text: a row that fails its checksum or does not fit its text
is a miss, an unreadable file turns the cache off for the process (logged), and the text is detected
again. Only detections that succeeded are stored; a detector error is raised before anything is written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import stat
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
        self.key_path = self.folder / "findings.key"
        self.disabled = False
        self._key: bytes | None = None

    def _secret(self, *, create: bool) -> bytes | None:
        """The cache's HMAC key: read (owner-only permissions checked), or made now when ``create``.

        Returns ``None`` (and turns the cache off, logged) when the key cannot be read or others may read
        or write it; ``None`` without a key file when not ``create``.
        """
        if self._key is not None:
            return self._key
        try:
            if not self.key_path.exists():
                if not create:
                    return None
                self.folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_hex(32))
            info = self.key_path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
                raise PermissionError(f"{self.key_path} must be a file of yours readable by you only (chmod 600)")
            key = bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
            if len(key) < 32:
                raise ValueError("the key is shorter than 32 bytes")
        except FileExistsError:
            return self._secret(create=False)  # another process made it first
        except (OSError, ValueError) as exc:
            self._turn_off("use the key of", exc)
            return None
        self._key = key
        return key

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
        secret = self._secret(create=False)
        if secret is None:
            return found  # rows made under a key that is gone cannot be verified: detect again
        wanted = list(dict.fromkeys(keys))
        try:
            con = self._connect()
            try:
                rows = []
                for begin in range(0, len(wanted), _BATCH):
                    part = wanted[begin:begin + _BATCH]
                    marks = ",".join("?" * len(part))
                    rows += con.execute(f"SELECT key, findings, checksum FROM findings WHERE key IN ({marks})", part).fetchall()  # noqa: S608 - "?" marks only
            finally:
                con.close()
        except (sqlite3.Error, OSError) as exc:
            self._turn_off("read", exc)
            return found
        bad = 0
        for key, body, checksum in rows:
            findings = _decode(key, body, checksum, texts.get(key), secret)
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
        secret = self._secret(create=True)
        if secret is None:
            return
        rows = []
        for key, findings in items.items():
            body = json.dumps([list(f) for f in findings], ensure_ascii=False, separators=(",", ":"))
            rows.append((key, body, _checksum(key, body, secret)))
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


def _checksum(key: str, body: str, secret: bytes) -> str:
    return hmac.new(secret, f"{key}\x00{body}".encode(), hashlib.sha256).hexdigest()


def _decode(key: str, body: object, checksum: object, text: str | None, secret: bytes) -> list[CachedFinding] | None:
    """A row's findings, or ``None`` when the row does not hold together for ``text`` or its HMAC fails."""
    if text is None or not isinstance(body, str) or not isinstance(checksum, str):
        return None
    if not hmac.compare_digest(checksum, _checksum(key, body, secret)):
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
