"""The release gate: no quote with an unresolved finding is written, and rendered output is scanned again.

See the package docstring (:mod:`wisdoms.privacy`) for how writers call it.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

import yaml

from .._files import sha256_text, write_text
from ..errors import ExportBlockedError, PrivacyError
from ..models import is_table_source
from ..settings import Settings
from .cache import FindingsCache
from .detectors import Detector, Finding, _mask, source_modes
from .lexicon import NameList
from .project import ProjectPrivacy

#: Detectors whose finding alone is not enough in a file name or id (they are full of uncommon words).
_WEAK_IN_IDS = frozenset({"rare_word", "locative", "cue"})

log = logging.getLogger(__name__)

#: The stamp writers put on every page of a draft made with ``allow_unreviewed=True``.
NOT_FOR_SHARING = "NOT FOR SHARING: private draft, quotes not cleared by the privacy review"

HOW_TO_RESOLVE = (
    "pseudonymise the transcripts ('wisdoms privacy scan FOLDER', decide each term in the terms sheet, "
    "'wisdoms privacy apply') and run on the working copy (a 'keep' signs that finding off), add a term that "
    "names no one to the project's privacy/allow.txt, or have a reviewer sign the text off "
    "('wisdoms privacy sign-off --input FOLDER --text \"...\" --by NAME')"
)


def how_to_resolve(folder: str | None = None) -> str:
    """:data:`HOW_TO_RESOLVE` with the transcripts folder filled in, so the commands can be run as shown."""
    return HOW_TO_RESOLVE.replace("FOLDER", _shell_quote(folder)) if folder else HOW_TO_RESOLVE


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


#: How to resolve an identifier in a file, folder or participant id.
HOW_TO_RESOLVE_ID = (
    "rename the file or folder, or give the participant a pseudonym id in the front matter ('participant: P01'), "
    "then run again; or, if it names no one, have a reviewer sign the id off "
    "('wisdoms privacy sign-off --input FOLDER --text \"<id>\" --by NAME') or add the term to privacy/allow.txt"
)


def id_words(value: str) -> str:
    """An id or file name as words, every offset kept: separators (``-_./\\``) become spaces and a file suffix
    is blanked, so "interview-darren-whitfield-0161-496-0754.txt" reads "interview darren whitfield 0161 496 0754"."""
    suffix = re.search(r"\.[A-Za-z0-9]{1,5}$", value)
    body = value[:suffix.start()] if suffix else value
    words = re.sub(r"[-_./\\]", " ", body)
    # camelCase and digits glued to letters are separate words in a file name ("SarahThompson2", "P10GMT")
    return words + " " * (len(value) - len(body))


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

    A *kept finding* (a reviewer's "keep" in the review sheet) is a sign-off whose hashed text is the
    finding with a few words either side in its sentence, ``context_length`` characters long, and whose
    ``finding_start``/``finding_end`` place the kept words inside it. It clears that one finding in any
    quote or rendered text holding the same context unchanged, and nothing else in it.
    """

    quote_sha256: str
    detector_version: str
    names_version: str
    signed_by: str
    signed_at: str
    note: str = ""
    finding_start: int | None = None
    finding_end: int | None = None
    context_length: int | None = None
    source: str | None = None
    start: int | None = None
    end: int | None = None
    text_sha256: str | None = None

    @property
    def is_kept_finding(self) -> bool:
        """Whether this clears one reviewed finding in its context rather than a whole quote."""
        return self.finding_start is not None

    def _versions_match(self, detector_version: str, names_version: str) -> bool:
        return self.detector_version == detector_version and self.names_version == names_version

    def _place_matches(self, source: str | None, start: int | None) -> bool:
        """Whether a sign-off bound to a file and offsets is used for that file at those offsets (a caller that
        does not know them, such as a rendered theme title, is held to the text hash alone)."""
        if self.source is not None and source is not None and source != self.source:
            return False
        return self.start is None or start is None or start == self.start

    def covers(self, text: str, *, detector_version: str, names_version: str, source: str | None = None,
               start: int | None = None) -> bool:
        """Whether this sign-off clears the whole of ``text`` (found in ``source`` at ``start``, when known)."""
        return (not self.is_kept_finding and self.quote_sha256 == sha256_text(text)
                and self._versions_match(detector_version, names_version) and self._place_matches(source, start))

    def excuses(self, text: str, start: int, end: int, *, detector_version: str, names_version: str,
                source: str | None = None, offset: int | None = None) -> bool:
        """Whether this kept-finding sign-off clears a finding at ``text[start:end]``: the finding lies within
        the kept words of an unchanged occurrence of the signed context, the kept words hash to the signed
        ``text_sha256`` (so offsets edited to cover other words clear nothing), and, when the caller knows
        them, the file and the offset (``offset`` is where ``text`` starts in ``source``) are the signed ones."""
        if not self.is_kept_finding or not self._versions_match(detector_version, names_version):
            return False
        a, b, length = int(self.finding_start or 0), int(self.finding_end or 0), int(self.context_length or 0)
        if not 0 <= a < b <= length:
            return False
        for at in range(max(0, end - b), start - a + 1):
            if at + length <= len(text) and sha256_text(text[at:at + length]) == self.quote_sha256:
                if self.text_sha256 is not None and sha256_text(text[at + a:at + b]) != self.text_sha256:
                    return False
                return self._place_matches(source, None if offset is None else offset + at + a)
        return False


