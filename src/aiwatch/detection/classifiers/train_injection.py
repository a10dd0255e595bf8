"""Train the prompt-injection and jailbreak linear models and write the shipped artefact.

    python -m aiwatch.detection.classifiers.train_injection [--datasets DIR] [--eval-only]

Needs the `train` extra (scikit-learn) and the licensed dev datasets (default `<repo>/../shared/datasets`).
Deterministic: fixed splits (see `datasets`), fixed solver, no random state involved. After writing
`attack_models.json.gz` it evaluates the full detectors (rules + models, the runtime path) on the held-out
test split and prints the metrics recorded in PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

from aiwatch.config import ConfigError
from aiwatch.detection.classifiers import datasets
from aiwatch.detection.classifiers.benign_documents import (
    benign_documents,
    correspondence_lines,
    log_lines,
    short_messages,
)
from aiwatch.detection.classifiers.features import features
from aiwatch.detection.classifiers.linear import ARTEFACT

VERSION = "attack-linear-2"
MIN_DF = 2
MAX_FEATURES = 40_000
JAILBREAK_CATEGORIES = {"jailbreak", "persona_replacement"}
# HarmBench/WildGuard rows are harmful requests, not safety-bypass framings (and their benign twins are
# near-duplicates), so they do not teach the jailbreak model anything about jailbreaks.
JAILBREAK_SOURCES = {"neuralchemy_v1", "original"}
HARD_NEGATIVES = {"documents", "correspondence", "logs", "chat"}
FPR_BALANCED = 0.10
FPR_HIGH = 0.15


def _fit(
    texts: list[str], labels: list[int], always_train: list[bool]
) -> tuple[dict[str, float], float, list[float]]:
    """Logistic regression on binary L2-normalised n-grams; returns weights, bias, CV probabilities.

    Rows marked `always_train` (generated hard negatives) are in every CV training fold and never predicted
    (their CV probability is NaN): placed in one unshuffled fold of their own, their genre would be unseen
    there and the fold structure, not the data, would move the thresholds.
    """
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    feature_sets = [features(text) for text in texts]
    df = Counter(feature for feats in feature_sets for feature in feats)
    # sorted by frequency then text: set iteration order depends on the per-process hash seed
    ranked = sorted(df.items(), key=lambda item: (-item[1], item[0]))
    vocabulary = [f for f, n in ranked if n >= MIN_DF][:MAX_FEATURES]
    index = {f: i for i, f in enumerate(vocabulary)}
    rows, cols, values = [], [], []
    for row, feats in enumerate(feature_sets):
        kept = [index[f] for f in feats if f in index]
        norm = 1.0 / np.sqrt(len(feats)) if feats else 0.0
        rows.extend([row] * len(kept))
        cols.extend(kept)
        values.extend([norm] * len(kept))
    matrix = csr_matrix((values, (rows, cols)), shape=(len(texts), len(vocabulary)))
    y = np.array(labels)
    model = LogisticRegression(
        C=4.0, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=0
    )
    extra = np.flatnonzero(always_train)
    scored = np.flatnonzero(~np.array(always_train))
    cv = np.full(len(texts), np.nan)
    folds = StratifiedKFold(n_splits=5, shuffle=False)  # unshuffled: near-duplicate blocks stay together
    for train_part, test_part in folds.split(scored, y[scored]):
        train_rows = np.concatenate([scored[train_part], extra])
        fold_model = clone(model).fit(matrix[train_rows], y[train_rows])
        cv[scored[test_part]] = fold_model.predict_proba(matrix[scored[test_part]])[:, 1]
    model.fit(matrix, y)
    weights = {
        f: round(float(w), 4) for f, w in zip(vocabulary, model.coef_[0], strict=True) if abs(w) >= 0.01
    }
    return weights, round(float(model.intercept_[0]), 4), [float(p) for p in cv]


def _threshold(probabilities: list[float], labels: list[int], max_fpr: float, floor: float) -> float:
    negatives = sorted((p for p, y in zip(probabilities, labels, strict=True) if y == 0), reverse=True)
    allowed = int(max_fpr * len(negatives))
    cut = negatives[allowed] if allowed < len(negatives) else 0.0
    return round(max(floor, cut + 1e-4), 4)


def _model_spec(rows: list[datasets.Row], name: str, floors: tuple[float, float]) -> dict[str, object]:
    labels = [row[1] for row in rows]
    hard = [row[2].split(":")[-1] in HARD_NEGATIVES and row[2].startswith("generated") for row in rows]
    weights, bias, cv = _fit([row[0] for row in rows], labels, hard)
    # WildGuard "benign" rows include unlabelled jailbreak framings: leave them out of threshold choice, and
    # the generated hard negatives, which have no CV probability (see `_fit`).
    clean = [i for i, row in enumerate(rows) if not row[2].endswith("wildguard_judgecomp") and not hard[i]]
    cv_clean, labels_clean = [cv[i] for i in clean], [labels[i] for i in clean]
    thresholds = {
        "balanced": _threshold(cv_clean, labels_clean, FPR_BALANCED, floors[0]),
        "high": _threshold(cv_clean, labels_clean, FPR_HIGH, floors[1]),
    }
    print(
        f"{name}: {len(rows)} texts, {sum(labels)} positives, {len(weights)} weights, thresholds {thresholds}"
    )
    return {"weights": weights, "bias": bias, "thresholds": thresholds}


def _is_jailbreak(source: str) -> bool:
    if source.startswith("gptfuzz"):
        return True
    parts = source.split(":")
    return parts[0] == "neuralchemy" and parts[1] in JAILBREAK_CATEGORIES and parts[2] in JAILBREAK_SOURCES


def _generated_negatives(split: str) -> list[datasets.Row]:
    """Pasted documents, sender-to-reader asks ("include your order number in your reply"), chat, logs."""
    rows = [(text, 0, "generated:documents") for text in benign_documents(split)]
    rows += [(text, 0, "generated:correspondence") for text in correspondence_lines(split)]
    rows += [(text, 0, "generated:logs") for text in log_lines(split)]
    return rows + [(text, 0, "generated:chat") for text in short_messages(split)]


def train(datasets_dir: Path) -> None:
    injection_rows = datasets.load_injection("train", datasets_dir)
    benign = [
        (t, 0, s) for t, _, s in datasets.load_benign_prompts("train", datasets_dir) if s.startswith("gen")
    ]
    gptfuzz = datasets.load_gptfuzz("train", datasets_dir)
    # Clean BIPIA contexts are repeated as often as they carry an attack, so context words stay neutral;
    # the attack strings alone teach the attack phrasing.
    clean_contexts = [row for row in injection_rows if row[2].endswith(":clean")] * 3
    attack_rows = injection_rows + clean_contexts + datasets.load_bipia_attacks("train", datasets_dir)
    attack_rows += benign + gptfuzz + _generated_negatives("train")
    jailbreak_rows = [(t, int(y == 1 and _is_jailbreak(s)), s) for t, y, s in attack_rows]
    specs = {
        # floors: CV thresholds below 0.7 / 0.4 flag short benign prompts that merely mention AI
        "injection": _model_spec(attack_rows, "injection", (0.7, 0.4)),
        "jailbreak": _model_spec(jailbreak_rows, "jailbreak", (0.7, 0.4)),
    }
    artefact = {"version": VERSION, "models": specs}
    payload = json.dumps(artefact, sort_keys=True, separators=(",", ":")).encode("utf-8")
    ARTEFACT.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))  # byte-identical reruns
    print(f"wrote {ARTEFACT} ({ARTEFACT.stat().st_size / 1e6:.2f} MB)")


def evaluate(datasets_dir: Path) -> None:
    """Held-out metrics of the runtime detectors (rules + models) at both sensitivities."""
    from aiwatch.detection.attacks.analysis import analyse
    from aiwatch.domain import Sensitivity

    suites = {
        "injection": datasets.load_injection("test", datasets_dir),
        "jailbreak": datasets.load_jailbreak("test", datasets_dir),
    }
    benign = datasets.load_benign_prompts("test", datasets_dir)
    documents = _generated_negatives("test")
    for sensitivity in (Sensitivity.BALANCED, Sensitivity.HIGH):
        for name, rows in suites.items():
            rules = {"attack.jailbreak"} if name == "jailbreak" else None
            _report(f"{name} [{sensitivity}]", rows, sensitivity, rules, analyse)
        _report(f"benign prompts [{sensitivity}]", benign, sensitivity, None, analyse)
        _report(f"generated hard negatives [{sensitivity}]", documents, sensitivity, None, analyse)


def _report(title: str, rows: list[datasets.Row], sensitivity, rules, analyse) -> None:  # type: ignore[no-untyped-def]
    tp = fp = tn = fn = 0
    missed: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for text, label, source in rows:
        found = analyse(text, sensitivity)
        hit = bool(found) if rules is None else any(rule in found for rule in rules)
        totals[source.split(":")[0] + ":" + str(label)] += 1
        if label and hit:
            tp += 1
        elif label:
            fn += 1
            missed[source] += 1
        elif hit:
            fp += 1
        else:
            tn += 1
    recall = tp / (tp + fn) if tp + fn else float("nan")
    fpr = fp / (fp + tn) if fp + tn else float("nan")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    balanced = (recall + (1 - fpr)) / 2 if tp + fn and fp + tn else float("nan")
    print(f"{title}: n={len(rows)} precision={precision:.3f} recall={recall:.3f} fpr={fpr:.3f} "
          f"balanced_accuracy={balanced:.3f}")  # fmt: skip
    if missed:
        print("   missed:", dict(missed.most_common(8)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=datasets.DEFAULT_DATASETS_DIR)
    parser.add_argument(
        "--eval-only", action="store_true", help="evaluate the shipped artefact, do not train"
    )
    args = parser.parse_args(argv)
    try:
        if not args.eval_only:
            try:
                import sklearn  # noqa: F401
            except ImportError:
                print("scikit-learn is missing: pip install -e '.[train]'", file=sys.stderr)
                return 2
            train(args.datasets)
        evaluate(args.datasets)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
