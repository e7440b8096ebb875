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
from collections.abc import Callable, Sequence
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
#: Sample weight of a codebook descriptor (name, definition, example) among decided texts (each weighs 1).
PRIOR_WEIGHT = 0.3


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
        # liblinear: the same L2-regularised logistic loss, 10-20x faster than lbfgs on a few hundred rows of
        # sparse n-gram features (76 codes: 8 s against 145-170 s on the shared 2-core machine)
        model = LogisticRegression(C=c, solver="liblinear", max_iter=2000, class_weight="balanced",
                                   random_state=seed)
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


#: What a learned code may use, simplest first (ties go to the earlier): the codebook's own (zero-shot) score,
#: calibrated on the decisions; a regression over the embedding ("meaning"); one over the embedding and the words
#: ("wording"); blends of them (the mean of their probabilities). Cross-validation on the decided texts chooses
#: among them (see :class:`CodeLearner`), so a component that does not help is dropped.
COMBINATIONS: tuple[tuple[str, ...], ...] = (
    ("codebook",), ("meaning",), ("wording",), ("codebook", "meaning"), ("meaning", "wording"),
    ("codebook", "meaning", "wording"))
#: Folds of the cross-validation on the decided texts (3: each fold's regressions see two thirds of them; more
#: folds cost a fit each).
CV_FOLDS = 3
#: A code leaves the combination chosen for all codes only when another raises its cross-validated F1 by at least
#: this much (one more correct text in ten): with a few examples per code, smaller differences are noise.
MIN_GAIN = 0.1

Assigner = Callable[[NDArray[np.float32]], NDArray[np.bool_]]


def cv_folds(n: int, folds: int = CV_FOLDS, seed: int = 0) -> NDArray[np.int64]:
    """The cross-validation fold of each of ``n`` decided texts (:class:`CodeLearner` checks on these folds; the
    matcher scores the codebook component of each fold with the confirmed examples of the others)."""
    return np.asarray(np.random.default_rng(seed).permutation(n) % max(2, min(folds, n)), dtype=np.int64)


