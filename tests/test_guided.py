"""Codebook-guided themes (issue 16, point 4): the team's codes seed themes, the rest forms new inductive themes.

Fast: three well-separated groups of passages (housing, health, justice) in a small vector space where a code's
words land on its group's axis, so the codebook matcher scores them the way MiniLM would, without a model.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from wisdoms.codebook import Codebook
from wisdoms.codebook.guidance import name_themes_by_code, seed_guide, seed_of, suggest_for_inductive
from wisdoms.models import Code, Passage
from wisdoms.settings import Settings
from wisdoms.themes import find_themes
from wisdoms.themes.structure import group_with_seeds, subtheme_seeds

GROUPS = [["housing", "landlord", "rent", "eviction", "flat"], ["doctor", "appointment", "waiting", "nurse", "clinic"],
          ["probation", "court", "officer", "sentence", "prison"]]
DIM = 16


def embed(texts) -> np.ndarray:  # noqa: ANN001
    """Each text on the axes of the groups whose words it uses (with a little of a shared axis): what a sentence
    model does for texts about one thing."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        words = text.lower().replace(":", " ").replace(",", " ").split()
        for g, group in enumerate(GROUPS):
            out[i, g] += sum(w in group for w in words)
        out[i, DIM - 1] += 0.3
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def corpus(n_per: int = 30, seed: int = 0) -> tuple[list[Passage], np.ndarray]:
    rng = np.random.default_rng(seed)
    passages, vectors = [], []
    for i in range(3 * n_per):
        g = i % 3
        text = " ".join([GROUPS[g][(i * 7 + k) % 5] for k in range(6)] + ["today", "again", f"item{i}"])
        passages.append(Passage(f"t{i % 9}.txt#{i}-{i + len(text)}", f"t{i % 9}.txt", f"P{i % 9}", i, i + len(text),
                                text, i))
        v = embed([text])[0] + rng.normal(0, 0.05, DIM).astype(np.float32)
        vectors.append(v / np.linalg.norm(v))
    return passages, np.asarray(vectors, dtype=np.float32)


#: Covers housing only: health and justice are material the codebook does not cover.
BOOK = Codebook(codes=(Code(id="home", name="Keeping a home", definition="rent, landlord, eviction, flat, housing"),),
                name="housing only")


def _settings(tmp_path) -> Settings:  # noqa: ANN001
    return Settings(cache_dir=str(tmp_path / "cache"), reduction="pca", min_theme_size=5, max_theme_share=0.5)


def test_a_code_seeds_its_theme_and_uncovered_material_forms_inductive_themes(tmp_path) -> None:  # noqa: ANN001
    passages, vectors = corpus()
    settings = _settings(tmp_path)
    result = find_themes(passages, vectors, settings=settings, guide=seed_guide(BOOK, settings, embed))
    group_of = {p.id: i % 3 for i, p in enumerate(passages)}
    seeded = [t for t in result.themes if t.origin == "codebook"]
    assert len(seeded) == 1 and seeded[0].seed_code == "home"
    assert {group_of[pid] for pid in seeded[0].passage_ids} == {0}, "the code's theme holds housing talk only"
    assert seeded[0].passages >= 25, "nearly all of the 30 housing passages gather in the code's theme"
    inductive = [t for t in result.themes if t.origin == "inductive"]
    assert inductive, "health and justice talk, which no code covers, forms new themes"
    assert {group_of[pid] for t in inductive for pid in t.passage_ids} == {1, 2}
    assert result.params["origins"] == {str(seeded[0].id): "home"}

    named = suggest_for_inductive(name_themes_by_code(result.themes, [], BOOK), passages, BOOK)
    home = next(t for t in named if t.origin == "codebook")
    assert home.label.startswith("Keeping a home: “") and home.title_source == "code" and not home.suggested_code
    assert home.label.endswith(f"{home.title_quote.text[1:]}”"), "after the code's name, the phrase it is titled with"
    for t in (t for t in named if t.origin == "inductive"):
        assert t.suggested_code, f"inductive theme {t.id} has no suggested code"
        assert t.suggested_code != "Keeping a home" and t.label.strip("“”").lower() in t.suggested_code.lower()


