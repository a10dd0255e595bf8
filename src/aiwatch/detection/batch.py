"""`aiwatch scan`: stream records through the engine, in order, with bounded memory, on N processes.

Input formats:
- ``jsonl``: one ``{"id": …, "text": …}`` object per line (other fields ignored).
- ``chatgpt-logs``: Compliance log-feed files as downloaded; each event is a record (``id`` = ``event_id``)
  whose text fields are scanned separately, detections carrying ``"field": "<json path>"``.
- ``text``: a file, or every file under a directory (``id`` = path); PDF/Office/CSV/HTML through
  ``aiwatch.detection.extract``.

Bad input never stops the run: a line that is not JSON, has no string ``text``, is not UTF-8 or is larger
than the record limit is reported on stderr as ``line N: reason`` and still produces an output line (with an
``"error"`` field) so output lines stay in step with input lines. Blank lines are skipped.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, Any, NamedTuple

from aiwatch.detection.types import Where

DEFAULT_MAX_RECORD_BYTES = 32 * 1024 * 1024
BATCH_BYTES = 1 << 20
BATCH_RECORDS = 256
ENVELOPE_KEYS = frozenset({"event_id", "type", "timestamp", "principal", "actor", "request_metadata"})
# Log-feed event types that carry user or model text; anything else passes through with no detections.
TEXT_EVENT_TYPES = frozenset({"CONVERSATION_MESSAGE", "APP_LOG", "CODEX_LOG", "CUSTOM_AGENTS_LOG"})
_METADATA_KEY = re.compile(r"(?:^|_)(?:id|ids|at|time|timestamp|type|status|model|role|sha256|size|url)$")
_ID_PREFIX = re.compile(rb'"(?:id|event_id)"\s*:\s*("(?:[^"\\]|\\.){0,256}"|-?\d{1,20})')


@dataclass(slots=True)
class Record:
    """One unit of output: either text fields to scan or an error to report."""

    line: int
    id: Any
    fields: list[tuple[str | None, str]] = field(default_factory=list)  # (json path or None, text)
    error: str | None = None
    where: str = Where.PROMPT


@dataclass(frozen=True, slots=True)
class ScanOptions:
    rules: tuple[str, ...] | None
    sensitivity: str
    organisation_rules: str | None = None


Warn = Callable[[str], None]


# --------------------------------------------------------------------------------------------------- readers
def read_lines(stream: IO[bytes], max_bytes: int, warn: Warn) -> Iterator[tuple[int, bytes | None, bytes]]:
    """(line number, line or None when too large, first bytes) — never holds more than one record."""
    number = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            head = line[:4096]
            while line and not line.endswith(b"\n"):  # discard the rest of the oversized line
                line = stream.readline(1 << 20)
            warn(f"line {number}: record larger than {max_bytes} bytes, skipped")
            yield number, None, head
            continue
        yield number, line, b""


def _decode(line: bytes, number: int, warn: Warn) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        warn(f"line {number}: invalid UTF-8, undecodable bytes replaced with U+FFFD")
        return line.decode("utf-8", "replace")


def _id_from_prefix(head: bytes) -> Any:
    match = _ID_PREFIX.search(head)
    if not match:
        return None
    try:
        return json.loads(match.group(1))
    except ValueError:
        return None


class RawLine(NamedTuple):
    """A line read but not parsed yet: parsing happens in the worker that scans it, off the reader.

    A named tuple, not a dataclass: batches of them are pickled to the workers, and a frozen dataclass
    pickles through Python-level __getstate__/__setstate__ (three times slower each way).
    """

    line: int
    data: bytes | None  # None when the line was larger than max_bytes (head keeps its start)
    head: bytes
    kind: str  # "jsonl" or "chatgpt-logs"
    max_bytes: int


def raw_lines(stream: IO[bytes], max_bytes: int, warn: Warn, kind: str) -> Iterator[RawLine]:
    for number, line, head in read_lines(stream, max_bytes, warn):
        if line is not None and not line.strip():
            continue  # blank lines produce no output
        yield RawLine(number, line, head, kind, max_bytes)


def parse_line(raw: RawLine, warn: Warn) -> Record:
    number, line = raw.line, raw.data
    if line is None:
        return Record(number, _id_from_prefix(raw.head), error=f"record larger than {raw.max_bytes} bytes")
    try:
        obj = json.loads(_decode(line, number, warn))
    except ValueError as exc:
        warn(f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})")
        return Record(number, _id_from_prefix(line[:4096]), error="invalid JSON")
    if not isinstance(obj, dict):
        warn(f"line {number}: expected a JSON object, got {type(obj).__name__}")
        return Record(number, None, error="not a JSON object")
    if raw.kind == "chatgpt-logs":
        if "event_id" not in obj:
            warn(f"line {number}: event without event_id")
        return Record(number, obj.get("event_id"), fields=event_text_fields(obj), where=Where.LOG_EVENT)
    record_id = obj.get("id")
    if "id" not in obj:
        warn(f"line {number}: missing id")
    text = obj.get("text")
    if not isinstance(text, str):
        reason = "missing text" if text is None else f"text is {type(text).__name__}, not a string"
        warn(f"line {number}: {reason}")
        return Record(number, record_id, error=reason)
    return Record(number, record_id, fields=[(None, text)])


def jsonl_records(stream: IO[bytes], max_bytes: int, warn: Warn) -> Iterator[Record]:
    return (parse_line(raw, warn) for raw in raw_lines(stream, max_bytes, warn, "jsonl"))


def log_event_records(stream: IO[bytes], max_bytes: int, warn: Warn) -> Iterator[Record]:
    return (parse_line(raw, warn) for raw in raw_lines(stream, max_bytes, warn, "chatgpt-logs"))


def event_text_fields(event: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The text-bearing fields of a log-feed event as (json path, text); empty for other event types."""
    event_type = event.get("type") or event.get("event_type")
    if event_type not in TEXT_EVENT_TYPES:
        return []
    if event_type == "CONVERSATION_MESSAGE":
        out: list[tuple[str | None, str]] = []
        message = event.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, dict):
            if isinstance(content.get("value"), str):
                out.append(("message.content.value", content["value"]))
            parts = content.get("parts")
            if isinstance(parts, list):
                out.extend(
                    (f"message.content.parts[{i}]", p) for i, p in enumerate(parts) if isinstance(p, str)
                )
        conversation = event.get("conversation")
        if isinstance(conversation, dict) and isinstance(conversation.get("title"), str):
            out.append(("conversation.title", conversation["title"]))
        return out
    return [
        (path, text)
        for key, value in event.items()
        if key not in ENVELOPE_KEYS
        for path, text in _string_leaves(value, key)
    ]


