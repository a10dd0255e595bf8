"""Financial, health, code, configuration and confidentiality rules."""

from __future__ import annotations

import pytest
from detection_helpers import rule_ids, rules_at


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("card 4539 6476 8858 6080 exp 10/27", "4539 6476 8858 6080"),
        ("visa: 4539647688586080", "4539647688586080"),
        ("amex 3714-496353-98423 charge", "3714-496353-98423"),
        ("mastercard 5425233430109903", "5425233430109903"),
    ],
)
def test_credit_cards(engine, text, value):
    assert ("financial.credit_card", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "order number 4539647688586080",  # Luhn-valid but an order number by context
        "tracking 1234567812345670",  # Luhn-valid, no issuer
        "card 4539 6476 8858 6081",  # Luhn fails
        "0000 0000 0000 0000",
        "timestamp 1700000000000000",
    ],
)
def test_credit_card_look_alikes(engine, text):
    assert "financial.credit_card" not in rule_ids(engine.scan(text))


def test_test_card_is_reported_only_at_high(engine, high_engine):
    text = "use card 4111 1111 1111 1111 for testing"
    assert "financial.credit_card" not in rule_ids(engine.scan(text))
    (found,) = [d for d in high_engine.scan(text) if d.rule == "financial.credit_card"]
    assert found.test_value and found.evidence == "4111 **** **** 1111"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("IBAN GB82 WEST 1234 5698 7654 32 (test)", None),
        ("pay to DE44500105175407324931", "DE44500105175407324931"),
        ("iban fr1420041010050500013m02606", "fr1420041010050500013m02606"),
    ],
)
def test_iban(engine, high_engine, text, value):
    if value is None:  # the textbook example is a test value
        assert any(d.test_value for d in high_engine.scan(text) if d.rule == "financial.iban")
        return
    assert ("financial.iban", value) in rules_at(engine.scan(text), text)


def test_iban_bad_checksum(engine):
    assert "financial.iban" not in rule_ids(engine.scan("DE44500105175407324932"))


def test_bank_account_and_routing(engine):
    text = "routing number 021000021, account number 123456789012"
    found = rules_at(engine.scan(text), text)
    assert ("financial.bank_account", "021000021") in found
    assert ("financial.bank_account", "123456789012") in found
    assert "financial.bank_account" not in rule_ids(engine.scan("routing number 021000022"))


def test_swift_needs_context(engine):
    assert ("financial.swift_bic", "DEUTDEFF") in rules_at(engine.scan("SWIFT: DEUTDEFF"), "SWIFT: DEUTDEFF")
    assert "financial.swift_bic" not in rule_ids(engine.scan("ABSOLUTE MADNESS is a DEUTDEFF thing"))


def test_health_rules(engine):
    text = (
        "Patient MRN: 00123456. John was diagnosed with type 2 diabetes. ICD-10: E11.9. "
        "Medicare number 1EG4TE5MK73"
    )
    found = rules_at(engine.scan(text), text)
    assert ("health.medical_record_number", "00123456") in found
    assert ("health.diagnosis", "E11.9") in found
    assert any(rule == "health.diagnosis" and value.startswith("type 2 diabetes") for rule, value in found)
    assert ("health.insurance_id", "1EG4TE5MK73") in found


def test_health_negatives(engine):
    text = "The E11 bus leaves at 9. The diagnosis feature ships next week."
    assert not {r for r in rule_ids(engine.scan(text)) if r.startswith("health.")}


CODE = """Can you fix this?
```python
def total(items):
    result = 0
    for item in items:
        result += item.price
    return result
```
"""


def test_fenced_code(engine):
    (found,) = [d for d in engine.scan(CODE) if d.rule == "code.source"]
    assert CODE[found.start : found.end].startswith("def total")
    assert found.details["kind"] == "python"


def test_unfenced_code(engine):
    text = 'int main() {\n  int x = 1;\n  printf("%d", x);\n  return 0;\n}\n'
    assert "code.source" in rule_ids(engine.scan(text))


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the update. I will review the plan tomorrow and get back to you; it looks good.",
        "Dear team,\nplease find the agenda below.\nBest,\nAnna",
        "```\nJust some quoted prose in a fence, nothing else here at all.\n```",
    ],
)
def test_prose_is_not_code(engine, text):
    assert "code.source" not in rule_ids(engine.scan(text))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("DATABASE_URL=postgres://localhost/app\nDEBUG=true\nLOG_LEVEL=info\nPORT=8080\n", "env"),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
            "kubernetes",
        ),
        (
            'FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r req.txt\nCMD ["python"]\n',
            "dockerfile",
        ),
        ('resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n', "terraform"),
    ],
)
def test_config(engine, text, kind):
    found = [d for d in engine.scan(text) if d.rule == "code.config"]
    assert kind in {d.details["kind"] for d in found}


def test_email_headers_are_not_config(engine):
    text = "From: Anna\nTo: Bob\nSubject: lunch\nDate: Monday\n\nSee you at noon."
    assert "code.config" not in rule_ids(engine.scan(text))


@pytest.mark.parametrize(
    "text",
    [
        "CONFIDENTIAL - INTERNAL USE ONLY. Q3 board deck draft.",
        "This memo is attorney-client privileged.",
        "Classification: Restricted\nProject plan",
        "Please do not distribute this document outside the team.",
    ],
)
def test_confidential_markers(engine, text):
    assert "confidential.marker" in rule_ids(engine.scan(text))


@pytest.mark.parametrize(
    "text",
    [
        "Don't worry, I'll keep this confidential.",
        "Your answers are confidential and anonymous.",
        "Hello world",
    ],
)
def test_confidential_chitchat_at_balanced(engine, text):
    assert "confidential.marker" not in rule_ids(engine.scan(text))
