"""The notebook API: wisdoms.run(path, **settings), public names, short reprs, frames, progress, plots."""

from __future__ import annotations

import io

import pytest
from report_fixtures.analysis import WordHashEmbedder, make_inputs

import wisdoms
from wisdoms.errors import SettingsError, WisdomsError
from wisdoms.progress import NotebookProgress
from wisdoms.settings import Settings


@pytest.fixture(scope="module")
def run_and_progress(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("notebook")
    folder, codebook = make_inputs(tmp)
    said = io.StringIO()
    analysis = wisdoms.run(folder, codebook=codebook, write=False, embedder=WordHashEmbedder(),
                           settings=Settings(cache_dir=str(tmp / "cache"), min_passages=20), min_theme_size=6,
                           progress=NotebookProgress(file=said))
    return analysis, said.getvalue()


@pytest.fixture(scope="module")
def analysis(run_and_progress):  # noqa: ANN001, ANN201
    return run_and_progress[0]


def test_tab_completion_offers_the_public_names_and_each_resolves() -> None:
    names = dir(wisdoms)
    assert {"run", "Analysis", "Settings", "make_pack", "export_qdpx", "write_reports"} <= set(names)
    assert not {"Any", "TYPE_CHECKING", "annotations", "Path"} & set(names)
    for name in wisdoms.__all__:
        assert getattr(wisdoms, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        wisdoms.nothing  # noqa: B018


def test_a_setting_by_name_is_refused_clearly_when_it_is_not_one(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(SettingsError, match="unknown setting 'min_theme_sise'") as err:
        wisdoms.run(tmp_path, min_theme_sise=10, progress=None)
    assert "min_theme_size" in str(err.value)


@pytest.mark.slow
def test_settings_pass_by_name_and_progress_is_shown(run_and_progress) -> None:  # noqa: ANN001
    analysis, said = run_and_progress
    assert analysis.settings.min_theme_size == 6
    assert analysis.manifest["themes"]["min_cluster_size"] == 6
    for step in ("Read transcripts", "Split into passages", "Embedded passages", "Found candidate themes"):
        assert f"✓ {step}" in said, step
    assert "Embedding passages" in said  # the bar of the one counted step


@pytest.mark.slow
def test_reprs_are_short_and_html_shows_the_themes(analysis) -> None:  # noqa: ANN001
    text = repr(analysis)
    assert len(text) < 2000
    assert f"{len(analysis.passages):,} passages in {len(analysis.themes)} themes" in text
    assert analysis.themes[0].label in text
    for records in (analysis.passages, analysis.themes, analysis.matches, analysis.unassigned):
        assert len(repr(records)) < 1000
    assert len(repr(analysis.themes[0])) < 300 and analysis.themes[0].label in repr(analysis.themes[0])
    page = analysis._repr_html_()
    assert "<table>" in page and f"<td>{analysis.themes[0].participants}</td>" in page
    theme_page = analysis.themes[0]._repr_html_()
    assert all(q.citation in theme_page for q in analysis.themes[0].quotes)
    assert "<table" in analysis.passages._repr_html_()


@pytest.mark.slow
def test_frames_hold_the_quoted_words_and_nullable_theme_ids(analysis) -> None:  # noqa: ANN001
    themes = analysis.themes.to_frame()
    first = analysis.themes[0]
    assert themes.loc[0, "quotes"] == [q.text for q in first.quotes]
    assert themes.loc[0, "citations"] == [q.citation for q in first.quotes]
    passages = analysis.passages.to_frame()
    assert str(passages["theme"].dtype) == "Int64"
    unplaced = {u.passage for u in analysis.unassigned}
    assert unplaced and passages[passages["id"].isin(unplaced)]["theme"].isna().all()
    assert set(passages["theme"].dropna()) <= {t.id for t in analysis.themes}


def test_group_grid_hides_every_count_under_five_and_shows_no_small_group() -> None:
    """As the reports do: 0 is hidden like any count under 5, and a group of fewer than 5 people is no column."""
    from types import SimpleNamespace

    from wisdoms.models import Passage, Theme
    from wisdoms.plots import by_group

    people = ({f"m{i}": {"gender": "Man"} for i in range(6)} | {f"w{i}": {"gender": "Woman"} for i in range(5)}
              | {"x0": {"gender": "Non-binary"}})
    passages = [Passage(id=f"t#{n}-{n + 1}", transcript="t", participant=p, start=n, end=n + 1, text="x", turn=n)
                for n, p in enumerate(people)]
    counted = tuple(p for p in people if p != "x0")
    theme = Theme(id=0, label="“A theme”", keywords=(), passage_ids=tuple(p.id for p in passages), participants=11,
                  participant_ids=counted)
    grid = by_group(SimpleNamespace(themes=[theme], passages=passages, participants=people), by="gender")
    assert [t.get_text() for t in grid.axes[0].get_xticklabels()] == ["Man", "Woman"]
    # Non-binary's 0 is hidden, so the next smallest (Woman, 5) is too: 6 + 5 beside 11 would give it away.
    assert [t.get_text() for t in grid.axes[0].texts] == ["6", "<5"]


@pytest.mark.slow
def test_plots_are_figures_counted_in_people(analysis) -> None:  # noqa: ANN001
    from matplotlib.figure import Figure

    fig = analysis.plot_prevalence(top=5)
    assert isinstance(fig, Figure)
    bars = fig.axes[0].patches
    open_themes = sorted((t for t in analysis.themes if t.status not in ("rejected", "merged")),
                         key=lambda t: (-t.participants, t.id))[:5]
    assert [b.get_width() for b in bars] == [t.participants for t in open_themes]

    with pytest.raises(WisdomsError, match="every area group has fewer than 5 people"):
        analysis.plot_groups(by="area")  # these 5 sample conversations: no group of 5 people
    shown = analysis.plot_groups(by="area", suppress=False)
    assert "<5" not in [t.get_text() for t in shown.axes[0].texts]
    with pytest.raises(WisdomsError, match="no participant has the attribute 'shoe_size'"):
        analysis.plot_groups(by="shoe_size")

    world = analysis.plot_map()
    assert len(world.axes[0].texts) == len([t for t in analysis.themes if t.status not in ("rejected", "merged")])


@pytest.mark.slow
def test_a_loaded_analysis_says_why_it_has_no_map(analysis, tmp_path) -> None:  # noqa: ANN001
    analysis.save(tmp_path)
    loaded = wisdoms.Analysis.load(tmp_path)
    with pytest.raises(WisdomsError, match="embeddings"):
        loaded.plot_map()
    assert loaded.topic_model is None
    assert loaded.plot_prevalence() is not None


@pytest.mark.slow
def test_the_fitted_topic_model_is_reachable(analysis) -> None:  # noqa: ANN001
    info = analysis.topic_model.get_topic_info()
    # one row per fine cluster the fit found (the sub-themes before splitting and grouping; with a codebook, the
    # seeded themes need not follow them one for one)
    assert len(info) >= 1 and set(info["Topic"]) == set(analysis.topic_model.topics_)
