"""The ``agent.*`` rules as pure functions: stored agent + configuration versions in, posture hits out.

No database here: ``aiwatch.posture.service`` loads rows, calls these, and records the hits as alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiwatch.detection.types import Detection, Where
from aiwatch.domain import Severity
from aiwatch.posture.diff import ConfigDiff, ConfigSnapshot, Sharing

PUBLIC_VISIBILITIES = ("anyone-with-link", "gpt-store")
DEFAULT_BROAD_EDIT_THRESHOLD = 3  # recipients with can_write at or above this are "many"

# Rule id -> default severity. The ids are the catalog's public contract (DETECTION-CATALOG.md).
POSTURE_RULES: dict[str, Severity] = {
    "agent.public_sharing": Severity.HIGH,
    "agent.broad_edit_rights": Severity.MEDIUM,
    "agent.external_action": Severity.MEDIUM,
    "agent.unauthenticated_action": Severity.HIGH,
    "agent.sensitive_instructions": Severity.HIGH,
    "agent.sensitive_knowledge": Severity.HIGH,
    "agent.config_changed": Severity.MEDIUM,
}

Scanner = Callable[[str, Where], list[Detection]]


@dataclass(frozen=True)
class PostureHit:
    """One posture alert: which rule, on which version (and file), with displayable, never-secret evidence."""

    rule: str
    severity: Severity
    config_id: str
    source_field: str  # "sharing.visibility", "tools.action_domain", "instructions", "file" …
    evidence: str
    item_key: str  # stable identity of what was found, so re-evaluating records nothing new
    value_hash: str | None = None
    file_id: str | None = None
    start: int | None = None
    end: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def sharing_hits(sharing: Sharing, latest_config_id: str, broad_edit_threshold: int) -> list[PostureHit]:
    """Sharing belongs to the agent (not a version): judged once, on its latest version."""
    hits = []
    if sharing.visibility in PUBLIC_VISIBILITIES:
        hits.append(
            PostureHit(
                "agent.public_sharing",
                POSTURE_RULES["agent.public_sharing"],
                latest_config_id,
                "sharing.visibility",
                sharing.visibility or "",
                f"visibility:{sharing.visibility}",
            )
        )
    writers = sorted(sharing.writers)
    if len(writers) >= max(1, broad_edit_threshold):
        hits.append(
            PostureHit(
                "agent.broad_edit_rights",
                POSTURE_RULES["agent.broad_edit_rights"],
                latest_config_id,
                "sharing.recipients",
                f"{len(writers)} recipients can edit",
                "writers:" + ",".join(writers),
                details={"writers": writers, "threshold": broad_edit_threshold},
            )
        )
    return hits


def action_hits(config: ConfigSnapshot) -> list[PostureHit]:
    hits = []
    for domain in config.action_domains:
        hits.append(
            PostureHit(
                "agent.external_action",
                POSTURE_RULES["agent.external_action"],
                config.config_id,
                "tools.action_domain",
                domain,
                f"domain:{domain}",
            )
        )
    for domain in config.unauthenticated_domains:
        hits.append(
            PostureHit(
                "agent.unauthenticated_action",
                POSTURE_RULES["agent.unauthenticated_action"],
                config.config_id,
                "tools.auth_type",
                f"{domain} (auth: none)",
                f"domain:{domain}",
            )
        )
    return hits


def _exposure_hits(
    rule: str, detections: Sequence[Detection], config_id: str, source_field: str, file_id: str | None
) -> list[PostureHit]:
    hits = []
    for detection in detections:
        if detection.test_value:
            continue  # documented example values are not a real exposure
        identity = detection.value_hash or f"{detection.rule}:{detection.start}:{detection.end}"
        hits.append(
            PostureHit(
                rule,
                POSTURE_RULES[rule],
                config_id,
                source_field,
                f"{detection.rule}: {detection.evidence}",
                f"{file_id or 'instructions'}:{detection.rule}:{identity}",
                value_hash=detection.value_hash,
                file_id=file_id,
                start=detection.start,
                end=detection.end,
                details={"detection_rule": detection.rule, "detection_severity": str(detection.severity)},
            )
        )
    return hits


def instruction_hits(config: ConfigSnapshot, scan: Scanner) -> list[PostureHit]:
    """``agent.sensitive_instructions``: any Data Exposure detection inside the instructions."""
    if not config.instructions:
        return []
    found = scan(config.instructions, Where.AGENT_CONFIG)
    return _exposure_hits("agent.sensitive_instructions", found, config.config_id, "instructions", None)


def knowledge_hits(config_id: str, file_id: str, text: str, scan: Scanner) -> list[PostureHit]:
    """``agent.sensitive_knowledge``: any Data Exposure detection inside a knowledge file's text."""
    if not text:
        return []
    found = scan(text, Where.FILE)
    return _exposure_hits("agent.sensitive_knowledge", found, config_id, "file", file_id)


def config_changed_hit(diff: ConfigDiff) -> PostureHit | None:
    if not diff.widens:
        return None
    reasons = diff.reasons()
    return PostureHit(
        "agent.config_changed",
        POSTURE_RULES["agent.config_changed"],
        diff.to_config_id,
        "config",
        "; ".join(reasons),
        f"changed:{diff.from_config_id or '(none)'}->{diff.to_config_id}",
        details={"from_config_id": diff.from_config_id, "reasons": reasons},
    )


def mask_text(text: str, detections: Sequence[Detection]) -> str:
    """``text`` with every detected span replaced by its masked evidence (for stored diffs)."""
    out: list[str] = []
    cursor = 0
    for detection in sorted(detections, key=lambda d: (d.start, -d.end)):
        if detection.start < cursor:
            continue  # overlaps a span already masked
        out.append(text[cursor : detection.start])
        out.append(f"[{detection.rule}: {detection.evidence}]")
        cursor = detection.end
    out.append(text[cursor:])
    return "".join(out)
