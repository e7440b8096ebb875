"""Tests for codebook matching accuracy work: self-training on the corpus and the benchmark's measures."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from wisdoms.codebook import CodeMatcher, load_codebook
from wisdoms.codebook.matching import MIN_SELF_TRAIN_ROWS
from wisdoms.settings import Settings

REPO = Path(__file__).resolve().parents[1]
_SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED = _SHARED if _SHARED.is_dir() else REPO.parent / "shared"
BENCH = SHARED / "bench" / "nhs_fft"

DIM = 8
E = np.eye(DIM, dtype=np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _book(tmp_path: Path):
    path = tmp_path / "book.jsonl"
    path.write_text(
        json.dumps({"id": "alpha", "name": "Alpha", "definition": "alpha things", "examples": ["alpha example"]})
        + "\n"
        + json.dumps({"id": "beta", "name": "Beta", "definition": "beta things", "examples": ["beta example"]})
        + "\n",
        encoding="utf-8",
    )
    return load_codebook(path)


def _embed(texts):
    """Every alpha descriptor points along axis 0, every beta descriptor along axis 1."""
    return np.stack([E[0] if "alpha" in t.lower() else E[1] for t in texts])


def _corpus(n: int, seed: int = 0) -> np.ndarray:
    """Alpha answers lean on axis 2 and beta answers away from it: something the codebook never says."""
    rng = np.random.default_rng(seed)
    alpha = _unit(E[0] + 0.9 * E[2] + 0.05 * rng.standard_normal((n // 2, DIM)))
    beta = _unit(E[1] - 0.9 * E[2] + 0.05 * rng.standard_normal((n - n // 2, DIM)))
    return np.vstack([alpha, beta])


def test_self_training_learns_how_the_corpus_phrases_a_code(tmp_path):
    book = _book(tmp_path)
    plain = CodeMatcher(book, Settings()).fit(_embed)
    tuned = CodeMatcher(book, Settings(learn_from_corpus=True)).fit(_embed, corpus=_corpus(200))
    assert plain.self_trained_rows_ == 0 and tuned.self_trained_rows_ == 100
    # mostly along axis 2 (the corpus's alpha cue), slightly towards beta's descriptors
    probe = _unit(E[2] + 0.15 * E[1])[None, :]
    ids = [c.id for c in plain.codes_]
    assert ids[int(np.argmax(plain.score(probe)[0][0]))] == "beta"
    assert ids[int(np.argmax(tuned.score(probe)[0][0]))] == "alpha"
    # clear cases keep their code and the scores stay on the cosine scale the thresholds expect
    clear = np.stack([E[0], E[1]])
    scores = tuned.score(clear)[0]
    assert list(np.argmax(scores, axis=1)) == [ids.index("alpha"), ids.index("beta")]
    assert np.all(scores <= 1.0 + 1e-6) and tuned.assigned(scores).diagonal().all()


def test_small_corpus_keeps_the_codebook_only_classifier(tmp_path):
    book = _book(tmp_path)
    plain = CodeMatcher(book, Settings()).fit(_embed)
    small = CodeMatcher(book, Settings(learn_from_corpus=True)).fit(_embed, corpus=_corpus(MIN_SELF_TRAIN_ROWS - 1))
    probe = _corpus(10, seed=3)
    assert small.self_trained_rows_ == 0
    np.testing.assert_allclose(small.score(probe)[0], plain.score(probe)[0])


def test_self_training_picks_the_confident_half_without_labels(tmp_path):
    book = _book(tmp_path)
    # identical rows halfway between the codes: were they trained on, they would all carry the first code
    ambiguous = _unit(np.tile(E[0] + E[1] + 0.3 * E[3], (60, 1)))
    matcher = CodeMatcher(book, Settings(learn_from_corpus=True)).fit(_embed, corpus=np.vstack([_corpus(200), ambiguous]))
    assert matcher.self_trained_rows_ == 130
    proba = matcher.descriptor_model_.predict_proba(ambiguous[:1])[0]
    assert abs(proba[0] - proba[1]) < 0.3


def test_classifier_arrays_give_scikit_learns_probabilities():
    from sklearn.linear_model import LogisticRegression

    from wisdoms.codebook import Classifier

    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, DIM)).astype(np.float32)
    for classes in (2, 4):
        y = rng.integers(0, classes, 120)
        model = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced").fit(x, y)
        ours = Classifier.of(model, rows=7)
        np.testing.assert_allclose(ours.predict_proba(x), model.predict_proba(x), rtol=1e-6, atol=1e-7)  # sklearn: float32
        again = Classifier.from_arrays(ours.to_arrays(), codes=classes, dims=DIM)
        assert again is not None and again.rows == 7
        np.testing.assert_array_equal(again.predict_proba(x), ours.predict_proba(x))
        # arrays that do not fit this codebook or these vectors are refused, never half used
        assert Classifier.from_arrays(ours.to_arrays(), codes=classes, dims=DIM + 1) is None
        assert Classifier.from_arrays(ours.to_arrays(), codes=classes - 1, dims=DIM) is None
        assert Classifier.from_arrays({**ours.to_arrays(), "coef": ours.coef * np.nan}, codes=classes, dims=DIM) is None
        assert Classifier.from_arrays({"coef": ours.coef}, codes=classes, dims=DIM) is None


def test_a_saved_self_trained_classifier_scores_as_the_one_trained(tmp_path, caplog):
    from wisdoms.codebook import Classifier, ClassifierStore

    book = _book(tmp_path)
    tuned = CodeMatcher(book, Settings(learn_from_corpus=True)).fit(_embed, corpus=_corpus(200))
    store = ClassifierStore(tmp_path / "cache")
    key = ClassifierStore.key(book, model="m", fingerprint="f", corpus="fit-1")
    assert store.load(key, codes=2, dims=DIM) is None
    store.save(key, tuned.descriptor_model_)
    saved = store.load(key, codes=2, dims=DIM)
    reused = CodeMatcher(book, Settings(learn_from_corpus=True)).fit(_embed, corpus=_corpus(400, seed=9),
                                                                      self_trained=saved)
    assert reused.reused_classifier_ and reused.self_trained_rows_ == tuned.self_trained_rows_ == 100
    probe = _corpus(20, seed=5)
    np.testing.assert_array_equal(reused.score(probe)[0], tuned.score(probe)[0])
    # another corpus, model or codebook is another key
    assert len({key, ClassifierStore.key(book, model="m", fingerprint="f", corpus="fit-2"),
                ClassifierStore.key(book, model="m2", fingerprint="f", corpus="fit-1")}) == 3
    # a damaged or truncated file, or one for another codebook, is a miss (retrained), said in the log
    path = tmp_path / "cache" / "matchers" / f"{key}.npz"
    whole = path.read_bytes()
    assert store.load(key, codes=2, dims=DIM + 1) is None  # vectors of another size
    for damaged in (b"not an npz", whole[: len(whole) // 2]):
        path.write_bytes(damaged)
        assert store.load(key, codes=2, dims=DIM) is None
    assert caplog.text.count("ignoring the saved code classifier") == 3
    assert Classifier.from_arrays({**tuned.descriptor_model_.to_arrays(), "classes": np.int64(1)}, codes=2, dims=DIM) is None
    assert Classifier.from_arrays({**tuned.descriptor_model_.to_arrays(), "rows": np.asarray([-1])}, codes=2, dims=DIM) is None


def _benchmark_module():
    spec = importlib.util.spec_from_file_location("codebook_matching", REPO / "benchmarks" / "codebook_matching.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_macro_figures_count_only_codes_with_ten_gold_uses():
    bench = _benchmark_module()
    gold = np.zeros((40, 3), dtype=bool)
    gold[:20, 0] = True  # 20 uses
    gold[20:32, 1] = True  # 12 uses
    gold[32:35, 2] = True  # 3 uses: too rare for the macro average
    pred = gold.copy()
    pred[:10, 0] = False  # code 0: precision 1, recall 0.5
    pred[:, 2] = ~gold[:, 2]  # code 2 entirely wrong
    got = bench.prf_scores(pred, gold)
    assert got["macro_codes"] == 2
    assert got["macro_precision"] == pytest.approx(1.0)
    assert got["macro_recall"] == pytest.approx(0.75)
    assert got["macro_f1"] == pytest.approx((2 / 3 + 1.0) / 2, abs=1e-4)
    assert got["macro_f1_any_support"] == pytest.approx((2 / 3 + 1.0 + 0.0) / 3, abs=1e-4)
    tp, fp, fn = 10 + 12, 37, 10 + 3
    assert got["micro_precision"] == pytest.approx(tp / (tp + fp), abs=1e-4)
    assert got["micro_recall"] == pytest.approx(tp / (tp + fn), abs=1e-4)
    per_code = bench.per_code_f1(pred, gold, ["a", "b", "c"])
    assert per_code == {"a": pytest.approx(2 / 3, abs=1e-4), "b": 1.0}  # the rare code left out, as in macro
    assert np.mean(list(per_code.values())) == pytest.approx(got["macro_f1"], abs=1e-4)
    flipped = bench.per_code_f1(pred[:, ::-1], gold[:, ::-1], ["c", "b", "a"])
    assert list(flipped) == ["a", "b"]  # commonest first, whatever the column order


@pytest.mark.slow
def test_zero_shot_on_a_bench_subset_stays_above_a_floor():
    if not BENCH.is_dir():
        pytest.skip(f"benchmark not found at {BENCH} (../shared is absent)")
    from wisdoms.embed import make_embedder

    bench = _benchmark_module()
    book = load_codebook(BENCH / "codebook.jsonl")
    lines = (BENCH / "comments.jsonl").read_text(encoding="utf-8").splitlines()
    comments = [json.loads(line) for line in lines[:: len(lines) // 800 + 1] if line.strip()]
    embedder = make_embedder()
    vectors = embedder.encode([c["text"] for c in comments])
    settings = Settings()
    matcher = CodeMatcher(book, settings).fit(embedder.encode, corpus=vectors)
    ids = [c.id for c in matcher.codes_]
    gold = np.zeros((len(comments), len(ids)), dtype=bool)
    for r, c in enumerate(comments):
        gold[r, [ids.index(code) for code in c["codes"]]] = True
    got = bench.prf_scores(bench.predict(matcher, vectors, settings), gold)
    # measured on this subset: micro F1 0.40, macro F1 0.34; plain cosine top-1 is about 0.2. (Micro was 0.63 while
    # the matcher added "no answer" phrases to codes defined as blank: 23% of these comments are "Did not answer",
    # which this codebook's non-answer code does not describe; nothing is added to a codebook now.)
    assert got["micro_f1"] > 0.35 and got["macro_f1"] > 0.25


# --- learning from decisions with the wording (wisdoms/codebook/learning.py) ---

_PARKING = ["no parking at all", "parking was a nightmare", "could not find parking", "parking costs too much",
            "the parking is awful", "more parking please", "parking spaces were full", "parking took ages"]
_RUDE = ["the nurse was rude", "rude receptionist", "staff were rude to me", "a rude porter",
         "rude and dismissive", "the driver was rude", "very rude on the phone", "rude staff at the desk"]


def _blurred_embed(texts):
    """Codebook descriptors keep their axis; every other text lands near the same point, whatever it says,
    so an embedding-only learner cannot tell a parking complaint from a rude-staff one."""
    out = []
    for t in texts:
        if "alpha" in t.lower() or "beta" in t.lower():
            out.append(E[0] if "alpha" in t.lower() else E[1])
        else:
            rng = np.random.default_rng(sum(map(ord, t)))
            out.append(_unit(E[3] + 0.01 * rng.standard_normal(DIM)))
    return np.stack(out).astype(np.float32)


def _word_decisions():
    from wisdoms.codebook import Decision

    return ([Decision(f"p{i}", "alpha", "confirm", t) for i, t in enumerate(_PARKING)]
            + [Decision(f"r{i}", "beta", "confirm", t) for i, t in enumerate(_RUDE)])


def test_learned_matcher_reads_the_words_the_embedding_blurs(tmp_path):
    book = _book(tmp_path)
    matcher = CodeMatcher(book, Settings(), decisions=_word_decisions()).fit(_blurred_embed)
    ids = [c.id for c in matcher.codes_]
    probes = ["parking was impossible", "they were rude", "no parking near the door", "so rude"]
    vectors = _blurred_embed(probes)
    with_words, evidence = matcher.score(vectors, probes)
    assert [ids[i] for i in np.argmax(with_words, axis=1)] == ["alpha", "beta", "alpha", "beta"]
    assert np.all(with_words.max(axis=1) >= Settings().learned_threshold)
    assert evidence[0][0].learned_from == "decisions" and "wording" in evidence[0][0].uses
    assert evidence[0][0].words().startswith("learned from decisions (")
    # the same matcher without the texts falls back to the vectors alone, which cannot separate them
    meaning_only, evidence = matcher.score(vectors)
    assert evidence[0][0].learned_from == "decisions" and "wording" not in evidence[0][0].uses
    assert np.ptp(meaning_only[:, ids.index("alpha")]) < 0.05


def _topic_embed(texts):
    """Codebook descriptors on axes 0 (alpha) and 1 (beta); parking answers along axis 2 and rude ones along axis 4,
    neither of which the codebook describes; each text a little apart from the others."""
    out = []
    for t in texts:
        low = t.lower()
        axis = 0 if "alpha" in low else 1 if "beta" in low else 2 if "parking" in low else 4 if "rude" in low else 3
        out.append(_unit(E[axis] + 0.05 * np.random.default_rng(sum(map(ord, t))).standard_normal(DIM)))
    return np.stack(out).astype(np.float32)


def test_confirmed_answers_become_examples_of_their_codes(tmp_path):
    book = _book(tmp_path)
    probes = ["parking again", "so rude again"]
    plain = CodeMatcher(book, Settings()).fit(_topic_embed)
    zero = plain.score(_topic_embed(probes), probes)[0]
    assert not plain.assigned(zero).any()  # the codebook alone codes neither
    taught = CodeMatcher(book, Settings(learned_lexical=False), decisions=_word_decisions()).fit(_topic_embed)
    assert taught.confirmed_examples_ == len(_PARKING) + len(_RUDE)
    assert [d.text for d in taught.positives_ if d.label == "confirmed example 1"] == [_PARKING[0], _RUDE[0]]
    scores, evidence = taught.score(_topic_embed(probes), probes)
    assert np.argmax(scores, axis=1).tolist() == [0, 1] and scores.max(axis=1).min() >= Settings().learned_threshold
    # the evidence names the confirmed answer the text was closest to, not a codebook descriptor
    assert evidence[0][0].descriptor.startswith("confirmed example ")
    assert "closest to: confirmed example " in evidence[1][1].words()


def test_lexical_learning_can_be_switched_off(tmp_path):
    book = _book(tmp_path)
    off = CodeMatcher(book, Settings(learned_lexical=False), decisions=_word_decisions()).fit(_blurred_embed)
    probes = ["parking was impossible", "they were rude"]
    vectors = _blurred_embed(probes)
    assert off.learner_.lexical_ is None and all("wording" not in (c or ()) for c in off.learner_.chosen_)
    np.testing.assert_allclose(off.score(vectors, probes)[0], off.score(vectors)[0])


def test_texts_must_match_the_vectors_row_for_row(tmp_path):
    from wisdoms.errors import CodebookError

    matcher = CodeMatcher(_book(tmp_path), Settings(), decisions=_word_decisions()).fit(_blurred_embed)
    with pytest.raises(CodebookError, match="1 texts for 2 vectors"):
        matcher.score(_blurred_embed(["a", "b"]), ["a"])


def test_lexical_features_append_word_and_character_blocks():
    from wisdoms.codebook.learning import LexicalFeatures

    texts = ["parking was awful", "rude staff", "parking again", "staff were kind"] * 3
    features = LexicalFeatures().fit(texts)
    x = features.transform(["parking", "rude"], np.eye(2, 4, dtype=np.float32))
    assert x.shape[0] == 2 and x.shape[1] > 4
    np.testing.assert_allclose(x[:, :4].toarray(), np.eye(2, 4))  # the embedding comes first, unchanged
    word = features.word_.vocabulary_["parking"] + 4
    assert x[0, word] > 0 and x[1, word] == 0
    words_only = LexicalFeatures(char_weight=0).fit(texts)
    assert words_only.char_ is None
    assert words_only.transform(["parking"], np.zeros((1, 4))).shape[1] == 4 + len(words_only.word_.vocabulary_)


def test_benchmark_split_never_lets_learning_rows_into_evaluation():
    bench = _benchmark_module()
    rng = np.random.default_rng(0)
    gold = rng.random((300, 6)) < np.array([0.5, 0.2, 0.05, 0.02, 0.01, 0.0])
    for n in (5, 20):
        train, test = bench.split(gold, n, seed=1)
        assert not set(train.tolist()) & set(test.tolist())
        assert sorted(train.tolist() + test.tolist()) == list(range(len(gold)))
        for k in range(gold.shape[1]):  # a code is drawn for at most half of its comments
            uses = int(gold[:, k].sum())
            assert len(np.setdiff1d(np.flatnonzero(gold[:, k]), test)) >= min(n, max(1, uses // 2)) * (uses > 0)
    assert np.array_equal(bench.split(gold, 20, seed=1)[0], bench.split(gold, 20, seed=1)[0])
    train, test = bench.half_split(301, seed=2)  # the reference protocol: half of all comments to learn from
    assert (len(train), len(test)) == (150, 151) and not set(train.tolist()) & set(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(301))
    assert not np.array_equal(train, bench.half_split(301, seed=3)[0])


def test_fine_tuning_benchmark_pairs_share_a_code_or_none():
    spec = importlib.util.spec_from_file_location("codebook_finetune", REPO / "benchmarks" / "codebook_finetune.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    groups = [frozenset({0}), frozenset({0, 1}), frozenset({1}), frozenset({2}), frozenset(), frozenset({2}),
              frozenset()]
    pairs = module.pairs_of(groups, 200, seed=4)
    assert len(pairs) == 200 and sum(t for _, _, t in pairs) == 100
    for a, b, target in pairs:
        assert a != b
        assert bool(groups[a] & groups[b]) == (target == 1.0)
        assert groups[a] or groups[b]  # two rows without codes are never paired
    assert pairs == module.pairs_of(groups, 200, seed=4)
    with pytest.raises(ValueError, match="could not draw"):  # every row shares a code: no counter-example exists
        module.pairs_of([frozenset({0})] * 4, 10, seed=0)


def test_benchmark_learns_only_from_learning_rows(tmp_path, monkeypatch):
    bench = _benchmark_module()
    book = _book(tmp_path)
    texts = _PARKING + _RUDE
    comments = [{"id": f"c{i}", "text": t, "codes": ["alpha" if i < len(_PARKING) else "beta"]}
                for i, t in enumerate(texts)]
    gold = np.zeros((len(texts), 2), dtype=bool)
    gold[: len(_PARKING), 0] = gold[len(_PARKING):, 1] = True
    seen: list[list[str]] = []
    real_fit = CodeMatcher.fit

    def spy(self, embed, **kw):
        seen.append([d.target_id for d in self.decisions])
        return real_fit(self, embed, **kw)

    monkeypatch.setattr(CodeMatcher, "fit", spy)
    runs = bench.learned_run(book, comments, _blurred_embed(texts), gold, _blurred_embed, Settings(), 3, 0)
    train, test = bench.split(gold, 3, 0)
    # the zero-shot matcher learns from nothing; both learned ones from the learning rows only
    assert len(seen) == 3 and seen[0] == [] and all(set(ids) == {f"c{r}" for r in train} for ids in seen[1:])
    assert runs["learned"]["test_units"] == runs["cosine_top1"]["test_units"] == len(test) == len(texts) - 6
    assert set(runs) == {"cosine_top1", "zero_shot", "learned", "learned_ungated"}
    seen.clear()  # half of all units (n=None): decisions come from half_split's learning rows only
    runs = bench.learned_run(book, comments, _blurred_embed(texts), gold, _blurred_embed, Settings(), None, 1)
    train, test = bench.half_split(len(texts), 1)
    assert len(seen) == 3 and all(set(ids) == {f"c{r}" for r in train} for ids in seen[1:])
    assert runs["learned"]["test_units"] == len(test) == len(texts) - len(texts) // 2


# --- scoring clause by clause (wisdoms/codebook/clauses.py) ---

def test_clause_spans_cut_at_sentences_commas_and_contrasts():
    from wisdoms.codebook.clauses import clause_spans

    text = "Quick response, accurate advice.  But the wait – two hours; awful!"
    spans = clause_spans(text)
    assert [text[a:b] for a, b in spans] == ["Quick response", "accurate advice", "But the wait – two hours", "awful!"]
    text = "Kind staff but a long wait although they tried"
    assert [text[a:b] for a, b in clause_spans(text)] == ["Kind staff", "a long wait", "they tried"]
    # one clause (or nothing) adds nothing to scoring the whole text
    assert clause_spans("Staff were kind and caring.") == []
    assert clause_spans("") == [] and clause_spans(" , ; .") == []
    # offsets are code points of the text as given
    text = "Café was cold, nurse – kind"
    assert [text[a:b] for a, b in clause_spans(text)] == ["Café was cold", "nurse – kind"]
    # a title or abbreviation ends no sentence; a lone connective stays with the clause it introduces
    text = "Dr. Khan was kind. However, the wait e.g. four hours was long"
    assert [text[a:b] for a, b in clause_spans(text)] == ["Dr. Khan was kind", "However, the wait e.g. four hours was long"]
    assert clause_spans("Also, parking") == []
    # a passage of many clauses is scored whole: each code keeping its best of a dozen clauses finds one anywhere
    six = "Kind staff, long wait, cold room, good food, bad parking, nice garden"
    assert len(clause_spans(six)) == 6 and clause_spans(six + ", loud ward") == []


def _bag_embed(texts):
    """A bag of words: alpha words along axis 0, beta words along axis 1, any other word a little along
    axis 3, so a text's vector leans towards what most of its words are about."""
    out = []
    for t in texts:
        v = np.zeros(DIM, dtype=np.float32)
        for word in t.lower().replace(",", " ").replace(":", " ").split():
            v += E[0] if word.startswith("alpha") else E[1] if word.startswith("beta") else 0.3 * E[3]
        out.append(v if v.any() else E[3])
    return _unit(np.stack(out))


