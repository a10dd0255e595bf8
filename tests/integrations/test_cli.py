"""``aiwatch integrations …`` and ``aiwatch db …`` through typer's CliRunner (in process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiwatch.cli import app
from aiwatch.config import Settings

API_KEY = "sk-proj-CLITESTKEY0123456789abcdLAST"
ADD = [
    "integrations", "add", "chatgpt", "--name", "acme",
    "--workspace-id", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "--chatgpt-org-id", "org-AbCdEfGhIjKlMnOpQrStUvWx",
    "--platform-org-id", "org-ZyXwVuTsRqPoNmLkJiHgFeDc",
    "--base-url", "http://127.0.0.1:9/v1",
]  # fmt: skip


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key.txt"
    path.write_text(API_KEY + "\n")
    return path


def _output(result: object) -> str:
    return getattr(result, "output", "") + (getattr(result, "stderr", "") or "")


def test_add_from_file_then_list(runner: CliRunner, settings: Settings, key_file: Path) -> None:
    added = runner.invoke(app, [*ADD, "--key-file", str(key_file)])
    assert added.exit_code == 0, _output(added)
    assert "…LAST" in added.output and API_KEY not in _output(added)
    listed = runner.invoke(app, ["integrations", "list"])
    assert listed.exit_code == 0
    assert "acme" in listed.output and "…LAST" in listed.output and "never" in listed.output
    assert API_KEY not in listed.output


def test_add_from_stdin(runner: CliRunner, settings: Settings) -> None:
    result = runner.invoke(app, [*ADD, "--key-file", "-"], input=API_KEY + "\n")
    assert result.exit_code == 0, _output(result)
    assert API_KEY not in _output(result)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--workspace-id", "nope"], "Workspace ID must be a UUID"),
        (["--chatgpt-org-id", "org-x"], "Organization ID (ChatGPT)"),
        (["--base-url", "http://example.com/v1"], "must use https"),
        (["--name", "a/b"], "name must be"),
    ],
)
def test_bad_input_exits_2_without_traceback(
    runner: CliRunner, settings: Settings, key_file: Path, change: list[str], message: str
) -> None:
    args = [*ADD, "--key-file", str(key_file)]
    flag = change[0]
    args[args.index(flag) + 1] = change[1]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in _output(result) and "Traceback" not in _output(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "does not exist"), ("", "empty"), ("\n  \n", "empty"), (b"\xff\xfe\x00", "not text")],
)
def test_bad_key_file_exits_2(
    runner: CliRunner, settings: Settings, tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "key"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = runner.invoke(app, [*ADD, "--key-file", str(path)])
    assert result.exit_code == 2 and message in _output(result)


def test_key_file_too_large(runner: CliRunner, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("sk-proj-" + "a" * 100_000)
    result = runner.invoke(app, [*ADD, "--key-file", str(path)])
    assert result.exit_code == 2 and "too large" in _output(result)


def test_key_is_never_accepted_on_the_command_line(runner: CliRunner, settings: Settings) -> None:
    result = runner.invoke(app, [*ADD, "--key", API_KEY])
    assert result.exit_code == 2  # no such option: usage error
    assert "--key-file" in _output(result) or "No such option" in _output(result)


def test_lifecycle_pause_resume_rotate_remove(runner: CliRunner, settings: Settings, key_file: Path) -> None:
    assert runner.invoke(app, [*ADD, "--key-file", str(key_file)]).exit_code == 0
    paused = runner.invoke(app, ["integrations", "pause", "acme"])
    assert paused.exit_code == 0 and "paused" in paused.output
    assert "paused" in runner.invoke(app, ["integrations", "list"]).output
    assert runner.invoke(app, ["integrations", "resume", "acme"]).exit_code == 0
    again = runner.invoke(app, ["integrations", "resume", "acme"])
    assert again.exit_code == 2 and "not paused" in _output(again)
    rotated = runner.invoke(
        app,
        ["integrations", "rotate-key", "acme", "--key-file", "-"],
        input="weird-prefix-0123456789abcdNEW1\n",
    )
    assert rotated.exit_code == 0 and "…NEW1" in rotated.output
    assert "Warning" in _output(rotated) and "weird-prefix" not in _output(rotated)
    removed = runner.invoke(app, ["integrations", "remove", "acme"])
    assert removed.exit_code == 0 and "data kept" in removed.output
    assert "No integrations" in runner.invoke(app, ["integrations", "list"]).output
    assert "removed" in runner.invoke(app, ["integrations", "list", "--all"]).output
    declined = runner.invoke(app, ["integrations", "remove", "acme", "--purge"], input="n\n")
    assert declined.exit_code != 0
    assert "acme" in runner.invoke(app, ["integrations", "list", "--all"]).output
    purged = runner.invoke(app, ["integrations", "remove", "acme", "--purge", "--yes"])
    assert purged.exit_code == 0 and "purged" in purged.output
    assert "No integrations" in runner.invoke(app, ["integrations", "list", "--all"]).output


def test_unknown_integration_exits_2(runner: CliRunner, settings: Settings) -> None:
    for command in (["test", "ghost"], ["pause", "ghost"], ["remove", "ghost"]):
        result = runner.invoke(app, ["integrations", *command])
        assert result.exit_code == 2 and "no integration named 'ghost'" in _output(result)


def test_test_against_unreachable_api_fails_with_a_table(
    runner: CliRunner, settings: Settings, key_file: Path
) -> None:
    assert runner.invoke(app, [*ADD, "--key-file", str(key_file)]).exit_code == 0
    result = runner.invoke(app, ["integrations", "test", "acme"])  # port 9 on loopback: refused
    assert result.exit_code == 1
    assert "Network and TLS reachability" in result.output and "FAIL" in result.output
    assert API_KEY not in _output(result)
    listed = runner.invoke(app, ["integrations", "list"]).output
    assert "error" in listed
    assert runner.invoke(app, ["integrations", "pause", "acme"]).exit_code == 0
    paused_test = runner.invoke(app, ["integrations", "test", "acme"])
    assert paused_test.exit_code == 1 and "stays Paused" in paused_test.output
    from aiwatch.integrations.service import IntegrationService

    stored = IntegrationService.open(settings).get("acme")
    assert stored.paused and "last credential test failed" in (stored.status_message or "")


def test_production_without_secret_key_exits_2(
    runner: CliRunner, settings: Settings, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiwatch.config import get_settings

    monkeypatch.setenv("AIWATCH_MODE", "production")
    get_settings.cache_clear()
    result = runner.invoke(app, [*ADD, "--key-file", str(key_file)])
    assert result.exit_code == 2 and "AIWATCH_SECRET_KEY" in _output(result)


def test_db_current_and_upgrade(runner: CliRunner, settings: Settings) -> None:
    before = runner.invoke(app, ["db", "current"])
    assert before.exit_code == 0 and "not initialised" in before.output
    from aiwatch.store.db import head_revision

    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and str(head_revision()) in upgraded.output
    after = runner.invoke(app, ["db", "current"])
    assert f"Current revision: {head_revision()}" in after.output and "db upgrade" not in after.output


def test_db_errors_hide_the_password(
    runner: CliRunner, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiwatch.config import get_settings

    monkeypatch.setenv("AIWATCH_DATABASE_URL", "postgresql://aiwatch:hunter2secret@127.0.0.1:9/aiwatch")
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 1
    assert "hunter2secret" not in _output(result) and "***" in _output(result)
    monkeypatch.setenv("AIWATCH_DATABASE_URL", "mysql://x@y/z")
    get_settings.cache_clear()
    unsupported = runner.invoke(app, ["db", "upgrade"])
    assert unsupported.exit_code == 2 and "not supported" in _output(unsupported)
