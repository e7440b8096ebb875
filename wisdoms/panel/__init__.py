"""Co-production panels: plain-language theme cards out (:func:`make_pack`), verdicts back in
(:func:`import_responses`), and verdicts applied to a run's themes (:func:`apply_decisions`)."""

from __future__ import annotations

from .decisions import apply_decisions, import_responses, read_decisions
from .pack import make_pack

__all__ = ["make_pack", "import_responses", "read_decisions", "apply_decisions"]
