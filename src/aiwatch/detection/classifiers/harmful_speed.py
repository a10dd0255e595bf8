"""Print the harmful detector's throughput (MB/s of UTF-8 text, one core) on three mixes.

    python -m aiwatch.detection.classifiers.harmful_speed [--datasets DIR]

- ordinary prompts: the label-0 prompts of the neuralchemy set (needs the shared datasets; skipped if absent),
- alarm-heavy prompts: the committed generated prompts, half harmful (worst case: most pass the prefilter),
- documents: 2-8 KB business prose with one alarming-but-safe prompt appended (the sentence-window path).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from aiwatch.config import ConfigError
from aiwatch.detection.classifiers.harmful import HarmfulContentDetector, load_model
from aiwatch.detection.classifiers.harmful_datasets import (
    default_datasets_dir,
    load_alarming_safe,
    load_external_benign,
    load_generated,
)
from aiwatch.domain import Sensitivity

PROSE = (
    "The quarterly report shows revenue growth in all regions. Please review the attached slides and send "
    "comments by Friday. We will discuss the roadmap, hiring plan and budget in the next meeting.\n"
)


def throughput(detector: HarmfulContentDetector, texts: list[str], repeat: int = 3) -> tuple[float, float]:
    """(MB/s, microseconds per text), best of `repeat` runs."""
    size = sum(len(t.encode("utf-8", errors="surrogatepass")) for t in texts)
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        for text in texts:
            detector.detect(text, Sensitivity.BALANCED)
        best = min(best, time.perf_counter() - began)
    return size / best / 1e6, best / len(texts) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=default_datasets_dir())
    args = parser.parse_args(argv)
    load_model()
    detector = HarmfulContentDetector()
    rng = random.Random(7)
    mixes: dict[str, list[str]] = {}
    try:
        mixes["ordinary prompts (neuralchemy label 0)"] = [
            t for t, _, _ in load_external_benign("train", args.datasets)
        ]
    except ConfigError as error:
        print(f"skipping ordinary prompts: {error}")
    mixes["alarm-heavy prompts (generated, ~50% harmful)"] = [t for t, _, _ in load_generated("train")]
    safe = load_alarming_safe("train")
    mixes["documents 2-8 KB"] = [PROSE * rng.randint(10, 40) + rng.choice(safe) for _ in range(500)]
    for name, texts in mixes.items():
        mb_per_s, micros = throughput(detector, texts)
        print(f"{name:48s} n={len(texts):5d}  {mb_per_s:8.1f} MB/s  {micros:8.1f} us/text")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
