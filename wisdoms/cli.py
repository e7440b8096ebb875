"""The ``wisdoms`` command: parses arguments, sets up logging and progress, calls one function.

Heavy libraries (torch, BERTopic, UMAP, spaCy) are imported only inside the commands that need them,
so ``wisdoms --help`` and ``wisdoms check`` start fast.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import PanelError, WisdomsError

if TYPE_CHECKING:
    from .codebook import Answer
    from .settings import Settings

log = logging.getLogger("wisdoms")

#: Each entry adds one sub-command to the parser; modules register theirs in :func:`build_parser`.
Command = Callable[[argparse.Namespace], int]


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="turn a folder of transcripts into a quote-backed theme report",
        description="Read transcripts, split participants' words into passages, embed them (cached), "
        "find candidate themes with BERTopic, match them to the codebook and write the reports.",
    )
    p.add_argument("transcripts", nargs="?", default="transcripts", help="transcripts folder (default: transcripts/)")
    p.add_argument("--codebook", default=None,
                   help="codebook file (default: the project's codebook/codebook.yaml beside the transcripts folder, "
                        "in it or its parent, if there is one); 'none': run without one. Without a codebook, themes "
                        "are found and named inductively and a starter codebook is drafted beside the report")
    p.add_argument("--out", default=None, help="output folder (default: reports/<timestamp>/)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: 42)")
    p.add_argument("--settings", default=None, help="YAML file of settings to override the defaults")
    p.add_argument("--cache-dir", default=None, help="embedding cache folder (default: ~/.cache/wisdoms)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786): segment and embed on its workers")
    p.add_argument(
        "--allow-unreviewed",
        action="store_true",
        help="private drafts only: write quotes the privacy gate has not cleared, every page stamped NOT FOR SHARING",
    )
    p.add_argument("--decisions", default=None, help="panel decisions file to apply (from 'wisdoms panel import')")
    p.add_argument(
        "--refit",
        action="store_true",
        help="fit themes afresh instead of carrying over an earlier run's themes to the new passages",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="stop if any transcript cannot be read (default: go on without it, list it, and exit with status 3)",
    )
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import run
    from .settings import Settings

    settings = Settings.from_file(args.settings) if args.settings else Settings()
    settings = settings.with_overrides(seed=args.seed, cache_dir=args.cache_dir, scheduler=args.scheduler)
    from .privacy.project import ProjectPrivacy

    if Path(args.transcripts).is_dir():  # found from the transcripts folder, whatever the working directory
        print(ProjectPrivacy.find(args.transcripts).summary())
    analysis = run(
        args.transcripts, codebook=args.codebook, out=args.out, settings=settings,
        allow_unreviewed=args.allow_unreviewed, decisions=args.decisions, progress=_progress(args),
        refit=args.refit, strict=args.strict,
    )
    s = analysis.summary()
    print(f"{_theme_count(analysis)} from {s['passages']} passages "
          f"({s['participants']} participants, {s['unassigned']} passages not yet in a theme, "
          f"{s['content_free']} content-free: fillers, greetings, talk about the interview).")
    unread = analysis.provenance.inputs.unread
    if unread:
        print(f"Partial run: {len(unread)} file{'s' if len(unread) != 1 else ''} not read (listed in the report "
              "and manifest.json; 'wisdoms check' says what to do; --strict stops instead):")
        for u in unread:
            print(f"  - {u.id}: {u.reason}")
    fit = analysis.manifest.get("codebook_fit") or {}
    if fit.get("summary") or fit.get("note"):
        print(f"Codebook check: {fit.get('summary') or fit['note']}")
    starter = Path(str(analysis.out_dir), "starter-codebook.yaml")
    if not analysis.codebook.codes and starter.is_file():
        print(f"No codebook given: themes were found inductively; starter codebook drafted from them: {starter}")
        if args.codebook is None:  # not '--codebook none': say where a codebook may be waiting unused
            from ._files import shown
            from .codebook.formats import codebooks_beside

            for book in codebooks_beside(args.transcripts):
                print(f"  A codebook file is beside the transcripts but was not used (a run looks for "
                      f"codebook/codebook.yaml only): {shown(book)}; to use it: --codebook {shown(book)}")
    print(f"Report: {Path(str(analysis.out_dir), 'report.html')}")
    return PARTIAL if unread else 0


#: Exit status of a run that went on without some files it could not read.
PARTIAL = 3


def _add_watch(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "watch",
        help="run, then run again whenever a transcript is added, changed or removed",
        description="Run the analysis once, then watch the transcripts folder (and the codebook, settings and "
        "decisions files) and run it again after every change, in this process, writing the same output "
        "folder. Staying loaded, a re-run after one more conversation takes seconds. Ctrl-C stops.",
    )
    p.add_argument("transcripts", nargs="?", default="transcripts", help="transcripts folder (default: transcripts/)")
    p.add_argument("--codebook", default=None,
                   help="codebook file (default: the project's codebook/codebook.yaml beside the transcripts folder if "
                        "there is one, else none: themes found inductively); 'none': run without one")
    p.add_argument("--out", default="reports/watch", help="output folder every run rewrites (default: reports/watch/)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: 42)")
    p.add_argument("--settings", default=None, help="YAML file of settings to override the defaults (watched too)")
    p.add_argument("--cache-dir", default=None, help="embedding cache folder (default: ~/.cache/wisdoms)")
    p.add_argument("--allow-unreviewed", action="store_true",
                   help="private drafts only: write quotes the privacy gate has not cleared, every page stamped NOT FOR SHARING")
    p.add_argument("--decisions", default=None, help="panel decisions file to apply (watched too)")
    p.add_argument("--runs", type=int, default=None, help=argparse.SUPPRESS)  # stop after N runs (tests, benchmarks)
    p.set_defaults(func=_cmd_watch)


def _cmd_watch(args: argparse.Namespace) -> int:
    import time

    from .watch import watch

    def said(result) -> None:  # noqa: ANN001
        clock = time.strftime("%H:%M:%S")
        what = "; ".join(result.changes) + " -> " if result.changes else ""
        if result.error:
            print(f"[{clock}] {what}run {result.number} failed ({result.seconds:.1f} s): {result.error}", file=sys.stderr)
            kept = Path(args.out, "report.html").is_file() and result.number > 1
            print(f"[{clock}] still watching {args.transcripts}: fix it and save, and the next run starts"
                  + (f"; until then {args.out} holds an earlier run's reports (see NOT-CURRENT.txt there)" if kept else ""),
                  flush=True)
            return
        s = result.analysis.summary()
        print(f"[{clock}] {what}run {result.number}: {_theme_count(result.analysis)} from {s['passages']} passages "
              f"({s['participants']} participants) in {result.seconds:.1f} s", flush=True)
        for u in result.analysis.provenance.inputs.unread:
            print(f"[{clock}]   not read, the run went on without it: {u.id}: {u.reason}", flush=True)
        if result.number == 1:
            print(f"Report: {Path(result.analysis.out_dir, 'report.html')} (rewritten after every change)", flush=True)

    def ready() -> None:
        print(f"[{time.strftime('%H:%M:%S')}] watching {args.transcripts} for changes; Ctrl-C stops", flush=True)

    try:
        failed = watch(args.transcripts, out=args.out, codebook=args.codebook, settings_file=args.settings,
                       overrides={"seed": args.seed, "cache_dir": args.cache_dir},
                       allow_unreviewed=args.allow_unreviewed, decisions=args.decisions, progress=_progress(args),
                       on_run=said, on_ready=ready, max_runs=args.runs)
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
        return 0
    return 1 if failed and args.runs else 0


def _theme_count(analysis) -> str:  # noqa: ANN001
    """"19 candidate themes", or after panel verdicts "19 themes: 12 candidate, 4 validated, 3 renamed"."""
    from collections import Counter

    statuses = Counter(t.status for t in analysis.themes)
    total = sum(statuses.values())
    noun = "theme" if total == 1 else "themes"
    if set(statuses) <= {"candidate"}:
        return f"{total} candidate {noun}"
    return f"{total} {noun}: " + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="read a transcripts folder and report what each file holds, before analysis",
        description="Read every transcript (text, Markdown, Word, WebVTT, SubRip, CSV, Excel) and print a "
        "table: file, format, participants, turns, participant words, warnings; then each file's speaker labels as "
        "written, the role (and participant id) given each, its turns and why. Exits 1 on any error.",
    )
    p.add_argument("transcripts", nargs="?", default="transcripts", help="transcripts folder (default: transcripts/)")
    p.set_defaults(func=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    from .ingest.check import check_folder

    report = check_folder(args.transcripts)
    print(report.render())
    return 0 if report.ok else 1


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a run to other software",
                       description="Export a run folder to qualitative data analysis software.")
    fmt = p.add_subparsers(dest="export_format", metavar="FORMAT", required=True)
    q = fmt.add_parser("qdpx", help="REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder",
                       description="Write the transcripts, codebook, themes, coded passages, participants (as cases "
                       "with variables) and panel notes as a REFI-QDA .qdpx project.")
    q.add_argument("run_dir", help="folder written by 'wisdoms run'")
    q.add_argument("--out", required=True, help="the .qdpx file to write")
    q.add_argument("--transcripts", default=None, help="transcripts folder, if not where the run manifest says")
    q.add_argument("--codebook", default=None, help="codebook file, if not where the run manifest says")
    q.add_argument("--decisions", default=None, help="panel decisions YAML: verdicts become notes on the theme codes, "
                   "withdrawn quotes are left uncoded, rejected/renamed/merged themes are marked")
    q.add_argument("--allow-unreviewed", action="store_true",
                   help="private drafts only: write even what the privacy gate has not cleared, stamped NOT FOR SHARING")
    q.add_argument("--positions", choices=("code-points", "utf-16"), default="code-points",
                   help="how selection positions are counted: code-points (the REFI-QDA standard; ATLAS.ti, MAXQDA, "
                   "QualCoder) or utf-16 (for NVivo, which counts UTF-16 units: otherwise its segments shift after "
                   "each emoji)")
    q.set_defaults(func=_cmd_export_qdpx)


def _cmd_export_qdpx(args: argparse.Namespace) -> int:
    from .report.qdpx import export_qdpx

    path = export_qdpx(args.run_dir, args.out, transcripts=args.transcripts, codebook=args.codebook,
                       decisions=args.decisions, allow_unreviewed=args.allow_unreviewed, positions=args.positions)
    print(f"Wrote {path}" + (" (positions in UTF-16 units, for NVivo)" if args.positions == "utf-16" else ""))
    return 0


def _add_panel(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("panel", help="co-production panel: theme cards out, verdicts in",
                       description="Make plain-language theme cards for a co-production panel, and record its verdicts.")
    cmds = p.add_subparsers(dest="panel_command", metavar="ACTION", required=True)
    pack = cmds.add_parser("pack", help="write theme cards (HTML, Word) and a response sheet (Excel, CSV)")
    pack.add_argument("run_dir", help="folder written by 'wisdoms run'")
    pack.add_argument("--out", required=True, help="folder for the pack")
    pack.add_argument("--large-print", action="store_true", help="large print: 18 pt cards and a bigger response sheet")
    pack.add_argument("--decisions", default=None, help="earlier decisions: leave out the quotes panels withdrew")
    pack.add_argument("--themes", default=None, metavar="ID,ID,...",
                      help="only these themes, in this order (theme numbers from the report)")
    pack.add_argument("--top", type=int, default=None, metavar="N",
                      help="only the N themes heard from the most participants")
    pack.add_argument("--allow-unreviewed", action="store_true",
                      help="private drafts only: write even what the privacy gate has not cleared, stamped NOT FOR SHARING")
    _add_run_inputs(pack)
    pack.set_defaults(func=_cmd_panel_pack)
    imp = cmds.add_parser("import", help="record a panel's filled-in response sheet in the decisions file")
    imp.add_argument("responses", help="the filled-in responses.xlsx or responses.csv")
    imp.add_argument("--panel", required=True, help="the panel's name")
    imp.add_argument("--date", required=True, help="the date the panel met, YYYY-MM-DD")
    imp.add_argument("--decisions", default="decisions.yaml", help="decisions file to add to (default: decisions.yaml)")
    imp.set_defaults(func=_cmd_panel_import)


def _add_run_inputs(p: argparse.ArgumentParser) -> None:
    """--transcripts and --codebook: where a run's inputs are now, when not where its manifest says."""
    p.add_argument("--transcripts", default=None, help="transcripts folder, if not where the run manifest says")
    p.add_argument("--codebook", default=None, help="codebook file, if not where the run manifest says")