def test_each_clause_of_an_answer_can_match_its_own_code(tmp_path):
    book = _book(tmp_path)
    texts = ["alpha alpha alpha alpha and alpha again, beta", "alpha alpha alpha alpha and alpha again beta"]
    vectors = _bag_embed(texts)
    on = CodeMatcher(book, Settings()).fit(_bag_embed)
    off = CodeMatcher(book, Settings(code_clauses=False)).fit(_bag_embed)
    ids = [c.id for c in on.codes_]
    with_clauses, evidence = on.score(vectors, texts)
    whole, _ = off.score(vectors, texts)
    # the first answer's second clause is about beta: beta now scores as high as alpha, and both are assigned
    assert with_clauses[0, ids.index("beta")] > whole[0, ids.index("beta")] + 0.3
    assert on.assigned(with_clauses)[0].all() and not off.assigned(whole)[0].all()
    # the evidence says where the clause is, counting characters from 1 as a spreadsheet does
    assert evidence[0][ids.index("beta")].clause == (41, 45) and texts[0][41:45] == "beta"
    assert evidence[0][ids.index("beta")].words().endswith(", in its clause at characters 42-45")
    # the second answer is one clause: scored as the whole text, and no score ever goes down
    np.testing.assert_allclose(with_clauses[1], whole[1])
    assert np.all(with_clauses >= whole - 1e-6)
    # without texts there are no clauses to score
    np.testing.assert_allclose(on.score(vectors)[0], whole)


