"""Helpers of the pipeline tests (imported by module name)."""

from __future__ import annotations


def planted_rules(labels) -> set[str]:
    return {label.rule for label in labels}
