"""Where extractors put text: enforces the character budget and the cooperative time budget."""

from __future__ import annotations

import time
from collections.abc import Callable

CHARACTER_LIMIT = "character limit reached"


class Stop(Exception):
    """Raised inside an extractor when a limit is reached; the text gathered so far is kept."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sink:
    """Collects pieces of text; ``emit`` forwards each accepted piece (e.g. to the parent process)."""

    def __init__(self, max_chars: int, deadline: float, emit: Callable[[str], None] | None = None) -> None:
        self.max_chars = max_chars
        self.deadline = deadline
        self.chars = 0
        self.pieces: list[str] = []
        self.truncated = False
        self.error: str | None = None
        self._emit = emit

    def add(self, text: str | None) -> None:
        """Append text (a paragraph, a row, a page); raise ``Stop`` once a limit is hit."""
        self.check_time()
        if not text:
            return
        room = self.max_chars - self.chars
        if room <= 0:
            self.truncated = True
            raise Stop(CHARACTER_LIMIT)
        piece = text if len(text) <= room else text[:room]
        self.chars += len(piece)
        if self._emit is not None:
            self._emit(piece)
        else:
            self.pieces.append(piece)
        if len(piece) < len(text):
            self.truncated = True
            raise Stop(CHARACTER_LIMIT)

    def line(self, text: str | None) -> None:
        if text:
            self.add(text + "\n")

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            self.truncated = True
            raise Stop("time limit reached")

    def limit(self, reason: str) -> None:
        """A non-character limit (pages, rows, archive size) cut the extraction short."""
        self.truncated = True
        raise Stop(reason)

    def text(self) -> str:
        return "".join(self.pieces)
