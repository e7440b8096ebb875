"""The run command's closing summary says what the panel decided, not only how many themes there are."""

from __future__ import annotations

from types import SimpleNamespace

from wisdoms.cli import _theme_count


def _analysis(*statuses: str) -> SimpleNamespace:
    return SimpleNamespace(themes=[SimpleNamespace(status=s) for s in statuses])


def test_themes_before_any_verdict_are_candidates() -> None:
    assert _theme_count(_analysis("candidate", "candidate")) == "2 candidate themes"
    assert _theme_count(_analysis("candidate")) == "1 candidate theme"


def test_after_panel_verdicts_each_status_is_counted() -> None:
    counted = _theme_count(_analysis("candidate", "validated", "renamed", "validated", "rejected"))
    assert counted == "5 themes: 1 candidate, 1 rejected, 1 renamed, 2 validated"