@dataclass(frozen=True)
class SignOffs:
    """The project's sign-offs, kept in ``privacy/signoffs.yaml``."""

    entries: tuple[SignOff, ...] = ()
    path: str | None = None

    def covers(self, text: str, *, detector_version: str, names_version: str, source: str | None = None,
               start: int | None = None) -> bool:
        """Whether any sign-off clears ``text`` (in ``source`` at ``start``, when known)."""
        return any(s.covers(text, detector_version=detector_version, names_version=names_version, source=source,
                            start=start) for s in self.entries)

    def excuses(self, text: str, start: int, end: int, *, detector_version: str, names_version: str,
                source: str | None = None, offset: int | None = None) -> bool:
        """Whether a kept-finding sign-off clears the finding at ``text[start:end]``."""
        return any(s.excuses(text, start, end, detector_version=detector_version, names_version=names_version,
                             source=source, offset=offset)
                   for s in self.entries if s.is_kept_finding)

    def add_kept_finding(self, context: str, start: int, end: int, *, by: str, detector_version: str,
                         names_version: str, note: str = "", signed_at: str | None = None,
                         source: str | None = None, at: int | None = None) -> SignOffs:
        """A copy with a kept finding added: ``context[start:end]`` was reviewed and may be shared as written.

        Raises:
            PrivacyError: No reviewer, or the span is not inside the context.
        """
        if not by.strip():
            raise PrivacyError("a sign-off needs the reviewer's name", hint="fill the reviewer column or pass --by NAME")
        if not 0 <= start < end <= len(context):
            raise PrivacyError(f"kept span {start}-{end} is not inside its context {context!r}")
        entry = SignOff(sha256_text(context), detector_version, names_version, by.strip(),
                        signed_at or datetime.now(timezone.utc).isoformat(timespec="seconds"), note,
                        start, end, len(context), source, None if at is None else at + start,
                        None if at is None else at + end, sha256_text(context[start:end]))
        return SignOffs(entries=(*self.entries, entry), path=self.path)

    def add(self, text: str, *, by: str, detector_version: str, names_version: str, note: str = "",
            source: str | None = None, start: int | None = None) -> SignOffs:
        """A copy with a sign-off for ``text`` added (signed now, in UTC); with ``source`` and ``start`` it
        clears that text only there."""
        if not by.strip():
            raise PrivacyError("a sign-off needs the reviewer's name", hint="pass --by NAME")
        entry = SignOff(sha256_text(text), detector_version, names_version, by.strip(),
                        datetime.now(timezone.utc).isoformat(timespec="seconds"), note, source=source, start=start,
                        end=None if start is None else start + len(text))
        return SignOffs(entries=(*self.entries, entry), path=self.path)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the sign-offs as YAML (atomically).

        Raises:
            PrivacyError: No path given and none known (never the working directory's ``privacy/``).
        """
        if not (path or self.path):
            raise PrivacyError("where should the sign-offs go? No project folder is known",
                               hint="pass the transcripts folder (--input) or --signoffs FILE")
        target = Path(path or self.path)  # type: ignore[arg-type]
        entries = [{k: v for k, v in asdict(e).items() if v is not None} for e in self.entries]
        body = yaml.safe_dump({"signoffs": entries}, sort_keys=False, allow_unicode=True)
        header = "# Privacy sign-offs: each clears one quote text (by SHA-256) for one detector and name-list version.\n"
        return write_text(target, header + body)

    @classmethod
    def load(cls, path: str | Path | None = None) -> SignOffs:
        """Read sign-offs; no path means none (they are found from the project folder, never the working
        directory: :class:`~wisdoms.privacy.project.ProjectPrivacy`).

        Raises:
            PrivacyError: The file is unreadable, an entry lacks a field, or a kept finding's offsets do not
                fit its context (an edited entry).
        """
        if path is None:
            return cls()
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PrivacyError(f"cannot read sign-offs: {exc}", path=path) from exc
        entries = []
        for number, raw in enumerate(data.get("signoffs") or [], start=1):
            try:
                fields = {k: (None if v is None else int(v)) if k in _INT_FIELDS else str(v) for k, v in raw.items()}
                entry = SignOff(**fields)  # type: ignore[arg-type]  # a wrong field raises TypeError: reported below
            except (TypeError, ValueError, AttributeError) as exc:
                raise PrivacyError(f"sign-off {number} is malformed: {exc}", path=path,
                                   hint="each needs quote_sha256, detector_version, names_version, signed_by, signed_at") from exc
            problem = _inconsistent(entry)
            if problem:
                raise PrivacyError(f"sign-off {number} does not hold together ({problem}): it was edited after it was "
                                   "signed", path=path, hint="delete the entry and sign the text off again "
                                   "('wisdoms privacy sign-off' or a 'keep' in the review sheet)")
            entries.append(entry)
        return cls(entries=tuple(entries), path=str(path))


_INT_FIELDS = frozenset({"finding_start", "finding_end", "context_length", "start", "end"})


def _inconsistent(entry: SignOff) -> str:
    """What does not fit in a sign-off's fields (empty when it holds together)."""
    if entry.is_kept_finding:
        a, b, n = entry.finding_start, entry.finding_end, entry.context_length
        if a is None or b is None or n is None or not 0 <= a < b <= n:
            return f"kept words {a}-{b} are not inside a context of {n} characters"
        if entry.start is not None and entry.end is not None and entry.end - entry.start != b - a:
            return f"offsets {entry.start}-{entry.end} are not as long as the kept words {a}-{b}"
    elif entry.start is not None and entry.end is not None and entry.end <= entry.start:
        return f"offsets {entry.start}-{entry.end} are empty"
    return ""


@dataclass(frozen=True)
class BlockedQuote:
    """A quote the gate will not let through, and why."""

    quote: Any
    findings: tuple[Finding, ...]
    reason: str

    @property
    def message(self) -> str:
        """One paragraph for the user: which quote, which findings, where, how to resolve."""
        # a quote may say where it stands in its own words (an answer: its id and row); else file:offsets
        where = getattr(self.quote, "place", None) or f"{self.quote.transcript}:{self.quote.start}-{self.quote.end}"
        found = "; ".join(f"{f.type} {f.text!r} at {f.source}:{f.start}-{f.end} ({f.detector}: {f.reason})"
                          for f in self.findings)
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

    def raise_if_blocked(self, *, where: str = "", hint: str | None = None) -> None:
        """Raise unless every quote is cleared (a draft only raises on detector failures).

        Raises:
            ExportBlockedError: Lists every blocked quote and how to resolve it.
        """
        if not self.blocked or (self.draft and not self.errors):
            return
        listed = "\n".join(f"  - {b.message}" for b in self.blocked[:50])
        more = f"\n  ... and {len(self.blocked) - 50} more" if len(self.blocked) > 50 else ""
        raise ExportBlockedError(f"{len(self.blocked)} quote(s) hold identifiers nobody has signed off:\n{listed}{more}",
                                 path=where or None, hint=hint or HOW_TO_RESOLVE)


class PrivacyGate:
    """Checks quotes before they are written and rendered output after.

    Args:
        settings: Run settings (the spaCy model, and the cache folder: when settings are given and no
            ``detector``, findings are cached in ``<cache>/privacy/`` and unchanged texts are not analysed
            again; sign-offs are applied after detection, so they never enter the cache).
        names: The project's name list (default: the project's ``privacy/names.txt``, if it has one).
        signoffs: The project's sign-offs (default: the project's ``privacy/signoffs.yaml``, if it has one).
        detector: A detector to use instead of building one.
        transcripts: The whole transcripts the quotes come from (anything with ``id`` and ``text``): when
            given, lower-case mode is decided from each whole transcript rather than from its quotes, and the
            project is found from the folder they were read from (``path`` minus ``id``).
        project: Where the project's privacy settings are (default: found from ``transcripts``; without
            either, none: never the working directory).
    """

    def __init__(self, *, settings: Settings | None = None, names: NameList | None = None,
                 signoffs: SignOffs | None = None, detector: Detector | None = None,
                 transcripts: Sequence[Any] | None = None, project: ProjectPrivacy | None = None) -> None:
        self.settings = settings
        self.names = names
        self.signoffs = signoffs
        self.detector = detector
        self.transcripts = transcripts
        self.project = project

    def fit(self) -> PrivacyGate:
        """Load the project's name list, allow-list and sign-offs (found from ``project``, else from the
        folder the transcripts were read from; never the working directory) and the detectors.

        Raises:
            PrivacyError: The name list or sign-offs cannot be read.
            ModelUnavailableError: The spaCy pipeline is missing.
        """
        project = self.project or ProjectPrivacy.for_transcripts(self.transcripts or ())
        self.project_ = project
        if self.names is not None:
            self.names_ = self.names
        else:
            self.names_ = NameList.load(project.names) if project and project.names else NameList()
        if self.signoffs is not None:
            self.signoffs_ = self.signoffs
        elif project is not None and project.signoffs.is_file():
            self.signoffs_ = SignOffs.load(project.signoffs)
        else:
            self.signoffs_ = SignOffs(path=str(project.signoffs) if project else None)
        allow = project.allow_terms() if project is not None else ()
        if self.detector is not None:
            detector = copy.copy(self.detector)  # the gate's name list wins; the caller's object is left alone
            detector.names = self.names_
            if allow:
                detector.allow = tuple(detector.allow or ()) + allow
        else:
            cache = FindingsCache.for_settings(self.settings) if self.settings is not None else None
            detector = Detector(settings=self.settings, names=self.names_, cache=cache, allow=allow)
        self.detector_ = detector.fit()
        self.detector_version_ = self.detector_.version
        self.names_version_ = self.detector_.names_version
        self.modes_ = source_modes((t.id, _mask(t.text)) for t in self.transcripts or () if not is_table_source(t.id))
        self.bound_ = self._bound_spans()
        return self

    @property
    def folder(self) -> str | None:
        """The transcripts folder the gate's project was found from, for the commands its errors suggest."""
        for t in self.transcripts or ():
            path, tid = getattr(t, "path", None), getattr(t, "id", None)
            if path and tid and str(path).endswith(str(tid)):
                return str(path)[: -len(str(tid))].rstrip("/\\") or None
        return None

    def _bound_spans(self) -> dict[str, list[tuple[int, int]]]:
        """Spans of the transcripts that whole-text sign-offs bound to a file and offsets clear, each checked
        against the transcript's text now: an entry whose text no longer hashes as signed clears nothing."""
        texts = {t.id: t.text for t in self.transcripts or ()}
        versions = {"detector_version": self.detector_version_, "names_version": self.names_version_}
        spans: dict[str, list[tuple[int, int]]] = {}
        for entry in self.signoffs_.entries:
            if entry.is_kept_finding or entry.source is None or entry.start is None or entry.end is None:
                continue
            text = texts.get(entry.source)
            if text is None:
                continue
            if entry.covers(text[entry.start:entry.end], source=entry.source, start=entry.start, **versions):
                spans.setdefault(entry.source, []).append((entry.start, entry.end))
            else:
                log.warning("sign-off of %s:%d-%d (signed by %s) does not match the text there now; it clears nothing",
                            entry.source, entry.start, entry.end, entry.signed_by)
        return spans

    def _bound(self, source: str | None, start: int, end: int) -> bool:
        return source is not None and any(s <= start and end <= e for s, e in self.bound_.get(source, ()))

    def check_ids(self, ids: Sequence[tuple[str, str]]) -> list[tuple[str, str, Finding]]:
        """Findings in ids and names that outputs print: ``(kind, value)`` pairs such as ``("file name",
        "interview-darren-whitfield-0161-496-0754.txt")`` or ``("participant id", "Sarah Thompson")``.

        Each value is read as words (:func:`id_words`) on its own; an uncommon word alone is no finding there
        (file names are full of them), a given name, place, name-list entry, NER name or number is. A value a
        reviewer signed off whole is cleared.

        Returns:
            ``(kind, value, finding)`` for every unresolved finding.

        Raises:
            ExportBlockedError: A detector failed.
        """
        return self._check_named(ids, words=id_words, what="file names and ids")

    def check_team_texts(self, texts: Sequence[tuple[str, str]]) -> list[tuple[str, str, Finding]]:
        """Findings in the research team's own wording that outputs print: ``(kind, value)`` pairs such as
        ``("codebook name", "codebook")`` or ``("code name t07", "Gatekeeping")`` (:func:`~wisdoms.privacy.release.codebook_texts`).

        They are checked as ids are (:meth:`check_ids`): short texts, often in lower case, are no speech-to-text,
        so the guesses made for it (an uncommon lower-case word, a word after "in" or "called") are no finding
        there; a name on the project's list, a given name (capitalised: the team writes in sentences, so "chase"
        is a verb) or place, NER's name of a person or place (a codebook names services and categories, so NER's
        organisations are not), a phone number or email is.

        Returns:
            ``(kind, value, finding)`` for every unresolved finding.

        Raises:
            ExportBlockedError: A detector failed.
        """
        return self._check_named(texts, words=lambda value: value, what="codebook's wording", team=True)

    def _check_named(self, pairs_in: Sequence[tuple[str, str]], *, words: Any,
                     what: str, team: bool = False) -> list[tuple[str, str, Finding]]:
        if not hasattr(self, "detector_"):
            self.fit()
        pairs = list(dict.fromkeys((k, v) for k, v in pairs_in if v and v.strip()))
        try:
            found = self.detector_.find_many([(f"{kind} {value}", words(value), 0) for kind, value in pairs])
        except Exception as exc:
            raise ExportBlockedError(f"the privacy scan of the {what} failed: {exc}",
                                     hint=how_to_resolve(self.folder)) from exc
        out = []
        for (kind, value), findings in zip(pairs, found):
            if self.signoffs_.covers(value, detector_version=self.detector_version_, names_version=self.names_version_):
                continue
            for f in findings:
                detectors = set(f.detector.split("+"))
                if f.text.islower() or (f.type in {"NAME", "PLACE", "ORG"} and any(c.isdigit() for c in f.text)):
                    detectors.discard("ner")  # NER guessing at a lower-case or digit-laden word of a file name
                if team and f.text.islower():
                    detectors.discard("given_name")  # the team writes in sentences: "having to chase services"
                if team and f.type == "ORG":
                    detectors.discard("ner")  # a codebook names services and categories ("the 'Timeliness of care'")
                if detectors <= _WEAK_IN_IDS:
                    continue
                out.append((kind, value, replace(f, source=f"{kind} {value!r}", text=value[f.start:f.end])))
        return out

    def check(self, quotes: Sequence[QuoteLike], *, allow_unreviewed: bool = False) -> GateResult:
        """Decide which quotes may be written. A detector error blocks every quote, drafts included."""
        if not hasattr(self, "detector_"):
            self.fit()
        quotes = list(quotes)
        try:
            # A table holds one answer per respondent, each written its own way: the lower-case mode of an
            # answer is its own, not that of a file where other respondents typed in lower case.
            items = [(f"{q.transcript}#{q.start}" if is_table_source(q.transcript) else q.transcript, q.text, q.start)
                     for q in quotes]
            found = [[replace(f, source=q.transcript) for f in fs] if is_table_source(q.transcript) else fs
                     for q, fs in zip(quotes, self.detector_.find_many(items, lowercase=self.modes_))]
        except Exception as exc:  # noqa: BLE001  (fail closed)
            reason = f"the privacy detectors failed ({exc}); nothing is cleared"
            failed = tuple(BlockedQuote(q, (), reason) for q in quotes)
            return GateResult((), failed, allow_unreviewed, self.detector_version_, self.names_version_, (str(exc),))
        cleared: list[Any] = []
        blocked: list[BlockedQuote] = []
        dv, nv = self.detector_version_, self.names_version_
        for quote, findings in zip(quotes, found):
            signed = self.signoffs_.covers(quote.text, detector_version=dv, names_version=nv, source=quote.transcript,
                                           start=quote.start)
            if findings and not signed:
                findings = [f for f in findings if not self._bound(quote.transcript, f.start, f.end)
                            and not self.signoffs_.excuses(quote.text, f.start - quote.start, f.end - quote.start,
                                                           source=quote.transcript, offset=quote.start,
                                                           detector_version=dv, names_version=nv)]
            if findings and not signed:
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
        For HTML, pass :func:`visible_text` of the page. One text: see :meth:`scan_rendered_many`.

        Returns:
            The hits (empty when clean); in a draft they are returned instead of raised.

        Raises:
            ExportBlockedError: A hit outside the signed-off quotes, or a detector failure.
        """
        return self.scan_rendered_many([(where, text)], quotes=quotes, allow_unreviewed=allow_unreviewed)[0]

    def scan_rendered_many(self, items: Sequence[tuple[str, str]], *, quotes: Iterable[QuoteLike] = (),
                           allow_unreviewed: bool = False,
                           places: Sequence[tuple[str | None, int | None]] | None = None) -> list[list[Finding]]:
        """:meth:`scan_rendered` for many ``(where, text)`` values at once: one detector pass (NER batched,
        one findings-cache transaction) instead of one per value. Each text still gets its own lower-case
        mode, as when scanned alone: a survey answer typed in lower case says nothing about the next.

        Returns:
            The hits of each item, in order (all empty when clean); in a draft they are returned.

        Raises:
            ExportBlockedError: Any hit outside the signed-off quotes (every one listed), or a detector failure.
        """
        if not hasattr(self, "detector_"):
            self.fit()
        items = list(items)
        try:
            # A unique source per item: lower-case mode is decided per source.
            found = self.detector_.find_many([(f"{where} (value {i + 1})", text, 0) for i, (where, text) in enumerate(items)])
        except Exception as exc:
            where = items[0][0] if items else ""
            raise ExportBlockedError(f"the final privacy scan failed: {exc}", path=where,
                                     hint=how_to_resolve(self.folder)) from exc
        versions = {"detector_version": self.detector_version_, "names_version": self.names_version_}
        signed = list(dict.fromkeys(q.text for q in quotes if q.text and self.signoffs_.covers(
            q.text, source=getattr(q, "transcript", None), start=getattr(q, "start", None), **versions)))
        out: list[list[Finding]] = []
        for i, ((where, text), findings) in enumerate(zip(items, found)):
            source, offset = places[i] if places is not None else (None, None)
            if findings and source is not None and offset is not None:
                findings = [f for f in findings if not self._bound(source, offset + f.start, offset + f.end)]
            if not findings:
                out.append([])
                continue
            excused = []
            for quote in signed:
                at = text.find(quote)
                while at >= 0:
                    excused.append((at, at + len(quote)))
                    at = text.find(quote, at + 1)
            out.append([replace(f, source=where) for f in findings
                        if not any(s <= f.start and f.end <= e for s, e in excused)
                        and not self.signoffs_.excuses(text, f.start, f.end, source=source, offset=offset, **versions)])
        if any(out) and not allow_unreviewed:
            hits = [(where, text, f) for (where, text), fs in zip(items, out) for f in fs]
            listed = "\n".join(f"  - {f.type} {f.text!r} at {where}:{f.start}-{f.end} ({f.detector}): "
                               f"...{text[max(0, f.start - 40):f.end + 40]!r}..." for where, text, f in hits[:50])
            more = f"\n  ... and {len(hits) - 50} more" if len(hits) > 50 else ""
            raise ExportBlockedError(f"the rendered output holds {len(hits)} unresolved identifier(s); nothing was "
                                     f"written:\n{listed}{more}", path=hits[0][0], hint=how_to_resolve(self.folder))
        return out


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
