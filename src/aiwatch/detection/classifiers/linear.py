"""Runtime of the shipped linear text classifiers: numpy-free, scikit-learn-free, dict lookups only.

The artefact (`attack_models.json.gz`, written by `train_injection`) holds, per model, the weights of word
uni/bigram features, the bias, and decision thresholds per sensitivity.
Scoring a text = logistic(bias + sum of weights of its distinct features / sqrt(number of features)),
the same binary, L2-normalised features the model was trained on.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from pathlib import Path

from aiwatch.detection.classifiers.features import ngrams, tokens
from aiwatch.domain import Sensitivity

ARTEFACT = Path(__file__).with_name("attack_models.json.gz")


@dataclass(frozen=True, slots=True)
class LinearModel:
    name: str
    weights: dict[str, float]
    bias: float
    thresholds: dict[str, float]  # sensitivity -> probability threshold

    def score_tokens(self, toks: list[str]) -> float:
        return self.score_features(ngrams(toks))

    def score_features(self, feats: set[str]) -> float:
        if not feats:
            return _sigmoid(self.bias)
        total = sum(map(self.weights.get, feats, repeat(0.0)))
        return _sigmoid(self.bias + total / math.sqrt(len(feats)))

    def threshold(self, sensitivity: Sensitivity) -> float:
        return self.thresholds[str(sensitivity)]


@dataclass(frozen=True, slots=True)
class AttackModels:
    version: str
    injection: LinearModel
    jailbreak: LinearModel


def _sigmoid(x: float) -> float:
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def score_text(model: LinearModel, normalized: str) -> float:
    return model.score_tokens(tokens(normalized))


@lru_cache(maxsize=1)
def load_models(path: Path = ARTEFACT) -> AttackModels:
    """Load the shipped artefact once per process."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        raw = json.load(handle)
    models = {
        name: LinearModel(name, spec["weights"], float(spec["bias"]), spec["thresholds"])
        for name, spec in raw["models"].items()
    }
    return AttackModels(raw["version"], models["injection"], models["jailbreak"])
