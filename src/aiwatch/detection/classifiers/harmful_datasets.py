"""Named train/test splits for the harmful-content classifier (also scored by bench/eval.py).

- `load_harmful(split, datasets_dir)`: HateCheck (split by template group) + the committed generated
  prompts (split by template); rows are (text, labels, source), empty labels = not harmful.
- `load_alarming_safe(split)`: generated safe prompts that merely sound alarming ("kill -9", "shoot a photo").
- `load_external_benign(split, datasets_dir)`: ordinary and contrast prompts from the neuralchemy injection
  set (label 0: original, HarmBench-benign, WildGuard contrast); train file -> "train", validation -> "test".
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Literal

from aiwatch.config import ConfigError

Split = Literal["train", "test"]
Row = tuple[str, frozenset[str], str]

LABELS = ("violence", "self_harm", "hate", "harassment", "sexual", "sexual_minors", "weapons", "malware")
GENERATED_PATH = Path(__file__).with_name("harmful_generated.json")
HATECHECK_FILE = Path("harmful") / "hatecheck-test-suite-cases.csv"
NEURALCHEMY_FILES = {"train": "neuralchemy-core-train.jsonl", "test": "neuralchemy-core-validation.jsonl"}
HATECHECK_TEST_PERCENT = 20


def default_datasets_dir() -> Path:
    """`<repo>/../shared/datasets` (development checkouts only; the package never needs it)."""
    return Path(__file__).resolve().parents[5] / "shared" / "datasets"


def _check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")


def _require(path: Path) -> Path:
    if not path.is_file():
        raise ConfigError(
            f"dataset file {path} is missing: pass --datasets pointing at the shared datasets folder"
        )
    return path


def hatecheck_group(row: dict[str, str]) -> str:
    """Cases derived from one base template (leetspeak, spaced letters, quoted counter-speech) are a group."""
    return row.get("ref_templ_id") or row["templ_id"]


def _hatecheck_split(group: str) -> Split:
    digest = hashlib.sha256(f"hatecheck:{group}".encode()).digest()
    return "test" if int.from_bytes(digest[:4], "big") % 100 < HATECHECK_TEST_PERCENT else "train"


def load_hatecheck(split: Split, datasets_dir: Path) -> list[Row]:
    _check_split(split)
    path = _require(datasets_dir / HATECHECK_FILE)
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if _hatecheck_split(hatecheck_group(row)) != split:
                continue
            labels = frozenset({"hate"}) if row["label_gold"] == "hateful" else frozenset()
            rows.append((row["test_case"].strip(), labels, f"hatecheck:{row['functionality']}"))
    return rows


def load_generated(split: Split) -> list[Row]:
    _check_split(split)
    records = json.loads(GENERATED_PATH.read_text(encoding="utf-8"))
    return [
        (r["text"], frozenset(r["labels"]), f"generated:{r['group']}") for r in records if r["split"] == split
    ]


def load_harmful(split: Split, datasets_dir: Path | None = None) -> list[Row]:
    """The labelled split: HateCheck (needs the shared datasets) plus the generated prompts."""
    return load_hatecheck(split, datasets_dir or default_datasets_dir()) + load_generated(split)


def load_alarming_safe(split: Split) -> list[str]:
    """Safe prompts that merely sound alarming; the false-positive target is measured on the test split."""
    return [text for text, labels, _ in load_generated(split) if not labels]


def load_external_benign(split: Split, datasets_dir: Path | None = None) -> list[Row]:
    _check_split(split)
    path = _require((datasets_dir or default_datasets_dir()) / "injection" / NEURALCHEMY_FILES[split])
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["label"] == 0:
                rows.append((record["text"], frozenset(), f"neuralchemy:{record['source']}"))
    return rows
