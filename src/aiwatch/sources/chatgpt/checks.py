"""Test Credentials: live checks of a ChatGPT Enterprise connection, each pass / fail / warn / skip with a
fix.

Order (PRODUCT.md step 4 and the API doc's "Test Credentials" section):
1. input formats (base URL, Workspace ID UUID, ``org-`` IDs, key prefix; the key is never echoed, only its
last 4);
2. ``GET …/users?limit=1`` decides network/TLS reachability, key accepted (401), Compliance access (403) and
   workspace found (404);
3. ``GET …/workspaces/{ws}/logs?event_type=AUTH_LOG&after=<now-1d>&limit=1``: log feed reachable;
4. organization IDs: the two entered IDs are compared (a mismatch is the documented cause of failed setups)
and
   each is probed at organization level, where an answer of 422 naming the workspace path confirms the key
   knows
   the organization; any other answer is "could not confirm", never a failure;
5. delete permission cannot be probed harmlessly: reported as confirmed on first use.
Checks 3–5 rely on undocumented behaviour, so they are not required for ``report.ok``.

The report is plain data (``to_dict``) for the CLI table and the web UI.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx

from aiwatch.sources.chatgpt.client import ComplianceClient, mask_key
from aiwatch.sources.chatgpt.errors import (
    AccessDenied,
    ComplianceError,
    EndpointUnsupported,
    InvalidRequest,
    KeyRejected,
    NetworkError,
    NotFound,
    WorkspaceNotFound,
)
from aiwatch.sources.chatgpt.retry import RetryPolicy

KNOWN_KEY_PREFIXES = ("sk-proj-", "sk-admin-", "sk-comp-")
SUPPORT_ADDRESS = "support@openai.com"
_ORG_ID = re.compile(r"^org-[A-Za-z0-9]{16,64}$")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: CheckStatus
    explanation: str
    fix: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        return data


@dataclass
class CheckReport:
    results: list[CheckResult] = field(default_factory=list)
    support_email: str | None = None

    @property
    def ok(self) -> bool:
        """True when every required check passed (a warning on a required check is a caveat, not a
        failure)."""
        return all(
            result.status in (CheckStatus.PASS, CheckStatus.WARN)
            for result in self.results
            if result.required
        )

    def get(self, check_id: str) -> CheckResult:
        for result in self.results:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    @property
    def failed(self) -> list[CheckResult]:
        return [result for result in self.results if result.status is CheckStatus.FAIL]

    @property
    def blocking(self) -> list[CheckResult]:
        """The required checks that keep ``ok`` false: failed, or skipped because they could not run."""
        return [
            result
            for result in self.results
            if result.required and result.status in (CheckStatus.FAIL, CheckStatus.SKIP)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "results": [result.to_dict() for result in self.results],
            "support_email": self.support_email,
        }


@dataclass(frozen=True)
class _Inputs:
    base_url: str
    api_key: str = field(repr=False)
    workspace_id: str
    chatgpt_org_id: str
    platform_org_id: str
    key_name: str | None
    created_by: str | None

    @property
    def key_last4(self) -> str:
        return self.api_key[-4:] if len(self.api_key) >= 8 else "????"


def run_credential_checks(
    base_url: str,
    api_key: str,
    workspace_id: str,
    chatgpt_org_id: str,
    platform_org_id: str,
    key_name: str | None = None,
    created_by: str | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 15.0,
    now: datetime | None = None,
    sleep: Callable[[float], None] | None = None,
) -> CheckReport:
    """Run every check in order and return the report (never raises for API or network problems)."""
    inputs = _Inputs(
        base_url=(base_url or "").strip(),
        api_key=(api_key or "").strip(),
        workspace_id=(workspace_id or "").strip(),
        chatgpt_org_id=(chatgpt_org_id or "").strip(),
        platform_org_id=(platform_org_id or "").strip(),
        key_name=(key_name or "").strip() or None,
        created_by=(created_by or "").strip() or None,
    )
    report = CheckReport()
    report.results.extend(_input_checks(inputs))
    if any(result.status is CheckStatus.FAIL for result in report.results):
        report.results.extend(
            _skipped_live_checks("Fix the entries above first; the live checks did not run.")
        )
        report.results.append(_delete_permission_check())
        return report

    client_options: dict[str, Any] = {}
    if sleep is not None:
        client_options["sleep"] = sleep
    with ComplianceClient(
        inputs.base_url,
        inputs.api_key,
        inputs.workspace_id,
        timeout=timeout,
        rate_limits=None,
        transport=transport,
        retry_policy=RetryPolicy(max_retries=1, base_delay=0.2, max_delay=1.0, max_retry_after=5.0),
        **client_options,
    ) as client:
        connected = _access_checks(client, inputs, report)
        moment = now or datetime.now(UTC)
        if connected:
            report.results.append(_log_feed_check(client, inputs, moment))
            report.results.append(_org_check(client, inputs, moment, report))
        else:
            reason = "Skipped: the workspace could not be read with this key (see above)."
            report.results.append(_check("log_feed", CheckStatus.SKIP, reason, required=False))
            report.results.append(_org_comparison_only(inputs, report, reason))
    report.results.append(_delete_permission_check())
    return report


# --- input formats ----------------------------------------------------------------------------------------

_TITLES = {
    "base_url": "API address",
    "workspace_id_format": "Workspace ID format",
    "chatgpt_org_id_format": "Organization ID (ChatGPT) format",
    "platform_org_id_format": "Organization ID (Platform) format",
    "api_key_format": "Generated Key format",
    "network": "Network and TLS reachability",
    "key_accepted": "Key accepted",
    "compliance_access": "Compliance access granted",
    "workspace_found": "Workspace found",
    "log_feed": "Log feed reachable",
    "org_ids_consistent": "Organization IDs consistent",
    "delete_permission": "Delete permission",
}


def _check(
    check_id: str, status: CheckStatus, explanation: str, fix: str | None = None, *, required: bool = True
) -> CheckResult:
    return CheckResult(check_id, _TITLES[check_id], status, explanation, fix, required)


def _input_checks(inputs: _Inputs) -> list[CheckResult]:
    return [
        _base_url_check(inputs.base_url),
        _workspace_id_check(inputs.workspace_id),
        _org_id_check("chatgpt_org_id_format", inputs.chatgpt_org_id, "ChatGPT admin console"),
        _org_id_check("platform_org_id_format", inputs.platform_org_id, "OpenAI Platform settings"),
        _api_key_check(inputs.api_key),
    ]


def _base_url_check(base_url: str) -> CheckResult:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _check(
            "base_url",
            CheckStatus.FAIL,
            "The API address is not an http(s) URL.",
            "Use https://api.chatgpt.com/v1 (the default).",
        )
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        return _check(
            "base_url",
            CheckStatus.WARN,
            f"The API address {parts.hostname} is plain http: the key would travel unencrypted.",
            "Use https://api.chatgpt.com/v1.",
        )
    if parts.hostname == "api.openai.com":
        return _check(
            "base_url",
            CheckStatus.FAIL,
            "api.openai.com does not serve the Compliance API (it answers 404).",
            "Use https://api.chatgpt.com/v1.",
        )
    return _check("base_url", CheckStatus.PASS, f"Requests go to {parts.scheme}://{parts.netloc}.")


def _workspace_id_check(workspace_id: str) -> CheckResult:
    try:
        uuid.UUID(workspace_id)
    except ValueError:
        return _check(
            "workspace_id_format",
            CheckStatus.FAIL,
            "The Workspace ID is not a UUID (like 1f0e2d3c-…).",
            "Copy the Workspace ID from the ChatGPT admin console (Settings → Workspace).",
        )
    return _check("workspace_id_format", CheckStatus.PASS, "The Workspace ID is a UUID.")


def _org_id_check(check_id: str, value: str, where: str) -> CheckResult:
    if not _ORG_ID.match(value):
        return _check(
            check_id,
            CheckStatus.FAIL,
            "An organization ID starts with 'org-' followed by letters and digits.",
            f"Copy the organization ID from the {where}.",
        )
    return _check(check_id, CheckStatus.PASS, "The organization ID has the expected org-… format.")


def _api_key_check(api_key: str) -> CheckResult:
    if not api_key:
        return _check("api_key_format", CheckStatus.FAIL, "No key was entered.", "Paste the generated key.")
    if any(char.isspace() for char in api_key) or not api_key.isascii() or not api_key.isprintable():
        return _check(
            "api_key_format",
            CheckStatus.FAIL,
            "The key contains spaces, line breaks or characters a key never has (a copy-paste problem).",
            "Copy the key again, without surrounding text.",
        )
    shown = mask_key(api_key)
    if len(api_key) < 20:
        return _check(
            "api_key_format",
            CheckStatus.FAIL,
            f"The key {shown} is too short to be an OpenAI key.",
            "Paste the whole key.",
        )
    if not api_key.startswith(KNOWN_KEY_PREFIXES):
        return _check(
            "api_key_format",
            CheckStatus.WARN,
            f"The key ending in …{api_key[-4:]} does not start with sk-proj-, sk-admin- or sk-comp-; "
            "it will be tried anyway.",
            "Make sure this is the key OpenAI enabled for the Compliance API.",
        )
    return _check("api_key_format", CheckStatus.PASS, f"The key {shown} has a known format.")


def _skipped_live_checks(reason: str) -> list[CheckResult]:
    skipped = [
        _check(check_id, CheckStatus.SKIP, reason, required=required)
        for check_id, required in (
            ("network", True),
            ("key_accepted", True),
            ("compliance_access", True),
            ("workspace_found", True),
            ("log_feed", False),
            ("org_ids_consistent", False),
        )
    ]
    return skipped


# --- live checks ------------------------------------------------------------------------------------------


def _access_checks(client: ComplianceClient, inputs: _Inputs, report: CheckReport) -> bool:
    """Network, key, access and workspace from one ``users?limit=1`` call; True when the workspace
    answered."""
    host = urlsplit(inputs.base_url).netloc
    try:
        client.list_users(limit=1)
    except NetworkError as error:
        report.results.append(
            _check("network", CheckStatus.FAIL, _network_explanation(error, host), error.admin_action)
        )
        reason = "Skipped: the API could not be reached."
        report.results.extend(
            _check(check_id, CheckStatus.SKIP, reason)
            for check_id in ("key_accepted", "compliance_access", "workspace_found")
        )
        return False
    except KeyRejected as error:
        report.results.extend(
            [
                _reached(host),
                _check(
                    "key_accepted",
                    CheckStatus.FAIL,
                    f"The API rejected the key ending in …{inputs.key_last4} (401): it is wrong or revoked.",
                    error.admin_action,
                ),
                _check("compliance_access", CheckStatus.SKIP, "Skipped: the key was rejected."),
                _check("workspace_found", CheckStatus.SKIP, "Skipped: the key was rejected."),
            ]
        )
        return False
    except AccessDenied:
        report.support_email = _support_email(inputs, org_mismatch=_orgs_differ(inputs))
        report.results.extend(
            [
                _reached(host),
                _check("key_accepted", CheckStatus.PASS, "The API accepted the key."),
                _check(
                    "compliance_access",
                    CheckStatus.FAIL,
                    "The key is valid but the Compliance API is not enabled for it on this workspace (403).",
                    "Send the support email below to OpenAI: they enable the Compliance API with read and "
                    "delete permissions for this key.",
                ),
                _check(
                    "workspace_found",
                    CheckStatus.SKIP,
                    "Skipped: the workspace cannot be checked until access is granted.",
                ),
            ]
        )
        return False
    except WorkspaceNotFound as error:
        reason = "Could not be checked: the workspace was not found first."
        report.results.extend(
            [
                _reached(host),
                _check("key_accepted", CheckStatus.SKIP, reason),
                _check("compliance_access", CheckStatus.SKIP, reason),
                _check(
                    "workspace_found",
                    CheckStatus.FAIL,
                    f"The API does not know workspace {inputs.workspace_id} (404).",
                    error.admin_action,
                ),
            ]
        )
        return False
    except ComplianceError as error:
        reason = (
            f"Could not be checked: the API answered {error.status or 'unreadably'} ({type(error).__name__})."
        )
        fix = "Try again in a few minutes; if it persists, check the API address and OpenAI's status page."
        report.results.append(_reached(host))
        report.results.extend(
            _check(check_id, CheckStatus.SKIP, reason, fix)
            for check_id in ("key_accepted", "compliance_access", "workspace_found")
        )
        return False
    report.results.extend(
        [
            _reached(host),
            _check("key_accepted", CheckStatus.PASS, "The API accepted the key."),
            _check(
                "compliance_access", CheckStatus.PASS, "The key can read the Compliance API (users list)."
            ),
            _check("workspace_found", CheckStatus.PASS, f"Workspace {inputs.workspace_id} answered."),
        ]
    )
    return True


def _reached(host: str) -> CheckResult:
    return _check("network", CheckStatus.PASS, f"{host} answered over the network.")


def _network_explanation(error: NetworkError, host: str) -> str:
    return {
        "dns": f"The name {host} could not be resolved (DNS).",
        "connect": f"No connection to {host}: refused or blocked (network, not an API error).",
        "tls": f"The TLS handshake with {host} failed (certificate or proxy problem, not an API error).",
        "timeout": f"{host} did not answer in time (network, not an API error).",
        "reset": f"The connection to {host} broke (network, not an API error).",
    }.get(error.kind, f"{host} could not be reached.")


def _log_feed_check(client: ComplianceClient, inputs: _Inputs, moment: datetime) -> CheckResult:
    fallback = "aiwatch then reads conversations from the /conversations endpoint instead (no model names)."
    fix = (
        "Ask OpenAI support to enable the Compliance Logs Platform for this key if you want the log feed "
        "(audit, login and message events)."
    )
    try:
        page = client.list_log_files(inputs.workspace_id, "AUTH_LOG", moment - timedelta(days=1), limit=1)
    except (AccessDenied, NotFound, EndpointUnsupported) as error:
        return _check(
            "log_feed",
            CheckStatus.WARN,
            f"The log feed did not answer for this key ({error.status}). {fallback}",
            fix,
            required=False,
        )
    except InvalidRequest as error:
        detail = error.api_message or "no message"
        return _check(
            "log_feed",
            CheckStatus.WARN,
            f"The log feed refused the probe (422: {detail}). {fallback}",
            fix,
            required=False,
        )
    except ComplianceError as error:
        return _check(
            "log_feed",
            CheckStatus.WARN,
            f"Could not confirm the log feed ({type(error).__name__}, status {error.status}).",
            "Test again later.",
            required=False,
        )
    return _check(
        "log_feed",
        CheckStatus.PASS,
        f"The log feed answered ({len(page.data)} AUTH_LOG file(s) in the last day on the first page).",
        required=False,
    )


def _orgs_differ(inputs: _Inputs) -> bool:
    return inputs.chatgpt_org_id != inputs.platform_org_id


def _org_check(
    client: ComplianceClient, inputs: _Inputs, moment: datetime, report: CheckReport
) -> CheckResult:
    org_ids = list(dict.fromkeys([inputs.chatgpt_org_id, inputs.platform_org_id]))
    confirmed = [org_id for org_id in org_ids if _org_known_to_key(client, org_id, moment)]
    if _orgs_differ(inputs):
        return _org_mismatch(inputs, report, confirmed)
    if confirmed:
        return _check(
            "org_ids_consistent",
            CheckStatus.PASS,
            f"Both organization IDs are {inputs.chatgpt_org_id}, and the API confirmed the key knows it.",
            required=False,
        )
    return _check(
        "org_ids_consistent",
        CheckStatus.WARN,
        "Both organization IDs are the same, but the API did not confirm this organization for the key "
        "(this check relies on undocumented behaviour).",
        "Nothing to do if the other checks pass; otherwise double-check the organization ID.",
        required=False,
    )


def _org_comparison_only(inputs: _Inputs, report: CheckReport, reason: str) -> CheckResult:
    if _orgs_differ(inputs):
        return _org_mismatch(inputs, report, [])
    return _check("org_ids_consistent", CheckStatus.SKIP, reason, required=False)


def _org_mismatch(inputs: _Inputs, report: CheckReport, confirmed: list[str]) -> CheckResult:
    report.support_email = _support_email(inputs, org_mismatch=True)
    known = f" The API confirmed the key knows {', '.join(confirmed)}." if confirmed else ""
    return _check(
        "org_ids_consistent",
        CheckStatus.WARN,
        f"The ChatGPT organization ({inputs.chatgpt_org_id}) and the Platform organization "
        f"({inputs.platform_org_id}) differ: the documented cause of failed setups.{known}",
        "Check both IDs; if they are right, send the support email below so OpenAI links the key's Platform "
        "organization to the ChatGPT workspace.",
        required=False,
    )


def _org_known_to_key(client: ComplianceClient, org_id: str, moment: datetime) -> bool:
    """The API answers 422 naming the workspace path when a workspace event type is asked of a known org."""
    try:
        client.list_log_files(org_id, "AUTH_LOG", moment - timedelta(days=1), limit=1)
    except InvalidRequest as error:
        detail = (error.api_message or error.body or "").lower()
        return "workspace" in detail
    except ComplianceError:
        return False
    return False


def _delete_permission_check() -> CheckResult:
    return _check(
        "delete_permission",
        CheckStatus.SKIP,
        "Delete permission cannot be probed without deleting something; it is confirmed on first use "
        "(a 403 on a delete means the delete scope is missing).",
        "Make sure OpenAI's confirmation email mentions both read and delete permissions.",
        required=False,
    )


def _support_email(inputs: _Inputs, *, org_mismatch: bool) -> str:
    """The text the admin sends to OpenAI support; names the key by name and last 4 characters only."""
    key_name = inputs.key_name or "(unnamed key)"
    lines = [
        f"To: {SUPPORT_ADDRESS}",
        "Subject: Enable the ChatGPT Enterprise Compliance API (read and delete) for our API key",
        "",
        "Hello OpenAI support,",
        "",
        "Please enable the Compliance API with read and delete permissions for this API key on our "
        "ChatGPT Enterprise workspace:",
        "",
        f"- Key name: {key_name}",
        f"- Key ending in: …{inputs.key_last4}",
        f"- Workspace ID: {inputs.workspace_id}",
        f"- Organization ID (ChatGPT): {inputs.chatgpt_org_id}",
        f"- Organization ID (Platform): {inputs.platform_org_id}",
    ]
    if org_mismatch:
        lines += [
            "",
            "The key was created in the Platform organization above, which differs from the organization "
            "of our ChatGPT workspace. Please make sure the key is authorised for this workspace.",
        ]
    lines += ["", "Thank you,", inputs.created_by or ""]
    return "\n".join(lines).rstrip() + "\n"
