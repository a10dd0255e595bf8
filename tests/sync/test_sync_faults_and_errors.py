"""Faults the API really shows, and the integration status every error leaves behind."""

from __future__ import annotations

from typing import Any

import pytest

from aiwatch.store import models
from aiwatch.sync.context import SyncOptions

PROFILES = ("429-storm", "5xx-burst", "slow", "reset", "truncated-json", "duplicates", "expired-urls")


@pytest.mark.parametrize("profile", PROFILES)
def test_every_fault_profile_still_ends_complete_and_duplicate_free(harness: Any, profile: str) -> None:
    with harness.emulator(
        seed=31, users=4, conversations_per_user=3, faults=(profile,), fault_rate=0.2, slow_seconds=0.05
    ) as emu:
        info = harness.connect(emu)
        summary = harness.sync()
        # Retries inside the client absorb the faults; a stream that still gave up resumes next pass.
        for _ in range(2):
            if summary.ok:
                break
            summary = harness.sync()
        assert summary.ok, [(o.stream, o.message) for o in summary.outcomes if o.status == "error"]
        assert sum(emu.fault_counts.values()) > 0, f"{profile} never fired"
        harness.assert_matches(info.id, emu.workspace, harness.SYNCED_EVENT_TYPES)
        assert harness.duplicates(info.id) == {}


def test_wrong_key_marks_the_integration_error_and_stops_every_stream(harness: Any) -> None:
    with harness.emulator(seed=32, users=2) as emu:
        harness.connect(emu, api_key="sk-proj-" + "x" * 48)
        summary = harness.sync()
        assert summary.integration_status == "error"
        assert {o.status for o in summary.outcomes[1:]} == {"skipped"}
        info = harness.integration()
        assert info.status == "error"
        assert info.status_message and info.status_message.startswith("key rejected (HTTP 401)")
        assert "x" * 20 not in info.status_message  # never the key


def test_key_without_compliance_scope_is_access_denied(harness: Any) -> None:
    with harness.emulator(seed=33, users=2, scopes=()) as emu:
        harness.connect(emu)
        summary = harness.sync()
        assert summary.integration_status == "error"
        message = harness.integration().status_message or ""
        assert message.startswith("access denied (HTTP 403)")
        assert "OpenAI support" in message


def test_unknown_workspace_is_a_configuration_error(harness: Any) -> None:
    with harness.emulator(seed=34, users=2) as emu:
        harness.connect(emu, workspace_id="0b9d6f4e-1f0c-4a43-9d55-1b2c3d4e5f60")
        summary = harness.sync()
        assert summary.integration_status == "error"
        message = harness.integration().status_message or ""
        assert message.startswith("configuration error: workspace not found")
        assert "Workspace ID" in message


def test_invalid_log_parameters_are_a_configuration_error_and_other_streams_continue(
    harness: Any,
) -> None:
    # COSTS is organization-scoped: asking for it at workspace level answers 422 naming the right path.
    options = SyncOptions(extra_log_types=("COSTS",))
    with harness.emulator(seed=35, users=3) as emu:
        info = harness.connect(emu)
        summary = harness.sync(options=options)
        outcomes = {o.stream: o for o in summary.outcomes if o.stream != "logs:COSTS"}
        failed = [o for o in summary.outcomes if o.status == "error"]
        assert len(failed) == 1 and failed[0].stream == "logs:COSTS"
        assert "organization-scoped" in (failed[0].message or "")
        assert all(o.status in ("ok", "unavailable") for o in outcomes.values())
        state = harness.integration()
        assert state.status == "error"
        assert (state.status_message or "").startswith("logs:COSTS: configuration error")
        harness.assert_matches(
            info.id,
            emu.workspace,
            tuple(t for t in harness.SYNCED_EVENT_TYPES if t != "WORKSPACE_ANALYTICS_LOG"),
        )


def test_recovery_after_an_error_sets_connected_again(harness: Any) -> None:
    with harness.emulator(seed=36, users=2) as emu:
        harness.connect(emu, api_key="sk-proj-" + "y" * 48)
        assert harness.sync().integration_status == "error"
        harness.service.rotate_key("ws", emu.api_key)
        assert harness.sync(options=harness.TEST_OPTIONS).ok
        assert harness.integration().status == "connected"


def test_an_unexpected_failure_stops_only_its_stream_and_leaks_no_data(harness: Any) -> None:
    with harness.emulator(seed=37, users=2) as emu:
        info = harness.connect(emu)

        def broken_memories(client: Any) -> Any:
            def fail(**kwargs: Any) -> Any:
                raise ValueError("row value AKIAIOSFODNN7EXAMPLE")

            client.list_memories = fail
            return client

        summary = harness.sync(client_wrapper=broken_memories)
        outcomes = {o.stream: o for o in summary.outcomes}
        assert outcomes["memories"].status == "error"
        assert outcomes["memories"].message == "internal error (ValueError); the stream resumes next pass"
        assert outcomes["canvases"].status == "ok" and outcomes["conversations"].status == "ok"
        cursor = next(c for c in harness.rows(models.SyncCursor, info.id) if c.stream == "memories")
        assert cursor.last_error and "AKIA" not in cursor.last_error
