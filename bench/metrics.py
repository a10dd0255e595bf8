"""Scoring exactly as docs/EVALUATION.md: overlap-based span P/R/F1/F2, and classification metrics."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class SpanCounts:
    """Precision counts predictions that overlap a labelled span of the same type; recall counts labelled
    spans overlapped by at least one prediction of their type."""

    predicted: int = 0
    predicted_matched: int = 0
    gold: int = 0
    gold_found: int = 0

    def add(self, other: SpanCounts) -> None:
        self.predicted += other.predicted
        self.predicted_matched += other.predicted_matched
        self.gold += other.gold
        self.gold_found += other.gold_found

    @property
    def precision(self) -> float:
        return self.predicted_matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.gold_found / self.gold if self.gold else 0.0

    def f_beta(self, beta: float) -> float:
        p, r = self.precision, self.recall
        if p + r == 0:
            return 0.0
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f_beta(1), 4),
            "f2": round(self.f_beta(2), 4),
            "predicted": self.predicted,
            "gold": self.gold,
        }


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


@dataclass
class SpanScorer:
    """Accumulates per-type counts. ``ignore`` lists, per predicted type, gold types whose spans make a
    prediction neither right nor wrong (an address rule hitting a labelled country/city)."""

    types: Sequence[str]
    ignore: dict[str, frozenset[str]] = field(default_factory=dict)
    counts: dict[str, SpanCounts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {t: SpanCounts() for t in self.types}

    def add_item(
        self, gold: Iterable[tuple[str, int, int]], predicted: Iterable[tuple[str, int, int]]
    ) -> None:
        gold = list(gold)
        predicted = list(predicted)
        for kind in self.types:
            counts = self.counts[kind]
            gold_of_kind = [(s, e) for t, s, e in gold if t == kind]
            ignorable = [(s, e) for t, s, e in gold if t in self.ignore.get(kind, ())]
            predicted_of_kind = [(s, e) for t, s, e in predicted if t == kind]
            counts.gold += len(gold_of_kind)
            counts.gold_found += sum(
                any(overlaps(gs, ge, ps, pe) for ps, pe in predicted_of_kind) for gs, ge in gold_of_kind
            )
            for ps, pe in predicted_of_kind:
                if any(overlaps(gs, ge, ps, pe) for gs, ge in gold_of_kind):
                    counts.predicted += 1
                    counts.predicted_matched += 1
                elif not any(overlaps(gs, ge, ps, pe) for gs, ge in ignorable):
                    counts.predicted += 1

    def micro(self, types: Iterable[str]) -> SpanCounts:
        total = SpanCounts()
        for kind in types:
            total.add(self.counts[kind])
        return total


@dataclass
class BinaryCounts:
    tp: int = 0
    fp: int = 0
    tn: int = 0
    fn: int = 0

    def add(self, truth: bool, predicted: bool) -> None:
        if truth and predicted:
            self.tp += 1
        elif truth:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    @property
    def balanced_accuracy(self) -> float:
        specificity = self.tn / (self.tn + self.fp) if self.tn + self.fp else 0.0
        return (self.recall + specificity) / 2

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "balanced_accuracy": round(self.balanced_accuracy, 4),
            "fpr": round(self.fpr, 4),
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
        }
