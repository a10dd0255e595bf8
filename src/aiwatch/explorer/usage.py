"""Usage over a time frame: conversations and messages per day, active users, top users by messages and top
GPTs/projects by messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from aiwatch.explorer.frames import Frame, day_bucket
from aiwatch.store import models as m

TOP = 10


@dataclass
class Usage:
    frame: Frame
    days: list[str]
    conversations_per_day: dict[str, int]
    messages_per_day: dict[str, int]
    conversations: int
    messages: int
    active_users: int
    top_users: list[dict[str, Any]]  # {"user_id", "email", "name", "messages"}
    top_agents: list[dict[str, Any]]  # {"agent_id", "name", "kind", "messages"}

    def series(self, name: str) -> list[tuple[str, int]]:
        per_day = self.conversations_per_day if name == "conversations" else self.messages_per_day
        return [(day, per_day.get(day, 0)) for day in self.days]

    def as_dict(self) -> dict[str, Any]:
        return {
            "frame": self.frame.name,
            "since": self.frame.since.isoformat(),
            "until": self.frame.until.isoformat(),
            "conversations": self.conversations,
            "messages": self.messages,
            "active_users": self.active_users,
            "per_day": [
                {
                    "day": day,
                    "conversations": self.conversations_per_day.get(day, 0),
                    "messages": self.messages_per_day.get(day, 0),
                }
                for day in self.days
            ],
            "top_users": self.top_users,
            "top_agents": self.top_agents,
        }


def usage(session: Session, frame: Frame, top: int = TOP) -> Usage:
    conv_day = day_bucket(session, m.Conversation.created_at).label("day")
    conversations = dict(
        session.execute(
            select(conv_day, func.count())
            .where(m.Conversation.created_at >= frame.since, m.Conversation.created_at < frame.until)
            .group_by(conv_day)
        ).all()
    )
    msg_day = day_bucket(session, m.Message.created_at).label("day")
    in_frame = (m.Message.created_at >= frame.since, m.Message.created_at < frame.until)
    messages = dict(session.execute(select(msg_day, func.count()).where(*in_frame).group_by(msg_day)).all())
    # A message's user is its conversation's owner: count per conversation first (one indexed join per
    # conversation instead of per message), then add up per owner.
    per_conversation = (
        select(
            m.Message.integration_id,
            m.Message.conversation_id,
            func.count(m.Message.id).label("n"),
        )
        .where(*in_frame, m.Message.conversation_id.is_not(None))
        .group_by(m.Message.integration_id, m.Message.conversation_id)
        .subquery()
    )
    count = func.sum(per_conversation.c.n).label("messages")
    by_user = session.execute(
        select(
            m.Conversation.integration_id, m.Conversation.user_id, func.max(m.Conversation.user_email), count
        )
        .join(
            per_conversation,
            and_(
                m.Conversation.integration_id == per_conversation.c.integration_id,
                m.Conversation.conversation_id == per_conversation.c.conversation_id,
            ),
        )
        .where(m.Conversation.user_id.is_not(None))
        .group_by(m.Conversation.integration_id, m.Conversation.user_id)
        .order_by(count.desc(), m.Conversation.user_id)
    ).all()
    people = (
        {
            (row.integration_id, row.user_id): row
            for row in session.scalars(
                select(m.WorkspaceUser).where(m.WorkspaceUser.user_id.in_({r[1] for r in by_user[:top]}))
            )
        }
        if by_user
        else {}
    )
    top_users = []
    for integration_id, user_id, email, n in by_user[:top]:
        person = people.get((integration_id, user_id))
        top_users.append(
            {
                "user_id": user_id,
                "email": email or (person.email if person else None),
                "name": person.name if person else None,
                "messages": int(n),
            }
        )
    count = func.count(m.Message.id).label("messages")
    agent = func.coalesce(m.Message.gpt_id, m.Message.project_id).label("agent")
    by_agent = session.execute(
        select(m.Message.integration_id, agent, count)
        .where(*in_frame, agent.is_not(None))
        .group_by(m.Message.integration_id, agent)
        .order_by(count.desc(), agent)
        .limit(top)
    ).all()
    agents = (
        {
            (row.integration_id, row.agent_id): row
            for row in session.scalars(select(m.Agent).where(m.Agent.agent_id.in_({r[1] for r in by_agent})))
        }
        if by_agent
        else {}
    )
    top_agents = []
    for integration_id, agent_id, n in by_agent:
        known = agents.get((integration_id, agent_id))
        top_agents.append(
            {
                "agent_id": agent_id,
                "name": known.name if known else None,
                "kind": known.kind if known else None,
                "messages": int(n),
            }
        )
    return Usage(
        frame=frame,
        days=frame.days(),
        conversations_per_day={str(k): int(v) for k, v in conversations.items()},
        messages_per_day={str(k): int(v) for k, v in messages.items()},
        conversations=sum(int(v) for v in conversations.values()),
        messages=sum(int(v) for v in messages.values()),
        active_users=len(by_user),
        top_users=top_users,
        top_agents=top_agents,
    )
