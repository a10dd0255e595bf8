"""Posture rules and config diffs as pure functions (no database)."""

from __future__ import annotations

from aiwatch.detection.types import Detection, Where
from aiwatch.domain import Severity
from aiwatch.posture.diff import ConfigSnapshot, Sharing, diff_configs
from aiwatch.posture.rules import (
    action_hits,
    config_changed_hit,
    instruction_hits,
    knowledge_hits,
    mask_text,
    sharing_hits,
)


def recipients(*writers: bool) -> list[dict]:
    return [
        {"id": f"user-{n}", "permissions": {"can_read": True, "can_write": can_write}}
        for n, can_write in enumerate(writers)
    ]


def test_public_sharing_and_broad_edit_rights() -> None:
    public = Sharing.from_api("gpt-store", recipients(True, True, True))
    hits = sharing_hits(public, "cfg-2", broad_edit_threshold=3)
    assert {h.rule for h in hits} == {"agent.public_sharing", "agent.broad_edit_rights"}
    assert all(h.config_id == "cfg-2" for h in hits)
    private = Sharing.from_api("invite-only", recipients(True, True, False))
    assert sharing_hits(private, "cfg-2", broad_edit_threshold=3) == []
    assert [h.rule for h in sharing_hits(private, "cfg-2", broad_edit_threshold=2)] == [
        "agent.broad_edit_rights"
    ]


def test_sharing_ignores_malformed_recipients() -> None:
    sharing = Sharing.from_api(None, [None, "x", {"id": 5}, {"id": "u1", "permissions": "yes"}, {"id": "u2"}])
    assert sharing.recipients == {"u1": False, "u2": False}
    assert Sharing.from_api("workspace", "not a list").recipients == {}


def tool(domain: str | None, auth: str | None) -> dict:
    out: dict = {"type": "custom_action", "action_domain": domain}
    if auth is not None:
        out["auth_type"] = auth
    return out


def test_actions_external_and_unauthenticated() -> None:
    config = ConfigSnapshot.from_api(
        "cfg-1",
        "Be helpful.",
        [
            {"type": "browser"},
            tool("https://Hooks.Zapier.com/v1", "none"),
            tool("api.notion.com", "oauth"),
            tool(None, None),  # a project action without auth info
            "garbage",
        ],
        [],
    )
    assert config.tools == ("browser",)
    assert config.action_domains == ("(unknown)", "api.notion.com", "hooks.zapier.com")
    hits = action_hits(config)
    assert sorted((h.rule, h.evidence) for h in hits) == [
        ("agent.external_action", "(unknown)"),
        ("agent.external_action", "api.notion.com"),
        ("agent.external_action", "hooks.zapier.com"),
        ("agent.unauthenticated_action", "hooks.zapier.com (auth: none)"),
    ]


def fake_scan(text: str, where: Where) -> list[Detection]:
    start = text.find("AKIA")
    if start < 0:
        return []
    return [
        Detection(
            "secret.aws_access_key_id",
            start,
            start + 20,
            0.9,
            Severity.CRITICAL,
            "AKIA…MPLQ",
            value_hash="h1",
        )
    ]


def test_sensitive_instructions_and_knowledge_use_the_scanner() -> None:
    config = ConfigSnapshot.from_api("cfg-1", "Use key AKIA2E0A8F3B244C9986 for S3.", [], [{"id": "file-1"}])
    hits = instruction_hits(config, fake_scan)
    assert [(h.rule, h.evidence, h.value_hash) for h in hits] == [
        ("agent.sensitive_instructions", "secret.aws_access_key_id: AKIA…MPLQ", "h1")
    ]
    assert "AKIA2E0A8F3B244C9986" not in repr(hits)
    assert knowledge_hits("cfg-1", "file-1", "", fake_scan) == []
    found = knowledge_hits("cfg-1", "file-1", "creds: AKIA2E0A8F3B244C9986", fake_scan)
    assert [(h.rule, h.file_id) for h in found] == [("agent.sensitive_knowledge", "file-1")]
    assert instruction_hits(ConfigSnapshot.from_api("c", None, None, None), fake_scan) == []


def test_test_values_are_not_exposures() -> None:
    def scan(text: str, where: Where) -> list[Detection]:
        return [Detection("secret.aws_access_key_id", 0, 4, 0.9, Severity.HIGH, "x", test_value=True)]

    assert instruction_hits(ConfigSnapshot("c", "AKIAIOSFODNN7EXAMPLE"), scan) == []


def test_diff_reports_new_tools_domains_and_wider_sharing() -> None:
    old = ConfigSnapshot.from_api("cfg-1", "Line one\nLine two", [{"type": "browser"}], [{"id": "f1"}])
    new = ConfigSnapshot.from_api(
        "cfg-2",
        "Line one\nLine 2",
        [{"type": "browser"}, {"type": "code_interpreter"}, tool("webhook.site", "none")],
        [{"id": "f2"}],
    )
    diff = diff_configs(
        old,
        new,
        old_sharing=Sharing.from_api("invite-only", recipients(False)),
        new_sharing=Sharing.from_api("anyone-with-link", recipients(True, False)),
    )
    assert diff.tools_added == ["code_interpreter"] and diff.domains_added == ["webhook.site"]
    assert diff.files_added == ["f2"] and diff.files_removed == ["f1"]
    assert diff.recipients_added == ["user-1"] and diff.writers_added == ["user-0"]
    assert diff.sharing_widened and diff.widens
    assert "-Line two" in diff.instructions_diff and "+Line 2" in diff.instructions_diff
    data = diff.to_json()
    assert data["widens"] is True and "visibility invite-only -> anyone-with-link" in data["reasons"]
    hit = config_changed_hit(diff)
    assert hit is not None and hit.config_id == "cfg-2" and "new action domain webhook.site" in hit.evidence


def test_narrowing_or_instruction_only_changes_do_not_widen() -> None:
    old = ConfigSnapshot.from_api("cfg-1", "A", [{"type": "browser"}, tool("api.notion.com", "oauth")], [])
    new = ConfigSnapshot.from_api("cfg-2", "B", [{"type": "browser"}], [])
    diff = diff_configs(
        old,
        new,
        old_sharing=Sharing.from_api("workspace", recipients(True)),
        new_sharing=Sharing.from_api("invite-only", recipients(True)),
    )
    assert diff.domains_removed == ["api.notion.com"] and not diff.widens
    assert config_changed_hit(diff) is None
    # Sharing unknown on one side: not compared.
    same = diff_configs(old, old, old_sharing=None, new_sharing=Sharing.from_api("gpt-store", []))
    assert not same.widens


def test_mask_text_replaces_detected_spans() -> None:
    text = "key AKIA2E0A8F3B244C9986 end"
    masked = mask_text(text, fake_scan(text, Where.AGENT_CONFIG))
    assert masked == "key [secret.aws_access_key_id: AKIA…MPLQ] end"
    assert mask_text("plain", []) == "plain"


def test_long_instruction_diffs_are_capped() -> None:
    old = ConfigSnapshot("a", "\n".join(f"old {i}" for i in range(500)))
    new = ConfigSnapshot("b", "\n".join(f"new {i}" for i in range(500)))
    diff = diff_configs(old, new, old_sharing=None, new_sharing=None)
    assert len(diff.instructions_diff) == 201 and diff.instructions_diff[-1].endswith("more lines")
