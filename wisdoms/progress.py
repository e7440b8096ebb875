"""Progress reporting for long steps: a tiny protocol, a rich implementation for terminals."""

from __future__ import annotations

from typing import Protocol


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
        self._bar = None
        self._task = None

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
