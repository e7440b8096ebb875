"""Theme building blocks: adaptive sizes, labels, quotes from different people, too-small corpora."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from wisdoms.errors import CorpusTooSmallError
from wisdoms.models import Passage
from wisdoms.settings import Settings
from wisdoms.themes import adaptive_min_size, find_themes, label_from_keywords, mmr_keywords, representative_quotes


def passage(i: int, participant: str, words: int = 12, text: str | None = None) -> Passage:
    text = text if text is not None else " ".join([f"word{i}"] * words)
    return Passage(f"t{i}.txt#0-{len(text)}", f"t{i}.txt", participant, 0, len(text), text, 1)


def test_min_size_adapts_to_corpus() -> None:
    assert adaptive_min_size(50) == 5
    assert adaptive_min_size(1400) == 15
    assert adaptive_min_size(50_000) == 60
    assert adaptive_min_size(300) < adaptive_min_size(3000)
    assert adaptive_min_size(2200, survey=True) == 10, "survey answers: BERTopic's size for small surveys"
    assert adaptive_min_size(11_000, survey=True) == 10
    assert adaptive_min_size(51_000, survey=True) == 10, "BERTopic's min_topic_size at every size (NMI parity)"


def test_label_and_mmr() -> None:
    assert label_from_keywords(["waiting list", "months", "letter", "x"]) == "Waiting list, months, letter"
    assert label_from_keywords([]) == "Unlabelled theme"
    # No keyword survives the stop words (survey answers "Nothing", "No."): the most common answer, quoted.
    assert label_from_keywords([], ["No.", "Nothing", "nothing.", "Nothing  at all", "NOTHING"]) == "“Nothing”"
    assert label_from_keywords([], ["It was not something I would say anything about at all"]) == (
        "“It was not something I would …”")
    # Keywords almost no member uses (one misspelling among "Nothing" answers) say nothing about the theme.
    nothing = ["Nothing"] * 30 + ["Nothin", "Nothing x", "Nothing excellant"]
    assert label_from_keywords(["excellant"], nothing) == "“Nothing”"
    assert label_from_keywords(["waiting", "letter"], ["The waiting was long", "No letter came"] + nothing[:20]) == (
        "Waiting, letter"), "keywords used by 2 of 22 members (9%) stand"
    assert label_from_keywords(["housing"], ["a", "b"] * 20 + ["housing"]) == "“a”"
    assert label_from_keywords(["housing"], [f"answer {i}" for i in range(40)]) == "Housing", (
        "no answer repeats: keep the keywords")


def test_redaction_marks_are_not_keywords() -> None:
    from wisdoms.themes.keywords import _normalise_for_keywords

    assert _normalise_for_keywords("XXXX was great, XXX's team and xx too").split() == ["was", "great,", "team",
                                                                                        "and", "too"]
    vecs = np.eye(3, dtype=np.float32)
    vecs[1] = vecs[0]
    centroid = np.array([1.0, 0.0, 0.6], dtype=np.float32)
    picked = mmr_keywords(["a", "a-copy", "c"], vecs, centroid, k=2)
    assert picked == ["a", "c"], "a near-duplicate loses to a distinct relevant word"


def test_quotes_prefer_different_participants() -> None:
    passages = [passage(i, "P1" if i < 4 else f"P{i}") for i in range(7)]
    emb = np.tile(np.array([1.0, 0.0], dtype=np.float32), (7, 1))
    emb[:4] = [1.0, 0.0]
    emb[4:] = [0.8, 0.6]
    quotes = representative_quotes(passages, emb, np.array([1.0, 0.0], dtype=np.float32), k=4)
    people = [q.participant for q in quotes]
    assert len(quotes) == 4 and len(set(people)) == 4, people


def test_quotes_never_repeat_the_same_words() -> None:
    """A theme of many "Nothing" answers shows "Nothing" once: fewer quotes rather than repeats."""
    said = ["Nothing", "Nothing.", "nothing", "NOTHING ", "No, nothing at all", "Nothing really"]
    passages = [passage(i, f"P{i}", text=t) for i, t in enumerate(said)]
    emb = np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(said), 1))
    quotes = representative_quotes(passages, emb, np.array([1.0, 0.0], dtype=np.float32), k=5)
    # a quote that ends its sentence comes first; one opening "No, ..." stands less well on its own, so it is last
    assert [q.text for q in quotes] == ["Nothing.", "Nothing really", "No, nothing at all"]


def test_quotes_a_reader_can_follow_come_before_redacted_or_trailing_ones() -> None:
    """Real transcripts (pdpilot) hold passages redacted word by word and sentences that trail off: a reader
    learns nothing from "The XX XXXX XXXXXXXXXX ...", so those are quoted only when nothing else is left."""
    said = ["The XX XXXX XXXXXXXXXX XX XXXX XXX XXX XXXXXXXXX XX XXXX said about the model.",
            "(The participant reads the task again and scrolls down to the map)",
            "Very useful. That's probably like most in line with like the.",
            "The plot showed me which features moved the prediction most."]
    passages = [passage(i, f"P{i}", text=t) for i, t in enumerate(said)]
    emb = np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(said), 1))
    emb[3] = [0.6, 0.8]  # the clear quote is the furthest from the centre, and still comes first
    quotes = representative_quotes(passages, emb, np.array([1.0, 0.0], dtype=np.float32), k=4)
    assert [q.participant for q in quotes] == ["P3", "P2", "P1", "P0"]
    assert representative_quotes(passages, emb, np.array([1.0, 0.0], dtype=np.float32), k=1)[0].text == said[3]


def test_too_small_corpus_is_a_clear_error() -> None:
    passages = [passage(i, "P1") for i in range(30)]
    with pytest.raises(CorpusTooSmallError, match="from 1 participant"):
        find_themes(passages, np.ones((30, 4), dtype=np.float32), settings=Settings())
    with pytest.raises(CorpusTooSmallError, match="at least 20 passages"):
        find_themes([passage(i, f"P{i}") for i in range(5)], np.ones((5, 4), dtype=np.float32))


# --- carrying themes over to a superset of passages (issue 7) --------------------------------

_GROUPS = [["housing", "landlord", "rent", "eviction", "flat"], ["doctor", "appointment", "waiting", "nurse", "clinic"],
           ["probation", "court", "officer", "sentence", "prison"]]

_DATA = '''
from dataclasses import replace

import numpy as np
from wisdoms.models import Passage

GROUPS = %r


def clustered(n_per, extra=0, seed=0):
    """Three well-separated groups of passages (text and 16-d vectors agree); ``extra`` more at the end."""
    rng = np.random.default_rng(seed)
    passages, vectors = [], []
    centres = np.eye(16, dtype=np.float32)[:3]
    for i in range(3 * n_per + extra):
        g = i %% 3
        text = " ".join([GROUPS[g][(i * 7 + k) %% 5] for k in range(6)] + ["today", "again", f"item{i}"])
        passages.append(Passage(f"t{i %% 9}.txt#{i}-{i + len(text)}", f"t{i %% 9}.txt", f"P{i %% 9}", i,
                                i + len(text), text, 1))
        v = centres[g] + rng.normal(0, 0.08, 16).astype(np.float32)
        vectors.append(v / np.linalg.norm(v))
    return passages, np.asarray(vectors, dtype=np.float32)
''' % (_GROUPS,)

_namespace: dict = {}
exec(compile(_DATA, "clustered", "exec"), _namespace)  # noqa: S102 - the same helper runs in a subprocess below
clustered = _namespace["clustered"]


def _settings(tmp_path, **kw) -> Settings:  # noqa: ANN001
    # three groups of a third each: themes may hold up to half the passages here, so each group stays one theme
    return Settings(cache_dir=str(tmp_path / "cache"), reduction="pca", min_theme_size=5, max_theme_share=0.5, **kw)


def _summary(result) -> list:  # noqa: ANN001
    return [(t.id, t.label, t.keywords, t.passage_ids, tuple(q.passage for q in t.quotes)) for t in result.themes]


def test_carry_over_keeps_ids_and_places_only_new_passages(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.themes import themes_for_run

    settings = _settings(tmp_path)
    passages, vectors = clustered(30)
    first = themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
    assert "carried_over_from" not in first.params and len(first.themes) == 3
    more, more_vectors = clustered(30, extra=3)
    second = themes_for_run(more, more_vectors, settings=settings, model="m", fingerprint="f")
    assert second.params["carried_over_from"] == first.state.fingerprint
    assert second.params["new_passages"] == 3
    assert "3 new passages" in second.params["note"]
    for p in passages:  # every earlier passage keeps its theme id
        assert second.assignments[p.id] == first.assignments[p.id]
    words_of = {t.id: set(t.keywords) for t in first.themes}
    for p in more[len(passages):]:
        theme = second.assignments[p.id]
        if theme >= 0:  # a placed passage went to the theme whose words it uses
            assert set(p.text.split()) & words_of[theme], (p.text, words_of[theme])
    assert second.params["new_passages_assigned"] == sum(second.assignments[p.id] >= 0 for p in more[90:])
    from wisdoms.themes.keywords import _clean_for_keywords, _vectorizer

    added = _vectorizer(vocabulary=first.state.vocabulary).transform(_clean_for_keywords([p.text for p in more[90:]]))
    grown = second.state.counts.toarray()
    for row, topic in enumerate(first.state.count_ids):  # a row for "no theme" may be new
        grown[second.state.count_ids.index(topic)] -= first.state.counts.toarray()[row]
    for pos, p in enumerate(more[90:]):  # each new passage's words went to its sub-theme's row
        row = second.state.count_ids.index(second.subtheme_of[p.id])
        grown[row] -= added[pos].toarray().ravel()
    assert not grown.any()
    sizes = {t.id: len(t.passage_ids) for t in second.themes}
    assert sum(sizes.values()) == sum(1 for t in second.assignments.values() if t >= 0)


def test_carry_over_is_deterministic_and_equals_the_fit_when_nothing_is_new(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.themes import ThemeStore, carry_over, settings_key, themes_for_run

    settings = _settings(tmp_path)
    passages, vectors = clustered(30)
    fitted = themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
    again = themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
    assert again.params["new_passages"] == 0
    assert _summary(again) == _summary(fitted), "same passages: carried-over themes equal the fitted ones"
    store = ThemeStore(settings.resolved_cache_dir(), settings_key(settings, "m", "f"))
    base = store.load(fitted.state.fingerprint)
    more, more_vectors = clustered(30, extra=6, seed=0)
    a = carry_over(more, more_vectors, base, settings=settings)
    b = carry_over(list(more), more_vectors.copy(), store.load(fitted.state.fingerprint), settings=settings)
    assert _summary(a) == _summary(b)


def test_a_state_saved_by_other_fitting_code_is_never_carried_over(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """A cache kept across an upgrade carried over the old code's themes (one holding 30% of the sample, above
    the cap the new code keeps): the fitting code is part of the key, so the new code fits afresh."""
    import sys

    from wisdoms.themes import settings_key, state, themes_for_run

    module = tmp_path / "fake_fit_module.py"
    module.write_text("RULE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(state, "FIT_MODULES", (*state.FIT_MODULES, "fake_fit_module"))
    settings = _settings(tmp_path)
    passages, vectors = clustered(30)
    before = settings_key(settings, "m", "f")
    themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
    assert themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f").params.get("carried_over_from")
    module.write_text("RULE = 2\n", encoding="utf-8")
    sys.modules.pop("fake_fit_module", None)
    assert settings_key(settings, "m", "f") != before
    again = themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
    assert "carried_over_from" not in again.params, "the new code fits afresh"


def test_refit_when_many_passages_are_new_or_when_asked(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.themes import themes_for_run

    settings = _settings(tmp_path, refit_share=0.1)
    passages, vectors = clustered(30)
    themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
    many, many_vectors = clustered(30, extra=12)  # 12 > 10% of 90
    grown = themes_for_run(many, many_vectors, settings=settings, model="m", fingerprint="f")
    assert "carried_over_from" not in grown.params and "exceed refit_share" in grown.params["refit_reason"]
    asked = themes_for_run(many, many_vectors, settings=settings, model="m", fingerprint="f", refit=True)
    assert asked.params["refit_reason"] == "asked to refit"
    other_seed = themes_for_run(many, many_vectors, settings=settings.with_overrides(seed=7), model="m", fingerprint="f")
    assert "carried_over_from" not in other_seed.params, "a different seed never reuses a fit"
    edited = [*passages[:-1], replace(passages[-1], text=passages[-1].text + " changed")]
    refitted = themes_for_run(edited, vectors, settings=settings, model="m", fingerprint="f")
    assert "carried_over_from" not in refitted.params, "an edited passage means the old set is not kept whole"
    plus_one = themes_for_run(many[:91], many_vectors[:91], settings=settings, model="m", fingerprint="f")
    assert plus_one.params["new_passages"] == 1 and plus_one.params["carried_over_from"]


def test_the_carry_over_path_imports_neither_bertopic_nor_umap(tmp_path) -> None:  # noqa: ANN001
    import json
    import subprocess
    import sys

    from wisdoms.themes import themes_for_run

    settings = _settings(tmp_path)
    passages, vectors = clustered(30)
    themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
    script = _DATA + f'''
import json, sys
from wisdoms.settings import Settings
from wisdoms.themes import themes_for_run
settings = Settings(cache_dir={str(tmp_path / "cache")!r}, reduction="pca", min_theme_size=5, max_theme_share=0.5)
passages, vectors = clustered(30, extra=2)
result = themes_for_run(passages, vectors, settings=settings, model="m", fingerprint="f")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("bertopic", "umap", "hdbscan", "pynndescent", "numba"))
print(json.dumps({{"carried": "carried_over_from" in result.params, "heavy": heavy}}))
'''
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"carried": True, "heavy": []}


def test_bertopic_is_imported_without_its_optional_representation_models_or_torch() -> None:
    """A fit imports BERTopic without transformers (3-4 s of a cold run) or torch (1.5 s); the deferred classes
    still import on first use, as the real classes, a name bertopic.representation never had is still an
    AttributeError, and BERTopic's model saving gets the real torch when it first uses it."""
    import json
    import subprocess
    import sys

    script = """
import json, sys
from wisdoms.themes.fit import import_bertopic
BERTopic = import_bertopic()
lean = "transformers" not in sys.modules
no_torch = "torch" not in sys.modules and "spacy" not in sys.modules
import bertopic._save_utils as saving
import numpy as np
saved = saving._has_torch and saving.torch.from_numpy(np.arange(2.0)).tolist() == [0.0, 1.0]
import bertopic.representation as rep
from bertopic.representation import KeyBERTInspired, TextGeneration
try:
    rep.NoSuchModel
    missing = "no error"
except AttributeError as exc:
    missing = str(exc)
print(json.dumps({"lean": lean, "fit": BERTopic.__name__, "class": TextGeneration.__module__,
                  "same": rep.TextGeneration is TextGeneration, "transformers": "transformers" in sys.modules,
                  "keybert": KeyBERTInspired.__name__, "missing": missing, "no_torch": no_torch, "saved": saved}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"lean": True, "fit": "BERTopic", "class": "bertopic.representation._textgeneration",
                      "same": True, "transformers": True, "keybert": "KeyBERTInspired",
                      "missing": "module 'bertopic.representation' has no attribute 'NoSuchModel'",
                      "no_torch": True, "saved": True}


def test_counting_new_passages_needs_no_scikit_learn_and_counts_as_it_does() -> None:
    """A carried-over re-run counts its new passages' words without importing scikit-learn (0.9 s); the counts
    are those of the fit's CountVectorizer, on the sample's passages and on awkward text."""
    import json
    import subprocess
    import sys

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as SKLEARN_STOP_WORDS

    from wisdoms.ingest import read_folder
    from wisdoms.segment import segment
    from wisdoms.themes.keywords import ENGLISH_STOP_WORDS, _clean_for_keywords, _vectorizer, count_words

    assert ENGLISH_STOP_WORDS == SKLEARN_STOP_WORDS
    from conftest import SAMPLE

    sample = [p.analysis_text for p in segment(read_folder(SAMPLE))]
    awkward = ["The council's housing officer... the COUNCIL'S housing-officer!", "I'm not, you know, XXXX sure",
               "rent rent rent arrears", "", "a the of", "Mum\u2019s flat—damp, damp walls", "x xx xxx café"]
    docs = _clean_for_keywords(sample + awkward)
    fitted = _vectorizer(min_df=2).fit(docs[:400])
    vocabulary = [str(w) for w in fitted.get_feature_names_out()]
    theirs = _vectorizer(vocabulary=vocabulary).transform(docs)
    ours = count_words(docs, vocabulary)
    assert ours.shape == theirs.shape and ours.nnz > 1000
    assert (ours != theirs).nnz == 0

    script = """
