"""Matching passages and themes to codes, zero-shot from the codebook or learned from decisions.

Zero-shot, each code is described by several texts (its name and definition, its name within its parent
group, its inclusion note, each example); a passage's score for a code blends its similarity to the code's
best few descriptors, to "name: definition", and the probability of a small logistic regression trained on
the descriptors themselves (which calibrates codes against each other). Exclusion notes count against a code.
A text's codes depend only on the text, the codebook and the decisions: never on the other texts of the batch
it arrives in. With confirmed or rejected examples, each code is learned (:class:`.learning.CodeLearner`): its
zero-shot score calibrated on the decided texts, a regression over the embedding, and one over the embedding and
the words, each kept or dropped per code by cross-validation on the decisions. Every confirmed text also joins its
code's examples ("confirmed example N") for the zero-shot score, as a team would add it to the codebook; in the
cross-validation a decided text is scored with the other folds' confirmed examples only. Given the texts being scored, a
text of several clauses is also scored clause by clause (:mod:`.clauses`), each code keeping its best.

Learning from the batch being coded (``settings.learn_from_corpus``, off by default) is the one exception to
batch independence: the zero-shot classifier is self-trained on the corpus's confidently coded half, and codes
learned from decisions train a second round on the texts they code confidently. ``benchmarks/CODEBOOK.md``
measures what it adds.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .._files import write_bytes
from ..errors import CodebookError, NotFittedError
from ..models import Match, Passage, Theme
from ..settings import Settings
from ._model import Codebook
from .classifier import Classifier
from .clauses import clause_spans, keep_best_clause
from .decisions import Decision
from .evidence import Evidence
from .learning import CodeLearner, clearest_rows, cv_folds

log = logging.getLogger(__name__)

EmbedFn = Callable[[Sequence[str]], NDArray[np.float32]]

_TOP_DESCRIPTORS = 3
_POOL_WEIGHT = 0.7
_LR_WEIGHT = 0.3
_EXCLUDE_PENALTY = 0.5
#: Self-training: the share of the corpus, most confident first, that becomes pseudo-labelled training rows.
_SELF_TRAIN_SHARE = 0.5
#: Self-training needs at least this many corpus rows; smaller corpora keep the codebook-only classifier.
MIN_SELF_TRAIN_ROWS = 50
#: Learning from the corpus: an undecided text joins the second round when its best learned score is at
#: least this, with this sample weight (a decided text weighs 1, a codebook descriptor 0.3).
CORPUS_CONFIDENCE = 0.7
CORPUS_WEIGHT = 0.3


#: Everything the self-trained classifier depends on besides the codebook, the model and the corpus: change
#: the text when the training changes (constants, descriptors, solver), so classifiers saved before are not reused.
CLASSIFIER_RECIPE = (f"v2;C=8;balanced;share={_SELF_TRAIN_SHARE};min_rows={MIN_SELF_TRAIN_ROWS};"
                     f"pool={_POOL_WEIGHT};lr={_LR_WEIGHT};top={_TOP_DESCRIPTORS};group-descriptor")
#: Saved classifiers kept in ``<cache>/matchers/``, newest first (one per theme fit and codebook).
CLASSIFIERS_KEPT = 20


class ClassifierStore:
    """Self-trained classifiers in ``<cache>/matchers/<key>.npz`` (plain arrays, no pickle).

    A re-run that carries its themes over (one more transcript) codes its passages with the classifier
    self-trained when those themes were fitted, as it keeps the themes themselves: self-training on 13,000
    passages was 1.3-2 s of a 9 s warm run. The key is :meth:`key`; anything unreadable is a miss.

    Args:
        folder: The cache folder (``settings.resolved_cache_dir()``).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder) / "matchers"

    @staticmethod
    def key(codebook: Codebook, *, model: str, fingerprint: str, corpus: str) -> str:
        """Key of the classifier self-trained for ``codebook``'s active codes, vectors of ``model`` /
        ``fingerprint``, on the corpus identified by ``corpus`` (the theme fit's fingerprint)."""
        codes = [[c.id, c.name, c.definition, c.include, c.exclude, list(c.examples)] for c in codebook.active]
        material = json.dumps({"recipe": CLASSIFIER_RECIPE, "codes": codes, "model": model, "fingerprint": fingerprint,
                               "corpus": corpus}, sort_keys=True)
        return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]

    def load(self, key: str, *, codes: int, dims: int) -> Classifier | None:
        """The classifier saved under ``key``, or ``None`` (missing, unreadable or not fitting)."""
        path = self.folder / f"{key}.npz"
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as arrays:
                found = Classifier.from_arrays(dict(arrays), codes=codes, dims=dims)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            found, reason = None, f"{type(exc).__name__}: {exc}"
        else:
            reason = "it does not fit this codebook and model"
        if found is None:
            log.warning("ignoring the saved code classifier %s (%s); training afresh", path, reason)
        return found

    def save(self, key: str, classifier: Classifier) -> None:
        """Save atomically and keep the :data:`CLASSIFIERS_KEPT` newest; a cache that cannot be written only
        costs the next run a retraining."""
        buffer = io.BytesIO()
        np.savez(buffer, **classifier.to_arrays())  # type: ignore[arg-type]  # numpy's stub reads the arrays as allow_pickle
        try:
            write_bytes(self.folder / f"{key}.npz", buffer.getvalue())
            saved = sorted(self.folder.glob("*.npz"), key=lambda f: f.stat().st_mtime, reverse=True)
            for old in saved[CLASSIFIERS_KEPT:]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not save the code classifier in %s: %s", self.folder, exc)