def test_a_passages_clause_is_found_by_its_characters_in_the_words_said(tmp_path):
    from wisdoms.models import Passage

    book = _book(tmp_path)
    said = "alpha alpha alpha alpha [laughs] and alpha  again,\n  beta"
    passage = Passage(id="t#0-57", transcript="t", participant="P1", start=0, end=len(said), text=said, turn=0)
    assert passage.analysis_text == "alpha alpha alpha alpha and alpha again, beta"
    matcher = CodeMatcher(book, Settings()).fit(_bag_embed)
    beta = [m for m in matcher.match_passages([passage], _bag_embed([passage.analysis_text])) if m.code == "beta"]
    assert beta and beta[0].assigned
    assert beta[0].evidence.clause is not None  # data, not words parsed back
    start, end = beta[0].evidence.clause
    assert said[start:end] == "beta"  # counted in the passage's text, not the analysis text
    assert beta[0].evidence.words().endswith(f"characters {start + 1}-{end}")
    # the analysis text puts it elsewhere: counting there would point at the wrong words
    scored = matcher.score(_bag_embed([passage.analysis_text]), [passage.analysis_text])[1][0]
    assert scored[[c.id for c in matcher.codes_].index("beta")].words().endswith("characters 42-45")


# --- learning from the corpus being coded (a second round of the learned codes) ---

