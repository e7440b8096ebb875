"""Progress reporting for long steps: a tiny protocol, a rich implementation for the CLI's terminal and a
tqdm one for ``wisdoms.run`` from Python (notebooks and terminals)."""

from __future__ import annotations

import sys
import warnings
from typing import Any, Protocol


class Progress(Protocol):
    """Told when a step starts, advances and ends; implementations decide how to show it."""

    def start(self, step: str, total: int | None = None) -> None: ...
    def advance(self, done: int, total: int) -> None: ...
    def finish(self, step: str, note: str = "") -> None: ...


class RichProgress:
    """A rich progress bar per step with counts and time left, then a one-line summary."""

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console(stderr=True)
        self._bar: Any = None
        self._task: Any = None

    def start(self, step: str, total: int | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._close()
        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=self._console, transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(step, total=total)

    def advance(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)

    def finish(self, step: str, note: str = "") -> None:
        self._close()
        self._console.print(f"[green]✓[/green] {step}{': ' + note if note else ''}")

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class NotebookProgress:
    """Progress for ``wisdoms.run`` from Python: a tqdm bar per counted step (a widget in Jupyter when
    ipywidgets is installed, text otherwise, in a notebook or a terminal alike), then a one-line summary.

    Args:
        file: Where the text bars and summaries go (default: standard error).
    """

    def __init__(self, *, file: Any = None) -> None:
        self.file = file
        self._bar: Any = None
        with warnings.catch_warnings():
            # In a notebook without ipywidgets tqdm.auto falls back to a text bar and warns once, when first
            # imported (by wisdoms, or later by huggingface_hub): imported here, it says nothing.
            warnings.filterwarnings("ignore", message="IProgress not found")
            from tqdm.auto import tqdm

        self._tqdm = tqdm

    def start(self, step: str, total: int | None = None) -> None:
        self._close()
        self._bar = self._tqdm(total=total, desc=step, file=self.file, leave=False, unit="", dynamic_ncols=True,
                               mininterval=1.0)

    def advance(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.total = total
            self._bar.update(done - self._bar.n)

    def finish(self, step: str, note: str = "") -> None:
        self._close()
        print(f"✓ {step}{': ' + note if note else ''}", file=self.file or sys.stderr, flush=True)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
