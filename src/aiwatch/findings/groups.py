"""User groups: aiwatch-defined sets of workspace users (the Compliance API has no groups) that a policy or
rule scope can list. A group's members are explicit emails and/or email patterns (``*@finance.example.com``);
a synced user belongs to a group when its email matches one of them (case-insensitive). Membership is resolved
at policy-snapshot time, so a user synced later joins its groups without any change to the group.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from aiwatch.findings.models import PolicySetting, UserGroup
from aiwatch.store.models import WorkspaceUser

NAME = re.compile(r"^[\w][\w .&()/-]{0,99}$")
EMAIL = re.compile(r"^[a-z0-9._%+'-]+@[a-z0-9.-]+\.[a-z]{2,}$")
# Patterns: email characters plus glob wildcards; the "@" keeps a stray "*" from meaning "everyone".
PATTERN = re.compile(r"^[a-z0-9._%+'*?\[\]-]*@[a-z0-9.*?\[\]-]+$")
MAX_MEMBERS = 2000


class GroupError(ValueError):
    """A group change that cannot be applied; the message says what to fix."""


@dataclass(frozen=True)
class GroupMatcher:
    """A group as the policy snapshot uses it: detached from the session, cheap to test an email against."""

    id: int
    name: str
    emails: frozenset[str]
    patterns: tuple[str, ...]

    @classmethod
    def of(cls, group: UserGroup) -> GroupMatcher:
        return cls(
            group.id,
            group.name,
            frozenset(str(e).lower() for e in group.emails or []),
            tuple(str(p).lower() for p in group.patterns or []),
        )

    def matches(self, email: str | None) -> bool:
        if not email:
            return False
        address = email.strip().lower()
        return address in self.emails or any(fnmatch.fnmatchcase(address, p) for p in self.patterns)


@dataclass
class GroupInfo:
    id: int
    name: str
    description: str | None
    emails: list[str]
    patterns: list[str]
    members: int = 0  # synced users whose email matches
    used_by: list[str] = field(default_factory=list)  # "rule:<id>" / "policy:<id>" scopes listing the group


def split_members(members: Iterable[str]) -> tuple[list[str], list[str]]:
    """Explicit emails and patterns from free text entries (commas, spaces or new lines), validated."""
    emails: list[str] = []
    patterns: list[str] = []
    for raw in members:
        for entry in re.split(r"[\s,;]+", raw or ""):
            value = entry.strip().lower()
            if not value:
                continue
            if any(c in value for c in "*?["):
                if not PATTERN.match(value):
                    raise GroupError(
                        f"{entry!r} is not an email pattern; use e.g. *@finance.example.com or "
                        "alice.*@example.com"
                    )
                if value not in patterns:
                    patterns.append(value)
            elif EMAIL.match(value):
                if value not in emails:
                    emails.append(value)
            else:
                raise GroupError(f"{entry!r} is not an email address or an email pattern")
    if len(emails) + len(patterns) > MAX_MEMBERS:
        raise GroupError(f"a group holds at most {MAX_MEMBERS} emails and patterns; use patterns")
    return emails, patterns


def _check_name(session: Session, name: str, group_id: int | None = None) -> str:
    name = (name or "").strip()
    if not NAME.match(name):
        raise GroupError("a group name is 1-100 letters, digits, spaces or . & ( ) / - (e.g. Finance team)")
    clash = session.scalar(select(UserGroup.id).where(UserGroup.name == name))
    if clash is not None and clash != group_id:
        raise GroupError(f"a group named {name!r} already exists")
    return name


def get_group(session: Session, group_id: int) -> UserGroup:
    group = session.get(UserGroup, group_id)
    if group is None:
        raise GroupError(f"no user group {group_id}; see `aiwatch groups list`")
    return group


def create_group(
    session: Session,
    name: str,
    members: Iterable[str],
    *,
    description: str | None = None,
    by: str | None = None,
) -> UserGroup:
    emails, patterns = split_members(members)
    if not emails and not patterns:
        raise GroupError("give at least one member email or email pattern")
    row = UserGroup(
        name=_check_name(session, name),
        description=(description or "").strip() or None,
        emails=emails,
        patterns=patterns,
        created_by=by,
    )
    session.add(row)
    session.flush()
    return row


def update_group(
    session: Session,
    group_id: int,
    *,
    name: str | None = None,
    members: Iterable[str] | None = None,
    description: str | None = None,
) -> UserGroup:
    row = get_group(session, group_id)
    if name is not None:
        row.name = _check_name(session, name, group_id)
    if members is not None:
        emails, patterns = split_members(members)
        if not emails and not patterns:
            raise GroupError("give at least one member email or email pattern (or delete the group)")
        row.emails, row.patterns = emails, patterns
    if description is not None:
        row.description = description.strip() or None
    session.flush()
    return row


def delete_group(session: Session, group_id: int) -> list[str]:
    """Delete a group and take it out of every scope that listed it; returns those scopes' targets.

    A scope whose only groups were this one goes back to "every user": the alternative (a scope naming a group
    that no longer exists) would silently suppress everything.
    """
    row = get_group(session, group_id)
    cleaned = []
    for setting in scopes_listing(session, group_id):
        scope = dict(setting.scope or {})
        remaining = [g for g in scope.get("groups", []) if str(g) != str(group_id)]
        if remaining:
            scope["groups"] = remaining
        else:
            scope.pop("groups", None)
        setting.scope = scope or None
        cleaned.append(f"{setting.target_kind}:{setting.target_id}")
    session.delete(row)
    session.flush()
    return cleaned


def scopes_listing(session: Session, group_id: int) -> list[PolicySetting]:
    # JSON containment differs between SQLite and PostgreSQL; settings are few, so filter in Python.
    return [
        s
        for s in session.scalars(select(PolicySetting).order_by(PolicySetting.id))
        if str(group_id) in {str(g) for g in (s.scope or {}).get("groups", [])}
    ]


def user_emails(session: Session) -> dict[tuple[int, str], str]:
    """(integration id, user id) → lower-cased email of every synced user that has one."""
    rows = session.execute(
        select(WorkspaceUser.integration_id, WorkspaceUser.user_id, WorkspaceUser.email).where(
            WorkspaceUser.email.is_not(None)
        )
    )
    return {(i, u): e.lower() for i, u, e in rows if e}


def list_groups(session: Session) -> list[GroupInfo]:
    """Every group with how many synced users it resolves to and which scopes list it."""
    groups = list(session.scalars(select(UserGroup).order_by(UserGroup.name)))
    if not groups:
        return []
    emails = list(user_emails(session).values())
    settings = list(session.scalars(select(PolicySetting).order_by(PolicySetting.id)))
    infos = []
    for group in groups:
        matcher = GroupMatcher.of(group)
        infos.append(
            GroupInfo(
                id=group.id,
                name=group.name,
                description=group.description,
                emails=list(group.emails or []),
                patterns=list(group.patterns or []),
                members=sum(1 for e in emails if matcher.matches(e)),
                used_by=[
                    f"{s.target_kind}:{s.target_id}"
                    for s in settings
                    if str(group.id) in {str(g) for g in (s.scope or {}).get("groups", [])}
                ],
            )
        )
    return infos


def resolve_members(session: Session, group_id: int, limit: int = 100) -> list[tuple[int, str, str]]:
    """Up to ``limit`` synced users of a group: (integration id, user id, email), by email."""
    matcher = GroupMatcher.of(get_group(session, group_id))
    found = sorted(
        ((i, u, e) for (i, u), e in user_emails(session).items() if matcher.matches(e)), key=lambda r: r[2]
    )
    return found[:limit]
