"""Read back a run folder (``themes.json``, ``passages.csv``, ``manifest.json``) and, on request, its inputs.

Exports that need the transcripts themselves (REFI-QDA) re-read them from the folder the manifest names
and check each file's SHA-256 against the manifest, so an export never pairs old offsets with changed text.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import sha256_file
from .._tables import GuardedDictReader
from ..errors import RunFolderError, WisdomsError

log = logging.getLogger(__name__)

REQUIRED = ("themes.json", "passages.csv", "manifest.json")


@dataclass
class RunFolder:
    """A run's outputs as written.

    Attributes:
        path: The run folder.
        themes: The ``themes.json`` document.
        passages: ``passages.csv`` rows (``start``/``end`` as ints).
        manifest: The ``manifest.json`` document.
    """

    path: Path
    themes: dict[str, Any]
    passages: list[dict[str, Any]]
    manifest: dict[str, Any]


def read_run_folder(run_dir: str | Path) -> RunFolder:
    """Read a run folder's outputs.

    Raises:
        RunFolderError: The folder or one of its files is missing or unreadable.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise RunFolderError("run folder not found", path=path, hint="pass the --out folder of 'wisdoms run'")
    for name in REQUIRED:
        if not (path / name).is_file():
            raise RunFolderError(f"{name} is missing from the run folder", path=path / name,
                                 hint="pass a folder written by 'wisdoms run' (it holds themes.json, passages.csv, manifest.json)")
    docs = {}
    for name in ("themes.json", "manifest.json"):
        try:
            docs[name] = json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RunFolderError(f"cannot read {name}: {exc}", path=path / name,
                                 hint="re-run 'wisdoms run' to write it again") from exc
    rows = []
    with open(path / "passages.csv", encoding="utf-8", newline="") as fh:
        for i, row in enumerate(GuardedDictReader(fh), start=2):
            try:
                row["start"], row["end"] = int(row["start"]), int(row["end"])
            except (KeyError, TypeError, ValueError) as exc:
                raise RunFolderError(f"passages.csv row has no whole-number start/end: {exc}",
                                     path=path / "passages.csv", line=i) from exc
            rows.append(row)
    return RunFolder(path=path, themes=docs["themes.json"], passages=rows, manifest=docs["manifest.json"])


def _resolve(recorded: str | None, override: str | Path | None, run_dir: Path) -> Path | None:
    if override is not None:
        return Path(override)
    if not recorded:
        return None
    candidate = Path(recorded)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    beside = run_dir.parent / recorded
    return beside if beside.exists() else candidate


def read_inputs(run: RunFolder, *, transcripts: str | Path | None = None, codebook: str | Path | None = None) -> tuple[list[Any], Any]:
    """Re-read the run's transcripts and codebook, checking their hashes against the manifest.

    Args:
        run: The run folder.
        transcripts: Transcripts folder, if not where the manifest says.
        codebook: Codebook file, if not where the manifest says.

    Raises:
        RunFolderError: An input is missing or differs from the one the run read.
    """
    from ..codebook import load_codebook
    from ..ingest import read_folder

    inputs = run.manifest.get("inputs") or {}
    folder = _resolve(inputs.get("transcripts_folder"), transcripts, run.path)
    if folder is None or not folder.is_dir():
        raise RunFolderError("the transcripts folder the run read is not there", path=folder or run.path / "manifest.json",
                             hint="pass --transcripts FOLDER (the folder given to 'wisdoms run')")
    try:
        docs = read_folder(folder)
    except WisdomsError as exc:
        raise RunFolderError(f"cannot re-read the transcripts: {exc.message}", path=exc.path, line=exc.line, hint=exc.hint) from exc
    recorded = {t["id"]: t["sha256"] for t in inputs.get("transcripts", [])}
    found = {t.id: t.sha256 for t in docs}
    for tid, digest in recorded.items():
        if tid not in found:
            raise RunFolderError(f"transcript {tid} from the run is no longer in the folder", path=folder / tid,
                                 hint="restore it, or re-run 'wisdoms run' and export the new run")
        if found[tid] != digest:
            raise RunFolderError(f"transcript {tid} changed since the run (sha256 {found[tid][:12]}, run read {digest[:12]})",
                                 path=folder / tid, hint="re-run 'wisdoms run' on the changed transcripts, then export the new run")
    extra = sorted(set(found) - set(recorded))
    if extra:
        log.info("ignoring %d transcripts added since the run: %s", len(extra), ", ".join(extra))
    book_info = inputs.get("codebook") or {}
    book_path = _resolve(book_info.get("path"), codebook, run.path)
    if book_path is None or not book_path.is_file():
        raise RunFolderError("the codebook the run used is not there", path=book_path or run.path / "manifest.json",
                             hint="pass --codebook FILE (the codebook given to 'wisdoms run')")
    if book_info.get("sha256") and sha256_file(book_path) != book_info["sha256"]:
        raise RunFolderError("the codebook changed since the run", path=book_path,
                             hint="re-run 'wisdoms run' with the new codebook, then export the new run")
    return [t for t in docs if t.id in recorded], load_codebook(book_path)
