"""Faults: a run killed at each stage then run again, two runs into one folder at once, a read-only cache,
a full disk. What each proves is listed in RELIABILITY.md.

The full-disk and read-only tests mount a small tmpfs, which needs root (as in CI); elsewhere they are
skipped, or use a folder without write permission where that is enough.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import CODEBOOK, REPO, SAMPLE

from wisdoms._files import FOLDER_RECORD, check_folder, sha256_file, write_folder
from wisdoms.errors import OutputError, RunFolderError


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _complete(out: Path) -> dict[str, str]:
    """The folder's record, after checking every recorded file is there and is the one written."""
    record = json.loads((out / FOLDER_RECORD).read_text(encoding="utf-8"))["files"]
    assert {name: sha256_file(out / name) for name in record} == record
    return record


@contextlib.contextmanager
def _tmpfs(path: Path, size: str, *, read_only: bool = False):  # noqa: ANN202
    """A small tmpfs at ``path`` (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


# --- a folder written as a unit ----------------------------------------------------------------------


def test_a_write_that_fails_half_way_leaves_the_previous_folder_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write_folder(out, {"themes.json": "one", "passages.csv": "one", "NOT-FOR-SHARING.txt": "draft"})
    before = _files(out)
    import wisdoms._files as files

    calls = []
    real = files.os.fsync

    def failing(fd):  # noqa: ANN001, ANN202
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(fd)

    monkeypatch.setattr(files.os, "fsync", failing)
    with pytest.raises(OutputError) as err:
        write_folder(out, {"themes.json": "two", "passages.csv": "two"})
    assert "No space left on device" in str(err.value) and "previous reports are as they were" in str(err.value)
    assert _files(out) == before and _leftovers(out) == []


def test_a_new_run_drops_the_old_runs_files_and_keeps_a_users_own(tmp_path):
    out = tmp_path / "run"
    write_folder(out, {"themes.json": "draft", "NOT-FOR-SHARING.txt": "draft"}, ours=["NOT-FOR-SHARING.txt"])
    (out / "my notes.txt").write_text("mine", encoding="utf-8")
    (out / ".themes.json.abc123.tmp").write_text("left by a killed atomic write", encoding="utf-8")
    write_folder(out, {"themes.json": "final"}, ours=["NOT-FOR-SHARING.txt"])
    assert _files(out) == {"themes.json": b"final", "my notes.txt": b"mine",
                           FOLDER_RECORD: (out / FOLDER_RECORD).read_bytes()}
    assert _complete(out) and _leftovers(out) == []


def test_a_folder_a_stopped_swap_left_missing_is_named_by_readers_and_restored_by_the_next_run(tmp_path):
    from wisdoms.report.rundir import read_run_folder

    out = tmp_path / "run"
    write_folder(out, {"themes.json": "{}", "passages.csv": "passage,start,end\n", "manifest.json": "{}"})
    os.rename(out, tmp_path / ".run.old-x1y2z3")  # killed between "set the old folder aside" and "put the new one"
    with pytest.raises(RunFolderError, match="stopped while replacing"):
        read_run_folder(out)
    write_folder(out, {"themes.json": "{}", "passages.csv": "passage,start,end\n", "manifest.json": "{}"})
    assert read_run_folder(out).passages == [] and _leftovers(out) == []


def test_a_reader_refuses_a_run_folder_with_a_file_missing(tmp_path, capsys):
    from wisdoms.cli import main

    out = tmp_path / "run"
    write_folder(out, {"themes.json": "{}", "passages.csv": "passage,start,end\n", "manifest.json": "{}",
                       "report.html": "<p>x</p>"})
    (out / "passages.csv").unlink()
    with pytest.raises(RunFolderError, match="passages.csv is missing"):
        check_folder(out, RunFolderError)
    assert main(["panel", "pack", str(out), "--out", str(tmp_path / "pack")]) == 2
    assert not (tmp_path / "pack").exists()
    (out / "analysis.json").write_text("{}", encoding="utf-8")  # the saved analysis the export reads first
    assert main(["export", "qdpx", str(out), "--out", str(tmp_path / "p.qdpx")]) == 2
    assert not (tmp_path / "p.qdpx").exists()
    shown = capsys.readouterr()
    assert (shown.out + shown.err).count("passages.csv is missing from the folder") == 2


_WRITER = textwrap.dedent("""
    import sys
    from wisdoms._files import write_folder
    who, out, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(rounds):
        write_folder(out, {name: (f"{who} {i} " * 20000) for name in
                           ("themes.json", "passages.csv", "manifest.json", "report.html", "report.docx")})
