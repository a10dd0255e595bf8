"""The emulated workspace: deterministic generation from a seed, ground truth queries and mutations.

All state lives here; the HTTP layer only reads and mutates it under ``lock``. ``advance`` moves the clock,
optionally creates new activity, and closes the log-feed interval into new immutable files.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random
from typing import Any

from aiwatch.emulator import content, fakes, logfeed, risks
from aiwatch.emulator.agents import build_agent
from aiwatch.emulator.conversations import ConversationBuilder, PlannedFinding
from aiwatch.emulator.model import (
    Agent,
    Canvas,
    CanvasComment,
    CanvasVersion,
    Conversation,
    LogEvent,
    LogFile,
    MemoryContext,
    MemoryEntry,
    Message,
    StoredFile,
    User,
)
from aiwatch.emulator.risks import Label

DAY = 86400.0
COMPANY_DOMAINS = (
    "northwind-labs.com",
    "acme-analytics.io",
    "bluepeak.co",
    "harborline.com",
    "vantagepoint.dev",
)
DEFAULT_RISK_RATE = 0.15


@dataclass(frozen=True, slots=True)
class WorkspaceSpec:
    seed: int = 7
    users: int = 5
    days: int = 3
    conversations_per_user: int = 3
    now: float | None = (
        None  # reference "now"; None: real time at start (and the clock then follows real time)
    )
    clean: bool = False
    risk_rate: float = DEFAULT_RISK_RATE
    api_key_redacted_id: str = "sk-proj-…0000"
    log_duplicates: bool = False  # "duplicates" fault: many more events delivered twice, files shuffled

    @property
    def effective_risk_rate(self) -> float:
        return 0.0 if self.clean else self.risk_rate


class Clock:
    """Workspace time: fixed (tests) or real (CLI), plus whatever ``advance`` added."""

    def __init__(self, reference: float | None) -> None:
        self.frozen = reference is not None
        self.reference = reference if reference is not None else time.time()
        self._started = time.time()
        self.offset = 0.0

    def now(self) -> float:
        base = self.reference if self.frozen else self.reference + (time.time() - self._started)
        return base + self.offset


class Workspace:
    def __init__(self, spec: WorkspaceSpec) -> None:
        self.spec = spec
        self.lock = threading.RLock()
        self.clock = Clock(spec.now)
        root = Random(f"{spec.seed}:workspace")
        self.workspace_id = fakes.uuid4(root)
        self.chatgpt_org_id = "org-" + fakes.token(root, 24)
        self.platform_org_id = self.chatgpt_org_id  # same org in a correctly set-up tenant
        self.company_domain = root.choice(COMPANY_DOMAINS)
        self.users: dict[str, User] = {}
        self.conversations: dict[str, Conversation] = {}
        self.files: dict[str, StoredFile] = {}
        self.gpts: dict[str, Agent] = {}
        self.projects: dict[str, Agent] = {}
        self.memories: dict[str, list[MemoryContext]] = {}
        self.canvases: dict[str, Canvas] = {}
        self.codex_tasks: list[dict[str, Any]] = []
        self.codex_environments: list[dict[str, Any]] = []
        self.automations: dict[str, list[dict[str, Any]]] = {}
        self.recordings: list[dict[str, Any]] = []
        self.labels: list[Label] = []
        self.log_files: list[LogFile] = []
        self._pending_events: list[LogEvent] = []
        self._order: list[tuple[float, str]] | None = None
        self._live_rng = Random(f"{spec.seed}:live")
        self._counter = 0
        self.events = logfeed.EventFactory(self.workspace_id, self.platform_org_id)
        self._generate()

    # ------------------------------------------------------------------ generation
    def _generate(self) -> None:
        spec = self.spec
        now = self.clock.now()
        start = now - spec.days * DAY
        rate = spec.effective_risk_rate
        rng = Random(f"{spec.seed}:users")
        users: list[User] = []
        for index in range(spec.users):
            name = fakes.person_name(rng)
            first, _, last = name.lower().partition(" ")
            email = f"{first}.{last}{index if index >= 30 else ''}@{self.company_domain}"
            email = email.encode("ascii", "ignore").decode()
            role = "account-owner" if index == 0 else "account-admin" if index % 25 == 1 else "standard-user"
            status = "inactive" if index > 2 and rng.random() < 0.05 else "active"
            created = round(start - rng.uniform(20, 400) * DAY, 6)
            users.append(User("user-" + fakes.token(rng, 24), email, name, created, role, status))
        for user in sorted(users, key=lambda u: u.id):
            self.users[user.id] = user
        user_ids = [u.id for u in users]

        for kind, count, store in (
            ("gpt", max(6, spec.users // 5), self.gpts),
            ("project", max(3, spec.users // 8), self.projects),
        ):
            arng = Random(f"{spec.seed}:{kind}s")
            for index in range(count):
                owner = arng.choice(user_ids)
                created = (
                    start - arng.uniform(1, 60) * DAY
                    if index % 3
                    else start + arng.uniform(0, 0.5) * (now - start)
                )
                built = build_agent(
                    arng,
                    kind=kind,
                    index=index,
                    owner_id=owner,
                    user_ids=user_ids,
                    created_at=created,
                    now=now,
                    risk_rate=rate,
                )
                store[built.agent.id] = built.agent
                for f in built.files:
                    self.files[f.id] = f
                self._add_findings(built.findings, owner)

        builder = self._builder = ConversationBuilder(
            risk_rate=rate, gpt_ids=list(self.gpts), project_ids=list(self.projects)
        )
        events: list[LogEvent] = []
        for index, user in enumerate(users):
            crng = Random(f"{spec.seed}:conversations:{index}")
            for _ in range(spec.conversations_per_user):
                at = start + crng.uniform(0, max(1.0, now - start - 3600))
                built = builder.build(crng, user.id, at)
                self._store_conversation(built.conversation, built.files, built.findings)
                events.extend(self.events.message_events(built.conversation))
        self._generate_memories(rate, start, now)
        self._generate_canvases(rate, start, now)
        self._generate_later_paths(start, now)
        events.extend(self._history_events(rate, start, now))
        self.log_files = logfeed.cut_files(
            Random(f"{spec.seed}:logfiles"),
            events,
            start=start,
            end=now,
            duplicate_rate=0.25 if spec.log_duplicates else logfeed.DUPLICATE_RATE,
            shuffle=spec.log_duplicates,
        )
        self._log_cut = now

    def _add_findings(self, findings: list[PlannedFinding], user_id: str | None) -> None:
        for finding in findings:
            location = {"kind": finding.kind, **finding.ids, "field": finding.field}
            self.labels.append(
                Label(f"lbl_{len(self.labels):06d}", finding.rule, location, finding.value, user_id)
            )

    def _store_conversation(
        self, conv: Conversation, files: list[StoredFile], findings: list[PlannedFinding]
    ) -> None:
        self.conversations[conv.id] = conv
        for f in files:
            self.files[f.id] = f
        self._add_findings(findings, conv.user_id)
        self._order = None

    def _generate_memories(self, rate: float, start: float, now: float) -> None:
        rng = Random(f"{self.spec.seed}:memories")
        facts = (
            "Prefers concise answers with bullet points.",
            "Works on the {team} team.",
            "Is preparing the {quarter} review.",
            "Writes most code in {language}.",
            "Likes examples from {city}.",
            "Manages the {product} launch.",
        )
        for user_id in self.users:
            if rng.random() > 0.6:
                continue
            contexts = [MemoryContext(user_id, [])]
            if self.projects and rng.random() < 0.3:
                contexts.append(MemoryContext(rng.choice(sorted(self.projects)), []))
            for context in contexts:
                for _ in range(1 + rng.randrange(4)):
                    entry_id = fakes.uuid4(rng)
                    at = round(start + rng.uniform(0, now - start), 6)
                    text = content.fill(rng.choice(facts), content.slot_values(rng))
                    if rate > 0 and rng.random() < rate:
                        plant = risks.memory_plant(rng)
                        text = plant.text
                        for rule, value in plant.findings:
                            self._add_findings(
                                [
                                    PlannedFinding(
                                        rule,
                                        value,
                                        "memory",
                                        {
                                            "user_id": user_id,
                                            "memory_context_id": context.id,
                                            "memory_id": entry_id,
                                        },
                                        "content",
                                    )
                                ],
                                user_id,
                            )
                    context.entries.append(MemoryEntry(entry_id, text, at))
            self.memories[user_id] = contexts

    def _generate_canvases(self, rate: float, start: float, now: float) -> None:
        rng = Random(f"{self.spec.seed}:canvases")
        for user_id in self.users:
            if rng.random() > 0.4:
                continue
            for _ in range(1 + rng.randrange(3)):
                canvas_id = fakes.token(rng, 32, "0123456789abcdef")
                created = round(start + rng.uniform(0, now - start) * 0.8, 6)
                values = content.slot_values(rng)
                body = (
                    f"# {values['product']} launch brief\n\nAudience: {values['audience']}.\n\nGoal: improve "
                    f"{values['metric']} by {values['percent']}% by {values['month']}.\n"
                )
                kind = "document"
                if rate > 0 and rng.random() < rate * 2:
                    plant = risks.canvas_plant(rng)
                    body = plant.text
                    kind = "code/bash"
                    for rule, value in plant.findings:
                        self._add_findings(
                            [
                                PlannedFinding(
                                    rule,
                                    value,
                                    "canvas",
                                    {"user_id": user_id, "textdoc_id": canvas_id},
                                    "version_contents.content",
                                )
                            ],
                            user_id,
                        )
                versions = []
                at = created
                for number in range(1, 2 + rng.randrange(3)):
                    at = round(at + rng.uniform(60, 7200), 6)
                    text = body if number == 1 else body + f"\nRevision {number}: tightened the wording.\n"
                    comments: tuple[CanvasComment, ...] = ()
                    if rng.random() < 0.4:
                        comments = (
                            CanvasComment(
                                "comment_" + fakes.token(rng, 12),
                                0,
                                min(20, len(text)),
                                "Can we make this opening shorter?",
                            ),
                        )
                    versions.append(
                        CanvasVersion(number, text, at, rng.choice((None, "Draft", "Final")), comments)
                    )
                self.canvases[canvas_id] = Canvas(canvas_id, user_id, created, kind, versions)

    def _generate_later_paths(self, start: float, now: float) -> None:
        rng = Random(f"{self.spec.seed}:later")
        user_ids = list(self.users)
        for _ in range(max(2, len(user_ids) // 4)):
            user_id = rng.choice(user_ids)
            at = round(start + rng.uniform(0, now - start), 6)
            self.codex_tasks.append(
                {
                    "object": "compliance.workspace.codex_task",
                    "id": "task_" + fakes.token(rng, 24),
                    "user_id": user_id,
                    "created_at": at,
                    "title": rng.choice(
                        ("Fix flaky retry test", "Add pagination to export", "Bump dependencies")
                    ),
                    "status": rng.choice(("completed", "failed", "running")),
                }
            )
        for _ in range(2):
            self.codex_environments.append(
                {
                    "object": "compliance.workspace.codex_environment",
                    "id": "env_" + fakes.token(rng, 24),
                    "name": rng.choice(("backend", "web")),
                    "repository": f"github.com/{self.company_domain.split('.')[0]}/app",
                    "created_at": round(start, 6),
                }
            )
        for user_id in user_ids[: max(1, len(user_ids) // 3)]:
            self.automations[user_id] = [
                {
                    "object": "compliance.workspace.user.automation",
                    "id": "auto_" + fakes.token(rng, 24),
                    "title": "Weekly metrics digest",
                    "schedule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9",
                    "created_at": round(start, 6),
                }
            ]
        for _ in range(max(1, len(user_ids) // 5)):
            user_id = rng.choice(user_ids)
            self.recordings.append(
                {
                    "object": "compliance.workspace.recording",
                    "id": "rec_" + fakes.token(rng, 24),
                    "user_id": user_id,
                    "created_at": round(start + rng.uniform(0, now - start), 6),
                    "duration_seconds": rng.randrange(300, 3600),
                    "title": "Team sync",
                    "transcript": "Speaker 1: Let's review the roadmap.\nSpeaker 2: The beta "
                    "ships next month.",
                }
            )

    def _history_events(self, rate: float, start: float, now: float) -> list[LogEvent]:
        rng = Random(f"{self.spec.seed}:events")
        factory = self.events
        users = list(self.users.values())
        events: list[LogEvent] = []
        by_user_days: dict[str, set[int]] = {}
        for conv in self.conversations.values():
            by_user_days.setdefault(conv.user_id, set()).add(int((conv.created_at - start) // DAY))
        for user in users:
            for day in sorted(by_user_days.get(user.id, ())):
                at = start + day * DAY + rng.uniform(0, 3600)
                meta = logfeed.request_metadata(rng)
                events.append(
                    factory.event(
                        rng,
                        "AUTH_LOG",
                        at,
                        logfeed.user_actor(user),
                        action_data={"action": "login_success", "method": "sso"},
                        request_metadata=meta,
                    )
                )
                if rng.random() < 0.3:
                    events.append(
                        factory.event(
                            rng,
                            "AUTH_LOG",
                            at + rng.uniform(3600, 30000),
                            logfeed.user_actor(user),
                            action_data={"action": "logout_success"},
                            request_metadata=meta,
                        )
                    )
                if rng.random() < 0.2:
                    events.append(
                        factory.event(
                            rng,
                            "AUTH_LOG",
                            at + 5,
                            logfeed.user_actor(user),
                            action_data={"action": "token_issued", "client": "chatgpt-desktop"},
                            request_metadata=meta,
                        )
                    )
        owner = next(u for u in users if u.role == "account-owner")
        key_actor = logfeed.api_key_actor(self.spec.api_key_redacted_id)
        hours = int((now - start) // 3600)
        for hour in range(0, hours, 6):
            events.append(
                factory.event(
                    rng,
                    "AUDIT_LOG",
                    start + hour * 3600 + 30,
                    key_actor,
                    action="LIST_WORKSPACE_LOG_FILES",
                    action_result="SUCCESS",
                    action_privilege="COMPLIANCE_READ",
                    action_data={"event_type": "AUDIT_LOG"},
                    request_metadata=logfeed.request_metadata(rng),
                )
            )
        for day in range(self.spec.days):
            at = start + day * DAY + rng.uniform(30000, 60000)
            events.append(
                factory.event(
                    rng,
                    "AUDIT_LOG",
                    at,
                    logfeed.user_actor(owner),
                    action="INVITE_SEND",
                    action_result="SUCCESS",
                    action_privilege="WORKSPACE_ADMIN",
                    action_data={
                        "invitee_email": f"new.hire{day}@{self.company_domain}",
                        "role": "standard-user",
                    },
                    request_metadata=logfeed.request_metadata(rng),
                )
            )
            events.append(
                factory.event(
                    rng,
                    "AUDIT_LOG",
                    at + 600,
                    logfeed.user_actor(owner),
                    action="WORKSPACE_TOGGLE_FEATURE",
                    action_result="SUCCESS",
                    action_privilege="WORKSPACE_ADMIN",
                    action_data={
                        "feature": rng.choice(("memory", "canvas", "codex")),
                        "enabled": rng.random() < 0.7,
                    },
                    request_metadata=logfeed.request_metadata(rng),
                )
            )
            cost = factory.event(
                rng,
                "COSTS",
                start + day * DAY + 1,
                None,
                line_item=rng.choice(("chatgpt_enterprise_seats", "codex_credits")),
                date=logfeed.iso(start + day * DAY)[:10],
                amount={"value": round(rng.uniform(50, 900), 2), "currency": "usd"},
                project_id=None,
            )
            events.append(cost)
            events.append(
                factory.event(
                    rng,
                    "WORKSPACE_ANALYTICS_LOG",
                    start + day * DAY + 2,
                    None,
                    metric="weekly_active_users",
                    value=len(users) - rng.randrange(len(users)),
                )
            )
        for user in users[: max(1, len(users) // 3)]:
            at = start + rng.uniform(0, now - start)
            events.append(
                factory.event(
                    rng,
                    "APP_LOG",
                    at,
                    logfeed.user_actor(user),
                    app={"id": "connector_google_drive", "name": "Google Drive"},
                    action_data={
                        "action": "tool_call",
                        "tool": "search",
                        "request": {"query": "quarterly plan"},
                        "response": {"status": 200, "results": 4},
                    },
                    request_metadata=logfeed.request_metadata(rng),
                )
            )
        for agent in self.gpts.values():
            for version, config in enumerate(agent.configs):
                events.append(
                    factory.event(
                        rng,
                        "CUSTOM_AGENTS_LOG",
                        max(start, config.created_at),
                        logfeed.user_actor(self.users[agent.owner_id]),
                        action="agent_created" if version == 0 else "agent_updated",
                        agent={"id": agent.id, "name": config.name, "config_id": config.id},
                    )
                )
        for task in self.codex_tasks:
            events.append(
                factory.event(
                    rng,
                    "CODEX_LOG",
                    task["created_at"],
                    logfeed.user_actor(self.users[task["user_id"]]),
                    action="task_created",
                    task={"id": task["id"], "title": task["title"]},
                )
            )
            events.append(
                factory.event(
                    rng,
                    "CODEX_SECURITY_LOG",
                    task["created_at"] + 120,
                    None,
                    action="scan_completed",
                    task_id=task["id"],
                    findings={"critical": 0, "high": rng.randrange(2)},
                )
            )
        if rate > 0:
            events.extend(self._risky_events(rng, users, start, now))
        else:
            for user in users[:1]:
                events.append(
                    factory.event(
                        rng,
                        "APP_AUTH_LOG",
                        start + rng.uniform(0, now - start),
                        logfeed.user_actor(user),
                        action_data={
                            "action": "token_refreshed",
                            "app": {"id": "connector_google_drive", "name": "Google Drive"},
                        },
                    )
                )
        return [e for e in events if start <= e.timestamp < now]

    def _risky_events(self, rng: Random, users: list[User], start: float, now: float) -> list[LogEvent]:
        factory = self.events
        events: list[LogEvent] = []

        def label(rule: str, event: LogEvent, value: str, user_id: str | None, **extra: Any) -> None:
            location = {
                "kind": "log_event",
                "event_type": event.event_type,
                "event_id": event.event_id,
                "field": extra.pop("field", "action_data"),
            }
            self.labels.append(Label(f"lbl_{len(self.labels):06d}", rule, location, value, user_id, extra))

        victim = users[rng.randrange(len(users))]
        at = start + rng.uniform(0, max(1.0, now - start - 600))
        attacker_ip = "185.220.101." + str(rng.randrange(2, 250))
        burst = []
        for attempt in range(8):
            burst.append(
                factory.event(
                    rng,
                    "AUTH_LOG",
                    at + attempt * rng.uniform(4, 20),
                    logfeed.user_actor(victim),
                    action_data={"action": "login_failed", "reason": "invalid_password"},
                    request_metadata=logfeed.request_metadata(rng, attacker_ip),
                )
            )
        events += burst
        label(
            "activity.login_failures",
            burst[0],
            victim.email,
            victim.id,
            count=len(burst),
            event_ids=[e.event_id for e in burst],
        )
        owner = next(u for u in users if u.role == "account-owner")
        promoted = users[-1] if len(users) > 1 else owner
        event = factory.event(
            rng,
            "AUDIT_LOG",
            start + rng.uniform(0, now - start),
            logfeed.user_actor(owner),
            action="USER_ROLE_UPDATED",
            action_result="SUCCESS",
            action_privilege="WORKSPACE_ADMIN",
            action_data={
                "user_id": promoted.id,
                "user_email": promoted.email,
                "old_role": "standard-user",
                "new_role": "account-admin",
            },
            request_metadata=logfeed.request_metadata(rng),
        )
        events.append(event)
        label("activity.privilege_change", event, promoted.email, promoted.id)
        linker = users[rng.randrange(len(users))]
        event = factory.event(
            rng,
            "APP_AUTH_LOG",
            start + rng.uniform(0, now - start),
            logfeed.user_actor(linker),
            action_data={
                "action": "app_linked",
                "app": {"id": "connector_dropbox", "name": "Dropbox"},
                "scopes": ["files.read", "files.search"],
            },
            request_metadata=logfeed.request_metadata(rng),
        )
        events.append(event)
        label("activity.app_linked", event, "connector_dropbox", linker.id)
        foreign = "sk-admin-…" + fakes.token(rng, 4)
        event = factory.event(
            rng,
            "AUDIT_LOG",
            start + rng.uniform(0, now - start),
            logfeed.api_key_actor(foreign),
            action="LIST_CONVERSATIONS",
            action_result="SUCCESS",
            action_privilege="COMPLIANCE_READ",
            action_data={"limit": 500},
            request_metadata=logfeed.request_metadata(rng),
        )
        events.append(event)
        label("activity.compliance_key_use", event, foreign, None, field="actor.redacted_id")
        return events

    # ------------------------------------------------------------------ queries
    def now(self) -> float:
        return self.clock.now()

    def conversation_order(self) -> list[tuple[float, str]]:
        with self.lock:
            if self._order is None:
                self._order = sorted((c.updated_at, c.id) for c in self.conversations.values())
            return self._order

    def iter_messages(self) -> Iterator[tuple[Conversation, Message]]:
        for conv in self.conversations.values():
            for message in conv.messages:
                yield conv, message

    def labels_json(self) -> list[dict[str, Any]]:
        return [label.to_json() for label in self.labels]

    def fingerprint(self) -> str:
        """SHA-256 over everything the API can show: equal fingerprints mean identical workspaces."""
        import hashlib
        import json

        digest = hashlib.sha256()
        with self.lock:
            for part in (
                self.users,
                self.conversations,
                self.gpts,
                self.projects,
                self.memories,
                self.canvases,
                self.codex_tasks,
                self.recordings,
            ):
                digest.update(repr(part).encode("utf-8", "surrogatepass"))
            digest.update(json.dumps(self.labels_json(), sort_keys=True).encode("utf-8", "surrogatepass"))
            for log_file in self.log_files:
                digest.update(log_file.id.encode() + self.log_file_bytes(log_file))
        return digest.hexdigest()

    def text_at(self, location: dict[str, Any]) -> str:
        """The text a label points at (its planted value is a substring of it). KeyError if it is gone."""
        kind = location["kind"]
        if kind == "message":
            conv = self.conversations[location["conversation_id"]]
            return next(m.text or "" for m in conv.messages if m.id == location["message_id"])
        if kind == "file":
            return self.files[location["file_id"]].document.plain_text()
        if kind in ("gpt_config", "project_config"):
            agent = (self.gpts if kind == "gpt_config" else self.projects)[
                location.get("gpt_id") or location["project_id"]
            ]
            config = next((c for c in agent.configs if c.id == location.get("config_id")), agent.configs[-1])
            parts = [
                config.instructions,
                agent.visibility,
                ",".join(r.user_id for r in agent.recipients if r.can_write),
            ]
            parts += [f"{t.action_domain} auth={t.auth_type}" for t in config.tools if t.action_domain]
            return "\n".join(parts)
        if kind == "memory":
            contexts = self.memories[location["user_id"]]
            context = next(c for c in contexts if c.id == location["memory_context_id"])
            return next(e.content for e in context.entries if e.id == location["memory_id"])
        if kind == "canvas":
            return "\n".join(v.content for v in self.canvases[location["textdoc_id"]].versions)
        if kind == "log_event":
            import json

            event = next(e for f in self.log_files for e in f.events if e.event_id == location["event_id"])
            return json.dumps(event.payload, ensure_ascii=False)
        raise KeyError(kind)

    def file_bytes(self, file_id: str) -> bytes:
        from aiwatch.emulator.documents import render

        return render(self.files[file_id].document)

    def log_file_bytes(self, log_file: LogFile) -> bytes:
        if log_file.rendered is None:
            payloads = []
            for event in log_file.events:
                if event.payload is not None:
                    payloads.append(event.payload)
                else:
                    assert event.message_ref is not None
                    conv, message, _ = event.message_ref
                    tools = logfeed.tools_used_before(conv, message) if message.role == "assistant" else ()
                    payloads.append(logfeed.render_message_event(event, self.workspace_id, self.users, tools))
            log_file.rendered = logfeed.render_lines(payloads)
        return log_file.rendered

    def log_events(self, event_type: str) -> Iterator[dict[str, Any]]:
        """Every distinct event of a type as delivered (ground truth for log-feed tests)."""
        import json

        seen: set[str] = set()
        for log_file in self.log_files:
            if log_file.event_type != event_type:
                continue
            for line in self.log_file_bytes(log_file).splitlines():
                event = json.loads(line)
                if event["event_id"] not in seen:
                    seen.add(event["event_id"])
                    yield event

    # ------------------------------------------------------------------ mutations
    def add_conversation(
        self, user_id: str | None = None, *, prompt: str | None = None, at: float | None = None
    ) -> Conversation:
        """Create a conversation now (or at ``at``); it appears in the log feed after the next ``advance``."""
        with self.lock:
            rng = self._live_rng
            user_id = user_id or rng.choice(sorted(self.users))
            if user_id not in self.users:
                raise KeyError(f"unknown user {user_id}")
            start = at if at is not None else self.now() - 900
            built = self._builder.build(rng, user_id, start)
            conv = built.conversation
            if prompt is not None:
                first_user = next(m for m in conv.messages if m.role == "user")
                first_user.text = prompt
            # Nothing may happen in the future: shift the whole conversation back if it ran past now.
            shift = min(0.0, self.now() - 1 - max(m.created_at or 0 for m in conv.messages))
            if shift:
                for m in conv.messages:
                    if m.created_at is not None:
                        m.created_at = round(m.created_at + shift, 6)
                conv.created_at = round(conv.created_at + shift, 6)
                conv.last_active_at = round(conv.last_active_at + shift, 6)
                conv.updated_at = conv.last_active_at
                for f in built.files:
                    f.created_at = round(f.created_at + shift, 6)
                    f.expires_at = round((f.expires_at or 0) + shift, 6)
            self._store_conversation(conv, built.files, built.findings)
            self._pending_events.extend(self.events.message_events(conv))
            return conv

    def add_message(self, conversation_id: str, text: str, *, role: str = "user") -> Message:
        """Append a message to an existing conversation (it moves to the end of the update order)."""
        with self.lock:
            conv = self.conversations[conversation_id]
            now = round(self.now(), 6)
            parent = conv.messages[-1].id if conv.messages else None
            message = Message(
                fakes.uuid4(self._live_rng),
                parent,
                now,
                role,
                text,
                model="gpt-4o" if role == "assistant" else None,
            )
            conv.messages.append(message)
            conv.last_active_at = now
            conv.updated_at = now
            self._order = None
            self._pending_events.extend(
                e for e in self.events.message_events(conv) if e.message_ref and e.message_ref[1] is message
            )
            return message

    def record_api_call(self, action: str, redacted_key: str, client_ip: str) -> None:
        """Compliance API calls appear in the AUDIT_LOG (actor API_KEY) once the interval is cut."""
        with self.lock:
            self._counter += 1
            rng = Random(f"{self.spec.seed}:audit:{self._counter}")
            self._pending_events.append(
                self.events.event(
                    rng,
                    "AUDIT_LOG",
                    self.now(),
                    logfeed.api_key_actor(redacted_key),
                    action=action,
                    action_result="SUCCESS",
                    action_privilege="COMPLIANCE_READ",
                    request_metadata={"client_ip": client_ip},
                )
            )

    def advance(self, seconds: float = 0.0, *, new_conversations: int = 0) -> list[LogFile]:
        """Move the clock, create ``new_conversations`` and cut the log feed up to the new now."""
        with self.lock:
            if seconds < 0:
                raise ValueError("time only moves forward")
            self.clock.offset += seconds
            now = self.now()
            for _ in range(new_conversations):
                self.add_conversation()
            ready = [e for e in self._pending_events if e.timestamp < now]
            self._pending_events = [e for e in self._pending_events if e.timestamp >= now]
            for e in ready:
                e.timestamp = max(e.timestamp, self._log_cut)
            files = logfeed.cut_files(
                Random(f"{self.spec.seed}:cut:{now}"),
                ready,
                start=self._log_cut,
                end=now,
                window=max(now - self._log_cut, 1e-6),
                duplicate_rate=0.0,
            )
            for f in files:
                f.end_time = round(now, 6)
            self.log_files.extend(files)
            self.log_files.sort(key=lambda f: (f.end_time, f.event_type, f.id))
            self._log_cut = now
            return files

    def delete_conversation(self, conversation_id: str) -> bool:
        with self.lock:
            conv = self.conversations.get(conversation_id)
            if conv is None:
                return False
            conv.deleted = True
            return True

    def delete_user_file(self, user_id: str, file_id: str) -> bool:
        with self.lock:
            f = self.files.get(file_id)
            if f is None or f.deleted or f.kind != "user" or f.owner_id != user_id:
                return False
            f.deleted = True
            return True

    def delete_agent(self, kind: str, agent_id: str) -> bool:
        with self.lock:
            store = self.gpts if kind == "gpt" else self.projects
            agent = store.get(agent_id)
            if agent is None or agent.deleted:
                return False
            agent.deleted = True
            still_used = {
                fid
                for other in store.values()
                if not other.deleted
                for c in other.configs
                for fid in c.file_ids
            }
            for config in agent.configs:
                for fid in config.file_ids:
                    if fid not in still_used and fid in self.files:
                        self.files[fid].deleted = True
            return True

    def delete_agent_file(self, kind: str, agent_id: str, file_id: str) -> bool:
        with self.lock:
            store = self.gpts if kind == "gpt" else self.projects
            agent = store.get(agent_id)
            f = self.files.get(file_id)
            if agent is None or agent.deleted or f is None or f.deleted or f.kind != kind:
                return False
            if not any(file_id in c.file_ids for c in agent.configs):
                return False
            f.deleted = True
            return True

    def isolate_agent(self, kind: str, agent_id: str) -> bool:
        with self.lock:
            store = self.gpts if kind == "gpt" else self.projects
            agent = store.get(agent_id)
            if agent is None or agent.deleted:
                return False
            agent.visibility = "invite-only"
            agent.recipients = []
            return True

    def delete_memory(self, user_id: str, context_id: str, memory_id: str) -> bool:
        with self.lock:
            for context in self.memories.get(user_id, ()):
                if context.id != context_id:
                    continue
                for entry in context.entries:
                    if entry.id == memory_id:
                        context.entries.remove(entry)
                        return True
            return False

    def delete_canvas(self, user_id: str, canvas_id: str) -> bool:
        with self.lock:
            canvas = self.canvases.get(canvas_id)
            if canvas is None or canvas.deleted or canvas.user_id != user_id:
                return False
            canvas.deleted = True
            return True


def position_after(order: list[tuple[float, str]], key: tuple[float, str]) -> int:
    return bisect.bisect_right(order, key)
