"""Privacy gates for output tests."""

from __future__ import annotations

from wisdoms.errors import PrivacyError
from wisdoms.privacy import Detector, NameList, PrivacyGate, SignOffs


class BrokenDetector(Detector):
    """A detector that fails on every call, to prove outputs fail closed."""

    def find_many(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise PrivacyError("boom")

    def find(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise PrivacyError("boom")


def broken_gate() -> PrivacyGate:
    """A fitted gate whose detector raises ``PrivacyError("boom")``."""
    return PrivacyGate(names=NameList(), signoffs=SignOffs(), detector=BrokenDetector(use_ner=False)).fit()