_METERS = [f"the meters were broken again, parking {i}" for i in range(40)] + \
          [f"rude again {i}, truly rude" for i in range(40)]


def test_learned_codes_learn_from_the_corpus_they_code_confidently(tmp_path):
    book = _book(tmp_path)
    corpus_texts = _METERS + _PARKING  # the decided texts themselves are never added twice
    corpus = _blurred_embed(corpus_texts)
    first = CodeMatcher(book, Settings(learn_from_corpus=True), decisions=_word_decisions()).fit(
        _blurred_embed, corpus=corpus, corpus_texts=corpus_texts)
    alone = CodeMatcher(book, Settings(learn_from_corpus=False), decisions=_word_decisions()).fit(
        _blurred_embed, corpus=corpus, corpus_texts=corpus_texts)
    assert alone.corpus_rows_ == 0 and 0 < first.corpus_rows_ <= len(_METERS)
    ids = [c.id for c in first.codes_]
    # "meters" was never in a decision: only the corpus, where it comes with "parking", ties it to alpha
    probe = ["meters"]
    learned, _ = first.score(_blurred_embed(probe), probe)
    before, _ = alone.score(_blurred_embed(probe), probe)
    assert learned[0, ids.index("alpha")] > before[0, ids.index("alpha")] + 0.1
    assert learned[0, ids.index("alpha")] > learned[0, ids.index("beta")]


