"""Custom GPTs and projects: configurations with tools, custom actions, knowledge files and sharing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from random import Random

from aiwatch.emulator import content, fakes, risks
from aiwatch.emulator.conversations import PlannedFinding
from aiwatch.emulator.documents import Document
from aiwatch.emulator.model import ActionTool, Agent, AgentConfig, Recipient, StoredFile

VISIBILITIES = ("invite-only", "workspace-with-link", "workspace", "anyone-with-link", "gpt-store")
PUBLIC_VISIBILITIES = ("anyone-with-link", "gpt-store")

AGENT_THEMES = (
    (
        "Brand Voice Writer",
        "Rewrites copy in the company's brand voice.",
        "Rewrite any text in a warm, clear, "
        "confident voice. Prefer short sentences. Never invent product claims.",
    ),
    (
        "SQL Helper",
        "Answers questions about the analytics warehouse.",
        "Help analysts write PostgreSQL queries against the analytics warehouse. Explain each query briefly.",
    ),
    (
        "Policy Navigator",
        "Finds answers in HR policies.",
        "Answer questions about company HR policies using the "
        "knowledge files. Quote the relevant section and say when a question needs HR.",
    ),
    (
        "Deal Desk",
        "Drafts sales proposals and pricing notes.",
        "Draft proposals using the pricing guide. Always "
        "include the standard payment terms and ask for the customer's industry.",
    ),
    (
        "Travel Planner",
        "Plans business trips within policy.",
        "Suggest itineraries that follow the travel "
        "policy: economy for flights under six hours, hotels within the city cap.",
    ),
    (
        "Contract Summarizer",
        "Summarizes contracts for project managers.",
        "Summarize contracts in plain "
        "English: obligations, dates, payment, termination, liability. Flag unusual clauses.",
    ),
    (
        "Incident Scribe",
        "Writes incident reviews.",
        "Turn incident timelines into blameless reviews with "
        "impact, root cause, and follow-up actions with owners.",
    ),
    (
        "Release Notes Bot",
        "Writes release notes from changelogs.",
        "Convert changelog bullet points into customer-facing release notes grouped by feature area.",
    ),
)

EXTERNAL_ACTIONS = (
    ("api.weatherapi.com", "https://www.weatherapi.com/privacy.aspx"),
    ("hooks.zapier.com", "https://zapier.com/privacy"),
    ("api.hubapi.com", "https://legal.hubspot.com/privacy-policy"),
    ("api.notion.com", "https://www.notion.so/privacy"),
    ("webhook.site", "https://webhook.site/privacy"),
)


@dataclass(slots=True)
class BuiltAgent:
    agent: Agent
    files: list[StoredFile] = field(default_factory=list)
    findings: list[PlannedFinding] = field(default_factory=list)


def _openapi_for(domain: str) -> str:
    spec = {
        "openapi": "3.1.0",
        "info": {"title": f"{domain} action", "version": "1.0.0"},
        "servers": [{"url": f"https://{domain}"}],
        "paths": {"/v1/records": {"post": {"operationId": "createRecord", "summary": "Send a record"}}},
    }
    return json.dumps(spec, indent=2)


def build_agent(
    rng: Random,
    *,
    kind: str,
    index: int,
    owner_id: str,
    user_ids: list[str],
    created_at: float,
    now: float,
    risk_rate: float,
) -> BuiltAgent:
    clean = risk_rate <= 0
    prefix = "g-" if kind == "gpt" else "g-p-"
    agent_id = prefix + fakes.token(rng, 32 if kind == "project" else 9)
    name, description, instructions = AGENT_THEMES[index % len(AGENT_THEMES)]
    if kind == "project":
        name = f"{name} workspace"
    allowed = [v for v in VISIBILITIES if not (clean and v in PUBLIC_VISIBILITIES)]
    if kind == "gpt":
        visibility = allowed[index % len(allowed)] if index < len(allowed) else rng.choice(allowed)
    else:
        # Projects are rarely shared (the API notes sharing is not yet used by end users).
        visibility = "invite-only" if rng.random() < 0.8 else "workspace-with-link"
    recipients: list[Recipient] = []
    if visibility in ("invite-only", "workspace-with-link") and (kind == "gpt" or rng.random() < 0.3):
        others = [u for u in user_ids if u != owner_id]
        for rid in sorted(rng.sample(others, min(len(others), rng.randrange(0, 6)))):
            recipients.append(Recipient(rid, True, rng.random() < 0.5, rng.random() < 0.25))
    built = BuiltAgent(
        Agent(
            agent_id,
            kind,
            owner_id,
            round(created_at, 6),
            rng.choice(("Community Builder", "")) or "Acme IT",
            visibility,
            Recipient(owner_id, True, True, False),
            recipients,
            [],
        ),
    )
    agent = built.agent
    loc_kind = "gpt_config" if kind == "gpt" else "project_config"
    id_key = "gpt_id" if kind == "gpt" else "project_id"
    file_kind = "gpt" if kind == "gpt" else "project"

    def finding(rule: str, value: str, fld: str, config_id: str | None = None) -> None:
        ids = {id_key: agent_id}
        if config_id:
            ids["config_id"] = config_id
        built.findings.append(PlannedFinding(rule, value, loc_kind, ids, fld))

    # Knowledge files (shared by all versions once added).
    files: list[str] = []
    for n in range(rng.randrange(0, 3)):
        values = content.slot_values(rng)
        if not clean and rng.random() < risk_rate * 2:
            plant = risks.customer_list_csv(rng, 8)
            doc = Document(f"customer-accounts-{n}.csv", "customer accounts", raw=plant.text + "\n")
            sf = StoredFile(
                "file-" + fakes.token(rng, 24), file_kind, owner_id, round(created_at + 60, 6), doc
            )
            for rule, value in plant.findings:
                built.findings.append(
                    PlannedFinding(rule, value, "file", {"file_id": sf.id, id_key: agent_id}, "content")
                )
            built.findings.append(
                PlannedFinding(
                    "agent.sensitive_knowledge",
                    plant.findings[0][1],
                    "file",
                    {"file_id": sf.id, id_key: agent_id},
                    "content",
                )
            )
        else:
            doc = Document(
                f"{values['policy'].replace(' ', '-')}-guide.{rng.choice(('pdf', 'docx', 'md'))}",
                f"{values['policy'].title()} guide",
                (
                    f"This guide explains the {values['policy']} policy that applies from {values['month']}.",
                    f"Managers approve requests within {values['days']} working days.",
                    f"Questions go to the {values['team']} team.",
                ),
            )
            sf = StoredFile(
                "file-" + fakes.token(rng, 24), file_kind, owner_id, round(created_at + 60, 6), doc
            )
        built.files.append(sf)
        files.append(sf.id)

    versions = 1 + rng.randrange(3)
    span = max(60.0, now - created_at)
    times = sorted(created_at + rng.uniform(0, span * 0.9) for _ in range(versions - 1))
    times.insert(0, created_at)
    tools: list[ActionTool] = [ActionTool("browser", round(created_at, 6))]
    for version, at in enumerate(times):
        at = round(at, 6)
        config_id = ("gzm_cnf_" if kind == "gpt" else "pr_cnf_") + fakes.token(rng, 24)
        text = instructions
        if version == 0 and not clean and rng.random() < risk_rate * 2:
            plant = risks.instructions_plant(rng)
            text = f"{instructions}\n\n{plant.text}"
            for rule, value in plant.findings:
                finding(rule, value, "instructions", config_id)
            finding("agent.sensitive_instructions", plant.findings[0][1], "instructions", config_id)
        if version > 0 and rng.random() < 0.5:
            extra = rng.choice(("code_interpreter", "dall-e", "memory"))
            if extra not in {t.type for t in tools}:
                tools.append(ActionTool(extra, at))
        if not clean and version == versions - 1 and rng.random() < 0.45:
            domain, privacy = rng.choice(EXTERNAL_ACTIONS)
            auth = rng.choice(("none", "none", "oauth", "service_http"))
            tools.append(
                ActionTool(
                    "custom_action",
                    at,
                    domain,
                    _openapi_for(domain),
                    privacy,
                    auth if kind == "gpt" else None,
                )
            )
            finding("agent.external_action", domain, "tools.action_domain", config_id)
            if auth == "none" and kind == "gpt":
                finding("agent.unauthenticated_action", domain, "tools.auth_type", config_id)
        agent.configs.append(
            AgentConfig(
                config_id,
                at,
                name,
                description,
                text,
                owner_id,
                categories=(rng.choice(("productivity", "writing", "research", "programming")),),
                conversation_starters=(
                    f"Help me with {content.slot_values(rng)['metric']}",
                    "What can you do?",
                ),
                tools=tuple(tools),
                file_ids=tuple(files),
            )
        )
    if visibility in PUBLIC_VISIBILITIES:
        finding("agent.public_sharing", visibility, "sharing.visibility")
    if not clean and sum(r.can_write for r in recipients) >= 3:
        finding("agent.broad_edit_rights", ",".join(r.user_id for r in recipients if r.can_write), "sharing")
    return built
