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


def test_a_codebook_file_beside_the_transcripts_is_pointed_out_when_a_run_does_not_use_it(
        tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """The two real interview studies keep `codebook.jsonl` beside `transcripts/`; a run finds only
    `codebook/codebook.yaml`, so `wisdoms run study/transcripts` ran without the study's codebook and said only
    "No codebook given". It now names the file and the option that uses it; `--codebook none` says nothing more."""
    import wisdoms.pipeline
    from wisdoms.cli import main
    from wisdoms.codebook.formats import codebooks_beside

    study = tmp_path / "study"
    (study / "transcripts").mkdir(parents=True)
    (study / "codebook.jsonl").write_text('{"id": "a", "name": "A", "definition": "a"}\n', encoding="utf-8")
    (study / "coding.jsonl").write_text("", encoding="utf-8")  # not a codebook by its name
    out = tmp_path / "out"
    out.mkdir()
    (out / "starter-codebook.yaml").write_text("codes: []\n", encoding="utf-8")
    assert codebooks_beside(study / "transcripts") == [(study / "codebook.jsonl").resolve()]

    ran = SimpleNamespace(
        themes=[], summary=lambda: {"passages": 0, "participants": 0, "unassigned": 0, "content_free": 0},
        provenance=SimpleNamespace(inputs=SimpleNamespace(unread=[])), manifest={}, out_dir=out,
        codebook=SimpleNamespace(codes=()))
    monkeypatch.setattr(wisdoms.pipeline, "run", lambda *a, **k: ran)
    assert main(["run", str(study / "transcripts"), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "A codebook file is beside the transcripts but was not used" in said
    assert "codebook.jsonl; to use it: --codebook " in said
    assert main(["run", str(study / "transcripts"), "--out", str(out), "--codebook", "none"]) == 0
    assert "beside the transcripts" not in capsys.readouterr().out