def test_corpus_texts_must_match_the_corpus_row_for_row(tmp_path):
    from wisdoms.errors import CodebookError

    matcher = CodeMatcher(_book(tmp_path), Settings(), decisions=_word_decisions())
    with pytest.raises(CodebookError, match="2 corpus texts for 3 vectors"):
        matcher.fit(_blurred_embed, corpus=_blurred_embed(["a", "b", "c"]), corpus_texts=["a", "b"])
    with pytest.raises(CodebookError, match="1 corpus texts for 0 vectors"):
        matcher.fit(_blurred_embed, corpus_texts=["a"])


def test_a_code_that_cannot_be_learned_leaves_zero_shot_scores(tmp_path, caplog):
    from wisdoms.codebook import Decision

    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "alpha", "name": "Alpha", "definition": "alpha things"}) + "\n", encoding="utf-8")
    book = load_codebook(path)
    with caplog.at_level("WARNING", logger="wisdoms.codebook.matching"):
        learned = CodeMatcher(book, Settings(), decisions=[Decision("a1", "alpha", "confirm", "alpha again")]).fit(_embed)
    assert "no code could be learned from decisions" in caplog.text
    assert learned.learned_from_ == "" and not learned.learned_
    plain = CodeMatcher(book, Settings()).fit(_embed)
    probe = _embed(["alpha probe"])
    np.testing.assert_allclose(learned.score(probe)[0], plain.score(probe)[0])
    assert learned.assigned(learned.score(probe)[0]).all()


