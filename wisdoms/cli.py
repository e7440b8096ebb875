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

from .errors import WisdomsError

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
    p.add_argument("--codebook", default="codebook/codebook.yaml", help="codebook YAML (default: codebook/codebook.yaml)")
    p.add_argument("--out", default=None, help="output folder (default: reports/<timestamp>/)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: 42)")
    p.add_argument("--settings", default=None, help="YAML file of settings to override the defaults")
    p.add_argument("--cache-dir", default=None, help="embedding cache folder (default: ~/.cache/wisdoms)")
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import run
    from .settings import Settings

    settings = Settings.from_file(args.settings) if args.settings else Settings()
    settings = settings.with_overrides(seed=args.seed, cache_dir=args.cache_dir)
    analysis = run(args.transcripts, codebook=args.codebook, out=args.out, settings=settings, progress=_progress(args))
    s = analysis.summary()
    print(
        f"{s['themes']} candidate themes from {s['passages']} passages "
        f"({s['participants']} participants, {s['unassigned']} passages not yet in a theme)."
    )
    print(f"Report: {Path(analysis.out_dir, 'report.html')}")
    return 0


def _progress(args: argparse.Namespace):  # noqa: ANN202
    """A progress reporter for interactive terminals; silent otherwise (CI, tests, pipes)."""
    if args.quiet or not sys.stderr.isatty():
        return None
    from .progress import RichProgress

    return RichProgress()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="wisdoms",
        description="Quote-backed themes from listening transcripts.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors; no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_run,):
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
