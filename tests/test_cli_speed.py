"""`wisdoms --help` starts fast: it never imports torch, BERTopic, UMAP or sentence-transformers."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from wisdoms import cli

HEAVY = ("torch", "bertopic", "umap", "sentence_transformers", "spacy", "onnxruntime", "numba", "distributed")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import json, sys\n"
        "from wisdoms.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert "run" in done.stdout
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_run_help_lists_the_scheduler_option() -> None:
    assert "--scheduler" in cli.build_parser()._subparsers._group_actions[0].choices["run"].format_help()


def test_progress_is_silent_when_not_interactive(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert cli._progress(argparse.Namespace(quiet=False)) is None