def test_a_blank_answer_gets_no_code_and_non_answers_are_coded_from_the_codebook(tmp_path):
    path = tmp_path / "book.jsonl"
    path.write_text(
        json.dumps({"id": "alpha", "name": "Alpha", "definition": "alpha things"}) + "\n"
        + json.dumps({"id": "none", "name": "Labelling not possible", "definition": "Blank or not relevant.",
                      "examples": ["beta did not answer"]}) + "\n",
        encoding="utf-8")
    matcher = CodeMatcher(load_codebook(path), Settings()).fit(_embed)
    # nothing is added to a code because its definition says "blank": only what the codebook says describes it
    assert [d.text for d in matcher.positives_ if d.code == 1] == [
        "Labelling not possible: Blank or not relevant.", "Labelling not possible", "beta did not answer"]
    texts = ["alpha thing", "  ", "", "beta: did not answer"]
    scores, evidence = matcher.score(_embed(["alpha thing", "alpha", "alpha", "beta"]), texts)  # blanks lean alpha
    chosen = matcher.assigned(scores)
    assert chosen[0, 0] and not chosen[1:3].any()  # a blank answer has nothing in it to code
    assert evidence[1][0].blank and evidence[1][0].words() == "a blank answer"
    assert chosen[3].tolist() == [False, True]  # the team's non-answer, matched through its example


