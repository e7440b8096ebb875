"""The release gate: no quote with an unresolved finding is written, and rendered output is scanned again.

See the package docstring (:mod:`wisdoms.privacy`) for how writers call it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

import yaml

from .._files import sha256_text, write_text
from ..errors import ExportBlockedError, PrivacyError
from ..settings import Settings
from .detectors import Detector, Finding
from .lexicon import NameList

log = logging.getLogger(__name__)

#: Where a project keeps its sign-offs, relative to the project folder.
DEFAULT_SIGNOFFS_FILE = Path("privacy/signoffs.yaml")

#: The stamp writers put on every page of a draft made with ``allow_unreviewed=True``.
NOT_FOR_SHARING = "NOT FOR SHARING: private draft, quotes not cleared by the privacy review"

HOW_TO_RESOLVE = (
    "pseudonymise the transcript ('wisdoms privacy scan', decide in the review sheet, 'wisdoms privacy apply') "
    "and run on the working copy, add the name to the project's privacy/names.txt, or have a reviewer sign the "
    "quote off ('wisdoms privacy sign-off --text \"...\" --by NAME')"
)


class QuoteLike(Protocol):
    """What the gate needs of a quote (:class:`wisdoms.models.Quote` has it)."""

    transcript: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class SignOff:
    """A reviewer's decision that one quote, exactly as written, may be shared.

    It holds only for the same quote text (by hash), detector version and name-list version:
    editing the quote, upgrading the detectors or changing the name list voids it.
    """

    quote_sha256: str
    detector_version: str
    names_version: str
    signed_by: str
    signed_at: str
    note: str = ""

    def covers(self, text: str, *, detector_version: str, names_version: str) -> bool:
        """Whether this sign-off clears ``text`` under the given versions."""
        return (self.quote_sha256 == sha256_text(text) and self.detector_version == detector_version
                and self.names_version == names_version)


@dataclass(frozen=True)
class SignOffs:
    """The project's sign-offs, kept in ``privacy/signoffs.yaml``."""

    entries: tuple[SignOff, ...] = ()
    path: str | None = None

    def covers(self, text: str, *, detector_version: str, names_version: str) -> bool:
        """Whether any sign-off clears ``text``."""
        return any(s.covers(text, detector_version=detector_version, names_version=names_version) for s in self.entries)

    def add(self, text: str, *, by: str, detector_version: str, names_version: str, note: str = "") -> SignOffs:
        """A copy with a sign-off for ``text`` added (signed now, in UTC)."""
        if not by.strip():
            raise PrivacyError("a sign-off needs the reviewer's name", hint="pass --by NAME")
        entry = SignOff(sha256_text(text), detector_version, names_version, by.strip(),
                        datetime.now(timezone.utc).isoformat(timespec="seconds"), note)
        return SignOffs(entries=(*self.entries, entry), path=self.path)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the sign-offs as YAML (atomically)."""
        target = Path(path or self.path or DEFAULT_SIGNOFFS_FILE)
        body = yaml.safe_dump({"signoffs": [asdict(e) for e in self.entries]}, sort_keys=False, allow_unicode=True)
        header = "# Privacy sign-offs: each clears one quote text (by SHA-256) for one detector and name-list version.\n"
        return write_text(target, header + body)

    @classmethod
    def load(cls, path: str | Path | None = None) -> SignOffs:
        """Read sign-offs; a missing default file means none.

        Raises:
            PrivacyError: The file is unreadable or an entry lacks a field.
        """
        if path is None:
            path = DEFAULT_SIGNOFFS_FILE
            if not path.exists():
                return cls()
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PrivacyError(f"cannot read sign-offs: {exc}", path=path) from exc
        entries = []
        for number, raw in enumerate(data.get("signoffs") or [], start=1):
            try:
                entries.append(SignOff(**{k: str(v) for k, v in raw.items()}))
            except TypeError as exc:
                raise PrivacyError(f"sign-off {number} is malformed: {exc}", path=path,
                                   hint="each needs quote_sha256, detector_version, names_version, signed_by, signed_at") from exc
        return cls(entries=tuple(entries), path=str(path))


@dataclass(frozen=True)
class BlockedQuote:
    """A quote the gate will not let through, and why."""

    quote: Any
    findings: tuple[Finding, ...]
    reason: str

    @property
    def message(self) -> str:
        """One paragraph for the user: which quote, which findings, where, how to resolve."""
        where = f"{self.quote.transcript}:{self.quote.start}-{self.quote.end}"
        found = "; ".join(f"{f.type} {f.text!r} at {f.source}:{f.start}-{f.end} ({f.detector})" for f in self.findings)
        return f"{where} {self.quote.text[:80]!r}: {self.reason}{': ' + found if found else ''}"


@dataclass(frozen=True)
class GateResult:
    """What the gate decided for a set of quotes.

    Attributes:
        cleared: Quotes that may be written (all but detector failures when ``draft``).
        blocked: Quotes with unresolved findings (still listed in a draft, so the writer can say so).
        draft: Made with ``allow_unreviewed=True``: every page must carry :data:`NOT_FOR_SHARING`.
        detector_version: Version the decisions were made under.
        names_version: Name-list version the decisions were made under.
    """

    cleared: tuple[Any, ...]
    blocked: tuple[BlockedQuote, ...]
    draft: bool
    detector_version: str
    names_version: str
    errors: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether nothing is blocked."""
        return not self.blocked

    def raise_if_blocked(self, *, where: str = "") -> None:
        """Raise unless every quote is cleared (a draft only raises on detector failures).

        Raises:
            ExportBlockedError: Lists every blocked quote and how to resolve it.
        """
        if not self.blocked or (self.draft and not self.errors):
            return
        listed = "\n".join(f"  - {b.message}" for b in self.blocked[:50])
        more = f"\n  ... and {len(self.blocked) - 50} more" if len(self.blocked) > 50 else ""
        raise ExportBlockedError(f"{len(self.blocked)} quote(s) hold identifiers nobody has signed off:\n{listed}{more}",
                                 path=where or None, hint=HOW_TO_RESOLVE)


