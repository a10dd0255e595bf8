"""Hyperscan databases compiled once per machine: cached on disk by content hash.

Compiling the engine's and the plug-ins' databases takes seconds of CPU (about 2 s for the plug-ins alone);
loading a cached one takes milliseconds. Every process that scans (the CLI and each of its workers, the
pipeline, the console) would otherwise pay the compile on its first text.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import hyperscan

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    return Path(os.environ.get("AIWATCH_CACHE_DIR") or Path.home() / ".cache" / "aiwatch")


def accepts(expression: str | bytes, flags: int) -> bool:
    """Whether Hyperscan can compile this one expression."""
    probe = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        probe.compile(expressions=[_bytes(expression)], ids=[0], elements=1, flags=[flags])
    except hyperscan.error:
        return False
    return True


def compiled(
    expressions: Sequence[str | bytes], ids: Sequence[int], flags: Sequence[int]
) -> hyperscan.Database:
    """A block-mode database of these expressions (all must compile: a plug-in's fixed patterns)."""
    database, rejected = compiled_tolerant(expressions, ids, flags)
    if rejected or database is None:
        raise hyperscan.error(f"Hyperscan rejected expressions {rejected}")
    return database


def compiled_tolerant(
    expressions: Sequence[str | bytes], ids: Sequence[int], flags: Sequence[int]
) -> tuple[hyperscan.Database | None, list[int]]:
    """A block-mode database of the expressions Hyperscan accepts, and the ids of those it rejects
    (organisation rules may use syntax it lacks; the engine scans those with Python re instead).
    The rejected ids are cached too, so a rejected pattern costs its failed compile only once."""
    encoded = [_bytes(e) for e in expressions]
    digest = hashlib.sha256(
        repr((hyperscan.__version__, encoded, list(ids), list(flags))).encode()
    ).hexdigest()
    cache_file = cache_dir() / f"hs-{digest[:32]}.db"
    rejected_file = cache_file.with_suffix(".rejected")
    with contextlib.suppress(OSError, hyperscan.error, ValueError, TypeError):  # no usable cache: compile
        database = hyperscan.loadb(cache_file.read_bytes(), hyperscan.HS_MODE_BLOCK)
        database.scratch = hyperscan.Scratch(database)  # as compile() does: scan() without a scratch works
        rejected = [int(i) for i in rejected_file.read_text().split()] if rejected_file.exists() else []
        return database, rejected
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        database.compile(expressions=encoded, ids=list(ids), elements=len(encoded), flags=list(flags))
        rejected: list[int] = []
    except hyperscan.error:
        triples = list(zip(encoded, ids, flags, strict=True))
        rejected = [i for e, i, f in triples if not accepts(e, f)]
        refused = set(rejected)
        keep = [(e, i, f) for e, i, f in triples if i not in refused]
        if not keep:
            return None, rejected
        database.compile(
            expressions=[e for e, _, _ in keep],
            ids=[i for _, i, _ in keep],
            elements=len(keep),
            flags=[f for _, _, f in keep],
        )
    _write(cache_file, hyperscan.dumpb(database), rejected_file, rejected)
    return database, rejected


def _bytes(expression: str | bytes) -> bytes:
    return expression if isinstance(expression, bytes) else expression.encode("utf-8")


def _write(cache_file: Path, data: bytes, rejected_file: Path, rejected: list[int]) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        for path, content in ((rejected_file, " ".join(map(str, rejected)).encode()), (cache_file, data)):
            temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_bytes(content)
            os.replace(temporary, path)  # atomic: parallel workers never read half a file
    except OSError as exc:  # a read-only home is fine: we just compile each time
        log.debug("cannot cache the compiled rules: %s", exc)
