"""Engines shared by the detection-core tests (compiling the rules once per worker keeps the suite fast)."""

from __future__ import annotations

import pytest

from aiwatch.detection.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine(sensitivity="balanced")


@pytest.fixture(scope="session")
def high_engine() -> Engine:
    return Engine(sensitivity="high")
