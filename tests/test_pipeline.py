"""The whole run: what a user gets from `wisdoms run` and `wisdoms.run()`."""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from pathlib import Path

import pytest
from conftest import CODEBOOK, SAMPLE

from wisdoms.cli import main
from wisdoms.errors import CodebookError, CorpusTooSmallError
from wisdoms.pipeline import run
from wisdoms.report.markdown import escape_markdown
from wisdoms.settings import Settings


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}



def check_quotes_and_accounting(analysis, out: Path) -> None:  # noqa: ANN001
    """The promises every report makes: verbatim, traceable quotes; every passage accounted for."""
    texts = {t.id: t.text for t in analysis.transcripts}
    turns = {t.id: t.turns for t in analysis.transcripts}
    doc = json.loads((out / "themes.json").read_text(encoding="utf-8"))
    md = (out / "report.md").read_text(encoding="utf-8")
    page_text = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    for theme in doc["themes"]:
        assert 1 <= len(theme["quotes"]) <= 5
        assert theme["status"] == "candidate"
        for q in theme["quotes"]:
            assert texts[q["transcript"]][q["start"] : q["end"]] == q["text"]
            inside = [t for t in turns[q["transcript"]] if t.start <= q["start"] and q["end"] <= t.end]
            assert inside and inside[0].role == "participant", "interviewer words are never quoted"
            assert inside[0].participant == q["participant"]
            assert q["text"] in page_text, "quotes appear verbatim in the HTML report"
            # Markdown shows markup characters ("[NAME]", "*") backslash-escaped
            assert escape_markdown(q["text"].splitlines()[0]) in md
    for u in doc["unassigned"]:
        assert 0 <= u["start"] < u["end"] <= len(texts[u["transcript"]])
    in_themes = sum(t["passages"] for t in doc["themes"])
    assert in_themes + len(doc["unassigned"]) == doc["passages_total"] == len(analysis.passages)
    assert doc["participants_total"] == len(analysis.participants)
    for theme in doc["themes"]:
        assert theme["participants"] == len(theme["participant_ids"]) <= doc["participants_total"]


