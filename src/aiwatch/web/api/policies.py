"""REST API: policies."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["policies"])
