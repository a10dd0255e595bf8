"""Helpers of the findings tests (imported by module name)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def alert(integration_id: int, **overrides: Any):
    from aiwatch.findings.types import AlertInput

    values: dict[str, Any] = {
        "integration_id": integration_id,
        "rule": "secret.aws_access_key_id",
        "item_kind": "message",
        "item_id": "msg-1",
        "subject_kind": "user",
        "subject_id": "user-alice",
        "severity": "high",
        "score": 0.9,
        "start": 4,
        "end": 24,
        "evidence": "AK…WQ2P",
        "value_hash": "hash-1",
        "observed_at": datetime(2026, 11, 1, tzinfo=UTC),
    }
    values.update(overrides)
    return AlertInput(**values)
