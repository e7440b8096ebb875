"""Atomic writes: whole or nothing, with the permissions a plain write would give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wisdoms._files import atomic_open, write_text


def test_new_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_text(tmp_path / "report.md", "hello")
    finally:
        os.umask(old)
    assert path.read_text() == "hello"
    assert path.stat().st_mode & 0o777 == 0o644


def test_replacing_keeps_the_existing_permissions(tmp_path: Path) -> None:
    path = tmp_path / "signoffs.yaml"
    path.write_text("old")
    path.chmod(0o640)
    write_text(path, "new")
    assert path.read_text() == "new"
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "themes.json"
    path.write_text("complete")
    with pytest.raises(RuntimeError), atomic_open(path) as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "complete"
    assert [p.name for p in tmp_path.iterdir()] == ["themes.json"]


def test_read_jsonl_skips_blank_lines_and_names_the_bad_line(tmp_path: Path) -> None:
    from wisdoms._files import read_jsonl
    from wisdoms.errors import CodebookError

    good = tmp_path / "codes.jsonl"
    good.write_text('\ufeff{"id": "a"}\n\n{"id": "b"}\n', encoding="utf-8")
    assert read_jsonl(good, CodebookError) == [(1, {"id": "a"}), (3, {"id": "b"})]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"bad\.jsonl:2: invalid JSON") as caught:
        read_jsonl(bad, CodebookError)
    assert "invalid JSON" in str(caught.value)