@dataclass
class CodeLearner:
    """Codes learned from decided texts, each using only the components that held up when checked.

    Three components score a text for a code: ``codebook`` (the matcher's zero-shot score, with the confirmed texts
    among the code's examples, turned into a probability by one logistic curve shared by all codes, fitted on the
    decided texts: it keeps the zero-shot ranking of codes; ``z`` is given scored out of fold, :func:`cv_folds`),
    ``meaning`` (a regression per code over the embedding, the codebook's descriptors as down-weighted examples) and
    ``wording`` (the same over the embedding and the text's word and character n-grams, :class:`LexicalFeatures`). A
    combination of :data:`COMBINATIONS` scores with the mean of its components' probabilities.

    :meth:`fit` scores every decided text with components trained without it (``folds``-fold cross-validation),
    assigns codes as the matcher will (``assign``), and measures each code's F1 on the decided texts. The
    combination with the best mean F1 over codes is used for every code (the codebook alone wins ties, so learning
    is used only where it beats the codebook); then a code switches to another combination where that raises its
    own F1 by at least :data:`MIN_GAIN` without lowering the mean. A code with no decided example is scored by its
    ``meaning`` regression (trained on its descriptors against the decided texts) when the choice uses learning.

    Attributes:
        assign: Scores -> assigned cells, as the matcher assigns learned scores.
        wording: Whether the ``wording`` component may be used (``settings.learned_lexical``).
        folds: Folds of the cross-validation.
        seed: Draws the folds and seeds the solvers.

    After :meth:`fit`: ``chosen_`` (per code, the combination used), ``f1_`` (per combination name, the mean
    cross-validated F1 over codes with a decided example), ``checked_`` (per code, whether it had a decided
    example to be checked on).
    """

    assign: Assigner
    wording: bool = True
    folds: int = CV_FOLDS
    seed: int = 0

    def fit(self, z: NDArray[np.float32], x: NDArray[np.float32], texts: Sequence[str], y: NDArray[np.bool_],
            w: NDArray[np.float64], use: NDArray[np.bool_], prior_x: NDArray[np.float32],
            prior_texts: Sequence[str], prior_y: NDArray[np.bool_]) -> CodeLearner:
        """Train on decided texts and choose each code's combination; returns ``self``.

        Args:
            z: (texts x codes) zero-shot scores of the decided texts.
            x: Their embeddings.
            texts: Their texts.
            y: (texts x codes) booleans: the text is an example of the code.
            w: Per-text sample weights.
            use: (texts x codes) booleans: the texts each code learns from (its examples and counter-examples).
            prior_x, prior_texts, prior_y: The codebook's descriptors (vectors, texts, codes as booleans), always
                among the regressions' training rows at weight :data:`PRIOR_WEIGHT`.
        """
        n, k = y.shape
        components = ["codebook", "meaning"] + (["wording"] if self.wording else [])
        combos = [c for c in COMBINATIONS if set(c) <= set(components)]
        # the vocabulary and document frequencies (no labels) come from every decided text and descriptor once
        self.lexical_ = LexicalFeatures().fit(list(texts) + list(prior_texts)) if self.wording else None
        words = self.lexical_.transform(list(texts), x) if self.lexical_ is not None else None
        prior_words = self.lexical_.transform(list(prior_texts), prior_x) if self.lexical_ is not None else None
        folds = cv_folds(n, self.folds, self.seed)
        held = {name: np.full((n, k), np.nan) for name in components}
        for f in np.unique(folds):
            train, test = folds != f, folds == f
            models = self._train(z[train], x[train], None if words is None else words[train], y[train], w[train],
                                 use[train], prior_x, prior_words, prior_y)
            for name, probs in _probabilities(models, z[test], x[test], None if words is None else words[test]).items():
                held[name][test] = probs
        self.checked_: NDArray[np.bool_] = np.asarray((y & use).any(axis=0), dtype=bool)
        scored = {combo: _combine(held, combo) for combo in combos}
        f1 = {combo: _f1(self.assign(s), y, use) for combo, s in scored.items()}
        self.f1_ = {" + ".join(c): round(float(v[self.checked_].mean()), 4) if self.checked_.any() else 0.0
                    for c, v in f1.items()}
        best = max(combos, key=lambda c: (round(self.f1_[" + ".join(c)], 6), -combos.index(c)))
        chosen = [best] * k
        for c in np.flatnonzero(self.checked_):
            current = _combine_per_code(scored, chosen)
            base = _f1(self.assign(current), y, use)
            for combo in combos:
                if combo == chosen[c]:
                    continue
                trial = current.copy()
                trial[:, c] = scored[combo][:, c]
                got = _f1(self.assign(trial), y, use)
                if got[c] >= base[c] + MIN_GAIN and got[self.checked_].mean() >= base[self.checked_].mean():
                    chosen[c], current, base = combo, trial, got
        self.chosen_: list[tuple[str, ...]] = chosen
        self.models_ = self._train(z, x, words, y, w, use, prior_x, prior_words, prior_y)
        return self

    def _train(self, z, x, words, y, w, use, prior_x, prior_words, prior_y) -> dict[str, list[Any]]:  # noqa: ANN001
        """Each component's per-code models trained on the given rows (``words``: their lexical features, or
        ``None`` without the wording component); the ``codebook`` curve is one model shared by every code."""
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        k = y.shape[1]
        cells = use & np.isfinite(z)
        curve = None
        if y[cells].any() and not y[cells].all():
            curve = LogisticRegression(C=LEARNED_C, class_weight="balanced", max_iter=1000).fit(
                z[cells][:, None], y[cells], sample_weight=np.broadcast_to(w[:, None], y.shape)[cells])
        xs = np.vstack([x, prior_x])
        ys = np.vstack([y, prior_y])
        ws = np.concatenate([w, np.full(len(prior_x), PRIOR_WEIGHT)])
        uses = np.vstack([use, np.ones_like(prior_y)])
        models: dict[str, list[Any]] = {"codebook": [curve] * k,
                                        "meaning": fit_one_vs_rest(xs, ys, ws, uses, seed=self.seed)}
        if words is not None:
            models["wording"] = fit_one_vs_rest(sparse.vstack([words, prior_words], format="csr"), ys, ws, uses,
                                                seed=self.seed)
        return models

    def predict(self, z: NDArray[np.float32], x: NDArray[np.float32], texts: Sequence[str] | None
                ) -> tuple[NDArray[np.float32], list[tuple[str, ...]]]:
        """(rows x codes) probabilities, and per code the components used. Without ``texts`` a code that uses its
        wording uses the rest of its combination (the codebook alone when nothing else is left)."""
        needed = {name for combo in self.chosen_ for name in combo} | {"codebook"}
        words = None
        if texts is not None and "wording" in needed and self.lexical_ is not None:
            words = self.lexical_.transform(list(texts), x)
        models = {name: m for name, m in self.models_.items() if name in needed and (name != "wording" or words is not None)}
        comps = _probabilities(models, z, x, words)
        out = np.zeros(z.shape, dtype=np.float32)
        used: list[tuple[str, ...]] = []
        for c, combo in enumerate(self.chosen_):
            parts = tuple(name for name in combo if name in comps and not np.isnan(comps[name][:, c]).any())
            parts = parts or ("codebook",)
            out[:, c] = np.mean([np.nan_to_num(comps[name][:, c], nan=0.0) for name in parts], axis=0)
            used.append(parts)
        return out, used


def _probabilities(models: dict[str, list[Any]], z: NDArray[np.float32], x: NDArray[np.float32], words: Any
                   ) -> dict[str, NDArray[np.float64]]:
    """Each component's (rows x codes) probabilities, NaN for a code it has no model for."""
    n, k = z.shape
    out: dict[str, NDArray[np.float64]] = {}
    for name, per_code in models.items():
        probs = np.full((n, k), np.nan)
        if n and (name != "wording" or words is not None):
            for c, model in enumerate(per_code):
                if model is not None:
                    features = z[:, [c]] if name == "codebook" else words if name == "wording" else x
                    probs[:, c] = model.predict_proba(features)[:, 1]
        out[name] = probs
    return out


def _combine(held: dict[str, NDArray[np.float64]], combo: tuple[str, ...]) -> NDArray[np.float32]:
    """The mean of ``combo``'s held-out probabilities; where a part has none (a fold that could not learn the
    code), the others', and 0 where no part has any."""
    stack = np.stack([held[name] for name in combo])
    counted = np.isfinite(stack).sum(axis=0)
    return (np.nansum(stack, axis=0) / np.maximum(counted, 1)).astype(np.float32)


def _combine_per_code(scored: dict[tuple[str, ...], NDArray[np.float32]], chosen: list[tuple[str, ...]]
                      ) -> NDArray[np.float32]:
    return np.column_stack([scored[combo][:, c] for c, combo in enumerate(chosen)])


def _f1(pred: NDArray[np.bool_], y: NDArray[np.bool_], use: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per-code F1 of ``pred`` against ``y`` over the cells ``use`` marks."""
    tp = (pred & y & use).sum(axis=0)
    fp = (pred & ~y & use).sum(axis=0)
    fn = (~pred & y & use).sum(axis=0)
    return 2 * tp / np.maximum(1, 2 * tp + fp + fn)
