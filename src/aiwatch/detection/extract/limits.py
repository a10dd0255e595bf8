"""Bounds on one extraction. Defaults suit a file attached to a chat; callers may tighten them."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_CHARS = 2_000_000
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class ExtractionLimits:
    max_bytes: int = DEFAULT_MAX_BYTES  # input size; text formats are cut here, binary formats refused
    max_chars: int = DEFAULT_MAX_CHARS  # extracted text
    timeout_s: float = DEFAULT_TIMEOUT_S  # wall clock for one file, enforced by killing the worker
    max_pages: int = 5_000  # PDF pages and PPTX slides
    max_rows: int = 200_000  # spreadsheet rows over all sheets
    max_columns: int = 1_000  # cells read per spreadsheet row
    max_unpacked_bytes: int = 256 * 1024 * 1024  # declared uncompressed size of an Office archive
    max_memory_bytes: int = 2 * 1024 * 1024 * 1024  # address space of the worker process

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_chars", "max_pages", "max_rows", "max_columns", "max_unpacked_bytes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if not self.timeout_s > 0:
            raise ValueError("timeout_s must be positive")
