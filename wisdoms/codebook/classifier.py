"""A fitted multinomial logistic regression kept as plain arrays: probabilities without scikit-learn, and
something the classifier store (:class:`wisdoms.codebook.matching.ClassifierStore`) saves without pickle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Classifier:
    """A fitted multinomial logistic regression as plain arrays: probabilities without scikit-learn, and
    something that can be saved and loaded without pickle.

    Attributes:
        classes: Code indices (columns of the matcher's scores), one per row of ``coef``.
        coef: ``(classes, dims)`` weights (one row for two classes, as scikit-learn keeps them).
        intercept: Biases, one per row of ``coef``.
        rows: How many corpus rows it was self-trained on (0: the codebook's descriptors only).
    """

    classes: NDArray[np.int64]
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    rows: int = 0

    @classmethod
    def of(cls, model: Any, rows: int = 0) -> Classifier:
        """From a fitted ``sklearn.linear_model.LogisticRegression``."""
        return cls(np.asarray(model.classes_, dtype=np.int64), np.asarray(model.coef_, dtype=np.float64),
                   np.asarray(model.intercept_, dtype=np.float64), rows)

    def predict_proba(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        """As scikit-learn's ``predict_proba``: a logistic for two classes, else softmax."""
        decision = np.asarray(x) @ self.coef.T + self.intercept
        if len(self.classes) <= 2:
            p = 1.0 / (1.0 + np.exp(-decision[:, 0]))
            return np.column_stack([1.0 - p, p])
        decision -= decision.max(axis=1, keepdims=True)
        e = np.exp(decision)
        return e / e.sum(axis=1, keepdims=True)

    def to_arrays(self) -> dict[str, NDArray[Any]]:
        """The arrays to save (``np.savez``)."""
        return {"classes": self.classes, "coef": self.coef, "intercept": self.intercept,
                "rows": np.asarray([self.rows], dtype=np.int64)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, NDArray[Any]], *, codes: int, dims: int) -> Classifier | None:
        """What :meth:`to_arrays` saved, or ``None`` when it does not fit ``codes`` codes and ``dims`` dimensions."""
        try:
            classes = np.asarray(arrays["classes"], dtype=np.int64)
            coef = np.asarray(arrays["coef"], dtype=np.float64)
            intercept = np.asarray(arrays["intercept"], dtype=np.float64)
            rows = int(np.asarray(arrays["rows"]).ravel()[0])
        except (KeyError, ValueError, TypeError, IndexError):
            return None
        if classes.ndim != 1 or rows < 0:
            return None
        heads = 1 if len(classes) == 2 else len(classes)
        if (len(classes) < 2 or classes.min() < 0 or classes.max() >= codes
                or len(set(classes.tolist())) != len(classes) or coef.shape != (heads, dims)
                or intercept.shape != (heads,) or not (np.isfinite(coef).all() and np.isfinite(intercept).all())):
            return None
        return cls(classes, coef, intercept, rows)
