"""A deterministic, realistic mix of message text for the speed bench (generated, nothing read from disk).

By bytes, roughly: chat prompts and answers from the emulator's work-topic templates (with code blocks in
the coding topics) ~45 %, application logs ~20 %, configuration files ~12 %, source code ~10 %, document
prose ~13 %; about one record in 25 carries a planted risk from the emulator (keys, private keys, .env
blocks, cards, SSNs, IBANs, contact details, customer lists, injections, jailbreaks, harmful requests).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator
from random import Random

from aiwatch.emulator import content, risks

_PLANTERS: tuple[Callable[[Random], risks.Plant], ...] = tuple(
    getattr(risks, name) for name in sorted(dir(risks)) if name.startswith("plant_")
)
_LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")
_SERVICES = ("api-gateway", "billing", "auth", "search", "ingest", "scheduler", "notifier", "reports")
_PATHS = (
    "/v1/orders",
    "/v1/users/{id}",
    "/healthz",
    "/v2/search",
    "/v1/invoices/{id}/pdf",
    "/login",
    "/v1/export",
)
_WORDS = (
    "quarterly", "revenue", "forecast", "customer", "onboarding", "process", "migration", "vendor",
    "contract", "renewal", "pricing", "analysis", "retention", "cohort", "dashboard", "latency",
    "budget", "headcount", "roadmap", "milestone", "procurement", "policy", "compliance", "audit",
    "training", "schedule", "incident", "review", "postmortem", "capacity", "planning", "warehouse",
    "shipment", "region", "expansion", "partnership", "proposal", "summary", "objective",
    "stakeholder", "feedback", "survey", "result", "baseline", "assumption", "risk", "mitigation",
    "timeline", "dependency", "deliverable", "estimate", "scope", "requirement", "approval",
)  # fmt: skip


def _hex(rng: Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _ip(rng: Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def chat(rng: Random) -> str:
    topic = rng.choice(content.TOPICS)
    values = content.slot_values(rng)
    parts = [content.fill(rng.choice(topic.openers), values), content.fill(rng.choice(topic.answers), values)]
    if rng.random() < 0.5:
        parts.append(content.fill(rng.choice(topic.followups), values))
        parts.append(content.fill(rng.choice(topic.followup_answers), values))
    return "\n\n".join(parts)


def logs(rng: Random) -> str:
    lines = [f"Here are the logs from {rng.choice(_SERVICES)} since the deploy, why does it fail?\n"]
    for _ in range(rng.randrange(15, 80)):
        ts = f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:" \
             f"{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z"  # fmt: skip
        path = rng.choice(_PATHS).replace("{id}", str(rng.randrange(10**6)))
        level = rng.choice(_LEVELS)
        lines.append(
            f"{ts} {level:5s} [{rng.choice(_SERVICES)}] req={_hex(rng, 8)}-{_hex(rng, 4)} "
            f"{rng.choice(('GET', 'POST', 'PUT'))} {path} from {_ip(rng)} "
            f"status={rng.choice((200, 201, 404, 500))} duration_ms={rng.randrange(1, 3000)} "
            f"trace_id={_hex(rng, 32)}"
        )
        if level == "ERROR" and rng.random() < 0.4:
            lines.append(
                "Traceback (most recent call last):\n"
                f'  File "/srv/app/{rng.choice(_SERVICES)}/handlers.py", '
                f"line {rng.randrange(20, 900)}, in handle\n"
                "    result = service.process(payload)\n"
                f"TimeoutError: upstream {_ip(rng)}:5432 did not answer within 30s"
            )
    return "\n".join(lines)


def config(rng: Random) -> str:
    service = rng.choice(_SERVICES)
    if rng.random() < 0.5:
        return (
            f"Why does helm reject this values file for {service}?\n\n```yaml\n"
            f"replicaCount: {rng.randrange(1, 6)}\nimage:\n  repository: registry.internal/{service}\n"
            f'  tag: "1.{rng.randrange(30)}.{rng.randrange(10)}"\n  pullPolicy: IfNotPresent\n'
            f"resources:\n  limits:\n    cpu: {rng.randrange(100, 2000)}m\n"
            f"    memory: {rng.randrange(128, 4096)}Mi\n"
            f"env:\n  - name: LOG_LEVEL\n    value: info\n  - name: UPSTREAM_URL\n"
            f"    value: http://{_ip(rng)}:8080\n"
            f'  - name: FEATURE_FLAGS\n    value: "search_v2,{rng.choice(_WORDS)}"\n'
            f"ingress:\n  enabled: true\n  hosts:\n    - {service}.internal.example\n```"
        )
    return (
        f"Can you convert this INI to TOML?\n\n```ini\n[server]\nport = {rng.randrange(1024, 65535)}\n"
        f"workers = {rng.randrange(1, 33)}\nbind = {_ip(rng)}\n\n[database]\n"
        f"host = db-{rng.randrange(9)}.internal\n"
        f"pool_size = {rng.randrange(5, 50)}\ntimeout_s = {rng.randrange(5, 60)}\n\n[cache]\n"
        f"ttl = {rng.randrange(60, 86400)}\nbackend = redis\n```"
    )


def code(rng: Random) -> str:
    name = rng.choice(_WORDS)
    other = rng.choice(_WORDS)
    return (
        "Refactor this so it is testable:\n\n```python\n"
        "import logging\nfrom dataclasses import dataclass\n\n"
        f"log = logging.getLogger(__name__)\n\n\n@dataclass\nclass {name.title()}Record:\n    id: int\n"
        f'    {other}: float\n    label: str = ""\n\n\ndef load_{name}(rows):\n    out = []\n'
        f'    for row in rows:\n        if not row.get("{other}"):\n'
        '            log.warning("skipping %s", row)\n            continue\n'
        f'        out.append({name.title()}Record(int(row["id"]), float(row["{other}"])))\n'
        f"    return sorted(out, key=lambda r: r.{other}, reverse=True)[:{rng.randrange(5, 100)}]\n```\n\n"
        f"Also, `load_{name}` is called from the nightly job with about {rng.randrange(1, 90)}k rows."
    )


def document(rng: Random) -> str:
    sentences = []
    for _ in range(rng.randrange(8, 40)):
        words = [rng.choice(_WORDS) for _ in range(rng.randrange(8, 22))]
        sentences.append(" ".join(words).capitalize() + rng.choice((".", ".", ".", "?")))
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "Summarise this section of the internal memo:\n\n" + "\n\n".join(paragraphs)


_KINDS: tuple[tuple[Callable[[Random], str], float], ...] = (
    (chat, 0.50),
    (logs, 0.10),
    (config, 0.12),
    (code, 0.11),
    (document, 0.17),
)


def records(seed: int = 7) -> Iterator[str]:
    """Endless deterministic stream of message texts."""
    rng = Random(seed)
    kinds = [k for k, _ in _KINDS]
    weights = [w for _, w in _KINDS]
    while True:
        text = rng.choices(kinds, weights)[0](rng)
        if rng.random() < 0.04:
            plant = rng.choice(_PLANTERS)(rng)
            text = f"{text}\n\n{plant.text}" if rng.random() < 0.5 else f"{plant.text}\n\n{text}"
        yield text


def build(total_bytes: int, seed: int = 7) -> list[str]:
    out: list[str] = []
    size = 0
    for text in records(seed):
        out.append(text)
        size += len(text.encode("utf-8"))
        if size >= total_bytes:
            return out
    return out


def printable_share(texts: list[str]) -> float:
    """Sanity figure for the README: share of ASCII printable characters."""
    allowed = set(string.printable)
    total = sum(len(t) for t in texts)
    return sum(sum(c in allowed for c in t) for t in texts) / total if total else 0.0
