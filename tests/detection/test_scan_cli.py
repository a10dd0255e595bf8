"""`aiwatch scan` contract, through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# The installed console script, as a user runs it (the package is installed editable in the venv).
AIWATCH = [str(Path(sys.executable).with_name("aiwatch"))]
EMAIL = "jane.roe@acme-corp.io"


def run_scan(
    *args: str, stdin: bytes | None = None, timeout: int = 240
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*AIWATCH, "scan", *args], input=stdin, capture_output=True, timeout=timeout, check=False
    )


def lines_of(result: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def jsonl(path: Path, rows: list[object | bytes]) -> Path:
    with path.open("wb") as out:
        for row in rows:
            out.write(row if isinstance(row, bytes) else json.dumps(row).encode())
            out.write(b"\n")
    return path


@pytest.fixture(scope="module")
def mixed_input(tmp_path_factory) -> Path:
    rows: list[object | bytes] = []
    for i in range(60):
        rows.append({"id": f"r{i}", "text": f"row {i}: mail user{i}@acme-corp.io card 4539 6476 8858 6080"})
        if i % 15 == 3:
            rows.append(b"{not json")
        if i % 20 == 7:
            rows.append({"id": f"bad{i}", "text": 42})
    return jsonl(tmp_path_factory.mktemp("scan") / "in.jsonl", rows)


def test_order_offsets_and_bad_lines(mixed_input):
    result = run_scan("--input", str(mixed_input), "--rules", "pii.*,financial.*")
    assert result.returncode == 0, result.stderr
    out = lines_of(result)
    assert len(out) == 60 + 4 + 3  # one output line per input line, in order
    ids = [o["id"] for o in out]
    assert ids[:5] == ["r0", "r1", "r2", "r3", None]
    first = out[0]
    text = "row 0: mail user0@acme-corp.io card 4539 6476 8858 6080"
    spans = {(d["rule"], text[d["start"] : d["end"]]) for d in first["detections"]}
    assert spans == {("pii.email", "user0@acme-corp.io"), ("financial.credit_card", "4539 6476 8858 6080")}
    for detection in first["detections"]:
        assert set(detection) == {"rule", "start", "end", "score", "severity", "evidence"}
        assert "6476" not in detection["evidence"]
    stderr = result.stderr.decode()
    assert "line 5: invalid JSON" in stderr
    assert "text is int, not a string" in stderr
    errors = [o for o in out if "error" in o]
    assert {o["error"] for o in errors} == {"invalid JSON", "text is int, not a string"}
    assert any(o["id"] == "bad7" for o in errors)


def test_workers_give_identical_output(mixed_input):
    single = run_scan("--input", str(mixed_input), "--workers", "1")
    double = run_scan("--input", str(mixed_input), "--workers", "2")
    assert single.returncode == double.returncode == 0
    assert single.stdout == double.stdout
    assert len(single.stdout.splitlines()) == 67


def test_stdin_invalid_utf8_huge_line_and_missing_fields():
    huge = json.dumps({"id": "big", "text": "x" * 300_000}).encode()
    rows = [
        json.dumps({"id": "u", "text": "mail "}).encode()[:-2] + b"\xff\xfe" + f' {EMAIL}"}}'.encode(),
        huge,
        json.dumps({"text": f"no id {EMAIL}"}).encode(),
        json.dumps({"id": "n"}).encode(),
        json.dumps(["a", "list"]).encode(),
        b"",
        json.dumps({"id": 7, "text": "", "extra": {"ignored": True}}).encode(),
    ]
    stdin = b"\n".join(rows) + b"\n"
    result = run_scan("--input", "-", "--max-record-bytes", "100000", "--rules", "pii.email", stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = lines_of(result)
    assert [o["id"] for o in out] == ["u", "big", None, "n", None, 7]
    assert out[0]["detections"][0]["rule"] == "pii.email"
    assert "\ufffd" not in out[0]["detections"][0]["evidence"]
    assert out[1]["error"].startswith("record larger than")
    assert out[2]["detections"] and "error" not in out[2]
    assert out[3]["error"] == "missing text"
    assert out[4]["error"] == "not a JSON object"
    assert out[5] == {"id": 7, "detections": []}
    stderr = result.stderr.decode()
    for expected in (
        "line 1: invalid UTF-8",
        "line 2: record larger than",
        "line 3: missing id",
        "line 4: missing text",
    ):
        assert expected in stderr


def test_chatgpt_logs_field_offsets(tmp_path):
    message = f"please email {EMAIL} the report"
    events = [
        {
            "event_id": "e1",
            "type": "CONVERSATION_MESSAGE",
            "actor": {"type": "ACCOUNT_USER", "user_email": "owner@acme-corp.io"},
            "message": {
                "id": "m1",
                "author": {"type": "user"},
                "content": {"type": "text", "value": message},
            },
            "conversation": {"id": "c1", "title": "Report"},
        },
        {
            "event_id": "e2",
            "type": "APP_LOG",
            "action_data": {"request": {"query": f"find {EMAIL}"}, "response": {"status": 200}},
        },
        {"event_id": "e3", "type": "AUTH_LOG", "action_data": {"action": "login_failed"}},
        {"event_id": "e4", "type": "SOMETHING_NEW", "payload": {"text": EMAIL}},
    ]
    result = run_scan(
        "--input", str(jsonl(tmp_path / "logs.jsonl", events)), "--input-format", "chatgpt-logs"
    )
    assert result.returncode == 0, result.stderr
    out = lines_of(result)
    assert [o["id"] for o in out] == ["e1", "e2", "e3", "e4"]
    (first,) = [d for d in out[0]["detections"] if d["rule"] == "pii.email"]
    assert first["field"] == "message.content.value"
    assert message[first["start"] : first["end"]] == EMAIL
    (second,) = [d for d in out[1]["detections"] if d["rule"] == "pii.email"]
    assert second["field"] == "action_data.request.query"
    assert f"find {EMAIL}"[second["start"] : second["end"]] == EMAIL
    assert out[2]["detections"] == [] and out[3]["detections"] == []


def test_text_input_directory(tmp_path):
    (tmp_path / "notes.txt").write_text(f"contact {EMAIL}\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text(f"name,email\nJane,{EMAIL}\n", encoding="utf-8")
    result = run_scan("--input", str(tmp_path), "--input-format", "text", "--rules", "pii.email")
    assert result.returncode == 0, result.stderr
    out = lines_of(result)
    assert [Path(o["id"]).name for o in out] == ["notes.txt", "data.csv"]
    assert all(o["detections"][0]["rule"] == "pii.email" for o in out)


@pytest.mark.parametrize(
    "args",
    [
        ["--input", "/nonexistent/file.jsonl"],
        ["--input", "-", "--sensitivity", "extreme"],
        ["--input", "-", "--workers", "0"],
        ["--input", "-", "--rules", "nothing.*"],
        ["--input", "-", "--input-format", "text"],
        [],
    ],
)
def test_usage_errors_exit_2(args):
    result = run_scan(*args, stdin=b"")
    assert result.returncode == 2, result.stderr


def test_bad_organisation_rules_exit_2(tmp_path):
    rules = tmp_path / "org.yaml"
    rules.write_text("group: x\npolicy: {id: x, name: x}\nrules:\n- id: pii.email\n", encoding="utf-8")
    result = run_scan("--input", "-", "--organisation-rules", str(rules), stdin=b"")
    assert result.returncode == 2
    assert b"org.yaml" in result.stderr