""")


def test_two_runs_writing_one_folder_at_once_never_mix(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, who, str(out), "15"], env=env) for who in "AB"]
    seen = set()
    while any(p.poll() is None for p in procs):
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            seen.add(len(list(out.iterdir())))
    assert [p.wait() for p in procs] == [0, 0]
    record = _complete(out)
    writers = {(out / name).read_text(encoding="utf-8").split(" ")[0:2] .__repr__() for name in record}
    assert len(writers) == 1, f"files from different runs: {writers}"
    assert _leftovers(out) == []


def test_a_full_disk_is_a_clear_error_and_the_previous_folder_stays(tmp_path):
    with _tmpfs(tmp_path / "small", "256k") as disk:
        out = disk / "run"
        write_folder(out, {"themes.json": "small", "passages.csv": "small"})
        with pytest.raises(OutputError) as err:
            write_folder(out, {"themes.json": "x" * 200_000, "passages.csv": "y" * 200_000})
        assert "No space left on device" in str(err.value) and str(out) in str(err.value)
        assert "free some disk space" in str(err.value)
        assert _files(out)["themes.json"] == b"small" and _leftovers(out) == []


@pytest.mark.slow
def test_a_run_onto_a_full_disk_is_a_clear_error_and_leaves_the_last_run(tmp_path, fake_embedder):
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings

    settings = Settings(cache_dir=str(tmp_path / "cache"), reduction="pca", min_passages=20)
    with _tmpfs(tmp_path / "small", "600k") as disk:
        out = disk / "run"
        write_folder(out, {"report.html": "<p>the last run</p>"})
        with pytest.raises(OutputError, match="No space left on device"):
            run(SAMPLE, codebook=CODEBOOK, out=out, embedder=fake_embedder, settings=settings, allow_unreviewed=True)
        assert _files(out)["report.html"] == b"<p>the last run</p>" and _leftovers(out) == []


# --- the embedding cache -----------------------------------------------------------------------------


def test_embeddings_are_committed_in_batches_so_a_kill_keeps_the_work_done(tmp_path, monkeypatch, fake_embedder):
    from wisdoms.embed import cache as cache_module
    from wisdoms.embed.cache import EmbeddingCache, embed_texts

    monkeypatch.setattr(cache_module, "COMMIT_EVERY", 10)
    texts = [f"answer number {i} about housing" for i in range(35)]
    cache = EmbeddingCache(tmp_path)
    real = fake_embedder.encode

    def dies_on_the_third_batch(batch, *, progress=None):  # noqa: ANN001, ANN202
        if len(fake_embedder.calls) == 2:
            raise KeyboardInterrupt  # what Ctrl-C (or a kill's cleanup) does mid-run
        return real(batch, progress=progress)

    monkeypatch.setattr(fake_embedder, "encode", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        embed_texts(texts, fake_embedder, cache)
    monkeypatch.setattr(fake_embedder, "encode", real)
    vectors, stats = embed_texts(texts, fake_embedder, cache)
    assert (stats.cached, stats.encoded) == (20, 15)
    import numpy as np

    assert np.array_equal(vectors, embed_texts(texts, fake_embedder, None)[0])


@pytest.mark.slow
def test_an_empty_read_only_cache_costs_time_not_the_run(tmp_path, caplog, fake_embedder):
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings

    if os.geteuid() == 0:
        ctx = _tmpfs(tmp_path / "ro-cache", "1m", read_only=True)
    else:
        (tmp_path / "ro-cache").mkdir()
        (tmp_path / "ro-cache").chmod(0o555)
        ctx = contextlib.nullcontext(tmp_path / "ro-cache")
    with ctx as cache_dir:
        analysis = run(SAMPLE, codebook=CODEBOOK, out=tmp_path / "out", embedder=fake_embedder,
                       settings=Settings(cache_dir=str(cache_dir)), allow_unreviewed=True)
    assert analysis.themes and (tmp_path / "out" / "report.html").is_file()
    assert any("embedding cache" in r.getMessage() and "--cache-dir" in r.getMessage() for r in caplog.records)


# --- a run killed at each stage ----------------------------------------------------------------------

_KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[4])
    from conftest import FakeEmbedder
    from wisdoms.pipeline import run
    from wisdoms.settings import Settings
    import wisdoms.embed.cache as cache_module
    import wisdoms._files as files

    stage, out, cache = sys.argv[1], sys.argv[2], sys.argv[3]
    cache_module.COMMIT_EVERY = 40
    die = lambda *_a, **_k: os.kill(os.getpid(), signal.SIGKILL)
    embedder = FakeEmbedder()
    if stage == "embed":
        real = embedder.encode
        embedder.encode = lambda texts, progress=None: die() if embedder.calls else real(texts, progress=progress)
    elif stage == "themes":
        import wisdoms.pipeline as pipeline_module
        pipeline_module.themes_for_run = die
    elif stage == "write":
        real_fsync, count = files.os.fsync, []
        def fsync(fd):
            count.append(fd)
            if len(count) == 3:
                die()
            real_fsync(fd)
        files.os.fsync = fsync
    elif stage == "swap":
        files._exchange = lambda a, b: False
        real_rename, count = files.os.rename, []
        def rename(a, b):
            real_rename(a, b)
            count.append(a)
            if str(a) == out:
                die()  # the old folder set aside, the new one not yet in place
        files.os.rename = rename
    a = run(sys.argv[5], codebook=sys.argv[6], out=out, embedder=embedder,
            settings=Settings(cache_dir=cache, reduction="pca", min_passages=20), allow_unreviewed=True)
""")


