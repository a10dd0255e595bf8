"""Credential rules: provider formats, generic assignments, passwords, keys, and the look-alikes that must
stay quiet (UUIDs, git SHAs, lockfile hashes, base64 images, placeholders)."""

from __future__ import annotations

import base64
import json
import string

import pytest
from detection_helpers import fake_token, rule_ids, rules_at

LOWER_DIGITS = string.ascii_lowercase + string.digits
TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" + "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
TINY_PNG_TAG = f'<img src="data:image/png;base64,{TINY_PNG}">'
HEX = "0123456789abcdef"


PROVIDER_CASES = [
    ("secret.aws_access_key_id", "AKIA" + fake_token(16, string.ascii_uppercase + "234567")),
    ("secret.github_token", "ghp_" + fake_token(36)),
    ("secret.github_token", "github_pat_" + fake_token(82, string.ascii_letters + string.digits + "_")),
    ("secret.gitlab_token", "glpat-" + fake_token(20)),
    ("secret.slack_token", "xoxb-" + fake_token(10, string.digits) + "-" + fake_token(24)),
    ("secret.stripe_key", "sk_live_" + fake_token(24)),
    ("secret.openai_key", "sk-proj-" + fake_token(20) + "T3BlbkFJ" + fake_token(20)),
    ("secret.anthropic_key", "sk-ant-api03-" + fake_token(93, string.ascii_letters + string.digits + "-_")),
    ("secret.google_api_key", "AIza" + fake_token(35)),
    ("secret.sendgrid_key", "SG." + fake_token(22) + "." + fake_token(43)),
    ("secret.npm_token", "npm_" + fake_token(36)),
    ("secret.pypi_token", "pypi-AgEIcHlwaS5vcmc" + fake_token(60)),
    ("secret.huggingface_token", "hf_" + fake_token(34, string.ascii_letters)),
    ("secret.digitalocean_token", "dop_v1_" + fake_token(64, HEX)),
    ("secret.databricks_token", "dapi" + fake_token(32, HEX)),
    ("secret.shopify_token", "shpat_" + fake_token(32, HEX)),
    ("secret.telegram_bot_token", "730158462:AA" + fake_token(33)),
    ("secret.age_key", "AGE-SECRET-KEY-1" + fake_token(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")),
    ("secret.grafana_token", "glsa_" + fake_token(32) + "_" + fake_token(8, HEX)),
    ("secret.postman_key", "PMAK-" + fake_token(24, HEX) + "-" + fake_token(34, HEX)),
    ("secret.doppler_token", "dp.pt." + fake_token(43, LOWER_DIGITS)),
    ("secret.linear_key", "lin_api_" + fake_token(40)),
    ("secret.posthog_key", "phx_" + fake_token(47)),
]


@pytest.mark.parametrize(("rule", "token"), PROVIDER_CASES, ids=[c[0] for c in PROVIDER_CASES])
def test_provider_token_found_and_masked(engine, rule, token):
    text = f"here is the token: {token} — keep it safe"
    found = [d for d in engine.scan(text) if d.rule == rule]
    assert [text[d.start : d.end] for d in found] == [token]
    assert found[0].evidence != token and token not in found[0].evidence
    assert "…" in found[0].evidence
    assert found[0].value_hash and len(found[0].value_hash) == 32


def test_provider_rules_cover_gitleaks_breadth(engine):
    secret_rules = [rule for rule in engine.catalog if rule.id.startswith("secret.")]
    assert len(secret_rules) >= 100


def test_aws_example_key_is_a_test_value(engine, high_engine):
    text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"
    assert "secret.aws_access_key_id" not in rule_ids(engine.scan(text))
    (found,) = [d for d in high_engine.scan(text) if d.rule == "secret.aws_access_key_id"]
    assert found.test_value and found.score <= 0.35


def test_aws_credentials_file(engine):
    secret = fake_token(40, string.ascii_letters + string.digits + "/+")
    text = f"[default]\naws_access_key_id = AKIA{fake_token(16, string.ascii_uppercase + '234567')}\n"
    text += f"aws_secret_access_key = {secret}\n"
    found = rules_at(engine.scan(text), text)
    assert ("secret.aws_secret_access_key", secret) in found
    assert any(rule == "secret.aws_access_key_id" for rule, _ in found)


def test_private_key_block(engine):
    body = "\n".join(fake_token(64, string.ascii_letters + string.digits + "+/", seed=i) for i in range(6))
    key = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----"
    text = f"my key:\n{key}\nthanks"
    (found,) = [d for d in engine.scan(text) if d.rule == "secret.private_key"]
    assert text[found.start : found.end] == key
    assert body[:20] not in found.evidence


def test_private_key_placeholder_is_not_a_secret(engine):
    text = "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"
    assert "secret.private_key" not in rule_ids(engine.scan(text))


def _jwt(header: dict) -> str:
    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{enc(header)}.{enc({'sub': '1234567890', 'name': 'Jane'})}.{fake_token(43)}"


def test_jwt_with_alg_header(engine):
    token = _jwt({"alg": "HS256", "typ": "JWT"})
    text = f"Authorization: Bearer {token}"
    found = rules_at(engine.scan(text), text)
    assert ("secret.jwt", token) in found


def test_jwt_without_alg_is_not_a_jwt(engine):
    token = _jwt({"typ": "JWT"})
    assert "secret.jwt" not in rule_ids(engine.scan(f"value {token}"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("DB_PASSWORD=Xk29!vQz8#", "Xk29!vQz8#"),
        ('{"password": "correct horse battery staple"}', "correct horse battery staple"),
        ("my password is Tr0ub4dor&3 so use it", "Tr0ub4dor&3"),
        ("pwd: s3cr3tPa55", "s3cr3tPa55"),
        ("mysql -u root --password Sne3sd8AZjq", "Sne3sd8AZjq"),
        ('curl -u "admin:dG9rZW4g" https://10.0.0.1', "dG9rZW4g"),
        ("<password>peace_for_ukraine</password>", "peace_for_ukraine"),
    ],
)
def test_passwords(engine, text, value):
    assert ("secret.password", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "password = os.environ['DB_PASSWORD']",
        'password: "${DB_PASSWORD}"',
        "password=<your-password>",
        "password: xxxxxxxx",
        "password: ********",
        "reset your password is required",
        "the password field is mandatory",
        'curl -u "$USER:$PASSWORD" https://127.0.0.1',
    ],
)
def test_password_placeholders_and_prose(engine, text):
    assert "secret.password" not in rule_ids(engine.scan(text))


@pytest.mark.parametrize("text", ["password = changeme", "password: password123"])
def test_known_weak_passwords_are_test_values(engine, high_engine, text):
    assert "secret.password" not in rule_ids(engine.scan(text))
    found = [d for d in high_engine.scan(text) if d.rule == "secret.password"]
    assert found and all(d.test_value for d in found)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("postgres://app:S3cretPw9@db.internal:5432/prod", "S3cretPw9"),
        ("mongodb+srv://admin:Zx81kLmq@cluster0.ab1cd.mongodb.net/test", "Zx81kLmq"),
        ("jdbc:sqlserver://db:1433;databaseName=x;user=sa;password=Pa55w0rd!x", "Pa55w0rd!x"),
        ("Server=tcp:srv.database.windows.net;Database=db;User ID=u;Password=Hq7#kLm2;", "Hq7#kLm2"),
    ],
)
def test_connection_strings(engine, text, value):
    found = rules_at(engine.scan(text), text)
    assert ("secret.connection_string", value) in found
    assert ("secret.password", value) not in found  # the specific rule wins


