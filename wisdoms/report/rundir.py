"""Read back a run folder (``themes.json``, ``passages.csv``, ``manifest.json``) and, on request, its inputs.

Exports that need the transcripts themselves (REFI-QDA) re-read them from the folder the manifest names
and check each file's SHA-256 against the manifest, so an export never pairs old offsets with changed text.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import check_folder
from .._tables import GuardedDictReader
from ..errors import RunFolderError

if TYPE_CHECKING:  # pragma: no cover
    from ..results import Analysis

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
        RunFolderError: The folder or one of its files is missing or unreadable, or a file is not the one
            the run wrote (changed, or left by another run).
    """
    path = Path(run_dir)
    check_folder(path, RunFolderError)  # a folder a stopped or second run left mixed is refused
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


def run_folder_of(analysis: Analysis) -> RunFolder:
    """An analysis in hand as the run folder ``wisdoms run`` would write for it, nothing written or read:
    ``themes.json``, ``passages.csv`` and ``manifest.json`` as their writers make them (so a panel pack or an
    export made from a notebook's analysis is the one made from its run folder)."""
    import io

    from ..results import manifest_json
    from .contract import passages_csv, themes_document

    rows = []
    for row in GuardedDictReader(io.StringIO(passages_csv(analysis), newline="")):
        row["start"], row["end"] = int(row["start"]), int(row["end"])
        rows.append(row)
    return RunFolder(path=analysis.out_dir or Path("analysis"), themes=themes_document(analysis), passages=rows,
                     manifest=json.loads(manifest_json(analysis)))


def printed_codebook(run: RunFolder) -> Any:
    """The codebook wording a run's outputs print, as its ``themes.json`` records it (the codebook's name, and
    each code's id and name: coverage, theme codes, a theme named after its code), with the manifest's path
    for the codebook file: what :func:`wisdoms.privacy.release.release` checks as the team's wording for an
    output made from the run folder alone (a panel pack), without re-reading the codebook."""
    from ..codebook import Codebook
    from ..models import Code

    book = run.themes.get("codebook") or {}
    names: dict[str, str] = {}
    for entry in [*(book.get("coverage") or []), *(c for t in run.themes.get("themes") or [] for c in t.get("codes") or [])]:
        if isinstance(entry, dict) and entry.get("id"):
            names.setdefault(str(entry["id"]), str(entry.get("name") or ""))
    path = ((run.manifest.get("inputs") or {}).get("codebook") or {}).get("path")
    return Codebook(codes=tuple(Code(cid, name, "") for cid, name in names.items()), name=str(book.get("name") or ""),
                    path=str(path) if path else None)


def read_inputs(run: RunFolder, *, transcripts: str | Path | None = None, codebook: str | Path | None = None) -> tuple[list[Any], Any]:
    """Re-read the run's transcripts and codebook, checking their hashes against the manifest
    (:func:`wisdoms.results.read_run_inputs`).

    Args:
        run: The run folder.
        transcripts: Transcripts folder, if not where the manifest says.
        codebook: Codebook file, if not where the manifest says.

    Raises:
        RunFolderError: An input is missing or differs from the one the run read.
    """
    from ..results import read_run_inputs

    return read_run_inputs(run.manifest, run.path, transcripts=transcripts, codebook=codebook)


def suggestions_of(analysis: Analysis) -> tuple[list[Any], dict[str, Any]]:
    """Suggested codes for the uncovered themes of an analysis (:func:`wisdoms.report.view.code_suggestions`),
    and facts about its run: ``run`` (its folder), ``date``, ``draft`` (whether the run was a private draft,
    its quotes not cleared by the privacy gate: it left ``NOT-FOR-SHARING.txt`` in its folder)."""
    from .view import code_suggestions

    folder = analysis.out_dir
    facts = {"run": str(folder or "analysis"), "date": analysis.provenance.created[:10],
             "draft": folder is not None and (Path(folder) / "NOT-FOR-SHARING.txt").exists()}
    return code_suggestions(analysis), facts


