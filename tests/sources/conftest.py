"""Fixtures for the Compliance API client tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chatgpt_fakes import FakeApi


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    yield FakeApi()
