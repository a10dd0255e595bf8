"""Throughput of the AI-attack plug-ins on a realistic message mix, single core.

    .venv/bin/python bench/attacks_speed.py [--datasets DIR] [--megabytes N]

The mix: generated work prompts, Presidio-research sentences, source files of the installed Python
packages (code pastes), the product docs (long markdown) and a small share of attack prompts. The shared
dev datasets are used when present (`<repo>/../shared/datasets`); without them the mix falls back to
generated prompts, package sources and docs, and says so.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from aiwatch.detection.attacks import DETECTORS, find_encoded_segments, find_hidden_text
from aiwatch.detection.attacks.analysis import _analyse
from aiwatch.detection.classifiers.benign_prompts import benign_prompts
from aiwatch.detection.classifiers.datasets import DEFAULT_DATASETS_DIR
from aiwatch.domain import Sensitivity

REPO = Path(__file__).resolve().parents[1]


def _corpus(datasets_dir: Path, megabytes: float) -> list[str]:
    texts: list[str] = benign_prompts("train") + benign_prompts("test")
    pii = datasets_dir / "pii" / "presidio-generated-large.json"
    if pii.exists():
        texts += [row["full_text"] for row in json.loads(pii.read_text("utf-8"))]
    else:
        print(f"note: {pii} not found, mix has no Presidio sentences", file=sys.stderr)
    attacks = datasets_dir / "injection" / "neuralchemy-core-validation.jsonl"
    if attacks.exists():
        rows = [json.loads(line) for line in attacks.read_text("utf-8").splitlines()]
        texts += [row["text"] for row in rows if row["label"] == 1][:200]
    else:
        print(f"note: {attacks} not found, mix has no attack prompts", file=sys.stderr)
    docs = sorted((REPO.parent / "shared" / "docs").glob("*.md")) + sorted(REPO.glob("*.md"))
    texts += [path.read_text("utf-8", "replace") for path in docs]
    import email  # a stdlib package: realistic Python source pasted into chats

    texts += [p.read_text("utf-8", "replace") for p in sorted(Path(email.__file__).parent.glob("*.py"))]
    corpus: list[str] = []
    size = 0
    while size < megabytes * 1e6:
        for text in texts:
            corpus.append(text)
            size += len(text.encode("utf-8"))
    return corpus


def _measure(name: str, corpus: list[str], run) -> float:  # type: ignore[no-untyped-def]
    megabytes = sum(len(t.encode("utf-8")) for t in corpus) / 1e6
    _analyse.cache_clear()
    started = time.process_time()
    for text in corpus:
        run(text)
    elapsed = time.process_time() - started
    print(f"{name:<34} {megabytes / elapsed:8.1f} MB/s  ({megabytes:.1f} MB in {elapsed:.2f} CPU s)")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS_DIR)
    parser.add_argument("--megabytes", type=float, default=20.0)
    args = parser.parse_args()
    corpus = _corpus(args.datasets, args.megabytes)
    print(f"{len(corpus)} texts, mean {sum(map(len, corpus)) / len(corpus):.0f} characters")

    def all_detectors(text: str) -> None:
        for detector in DETECTORS:
            detector.detect(text, Sensitivity.BALANCED)

    def everything(text: str) -> None:
        find_hidden_text(text)
        find_encoded_segments(text)
        all_detectors(text)

    for detector in DETECTORS[:1]:
        detector.detect("warm up: ignore previous instructions", Sensitivity.BALANCED)
    _measure("find_hidden_text", corpus, find_hidden_text)
    _measure("find_encoded_segments", corpus, find_encoded_segments)
    _measure("4 attack detectors (balanced)", corpus, all_detectors)
    _measure("all attack plug-ins", corpus, everything)
    short = [t for t in corpus if len(t) <= 500]
    long = [t for t in corpus if len(t) > 500]
    print(f"by length: {len(short)} texts <= 500 characters, {len(long)} longer")
    _measure("all attack plug-ins, short texts", short, everything)
    _measure("all attack plug-ins, long texts", long, everything)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
