"""Every field of every detection on the speed corpus, to prove a speed change altered no result.

    .venv/bin/python bench/detection_digest.py --write /tmp/before.jsonl [--mb 4]
    ... change the engine ...
    .venv/bin/python bench/detection_digest.py --compare /tmp/before.jsonl [--mb 4]

Scans the corpus of bench/throughput.py in three passes, balanced and high as a prompt and balanced as a
file (indirect injection and file-only rules differ: see PASSES), and writes one JSON line per (pass,
record) with all detection fields, details included. ``--compare`` prints the first differing records and
exits 1 when any differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import corpus
from aiwatch.detection import default_engine
from aiwatch.detection.types import Sensitivity, Where

PASSES = [
    (Sensitivity.BALANCED, Where.PROMPT),
    (Sensitivity.HIGH, Where.PROMPT),
    (Sensitivity.BALANCED, Where.FILE),
]


def lines(texts: list[str]) -> Iterator[str]:
    for sensitivity, where in PASSES:
        engine = default_engine(sensitivity=sensitivity)
        for index, text in enumerate(texts):
            detections = [
                {
                    "rule": d.rule,
                    "start": d.start,
                    "end": d.end,
                    "score": d.score,
                    "severity": str(d.severity),
                    "evidence": d.evidence,
                    "hash": d.value_hash,
                    "version": d.detector_version,
                    "field": d.source_field,
                    "test": d.test_value,
                    "details": d.details,
                }
                for d in engine.scan(text, where=where)
            ]
            yield json.dumps(
                {"pass": f"{sensitivity}/{where}", "record": index, "detections": detections},
                sort_keys=True,
                default=repr,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--write", type=Path, help="write the digest here")
    target.add_argument("--compare", type=Path, help="compare against a digest written before")
    parser.add_argument("--mb", type=float, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    texts = corpus.build(int(args.mb * 1_000_000), args.seed)
    produced = lines(texts)
    if args.write:
        count = 0
        with args.write.open("w", encoding="utf-8") as out:
            for line in produced:
                out.write(line + "\n")
                count += 1
        print(f"wrote {count} lines to {args.write} in {time.perf_counter() - started:.0f} s")
        return 0

    differences = 0
    with args.compare.open(encoding="utf-8") as before:
        for expected, actual in zip(before, produced, strict=True):
            if expected.rstrip("\n") != actual:
                differences += 1
                if differences <= 5:
                    print(f"- {expected.rstrip()[:2000]}\n+ {actual[:2000]}\n")
    print(f"{differences} differing records ({time.perf_counter() - started:.0f} s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
