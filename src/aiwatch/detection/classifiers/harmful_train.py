"""Train the harmful-content model and write `harmful_model.npz`; then score the held-out split.

    python -m aiwatch.detection.classifiers.harmful_train [--datasets DIR] [--output PATH]

Needs the `train` extra (scikit-learn) and the shared datasets (default `<repo>/../shared/datasets`).
Training data: HateCheck train groups, the generated prompts' train templates, and label-0 prompts of the
neuralchemy train file as extra ordinary negatives. Nothing from the test split is used for fitting or tuning.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from aiwatch.config import ConfigError
from aiwatch.detection.classifiers.harmful import (
    MODEL_PATH,
    HarmfulContentDetector,
    HarmfulModel,
    feature_fingerprint,
    featurize,
)
from aiwatch.detection.classifiers.harmful_datasets import (
    LABELS,
    Row,
    default_datasets_dir,
    load_alarming_safe,
    load_external_benign,
    load_harmful,
)
from aiwatch.detection.classifiers.harmful_lexicon import trigger_words
from aiwatch.domain import Sensitivity

MODEL_VERSION = "harmful-lr-1"
MIN_COUNT = 2  # a feature seen once is noise
REGULARISATION_C = 0.25  # chosen by grouped 4-fold CV on the train split
CONCEPT_SCALE = 1.0  # >1 raised F1 in CV but tripled false positives on alarming-but-safe prompts
SAFE_WEIGHT = 4.0  # sample weight of the generated alarming-but-safe prompts (grouped CV on train)
PRUNE_BELOW = 0.02  # drop features whose weight is this small for every label
THRESHOLD_BALANCED = 0.3
THRESHOLD_HIGH = 0.2


def build_vocabulary(feature_lists: list[list[str]]) -> list[str]:
    counts = Counter(f for features in feature_lists for f in features)
    return sorted(f for f, n in counts.items() if n >= MIN_COUNT)


def to_matrix(feature_lists: list[list[str]], index: dict[str, int]):
    from scipy.sparse import csr_matrix

    rows, cols, values = [], [], []
    for row, features in enumerate(feature_lists):
        for f in features:
            col = index.get(f)
            if col is not None:
                rows.append(row)
                cols.append(col)
                values.append(feature_value(f))
    return csr_matrix((values, (rows, cols)), shape=(len(feature_lists), len(index)))


def feature_value(feature: str) -> float:
    """Curated concept features count more, so the same L2 penalty lets them carry more weight."""
    return CONCEPT_SCALE if "c_" in feature else 1.0


def is_alarming_safe(labels: frozenset[str], source: str) -> bool:
    return not labels and source.startswith("generated:safe")


def fit(train: list[Row]) -> tuple[list[str], np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    feature_lists = [featurize(text) for text, _, _ in train]
    vocab = build_vocabulary(feature_lists)
    matrix = to_matrix(feature_lists, {f: i for i, f in enumerate(vocab)})
    weights = np.zeros((len(vocab), len(LABELS)))
    bias = np.zeros(len(LABELS))
    # Alarming-but-safe prompts count more: flagging "kill -9" is the error users notice first.
    sample_weights = np.array(
        [SAFE_WEIGHT if is_alarming_safe(labels, source) else 1.0 for _, labels, source in train]
    )
    for j, label in enumerate(LABELS):
        target = np.array([label in labels for _, labels, _ in train], dtype=int)
        model = LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000)
        model.fit(matrix, target, sample_weight=sample_weights)
        weights[:, j] = model.coef_[0]
        bias[j] = model.intercept_[0]
    # Inference sums weights of present features: fold the feature values into the weights.
    weights *= np.array([feature_value(f) for f in vocab])[:, None]
    keep = np.abs(weights).max(axis=1) >= PRUNE_BELOW
    return [f for f, k in zip(vocab, keep, strict=True) if k], weights[keep], bias


def prefilter_recall(model: HarmfulModel, rows: list[Row]) -> tuple[int, int]:
    """(harmful texts the trigger prefilter lets through, harmful texts)."""
    positives = [text for text, labels, _ in rows if labels]
    passed = sum(
        bool(model.trigger_ends(t.encode("utf-8", "surrogatepass"), first_only=True)) for t in positives
    )
    return passed, len(positives)


def save(path: Path, vocab: list[str], weights: np.ndarray, bias: np.ndarray, triggers: list[str]) -> None:
    np.savez_compressed(
        path,
        labels=np.array(LABELS),
        vocab=np.array(vocab),
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
        thresholds_balanced=np.full(len(LABELS), THRESHOLD_BALANCED, dtype=np.float32),
        thresholds_high=np.full(len(LABELS), THRESHOLD_HIGH, dtype=np.float32),
        triggers=np.array(triggers),
        version=np.array(MODEL_VERSION),
        fingerprint=np.array(feature_fingerprint()),
    )


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(
    detector: HarmfulContentDetector, rows: list[Row], sensitivity: Sensitivity
) -> dict[str, object]:
    """Binary (any harmful label) and per-label precision/recall/F1 of the real detector on `rows`."""
    binary = Counter()
    per_label = {label: Counter() for label in LABELS}
    for text, gold, _ in rows:
        predicted = {d.rule.removeprefix("harmful.") for d in detector.detect(text, sensitivity)}
        binary[("tp" if gold else "fp") if predicted else ("fn" if gold else "tn")] += 1
        for label in LABELS:
            key = (
                ("tp" if label in gold else "fp") if label in predicted else ("fn" if label in gold else "tn")
            )
            per_label[label][key] += 1
    p, r, f = _prf(binary["tp"], binary["fp"], binary["fn"])
    negatives = binary["fp"] + binary["tn"]
    return {
        "binary": (p, r, f),
        "fpr": binary["fp"] / negatives if negatives else 0.0,
        "counts": dict(binary),
        "labels": {label: _prf(c["tp"], c["fp"], c["fn"]) for label, c in per_label.items()},
    }


def false_positive_rate(
    detector: HarmfulContentDetector, texts: list[str], sensitivity: Sensitivity
) -> float:
    flagged = [t for t in texts if detector.detect(t, sensitivity)]
    return len(flagged) / len(texts) if texts else 0.0


def report(detector: HarmfulContentDetector, datasets: Path) -> None:
    test = load_harmful("test", datasets)
    safe = load_alarming_safe("test")
    external = [text for text, _, _ in load_external_benign("test", datasets)]
    for sensitivity in Sensitivity:
        result = evaluate(detector, test, sensitivity)
        p, r, f = result["binary"]  # type: ignore[misc]
        print(
            f"[{sensitivity}] held-out harmful (n={len(test)}): P {p:.3f} R {r:.3f} F1 {f:.3f} "
            f"{result['counts']}"
        )
        for label, (lp, lr, lf) in result["labels"].items():  # type: ignore[union-attr]
            print(f"    {label:14s} P {lp:.3f} R {lr:.3f} F1 {lf:.3f}")
        for name, rows in (("hatecheck", [x for x in test if x[2].startswith("hatecheck")]),
                           ("generated", [x for x in test if x[2].startswith("generated")])):  # fmt: skip
            sub = evaluate(detector, rows, sensitivity)
            sp, sr, sf = sub["binary"]  # type: ignore[misc]
            print(f"    subset {name:10s} (n={len(rows)}) P {sp:.3f} R {sr:.3f} F1 {sf:.3f}")
        print(
            f"    FP rate alarming-but-safe (n={len(safe)}): "
            f"{false_positive_rate(detector, safe, sensitivity):.3f}"
        )
        print(f"    FP rate neuralchemy benign (n={len(external)}): "
              f"{false_positive_rate(detector, external, sensitivity):.3f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=default_datasets_dir())
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    try:
        train = load_harmful("train", args.datasets) + load_external_benign("train", args.datasets)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"training on {len(train)} texts from {args.datasets}")
    vocab, weights, bias = fit(train)
    triggers = trigger_words()  # curated: data-driven unigrams were stopwords ("how", "that")
    save(args.output, vocab, weights, bias, triggers)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1024:.0f} KiB, {len(vocab)} features, "
          f"{len(triggers)} triggers)")  # fmt: skip
    model = HarmfulModel(args.output)
    for split in ("train", "test"):
        passed, total = prefilter_recall(model, load_harmful(split, args.datasets))
        print(f"prefilter recall on {split} harmful texts: {passed}/{total} = {passed / total:.3f}")
    report(HarmfulContentDetector(model), args.datasets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
