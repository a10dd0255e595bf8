"""``aiwatch agents review|diff`` on a stored agent."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from typer.testing import CliRunner

from aiwatch.cli import app
from aiwatch.config import Settings
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.store.models import Agent, AgentConfig, Integration


def seed(settings: Settings, integrations: int = 1) -> None:
    sessions = make_session_factory(init_db(settings))
    with sessions.begin() as session:
        for n in range(integrations):
            integration = Integration(
                name=f"ws{n}",
                base_url="http://x",
                workspace_id="w",
                chatgpt_org_id="o",
                platform_org_id="p",
                key_last4="0000",
            )
            session.add(integration)
            session.flush()
            session.add(
                Agent(integration_id=integration.id, agent_id="g-1", kind="gpt", visibility="workspace")
            )
            for day, tools in ((1, [{"type": "browser"}]), (2, [{"type": "browser"}, {"type": "dall-e"}])):
                session.add(
                    AgentConfig(
                        integration_id=integration.id,
                        agent_id="g-1",
                        config_id=f"cfg-{day}",
                        created_at=datetime(2026, 11, day, tzinfo=UTC),
                        instructions=f"Version {day}\nCard 4539 6476 8858 6080",
                        tools=tools,
                        files=[],
                    )
                )
    dispose_engines()


def test_review_and_diff(settings: Settings) -> None:
    seed(settings)
    runner = CliRunner()
    text = runner.invoke(app, ["agents", "diff", "g-1"])
    assert text.exit_code == 0, text.output
    assert "cfg-1 -> cfg-2" in text.output and "tools added: dall-e" in text.output
    assert "4539 6476 8858 6080" not in text.output  # instructions are masked
    reviewed = runner.invoke(app, ["agents", "review", "g-1", "--by", "sec", "--note", "fine"])
    assert reviewed.exit_code == 0 and "cfg-2 reviewed" in reviewed.output
    data = json.loads(runner.invoke(app, ["agents", "diff", "g-1", "--format", "json"]).output)
    assert data["from_config_id"] == "cfg-2" and data["widens"] is False
    missing = runner.invoke(app, ["agents", "review", "g-404"])
    assert missing.exit_code == 1 and "g-404" in missing.output
    bad = runner.invoke(app, ["agents", "diff", "g-1", "--from", "cfg-9"])
    assert bad.exit_code == 1 and "cfg-9" in bad.output
    assert runner.invoke(app, ["agents", "diff", "g-1", "--format", "xml"]).exit_code == 2


def test_several_integrations_need_a_choice(settings: Settings) -> None:
    seed(settings, integrations=2)
    runner = CliRunner()
    ambiguous = runner.invoke(app, ["agents", "diff", "g-1"])
    assert ambiguous.exit_code == 2 and "--integration" in ambiguous.output
    chosen = runner.invoke(app, ["agents", "diff", "g-1", "--integration", "ws1"])
    assert chosen.exit_code == 0, chosen.output
    unknown = runner.invoke(app, ["agents", "diff", "g-1", "--integration", "nope"])
    assert unknown.exit_code == 1
