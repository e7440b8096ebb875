"""Learning codes from people's decisions with the wording as well as the meaning of each text.

Survey answers and passages are short (a median of six words in the NHS benchmark), and a code often
hinges on a few specific words ("parking", "wait", "rude"). A sentence embedding blurs those words into
a general meaning, so a classifier over frozen embeddings alone reaches a ceiling. :class:`LexicalFeatures`
appends TF-IDF weights of word 1-2-grams and character 3-5-grams (fitted on the codebook's texts and the
decided texts) to each embedding, and :func:`fit_one_vs_rest` trains one class-balanced logistic
regression per code on the combined features.

The weights (1.0 for each TF-IDF block next to a unit-length embedding), the n-gram ranges and the
regularisation (``C = 4``, as the embedding-only learner) are fixed, not tuned on evaluation data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

#: Weight of each TF-IDF block (its rows are unit length, like the embedding's).
WORD_WEIGHT = 1.0
CHAR_WEIGHT = 1.0
#: Inverse regularisation strength of each code's logistic regression.
LEARNED_C = 4.0


@dataclass
class LexicalFeatures:
    """An embedding with word and character n-gram TF-IDF weights appended.

    Construct, :meth:`fit` on texts (the vocabulary and document frequencies), then :meth:`transform`.

    Attributes:
        word_weight: Multiplier of the word 1-2-gram block; 0 leaves it out.
        char_weight: Multiplier of the character 3-5-gram block (within word boundaries); 0 leaves it out.
    """

    word_weight: float = WORD_WEIGHT
    char_weight: float = CHAR_WEIGHT

    def fit(self, texts: Sequence[str]) -> LexicalFeatures:
        """Learn the vocabulary and inverse document frequencies of ``texts``; returns ``self``."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [t for t in texts if t.strip()]
        self.word_ = self.char_ = None
        if self.word_weight and texts:
            self.word_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True).fit(texts)
        if self.char_weight and texts:
            # a character n-gram must occur in two texts, so one decided text cannot make its own vocabulary
            min_df = 2 if len(texts) >= 10 else 1
            try:
                self.char_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                             min_df=min_df).fit(texts)
            except ValueError:  # no n-gram occurs twice (a handful of very short texts)
                self.char_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit(texts)
        log.debug("lexical features: %d word and %d character n-grams",
                  len(self.word_.vocabulary_) if self.word_ else 0, len(self.char_.vocabulary_) if self.char_ else 0)
        return self

    def transform(self, texts: Sequence[str], vectors: NDArray[np.float32]):  # noqa: ANN201 (scipy sparse)
        """Rows ``[vector ; word TF-IDF ; character TF-IDF]`` as a sparse CSR matrix."""
        from scipy import sparse

        parts = [sparse.csr_matrix(np.asarray(vectors, dtype=np.float64))]
        if self.word_ is not None:
            parts.append(self.word_weight * self.word_.transform(texts))
        if self.char_ is not None:
            parts.append(self.char_weight * self.char_.transform(texts))
        return sparse.hstack(parts, format="csr")


def fit_one_vs_rest(x, targets: NDArray[np.bool_], weights: NDArray[np.float64],  # noqa: ANN001
                    use: NDArray[np.bool_], *, c: float = LEARNED_C, seed: int = 0) -> list:
    """One class-balanced logistic regression per column of ``targets``, trained on the rows ``use`` marks
    for that column; ``None`` for a column with no positive or no negative row.

    Args:
        x: Features, one row per training text (dense or sparse CSR).
        targets: (rows x codes) booleans: the row is an example of the code.
        weights: Per-row sample weights.
        use: (rows x codes) booleans: the rows each code's regression learns from.
        c: Inverse regularisation strength.
        seed: Random state handed to the solver.
    """
    from sklearn.linear_model import LogisticRegression

    models: list[Any] = []
    for k in range(targets.shape[1]):
        rows = np.flatnonzero(use[:, k])
        y = targets[rows, k]
        if y.all() or not y.any():
            models.append(None)
            continue
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", random_state=seed)
        models.append(model.fit(x[rows], y, sample_weight=weights[rows]))
    return models


def predict_one_vs_rest(models: Sequence, x, n_rows: int) -> NDArray[np.float32]:  # noqa: ANN001
    """(rows x codes) probabilities; a code without a model scores 0."""
    out = np.zeros((n_rows, len(models)), dtype=np.float32)
    for k, model in enumerate(models):
        if model is not None and n_rows:
            out[:, k] = model.predict_proba(x)[:, 1]
    return out


def clearest_rows(scores: NDArray[np.float32], share: float) -> NDArray[np.int64]:
    """Indices of the ``share`` of rows (at least one) whose best score leads its runner-up most, clearest first
    (ties in row order)."""
    top2 = -np.sort(-scores, axis=1)[:, :2]
    gap = top2[:, 0] - top2[:, 1] if scores.shape[1] > 1 else top2[:, 0]
    return np.argsort(-gap, kind="stable")[: max(1, int(round(share * len(scores))))]
