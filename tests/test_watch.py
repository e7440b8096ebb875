"""Tests for ``wisdoms watch``: re-running the analysis after every change, in one loaded process."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from wisdoms.settings import Settings
from wisdoms.watch import describe_changes, snapshot, watch

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "transcripts"
CODEBOOK = REPO / "codebook" / "codebook.yaml"



def test_snapshot_sees_files_added_changed_and_removed_but_not_hidden_or_lock_files(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("one", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("two", encoding="utf-8")
    (folder / ".hidden.txt").write_text("x", encoding="utf-8")
    (folder / "~$draft.docx").write_text("x", encoding="utf-8")
    book = tmp_path / "book.yaml"
    book.write_text("codes: []", encoding="utf-8")
    before = snapshot(folder, [book, tmp_path / "missing.yaml"])
    assert sorted(Path(p).name for p in before) == ["a.txt", "b.txt", "book.yaml"]
    (folder / "a.txt").write_text("one more", encoding="utf-8")
    (folder / "sub" / "b.txt").unlink()
    (folder / "c.txt").write_text("three", encoding="utf-8")
    after = snapshot(folder, [book])
    assert describe_changes(before, after, folder) == ("added c.txt", "changed a.txt", "removed sub/b.txt")
    assert describe_changes(after, after, folder) == ()


def test_a_file_still_being_written_is_not_taken_until_it_holds_still(tmp_path: Path) -> None:
    """A transcript copied in slowly (it grows for half a second) is acted on once, whole: the change is
    returned only after the folder has looked the same for the settle time."""
    import time

    from wisdoms.watch import _Options, _wait_for_change

    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "a.txt").write_text("one", encoding="utf-8")
    options = _Options(codebook=tmp_path / "none.yaml", out=tmp_path / "out", settings=Settings(),
                       allow_unreviewed=True, decisions=None, progress=None, extra=[])
    seen = snapshot(folder)
    chunks = 10

    def copy_slowly() -> None:
        with open(folder / "b.txt", "w", encoding="utf-8") as fh:
            for i in range(chunks):
                fh.write(f"Speaker {i}: some words\n")
                fh.flush()
                os.utime(folder / "b.txt", ns=(i * 10**9, (i + 1) * 10**9))  # a new time on every write
                time.sleep(0.05)

    writer = threading.Thread(target=copy_slowly)
    started = time.monotonic()
    writer.start()
    changed = _wait_for_change(folder, options, seen, threading.Event(), poll_seconds=0.01, settle_seconds=0.6)
    waited = time.monotonic() - started
    writer.join()
    assert changed is not None and changed == snapshot(folder)
    assert changed[str(folder / "b.txt")][0] == (folder / "b.txt").stat().st_size
    assert waited >= chunks * 0.05 + 0.6 - 0.05  # the writes, then the settle time


def test_watch_reruns_after_each_change_carries_themes_over_and_survives_a_bad_file(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    """Run 1 on five conversations; a sixth added -> run 2 carries the themes over into the same output folder;
    a broken transcript -> run 3 goes on without it, listing it as not read; the file removed -> run 4."""
    folder = five_conversations
    out = tmp_path / "out"
    extra = sorted(SAMPLE.glob("conversation-*.txt"))[5]
    bad = folder / "broken.txt"
    runs = []
    reports = []

    def on_run(result) -> None:  # noqa: ANN001  (runs in the watch, before it waits for the next change)
        runs.append(result)
        if result.analysis is not None:
            reports.append(json.loads((out / "manifest.json").read_text(encoding="utf-8")))
        if result.number == 1:
            shutil.copy(extra, folder / extra.name)
        elif result.number == 2:
            bad.write_bytes(b"\x00\x01\x02 not a transcript")
        elif result.number == 3:
            bad.unlink()

    failures = watch(folder, out=out, codebook=CODEBOOK, embedder=fake_embedder, on_run=on_run, max_runs=4,
                     settings=Settings(cache_dir=str(tmp_path / "cache"), refit_share=0.5), allow_unreviewed=True,
                     poll_seconds=0.05)
    assert [r.number for r in runs] == [1, 2, 3, 4] and failures == 0
    assert runs[0].changes == () and runs[1].changes == (f"added {extra.name}",)
    assert runs[2].changes == ("added broken.txt",) and runs[3].changes == ("removed broken.txt",)
    assert runs[2].analysis is not None and reports[2]["inputs"]["unread"] == [
        {"id": "broken.txt", "reason": "the file looks binary, not text"}]
    assert reports[3]["inputs"]["unread"] == []
    first, second = reports[0], reports[1]
    assert second["themes"]["carried_over_from"] == first["themes"]["fit"]
    # codes depend only on each passage and the codebook (nothing trained on the passages; issue 22)
    assert second["codebook_matching"]["classifier"] == first["codebook_matching"]["classifier"] == "codebook only"
    assert second["counts"]["transcripts"] == 6 and first["counts"]["transcripts"] == 5
    assert reports[2]["counts"] == reports[3]["counts"] == second["counts"]  # the same six conversations
    assert (out / "report.html").is_file() and not list(out.glob("*.tmp*"))


def test_watch_stops_when_asked(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    folder = five_conversations
    stop = threading.Event()
    runs = []

    def on_run(result) -> None:  # noqa: ANN001
        runs.append(result)
        stop.set()

    assert watch(folder, out=tmp_path / "out", codebook=CODEBOOK, embedder=fake_embedder, on_run=on_run, stop=stop,
                 settings=Settings(cache_dir=str(tmp_path / "cache")), allow_unreviewed=True, poll_seconds=0.05) == 0
    assert len(runs) == 1 and runs[0].analysis is not None


def test_output_or_cache_inside_the_watched_folder_is_refused(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    """``wisdoms watch . --out reports/watch``: each run would read the last one's reports as transcripts."""
    from wisdoms.errors import TranscriptError

    folder = five_conversations
    with pytest.raises(TranscriptError, match="output folder .* is inside the transcripts folder") as caught:
        watch(folder, out=folder / "reports" / "watch", codebook=CODEBOOK, embedder=fake_embedder, max_runs=1,
              settings=Settings(cache_dir=str(tmp_path / "cache")))
    assert "--out" in str(caught.value)
    with pytest.raises(TranscriptError, match="cache folder .* is inside the transcripts folder"):
        watch(folder, out=tmp_path / "out", codebook=CODEBOOK, embedder=fake_embedder, max_runs=1,
              settings=Settings(cache_dir=str(folder / "cache")))
    assert not (tmp_path / "out").exists() and not (folder / "reports").exists()


