"""`aiwatch scan` speed paths: the first batch scanned before the workers fork, raw lines pickled as tuples.

The output must be the same line for line whatever the number of workers and batches.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aiwatch.detection import batch
from aiwatch.detection.types import Where

AIWATCH = [str(Path(sys.executable).with_name("aiwatch"))]
OPTIONS = batch.ScanOptions(rules=None, sensitivity="balanced")  # unused by the stand-in engine


class EchoEngine:
    """Stands in for the engine: what it was asked to scan, so misplaced or repeated lines show."""

    def __init__(self) -> None:
        self.scanned: list[str] = []

    def scan(self, text: str, where: str = Where.PROMPT) -> list:
        self.scanned.append(text)
        return []


def raw_input_lines(count: int) -> list[bytes]:
    """Numbered records, every 7th line (from the 4th) not JSON."""
    return [b"{not json\n" if i % 7 == 3 else b'{"id": %d, "text": "t%d"}\n' % (i, i) for i in range(count)]


def raw_items(rows: list[bytes]):
    return (batch.RawLine(number, line, b"", "jsonl", 1 << 20) for number, line in enumerate(rows, start=1))


def run_in_process(monkeypatch, rows: list[bytes], workers: int, pool=None) -> tuple[list[str], EchoEngine]:
    engine = EchoEngine()
    monkeypatch.setattr(batch, "_WORKER_ENGINE", engine)
    if pool is not None:
        monkeypatch.setattr(batch, "ProcessPoolExecutor", pool)
    out: list[str] = []
    assert batch.run(raw_items(rows), OPTIONS, workers, out.append) == len(rows)
    return out, engine


def test_raw_line_survives_pickling_and_parses_the_same():
    for raw in (
        batch.RawLine(3, b'{"id": "a", "text": "mail jane@example.com"}\n', b"", "jsonl", 1024),
        batch.RawLine(4, None, b'{"id": "big", "text": "xxx', "jsonl", 1024),
        batch.RawLine(5, b'{"event_id": "e", "type": "APP_LOG", "body": "hi"}\n', b"", "chatgpt-logs", 1024),
    ):
        copy = pickle.loads(pickle.dumps(raw, pickle.HIGHEST_PROTOCOL))  # noqa: S301 (our own bytes)
        assert copy == raw and type(copy) is batch.RawLine
        assert batch.parse_line(copy, lambda _: None) == batch.parse_line(raw, lambda _: None)


def test_one_batch_of_input_starts_no_worker(monkeypatch):
    class NoPool:
        def __init__(self, *args, **kwargs):
            raise AssertionError("input that fits in one batch must not start workers")

    rows = raw_input_lines(batch.BATCH_RECORDS)
    out, _ = run_in_process(monkeypatch, rows, workers=2, pool=NoPool)
    single, _ = run_in_process(monkeypatch, rows, workers=1)
    assert out == single
    assert [json.loads(line)["id"] for line in out[:4]] == [0, 1, 2, None]


@pytest.mark.parametrize("batch_records", [1, 3, 5])
def test_many_batches_keep_order_and_the_first_is_scanned_before_the_pool(monkeypatch, batch_records):
    monkeypatch.setattr(batch, "BATCH_RECORDS", batch_records)
    written_before_pool: list[int] = []
    out: list[str] = []

    class ThreadPool(ThreadPoolExecutor):  # same interface, no fork: the order logic is what is tested here
        def __init__(self, max_workers, initializer, initargs):
            written_before_pool.append(len(out))
            super().__init__(max_workers=max_workers, initializer=initializer, initargs=initargs)

    rows = raw_input_lines(23)
    engine = EchoEngine()
    monkeypatch.setattr(batch, "_WORKER_ENGINE", engine)
    monkeypatch.setattr(batch, "ProcessPoolExecutor", ThreadPool)
    assert batch.run(raw_items(rows), OPTIONS, 2, out.append) == 23
    single, _ = run_in_process(monkeypatch, rows, workers=1)
    assert out == single
    assert written_before_pool == [batch_records]  # the first batch was written before any worker existed
    assert sorted(engine.scanned) == sorted(f"t{i}" for i in range(23) if i % 7 != 3)  # each text once


def test_empty_input_with_workers(monkeypatch):
    monkeypatch.setattr(batch, "_WORKER_ENGINE", EchoEngine())
    out: list[str] = []
    assert batch.run(iter(()), OPTIONS, 2, out.append) == 0
    assert out == []


def test_cli_workers_identical_over_several_batches(tmp_path):
    """Real processes: the first batch's lines, still buffered on stdout at the fork, are written once."""
    rows = []
    for i in range(2 * batch.BATCH_RECORDS + 40):
        if i % 97 == 5:
            rows.append(b"{not json")
        elif i % 131 == 9:
            rows.append(json.dumps({"id": f"n{i}", "text": 42}).encode())
        else:
            rows.append(json.dumps({"id": f"r{i}", "text": f"row {i}: mail user{i}@acme-corp.io"}).encode())
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(rows) + b"\n")
    results = {
        workers: subprocess.run(
            [*AIWATCH, "scan", "--input", str(source), "--workers", str(workers), "--rules", "pii.email"],
            capture_output=True,
            timeout=240,
            check=False,
        )
        for workers in (1, 2)
    }
    assert results[1].returncode == results[2].returncode == 0
    assert results[1].stdout == results[2].stdout
    lines = [json.loads(line) for line in results[2].stdout.splitlines()]
    assert len(lines) == len(rows)
    assert lines[-1]["id"] == f"r{len(rows) - 1}" and lines[-1]["detections"][0]["rule"] == "pii.email"
    for stderr in (results[1].stderr.decode(), results[2].stderr.decode()):
        assert "line 6: invalid JSON" in stderr and "line 10: text is int, not a string" in stderr