def _load_analysis(args: argparse.Namespace):  # noqa: ANN202
    """The analysis saved in ``args.run_dir``, its transcripts and codebook re-read and checked (as a notebook's
    ``Analysis.load``); a folder a stopped or second run left mixed, or an input changed since, is refused."""
    from .results import Analysis

    return Analysis.load(args.run_dir, transcripts=args.transcripts, codebook=args.codebook)


def _cmd_panel_pack(args: argparse.Namespace) -> int:
    from .panel import make_pack

    themes = None
    if args.themes:
        try:
            themes = [int(part) for part in args.themes.replace(" ", "").split(",") if part]
        except ValueError:
            raise PanelError(f"--themes takes theme numbers separated by commas, not {args.themes!r}",
                             hint="e.g. --themes 3,5,8") from None
    written = make_pack(_load_analysis(args), args.out, large_print=args.large_print, decisions=args.decisions,
                        allow_unreviewed=args.allow_unreviewed, themes=themes, top=args.top)
    print(f"Wrote {len(written)} files to {args.out}: " + ", ".join(p.name for p in written))
    return 0


def _cmd_panel_import(args: argparse.Namespace) -> int:
    from .panel import import_responses

    document = import_responses(args.responses, panel=args.panel, date=args.date, decisions=args.decisions)
    entry = document["panels"][-1]
    outcomes: dict[str, int] = {}
    for v in entry["verdicts"]:
        outcomes[v["outcome"]] = outcomes.get(v["outcome"], 0) + 1
    print(f"Recorded {len(entry['verdicts'])} verdicts ({', '.join(f'{n} {k}' for k, n in sorted(outcomes.items())) or 'none'}) "
          f"and {len(entry['flagged_quotes'])} withdrawn quotes in {args.decisions}")
    return 0


