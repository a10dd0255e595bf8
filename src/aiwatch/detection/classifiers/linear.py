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
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
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


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


@dataclass(frozen=True, slots=True)
class AttackModels:
    version: str
    injection: LinearModel
    jailbreak: LinearModel
    # feature -> (injection weight, jailbreak weight) for the features either model knows: one lookup per
    # feature for both models
    joint_weights: dict[str, tuple[float, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        injection, jailbreak = self.injection.weights, self.jailbreak.weights
        joint = {term: (weight, jailbreak.get(term, 0.0)) for term, weight in injection.items()}
        joint.update((term, (0.0, weight)) for term, weight in jailbreak.items() if term not in injection)
        object.__setattr__(self, "joint_weights", joint)

    def score_both(self, feats: set[str]) -> tuple[float, float]:
        """(injection, jailbreak) probabilities: `score_features(feats)` of each model, the same floats (each
        sum adds the same weights in the same order; a feature a model does not know added 0.0)."""
        if not feats:
            return _sigmoid(self.injection.bias), _sigmoid(self.jailbreak.bias)
        known = list(filter(None, map(self.joint_weights.get, feats)))
        scale = math.sqrt(len(feats))
        return (
            _sigmoid(self.injection.bias + sum(map(_FIRST, known)) / scale),
            _sigmoid(self.jailbreak.bias + sum(map(_SECOND, known)) / scale),
        )


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