def _distinct(texts: Sequence[str], *, besides: Mapping[str, int] | None = None
              ) -> tuple[list[str], NDArray[np.int64]]:
    """Each non-blank text of ``texts`` not in ``besides`` once, in first-seen order, with the row it first appears at."""
    first: dict[str, int] = {}
    for i, t in enumerate(texts):
        if t.strip() and (besides is None or t not in besides):
            first.setdefault(t, i)
    return list(first), np.fromiter(first.values(), dtype=np.int64, count=len(first))


@dataclass
class _Descriptor:
    code: int
    label: str
    text: str


@dataclass
class _Described:
    """Descriptors a zero-shot score compares texts with (rows of ``vectors``), and the classifier trained on them."""

    positives: list[_Descriptor]
    vectors: NDArray[np.float32]
    model: Classifier | None


def descriptors_of(codebook: Codebook) -> tuple[list[_Descriptor], list[_Descriptor]]:
    """The texts that describe each active code (column order of :attr:`Codebook.active`), for and against.

    For: "name: definition" (the name alone when there is no definition; always first), the name, the name
    within its parent group ("Benefits: Compliment"), the inclusion note, each example. Against: the
    exclusion note. Only what the codebook says: nothing is added for any kind of code.
    """
    codes = list(codebook.active)
    names = {c.id: c.name for c in codebook.codes}
    positives: list[_Descriptor] = []
    negatives: list[_Descriptor] = []
    for i, code in enumerate(codes):
        positives.append(_Descriptor(i, "definition", f"{code.name}: {code.definition}" if code.definition
                                     else code.name))
        positives.append(_Descriptor(i, "name", code.name))
        if code.parent and names.get(code.parent):
            positives.append(_Descriptor(i, "group", f"{names[code.parent]}: {code.name}"))
        if code.include:
            positives.append(_Descriptor(i, "inclusion note", code.include))
        positives += [_Descriptor(i, f"example {j}", e) for j, e in enumerate(code.examples, start=1)]
        if code.exclude:
            negatives.append(_Descriptor(i, "exclusion note", code.exclude))
    return positives, negatives


