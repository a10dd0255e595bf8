"""A readable diff between two agent configurations (tools, action domains, sharing, instructions).

The diff is what the console shows for ``agent.config_changed`` and what decides whether a change *widens* the
agent (a new tool, action or domain, or wider sharing). Instructions are compared after masking what the
detection engine finds in them, so a stored diff never holds a secret in clear.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

# Wider is larger: a change towards a larger rank shares the agent with more people.
VISIBILITY_RANK = {
    "invite-only": 0,
    "workspace-with-link": 1,
    "workspace": 2,
    "anyone-with-link": 3,
    "gpt-store": 4,
}
MAX_INSTRUCTION_DIFF_LINES = 200


@dataclass(frozen=True)
class Sharing:
    """Who an agent is shared with: its visibility and, per recipient user id, whether they can write."""

    visibility: str | None = None
    recipients: dict[str, bool] = field(default_factory=dict)  # user id -> can_write

    @classmethod
    def from_api(cls, visibility: str | None, recipients: Any) -> Sharing:
        people: dict[str, bool] = {}
        for recipient in recipients if isinstance(recipients, list) else []:
            if not isinstance(recipient, dict) or not isinstance(recipient.get("id"), str):
                continue
            permissions = recipient.get("permissions")
            can_write = isinstance(permissions, dict) and permissions.get("can_write") is True
            people[recipient["id"]] = can_write
        return cls(visibility if isinstance(visibility, str) else None, people)

    def to_json(self) -> dict[str, Any]:
        return {"visibility": self.visibility, "recipients": dict(sorted(self.recipients.items()))}

    @classmethod
    def from_json(cls, value: Any) -> Sharing | None:
        if not isinstance(value, dict):
            return None
        recipients = value.get("recipients")
        people = {str(k): bool(v) for k, v in recipients.items()} if isinstance(recipients, dict) else {}
        visibility = value.get("visibility")
        return cls(visibility if isinstance(visibility, str) else None, people)

    @property
    def writers(self) -> set[str]:
        return {user for user, can_write in self.recipients.items() if can_write}


@dataclass(frozen=True)
class ConfigSnapshot:
    """The posture-relevant part of one configuration version."""

    config_id: str
    instructions: str = ""
    tools: tuple[str, ...] = ()  # built-in tool types (browser, code_interpreter …), custom actions excluded
    action_domains: tuple[str, ...] = ()
    unauthenticated_domains: tuple[str, ...] = ()
    file_ids: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, config_id: str, instructions: Any, tools: Any, files: Any) -> ConfigSnapshot:
        plain: set[str] = set()
        domains: set[str] = set()
        unauthenticated: set[str] = set()
        for tool in tools if isinstance(tools, list) else []:
            if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
                continue
            if tool["type"] != "custom_action":
                plain.add(tool["type"])
                continue
            domain = action_domain(tool)
            domains.add(domain)
            if is_unauthenticated(tool):
                unauthenticated.add(domain)
        file_ids = {
            f["id"] for f in (files if isinstance(files, list) else []) if isinstance(f, dict) and f.get("id")
        }
        return cls(
            config_id,
            instructions if isinstance(instructions, str) else "",
            tuple(sorted(plain)),
            tuple(sorted(domains)),
            tuple(sorted(unauthenticated)),
            tuple(sorted(file_ids)),
        )


def action_domain(tool: dict[str, Any]) -> str:
    """The host a custom action calls, lower-cased; "(unknown)" when the config does not name it."""
    domain = tool.get("action_domain")
    if not isinstance(domain, str) or not domain.strip():
        return "(unknown)"
    host = domain.strip().lower()
    for prefix in ("https://", "http://"):
        host = host.removeprefix(prefix)
    return host.split("/", 1)[0]


def is_unauthenticated(tool: dict[str, Any]) -> bool:
    """GPT actions say their auth in ``auth_type``; projects omit it (unknown, so not flagged)."""
    auth = tool.get("auth_type")
    return isinstance(auth, str) and auth.strip().lower() in ("none", "no_auth", "noauth", "")


@dataclass(frozen=True)
class ConfigDiff:
    from_config_id: str | None
    to_config_id: str
    tools_added: list[str]
    tools_removed: list[str]
    domains_added: list[str]
    domains_removed: list[str]
    unauthenticated_added: list[str]
    files_added: list[str]
    files_removed: list[str]
    visibility_from: str | None
    visibility_to: str | None
    recipients_added: list[str]
    recipients_removed: list[str]
    writers_added: list[str]
    instructions_diff: list[str]  # unified diff lines of the masked instructions

    @property
    def sharing_widened(self) -> bool:
        before = VISIBILITY_RANK.get(self.visibility_from or "", -1)
        after = VISIBILITY_RANK.get(self.visibility_to or "", -1)
        return after > before or bool(self.recipients_added) or bool(self.writers_added)

    @property
    def widens(self) -> bool:
        """A change ``agent.config_changed`` reports: new tool, action or domain, or wider sharing."""
        return (
            bool(self.tools_added or self.domains_added or self.unauthenticated_added) or self.sharing_widened
        )

    def reasons(self) -> list[str]:
        out = [f"new tool {t}" for t in self.tools_added]
        out += [f"new action domain {d}" for d in self.domains_added]
        out += [
            f"unauthenticated action to {d}"
            for d in self.unauthenticated_added
            if d not in self.domains_added
        ]
        before = VISIBILITY_RANK.get(self.visibility_from or "", -1)
        if VISIBILITY_RANK.get(self.visibility_to or "", -1) > before:
            out.append(f"visibility {self.visibility_from or 'unknown'} -> {self.visibility_to}")
        if self.recipients_added:
            out.append(f"{len(self.recipients_added)} new recipient(s)")
        if self.writers_added:
            out.append(f"{len(self.writers_added)} new recipient(s) with edit rights")
        return out

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sharing_widened"] = self.sharing_widened
        data["widens"] = self.widens
        data["reasons"] = self.reasons()
        return data


def diff_configs(
    old: ConfigSnapshot | None,
    new: ConfigSnapshot,
    *,
    old_sharing: Sharing | None,
    new_sharing: Sharing | None,
    old_instructions_masked: str | None = None,
    new_instructions_masked: str | None = None,
) -> ConfigDiff:
    """What changed from ``old`` (None: nothing reviewed yet, everything is new) to ``new``.

    Sharing is per agent, not per version: ``old_sharing`` is the sharing recorded with the reviewed version
    (None when unknown, in which case sharing is not compared).
    """
    base = old or ConfigSnapshot(config_id="")
    old_text = base.instructions if old_instructions_masked is None else old_instructions_masked
    new_text = new.instructions if new_instructions_masked is None else new_instructions_masked
    lines = list(
        difflib.unified_diff(
            old_text.splitlines(),
            new_text.splitlines(),
            fromfile=old.config_id if old else "(none)",
            tofile=new.config_id,
            lineterm="",
            n=1,
        )
    )
    if len(lines) > MAX_INSTRUCTION_DIFF_LINES:
        lines = [
            *lines[:MAX_INSTRUCTION_DIFF_LINES],
            f"… {len(lines) - MAX_INSTRUCTION_DIFF_LINES} more lines",
        ]
    compare_sharing = old_sharing is not None and new_sharing is not None
    before = old_sharing if compare_sharing else Sharing()
    after = new_sharing if compare_sharing else Sharing()
    assert before is not None and after is not None
    return ConfigDiff(
        from_config_id=old.config_id if old else None,
        to_config_id=new.config_id,
        tools_added=sorted(set(new.tools) - set(base.tools)),
        tools_removed=sorted(set(base.tools) - set(new.tools)),
        domains_added=sorted(set(new.action_domains) - set(base.action_domains)),
        domains_removed=sorted(set(base.action_domains) - set(new.action_domains)),
        unauthenticated_added=sorted(set(new.unauthenticated_domains) - set(base.unauthenticated_domains)),
        files_added=sorted(set(new.file_ids) - set(base.file_ids)),
        files_removed=sorted(set(base.file_ids) - set(new.file_ids)),
        visibility_from=before.visibility
        if compare_sharing
        else (new_sharing.visibility if new_sharing else None),
        visibility_to=after.visibility
        if compare_sharing
        else (new_sharing.visibility if new_sharing else None),
        recipients_added=sorted(set(after.recipients) - set(before.recipients)),
        recipients_removed=sorted(set(before.recipients) - set(after.recipients)),
        writers_added=sorted(after.writers - before.writers),
        instructions_diff=lines,
    )
