"""Errors and small helpers shared by the inventory queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from aiwatch.findings.models import Finding
from aiwatch.risk.models import RiskScoreRow
from aiwatch.store.models import Integration

T = TypeVar("T")

DEFAULT_LIMIT = 25
MAX_LIMIT = 500


class InventoryError(ValueError):
    """Bad input (unknown sort key, a version the agent lacks …); the message says what is valid."""


class NotFound(LookupError):
    """No user or agent with that id is stored."""


@dataclass(frozen=True)
class Page:
    """Paging and sort of a list query, validated once."""

    sort: str
    descending: bool = True
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def check(self, sorts: tuple[str, ...]) -> None:
        if self.sort not in sorts:
            raise InventoryError(f"cannot sort by {self.sort!r}; use one of {', '.join(sorts)}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InventoryError(f"limit must be between 1 and {MAX_LIMIT}")
        if self.offset < 0:
            raise InventoryError("offset must be 0 or more")


def like_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern matching ``text`` literally anywhere (% and _ escaped with \\)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def integration_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Integration.id, Integration.name)).all())


def open_findings_subquery(kind: str) -> Any:
    """Open findings per (integration, subject id) of one subject kind."""
    return (
        select(
            Finding.integration_id.label("integration_id"),
            Finding.subject_id.label("subject_id"),
            func.count(Finding.id).label("open_findings"),
        )
        .where(Finding.subject_kind == kind, Finding.status == "open")
        .group_by(Finding.integration_id, Finding.subject_id)
        .subquery()
    )


def risk_join(query: Select[Any], kind: str, integration_col: Any, subject_col: Any) -> Select[Any]:
    return query.outerjoin(
        RiskScoreRow,
        and_(
            RiskScoreRow.integration_id == integration_col,
            RiskScoreRow.subject_kind == kind,
            RiskScoreRow.subject_id == subject_col,
        ),
    )


def text_filter(pattern: str, *columns: Any) -> Any:
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