def _descriptor_classifier(vectors: NDArray[np.float32], labels: NDArray[np.int64]) -> Classifier | None:
    """The zero-shot classifier: a class-balanced logistic regression from descriptor vectors to their codes
    (``None`` with fewer than two codes)."""
    if len(set(labels.tolist())) < 2:
        return None
    from sklearn.linear_model import LogisticRegression

    return Classifier.of(LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced").fit(vectors, labels))


def assign(scores: NDArray[np.float32], *, threshold: float, margin: float, max_codes: int,
           always_top: bool = False) -> NDArray[np.bool_]:
    """Which cells are assigned: at or above ``threshold``, within ``margin`` of the row's best, at most
    ``max_codes`` a row; with ``always_top`` every row gets its best code."""
    n, k = scores.shape
    out = np.zeros((n, k), dtype=bool)
    if not n or not k:
        return out
    order = np.argsort(-scores, axis=1, kind="stable")[:, : max(1, max_codes)]
    best = scores[np.arange(n), order[:, 0]][:, None]
    ranked = np.take_along_axis(scores, order, axis=1)
    keep = (ranked >= threshold) & (ranked >= best - margin)
    if always_top:
        keep[:, 0] = True
    np.put_along_axis(out, order, keep, axis=1)
    return out


@dataclass
class CodeMatcher:
    """Scores passages and themes against a codebook's active codes.

    Construct, then :meth:`fit` with an embed function. Zero-shot scores are on the cosine scale; with
    ``decisions`` they are probabilities from the codes learned from them.

    Attributes:
        codebook: The codebook.
        settings: Threshold, margin, codes per passage, seed.
        decisions: People's confirmations and rejections to learn from (see :mod:`.decisions`).

    After :meth:`fit`: ``codes_`` (the active codes, the score columns), ``learner_`` (the
    :class:`.learning.CodeLearner`, or ``None`` when scores are zero-shot), ``learned_from_`` (``"decisions"``
    or ``""``), ``confirmed_examples_`` (confirmed texts added to their codes' examples), ``self_trained_rows_``
    (corpus rows the zero-shot classifier was self-trained on; 0 unless ``settings.learn_from_corpus``),
    ``corpus_rows_`` (corpus texts added in a second round of learning) and ``embed_`` (the embed function, for clauses).
    """

    codebook: Codebook
    settings: Settings = field(default_factory=Settings)
    decisions: Sequence[Decision] = ()

    def fit(self, embed: EmbedFn, *, corpus: NDArray[np.float32] | None = None,
            corpus_texts: Sequence[str] | None = None, self_trained: Classifier | None = None) -> CodeMatcher:
        """Embed every code's descriptors (and the decided texts) and train; returns ``self``.

        Args:
            embed: Texts -> unit-length vectors (the same model as the vectors later scored).
            corpus: Optional vectors of the passages or answers about to be coded. Used only with
                ``settings.learn_from_corpus`` (off by default, so that a text's codes never depend on the
                batch it arrives in): with at least :data:`MIN_SELF_TRAIN_ROWS` rows, the zero-shot classifier
                is then retrained on the half of them whose best code leads the runner-up most clearly.
            corpus_texts: The texts of ``corpus``, row for row (optional). With ``settings.learn_from_corpus``
                and decisions, and at least :data:`MIN_SELF_TRAIN_ROWS` other distinct texts, the learned codes are
                trained a second time with the other texts they score at least :data:`CORPUS_CONFIDENCE` added
                (weighted :data:`CORPUS_WEIGHT`).
            self_trained: A classifier an earlier fit self-trained (:attr:`descriptor_model_`) for this codebook,
                used instead of training one (``corpus`` is then not trained on).

        Raises:
            CodebookError: ``corpus_texts`` and ``corpus`` differ in length.
        """
        if corpus_texts is not None and (corpus is None or len(corpus_texts) != len(corpus)):
            raise CodebookError(f"{len(corpus_texts)} corpus texts for {0 if corpus is None else len(corpus)} vectors",
                                hint="pass the text of every corpus row, in the same order as its vectors")
        self.embed_ = embed
        self._clause_vectors: dict[str, NDArray[np.float32]] = {}  # clauses embedded by this fit (scored thrice)
        self.codes_ = list(self.codebook.active)
        index = {c.id: i for i, c in enumerate(self.codes_)}
        positives, negatives = descriptors_of(self.codebook)
        usable = [d for d in self.decisions if d.code in index and d.text.strip()]
        skipped = len(self.decisions) - len(usable)
        if skipped:
            log.info("%d decisions name a code that is not active here or have no text; not learned from", skipped)
        texts = [d.text for d in positives + negatives] + [d.text for d in usable]
        vectors = embed(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        n_pos, n_neg = len(positives), len(negatives)
        self.positives_, self.negatives_ = positives, negatives
        self.positive_vectors_ = vectors[:n_pos]
        self.negative_vectors_ = vectors[n_pos : n_pos + n_neg]
        self.decision_vectors_ = vectors[n_pos + n_neg :]
        self.decisions_ = usable
        self.self_trained_rows_ = 0
        self.reused_classifier_ = self_trained is not None
        learn_from_corpus = self.settings.learn_from_corpus and corpus is not None
        if self_trained is not None and learn_from_corpus:
            self.descriptor_model_: Classifier | None = self_trained
            self.self_trained_rows_ = self_trained.rows
        else:
            self.reused_classifier_ = False
            self._fit_descriptor_classifier()
            if learn_from_corpus and len(corpus) >= MIN_SELF_TRAIN_ROWS and self.descriptor_model_ is not None:  # type: ignore[arg-type]
                self._self_train(np.asarray(corpus, dtype=np.float32))
        self.book_ = _Described(list(positives), self.positive_vectors_, self.descriptor_model_)
        self._fit_learned(index, corpus if learn_from_corpus else None,
                          corpus_texts if learn_from_corpus else None)
        return self

    def _descriptor_labels(self) -> NDArray[np.int64]:
        return np.array([d.code for d in self.positives_], dtype=np.int64)

    def _fit_descriptor_classifier(self) -> None:
        self.descriptor_model_ = _descriptor_classifier(self.positive_vectors_, self._descriptor_labels())

    def _self_train(self, corpus: NDArray[np.float32]) -> None:
        from sklearn.linear_model import LogisticRegression

        scores, _ = self._zero_shot(corpus)
        keep = clearest_rows(scores, _SELF_TRAIN_SHARE)
        x = np.vstack([corpus[keep], self.positive_vectors_])
        y = np.concatenate([np.argmax(scores[keep], axis=1), self._descriptor_labels()])
        self.descriptor_model_ = Classifier.of(
            LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced").fit(x, y), rows=len(keep))
        self.self_trained_rows_ = len(keep)
        log.info("learning from the batch: self-trained the zero-shot classifier on %d of %d corpus rows",
                 len(keep), len(corpus))

    def _fit_learned(self, index: dict[str, int], corpus: NDArray[np.float32] | None,
                     corpus_texts: Sequence[str] | None) -> None:
        self.learner_: CodeLearner | None = None
        self.learned_from_ = ""
        self.confirmed_examples_ = 0
        self.corpus_rows_ = 0
        k = len(self.codes_)
        pool = (corpus, corpus_texts) if corpus is not None and corpus_texts is not None else None
        if self.decisions_:
            # One row per decided text; a text confirmed for one code is a negative for codes it was not confirmed for.
            texts: dict[str, int] = {}
            for d in self.decisions_:
                texts.setdefault(d.text, len(texts))
            rows = np.zeros((len(texts), self.decision_vectors_.shape[1]), dtype=np.float32)
            target = np.zeros((len(texts), k), dtype=np.int8)  # 1 confirm, -1 reject, 0 unknown
            for d, vec in zip(self.decisions_, self.decision_vectors_):
                r = texts[d.text]
                rows[r] = vec
                target[r, index[d.code]] = 1 if d.verdict == "confirm" else -1
            learned_from = "decisions"
        else:
            # Without decisions nothing is learned beyond self-training: texts labelled by the codebook itself (they
            # once stood in for decisions) would always confirm the codebook when learning is checked against them.
            return
        confirmed_any = (target == 1).any(axis=1)
        y = target == 1
        use = (target != 0) | confirmed_any[:, None]
        w = np.ones(len(texts))
        if not self._train_learned(rows, list(texts), y, w, use):
            log.warning("no code could be learned from %s (each needs an example and a counter-example); "
                        "scoring zero-shot", learned_from)
            return
        self.learned_from_ = learned_from
        if pool is not None:
            self._second_round(*pool, texts, rows, list(texts), y, w, use)

    def _train_learned(self, x: NDArray[np.float32], texts: list[str], y: NDArray[np.bool_],
                       w: NDArray[np.float64], use: NDArray[np.bool_]) -> bool:
        """Fit :class:`CodeLearner` on decided texts; ``False`` (nothing learned) when no code has an example and
        a counter-example among them and its descriptors."""
        k = len(self.codes_)
        book = self.book_
        labels = np.array([d.code for d in book.positives], dtype=np.int64)
        prior_y = labels[:, None] == np.arange(k)[None, :]
        learnable = (y & use).any(axis=0) | prior_y.any(axis=0)
        if not ((~y & use).any(axis=0) & learnable).any():
            self.learner_ = None
            return False
        s = self.settings
        # The codebook component: each confirmed text joins its code's examples. A decided text's zero-shot score
        # is taken with the confirmed examples of the other cross-validation folds only (never its own), so the
        # check on the decisions stays honest; new texts are scored with all of them.
        confirmed = np.argwhere(y & (w >= 1)[:, None])  # (row, code) of each confirmation (not corpus rows)
        folds = cv_folds(len(x), seed=s.seed)
        z = np.zeros((len(x), k), dtype=np.float32)
        for f in np.unique(folds):
            held = folds == f
            z[held] = self._zero_shot(x[held], self._with_examples(x, texts, confirmed[~held[confirmed[:, 0]]]))[0]

        def rule(scores: NDArray[np.float32]) -> NDArray[np.bool_]:
            return assign(scores, threshold=s.learned_threshold, margin=s.code_margin, max_codes=s.max_codes_per_passage)

        self.learner_ = CodeLearner(rule, wording=s.learned_lexical, seed=s.seed).fit(
            z, x, texts, y, w, use, book.vectors, [p.text for p in book.positives], prior_y)
        every = self._with_examples(x, texts, confirmed)
        self.positives_, self.positive_vectors_, self.descriptor_model_ = every.positives, every.vectors, every.model
        self.confirmed_examples_ = len(confirmed)
        return True

    def _with_examples(self, x: NDArray[np.float32], texts: Sequence[str], pairs: NDArray[np.int64]) -> _Described:
        """The codebook's descriptors plus decided texts as examples ("confirmed example N" of each code):
        ``pairs`` holds (row of ``x``, code) pairs. The zero-shot classifier is retrained on them too, unless it was
        self-trained on the batch (it is then kept)."""
        book = self.book_
        if not len(pairs):
            return book
        count = [0] * len(self.codes_)
        added = []
        for row, code in pairs.tolist():
            count[code] += 1
            added.append(_Descriptor(code, f"confirmed example {count[code]}", texts[row]))
        positives = book.positives + added
        vectors = np.vstack([book.vectors, x[pairs[:, 0]]]).astype(np.float32)
        model = book.model
        if not self.self_trained_rows_ and not self.reused_classifier_:
            model = _descriptor_classifier(vectors, np.array([d.code for d in positives], dtype=np.int64))
        return _Described(positives, vectors, model)

    def _second_round(self, corpus: NDArray[np.float32], corpus_texts: Sequence[str], learned: Mapping[str, int],
                      x: NDArray[np.float32], texts: list[str], y: NDArray[np.bool_], w: NDArray[np.float64],
                      use: NDArray[np.bool_]) -> None:
        """Train again with every other distinct corpus text the first round codes at least
        :data:`CORPUS_CONFIDENCE` added, weighted :data:`CORPUS_WEIGHT`, labelled with its assigned codes."""
        found, at = _distinct(corpus_texts, besides=learned)
        if len(found) < MIN_SELF_TRAIN_ROWS:
            log.info("no second round: %d other distinct texts in the corpus (needs %d)", len(found),
                     MIN_SELF_TRAIN_ROWS)
            return
        scores, _ = self.score(corpus[at], found)
        confident = np.flatnonzero(scores.max(axis=1) >= CORPUS_CONFIDENCE)
        if not len(confident):
            log.info("no second round: none of %d other texts is coded with confidence %.2f", len(found),
                     CORPUS_CONFIDENCE)
            return
        extra = self.assigned(scores[confident], always_top=True)
        self._train_learned(np.vstack([x, corpus[at[confident]]]), texts + [found[i] for i in confident],
                            np.vstack([y, extra]), np.concatenate([w, np.full(len(confident), CORPUS_WEIGHT)]),
                            np.vstack([use, np.ones_like(extra)]))
        self.corpus_rows_ = len(confident)
        log.info("learning from the batch: learned codes again with %d of %d other distinct corpus texts, coded "
                 "confidently by the first round", len(confident), len(found))

    @property
    def learned_(self) -> bool:
        """Whether scores are learned (probabilities) rather than zero-shot."""
        return self.learner_ is not None

    def learning_summary(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """Per active code: its id, what its learned score uses as cross-validation on the decisions chose it,
        and whether it was checked (it had a decided example); empty when scores are zero-shot."""
        if self.learner_ is None:
            return []
        return [(c.id, combo, bool(checked))
                for c, combo, checked in zip(self.codes_, self.learner_.chosen_, self.learner_.checked_.tolist())]

    def _zero_shot(self, vectors: NDArray[np.float32], described: _Described | None = None
                   ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Zero-shot scores, and for each cell the index (in :attr:`positives_`) of the closest descriptor;
        ``described`` compares with other descriptors than :attr:`positives_` (and their classifier)."""
        positives, described_vectors, model = (described.positives, described.vectors, described.model) if described \
            else (self.positives_, self.positive_vectors_, self.descriptor_model_)
        n, k = len(vectors), len(self.codes_)
        sims = vectors @ described_vectors.T
        prior = np.full((n, k), -1.0, dtype=np.float32)
        pool = np.zeros((n, k), dtype=np.float32)
        closest = np.zeros((n, k), dtype=np.int64)
        for c in range(k):
            cols = [j for j, d in enumerate(positives) if d.code == c]
            prior[:, c] = sims[:, cols[0]]  # "name: definition" comes first
            others = [j for j in cols if positives[j].label not in ("definition", "name")] or cols[:1]
            block = sims[:, others]
            top = -np.sort(-block, axis=1)[:, :_TOP_DESCRIPTORS]
            pool[:, c] = top.mean(axis=1)
            closest[:, c] = np.asarray(cols)[np.argmax(sims[:, cols], axis=1)]
        scores = _POOL_WEIGHT * pool + (1 - _POOL_WEIGHT) * prior
        if model is not None:
            proba = np.zeros((n, k), dtype=np.float32)
            proba[:, model.classes] = model.predict_proba(vectors)
            scores = (1 - _LR_WEIGHT) * scores + _LR_WEIGHT * proba
        if self.negatives_:
            neg = vectors @ self.negative_vectors_.T
            for d, desc in enumerate(self.negatives_):
                excess = np.clip(neg[:, d] - scores[:, desc.code], 0, None)
                scores[:, desc.code] -= _EXCLUDE_PENALTY * excess
        return scores.astype(np.float32), closest

    def _check_fitted(self, method: str) -> None:
        if not hasattr(self, "codes_"):
            raise NotFittedError(f"this CodeMatcher is not fitted yet, so it cannot {method}",
                                 hint="call .fit(embed) first (embed: a function from texts to unit vectors)")

    def score(self, vectors: NDArray[np.float32], texts: Sequence[str] | None = None
              ) -> tuple[NDArray[np.float32], list[list[Evidence]]]:
        """Scores (rows: vectors, columns: active codes) and the evidence of each cell.

        Args:
            vectors: Unit-length vectors of the passages or answers.
            texts: Their texts, row for row (optional). A blank text scores 0 for every code (there is nothing in
                it to code). With ``settings.code_clauses``, a text of several clauses is also scored clause by
                clause and each code keeps its best score (the evidence then holds the clause's span). With
                learned codes whose cross-validation chose the wording, the texts' words count too; without
                texts, those codes use the rest of what they learned.

        Raises:
            CodebookError: ``texts`` and ``vectors`` differ in length.
            NotFittedError: :meth:`fit` has not been called.
        """
        self._check_fitted("score")
        n, k = len(vectors), len(self.codes_)
        if texts is not None and len(texts) != n:
            raise CodebookError(f"{len(texts)} texts for {n} vectors",
                                hint="pass the text of every scored passage or answer, in the same order")
        if not n or not k:
            return np.zeros((n, k), dtype=np.float32), [[] for _ in range(n)]
        scores, evidence = self._score_rows(vectors, texts)
        if texts is not None and self.settings.code_clauses:
            self._score_clauses(scores, evidence, texts)
        if texts is not None:
            for row in (i for i, t in enumerate(texts) if not t.strip()):
                scores[row] = 0.0
                evidence[row] = [Evidence(c.id, blank=True) for c in self.codes_]
        return scores, evidence

    def _score_rows(self, vectors: NDArray[np.float32], texts: Sequence[str] | None
                    ) -> tuple[NDArray[np.float32], list[list[Evidence]]]:
        scores, closest = self._zero_shot(vectors)
        uses: list[tuple[str, ...]] = [()] * len(self.codes_)
        if self.learner_ is not None:
            scores, uses = self.learner_.predict(scores, vectors, texts)
        labels = [d.label for d in self.positives_]
        evidence = [[Evidence(code.id, labels[closest[row, col]], learned_from=self.learned_from_ if self.learner_ else "",
                              uses=uses[col] if self.learner_ else ())
                     for col, code in enumerate(self.codes_)] for row in range(len(vectors))]
        return scores, evidence

    def _score_clauses(self, scores: NDArray[np.float32], evidence: list[list[Evidence]], texts: Sequence[str]) -> None:
        """Raise each cell of ``scores`` (in place) to its text's best clause's score for that code."""
        spans = [clause_spans(t) for t in texts]
        clauses = [t[a:b] for t, found in zip(texts, spans) for a, b in found]
        if not clauses:
            return
        memo = self._clause_vectors
        missing = [c for c in dict.fromkeys(clauses) if c not in memo]
        if missing:
            memo.update(zip(missing, self.embed_(missing)))
        keep_best_clause(scores, evidence, spans, *self._score_rows(np.stack([memo[c] for c in clauses]), clauses))

    def assigned(self, scores: NDArray[np.float32], *, always_top: bool = False) -> NDArray[np.bool_]:
        """The assignment of :func:`assign` with this matcher's settings."""
        s = self.settings
        threshold = s.learned_threshold if self.learner_ is not None else s.code_threshold
        return assign(scores, threshold=threshold, margin=s.code_margin, max_codes=s.max_codes_per_passage,
                      always_top=always_top)

    def match_passages(self, passages: Sequence[Passage], vectors: NDArray[np.float32], *,
                       scored: tuple[NDArray[np.float32], list[list[Evidence]]] | None = None) -> list[Match]:
        """Every assigned (passage, code) pair plus each passage's best unassigned code, with scores.

        ``scored`` is :meth:`score`'s result for these passages, when the caller already has it; otherwise
        their ``analysis_text`` is scored (clause by clause too; a clause's span in evidence is then counted in
        the passage's own ``text``, the words quoted). A match's evidence is the cell's :class:`Evidence`.

        Raises:
            NotFittedError: :meth:`fit` has not been called.
        """
        self._check_fitted("match_passages")
        if scored is None:
            scores, evidence = self.score(vectors, [p.analysis_text for p in passages])
            for row, passage in enumerate(passages):
                if passage.analysis_text != passage.text:
                    evidence[row] = [e.in_text(passage.analysis_positions) for e in evidence[row]]
        else:
            scores, evidence = scored
        chosen = self.assigned(scores)
        matches: list[Match] = []
        for row, passage in enumerate(passages):
            if not len(self.codes_):
                break
            order = np.argsort(-scores[row], kind="stable")
            for rank, col in enumerate(order[: self.settings.max_codes_per_passage]):
                if rank > 0 and not chosen[row, col]:
                    break
                matches.append(Match("passage", passage.id, self.codes_[col].id, round(float(scores[row, col]), 4),
                                     evidence[row][col], bool(chosen[row, col])))
        return matches

    def match_themes(
        self,
        themes: Sequence[Theme],
        passage_matches: Sequence[Match],
        passage_scores: dict[str, NDArray[np.float32]],
        centroids: dict[int, NDArray[np.float32]] | None = None,
    ) -> dict[int, tuple[Match, ...]]:
        """Codes for each theme, best first.

        A theme gets a code when its centre (mean passage embedding) scores at least
        ``settings.theme_code_threshold`` and within ``settings.code_margin`` of its best code, or when
        at least a fifth of its passages are assigned the code. The score reported is the centre's score
        (or the mean passage score when no centre is given); the evidence says why: the share of its passages
        assigned the code (:attr:`Evidence.passage_share`) and, when the centre matched, what it matched.

        Raises:
            NotFittedError: :meth:`fit` has not been called.
        """
        self._check_fitted("match_themes")
        assigned: dict[str, set[str]] = {}
        for m in passage_matches:
            if m.assigned:
                assigned.setdefault(m.target_id, set()).add(m.code)
        s = self.settings
        result: dict[int, tuple[Match, ...]] = {}
        # Every theme centre scored in one call (one call per theme was 0.4 s of a re-run at 250 themes).
        centred = [t.id for t in themes if centroids and centroids.get(t.id) is not None]
        row_of = {tid: i for i, tid in enumerate(centred)}
        if centred:
            centre_scores, centre_evidence = self.score(np.stack([np.asarray(centroids[t], dtype=np.float32)  # type: ignore[index]
                                                                  for t in centred]))
        for theme in themes:
            centre = centroids.get(theme.id) if centroids else None
            if centre is not None:
                scores, evidence = centre_scores[row_of[theme.id]], centre_evidence[row_of[theme.id]]
            else:
                rows = [passage_scores[p] for p in theme.passage_ids if p in passage_scores]
                scores = np.mean(rows, axis=0) if rows else np.zeros(len(self.codes_))
                evidence = []  # named only for a theme matched by its centre
            best = float(np.max(scores)) if len(scores) else 0.0
            found = []
            for col, code in enumerate(self.codes_):
                share = sum(code.id in assigned.get(p, ()) for p in theme.passage_ids) / max(1, theme.passages)
                score = float(scores[col])
                by_centre = centre is not None and score >= s.theme_code_threshold and score >= best - s.code_margin
                if by_centre or share >= 0.2:
                    why = replace(evidence[col] if by_centre else Evidence(code.id), passage_share=round(share, 4))
                    found.append((score, share, code.id, why))
            found.sort(key=lambda x: (-x[0], -x[1], x[2]))
            result[theme.id] = tuple(
                Match("theme", str(theme.id), cid, round(score, 4), why, True) for score, _share, cid, why in found
            )
        return result
