"""Usage statistics: conversations and messages per day, active users, top users and agents."""

from __future__ import annotations

from datetime import timedelta

from explorer_helpers import NOW, Seed

from aiwatch.explorer.frames import Frame
from aiwatch.explorer.usage import usage
from aiwatch.store import models as m


def test_usage_per_day_and_rankings(seed: Seed) -> None:
    today, earlier = NOW - timedelta(hours=1), NOW - timedelta(days=2)
    seed.conversation("c-1", user_id="user-alice", at=earlier)
    seed.conversation("c-2", user_id="user-bob", at=today)
    seed.conversation("c-old", user_id="user-bob", at=NOW - timedelta(days=30))
    for i in range(3):
        seed.message("c-1", f"alice {i}", at=earlier, gpt_id="g-1")
    seed.message("c-2", "bob", at=today)
    seed.message("c-old", "old", at=NOW - timedelta(days=30))
    with seed.sessions.begin() as session:
        session.add(
            m.WorkspaceUser(integration_id=seed.integration_id, user_id="user-alice", name="Alice A.")
        )
        session.add(m.Agent(integration_id=seed.integration_id, agent_id="g-1", kind="gpt", name="Helper"))
    with seed.sessions() as session:
        stats = usage(session, Frame.parse("7d", now=NOW))
        day = usage(session, Frame.parse("24h", now=NOW))
    assert (stats.conversations, stats.messages, stats.active_users) == (2, 4, 2)
    assert dict(stats.series("messages"))[earlier.date().isoformat()] == 3
    assert dict(stats.series("conversations"))[today.date().isoformat()] == 1
    assert stats.top_users[0] == {
        "user_id": "user-alice",
        "email": "alice@corp.example",
        "name": "Alice A.",
        "messages": 3,
    }
    assert stats.top_users[1]["user_id"] == "user-bob"
    assert stats.top_agents == [{"agent_id": "g-1", "name": "Helper", "kind": "gpt", "messages": 3}]
    assert (day.messages, day.active_users, day.top_agents) == (1, 1, [])
    assert stats.as_dict()["per_day"][-1]["messages"] == 1