class PrivacyGate:
    """Checks quotes before they are written and rendered output after.

    Args:
        settings: Run settings (the spaCy model).
        names: The project's name list (default: ``privacy/names.txt`` if present).
        signoffs: The project's sign-offs (default: ``privacy/signoffs.yaml`` if present).
        detector: A detector to use instead of building one.
    """

    def __init__(self, *, settings: Settings | None = None, names: NameList | None = None,
                 signoffs: SignOffs | None = None, detector: Detector | None = None) -> None:
        self.settings = settings
        self.names = names
        self.signoffs = signoffs
        self.detector = detector

    def fit(self) -> PrivacyGate:
        """Load the name list, sign-offs and detectors.

        Raises:
            PrivacyError: The name list or sign-offs cannot be read.
            ModelUnavailableError: The spaCy pipeline is missing.
        """
        self.names_ = self.names if self.names is not None else NameList.load(None)
        self.signoffs_ = self.signoffs if self.signoffs is not None else SignOffs.load(None)
        if self.detector is not None:
            detector = copy.copy(self.detector)  # the gate's name list wins; the caller's object is left alone
            detector.names = self.names_
        else:
            detector = Detector(settings=self.settings, names=self.names_)
        self.detector_ = detector.fit()
        self.detector_version_ = self.detector_.version
        self.names_version_ = self.detector_.names_version
        return self

    def check(self, quotes: Sequence[QuoteLike], *, allow_unreviewed: bool = False) -> GateResult:
        """Decide which quotes may be written. A detector error blocks every quote, drafts included."""
        if not hasattr(self, "detector_"):
            self.fit()
        quotes = list(quotes)
        try:
            found = self.detector_.find_many([(q.transcript, q.text, q.start) for q in quotes])
        except Exception as exc:  # noqa: BLE001  (fail closed)
            reason = f"the privacy detectors failed ({exc}); nothing is cleared"
            blocked = tuple(BlockedQuote(q, (), reason) for q in quotes)
            return GateResult((), blocked, allow_unreviewed, self.detector_version_, self.names_version_, (str(exc),))
        cleared: list[Any] = []
        blocked: list[BlockedQuote] = []
        for quote, findings in zip(quotes, found):
            if findings and not self.signoffs_.covers(quote.text, detector_version=self.detector_version_,
                                                      names_version=self.names_version_):
                blocked.append(BlockedQuote(quote, tuple(findings), "unresolved finding(s)"))
                if allow_unreviewed:
                    cleared.append(quote)
            else:
                cleared.append(quote)
        if blocked:
            log.warning("privacy gate: %d of %d quotes blocked%s", len(blocked), len(quotes),
                        " (draft: written, stamped NOT FOR SHARING)" if allow_unreviewed else "")
        return GateResult(tuple(cleared), tuple(blocked), allow_unreviewed, self.detector_version_, self.names_version_)

    def scan_rendered(self, text: str, *, where: str, quotes: Iterable[QuoteLike] = (),
                      allow_unreviewed: bool = False) -> list[Finding]:
        """Scan the whole rendered output (quotes, attributions, metadata) once more before it is written.

        Hits inside a quote the sign-offs clear are excused; any other hit blocks the write.
        For HTML, pass :func:`visible_text` of the page.

        Returns:
            The hits (empty when clean); in a draft they are returned instead of raised.

        Raises:
            ExportBlockedError: A hit outside the signed-off quotes, or a detector failure.
        """
        if not hasattr(self, "detector_"):
            self.fit()
        try:
            findings = self.detector_.find(text, source=where)
        except Exception as exc:  # noqa: BLE001  (fail closed, drafts included)
            raise ExportBlockedError(f"the final privacy scan failed: {exc}", path=where, hint=HOW_TO_RESOLVE) from exc
        excused = []
        for quote in quotes:
            if self.signoffs_.covers(quote.text, detector_version=self.detector_version_, names_version=self.names_version_):
                at = text.find(quote.text)
                while at >= 0:
                    excused.append((at, at + len(quote.text)))
                    at = text.find(quote.text, at + 1)
        hits = [f for f in findings if not any(s <= f.start and f.end <= e for s, e in excused)]
        if hits and not allow_unreviewed:
            listed = "\n".join(f"  - {f.type} {f.text!r} at {where}:{f.start}-{f.end} ({f.detector}): "
                               f"...{text[max(0, f.start - 40):f.end + 40]!r}..." for f in hits[:50])
            raise ExportBlockedError(f"the rendered output holds {len(hits)} unresolved identifier(s); nothing was written:\n{listed}",
                                     path=where, hint=HOW_TO_RESOLVE)
        return hits


_BLOCK_TAGS = frozenset("p div li ul ol h1 h2 h3 h4 h5 h6 tr td th br section article header footer blockquote "
                        "title figcaption table dt dd nav aside main".split())


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in {"title", "alt", "content"} and value:
                self.parts.append(f"\n{value}\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text a reader of an HTML page sees (plus title/alt/meta content), for :meth:`PrivacyGate.scan_rendered`."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