def test_a_text_gets_the_same_codes_whatever_batch_it_arrives_in(tmp_path):
    book = _book(tmp_path)
    texts = [f"{code} {word} {' '.join(['said'] * (i % 4))} {i}"
             for i in range(60) for code, word in (("alpha", "meters"), ("beta", "fees"))]
    few = texts[:7]
    alone = CodeMatcher(book, Settings()).fit(_bag_embed, corpus=_bag_embed(few), corpus_texts=few)
    inside = CodeMatcher(book, Settings()).fit(_bag_embed, corpus=_bag_embed(texts), corpus_texts=texts)
    np.testing.assert_array_equal(alone.score(_bag_embed(few), few)[0], inside.score(_bag_embed(texts), texts)[0][:7])
    assert alone.self_trained_rows_ == inside.self_trained_rows_ == 0 and inside.learned_from_ == ""
    # learning from the batch is an explicit option, and it does make codes depend on the batch
    opted = CodeMatcher(book, Settings(learn_from_corpus=True)).fit(_bag_embed, corpus=_bag_embed(texts),
                                                                    corpus_texts=texts)
    assert opted.self_trained_rows_ == 60 and opted.learned_from_ == ""


def test_a_code_named_within_its_group_or_without_a_definition_is_still_described(tmp_path):
    from wisdoms.codebook import Codebook
    from wisdoms.codebook.matching import descriptors_of
    from wisdoms.models import Code

    book = Codebook(codes=(Code("benefits", "Benefits of the tool", "", status="group"),
                           Code("compliment", "Compliment", "", parent="benefits"),
                           Code("speed", "Speed", "It was quick.", include="fast, quick", examples=("so fast",))))
    positives, negatives = descriptors_of(book)
    assert [(d.code, d.label, d.text) for d in positives] == [
        (0, "definition", "Compliment"), (0, "name", "Compliment"), (0, "group", "Benefits of the tool: Compliment"),
        (1, "definition", "Speed: It was quick."), (1, "name", "Speed"), (1, "inclusion note", "fast, quick"),
        (1, "example 1", "so fast")]
    assert negatives == []


def test_evidence_is_data_until_a_writer_puts_it_in_words():
    from wisdoms.codebook import Evidence

    zero = Evidence("alpha", "example 2", clause=(16, 30))
    assert zero.words() == "example 2, in its clause at characters 17-30"
    # counted in another text: positions[i] is where character i of the scored text is there
    positions = list(range(5, 45))
    assert zero.in_text(positions).clause == (21, 35) and Evidence("a", "name").in_text(positions).clause is None
    learned = Evidence("alpha", "definition", learned_from="decisions", uses=("codebook", "meaning"))
    assert learned.words() == "learned from decisions (codebook + meaning; closest to: definition)"


def test_evidence_is_saved_as_fields_and_read_back_and_old_words_still_load():
    from dataclasses import asdict

    from wisdoms.models import Evidence, Match

    clause = Evidence("alpha", "example 2", clause=(16, 30), learned_from="decisions", uses=("codebook", "meaning"))
    match = Match("passage", "t#0-40", "alpha", 0.71, clause, True)
    saved = json.loads(json.dumps(asdict(match)))  # as analysis.json holds it
    assert saved["evidence"]["clause"] == [16, 30] and saved["evidence"]["descriptor"] == "example 2"
    assert Match(**saved) == match and Match(**saved).evidence.clause == (16, 30)
    assert Evidence.of(json.loads(json.dumps(clause.to_dict())), "alpha") == clause
    # what an earlier version saved: the words, kept as they were written (not parsed back)
    old = Match(**{**saved, "evidence": "example 2, in its clause at characters 17-30"})
    assert old.evidence.words() == "example 2, in its clause at characters 17-30" and old.evidence.clause is None
    assert Match(**json.loads(json.dumps(asdict(old)))) == old
    with pytest.raises(TypeError, match="unknown fields"):
        Evidence.of({"descriptor": "name", "colour": "red"}, "alpha")
    # a notebook's table shows the words, the descriptor and the clause as columns
    from wisdoms.models import Records

    frame = Records.of(Match, [match, old]).to_frame()
    assert frame["evidence"].tolist() == [clause.words(), old.evidence.words()]
    assert frame["descriptor"].tolist() == ["example 2", ""] and frame["clause"].tolist()[0] == [16, 30]


