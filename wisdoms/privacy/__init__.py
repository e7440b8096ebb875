"""The privacy gate: nothing identifying leaves in an export.

Detection (:mod:`.detectors`, :mod:`.patterns`, :mod:`.lexicon`) finds what a careful reviewer would
want to look at: spaCy NER on the full English pipeline, UK patterns (postcodes, phone numbers written
or read out, email, NI and NHS numbers, dates of birth, addresses, handles, plates, reference numbers,
named services), given-name and place gazetteers for lower-case speech-to-text, the project's own name
list (``privacy/names.txt``) and a reviewed allow-list of generic terms plus the project's own
(``privacy/allow.txt``). Placeholders (``[NAME]``, ``Company X``, ``Participant 3``, ``P01``), speaker labels,
acronyms and technical vocabulary are never findings (:mod:`.vocabulary`); every finding says why it was
raised (:attr:`Finding.reason`). A detector error raises :class:`~wisdoms.errors.PrivacyError`.

Project settings (name list, allow-list, sign-offs) are found from the transcripts folder
(:class:`~wisdoms.privacy.project.ProjectPrivacy`: ``privacy/`` inside it or beside it), never from the
working directory.

Lower-case mode is decided per source (a whole transcript, a row), never per snippet.

Review: ``wisdoms privacy scan`` reads a transcripts folder or a CSV/JSONL of texts and writes findings,
a review sheet and an HTML view (:mod:`.scan`); ``wisdoms privacy apply`` turns the decided sheet into a
pseudonymised working copy of the same form, a redaction log kept apart from outputs, and a kept-finding
sign-off for every "keep" (:mod:`.review`).

The gate, for writers (report, panel, export)::

    from wisdoms.privacy import PrivacyGate, NOT_FOR_SHARING, visible_text

    gate = PrivacyGate(settings=settings, transcripts=analysis.transcripts).fit()  # the project's privacy/ folder
    result = gate.check(quotes, allow_unreviewed=draft)
    result.raise_if_blocked(where="report.html")  # ExportBlockedError lists quote, finding, place, remedy
    quotes = result.cleared                         # in a draft: every quote; stamp NOT_FOR_SHARING
    ...render...
    gate.scan_rendered(visible_text(page), where="report.html", quotes=quotes, allow_unreviewed=draft)
    ...write only if it did not raise...

Rules: a quote with findings is cleared only by a :class:`SignOff` that matches the SHA-256 of its exact
text, the detector version (rules, shipped lists, NER model) and the name-list version, so an edit or
an upgrade voids it; or, for a finding a reviewer kept, by a kept-finding sign-off that matches the hash
of the kept words in their context. ``allow_unreviewed=True`` is for private drafts only: blocked quotes are still
listed, the writer must stamp every page with :data:`NOT_FOR_SHARING`. The final scan covers the whole
rendered text (attributions, area and other metadata included); any hit outside a signed-off quote
blocks the write. A detector failure blocks everything, drafts included.

Findings are cached (:mod:`.cache`, ``<cache>/privacy/findings.sqlite``) when the gate builds its own
detector from ``settings``: a text is analysed again only when it, its lower-case mode, the detectors, the
shipped lists, the spaCy model or the name list changed. A cache that cannot be read means detecting again.
"""

from __future__ import annotations

from .cache import FindingsCache
from .detectors import Detector, Finding, is_lowercase
from .gate import NOT_FOR_SHARING, BlockedQuote, GateResult, PrivacyGate, SignOff, SignOffs, visible_text
from .lexicon import NameList

__all__ = [
    "NOT_FOR_SHARING",
    "BlockedQuote",
    "Detector",
    "Finding",
    "FindingsCache",
    "GateResult",
    "NameList",
    "PrivacyGate",
    "SignOff",
    "SignOffs",
    "is_lowercase",
    "visible_text",
]