def _progress(args: argparse.Namespace):  # noqa: ANN202
    """A progress reporter for interactive terminals; silent otherwise (CI, tests, pipes)."""
    if args.quiet or not sys.stderr.isatty():
        return None
    from .progress import RichProgress

    return RichProgress()


def _add_privacy(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("privacy", help="find identifiers, pseudonymise, sign quotes off",
                       description="The privacy gate: scan for identifiers, apply a reviewed pseudonymisation, sign quotes off.")
    psub = p.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)

    def columns(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--text-column", default="text", help="CSV column (JSONL field) holding the text (default: text)")
        parser.add_argument("--id-column", default="id", help="CSV column (JSONL field) holding the id (default: id; "
                            "without it, the line number)")
        parser.add_argument("--names", default=None, help="project name list (default: the project's "
                            "privacy/names.txt, found from the input's folder, not the working directory)")

    scan = psub.add_parser("scan", help="find identifiers in a transcripts folder or a CSV/JSONL of texts")
    scan.add_argument("input", help="transcripts folder, or a .csv (id,text) / .jsonl ({id, text}) file")
    scan.add_argument("--out", default=None, help="findings CSV; the terms sheet (one row per "
                      "distinct term), the sheet of every finding, an HTML view and a summary are written beside it "
                      "(default: findings.csv in the project's privacy/ folder, in or beside the input's folder)")
    columns(scan)
    scan.set_defaults(func=_cmd_privacy_scan)
    apply = psub.add_parser("apply", help="write a pseudonymised working copy from a decided review sheet; "
                            "sign off what was kept")
    apply.add_argument("review", help="the review sheet (.csv or .xlsx) with every decision filled in")
    apply.add_argument("input", help="what was scanned: the transcripts folder or the .csv/.jsonl file (never changed)")
    apply.add_argument("--out", required=True, help="the pseudonymised working copy: a new folder, or a new file "
                       "of the input's kind")
    apply.add_argument("--log", required=True, help="redaction log CSV, kept apart from outputs")
    apply.add_argument("--reviewer", default=None, help="who decided, for rows whose reviewer column is empty")
    apply.add_argument("--undecided", choices=("keep", "replace"), default=None,
                       help="terms sheet: decide every term left blank this way, in bulk")
    apply.add_argument("--signoffs", default=None, help="where the 'keep' decisions are signed off (default: the "
                       "project's privacy/signoffs.yaml, in or beside the input's folder)")
    columns(apply)
    apply.set_defaults(func=_cmd_privacy_apply)
    sign = psub.add_parser("sign-off", help="record that a quote, exactly as written, may be shared")
    sign.add_argument("--text", action="append", default=None, help="the quote text (repeat for several)")
    sign.add_argument("--from-review", default=None, metavar="SHEET",
                      help="sign off every 'keep' of a decided review sheet (with --input)")
    sign.add_argument("--input", default=None, help="the transcripts folder (or .csv/.jsonl) the text is in: its "
                      "project's sign-offs are used, and a --text found in it is signed off at its file and offsets")
    sign.add_argument("--by", default=None, help="the reviewer's name (with --from-review: for rows without one)")
    sign.add_argument("--note", default="", help="why it is safe to share")
    sign.add_argument("--signoffs", default=None, help="sign-off file (default: the project's privacy/signoffs.yaml, "
                      "found from --input)")
    columns(sign)
    sign.set_defaults(func=_cmd_privacy_sign_off)


def _cmd_privacy_scan(args: argparse.Namespace) -> int:
    from .privacy.detectors import Detector
    from .privacy.lexicon import NameList
    from .privacy.project import ProjectPrivacy
    from .privacy.scan import scan, summary_rows, write_outputs

    project = ProjectPrivacy.find(args.input)
    print(project.summary())
    names = NameList.load(args.names or project.names) if (args.names or project.names) else NameList()
    from .privacy.terms import group_terms

    result = scan(args.input, detector=Detector(names=names, allow=project.allow_terms()),
                  text_column=args.text_column, id_column=args.id_column)
    paths = write_outputs(result, args.out or project.folder / "findings.csv")
    for source, kind, count in summary_rows(result.findings):
        print(f"{source}\t{kind}\t{count}")
    terms = group_terms(result.findings)
    print(f"{len(result.findings)} findings in {len(result.texts)} texts: {len(terms)} distinct terms to review "
          f"({sum(t.ambiguous for t in terms)} both a name and a word, decided per occurrence). Decide them in "
          f"{paths['terms_xlsx']} (one decision per term), then 'wisdoms privacy apply'.")
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


def _privacy_signoffs(args: argparse.Namespace):  # noqa: ANN202
    """The detector (for its versions) and the sign-offs of the project the input belongs to (found from the
    input's folder, never the working directory), or of ``--signoffs``."""
    from .errors import PrivacyError
    from .privacy.detectors import Detector
    from .privacy.gate import SignOffs
    from .privacy.lexicon import NameList
    from .privacy.project import ProjectPrivacy

    project = ProjectPrivacy.find(args.input) if args.input else None
    if args.signoffs is None and project is None:
        raise PrivacyError("which project's sign-offs? Pass --input with the transcripts folder (its project's "
                           "privacy/signoffs.yaml is used) or --signoffs FILE",
                           hint="e.g. wisdoms privacy sign-off --input transcripts --text \"...\" --by NAME")
    if project is not None:
        print(project.summary())
    names_path = args.names or (project.names if project else None)
    detector = Detector(names=NameList.load(names_path) if names_path else NameList()).fit()
    args.signoffs = str(args.signoffs or project.signoffs)  # type: ignore[union-attr]
    signoffs = SignOffs.load(args.signoffs) if Path(args.signoffs).exists() else SignOffs(path=args.signoffs)
    return detector, signoffs


def _cmd_privacy_apply(args: argparse.Namespace) -> int:
    from .privacy.review import apply_review

    detector, signoffs = _privacy_signoffs(args)
    counts = apply_review(args.review, args.input, args.out, log_path=args.log, reviewer=args.reviewer,
                          text_column=args.text_column, id_column=args.id_column, signoffs=signoffs,
                          detector_version=detector.version, names_version=detector.names_version,
                          undecided=args.undecided)
    print(f"{counts['replaced']} spans replaced, {counts['kept']} kept, {counts['files']} file(s) in {args.out}; "
          f"redaction log: {args.log}; {counts['signed_off']} kept finding(s) signed off in {args.signoffs}")
    return 0


def _cmd_privacy_sign_off(args: argparse.Namespace) -> int:
    from .errors import PrivacyError

    if bool(args.text) == bool(args.from_review):
        raise PrivacyError("give either --text (a quote) or --from-review SHEET --input INPUT",
                           hint="e.g. wisdoms privacy sign-off --from-review privacy/findings-review.xlsx --input transcripts")
    if args.text and not args.by:
        raise PrivacyError("a sign-off needs the reviewer's name", hint="pass --by NAME")
    detector, signoffs = _privacy_signoffs(args)
    versions = {"detector_version": detector.version, "names_version": detector.names_version}
    if args.text:
        places = _text_places(args) if args.input else {}
        for text in args.text:
            bound = places.get(text, [])
            found: list[tuple[str | None, int | None]] = [(s, a) for s, a in bound] or [(None, None)]
            for source, start in found:
                signoffs = signoffs.add(text, by=args.by, note=args.note, source=source, start=start, **versions)
            where = (f" at {', '.join(f'{s}:{a}-{a + len(text)}' for s, a in bound)}" if bound
                     else " (its text, wherever it is: a file name, an id, or text not found in --input)")
            print(f"signed off{where}: {text[:60]!r}{'...' if len(text) > 60 else ''}")
        print(f"{len(args.text)} text(s) signed off in {signoffs.save(args.signoffs)}")
        return 0
    from .privacy.review import add_kept, read_review
    from .privacy.scan import read_texts

    if not args.input:
        raise PrivacyError("--from-review needs --input, the folder or file that was scanned", path=args.from_review)
    _items, texts = read_texts(args.input, text_column=args.text_column, id_column=args.id_column)
    signoffs, added = add_kept(signoffs, read_review(args.from_review), texts, review=args.from_review,
                               reviewer=args.by, **versions)
    print(f"{added} kept finding(s) signed off in {signoffs.save(args.signoffs)}")
    return 0


def _text_places(args: argparse.Namespace) -> dict[str, list[tuple[str, int]]]:
    """Where each ``--text`` stands in the ``--input`` folder: ``(file, offset)`` of every occurrence, so its
    sign-off is bound there (a table's rows are not bound: a text is signed off wherever it stands)."""
    from .privacy.scan import read_texts

    if not Path(args.input).is_dir():
        return {}
    _items, texts = read_texts(args.input, text_column=args.text_column, id_column=args.id_column)
    places: dict[str, list[tuple[str, int]]] = {}
    for wanted in args.text:
        for source, full in texts.items():
            at = full.find(wanted)
            while at >= 0 and wanted:
                places.setdefault(wanted, []).append((source, at))
                at = full.find(wanted, at + 1)
    return places


def _codebook_embed(args: argparse.Namespace):  # noqa: ANN202
    from .embed import EmbeddingCache, embed_texts, make_embedder
    from .settings import Settings

    settings = Settings.from_file(args.settings) if getattr(args, "settings", None) else Settings()
    folder = args.cache_dir or settings.resolved_cache_dir()
    # the encoder `wisdoms run` uses (settings.encoder: the int8 ONNX build on a CPU), so the two share the cache
    embedder = make_embedder(settings.model, encoder=settings.encoder, cache_dir=folder)
    cache = EmbeddingCache(folder)
    progress = _progress(args)

    def embed(texts):  # noqa: ANN001, ANN202
        texts = list(texts)
        if progress is None or len(texts) < 100:  # descriptors and decisions: a moment, no bar
            return embed_texts(texts, embedder, cache)[0]
        progress.start(f"Embedding {len(texts)} texts", len(texts))
        vectors, stats = embed_texts(texts, embedder, cache, progress=progress.advance)
        progress.finish(f"Embedded {len(texts)} texts", f"{stats.encoded} new, {stats.cached} from the cache")
        return vectors

    return settings, embed


def _say_what_was_learned(matcher) -> None:  # noqa: ANN001
    """On screen: where codes were learned from, and per code what cross-validation on the decisions kept."""
    if matcher.settings.learn_from_corpus:
        print("Learning from the batch being coded as well (learn_from_corpus): an answer's codes depend on the "
              "other answers in this file.")
    summary = matcher.learning_summary()
    if not summary:
        if matcher.decisions:
            print("No code could be learned from the decisions; coded from the codebook alone.")
        return
    kinds: dict[str, list[str]] = {}
    for code, combo, checked in summary:
        kinds.setdefault(" + ".join(combo) + ("" if checked else " (not checked: no confirmed example)"), []).append(code)
    f1 = matcher.learner_.f1_
    print(f"Learned from {matcher.learned_from_}, checked by cross-validation on them (mean F1 per code: "
          + ", ".join(f"{name} {value:.2f}" for name, value in f1.items()) + "):")
    for kind, codes in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        what = ("the codebook, with their confirmed answers as examples (the regressions did not help them)"
                if kind == "codebook" else kind)
        print(f"  {len(codes)} code(s) use {what}: {', '.join(codes[:8])}{', ...' if len(codes) > 8 else ''}")


def _add_code(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("code", help="code every row of a CSV/JSONL of free-text answers against a codebook",
                       description="Score every answer against every active code; write id, code, score, assigned.")
    p.add_argument("input", help="answers: .csv (header row) or .jsonl (reads 'text' and 'id')")
    p.add_argument("--codebook", required=True, help="codebook (.yaml, .jsonl, .csv, .xlsx or .qdc)")
    p.add_argument("--learn", default=None, help="decisions file (.yaml/.csv) to learn from")
    p.add_argument("--out", required=True, help="output CSV")
    p.add_argument("--text-column", default="text", help="column/field holding the answer (default: text)")
    p.add_argument("--id-column", default="id", help="column/field holding the id (default: id; else row number)")
    p.add_argument("--settings", default=None, help="YAML file of settings to override the defaults")
    p.add_argument("--cache-dir", default=None, help="embedding cache folder (default: ~/.cache/wisdoms)")
    p.add_argument("--allow-unreviewed", action="store_true",
                   help="private drafts only: write answer ids the privacy gate has not cleared, stamped NOT FOR SHARING")
    p.set_defaults(func=_cmd_code)


def _cmd_code(args: argparse.Namespace) -> int:
    from .codebook import code_answers, load_codebook, load_decisions
    from .codebook.release import release_coding

    book = load_codebook(args.codebook)
    answers = _some_answers(args)
    decisions = load_decisions(args.learn) if args.learn else []
    settings, embed = _codebook_embed(args)

    def coding() -> list[dict]:
        if decisions and not args.quiet:
            print(f"Learning {len(book.active)} codes from {len(decisions)} decisions, each checked by "
                  "cross-validation (the longest step with many codes)...", flush=True)
        return code_answers(answers, book, embed, decisions=decisions, settings=settings, on_fit=_say_what_was_learned)

    rows = release_coding(answers, args.out, coding, input_path=args.input, allow_unreviewed=args.allow_unreviewed,
                          settings=settings, project=_answers_project(args), codebook=book)
    coded = {str(r["id"]) for r in rows if r["assigned"]}
    uncoded = sum(str(a.id) not in coded for a in answers)
    print(f"Coded {len(answers)} answers against {len(book.active)} codes "
          f"({sum(r['assigned'] for r in rows)} assignments; {uncoded} answer{'s' if uncoded != 1 else ''} "
          f"({uncoded / len(answers):.0%}) with no code assigned): {args.out}"
          + (" (NOT FOR SHARING: answer ids not cleared by the privacy gate)" if args.allow_unreviewed else ""))
    print(_scale_line(settings))
    return 0


def _some_answers(args: argparse.Namespace) -> list[Answer]:
    """The answers of ``args.input``; an input without any is refused, and blank answers are counted."""
    from .codebook import read_answers
    from .errors import CodebookError

    answers = read_answers(args.input, text_column=args.text_column, id_column=args.id_column)
    if not answers:
        raise CodebookError("no answers to code", path=args.input,
                            hint="the file has no rows after its header (CSV) or no lines (JSONL)")
    blank = [a for a in answers if not a.text.strip()]
    if blank:
        rows = ", ".join(str(a.row) for a in blank[:5]) + (", ..." if len(blank) > 5 else "")
        print(f"{len(blank)} of {len(answers)} answers in {args.input} are blank (line/row {rows}); "
              f"they stay in the output with no code assigned (a blank answer has nothing in it to code).")
    return answers


def _answers_project(args: argparse.Namespace):  # noqa: ANN202
    """The privacy settings of the project a file of answers belongs to (found from its folder), shown on screen."""
    from .privacy.project import ProjectPrivacy

    project = ProjectPrivacy.find(args.input)
    print(project.summary())
    return project


def _scale_line(settings: Settings) -> str:
    return (f"Scores: a probability where the evidence says 'learned from' (assigned at >= "
            f"{settings.learned_threshold}), else similarity to the codebook (assigned at >= {settings.code_threshold}).")


def _add_codebook(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("codebook", help="convert a codebook, review suggested codes, import a REFI-QDA project "
                       "(import-qdpx), draft codes for uncovered themes (suggest)")
    ops = p.add_subparsers(dest="codebook_command", metavar="ACTION", required=True)
    c = ops.add_parser("convert", help="validate a codebook and write it in another format (by suffix)")
    c.add_argument("source", help="codebook (.yaml, .jsonl, .csv, .xlsx or .qdc)")
    c.add_argument("target", help="output (.yaml, .jsonl, .csv, .xlsx or .qdc)")
    c.set_defaults(func=_cmd_codebook_convert)
    r = ops.add_parser("review", help="export suggested codes for review, or import a reviewed sheet")
    r.add_argument("input", help="to export: answers (.csv/.jsonl); to import: the filled-in sheet")
    r.add_argument("--codebook", required=True, help="codebook file")
    r.add_argument("--sheet", default=None, help="review sheet to write (.csv or .xlsx)")
    r.add_argument("--decisions", default=None, help="with --import: decisions file (.yaml/.csv) to add to")
    r.add_argument("--import", dest="do_import", action="store_true", help="import INPUT as a filled-in sheet")
    r.add_argument("--who", default="", help="reviewer name recorded where the sheet's 'who' cell is empty")
    r.add_argument("--text-column", default="text", help="column holding the answers' text (default: text)")
    r.add_argument("--id-column", default="id", help="column holding each answer's id (default: id)")
    r.add_argument("--learn", default=None, help="decisions file to learn from when suggesting")
    r.add_argument("--settings", default=None, help="YAML file of settings to override the defaults")
    r.add_argument("--cache-dir", default=None, help="embedding cache folder (default: ~/.cache/wisdoms)")
    r.add_argument("--allow-unreviewed", action="store_true",
                   help="private drafts only: write answers the privacy gate has not cleared, stamped NOT FOR SHARING")
    r.set_defaults(func=_cmd_codebook_review)
    _add_codebook_import_and_suggest(ops)


def _add_codebook_import_and_suggest(ops: argparse._SubParsersAction) -> None:
    q = ops.add_parser("import-qdpx", help="turn a REFI-QDA project (.qdpx) into a codebook and confirmed examples",
                       description="Read a .qdpx exported by NVivo, ATLAS.ti, MAXQDA, QualCoder or wisdoms: its codes "
                       "become a codebook, its coded text selections confirmed decisions (with who and when) that "
                       "'wisdoms code --learn' reads. Non-text sources are skipped and counted.")
    q.add_argument("project", help="the .qdpx file")
    q.add_argument("--out", required=True, help="codebook to write (.yaml, .jsonl, .csv, .xlsx or .qdc)")
    q.add_argument("--decisions", default=None, help="decisions file to write (.yaml or .csv)")
    q.set_defaults(func=_cmd_codebook_import_qdpx)
    g = ops.add_parser("suggest", help="draft codes for the themes of a run that no code covers",
                       description="Write a machine-suggested draft code (name, definition, example quotes with "
                       "citations) for each theme of a run that no code covers, in the codebook YAML layout.")
    g.add_argument("run_dir", help="folder written by 'wisdoms run'")
    g.add_argument("--out", required=True, help="YAML file of draft codes to write")
    g.add_argument("--allow-unreviewed", action="store_true",
                   help="private drafts only: write quotes the privacy gate has not cleared, stamped NOT FOR SHARING")
    _add_run_inputs(g)
    g.set_defaults(func=_cmd_codebook_suggest)


def _cmd_codebook_import_qdpx(args: argparse.Namespace) -> int:
    from .codebook import read_qdpx, save_codebook, save_decisions

    result = read_qdpx(args.project)
    save_codebook(result.codebook, args.out)
    if args.decisions:
        save_decisions(result.decisions, args.decisions)
    coders = sorted({d.who for d in result.decisions if d.who})
    print(f"{len(result.codebook)} codes ({len(result.codebook.active)} active): {args.out}")
    print(f"{len(result.decisions)} confirmed examples from {result.sources} text sources"
          + (f" by {', '.join(coders)}" if coders else "") + (f": {args.decisions}" if args.decisions else
                                                             " (not written: pass --decisions FILE)"))
    print(f"{len(result.skipped_sources)} sources skipped"
          + "".join(f"\n  {name}: {reason}" for name, reason in result.skipped_sources))
    for reason, count in sorted(result.skipped_codings.items()):
        print(f"{count} {reason} skipped")
    if result.undescribed:
        print(f"Note: {len(result.undescribed)} codes had no description; each was imported with a definition "
              f"that says so: write a definition for {', '.join(result.undescribed)}")
    print(f"Selection positions read as {result.positions}" + (f": {result.positions_note}" if result.positions_note else ""))
    return 0


def _cmd_codebook_suggest(args: argparse.Namespace) -> int:
    from .codebook.coverage import release_suggestions
    from .privacy.project import ProjectPrivacy
    from .report.rundir import suggestions_of

    analysis = _load_analysis(args)
    suggestions, facts = suggestions_of(analysis)
    if not suggestions:
        print("No theme lacks a code: nothing to suggest.")
        return 0
    project, folder = ProjectPrivacy.from_manifest(analysis.manifest)
    if project is not None:
        print(project.summary())
    release_suggestions(suggestions, args.out, source=facts["run"], date=facts["date"], draft=facts["draft"],
                        allow_unreviewed=args.allow_unreviewed, settings=analysis.settings, project=project,
                        folder=folder)
    for c in suggestions:
        print(f"theme {c.theme}: {c.name} ({c.participants} participants, {len(c.quotes)} example quotes)")
    print(f"{len(suggestions)} draft codes: {args.out}"
          + (" (NOT FOR SHARING: made from a private draft run)" if facts["draft"] else ""))
    return 0


def _cmd_codebook_convert(args: argparse.Namespace) -> int:
    from .codebook import load_codebook, save_codebook, undescribed

    book = load_codebook(args.source)
    save_codebook(book, args.target)
    print(f"{len(book)} codes: {args.target}")
    missing = undescribed(book)
    if missing:
        print(f"Note: {len(missing)} codes had no description; each was imported with a definition that says so: "
              f"write a definition for {', '.join(missing)}")
    return 0


def _cmd_codebook_review(args: argparse.Namespace) -> int:
    from pathlib import Path as _Path

    from .codebook import code_answers, load_codebook, load_decisions, merge_decisions, read_review_sheet, save_decisions
    from .codebook.decisions import review_rows
    from .codebook.release import release_review_sheet
    from .errors import CodebookError

    book = load_codebook(args.codebook)
    if args.do_import:
        if not args.decisions:
            raise CodebookError("--import needs --decisions FILE to store the decisions in",
                                hint="e.g. --decisions codebook/decisions.yaml")
        new = read_review_sheet(args.input, who=args.who)
        unknown = sorted({d.code for d in new} - {c.id for c in book.codes})
        if unknown:
            raise CodebookError(f"the sheet names unknown code(s) {', '.join(unknown)}", path=args.input,
                                hint="check the codebook passed with --codebook")
        old = load_decisions(args.decisions) if _Path(args.decisions).is_file() else []
        save_decisions(merge_decisions(old, new), args.decisions)
        print(f"Imported {len(new)} decisions into {args.decisions}")
        return 0
    if not args.sheet:
        raise CodebookError("exporting a review sheet needs --sheet FILE (.csv or .xlsx)")
    answers = _some_answers(args)
    decisions = load_decisions(args.learn) if args.learn else []
    settings, embed = _codebook_embed(args)

    def suggestions() -> list[dict]:
        rows = code_answers(answers, book, embed, decisions=decisions, settings=settings, on_fit=_say_what_was_learned)
        return review_rows(rows, answers, book)

    sheet = release_review_sheet(answers, args.sheet, suggestions, input_path=args.input,
                                 allow_unreviewed=args.allow_unreviewed, settings=settings,
                                 project=_answers_project(args), codebook=book)
    print(f"Wrote {len(sheet)} suggestions for review: {args.sheet}"
          + (" (NOT FOR SHARING: answers not cleared by the privacy gate)" if args.allow_unreviewed else ""))
    print(_scale_line(settings))
    return 0


def _add_agreement(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agreement", help="Cohen's kappa and Krippendorff's alpha between two codings",
                       description="Compare two codings per code and overall (every unit x code pooled): the tool "
                       "against a person, or two people. Each is a CSV (id, code[, assigned]; 'wisdoms code' writes "
                       "one) or a JSONL file with 'id' and a 'codes' list on every line.")
    p.add_argument("a", help="first coding (.csv or .jsonl)")
    p.add_argument("b", help="second coding (.csv or .jsonl)")
    p.set_defaults(func=_cmd_agreement)


def _cmd_agreement(args: argparse.Namespace) -> int:
    from .codebook import agreement, read_assignments

    rows = agreement(read_assignments(args.a), read_assignments(args.b))
    width = max([4, *(len(r.code) for r in rows)])  # code ids whole, however long

    def num(value: float) -> str:
        return f"{value + 0.0:7.3f}".replace("-0.000", " 0.000")  # no "-0.000"

    print(f"{'code':{width}s} {'decisions':>9s} {'A':>5s} {'B':>5s} {'kappa':>7s} {'alpha':>7s}")
    for r in rows:
        print(f"{r.code:{width}s} {r.units:9d} {r.a_count:5d} {r.b_count:5d} {num(r.kappa)} {num(r.alpha)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="wisdoms",
        description="Quote-backed themes from listening transcripts.",
    )
    parser.add_argument("--version", action="version", version=f"wisdoms {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors; no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_run, _add_watch, _add_check, _add_privacy, _add_code, _add_codebook, _add_agreement, _add_export, _add_panel):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wisdoms`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.ERROR if args.quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except WisdomsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