#: Two codes whose names share no word with what people said: named by the name alone, their themes' titles
#: would embed alike and could not both find their own theme.
TWO_CODES = Codebook(codes=(
    Code(id="home", name="Keeping a home", definition="rent, landlord, eviction, flat, housing"),
    Code(id="care", name="Getting seen", definition="doctor, appointment, waiting, nurse, clinic"),
), name="two codes")


def test_a_code_titled_theme_names_its_code_and_a_cited_member_phrase_that_finds_its_theme(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.codebook.for_run import code_run
    from wisdoms.report import quoted_words

    passages, vectors = corpus()
    settings = _settings(tmp_path)
    result = find_themes(passages, vectors, settings=settings, guide=seed_guide(TWO_CODES, settings, embed))
    coded = code_run(TWO_CODES, settings, passages, vectors, result.themes, result.centroids, embed=embed,
                     model="fake", fingerprint="fake", fit="", cache_dir=tmp_path / "cache")
    themes = coded.themes
    named = {t.seed_code: t for t in themes if t.title_source == "code"}
    assert set(named) == {"home", "care"}
    by_id = {p.id: p for p in passages}
    carries = {(m.target_id, m.code) for m in coded.passage_matches if m.assigned}
    for code, name in (("home", "Keeping a home"), ("care", "Getting seen")):
        theme, quote = named[code], named[code].title_quote
        assert theme.label == f"{name}: “{quote.text[:1].upper()}{quote.text[1:]}”"
        source = by_id[quote.passage]
        assert source.id in theme.passage_ids and (source.id, code) in carries, "a member that carries the code"
        assert source.text[quote.start - source.start:quote.end - source.start] == quote.text, "verbatim, cited"
        assert quote in quoted_words(themes), "the privacy gate checks the title's words"
    # the title alone, embedded, finds its own theme's centre among all themes (the benchmark's title target)
    ids = [t.id for t in themes]
    centres = np.stack([result.centroids[i] for i in ids])
    found = np.argmax(embed([t.label for t in themes]) @ centres.T, axis=1)
    assert [ids[j] for j in found] == ids
    assert len({tuple(embed([n])[0]) for n in ("Keeping a home", "Getting seen")}) == 1, \
        "the names alone embed alike: they could not both find their theme"


def test_without_a_codebook_every_theme_is_inductive_and_the_fit_is_unchanged(tmp_path) -> None:  # noqa: ANN001
    passages, vectors = corpus()
    settings = _settings(tmp_path)
    plain = find_themes(passages, vectors, settings=settings)
    assert {t.origin for t in plain.themes} == {"inductive"} and "origins" not in plain.params
    unseeded = find_themes(passages, vectors, settings=settings, guide=lambda v: (np.full(len(v), -1), ["home"]))
    assert [t.passage_ids for t in unseeded.themes] == [t.passage_ids for t in plain.themes]


def test_a_seeded_fit_carries_its_origins_over_but_never_to_a_run_with_another_codebook(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.codebook.guidance import guide_key
    from wisdoms.themes import themes_for_run

    passages, vectors = corpus(n_per=33)
    settings = _settings(tmp_path)
    kw = {"settings": settings, "model": "m", "fingerprint": "f"}
    first = themes_for_run(passages[:-3], vectors[:-3], guide=seed_guide(BOOK, settings, embed),
                           guide_key=guide_key(BOOK, settings), **kw)
    again = themes_for_run(passages, vectors, guide=seed_guide(BOOK, settings, embed),
                           guide_key=guide_key(BOOK, settings), **kw)
    assert "carried_over_from" in again.params
    assert sorted((t.id, t.origin, t.seed_code) for t in again.themes) == \
        sorted((t.id, t.origin, t.seed_code) for t in first.themes)
    assert any(t.origin == "codebook" for t in again.themes)
    other = dataclasses.replace(BOOK, codes=(dataclasses.replace(BOOK.codes[0], definition="doctor, nurse, clinic"),))
    refitted = themes_for_run(passages, vectors, guide=seed_guide(other, settings, embed),
                              guide_key=guide_key(other, settings), **kw)
    assert "carried_over_from" not in refitted.params
    assert "carried_over_from" not in themes_for_run(passages, vectors, **kw).params


def test_codes_seed_at_their_top_group_and_a_group_named_only_as_a_parent_counts() -> None:
    book = Codebook(codes=(
        Code(id="care", name="Care", definition="", status="group"),
        Code(id="waits", name="Waiting", definition="", parent="care"),
        Code(id="deep", name="Long waits", definition="", parent="waits"),
        Code(id="kind", name="Kind staff", definition="", parent="Staff"),
        Code(id="alone", name="On its own", definition=""),
    ))
    assert seed_of(book) == {"waits": "care", "deep": "care", "kind": "Staff", "alone": "alone"}


def test_seeded_structure_keeps_every_target() -> None:
    """One theme per seeding code, never more than 12 themes however many codes seed, the rest inductive, and no
    theme over the cap (a split code's theme keeps its seed)."""
    rng = np.random.default_rng(1)
    n_sub = 40
    centres = rng.normal(size=(n_sub, 8)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = np.full(n_sub, 10.0)
    seeds = [s if s < 20 else -1 for s in range(n_sub)]  # 20 codes seed one sub-theme each
    groups, seed_of_group = group_with_seeds(centres, weights, seeds, k=8)
    assert len(set(groups.tolist())) <= 12
    assert len(seed_of_group) == len({g for g, s in zip(groups.tolist(), seeds) if g in seed_of_group})
    for g, s in seed_of_group.items():
        assert all(seeds[i] == s for i in np.flatnonzero(groups == g))
    big = [0] * 30 + [-1] * 10  # one code seeds three quarters of everything
    groups, seed_of_group = group_with_seeds(centres, weights, big, k=8)
    shares = np.bincount(groups, weights=weights) / weights.sum()
    assert shares.max() <= 0.25 + 1e-9
    assert sum(s == 0 for s in seed_of_group.values()) >= 3, "the code's theme is split, each part keeps its seed"


def test_a_sub_theme_takes_the_code_that_seeds_enough_of_it() -> None:
    labels = np.asarray([0, 0, 0, 0, 1, 1, 1, 1, -1])
    seeds = np.asarray([2, 2, -1, -1, 1, -1, -1, -1, 2])
    weights = np.ones(9)
    assert subtheme_seeds(labels, seeds, weights, [0, 1]) == [2, -1]  # half of sub-theme 0; a quarter of 1
    assert subtheme_seeds(labels, seeds, weights, [1, 0], share=0.25) == [1, 2]


@pytest.mark.slow
def test_origin_and_suggested_code_are_saved_in_themes_json_and_loaded_back(tmp_path) -> None:  # noqa: ANN001
    from report_fixtures.analysis import build_analysis

    from wisdoms.report.contract import themes_document
    from wisdoms.results import Analysis

    analysis = build_analysis(tmp_path)
    themes = list(analysis.themes)
    assert {t.origin for t in themes} <= {"codebook", "inductive"}
    assert any(t.origin == "codebook" for t in themes), "the sample codebook seeds at least one theme"
    for t in themes:
        assert bool(t.suggested_code) == (t.origin == "inductive")
        assert bool(t.seed_code) == (t.origin == "codebook")
    doc = themes_document(analysis)
    assert [(d["origin"], d["seed_code"], d["suggested_code"]) for d in doc["themes"]] == \
        [(t.origin, t.seed_code, t.suggested_code) for t in themes]
    analysis.save(tmp_path / "run")
    loaded = Analysis.load(tmp_path / "run")
    assert [(t.origin, t.seed_code, t.suggested_code) for t in loaded.themes] == \
        [(t.origin, t.seed_code, t.suggested_code) for t in themes]
    frame = loaded.themes.to_frame()
    assert list(frame["origin"]) == [t.origin for t in themes]
    json.dumps(doc)  # still plain JSON
