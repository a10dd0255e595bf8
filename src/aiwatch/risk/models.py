"""Stored risk scores: one row per (integration, subject), with the breakdown that explains it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aiwatch.store.models import ID, Base, BigId, utc_now


class RiskScoreRow(Base):
    __tablename__ = "risk_scores"
    __table_args__ = (
        UniqueConstraint("integration_id", "subject_kind", "subject_id"),
        Index("ix_risk_scores_kind_score", "subject_kind", "score"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    subject_kind: Mapped[str] = mapped_column(String(16))  # "user" | "agent"
    subject_id: Mapped[str] = mapped_column(ID)
    subject_label: Mapped[str | None] = mapped_column(Text)  # email or agent name, for lists
    score: Mapped[float] = mapped_column(Float)
    raw: Mapped[float] = mapped_column(Float)
    finding_count: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[list[Any]]
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)