def suggestions_from_run_folder(run_dir: Any) -> tuple[list[Any], dict[str, Any]]:
    """Suggested codes for a run folder's uncovered themes, from ``themes.json`` and ``passages.csv``.

    Returns:
        The suggestions, and facts about the run (``run``, ``date``, ``draft``: whether the run was a
        private draft whose quotes the privacy gate has not cleared).

    Raises:
        RunFolderError: The run folder is incomplete or unreadable.
    """
    from ..codebook import load_codebook
    from ..codebook.coverage import suggest_codes
    from ..errors import WisdomsError
    from ..models import Passage
    from ..results import ANALYSIS_FILE, PanelDecisions, load_saved
    from .language import find_deficit_language

    run = read_run_folder(run_dir)
    if (run.path / ANALYSIS_FILE).is_file():  # the passages and themes as the run made them, typed
        saved = load_saved(run.path)
        passages, themes = saved.passages, saved.themes
    else:  # a run folder written before analysis.json was: its passages' turns are not known, nor needed here
        passages = [Passage(id=r["passage"], transcript=r["transcript"], participant=r["participant"],
                            start=r["start"], end=r["end"], text=r["text"], turn=-1) for r in run.passages]
        themes = _themes_of_document(run.themes, passages)
    book_path = ((run.manifest.get("inputs") or {}).get("codebook") or {}).get("path")
    try:
        book = load_codebook(book_path) if book_path else None
    except WisdomsError:
        book = None
    if book is None:  # ids and names then only avoid the codes the run recorded
        from ..codebook import Codebook
        from ..models import Code

        recorded = (run.themes.get("codebook") or {}).get("coverage", [])
        book = Codebook(codes=tuple(Code(id=c["id"], name=c["name"], definition="-") for c in recorded))
    from ..models import CitationSet

    recorded = PanelDecisions.from_manifest(run.manifest)
    flagged = CitationSet(recorded.flagged) if recorded else CitationSet()
    suggestions = suggest_codes(themes, passages, book, screen=find_deficit_language, exclude=flagged)
    facts = {"run": str(run.path), "date": str(run.manifest.get("created") or "")[:10],
             "draft": bool(run.themes.get("draft")) or (run.path / "NOT-FOR-SHARING.txt").exists(),
             "manifest": run.manifest}
    return suggestions, facts


def _themes_of_document(document: dict[str, Any], passages: list[Any]) -> list[Any]:
    """The themes of a ``themes.json`` document (for run folders without ``analysis.json``)."""
    from ..models import Evidence, Match, Quote, SubTheme, Theme

    at = {(p.transcript, p.start, p.end): p.id for p in passages}
    themes = []
    for t in document.get("themes", []):
        quotes = tuple(Quote(transcript=q["transcript"], participant=q["participant"], start=q["start"], end=q["end"],
                             text=q["text"], passage=at.get((q["transcript"], q["start"], q["end"]), ""))
                       for q in t.get("quotes", []))
        codes = tuple(Match(target="theme", target_id=str(t["id"]), code=m["id"], score=float(m.get("score", 0)),
                            evidence=Evidence.of(m.get("evidence_detail") or str(m.get("evidence", "")), m["id"]),
                            assigned=True) for m in t.get("codes", []))
        themes.append(Theme(id=int(t["id"]), label=t["label"], keywords=tuple(t.get("keywords", ())),
                            passage_ids=tuple(t.get("passage_ids", ())), participants=int(t.get("participants", 0)),
                            participant_ids=(tuple(t["participant_ids"]) if isinstance(t.get("participant_ids"), list)
                                             else None), touched_by=t.get("touched_by"),
                            status=t.get("status", "candidate"), quotes=quotes, codes=codes,
                            title_source=str(t.get("title_source") or "quote"),
                            fitted_label=str(t.get("fitted_label") or ""),
                            subthemes=tuple(SubTheme(id=int(st["id"]), label=str(st.get("label", "")), passage_ids=(),
                                                     participants=int(st.get("participants", 0)),
                                                     keywords=tuple(st.get("keywords", ())))
                                            for st in t.get("subthemes", []) if isinstance(st, dict) and "id" in st)))
    return themes