def test_a_themes_evidence_says_what_its_centre_matched_and_its_share_of_passages(tmp_path):
    from wisdoms.models import Match, Theme
    from wisdoms.report.rundir import _themes_of_document

    book = _book(tmp_path)
    matcher = CodeMatcher(book, Settings()).fit(_embed)
    theme = Theme(id=0, label="Alpha", keywords=(), passage_ids=("a", "b", "c", "d", "e"), participants=2)
    passages = [Match("passage", pid, "beta", 0.5, matcher.score(_embed(["beta"]))[1][0][1], True) for pid in "ab"]
    found = matcher.match_themes([theme], passages, {}, centroids={0: _embed(["alpha"])[0]})[0]
    by_code = {m.code: m.evidence for m in found}
    assert by_code["alpha"].descriptor and by_code["alpha"].passage_share == 0.0  # its centre matched alpha
    assert by_code["alpha"].words() == f"theme centre matches {by_code['alpha'].descriptor}; 0% of its passages"
    assert by_code["beta"].descriptor == "" and by_code["beta"].passage_share == 0.4  # through its passages only
    assert by_code["beta"].words() == "40% of its passages"
    # themes.json holds the words and the fields; read back, the fields win, and an old file's words still load
    codes = [{"id": m.code, "score": m.score, "evidence": m.evidence.words(), "evidence_detail": m.evidence.to_dict()}
             for m in found]
    document = {"themes": [{"id": 0, "label": "Alpha", "codes": codes},
                           {"id": 1, "label": "Old", "codes": [{"id": "beta", "score": 0.4, "evidence": "40% of its passages"}]}]}
    new, old = _themes_of_document(document, [])
    assert [m.evidence for m in new.codes] == [m.evidence for m in found]
    assert old.codes[0].evidence.words() == "40% of its passages"


def test_cross_validation_keeps_only_the_components_that_hold_up():
    from wisdoms.codebook import assign
    from wisdoms.codebook.learning import CodeLearner

    def rule(scores):
        return assign(scores, threshold=0.5, margin=0.08, max_codes=3)

    rng = np.random.default_rng(0)
    n, k = 60, 2
    y = np.zeros((n, k), dtype=bool)
    y[: n // 2, 0] = y[n // 2:, 1] = True
    prior_x = _unit(rng.standard_normal((4, DIM)))
    prior_y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=bool)
    prior_texts = ["a", "b", "c", "d"]
    # the codebook's score tells the codes apart; the embedding and the words are noise that a regression would
    # fit anyway (one word per text, each text its own)
    z = np.where(y, 0.6, 0.3).astype(np.float32) + 0.05 * rng.standard_normal((n, k)).astype(np.float32)
    x = _unit(rng.standard_normal((n, DIM)))
    texts = [f"w{i}x w{i}y" for i in range(n)]
    learner = CodeLearner(rule, seed=0).fit(z, x, texts, y, np.ones(n), np.ones_like(y), prior_x, prior_texts, prior_y)
    assert learner.chosen_ == [("codebook",), ("codebook",)]
    assert learner.f1_["codebook"] > 0.9 > learner.f1_["meaning + wording"]
    probs, used = learner.predict(z, x, texts)
    assert (np.argmax(probs, axis=1) == np.argmax(z, axis=1)).all()  # the codebook's ranking, as probabilities
    assert rule(probs)[y].mean() > 0.9 and used == [("codebook",), ("codebook",)]
    # where only the words tell the codes apart (one word per code), the words are used
    words = [("parking " if row[0] else "rude ") + t for row, t in zip(y, texts)]
    flat = np.full((n, k), 0.4, dtype=np.float32) + 0.05 * rng.standard_normal((n, k)).astype(np.float32)
    learner = CodeLearner(rule, seed=0).fit(flat, x, words, y, np.ones(n), np.ones_like(y), prior_x, prior_texts,
                                            prior_y)
    assert all("wording" in combo for combo in learner.chosen_)
    probs, used = learner.predict(flat[:4], x[:4], ["parking again", "parking", "so rude", "rude"])
    assert np.argmax(probs, axis=1).tolist() == [0, 0, 1, 1] and used == learner.chosen_