def test_connection_string_without_password(engine):
    assert "secret.connection_string" not in rule_ids(engine.scan("postgres://db.internal:5432/prod"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('api_key = "' + "q8Zr2Lx9Vb4Nw7Kt5Jm3" + '"', "q8Zr2Lx9Vb4Nw7Kt5Jm3"),
        ('{"client_secret": "' + "aZ3kP9qL2mX8vB4nR7tY6wE1" + '"}', "aZ3kP9qL2mX8vB4nR7tY6wE1"),
        ("MY_SERVICE_TOKEN=f81Kq0ZbX2mN7pL4vR9sT3wY", "f81Kq0ZbX2mN7pL4vR9sT3wY"),
    ],
)
def test_generic_api_keys(engine, text, value):
    assert ("secret.generic_api_key", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "request_id = 123e4567-e89b-12d3-a456-426614174000",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        'integrity: "sha512-' + "A" * 10 + 'Qd3kLmN0pQ=="',
        '"resolved": "https://registry.npmjs.org/x/-/x-1.0.0.tgz", '
        '"integrity": "sha1-9fceb02d0ae598e95dc970b74767f19372d61af8"',
        "sha256 checksum = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        TINY_PNG_TAG,
        "api_key = YOUR_API_KEY_HERE",
        "token: <insert-token-here>",
        "api_key = process.env.API_KEY",
        "secret_key = settings.SECRET_KEY",
        "tokens = 4096",
    ],
)
def test_generic_negatives(engine, text):
    assert not {r for r in rule_ids(engine.scan(text)) if r.startswith("secret.")}


def test_gcp_service_account_file(engine):
    key_id = fake_token(40, HEX)
    text = json.dumps(
        {
            "type": "service_account",
            "project_id": "proj",
            "private_key_id": key_id,
            "private_key": "-----BEGIN PRIVATE KEY-----\n"
            + "\n".join(fake_token(64, string.ascii_letters + string.digits + "+/", seed=i) for i in range(5))
            + "\n-----END PRIVATE KEY-----\n",
            "client_email": "svc@proj.iam.gserviceaccount.com",
        },
        indent=2,
    )
    found = rule_ids(engine.scan(text))
    assert {"secret.gcp_service_account", "secret.private_key"} <= found


def test_slack_webhook(engine):
    url = "https://hooks.slack.com/services/T04HQ7ZKP/B06LM3RT9/" + fake_token(24)
    assert "secret.slack_webhook" in rule_ids(engine.scan(f"post to {url}"))


def test_specific_rule_suppresses_generic(engine):
    token = "ghp_" + fake_token(36)
    found = rule_ids(engine.scan(f"GITHUB_TOKEN={token}"))
    assert "secret.github_token" in found
    assert "secret.generic_api_key" not in found
