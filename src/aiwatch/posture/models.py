"""Posture tables: review marks on agent versions and the stored diffs the console shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aiwatch.store.models import ID, Base, BigId, utc_now


class AgentReview(Base):
    """A reviewer marked this version (and the sharing seen then) as reviewed; the newest mark counts."""

    __tablename__ = "agent_reviews"
    __table_args__ = (Index("ix_agent_reviews_integration_agent", "integration_id", "agent_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    agent_id: Mapped[str] = mapped_column(ID)
    config_id: Mapped[str] = mapped_column(ID)
    sharing: Mapped[dict[str, Any] | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(default=utc_now)


class AgentConfigDiff(Base):
    """The diff between the baseline (last reviewed, or first) version and a later version of an agent."""

    __tablename__ = "agent_config_diffs"
    __table_args__ = (UniqueConstraint("integration_id", "agent_id", "from_config_id", "to_config_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    agent_id: Mapped[str] = mapped_column(ID)
    from_config_id: Mapped[str] = mapped_column(ID)  # "" when nothing came before
    to_config_id: Mapped[str] = mapped_column(ID)
    diff: Mapped[dict[str, Any]]
    widens: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
