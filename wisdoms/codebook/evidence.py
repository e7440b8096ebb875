"""Why a text scored what it did for a code, kept as data: which descriptor of the code it was closest to, in
which clause of the text, and what learning the score used. Writers turn it into words (:meth:`Evidence.words`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Evidence:
    """The evidence behind one (text, code) score.

    Attributes:
        code: The code's id.
        descriptor: The code's descriptor the text (or its clause) was closest to: ``definition``, ``name``,
            ``group`` (the code named within its parent), ``inclusion note`` or ``example N`` (from 1); empty
            for a blank text.
        clause: Code points ``(start, end)`` (from 0, end excluded) of the clause that scored, in the text the
            evidence is about; ``None`` when the whole text scored.
        learned_from: ``""`` for a zero-shot score; ``decisions`` when the
            score is learned.
        uses: The parts of a learned score (``codebook``, ``meaning``, ``wording``), as cross-validation chose them.
        blank: The text is blank, so no code applies.
    """

    code: str
    descriptor: str = ""
    clause: tuple[int, int] | None = None
    learned_from: str = ""
    uses: tuple[str, ...] = ()
    blank: bool = False

    def in_text(self, positions: Sequence[int]) -> Evidence:
        """The same evidence with its clause counted in another text: ``positions[i]`` is where character ``i`` of
        the scored text is in that one (:func:`wisdoms.models.analysis_positions`)."""
        if self.clause is None:
            return self
        start, end = self.clause
        return replace(self, clause=(positions[start], positions[end - 1] + 1))

    def words(self) -> str:
        """The evidence in words, for a table or report: "example 2", "learned from decisions (codebook + meaning;
        closest to: definition), in its clause at characters 17-31" (counted from 1, both ends included)."""
        if self.blank:
            return "a blank answer"
        text = self.descriptor
        if self.learned_from:
            text = f"learned from {self.learned_from} ({' + '.join(self.uses) or 'codebook'}; closest to: {text})"
        if self.clause is not None:
            text += f", in its clause at characters {self.clause[0] + 1}-{self.clause[1]}"
        return text
