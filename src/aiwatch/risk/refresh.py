"""The round that follows each pipeline run: posture and activity alerts, then risk scores.

The findings pipeline calls ``refresh_after_pipeline`` once per integration after it recorded its alerts,
in the same transaction, so scores always reflect the findings just written.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from aiwatch.config import Settings


@dataclass(frozen=True)
class RefreshResult:
    posture_alerts: int
    activity_alerts: int
    risk_scores: int


def refresh_after_pipeline(session: Session, settings: Settings, integration_id: int) -> RefreshResult:
    from aiwatch.activity.service import options_from_settings, record_activity
    from aiwatch.crypto import load_secret_box
    from aiwatch.posture.service import record_posture
    from aiwatch.risk.service import recompute_scores

    posture = record_posture(
        session, integration_id, broad_edit_threshold=settings.posture_broad_edit_threshold
    )
    activity = record_activity(
        session, integration_id, box=load_secret_box(settings), options=options_from_settings(settings)
    )
    scores = recompute_scores(session, integration_id)
    return RefreshResult(posture.created, activity.created, scores)