@pytest.mark.slow
def test_a_run_killed_at_each_stage_leaves_the_last_whole_run_and_the_next_run_is_whole(tmp_path, five_conversations):
    """SIGKILL (no clean-up code runs) while embedding, fitting themes, writing the folder and swapping it in;
    after each, the folder holds the previous run complete (or, killed mid-swap, readers say so), and the
    next run writes a complete folder with nothing left beside it."""
    from wisdoms.report.rundir import read_run_folder

    out, cache = tmp_path / "run", tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}

    def run_with(stage: str, cache: Path = cache) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", _KILLED_RUN, stage, str(out), str(cache), str(REPO / "tests"),
                               str(five_conversations), str(CODEBOOK)], env=env, capture_output=True, text=True,
                              timeout=600)

    first = run_with("none")
    assert first.returncode == 0, first.stderr[-2000:]
    whole = _complete(out)
    before = _files(out)
    for stage in ("embed", "themes", "write", "swap"):
        (five_conversations / "conversation-01.txt").write_text(
            (SAMPLE / "conversation-01.txt").read_text(encoding="utf-8") + f"\nParticipant: One more thing, {stage}.\n",
            encoding="utf-8")
        # a new cache for the embedding stage, so that it has more than one batch to encode
        killed = run_with(stage, tmp_path / "new-cache" if stage == "embed" else cache)
        assert killed.returncode == -9, (stage, killed.stderr[-2000:])
        if stage == "embed":  # the first batch was committed before the kill
            import sqlite3

            with contextlib.closing(sqlite3.connect(tmp_path / "new-cache" / "embeddings.sqlite")) as con:
                assert con.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 40
        if stage == "swap":
            assert not out.exists()
            with pytest.raises(RunFolderError, match="stopped while replacing"):
                read_run_folder(out)
        else:
            assert _files(out) == before, stage
    again = run_with("none")
    assert again.returncode == 0, again.stderr[-2000:]
    assert _complete(out).keys() == whole.keys() and _leftovers(out) == []
    assert read_run_folder(out).passages
    assert "One more thing, swap." in (out / "passages.csv").read_text(encoding="utf-8")


def test_an_onnx_build_killed_part_way_leaves_no_folder_once_the_next_build_starts(tmp_path, monkeypatch):
    """A build killed mid-export left an 87 MB ``.build-*`` folder forever; the next build removes such
    folders, but never one a running build holds."""
    import fcntl
    import time

    from wisdoms.embed import onnx

    folder = onnx.onnx_build_dir(onnx.DEFAULT_MODEL, tmp_path).parent
    folder.mkdir(parents=True)
    killed = folder / ".build-killed"
    killed.mkdir()
    (killed / onnx._BUILD_LOCK).write_text("", encoding="utf-8")
    (killed / "model.onnx").write_bytes(b"\0" * 1000)
    old = time.time() - 3600
    unlocked = folder / ".build-before-lock"
    unlocked.mkdir()
    os.utime(unlocked, (old, old))
    running = folder / ".build-running"
    running.mkdir()
    fd = os.open(running / onnx._BUILD_LOCK, os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # held as a live build holds it (another open file of this process)
    try:
        def stop(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("stop")

        monkeypatch.setattr(onnx, "export_int8", stop)
        with pytest.raises(RuntimeError, match="stop"):
            onnx.build_onnx(cache_dir=tmp_path)
        assert sorted(p.name for p in folder.iterdir()) == [".build-running"]
    finally:
        os.close(fd)
