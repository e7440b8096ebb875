"""Limits on what one input may ask of the machine, each with a setting to raise it.

A 1.2 MB ``.docx`` or ``.qdpx`` can hold a member that unpacks to 1 GiB (2.1 GB of memory to open), and a
workbook of a million rows reached 6.1 GB before the first theme. Each limit is an environment variable
(so it reaches every reader and the CLI alike), read when it is checked:

- ``WISDOMS_MAX_ARCHIVE_MB``: what a ``.docx``, ``.xlsx`` or ``.qdpx`` may unpack to, in MB (default 256).
- ``WISDOMS_MAX_ARCHIVE_MEMBERS``: files in one such archive (default 10,000).
- ``WISDOMS_MAX_ROWS``: rows of one spreadsheet of answers (default 500,000).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from .errors import SettingsError, WisdomsError

DEFAULTS = {"WISDOMS_MAX_ARCHIVE_MB": 256, "WISDOMS_MAX_ARCHIVE_MEMBERS": 10_000, "WISDOMS_MAX_ROWS": 500_000}


def limit(name: str) -> int:
    """The limit ``name`` (one of :data:`DEFAULTS`): the environment's value, else the default.

    Raises:
        SettingsError: The variable is set to something that is not a whole number above zero.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return DEFAULTS[name]
    try:
        value = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} is not a whole number above zero",
                            hint=f"unset it (default {DEFAULTS[name]:,}) or set a larger whole number")
    return value


def check_archive(path: str | Path, error: type[WisdomsError], *, zf: zipfile.ZipFile | None = None) -> None:
    """Refuse a zip-based file (``.docx``, ``.xlsx``, ``.qdpx``) that would unpack to more than the limits.

    Sizes come from the archive's directory; Python's zip reader never unpacks a member past its stated
    size, so they bound what opening it can take. A file that is not a zip is left to its reader.

    Raises:
        error: Too many members, or too much unpacked, naming the largest member and the setting.
    """
    path = Path(path)
    try:
        archive = zf or zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    try:
        members = archive.infolist()
    finally:
        if zf is None:
            archive.close()
    most = limit("WISDOMS_MAX_ARCHIVE_MEMBERS")
    if len(members) > most:
        raise error(f"the archive holds {len(members):,} files, more than the {most:,} allowed", path=path,
                    hint="if it is genuine, set WISDOMS_MAX_ARCHIVE_MEMBERS to a larger number and run again")
    total = sum(m.file_size for m in members)
    mb = limit("WISDOMS_MAX_ARCHIVE_MB")
    if total > mb * 1_000_000:
        largest = max(members, key=lambda m: m.file_size)
        raise error(f"the file unpacks to {total / 1e6:,.0f} MB ({largest.filename!r} alone is "
                    f"{largest.file_size / 1e6:,.0f} MB), more than the {mb:,} MB allowed", path=path,
                    hint="if it is genuine, set WISDOMS_MAX_ARCHIVE_MB to a larger number and run again")
