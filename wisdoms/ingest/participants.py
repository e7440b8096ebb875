"""Folder-level files beside the transcripts: ``speakers.yaml`` and ``participants.csv``.

``speakers.yaml`` says who is who, for every file in its folder (and the folders below it) or for one
file::

    speakers:                      # every file here
      Jo Bloggs: interviewer
      Sam Smith: {role: participant, id: P07}
    files:                         # one file (path relative to this folder)
      group-session.vtt:
        speakers: {Speaker 1: interviewer}
      survey.xlsx:
        id_column: Respondent
        text_columns: [What helped?, What would you change?]

``participants.csv`` gives each participant's attributes (the equalities data): a ``participant``
(or ``id``) column, then any columns the user likes (area, age band, gender, housing ...).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ..errors import TranscriptError
from ..models import Transcript
from .speakers import FileOptions, parse_rules
from .text import decode, load_yaml_text, page_breaks_as_lines

log = logging.getLogger(__name__)

SPEAKERS_FILE = "speakers.yaml"
PARTICIPANTS_FILE = "participants.csv"
_ID_HEADERS = ("participant", "participant_id", "participant id", "id", "pid")


@dataclass(frozen=True)
class FolderIssues:
    """Problems found across files: ``errors`` stop an analysis, ``warnings`` are shown."""

    errors: tuple[TranscriptError, ...] = ()
    warnings: tuple[TranscriptError, ...] = ()


def options_for(path: Path, root: Path) -> FileOptions:
    """The options for one file from every ``speakers.yaml`` between ``root`` and its folder.

    A nearer ``speakers.yaml`` wins over one further up; a ``files:`` entry wins over ``speakers:``.

    Raises:
        TranscriptError: A ``speakers.yaml`` is not valid YAML or not of the documented shape.
    """
    rules: dict = {}
    id_column: str | None = None
    text_columns: tuple[str, ...] = ()
    sources: list[str] = []
    folder = path.parent
    chain = [folder, *folder.parents]
    root = root.resolve()
    for directory in reversed([d for d in chain if d.resolve() == root or root in d.resolve().parents]):
        spec_path = directory / SPEAKERS_FILE
        if not spec_path.is_file():
            continue
        spec = _load_speakers_yaml(spec_path)
        rules.update(parse_rules(spec.get("speakers"), path=spec_path, line=None, where="invalid speakers.yaml"))
        entry = (spec.get("files") or {}).get(path.relative_to(directory).as_posix())
        if entry is not None:
            if not isinstance(entry, dict):
                raise TranscriptError(
                    f"invalid speakers.yaml: the entry for {path.name!r} must be a mapping",
                    path=spec_path,
                    hint="e.g. 'files: {interview.vtt: {speakers: {Speaker 1: interviewer}}}'",
                )
            where = f"invalid speakers.yaml (files: {path.name})"
            rules.update(parse_rules(entry.get("speakers"), path=spec_path, line=None, where=where))
            id_column = str(entry["id_column"]) if entry.get("id_column") else id_column
            if entry.get("text_columns"):
                columns = entry["text_columns"]
                text_columns = tuple(str(c) for c in (columns if isinstance(columns, list) else [columns]))
        sources.append(spec_path.as_posix())
    return FileOptions(speakers=rules, id_column=id_column, text_columns=text_columns, source=", ".join(sources))


def _load_speakers_yaml(spec_path: Path) -> dict:
    text, _encoding = decode(spec_path.read_bytes(), spec_path)
    try:
        spec = load_yaml_text(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TranscriptError(
            f"invalid speakers.yaml: {getattr(exc, 'problem', None) or exc}",
            path=spec_path,
            line=mark.line + 1 if mark is not None else None,
            hint="write it as in the documentation: 'speakers: {Jo: interviewer}' and 'files: {...}'",
        ) from exc
    unknown = sorted(set(spec) - {"speakers", "files"}) if isinstance(spec, dict) else ["(not a mapping)"]
    if unknown or not isinstance(spec, dict):
        raise TranscriptError(
            f"invalid speakers.yaml: unknown top-level key(s) {', '.join(map(str, unknown))}",
            path=spec_path,
            hint="use 'speakers:' (every file) and 'files:' (one file); put speaker labels under 'speakers:'",
        )
    return spec


def load_participants(path: Path) -> dict[str, tuple[int, dict[str, str]]]:
    """Participant id -> (row, attributes) from a ``participants.csv``.

    Raises:
        TranscriptError: No id column, an empty id, or a duplicate participant id (naming both rows).
    """
    text, _encoding = decode(path.read_bytes(), path, keep_breaks=True)  # a line break would split its row
    rows = [[page_breaks_as_lines(c) for c in r] for r in csv.reader(io.StringIO(text, newline=""))]
    header = [h.strip() for h in rows[0]] if rows else []
    lowered = [h.lower() for h in header]
    id_col = next((lowered.index(h) for h in _ID_HEADERS if h in lowered), None)
    if id_col is None:
        raise TranscriptError(
            f"no participant id column in the header (found {', '.join(repr(h) for h in header)})",
            path=path,
            line=1,
            hint="name the first column 'participant' and put the participant ids (P01, P02 ...) in it",
        )
    table: dict[str, tuple[int, dict[str, str]]] = {}
    for row_no, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        cells = [*row, *[""] * (len(header) - len(row))]
        pid = cells[id_col].strip()
        if not pid:
            raise TranscriptError(f"row {row_no}: empty participant id", path=path, line=row_no,
                                  hint="fill in the id, or delete the row")
        if pid in table:
            raise TranscriptError(
                f"row {row_no}: duplicate participant id {pid!r} (first in row {table[pid][0]})",
                path=path,
                line=row_no,
                hint="keep one row per participant; if these are two people, give them different ids",
            )
        attributes = {header[i]: cells[i].strip() for i in range(len(header))
                      if i != id_col and header[i] and cells[i].strip()}
        table[pid] = (row_no, attributes)
    return table


def apply_participants(transcripts: list[Transcript], root: Path) -> tuple[list[Transcript], FolderIssues]:
    """Add ``participants.csv`` attributes to the transcripts and check participants across files.

    Returns:
        The transcripts (with attributes merged; front matter wins where both give a value) and the
        issues: a broken ``participants.csv``, and one participant id with conflicting attributes in
        two files, are errors; attributes for participants no transcript mentions, and one id in
        several files, are warnings.
    """
    errors: list[TranscriptError] = []
    warnings: list[TranscriptError] = []
    csv_path = Path(root) / PARTICIPANTS_FILE
    table: dict[str, tuple[int, dict[str, str]]] = {}
    if csv_path.is_file():
        try:
            table = load_participants(csv_path)
        except TranscriptError as exc:
            errors.append(exc)
    merged: list[Transcript] = []
    for transcript in transcripts:
        people: dict[str, Mapping[str, str]] = {}
        for pid, attrs in transcript.participants.items():
            extra = table.get(pid, (0, {}))[1]
            for key, value in extra.items():
                if key in attrs and attrs[key] != value:
                    warnings.append(TranscriptError(
                        f"participant {pid}: {key} is {attrs[key]!r} here but {value!r} in {PARTICIPANTS_FILE} "
                        f"(row {table[pid][0]}); using {attrs[key]!r}",
                        path=transcript.path,
                        hint="make the two agree",
                    ))
            people[pid] = {**extra, **attrs}
        merged.append(replace(transcript, participants=people) if table else transcript)
    mentioned = {pid for t in merged for pid in t.participants}
    unknown = [(row, pid) for pid, (row, _a) in table.items() if pid not in mentioned]
    if unknown:
        listed = ", ".join(f"{pid} (row {row})" for row, pid in sorted(unknown))
        warnings.append(TranscriptError(
            f"attributes for unknown participants: {listed} speak in no transcript",
            path=csv_path,
            line=sorted(unknown)[0][0],
            hint="check the ids match the transcripts (spelling, leading zeros), or remove the rows",
        ))
    errors.extend(_shared_ids(merged, warnings))
    return merged, FolderIssues(tuple(errors), tuple(warnings))


def _shared_ids(transcripts: list[Transcript], warnings: list[TranscriptError]) -> list[TranscriptError]:
    first: dict[str, Transcript] = {}
    errors: list[TranscriptError] = []
    for transcript in transcripts:
        for pid, attrs in transcript.participants.items():
            earlier = first.setdefault(pid, transcript)
            if earlier is transcript:
                continue
            before = earlier.participants[pid]
            clash = sorted(k for k in set(attrs) & set(before) if attrs[k] != before[k])
            if clash:
                key = clash[0]
                errors.append(TranscriptError(
                    f"duplicate participant id {pid!r}: {key} is {before[key]!r} in {earlier.id} but "
                    f"{attrs[key]!r} here",
                    path=transcript.path,
                    hint="if these are two people give them different ids; if one person, make the "
                    "attributes agree",
                ))
            else:
                warnings.append(TranscriptError(
                    f"participant id {pid!r} also speaks in {earlier.id}; taken as the same person",
                    path=transcript.path,
                    hint="if these are two different people, give them different ids",
                ))
    return errors