def _string_leaves(value: Any, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    if depth > 32:
        return
    if isinstance(value, str):
        leaf = path.rsplit(".", 1)[-1].split("[", 1)[0].lower()
        if value and not _METADATA_KEY.search(leaf):
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_leaves(item, f"{path}[{index}]", depth + 1)


def text_file_records(root: Path, max_bytes: int, warn: Warn) -> Iterator[Record]:
    """One record per file; a directory is walked in sorted order (stable output)."""
    from aiwatch.detection.extract import extract_text

    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for number, path in enumerate(paths, start=1):
        record_id = str(path)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                warn(f"file {path}: larger than {max_bytes} bytes, skipped")
                yield Record(number, record_id, error=f"file larger than {max_bytes} bytes")
                continue
            data = path.read_bytes()
        except OSError as exc:
            warn(f"file {path}: cannot read ({exc.strerror})")
            yield Record(number, record_id, error=f"cannot read file: {exc.strerror}")
            continue
        result = extract_text(data, path.name)
        if result.error:
            warn(f"file {path}: {result.error}")
            if not result.text:
                yield Record(number, record_id, error=result.error, where=Where.FILE)
                continue
        yield Record(number, record_id, fields=[(None, result.text)], where=Where.FILE)


# -------------------------------------------------------------------------------------------------- workers
_WORKER_ENGINE = None


def _engine_for(options: ScanOptions):
    global _WORKER_ENGINE
    if _WORKER_ENGINE is None:
        from aiwatch.detection.catalog import load_catalog
        from aiwatch.detection.engine import Engine

        _WORKER_ENGINE = Engine(
            load_catalog(options.organisation_rules),
            rules_glob=list(options.rules) if options.rules else None,
            sensitivity=options.sensitivity,
        )
    return _WORKER_ENGINE


def _init_worker(options: ScanOptions) -> None:
    _engine_for(options)  # build once per worker process, before the first batch


def scan_batch(options: ScanOptions, batch: list[Record | RawLine]) -> list[str]:
    engine = _engine_for(options)
    return [render(_record(item), engine) for item in batch]


def _record(item: Record | RawLine) -> Record:
    return parse_line(item, stderr_warn) if isinstance(item, RawLine) else item


def render(record: Record, engine) -> str:
    out: dict[str, Any] = {"id": record.id, "detections": []}
    if record.error is not None:
        out["error"] = record.error
        return json.dumps(out, ensure_ascii=False)
    try:
        for path, text in record.fields:
            for detection in engine.scan(text, where=record.where):
                item = detection.to_contract()
                if path is not None:
                    item["field"] = path
                out["detections"].append(item)
    except Exception as exc:  # one bad record must not stop a 10 GB run; the message names the record
        stderr_warn(f"line {record.line}: scan failed ({type(exc).__name__}); please report this as a bug")
        out["detections"] = []
        out["error"] = f"scan failed: {type(exc).__name__}"
    return json.dumps(out, ensure_ascii=False)


def _batches(items: Iterator[Record | RawLine]) -> Iterator[list[Record | RawLine]]:
    batch: list[Record | RawLine] = []
    size = 0
    for item in items:
        batch.append(item)
        if isinstance(item, RawLine):
            size += len(item.data or b"")
        else:
            size += sum(len(text) for _, text in item.fields)
        if len(batch) >= BATCH_RECORDS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def run(
    records: Iterator[Record | RawLine], options: ScanOptions, workers: int, write: Callable[[str], None]
) -> int:
    """Scan every record and write one line per record in input order. Returns the number of records.

    Raw lines are parsed by the worker that scans them, so the reading process only reads and writes (and
    scans the first batch itself, before the workers start).
    """
    count = 0
    engine = _engine_for(options)
    if workers <= 1:
        for item in records:
            write(render(_record(item), engine))
            count += 1
        return count
    batches = _batches(records)
    # The first batch is scanned here, before any worker exists: the engine builds its lazy parts (Hyperscan
    # databases and classifier tables of the attack and harmful detectors, ~3 s) once, for what the input
    # needs, and forked workers inherit them instead of each building them again. Input that fits in one
    # batch never starts a worker. (multiprocessing flushes sys.stdout before it forks: the workers hold no
    # buffered copy of these lines.)
    first = next(batches, None)
    if first is None:
        return 0
    for item in first:
        write(render(_record(item), engine))
    count += len(first)
    second = next(batches, None)
    if second is None:
        return count
    # Bounded window of in-flight batches: memory stays constant however large the input is.
    window = workers * 3
    pending: deque[Future[list[str]]] = deque()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(options,)) as pool:
        for batch in chain((second,), batches):
            pending.append(pool.submit(scan_batch, options, batch))
            while len(pending) >= window:
                count += _drain(pending.popleft(), write)
        while pending:
            count += _drain(pending.popleft(), write)
    return count


def _drain(future: Future[list[str]], write: Callable[[str], None]) -> int:
    lines = future.result()
    for line in lines:
        write(line)
    return len(lines)


def stderr_warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
