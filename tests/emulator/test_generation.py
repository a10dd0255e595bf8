"""Synthetic workspace: determinism, planted risks and their labels, clean control workspaces."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from aiwatch.emulator import fakes
from aiwatch.emulator.workspace import Workspace, WorkspaceSpec

FIXED_NOW = 1_760_000_000.0
SPEC = WorkspaceSpec(seed=42, users=12, days=4, conversations_per_user=6, now=FIXED_NOW)


@pytest.fixture(scope="module")
def workspace() -> Workspace:
    return Workspace(SPEC)


def snapshot(ws: Workspace) -> str:
    """Everything observable, as one string."""
    parts = [ws.workspace_id, ws.chatgpt_org_id]
    parts += [repr(u) for u in ws.users.values()]
    parts += [repr(c) for c in ws.conversations.values()]
    parts += [repr(a) for a in (*ws.gpts.values(), *ws.projects.values())]
    parts += [repr(ws.memories), repr(ws.canvases), json.dumps(ws.labels_json())]
    parts += [f.id + ws.log_file_bytes(f).decode() for f in ws.log_files]
    parts += [fid + ws.file_bytes(fid).hex() for fid in sorted(ws.files)]
    return "\n".join(parts)


def test_same_seed_same_workspace(workspace: Workspace) -> None:
    assert snapshot(Workspace(SPEC)) == snapshot(workspace)
    other = Workspace(WorkspaceSpec(seed=43, users=12, days=4, conversations_per_user=6, now=FIXED_NOW))
    assert other.workspace_id != workspace.workspace_id
    assert snapshot(other) != snapshot(workspace)


def test_same_seed_in_another_process() -> None:
    code = (
        "from aiwatch.emulator.workspace import Workspace, WorkspaceSpec;"
        f"spec = WorkspaceSpec(seed=42, users=12, days=4, conversations_per_user=6, now={FIXED_NOW});"
        "print(Workspace(spec).fingerprint())"
    )
    # Another hash seed proves nothing depends on Python's per-process string hashing.
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    assert result.stdout.strip() == Workspace(SPEC).fingerprint()


def test_every_label_points_at_content_with_its_value(workspace: Workspace) -> None:
    assert workspace.labels
    ids = [label.label_id for label in workspace.labels]
    assert len(ids) == len(set(ids))
    for label in workspace.labels:
        text = workspace.text_at(label.location)
        assert label.value in text, label
        assert label.location["kind"] in {
            "message",
            "file",
            "gpt_config",
            "project_config",
            "memory",
            "canvas",
            "log_event",
        }


def test_labels_cover_the_required_kinds(workspace: Workspace) -> None:
    big = Workspace(WorkspaceSpec(seed=5, users=40, days=5, conversations_per_user=8, now=FIXED_NOW))
    rules = Counter(label.rule for label in big.labels)
    kinds = Counter(label.location["kind"] for label in big.labels)
    for rule in (
        "pii.bulk",
        "pii.email",
        "pii.ssn",
        "financial.credit_card",
        "financial.iban",
        "secret.aws_access_key_id",
        "secret.private_key",
        "secret.password",
        "secret.connection_string",
        "code.source",
        "confidential.marker",
        "attack.prompt_injection",
        "attack.jailbreak",
        "attack.system_prompt_extraction",
        "attack.encoded_text",
        "attack.invisible_characters",
        "attack.data_exfiltration",
        "attack.indirect_injection",
        "agent.public_sharing",
        "agent.external_action",
        "agent.unauthenticated_action",
        "activity.login_failures",
        "activity.privilege_change",
        "activity.app_linked",
        "activity.compliance_key_use",
    ):
        assert rules[rule], rule
    assert sum(n for r, n in rules.items() if r.startswith("secret.")) >= 10
    assert len({r for r in rules if r.startswith("secret.")}) >= 6
    assert any(r.startswith("harmful.") for r in rules)
    assert set(kinds) == {
        "message",
        "file",
        "gpt_config",
        "project_config",
        "memory",
        "canvas",
        "log_event",
    } or (set(kinds) >= {"message", "file", "gpt_config", "memory", "canvas", "log_event"})


def test_planted_values_are_valid(workspace: Workspace) -> None:
    big = Workspace(WorkspaceSpec(seed=5, users=40, days=5, conversations_per_user=8, now=FIXED_NOW))
    for label in big.labels:
        if label.rule == "financial.credit_card":
            assert fakes.luhn_valid(label.value), label.value
        elif label.rule == "financial.iban":
            assert fakes.iban_valid(label.value), label.value
        elif label.rule == "pii.ssn":
            area, group, serial = label.value.split("-")
            assert (
                area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"
            )
        elif label.rule == "attack.encoded_text":
            assert (
                "instructions" in base64.b64decode(label.value).decode()
                or "filters" in base64.b64decode(label.value).decode()
            )
        elif label.rule == "attack.invisible_characters":
            assert re.search("[\u200b-\u200d\u2060\U000e0000-\U000e007f]", label.value)
        elif label.rule == "secret.aws_access_key_id":
            assert re.fullmatch(r"AKIA[A-Z2-7]{16}", label.value)


def test_planted_file_values_survive_in_the_real_bytes(workspace: Workspace) -> None:
    import docx
    import openpyxl
    import pypdf

    big = Workspace(WorkspaceSpec(seed=5, users=40, days=5, conversations_per_user=8, now=FIXED_NOW))
    checked = Counter()
    for label in big.labels:
        if label.location["kind"] != "file":
            continue
        stored = big.files[label.location["file_id"]]
        data = big.file_bytes(stored.id)
        ext = stored.document.extension
        if ext == "pdf":
            text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
        elif ext == "docx":
            text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        elif ext == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(data))
            text = "\n".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value)
        else:
            text = data.decode("utf-8")
        assert " ".join(label.value.split()) in " ".join(text.split()), (stored.name, label.rule)
        checked[ext] += 1
    assert len(checked) >= 3


def test_clean_workspace_plants_nothing() -> None:
    clean = Workspace(
        WorkspaceSpec(seed=5, users=40, days=5, conversations_per_user=8, now=FIXED_NOW, clean=True)
    )
    assert clean.labels == []
    texts = [m.text or "" for _, m in clean.iter_messages()]
    texts += [f.document.plain_text() for f in clean.files.values()]
    texts += [c.instructions for a in (*clean.gpts.values(), *clean.projects.values()) for c in a.configs]
    texts += [e.content for ctxs in clean.memories.values() for ctx in ctxs for e in ctx.entries]
    texts += [v.content for c in clean.canvases.values() for v in c.versions]
    blob = "\n".join(texts)
    for pattern in (
        r"AKIA[A-Z2-7]{16}",
        r"-----BEGIN",
        r"\b\d{3}-\d{2}-\d{4}\b",
        r"[\w.]+@[\w-]+\.\w+",
        r"(?i)password",
        r"(?i)confidential|privileged|internal only",
        r"(?i)ignore (all )?previous",
        r"(?i)\bDAN\b|developer mode",
        r"```",
        r"[\u200b-\u200d\u2060]",
        r"[\U000e0000-\U000e007f]",
        r"sk_live_|ghp_|xox[bp]-|sk-proj-|AIza",
        r"(?i)ransomware|keylogger|pipe bomb",
        r"\b(?:\d[ -]?){13,16}\b",
    ):
        assert not re.search(pattern, blob), pattern
    assert all(a.visibility not in ("anyone-with-link", "gpt-store") for a in clean.gpts.values())
    assert all(t.type != "custom_action" for a in clean.gpts.values() for c in a.configs for t in c.tools)
    actions = {e["action_data"]["action"] for e in clean.log_events("AUTH_LOG")}
    assert "login_failed" not in actions
    assert all(e["action"] != "USER_ROLE_UPDATED" for e in clean.log_events("AUDIT_LOG"))
    assert all(e["action_data"]["action"] != "app_linked" for e in clean.log_events("APP_AUTH_LOG"))


def test_content_reads_like_work_chat(workspace: Workspace) -> None:
    titles = {c.title for c in workspace.conversations.values()}
    assert len(titles) >= len(workspace.conversations) // 3
    text = " ".join(m.text or "" for _, m in workspace.iter_messages())
    assert "lorem" not in text.lower()
    assert len(set(text.split())) > 300


def test_large_workspace_is_compact() -> None:
    # Smaller than the 500 x 30 x 20 benchmark (see bench note in the module docstring) but same code path.
    ws = Workspace(WorkspaceSpec(seed=1, users=100, days=10, conversations_per_user=10, now=FIXED_NOW))
    assert len(ws.conversations) == 1000
    assert sum(len(c.messages) for c in ws.conversations.values()) > 3000