def test_five_conversations_give_themes(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    folder = five_conversations
    before = _hashes(folder)
    out = tmp_path / "out"
    analysis = run(folder, codebook=CODEBOOK, out=out, embedder=fake_embedder,
                   settings=Settings(cache_dir=str(tmp_path / "cache")))
    assert analysis.themes, "a five-conversation study still gives themes"
    assert {p.name for p in out.iterdir()} >= {"manifest.json", "passages.csv", "report.html", "report.md", "themes.json"}
    check_quotes_and_accounting(analysis, out)
    assert _hashes(folder) == before, "inputs are never modified"
    frame = analysis.passages.to_frame()
    assert {"transcript", "participant", "start", "end", "text", "theme", "codes"} <= set(frame.columns)
    assert len(analysis.themes.to_frame()) == len(analysis.themes)
    assert set(analysis.matches.to_frame()["target"]) <= {"passage", "theme"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 42 and manifest["models"]["embedding"]["model"] == "fake-hashing-embedder"
    assert {t["id"] for t in manifest["inputs"]["transcripts"]} == {p.name for p in folder.iterdir()}
    assert set(manifest["timings_seconds"]) >= {"ingest", "segment", "embed", "themes", "codebook_matching"}
    assert manifest["codebook_matching"]["scored"] == "whole passages"


def test_a_run_codes_whole_passages(tmp_path: Path, five_conversations: Path, fake_embedder, monkeypatch) -> None:  # noqa: ANN001
    """Clause scoring and learning from the texts are `wisdoms code`'s: a run stays fast (benchmarks/CODEBOOK.md)."""
    from wisdoms.codebook import CodeMatcher

    calls: list[tuple[str, object]] = []
    real_fit, real_score = CodeMatcher.fit, CodeMatcher.score
    monkeypatch.setattr(CodeMatcher, "fit", lambda self, embed, **kw: calls.append(("fit", kw.get("corpus_texts")))
                        or real_fit(self, embed, **kw))
    monkeypatch.setattr(CodeMatcher, "score", lambda self, vectors, texts=None: calls.append(("score", texts))
                        or real_score(self, vectors, texts))
    run(five_conversations, codebook=CODEBOOK, out=tmp_path / "out", embedder=fake_embedder,
        settings=Settings(cache_dir=str(tmp_path / "cache")))
    assert calls and all(arg is None for _, arg in calls)


def test_rerun_uses_the_cache(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    folder = five_conversations
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    run(folder, codebook=CODEBOOK, embedder=fake_embedder, settings=settings, write=False)
    first = sum(fake_embedder.calls)
    second = run(folder, codebook=CODEBOOK, embedder=fake_embedder, settings=settings, write=False)
    assert sum(fake_embedder.calls) == first, "a re-run encodes nothing new"
    assert second.manifest["embedding_cache"]["encoded"] == 0


def test_too_small_corpus_message_not_crash(tmp_path: Path, fake_embedder, capsys) -> None:  # noqa: ANN001
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(SAMPLE / "conversation-01.txt", folder)
    with pytest.raises(CorpusTooSmallError):
        run(folder, codebook=CODEBOOK, embedder=fake_embedder, write=False,
            settings=Settings(cache_dir=str(tmp_path / "c")))
    code = main(["run", str(folder), "--codebook", str(CODEBOOK), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "too little to look for themes" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("yaml_text", "message", "line"),
    [
        ("codes:\n  - id: a\n    name: A\n    definition: x\n  - id: a\n    name: B\n    definition: y\n", "duplicate code id 'a'", 5),
        ("codes:\n  - id: a\n    name: A\n    definition: ''\n", "empty definition", 2),
        ("codes:\n  - id: a\n    name: A\n", "empty definition", 2),
        ("name: x\n", "non-empty 'codes:' list", 1),
        ("codes:\n  - id: a\n    name: A\n    definition: x\n    parent: zz\n", "unknown parent 'zz'", 2),
    ],
)
def test_invalid_codebook_names_file_and_line(tmp_path: Path, yaml_text: str, message: str, line: int, capsys) -> None:  # noqa: ANN001
    book = tmp_path / "cb.yaml"
    book.write_text(yaml_text, encoding="utf-8")
    code = main(["run", str(SAMPLE), "--codebook", str(book), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and f"cb.yaml:{line}" in err, err
    with pytest.raises(CodebookError):
        run(SAMPLE, codebook=book, write=False)


def test_missing_codebook_and_bad_transcript(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["run", str(SAMPLE), "--codebook", str(tmp_path / "none.yaml")]) == 2
    assert "codebook not found" in capsys.readouterr().err
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "a.txt").write_text("---\nparticipant: [P1\n---\nParticipant: hi\n", encoding="utf-8")
    assert main(["run", str(folder), "--codebook", str(CODEBOOK)]) == 2
    err = capsys.readouterr().err
    assert "a.txt:2" in err and "invalid front matter" in err


def test_outputs_are_atomic(tmp_path: Path, five_conversations: Path, fake_embedder, monkeypatch) -> None:  # noqa: ANN001
    import wisdoms.report as report

    folder = five_conversations
    out = tmp_path / "out"
    out.mkdir()
    (out / "themes.json").write_text("previous run", encoding="utf-8")

    def broken(analysis, **kwargs):  # noqa: ANN001, ANN003, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(RuntimeError):
        run(folder, codebook=CODEBOOK, out=out, embedder=fake_embedder, settings=Settings(cache_dir=str(tmp_path / "c")))
    assert (out / "themes.json").read_text(encoding="utf-8") == "previous run", "nothing half-written replaces a file"
    assert not list(out.glob(".*tmp")), "no temporary files are left behind"


@pytest.mark.slow
def test_real_models_on_the_sample(real_run) -> None:  # noqa: ANN001
    """The shipped sample through real spaCy, MiniLM and BERTopic."""
    out = real_run.out_dir
    check_quotes_and_accounting(real_run, out)
    doc = json.loads((out / "themes.json").read_text(encoding="utf-8"))
    assert len(doc["themes"]) >= 5, "the sample's recurring experiences show up as themes"
    assert doc["participants_total"] == 12
    assert any(t["codes"] for t in doc["themes"]), "some themes match the starter codebook"
    assert doc["codebook"]["candidate_new_codes"], "the sample holds experiences the codebook lacks"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["models"]["embedding"]["model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    assert manifest["models"]["spacy"].startswith("en_core_web_sm")
    assert manifest["packages"]["bertopic"] != "not installed"
    big = max(doc["themes"], key=lambda t: t["participants"])
    assert len({q["participant"] for q in big["quotes"]}) >= 3, "quotes come from different people"


@pytest.mark.slow
def test_same_input_and_seed_give_identical_themes(real_run, tmp_path: Path) -> None:  # noqa: ANN001
    again = run(SAMPLE, codebook=CODEBOOK, out=tmp_path / "again")
    first = (real_run.out_dir / "themes.json").read_bytes()
    assert (tmp_path / "again" / "themes.json").read_bytes() == first
    assert [t.passage_ids for t in again.themes] == [t.passage_ids for t in real_run.themes]


def test_rerun_with_one_more_transcript_carries_themes_over(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    folder = five_conversations
    extra = sorted(SAMPLE.glob("conversation-*.txt"))[5]
    # learning codes from the batch (an option since coding became batch-independent) self-trains a classifier
    settings = Settings(cache_dir=str(tmp_path / "cache"), refit_share=0.5, learn_from_corpus=True)
    first = run(folder, codebook=CODEBOOK, settings=settings, embedder=fake_embedder, write=False)
    assert "carried_over_from" not in first.manifest["themes"]
    shutil.copy(extra, folder / extra.name)
    second = run(folder, codebook=CODEBOOK, settings=settings, embedder=fake_embedder, out=tmp_path / "out2")
    themes = second.manifest["themes"]
    assert themes["carried_over_from"] == first.manifest["themes"]["fit"]
    assert themes["new_passages"] > 0 and "themes carried over from" in themes["note"]
    before = {pid: tid for t in first.themes for pid in t.passage_ids for tid in [t.id]}
    after = {pid: tid for t in second.themes for pid in t.passage_ids for tid in [t.id]}
    assert before and all(after[pid] == tid for pid, tid in before.items()), "theme ids stay the same"
    check_quotes_and_accounting(second, tmp_path / "out2")
    # the code classifier self-trained with the fit is reused with its themes, and trained again with a new fit
    trained = first.manifest["codebook_matching"]
    assert trained["classifier"] == "trained in this run" and trained["self_trained_rows"] > 0
    assert second.manifest["codebook_matching"] == {**trained, "classifier": "reused from the theme fit"}
    refit = run(folder, codebook=CODEBOOK, settings=settings, embedder=fake_embedder, write=False, refit=True)
    assert refit.manifest["themes"]["refit_reason"] == "asked to refit"
    assert refit.manifest["codebook_matching"]["classifier"] == "trained in this run"
    # by default a passage's codes depend only on it and the codebook: nothing is trained on the passages
    plain = run(folder, codebook=CODEBOOK, settings=Settings(cache_dir=str(tmp_path / "cache"), refit_share=0.5),
                embedder=fake_embedder, write=False)
    assert plain.manifest["codebook_matching"]["classifier"] == "codebook only"
    assert plain.manifest["codebook_matching"]["self_trained_rows"] == 0


def test_unchanged_conversations_are_not_split_again(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    folder = five_conversations
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    first = run(folder, codebook=CODEBOOK, settings=settings, embedder=fake_embedder, write=False)
    assert first.manifest["segment_cache"] == {"segmented": 5, "cached": 0}
    again = run(folder, codebook=CODEBOOK, settings=settings, embedder=fake_embedder, write=False)
    assert again.manifest["segment_cache"] == {"segmented": 0, "cached": 5}
    assert list(again.passages) == list(first.passages)
    assert again.manifest["models"]["spacy"] == first.manifest["models"]["spacy"]
    changed = sorted(folder.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nParticipant: One more thing about the rent going up.\n",
                       encoding="utf-8")
    third = run(folder, codebook=CODEBOOK, settings=settings, embedder=fake_embedder, write=False)
    assert third.manifest["segment_cache"] == {"segmented": 1, "cached": 4}
    assert any("rent going up" in p.text for p in third.passages)


@pytest.mark.slow
def test_privacy_prescan_fills_the_cache_and_changes_nothing(tmp_path: Path, five_conversations: Path, fake_embedder, caplog) -> None:  # noqa: ANN001
    """With the prescan on, a second process fills the findings cache while themes are fitted: the reports
    are the same as without it, and the keys it stores are the ones the gate looks up."""
    import logging
    import time

    from wisdoms.privacy import PrivacyGate, prescan
    from wisdoms.privacy.cache import FindingsCache
    from wisdoms.privacy.detectors import Detector

    folder = five_conversations
    outputs = {}
    for name, threshold in (("on", 1), ("off", 0)):
        settings = Settings(cache_dir=str(tmp_path / f"cache-{name}"), privacy_prescan=threshold)
        with caplog.at_level(logging.INFO, logger="wisdoms.privacy.prescan"):
            analysis = run(folder, codebook=CODEBOOK, out=tmp_path / name, embedder=fake_embedder, settings=settings,
                           allow_unreviewed=True)
        outputs[name] = {f: (tmp_path / name / f).read_text(encoding="utf-8")
                         for f in ("themes.json", "passages.csv", "framework-matrix.csv")}
        assert ("privacy findings prescanned for" in caplog.text) == (name == "on")
        caplog.clear()
    assert outputs["on"] == outputs["off"]

    # What the prescan stores (run here in this process, on an empty cache) is what the gate looks up.
    fresh = Settings(cache_dir=str(tmp_path / "cache-fresh"))
    prescan.run(analysis.transcripts, analysis.passages, fresh)
    detector = Detector(settings=fresh, cache=FindingsCache.for_settings(fresh)).fit()
    gate = PrivacyGate(settings=fresh, transcripts=analysis.transcripts).fit()
    keys = [detector.cache_key(p.text, lowercase=gate.modes_[p.transcript]) for p in analysis.passages]
    assert len(detector.cache.get_many(keys, {k: p.text for k, p in zip(keys, analysis.passages)})) == len(set(keys))

    # A run that fails after the prescan started ends it at once rather than waiting for it.
    started = time.perf_counter()
    with pytest.raises(CorpusTooSmallError):
        run(folder, codebook=CODEBOOK, out=tmp_path / "fail", embedder=fake_embedder,
            settings=Settings(cache_dir=str(tmp_path / "cache-fail"), privacy_prescan=1, min_passages=10**6))
    assert time.perf_counter() - started < 60


def test_privacy_prescan_only_where_it_pays_and_fits():
    from wisdoms.privacy.prescan import MAX_TEXTS, worth_it

    # new passages (embedded afresh), all texts to scan, threshold
    assert not worth_it(2_499, 5_000, 2_500) and not worth_it(10_000, 20_000, 0)
    assert not worth_it(10_000, MAX_TEXTS + 1, 2_500)
    assert not worth_it(126, 21_000, 2_500)  # a warm re-run: one transcript added, the rest cached
    from wisdoms.settings import Settings

    assert worth_it(1_353, 2_700, Settings().privacy_prescan) == ((__import__("os").cpu_count() or 1) >= 2)  # the sample
    assert worth_it(10_000, 20_000, 2_500) == ((__import__("os").cpu_count() or 1) >= 2)


def test_two_threads_asking_for_the_encoder_at_once_get_one(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Two notebook runs started together must not load two encoders (each holds the model in memory)."""
    import threading
    import time

    import wisdoms.embed.factory as pipeline  # the encoder is made, once, by the embed stage

    made: list[object] = []

    def slow_make(model: str, *, encoder: str, cache_dir: str) -> object:  # noqa: ARG001
        time.sleep(0.2)  # both threads are inside the cache miss together without the lock
        made.append(object())
        return made[-1]

    pipeline._embedder_for.cache_clear()
    monkeypatch.setattr(pipeline, "make_embedder", slow_make)
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(pipeline.ensure_embedder(settings))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pipeline._embedder_for.cache_clear()
    assert len(made) == 1 and len(got) == 4 and all(g is made[0] for g in got)


def test_a_partial_run_goes_on_past_a_file_it_cannot_read(tmp_path: Path, five_conversations: Path, fake_embedder,  # noqa: ANN001
                                                          monkeypatch, capsys) -> None:
    """One unreadable file: the run reads the rest, lists the file with its reason on screen, in the report and
    in the manifest, and exits 3 (partial); --strict refuses the whole run (exit 2), writing nothing."""
    import wisdoms.pipeline as pipeline

    (five_conversations / "zz-broken.txt").write_bytes(b"\x00\x01PK\x03\x04")
    monkeypatch.setattr(pipeline, "ensure_embedder", lambda settings: fake_embedder)
    out = tmp_path / "out"
    args = ["run", str(five_conversations), "--codebook", str(CODEBOOK), "--out", str(out), "--cache-dir", str(tmp_path / "c")]
    assert main([*args, "--strict"]) == 2
    assert "zz-broken.txt" in capsys.readouterr().err and not out.exists()

    assert main(args) == 3
    screen = capsys.readouterr().out
    assert "Partial run: 1 file not read" in screen and "  - zz-broken.txt: the file looks binary, not text" in screen
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["unread"] == [{"id": "zz-broken.txt", "reason": "the file looks binary, not text"}]
    assert len(manifest["inputs"]["transcripts"]) == 5
    for report in ("report.html", "report.md"):
        text = (out / report).read_text(encoding="utf-8")
        assert "Not read, so not in this report (1 file; the run went on without them): zz-broken.txt (the file looks " \
               "binary, not text)." in text



def test_a_run_without_a_codebook_finds_themes_and_drafts_a_starter_codebook(tmp_path: Path, five_conversations: Path,
                                                                              fake_embedder, monkeypatch) -> None:  # noqa: ANN001
    """No codebook given and none in codebook/ (a new study): themes are found and titled in people's words, and a
    starter codebook with one draft code per theme is written beside the report (before: "codebook not found")."""
    from wisdoms.codebook import load_codebook

    monkeypatch.chdir(tmp_path)  # no codebook/codebook.yaml here
    out = tmp_path / "out"
    analysis = run(five_conversations, out=out, embedder=fake_embedder, settings=Settings(cache_dir=str(tmp_path / "c")),
                   allow_unreviewed=True)
    assert analysis.themes and not analysis.codebook.codes and not list(analysis.matches)
    starter = load_codebook(out / "starter-codebook.yaml")
    assert "No codebook was given" in html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert len(starter.codes) == len(analysis.themes)
    assert {c.name for c in starter.codes} == {t.label.strip("“”") for t in analysis.themes}
    texts = {t.id: t.text for t in analysis.transcripts}
    for theme in analysis.themes:
        q = theme.title_quote  # every title is a member's words, cited by exact offsets
        assert q is not None and q.passage in theme.passage_ids and texts[q.transcript][q.start:q.end] == q.text
    summary = analysis.summary()
    content_free = [u for u in analysis.unassigned if u.reason.startswith("content-free")]
    assert summary["content_free"] == len(content_free) > 0, "backchannels and greetings are found and counted"
    assert summary["unassigned"] == len(analysis.unassigned) - len(content_free)
    themed = {pid for t in analysis.themes for pid in t.passage_ids}
    assert not themed & {u.passage for u in content_free}, "content-free talk is never themed"
    assert max(t.passages for t in analysis.themes) <= 0.25 * len(themed) + 1
    from wisdoms.report import render_reports, report_scan_items

    scanned = {i.text for i in report_scan_items(analysis, render_reports(analysis), str(out))}
    assert analysis.codebook.name and analysis.codebook.name not in scanned, "the tool's own wording is not scanned"
    code = main(["run", str(five_conversations), "--out", str(tmp_path / "cli"), "--cache-dir", str(tmp_path / "c"),
                 "--allow-unreviewed"])
    assert code == 0 and (tmp_path / "cli" / "starter-codebook.yaml").is_file()
    # from Python as from the command line: the report names the starter codebook beside it, so it is there
    from wisdoms.report import write_reports

    written = write_reports(analysis, tmp_path / "notebook", allow_unreviewed=True)
    assert tmp_path / "notebook" / "starter-codebook.yaml" in written
    assert load_codebook(tmp_path / "notebook" / "starter-codebook.yaml").codes == starter.codes


def test_run_says_on_screen_whether_the_codebook_fits(five_conversations: Path, tmp_path: Path, fake_embedder,  # noqa: ANN001
                                                      monkeypatch, capsys) -> None:  # noqa: ANN001
    """`wisdoms run` prints the codebook check's one sentence, the one the manifest and the report carry."""
    import wisdoms.pipeline as pipeline

    monkeypatch.setattr(pipeline, "ensure_embedder", lambda settings: fake_embedder)
    code = main(["run", str(five_conversations), "--codebook", str(CODEBOOK), "--out", str(tmp_path / "o"),
                 "--cache-dir", str(tmp_path / "c"), "--allow-unreviewed"])
    out = capsys.readouterr().out
    fit = json.loads((tmp_path / "o" / "manifest.json").read_text(encoding="utf-8"))["codebook_fit"]
    assert code == 0 and fit["summary"] and f"Codebook check: {fit['summary']}\n" in out
    assert fit["fits"] == ("does not suit" not in fit["summary"]) and fit["codes"] == 13


def test_the_codebook_is_found_beside_the_transcripts_never_in_the_working_directory(
        tmp_path: Path, five_conversations: Path, fake_embedder, monkeypatch) -> None:  # noqa: ANN001
    """A run started in one project (its own codebook/codebook.yaml) on another project's transcripts does not use
    the first project's codebook; the transcripts' own project codebook is found, and 'none' runs without one."""
    from wisdoms.codebook import find_codebook, load_codebook, save_codebook

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "codebook").mkdir(parents=True)
    shutil.copy(CODEBOOK, elsewhere / "codebook" / "codebook.yaml")  # the sample's codebook, in the working dir
    monkeypatch.chdir(elsewhere)
    settings = Settings(cache_dir=str(tmp_path / "c"))
    plain = run(five_conversations, embedder=fake_embedder, settings=settings, write=False)
    assert not plain.codebook.codes and find_codebook(five_conversations) is None

    project = tmp_path / "project"
    shutil.copytree(five_conversations, project / "transcripts")
    (project / "codebook").mkdir()
    book = load_codebook(CODEBOOK)
    own = type(book)(codes=book.codes[:3], name="Our project codebook", version="2")
    save_codebook(own, project / "codebook" / "codebook.yaml")
    assert find_codebook(project / "transcripts") == (project / "codebook" / "codebook.yaml").resolve()
    found = run(project / "transcripts", embedder=fake_embedder, settings=settings, write=False)
    assert found.codebook.name == "Our project codebook" and len(found.codebook.codes) == 3
    without = run(project / "transcripts", codebook="none", embedder=fake_embedder, settings=settings, write=False)
    assert not without.codebook.codes
