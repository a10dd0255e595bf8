"""Runs a document parser in a separate process that is killed when its time is up.

Parsers for PDF and Office files are CPU-bound library code; a cooperative budget inside them is not enough
(one pathological page can spin for minutes), so each file is parsed in a child forked from a forkserver
(safe in a threaded parent), with an address-space limit. The child streams text back in batches, so what
was read before a timeout or a crash is still returned.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from aiwatch.detection.extract.limits import ExtractionLimits
from aiwatch.detection.extract.sink import CHARACTER_LIMIT, Sink, Stop

_BATCH_CHARS = 64 * 1024
_BATCH_SECONDS = 0.2
_COOPERATIVE_SHARE = 0.85  # the child stops itself first, so a clean partial result is the normal case
_PRELOAD = ["aiwatch.detection.extract.formats", "pypdf", "docx", "openpyxl", "pptx"]


@dataclass
class WorkerOutcome:
    pieces: list[str] = field(default_factory=list)
    truncated: bool = False
    error: str | None = None


def run_isolated(fmt: str, data: bytes, limits: ExtractionLimits) -> WorkerOutcome:
    """Extract in a child process; fall back to in-process when this process may not have children."""
    if multiprocessing.current_process().daemon:
        return run_in_process(fmt, data, limits)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, fmt, data, limits), daemon=True)
    started = time.monotonic()
    try:
        child.start()
    except (OSError, RuntimeError):  # no forkserver here (e.g. no usable temp dir): parse in-process
        sender.close()
        receiver.close()
        return run_in_process(fmt, data, limits)
    sender.close()
    outcome = WorkerOutcome()
    try:
        _collect(receiver, child, outcome, started + limits.timeout_s)
    finally:
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
        receiver.close()
    return outcome


def _collect(receiver: Connection, child: Any, outcome: WorkerOutcome, deadline: float) -> None:
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not receiver.poll(remaining):
            outcome.truncated = True
            outcome.error = "time limit reached; the text read before it was kept"
            return
        try:
            kind, *payload = receiver.recv()
        except (EOFError, OSError):
            child.join(timeout=5)
            outcome.truncated = True
            outcome.error = f"the extractor stopped unexpectedly (exit code {child.exitcode})"
            return
        if kind == "text":
            outcome.pieces.append(payload[0])
        else:
            outcome.truncated, outcome.error = payload
            return


def run_in_process(fmt: str, data: bytes, limits: ExtractionLimits) -> WorkerOutcome:
    """Same extraction without a child: only the cooperative time budget applies."""
    sink = Sink(limits.max_chars, time.monotonic() + limits.timeout_s)
    error = extract_into(fmt, data, sink, limits)
    return WorkerOutcome([sink.text()], sink.truncated, error)


def extract_into(fmt: str, data: bytes, sink: Sink, limits: ExtractionLimits) -> str | None:
    """Run the format's extractor; return the error message for the caller (None when all went well)."""
    from aiwatch.detection.extract import formats

    try:
        if fmt == "pdf":
            formats.extract_pdf(data, sink, limits)
        elif fmt == "odf":
            from aiwatch.detection.extract.odf import extract_odf

            extract_odf(data, sink, limits)
        else:
            formats.extract_office(data, fmt, sink, limits)
    except Stop as stop:
        # Running out of characters is an expected cut (``truncated`` says it); other limits are explained.
        return sink.error or (None if stop.reason == CHARACTER_LIMIT else stop.reason)
    except formats.ExtractError as exc:
        return str(exc)
    except MemoryError:
        sink.truncated = True
        return "the file needs more memory than allowed to extract"
    except RecursionError:
        return f"the {fmt.upper()} is nested too deeply to read"
    except Exception as exc:  # a hostile file must yield an error message, never an exception
        return f"damaged {fmt.upper()}: {type(exc).__name__}: {str(exc)[:200]}"
    return sink.error


def _child_main(sender: Connection, fmt: str, data: bytes, limits: ExtractionLimits) -> None:
    _limit_memory(limits.max_memory_bytes)
    batch: list[str] = []
    batch_chars = 0
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal batch_chars, last_flush
        if batch:
            sender.send(("text", "".join(batch)))
            batch.clear()
        batch_chars = 0
        last_flush = time.monotonic()

    def emit(piece: str) -> None:
        nonlocal batch_chars
        batch.append(piece)
        batch_chars += len(piece)
        if batch_chars >= _BATCH_CHARS or time.monotonic() - last_flush >= _BATCH_SECONDS:
            flush()

    sink = Sink(limits.max_chars, time.monotonic() + limits.timeout_s * _COOPERATIVE_SHARE, emit=emit)
    error = extract_into(fmt, data, sink, limits)
    flush()
    sender.send(("done", sink.truncated, error))
    sender.close()


def _limit_memory(max_bytes: int) -> None:
    if max_bytes <= 0:
        return
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # not permitted here: the time limit still applies
        return