import json, sys
from wisdoms.themes.keywords import count_words
m = count_words(["rent arrears again", "the damp flat"], ["arrears", "damp", "damp flat", "rent arrears"])
print(json.dumps({"rows": m.toarray().tolist(), "sklearn": any(k.split(".")[0] == "sklearn" for k in sys.modules)}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"rows": [[1, 0, 0, 1], [0, 1, 1, 0]], "sklearn": False}


def test_topic_words_are_class_tfidf() -> None:
    from wisdoms.themes import topic_words

    counts = np.array([[3.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
    words = topic_words(counts, [0, 1], ["rent", "nurse", "today"])
    assert words == {0: ["rent", "today"], 1: ["nurse", "today"]}


def test_survey_answers_are_themed_from_one_word() -> None:
    from wisdoms.themes import analysable

    short = [Passage("a.csv#0-8", "a.csv", "R1", 0, 8, "Nothing.", 0), Passage("c.txt#0-4", "c.txt", "P1", 0, 4, "Yeah", 0),
             passage(3, "P2")]
    assert analysable(short, Settings(), answers={"a.csv"}) == [0, 2]
    assert analysable(short, Settings()) == [2]
    # a conversation's "Yeah" is content-free talk; an answer's word limit applies to its unit, in find_themes
    assert analysable(short, Settings(min_answer_words=4), answers={"a.csv"}) == [0, 2]


def test_keyword_text_keeps_contractions_and_splits_hyphenated_words():
    from wisdoms.themes.keywords import _clean_for_keywords, _vectorizer

    cleaned = _clean_for_keywords(["He\u2019d said I'll work full-time \u2014 at the co-op, mum's idea."])
    vocabulary = set(_vectorizer().fit([cleaned[0]]).get_feature_names_out())
    assert {"work", "time", "mum", "idea", "op"} <= vocabulary
    assert not {"hed", "ill", "fulltime", "coop", "he'd", "i'll", "mum's"} & vocabulary
    assert "ill" in set(_vectorizer().fit(["I was ill for weeks"]).get_feature_names_out())


def test_titles_are_members_words_and_find_their_own_theme(tmp_path) -> None:  # noqa: ANN001
    """A theme's title is a verbatim phrase of one of its passages (cited by exact offsets), never a keyword list,
    and embedded alone it is nearest its own theme's centre; keywords stay as c-TF-IDF detail."""
    from conftest import FakeEmbedder

    from wisdoms.embed import EmbeddingCache, embed_texts
    from wisdoms.themes import find_themes, topic_words
    from wisdoms.themes.keywords import _dedupe_keywords

    embedder, cache = FakeEmbedder(), EmbeddingCache(tmp_path / "emb")

    def embed(texts: list[str]) -> np.ndarray:
        return embed_texts(texts, embedder, cache)[0][:, :16]

    passages, vectors = clustered(30)
    result = find_themes(passages, vectors, settings=_settings(tmp_path), embed=embed)
    assert len(result.themes) == 3
    state = result.state
    assert state.counts.format == "csr", "word counts stay sparse (mostly empty at thousands of themes)"
    by_id = {p.id: p for p in passages}
    centres = np.stack([result.centroids[t.id] for t in result.themes])
    for row, theme in enumerate(result.themes):
        q = theme.title_quote
        assert q is not None and q.passage in theme.passage_ids and theme.title_source == "quote"
        source = by_id[q.passage]
        assert source.text[q.start - source.start : q.end - source.start] == q.text
        assert theme.label == f"“{q.text[:1].upper()}{q.text[1:]}”" and ", " not in theme.label
        assert int(np.argmax(centres @ vectors[passages.index(source)])) == row
    words_of = topic_words(*__import__("wisdoms.themes.fit", fromlist=["theme_counts"]).theme_counts(
        state.counts, state.count_ids, {int(s): int(t) for s, t in zip(state.centre_ids, state.parents)}), state.vocabulary)
    for theme in result.themes:
        assert theme.keywords == tuple(_dedupe_keywords(words_of[theme.id])[:8])


def test_topic_words_ranking_with_ties_and_zeros() -> None:
    from wisdoms.themes import topic_words

    rng = np.random.default_rng(3)
    counts = rng.integers(0, 3, size=(6, 40)).astype(np.float64)
    counts[2] = 0.0
    vocabulary = [f"w{i}" for i in range(40)]
    words = topic_words(counts, list(range(6)), vocabulary, top_n=12)
    df = counts.sum(axis=0)
    idf = np.log(int(counts.sum(axis=1).mean()) / np.where(df > 0, df, np.inf) + 1)
    tfidf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) * idf
    for row in range(6):  # the full-vocabulary sort: score down, then vocabulary order
        order = np.lexsort((np.arange(40), -tfidf[row]))[:12]
        assert words[row] == [vocabulary[i] for i in order if tfidf[row, i] > 0]
    assert words[2] == [] and len(words[0]) == 12


def test_exact_neighbours_match_a_full_sort_and_start_with_the_row_itself():
    from wisdoms.themes.fit import exact_neighbours

    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    x[7] = x[8]  # a duplicate: both are at distance 0 from each other
    indices, distances = exact_neighbours(x, 6, chunk=64)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    full = 1.0 - unit @ unit.T
    for row in range(len(x)):
        assert indices[row, 0] == row and distances[row, 0] == 0.0
        expected = np.sort(full[row])[:6]
        assert np.allclose(np.sort(distances[row]), np.clip(expected, 0, 2), atol=1e-5)
    assert 8 in indices[7, :2] and 7 in indices[8, :2]
    again = exact_neighbours(x, 6, chunk=300)
    assert np.array_equal(again[0], indices)


def test_exact_neighbours_of_repeated_rows_are_their_equals_whatever_the_block_size() -> None:
    """Many rows with the same vector (an answer given word for word by many people): each row's neighbours
    are itself, then its equals at distance 0, the same for every block size."""
    from wisdoms.themes.fit import exact_neighbours

    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 16)).astype(np.float32)
    same = np.arange(50, 350, 3)  # 100 equal rows, spread out
    x[same] = x[same[0]]
    first = exact_neighbours(x, 8, chunk=400)
    for chunk in (32, 128):
        indices, distances = exact_neighbours(x, 8, chunk=chunk)
        assert np.array_equal(indices, first[0])
        for row in same:
            assert indices[row, 0] == row and set(indices[row].tolist()) <= set(same.tolist())
            assert np.allclose(distances[row], 0.0, atol=1e-6)


def test_umap_starts_from_pca_above_the_spectral_limit() -> None:
    """UMAP's spectral start failed at 60k passages and its fallback differed in every process: large corpora
    start from PCA (the same in every process); smaller ones keep the spectral start."""
    from wisdoms.themes.fit import SPECTRAL_INIT_MAX, _reducer, umap_init

    assert umap_init(SPECTRAL_INIT_MAX) == "spectral" and umap_init(SPECTRAL_INIT_MAX + 1) == "pca"
    assert _reducer("umap", SPECTRAL_INIT_MAX + 1, Settings()).init == "pca"
    assert _reducer("umap", 1_000, Settings()).init == "spectral"


def test_the_fit_is_bertopics_own_less_its_representative_documents() -> None:
    """wisdoms' BERTopic subclass skips only the three representative documents per topic (0.9 s at 10k;
    wisdoms picks its own quotes): the same topics and topic words as BERTopic itself, fitted the same way."""
    from hdbscan import HDBSCAN

    from wisdoms.themes.fit import _reducer, _vectorizer, _without_representative_docs, import_bertopic

    plain = import_bertopic()
    passages, vectors = clustered(30)
    docs = [p.analysis_text for p in passages]
    fitted = []
    for cls in (plain, _without_representative_docs(plain)):
        model = cls(umap_model=_reducer("pca", len(docs), Settings()), vectorizer_model=_vectorizer(min_df=1),
                    hdbscan_model=HDBSCAN(min_cluster_size=5, min_samples=2, prediction_data=False),
                    calculate_probabilities=False)
        topics, _ = model.fit_transform(docs, embeddings=vectors.astype(np.float64))
        fitted.append((topics, model.get_topics(), model.representative_docs_))
    (topics, words, shown), (ours, our_words, our_shown) = fitted
    assert ours == topics and len(set(topics) - {-1}) >= 2
    assert our_words == words
    assert shown and our_shown == {}


# --- the same neighbours and themes on every machine (issue 21) ------------------------------------


def _blas_variants():
    """(block size, BLAS threads) pairs a second machine might differ in; None = the library's default."""
    return [(256, None), (64, 1), (33, None), (400, 1)]


def _neighbours_under(x, k, chunk, threads):  # noqa: ANN001, ANN202
    from threadpoolctl import threadpool_limits

    from wisdoms.themes.fit import exact_neighbours

    if threads is None:
        return exact_neighbours(x, k, chunk=chunk)
    with threadpool_limits(limits=threads):
        return exact_neighbours(x, k, chunk=chunk)


def test_exact_neighbours_break_ties_by_row_index_not_by_float_noise() -> None:
    """Two different vectors equally far from a row (one is the other with two coordinates swapped, the row
    symmetric in them): float32 products give them distances a few ulps apart that depend on the block and
    the CPU. The lower-numbered one must come first, on every block size and thread count."""
    rng = np.random.default_rng(11)
    d, pairs = 64, 60
    rows = []
    for _ in range(pairs):
        centre = rng.normal(size=d).astype(np.float32)
        centre[1] = centre[0]  # symmetric in coordinates 0 and 1
        a = centre + rng.normal(0, 0.05, d).astype(np.float32)
        b = a.copy()
        b[[0, 1]] = a[[1, 0]]
        rows += [centre, a, b]
    x = np.asarray(rows, dtype=np.float32)
    for chunk, threads in _blas_variants():
        indices, distances = _neighbours_under(x, 3, chunk, threads)
        for p in range(pairs):
            c, a, b = 3 * p, 3 * p + 1, 3 * p + 2
            assert indices[c].tolist() == [c, a, b], (chunk, threads, p, distances[c])
            assert distances[c, 1] == distances[c, 2]


def test_exact_neighbours_keep_the_lowest_numbered_of_many_equal_rows() -> None:
    """An answer repeated word for word by 100 people: each copy's neighbours are itself, then the other
    copies in row order (not whichever numpy's partition happens to keep), bit for bit the same for every
    block size and thread count."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 16)).astype(np.float32)
    same = np.arange(50, 350, 3)
    x[same] = x[same[0]]
    first = _neighbours_under(x, 8, 256, None)
    for row in same:
        others = [int(r) for r in same if r != row]
        assert first[0][row].tolist() == [int(row), *others[:7]]
    for chunk, threads in _blas_variants():
        indices, distances = _neighbours_under(x, 8, chunk, threads)
        assert np.array_equal(indices, first[0]) and np.array_equal(distances, first[1]), (chunk, threads)
        assert np.array_equal(_neighbours_under(np.asfortranarray(x), 8, chunk, threads)[1], first[1])


@pytest.mark.slow
def test_the_same_themes_whatever_the_block_size_and_thread_count(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """UMAP on exact neighbours, then HDBSCAN: a corpus with answers repeated word for word gets the same
    themes, passage for passage, under every block size and BLAS thread count."""
    from threadpoolctl import threadpool_limits

    from wisdoms.themes import fit as fit_module

    passages, vectors = clustered(40)
    vectors[3::7] = vectors[3]  # one answer given by many people
    vectors[5::11] = vectors[5]
    settings = Settings(cache_dir=str(tmp_path / "cache"), reduction="umap", min_theme_size=5)
    original = fit_module.exact_neighbours
    results = []
    for chunk, threads in _blas_variants()[:3]:
        monkeypatch.setattr(fit_module, "exact_neighbours", lambda v, k, chunk=chunk: original(v, k, chunk=chunk))
        with threadpool_limits(limits=threads or 2):
            results.append(_summary(fit_module.find_themes(passages, vectors, settings=settings)))
    assert len(results[0]) >= 2
    assert results[1] == results[0] and results[2] == results[0]


def test_units_keep_a_turns_passages_on_one_point_together() -> None:
    from wisdoms.themes.units import unit_vectors, units_of

    def p(i: int, turn: int, words: int = 10) -> Passage:
        text = " ".join(["word"] * words)
        return Passage(f"t.txt#{i}-{i + 1}", "t.txt", "P1", i, i + 1, text, turn)

    a = np.eye(4, dtype=np.float32)[0]
    b = np.asarray([-0.6, 0.8, 0.0, 0.0], dtype=np.float32)  # unrelated to a (cosine below 0)
    passages = [p(0, 1), p(1, 1), p(2, 1), p(3, 3), p(4, 3, words=115)]
    vectors = np.stack([a, a, b, b, b])
    units = units_of(passages, vectors)
    # same turn and point together; a change of point or of turn starts a unit; no unit past 120 words
    assert units == [[0, 1], [2], [3], [4]]
    assert np.allclose(unit_vectors(units, vectors)[0], a)


def test_a_group_over_the_cap_is_split_again_until_none_is_and_each_part_says_where_it_came_from() -> None:
    """The one loop behind both splits (sub-themes and themes): parts over the cap are split again, rows in no group
    stay there, and every new group names the group it first came from."""
    from wisdoms.themes.structure import split_over_cap

    def halves(rows: np.ndarray, share: float) -> np.ndarray | None:
        return None if len(rows) < 2 else (np.arange(len(rows)) >= len(rows) // 2).astype(np.int64)

    labels = np.asarray([0] * 6 + [-1, -1] + [1] * 2, dtype=np.int64)
    out, split_from = split_over_cap(labels, np.ones(10), halves, cap=0.25, total=10.0)
    sizes = np.bincount(out[out >= 0])
    assert sizes.max() <= 2 and sizes.sum() == 8, "the 60% group ends in parts of at most a quarter"
    assert out[6] == out[7] == -1
    assert set(split_from) == set(np.unique(out[out >= 0]).tolist()) - {0, 1}
    assert set(split_from.values()) == {0}, "parts of parts still name group 0"


def test_no_theme_holds_more_than_a_quarter_and_outliers_join_when_close() -> None:
    from wisdoms.themes.structure import attach_outliers, group_subthemes, split_oversized, theme_count

    rng = np.random.default_rng(0)
    centres = np.eye(8, dtype=np.float32)
    vectors = np.concatenate([centres[0] + rng.normal(0, 0.05, (60, 8)), centres[1] + rng.normal(0, 0.05, (20, 8)),
                              centres[2] + rng.normal(0, 0.05, (20, 8))]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = np.asarray([0] * 60 + [1] * 20 + [2] * 20, dtype=np.int64)
    split = split_oversized(labels, vectors, np.ones(100), cap=0.25)
    sizes = np.bincount(split[split >= 0])
    assert sizes.max() <= 25 and len(sizes) >= 5, "the 60% cluster is split into parts under the cap"
    left = split.copy()
    left[[0, 70]] = -1  # two members left out by the clustering
    far = np.zeros(8, dtype=np.float32)
    far[7] = 1.0
    vectors2 = np.vstack([vectors, far])
    left2 = np.append(left, -1)
    joined, nearest, cosine = attach_outliers(left2, vectors2)
    assert joined[0] >= 0 and joined[70] >= 0, "close outliers join their nearest sub-theme"
    assert joined[-1] == -1 and cosine[-1] < 0.5, "a unit unlike every sub-theme stays out"
    ids = sorted(set(split[split >= 0].tolist()))
    weights = np.asarray([float((split == c).sum()) for c in ids])
    from wisdoms.themes.structure import centres_of

    groups = group_subthemes(centres_of(split, vectors, ids), weights, 4, cap=0.25)
    share = max(weights[groups == g].sum() for g in set(groups.tolist())) / weights.sum()
    assert share <= 0.25 and len(set(groups.tolist())) >= 4
    assert theme_count(7) == 5 and theme_count(36) == 12 and theme_count(2) == 4 and theme_count(10_000) == 12


def test_quotes_and_titles_stand_on_their_own() -> None:
    from wisdoms.themes.titles import is_title_phrase, opening_penalty, standalone_span

    text = "Yeah. And then it got worse. The council never rang me back about the flat. Mm."
    s, e = standalone_span(text)
    assert text[s:e] == "The council never rang me back about the flat."
    text2 = "Yeah, I waited nine months for a letter from the housing office."
    s, e = standalone_span(text2)
    assert text2[s:e] == "I waited nine months for a letter from the housing office."
    # a one-word answer to a question the reader does not see, and a leading transcription mark, are left out
    text3 = "Badly. [laughs] I didn't trust her at first, like why would I? I was horrible to her."
    s, e = standalone_span(text3)
    assert text3[s:e] == "I didn't trust her at first, like why would I? I was horrible to her."
    assert standalone_span("Nobody came. Finally I said please.") == (0, len("Nobody came. Finally I said please."))
    assert standalone_span("Badly.") == (0, 6)
    assert opening_penalty("Classic. But he found me the week after.") == 1  # a weaker quote than a clean start
    assert opening_penalty("Nobody came. Finally I said please.") == 0
    assert opening_penalty("And he said no") == 2 and opening_penalty("He gave me his number.") == 1
    assert opening_penalty("The door never locked") == 0
    assert not is_title_phrase("I don't know if there'd be an option to like")
    assert not is_title_phrase(", how this feature influences the output of the model")
    assert is_title_phrase("The council never rang me back")
    # redaction marks, hesitations however spelled, and set phrases with no point never title a theme
    assert not is_title_phrase("XXXX rang me and she was very helpful")
    assert not is_title_phrase("Hmmm not really the staff")
    assert not is_title_phrase("Not that I can recall at the moment")


def test_a_title_without_spoken_discourse_markers_is_preferred() -> None:
    """Among a theme's member sentences, one that reads cleanly wins over a more distinctive one full of "like" and
    "you know"; "like" as a verb or comparison is no marker."""
    from wisdoms.models import Passage
    from wisdoms.themes.titles import choose_titles, disfluencies

    assert disfluencies("We do a lot of like residual analysis so like, you know, fitting") == 3
    assert disfluencies("I would like to see the plot") == disfluencies("It looks like the model") == 0
    texts = ["We do a lot of like residual analysis on the model errors", "Residual analysis of the model errors helps"]
    passages = [Passage(id=f"p{i}", transcript="t.txt", participant="P1", turn=0, start=100 * i, end=100 * i + len(t),
                        text=t) for i, t in enumerate(texts)]
    centres = np.asarray([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    # the disfluent sentence sits nearer its centre, so by distinctness alone it would win
    vectors = np.asarray([[1.0, 0.0], [0.8, 0.6]], dtype=np.float32)
    (title, _other) = choose_titles([[0, 1], []], passages, vectors, centres, embed=None)
    assert title is not None and title.text == texts[1]


def test_a_person_counts_for_a_theme_only_when_it_is_a_real_part_of_what_they_said() -> None:
    """Counted: at least half an even share of the person's substantive points (units of meaning) in the theme; a
    point or two in a long conversation is "touched on", not counted (wisdoms.themes.prevalence)."""
    from wisdoms.themes.prevalence import counted_people, counting_rule
    from wisdoms.themes.units import units_of

    passages, rows = [], {0: [], 1: []}
    # P1 made ten points, nine on theme 0 and one on theme 1; P2 two points, one each; P3 one answer, theme 1
    plan = [("P1", 0)] * 9 + [("P1", 1), ("P2", 0), ("P2", 1), ("P3", 1)]
    for i, (person, theme) in enumerate(plan):  # each passage its own turn: one point each
        passages.append(Passage(f"p{i}", "t.txt", person, i * 10, i * 10 + 5, "words", i))
        rows[theme].append(i)
    vectors = np.eye(len(plan), 8, dtype=np.float32)
    vectors[len(plan) - 8:, :] = 0
    vectors[np.arange(len(plan)), np.arange(len(plan)) % 8] = 1.0
    counted = counted_people(passages, units_of(passages, vectors), rows)
    assert counted == {0: ("P1", "P2"), 1: ("P2", "P3")}, "P1's one point in ten on theme 1 is under 1 in 4"
    assert counting_rule(7).startswith("A person is counted for a theme when at least 1 in 14 of the points they made")


def test_themes_count_people_for_whom_they_are_a_real_part_and_keep_who_touched_on_them() -> None:
    """A fit records, per theme, the people counted and everyone with a passage in it; the count is the first."""
    rng = np.random.default_rng(3)
    centres = np.eye(24, dtype=np.float32)[:3]
    passages, vectors = [], []
    for i in range(150):  # P0 .. P5 each on one topic (i % 3), except P0's one point on topic 1 (p6)
        person = f"P{i % 6}"
        topic = 1 if i == 6 else i % 3
        passages.append(Passage(f"p{i}", "t.txt", person, i * 10, i * 10 + 9, "some words here", i))
        v = centres[topic] + rng.normal(0, 0.05, 24).astype(np.float32)
        vectors.append(v / np.linalg.norm(v))
    result = find_themes(passages, np.asarray(vectors, dtype=np.float32),
                         settings=Settings(min_theme_size=5, min_passage_words=1, seed=1))
    for t in result.themes:
        touched = {passages[int(pid[1:])].participant for pid in t.passage_ids}
        assert t.participant_ids is not None and set(t.participant_ids) <= touched
        assert t.participants == len(t.participant_ids) and t.touched_by == len(touched)
    aside = next(t for t in result.themes if "p6" in t.passage_ids)
    assert "P0" not in aside.participant_ids, "one point in 25 is touching on a theme, not raising it"
    assert aside.touched_by == aside.participants + 1
    assert "A real part of what" in aside.description and f"{aside.touched_by} touched on it" in aside.description


def _points(plan: list[tuple[str, int]]) -> tuple[list[Passage], list[list[int]], dict[int, list[int]]]:
    """One passage a point (its own turn: a unit of meaning alone), each in the theme ``plan`` gives (``-1``: none)."""
    passages = [Passage(f"p{i}", "t.txt", person, i * 10, i * 10 + 5, "words", i) for i, (person, _) in enumerate(plan)]
    members: dict[int, list[int]] = {}
    for i, (_, theme) in enumerate(plan):
        if theme >= 0:
            members.setdefault(theme, []).append(i)
    return passages, [[i] for i in range(len(plan))], members


def test_a_small_theme_everyone_touched_on_counts_the_people_it_is_most_a_part_of() -> None:
    """The think-aloud study's "0 of 17 participants; also touched on by 17 more": a theme holding less than half an
    even share of everyone's points, spread thinly, reached nobody's 1 in 8. It counts those it is as large a part of
    as of everyone's talk: never nobody."""
    from wisdoms.themes.prevalence import counted_people, counting_rule

    # three people, twenty points each: three broad themes and one small one (theme 3, 4 of 60 points: 1 in 15)
    plan: list[tuple[str, int]] = []
    for person, small in (("P1", 2), ("P2", 1), ("P3", 1)):
        plan += [(person, 3)] * small + [(person, t % 3) for t in range(20 - small)]
    passages, units, members = _points(plan)
    counted = counted_people(passages, units, members)
    assert counted[3] == ("P1",), "P1's 2 points in 20 are above the theme's 1 in 15 of all points; P2's 1 in 20 below"
    assert all(counted[t] == ("P1", "P2", "P3") for t in range(3)), "a third of everyone's talk counts everyone"
    rule = counting_rule(4)
    assert "1 in 8 of the points they made" in rule and "as large a share of their points as of everyone's" in rule


@hypothesis_settings(max_examples=60)
@given(runs=st.lists(st.tuples(st.sampled_from(["P1", "P2", "P3", "P4"]), st.integers(-1, 5), st.integers(1, 12)),
                     min_size=1, max_size=12))
def test_every_theme_with_a_point_in_it_counts_someone_and_only_people_with_a_point_in_it(
        runs: list[tuple[str, int, int]]) -> None:
    """Whatever the themes' sizes (runs of points: a person, a theme, how many), a theme anyone made a point in
    counts at least one person (the one it is the largest part of), and nobody without a point in it."""
    from wisdoms.themes.prevalence import counted_people

    passages, units, members = _points([(person, theme) for person, theme, n in runs for _ in range(n)])
    counted = counted_people(passages, units, members)
    for t, rows in members.items():
        assert counted[t], f"theme {t} ({len(rows)} points) counts nobody"
        assert set(counted[t]) <= {passages[i].participant for i in rows}


def test_a_sub_theme_that_would_repeat_its_theme_title_is_never_retitled_with_a_list_of_words() -> None:
    """A sub-theme whose best phrase is its theme's own title takes the opening words of another central member
    instead; an answer that reads as a list of words ("Excellent, pleasant lady.") is passed over, as it is for
    any title (NHS, with its codebook: one sub-theme was titled “Excellent, pleasant lady”)."""
    from wisdoms.settings import Settings
    from wisdoms.themes.build import _build_themes
    from wisdoms.themes.titles import is_title_phrase

    # typed into a survey form with two spaces, it still reads as a list of words
    assert not is_title_phrase("Excellent,  pleasant lady") and not is_title_phrase("Excellent, pleasant lady")
    texts = ["The staff were kind and helpful.", "Excellent,  pleasant lady.", "Excellent, kind nurse.",
             "And the staff were lovely.", "The food on the ward was cold every day.", "Meals came late and cold.",
             "Parking at the hospital costs too much money.", "The car park was always full."]
    passages = _one_each(texts)
    rows = [[1, 0.6, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0],
            [0, 0, 1, 0], [0, 0, 1, 0.1]]
    vectors = np.asarray(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    themes, _ = _build_themes(passages, vectors, [0, 0, 0, 0, 1, 1, 2, 2], {0: 0, 1: 0, 2: 1}, {}, {}, Settings(),
                              None, units=[[i] for i in range(len(texts))])
    staff = next(t for t in themes if "p0" in t.passage_ids)
    assert staff.label == "“The staff were kind and helpful”"
    first = next(st for st in staff.subthemes if "p0" in st.passage_ids)
    assert first.label == "“And the staff were lovely”", "not its theme's title again, and not a list of words"


def test_a_theme_no_member_sentence_singles_out_is_titled_by_its_central_words_not_another_themes() -> None:
    """NHS: a theme of "No." answers (to "what could be improved?") was titled “Very good - just long waiting times”,
    the only sentence long enough to title it and nearer another theme than its own: a title that misleads. Where
    no member sentence singles its theme out, the opening words of its most central passage that does are the
    title."""
    from wisdoms.settings import Settings
    from wisdoms.themes.build import _build_themes

    texts = ["No.", "No.", "No.", "Very good, just long waiting times.", "The staff were very good and kind.",
             "Kind and very good staff on the ward.", "Staff were good to me every day."]
    passages = _one_each(texts)
    rows = [[1, 0, 0], [1, 0, 0], [1, 0, 0], [0.3, 1, 0], [0, 1, 0.1], [0, 1, 0], [0.05, 1, 0]]
    vectors = np.asarray(rows, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    themes, _ = _build_themes(passages, vectors, [0, 0, 0, 0, 1, 1, 1], {0: 0, 1: 1}, {}, {}, Settings(), None,
                              units=[[i] for i in range(len(texts))])
    answers = next(t for t in themes if "p0" in t.passage_ids)
    assert answers.label == "“No”" and answers.title_quote is not None and answers.title_quote.passage == "p0"
    staff = next(t for t in themes if "p4" in t.passage_ids)
    assert staff.label != answers.label and "No" not in staff.label


def test_an_ellipsis_ends_a_title_whole_and_a_fallback_title_reads_best() -> None:
    """serdif titles read "The time window length in terms of days .." (one full stop of "..." cut); where no
    member sentence serves, the fallback took the most central opening even when it was "Uh, and, uh, and, ..."."""
    from wisdoms.themes.titles import _phrases, opening_rank, opening_words

    def p(text: str) -> Passage:
        return Passage("p", "t.txt", "P1", 10, 10 + len(text), text, 0)

    days = p("The time window length in terms of days ...")
    assert [days.text[s:e] for s, e in _phrases(days)] == ["The time window length in terms of days"]
    opening = opening_words(days)
    assert opening.text == "The time window length in terms of days" and opening.end == 10 + len(opening.text)
    ranks = [opening_rank(opening_words(p(t))) for t in (
        "I waited for weeks and nobody rang me back.", "Identification risk ...",
        "Uh, and, uh, and, uh, like, uh, I have had a chance to go and look.",
        "(The participant reads the task again)")]
    assert ranks == [0, 1, 2, 2]


def _one_each(texts: list[str]) -> list:
    """One passage per text, each a different participant's, laid end to end in one transcript."""
    passages, at = [], 0
    for i, t in enumerate(texts):
        passages.append(Passage(id=f"p{i}", transcript="t.txt", participant=f"P{i}", turn=i, start=at,
                                end=at + len(t), text=t))
        at += len(t) + 1
    return passages


def test_a_theme_of_one_fine_cluster_gets_sub_themes_and_keeps_its_members() -> None:
    """The sample showed 7 of 8 themes with no sub-theme, one of 20% of its passages: a theme that is one fine
    cluster is split into parts of about the least cluster size, when each holds at least half of it; a small one
    and a theme of several strands are left as they are."""
    from wisdoms.themes.structure import split_lone_strands

    rng = np.random.default_rng(0)
    centres = np.eye(4, dtype=np.float32)
    vectors = np.concatenate([centres[i] + 0.05 * rng.standard_normal((12, 4)).astype(np.float32) for i in range(4)]
                             + [centres[3] + 0.05 * rng.standard_normal((4, 4)).astype(np.float32)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # sub-theme 0 holds three tight groups of 12 units (one theme alone); 1 and 2 share theme 1; 3 is small
    labels = np.asarray([0] * 36 + [1] * 6 + [2] * 6 + [3] * 4, dtype=np.int64)
    parents = {0: 0, 1: 1, 2: 1, 3: 2}
    out, new_parents = split_lone_strands(labels, parents, vectors, min_size=10, seed=1)
    assert sorted(new_parents) == [0, 1, 2, 3, 4, 5] and new_parents[4] == new_parents[5] == 0
    parts = [set(np.flatnonzero(out == s).tolist()) for s in (0, 4, 5)]
    assert sorted(len(p) for p in parts) == [12, 12, 12], "one part per tight group"
    assert all(p in ({*range(0, 12)}, {*range(12, 24)}, {*range(24, 36)}) for p in parts)
    assert (out[36:] == labels[36:]).all(), "several strands, or too small to split: unchanged"
    theme_of = [new_parents[int(s)] for s in out]
    assert theme_of == [parents[int(s)] for s in labels], "no unit changes theme"