def test_a_failed_run_marks_the_reports_it_left_and_the_next_good_run_clears_it(
        tmp_path: Path, five_conversations: Path, fake_embedder, monkeypatch) -> None:  # noqa: ANN001
    """Anything a run raises, expected or not, is reported and the watch goes on; meanwhile the output folder
    says its reports are an earlier run's, until a run succeeds again."""
    import wisdoms.pipeline

    folder, out = five_conversations, tmp_path / "out"
    real = wisdoms.pipeline.run
    seen = []

    def flaky(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if len(seen) == 1:
            raise FileNotFoundError(2, "No such file or directory", str(folder / "gone.txt"))
        if len(seen) == 2:
            raise ValueError("a bug")
        return real(*args, **kwargs)

    def on_run(result) -> None:  # noqa: ANN001
        seen.append((result.error, (out / "NOT-CURRENT.txt").is_file()))
        (folder / f"touch-{len(seen)}.txt").write_text(f"Participant: note {len(seen)} about the rent.\n", encoding="utf-8")

    monkeypatch.setattr(wisdoms.pipeline, "run", flaky)
    failures = watch(folder, out=out, codebook=CODEBOOK, embedder=fake_embedder, on_run=on_run, max_runs=4,
                     settings=Settings(cache_dir=str(tmp_path / "cache")), allow_unreviewed=True, poll_seconds=0.05)
    assert failures == 2
    assert seen[0] == ("", False)
    assert "gone.txt: could not be read (No such file or directory)" in seen[1][0] and seen[1][1]
    assert seen[2][0].startswith("unexpected ValueError: a bug") and seen[2][1]
    assert seen[3] == ("", False)


def test_a_changed_settings_file_applies_to_the_next_run(tmp_path: Path, five_conversations: Path, fake_embedder) -> None:  # noqa: ANN001
    folder, out = five_conversations, tmp_path / "out"
    settings_file = tmp_path / "settings.yaml"
    settings_file.write_text("quotes_per_theme: 2\n", encoding="utf-8")
    quotes = []

    def on_run(result) -> None:  # noqa: ANN001
        assert not result.error, result.error
        quotes.append({len(t.quotes) for t in result.analysis.themes})
        settings_file.write_text("quotes_per_theme: 1\n", encoding="utf-8")

    watch(folder, out=out, codebook=CODEBOOK, embedder=fake_embedder, on_run=on_run, max_runs=2,
          settings_file=settings_file, overrides={"cache_dir": str(tmp_path / "cache")}, allow_unreviewed=True,
          poll_seconds=0.05)
    assert quotes[0] == {2} and quotes[1] == {1}


def test_watch_of_a_missing_folder_is_a_clear_error(tmp_path: Path, fake_embedder) -> None:  # noqa: ANN001
    from wisdoms.errors import TranscriptError

    with pytest.raises(TranscriptError, match="transcripts folder not found"):
        watch(tmp_path / "nowhere", out=tmp_path / "out", codebook=CODEBOOK, embedder=fake_embedder, max_runs=1)


def test_watch_command_prints_each_run_and_the_report(tmp_path: Path, five_conversations: Path, fake_embedder, monkeypatch, capsys) -> None:  # noqa: ANN001
    import wisdoms.pipeline
    from wisdoms.cli import main

    monkeypatch.setattr(wisdoms.pipeline, "ensure_embedder", lambda settings: fake_embedder)
    folder = five_conversations
    status = main(["watch", str(folder), "--out", str(tmp_path / "out"), "--codebook", str(CODEBOOK),
                   "--cache-dir", str(tmp_path / "cache"), "--allow-unreviewed", "--runs", "1"])
    printed = capsys.readouterr().out
    assert status == 0
    assert "run 1: " in printed and "candidate themes from" in printed and f"watching {folder} for changes" not in printed
    # --runs 1 ends after the first run, before watching; a watch that goes on says when it is ready
    ready = []
    watch(folder, out=tmp_path / "out2", codebook=CODEBOOK, embedder=fake_embedder, max_runs=2, on_ready=lambda: ready.append(1),
          on_run=lambda r: (folder / "more.txt").write_text("Participant: and the bus.\n", encoding="utf-8"),
          settings=Settings(cache_dir=str(tmp_path / "cache")), allow_unreviewed=True, poll_seconds=0.05)
    assert ready == [1]
    assert f"Report: {tmp_path / 'out' / 'report.html'}" in printed and os.path.isfile(tmp_path / "out" / "report.html")
