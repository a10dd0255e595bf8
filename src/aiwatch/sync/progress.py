"""Per-stream progress: rich progress bars on a terminal, nothing otherwise (logs and CI stay clean)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn


class ProgressReporter(Protocol):
    def start_stream(self, stream: str) -> None: ...

    def advance(self, stream: str, *, pages: int = 0, items: int = 0) -> None: ...

    def finish_stream(self, stream: str, status: str) -> None: ...


@dataclass
class StreamTally:
    pages: int = 0
    items: int = 0
    status: str = "running"


@dataclass
class SilentProgress:
    """Counts without drawing; used when stdout is not a terminal and in tests."""

    tallies: dict[str, StreamTally] = field(default_factory=dict)

    def __enter__(self) -> SilentProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def start_stream(self, stream: str) -> None:
        self.tallies.setdefault(stream, StreamTally())

    def advance(self, stream: str, *, pages: int = 0, items: int = 0) -> None:
        tally = self.tallies.setdefault(stream, StreamTally())
        tally.pages += pages
        tally.items += items

    def finish_stream(self, stream: str, status: str) -> None:
        self.tallies.setdefault(stream, StreamTally()).status = status


class RichProgress(SilentProgress):
    """One progress line per stream: pages and items fetched so far (totals are unknown up front)."""

    def __init__(self, console: Console | None = None) -> None:
        super().__init__()
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[stream]:<28}"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[pages]:>6} pages {task.fields[items]:>9} items  {task.fields[state]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start_stream(self, stream: str) -> None:
        super().start_stream(stream)
        if stream not in self._tasks:
            self._tasks[stream] = self._progress.add_task(
                stream, total=None, stream=stream, pages=0, items=0, state=""
            )

    def advance(self, stream: str, *, pages: int = 0, items: int = 0) -> None:
        super().advance(stream, pages=pages, items=items)
        if stream not in self._tasks:
            self.start_stream(stream)
        tally = self.tallies[stream]
        self._progress.update(self._tasks[stream], pages=tally.pages, items=tally.items)

    def finish_stream(self, stream: str, status: str) -> None:
        super().finish_stream(stream, status)
        if stream not in self._tasks:
            self.start_stream(stream)
        self._progress.update(self._tasks[stream], total=1, completed=1, state=status)
