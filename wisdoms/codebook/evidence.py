"""Why a text scored what it did for a code, kept as data (:class:`wisdoms.models.Evidence`, here for the matcher's
modules): which descriptor of the code it was closest to, in which clause of the text, and what learning the score
used. Writers turn it into words (:meth:`Evidence.words`)."""

from __future__ import annotations

from ..models import Evidence

__all__ = ["Evidence"]
