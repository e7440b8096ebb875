"""Atomic writes and hashing: outputs appear whole or not at all; inputs are only read."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import OutputError, WisdomsError

log = logging.getLogger(__name__)


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it into place, else remove it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else "") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The permissions a plain ``open(path, "w")`` would leave: the replaced file's, else 0o666 less the umask
    (``mkstemp`` alone makes every output readable by its owner only)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 atomically and return the path."""
    with atomic_open(path, "w") as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` atomically and return the path."""
    with atomic_open(path, "wb", encoding=None) as fh:
        fh.write(data)
    return Path(path)


def shown(path: str | Path) -> str:
    """``path`` as the screen shows it: relative to the working directory (``../codebook/codebook.yaml``), so
    output that is shared (an executed notebook, a pasted log) does not carry the machine's own folders."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_jsonl(path: str | Path, error: type[WisdomsError]) -> list[tuple[int, Any]]:
    """``(line number, parsed value)`` for every non-blank line of a JSON Lines file (UTF-8, BOM allowed).

    Raises:
        error: A line is not valid JSON; the message names the file and line.
    """
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise error(f"invalid JSON: {exc.msg}", path=path, line=number, hint="write one JSON object per line") from exc
    return items


# --- folders written as a unit ---------------------------------------------------------------------

#: The record a folder written by :func:`write_folder` holds: each file's name and SHA-256.
FOLDER_RECORD = ".wisdoms-files.json"
_RENAME_EXCHANGE = 2


@contextmanager
def folder_lock(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock for writing the folder ``path`` (on its parent folder, so nothing is left
    behind); a second writer waits. Raises OutputError when the parent cannot be created."""
    import fcntl

    parent = Path(path).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(parent, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"cannot create or open the folder: {exc.strerror}", path=parent,
                          hint="choose an --out in a folder you can write to") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another run writing beside %s", path)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    ok = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0
    return ok


def _leftovers(out: Path) -> list[Path]:
    return sorted(p for p in out.parent.glob(f".{out.name}.*-*") if p.is_dir()
                  and p.name.split(".")[-1].split("-")[0] in ("tmp", "old"))


def recover_folder(out: str | Path, ours: Iterable[str]) -> None:
    """Undo what a writer stopped half-way left beside ``out``: restore ``out`` from its set-aside copy if
    ``out`` is missing, give back any file that is not one of ``ours`` (a user's file carried over), and
    remove the rest. Call with :func:`folder_lock` held."""
    out = Path(out)
    ours = set(ours) | {FOLDER_RECORD}
    for left in _leftovers(out):
        if not out.exists() and left.name.split(".")[-1].startswith("old-"):
            os.rename(left, out)
            log.warning("restored %s from a copy a stopped run had set aside", out)
            continue
        for entry in left.iterdir():
            if entry.name not in ours and not _temporary(entry.name) and out.is_dir() and not (out / entry.name).exists():
                os.rename(entry, out / entry.name)
        shutil.rmtree(left, ignore_errors=True)
        log.info("removed %s, left by a run that was stopped", left)


def _temporary(name: str) -> bool:
    """A file :func:`atomic_open` was writing when its process stopped."""
    return name.startswith(".") and name.endswith(".tmp")


def write_folder(path: str | Path, files: Mapping[str, str | bytes], *, ours: Iterable[str] = ()) -> list[Path]:
    """Write ``files`` (name -> text or bytes) as the folder ``path``, as a unit.

    They are written into a sibling temporary folder, then swapped in for ``path`` in one step, under
    :func:`folder_lock`: a reader sees the whole previous folder or the whole new one, a run stopped
    half-way leaves the previous folder as it was, and two writers never mix. Files in the old folder that
    are neither in ``files`` nor named in ``ours`` (the writer's other outputs, such as a draft's stamp)
    are kept: a user's own notes are carried into the new folder. The folder holds :data:`FOLDER_RECORD`,
    each file's SHA-256, which :func:`check_folder` compares.

    Raises:
        OutputError: ``path`` is a file, holds the working folder, or the disk refused a write (full,
            read-only); the previous folder is then left as it was.
    """
    out = Path(path)
    if out.is_symlink():
        out = out.resolve()
    if out.exists() and not out.is_dir():
        raise OutputError("output path exists and is not a folder", path=out, hint="choose another --out")
    cwd = Path.cwd().resolve()
    if out.exists() and (out.resolve() == cwd or out.resolve() in cwd.parents):
        raise OutputError("the output folder is the folder you are working in", path=out,
                          hint="pass --out a folder of its own, e.g. reports/run-1")
    names = set(files) | set(ours) | {FOLDER_RECORD}
    with folder_lock(out):
        recover_folder(out, names)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            record = {}
            for name, data in files.items():
                blob = data if isinstance(data, bytes) else data.encode("utf-8")
                with open(tmp / name, "wb") as fh:
                    fh.write(blob)
                    fh.flush()
                    os.fsync(fh.fileno())
                record[name] = hashlib.sha256(blob).hexdigest()
            (tmp / FOLDER_RECORD).write_text(json.dumps({"files": record}, indent=1, sort_keys=True) + "\n",
                                             encoding="utf-8")
            mode = _mode_for(out) if out.exists() else 0o777 & ~_umask()
            os.chmod(tmp, mode)
            for name in files:
                os.chmod(tmp / name, 0o666 & ~_umask())
            if out.exists():
                for entry in out.iterdir():
                    if entry.name not in names and not _temporary(entry.name):
                        os.rename(entry, tmp / entry.name)  # a user's file: carried into the new folder
                if not _exchange(tmp, out):
                    # two renames: between them a stopped run leaves no folder, and the set-aside copy,
                    # which recover_folder puts back
                    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
                    os.rmdir(old)
                    os.rename(out, old)
                    os.rename(tmp, out)
                    tmp = old
            else:
                os.rename(tmp, out)
                tmp = None  # type: ignore[assignment]
        except OSError as exc:
            if tmp is not None and tmp.exists():
                recover_folder(out, names)
            raise OutputError(f"cannot write the run folder: {exc.strerror or exc}", path=out,
                              hint="free some disk space (or choose a writable --out) and run again; "
                              "the previous reports are as they were") from exc
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return [out / name for name in files]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_folder(path: str | Path, error: type[WisdomsError]) -> None:
    """Check that a folder written by :func:`write_folder` still holds exactly the files it was written with.

    A folder without a record (written before records existed) passes; a file changed since it was written
    is logged (a hand edit is the user's to make).

    Raises:
        error: The folder is missing because a writer stopped while swapping it, its record is damaged, or a
            recorded file is missing, naming the file.
    """
    path = Path(path)
    if not path.is_dir() and any(p.name.split(".")[-1].startswith("old-") for p in _leftovers(path)):
        raise error("the folder is missing: a run was stopped while replacing it", path=path,
                    hint="run 'wisdoms run' again with this --out (the previous reports are restored first)")
    try:
        record = json.loads((path / FOLDER_RECORD).read_text(encoding="utf-8"))["files"]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise error(f"the folder's record {FOLDER_RECORD} is damaged ({exc})", path=path / FOLDER_RECORD,
                    hint="run 'wisdoms run' again with this --out") from exc
    for name, digest in sorted(record.items()):
        target = path / name
        if not target.is_file():
            raise error(f"{name} is missing from the folder (it was written with it)", path=target,
                        hint="run 'wisdoms run' again with this --out; do not move files in or out of a run folder")
        if sha256_file(target) != digest:
            # Hand edits are the user's to make; say so, in case it was a file copied from another run.
            log.warning("%s was changed since it was written (or copied from another run)", target)


@contextmanager
def read_errors_as(path: str | Path, error: type[WisdomsError]) -> Iterator[None]:
    """Turn a UnicodeDecodeError (a file not in UTF-8) or a YAML syntax error while reading ``path`` into
    ``error`` naming the line."""
    import yaml

    try:
        yield
    except UnicodeDecodeError as exc:
        data = exc.object if isinstance(exc.object, (bytes, bytearray)) else b""
        line = bytes(data[: exc.start]).count(b"\n") + 1 if data else None
        raise error(f"not UTF-8 text (byte 0x{data[exc.start]:02X} cannot be read)" if data else "not UTF-8 text",
                    path=path, line=line,
                    hint="save the file as UTF-8 (in Excel: 'CSV UTF-8'; in a text editor: encoding UTF-8)") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"not valid YAML: {problem}", path=path, line=mark.line + 1 if mark else None,
                    hint="fix the line (a text editor shows it), or write the file again") from exc


def clear_read_errors(error: type[WisdomsError]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a reader whose first argument is the path: a file that is not UTF-8, or not YAML where
    YAML is read, raises ``error`` naming the line (see :func:`read_errors_as`), not a traceback."""
    def decorate(reader: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(reader)
        def read(path: Any, *args: Any, **kwargs: Any) -> Any:
            with read_errors_as(path, error):
                return reader(path, *args, **kwargs)
        return read
    return decorate
