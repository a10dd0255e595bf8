"""PII rules: positives, look-alikes and negatives, with the exact spans reported."""

from __future__ import annotations

import pytest
from detection_helpers import rule_ids, rules_at


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("write to jane.doe+news@acme-corp.co.uk today", "jane.doe+news@acme-corp.co.uk"),
        ("Contact: MaureenThibault@rhyta.com.", "MaureenThibault@rhyta.com"),
    ],
)
def test_email_found(engine, text, value):
    assert ("pii.email", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize(
    "text", ["icon@2x.png is retina", "git@github.com:org/repo is not", "a@b", "x@@y.com"]
)
def test_email_look_alikes_ignored_or_not_mail(engine, text):
    found = [d for d in engine.scan(text) if d.rule == "pii.email"]
    assert all(text[d.start : d.end] != "icon@2x.png" for d in found)
    if text in ("a@b", "x@@y.com"):
        assert not found


def test_email_example_domain_is_a_test_value(engine, high_engine):
    text = "mail user@example.com please"
    assert "pii.email" not in rule_ids(engine.scan(text))
    (found,) = [d for d in high_engine.scan(text) if d.rule == "pii.email"]
    assert found.test_value and found.evidence == "u***@example.com"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("call me on (415) 555-2671 tonight", "(415) 555-2671"),
        ("Phone: +44 20 7946 0958", "+44 20 7946 0958"),
        ("office 828-635-2307x09667", "828-635-2307x09667"),
        ("fax 001-204-821-0538", "001-204-821-0538"),
        ("Phone: 28-81-33-70", "28-81-33-70"),
    ],
)
def test_phone_found(engine, text, value):
    assert ("pii.phone", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "When: 2002-11-22 18:02:08",
        "order number 12345 678",
        "pi is 3.14159 26535",
        "the years 1999 2000 2001",
        "ISBN 978-3-16-148410-0",
    ],
)
def test_phone_negatives(engine, text):
    assert "pii.phone" not in rule_ids(engine.scan(text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("SSN: 536-32-3065", "536-32-3065"),
        ("her social security number is 378 07 9520", "378 07 9520"),
        ("ssn 536323065", "536323065"),
    ],
)
def test_ssn_found(engine, text, value):
    assert ("pii.ssn", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize(
    "text",
    [
        "SSN: 000-12-3456",  # area 000
        "SSN: 666-12-3456",  # area 666
        "SSN: 912-12-3456",  # 9xx area (ITIN range)
        "SSN: 123-00-4567",  # group 00
        "SSN: 123-45-0000",  # serial 0000
        "SSN: 123-45 6789",  # mixed separators
        "ref 536323065",  # bare nine digits without context
    ],
)
def test_ssn_invalid_or_without_context(engine, text):
    assert "pii.ssn" not in rule_ids(engine.scan(text))


def test_ssn_known_fake_is_test_value(high_engine):
    (found,) = [d for d in high_engine.scan("SSN 078-05-1120") if d.rule == "pii.ssn"]
    assert found.test_value and found.score <= 0.35


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("NINO: AB 12 34 56 C", "AB 12 34 56 C", "uk_nino"),
        ("DNI 12345678Z", "12345678Z", "es_dni"),
        ("codice fiscale RSSMRA85T10A562S", "RSSMRA85T10A562S", "it_codice_fiscale"),
        ("CPF 111.444.777-35", "111.444.777-35", "br_cpf"),
        ("SIN: 130 692 544", "130 692 544", "ca_sin"),
        ("BSN 111222333", "111222333", "nl_bsn"),
    ],
)
def test_national_ids_validated(high_engine, text, value, kind):
    found = [d for d in high_engine.scan(text) if d.rule == "pii.national_id"]
    assert [(text[d.start : d.end], d.details.get("kind")) for d in found] == [(value, kind)]


@pytest.mark.parametrize("text", ["DNI 12345678A", "SIN: 130 692 545", "CPF 111.444.777-36", "BSN 111222334"])
def test_national_ids_bad_checksum(high_engine, text):
    assert "pii.national_id" not in rule_ids(high_engine.scan(text))


def test_passport_and_licence_need_their_words(engine):
    text = "passport no. C03005988 and driver's license: A1234567 but order C03005988"
    found = rules_at(engine.scan(text), text)
    assert ("pii.passport", "C03005988") in found
    assert ("pii.drivers_license", "A1234567") in found
    assert sum(1 for rule, _ in found if rule == "pii.passport") == 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("DOB: 11/10/1936", "11/10/1936"),
        ("she was born on March 3, 1985 in Ohio", "March 3, 1985"),
        ("date of birth 1990-02-28", "1990-02-28"),
    ],
)
def test_date_of_birth_in_context(engine, text, value):
    assert ("pii.date_of_birth", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize("text", ["meeting on 11/10/2020", "DOB: 31/31/1999", "born in 1985"])
def test_dates_without_birth_context_or_invalid(engine, text):
    assert "pii.date_of_birth" not in rule_ids(engine.scan(text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("login from 86.231.85.193 failed", "86.231.85.193"),
        ("host 4f8a:c99e:dc86:faf9:5988:5f63:375e:8a2a up", "4f8a:c99e:dc86:faf9:5988:5f63:375e:8a2a"),
        ("ssh to fe80::1ff:fe23:4567:890a now", "fe80::1ff:fe23:4567:890a"),
    ],
)
def test_ip_found(engine, text, value):
    assert ("pii.ip_address", value) in rules_at(engine.scan(text), text)


@pytest.mark.parametrize(
    "text",
    ["upgrade to version 1.2.3.4", "v10.0.0.1 released", "999.1.1.1", "at 12:30:45 today", "OID 01.2.3.4"],
)
def test_ip_look_alikes(engine, text):
    assert "pii.ip_address" not in rule_ids(engine.scan(text))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Ship it to 1600 Pennsylvania Avenue NW, Washington, DC 20500 please", "1600 Pennsylvania Avenue"),
        ("my address is 29 Hornsey Road\n Apt. 441\n London", "29 Hornsey Road"),
        ("Andrea lives at 18 Třebčínská 860, Horka nad Moravou", "Třebčínská 860"),
        ("Rücksendung an Hauptstraße 5, 10115 Berlin", "Hauptstraße 5"),
        ("My zip code is 98547", "98547"),
        ("send to P.O. Box 101, Springfield", "P.O. Box 101"),
        ("USNV Evseyev\nFPO AE 51332", "FPO AE 51332"),
    ],
)
def test_address_found(engine, text, fragment):
    spans = [(d.start, d.end) for d in engine.scan(text) if d.rule == "pii.address"]
    start = text.index(fragment)
    assert any(s <= start and start + len(fragment) <= e for s, e in spans), spans


def test_address_block_is_one_detection(engine):
    text = "Office:\n95 Avenue des Tuileries Lovrić Street\n Apt. 831\n GUÉRET\n Sudan 30046\nThanks"
    found = [d for d in engine.scan(text) if d.rule == "pii.address"]
    assert len(found) == 1
    assert text[found[0].start : found[0].end].endswith("Sudan 30046")


@pytest.mark.parametrize(
    "text", ["Windows 10 is installed", "Chapter 12 covers it", "I ran 5 miles on the road"]
)
def test_address_negatives(engine, text):
    assert "pii.address" not in rule_ids(engine.scan(text))


def test_bulk_pii_customer_list(engine):
    rows = [f"{i},User{i},user{i}@corp-mail.com,(415) 555-{2600 + i:04d}" for i in range(12)]
    text = "id,name,email,phone\n" + "\n".join(rows)
    (bulk,) = [d for d in engine.scan(text) if d.rule == "pii.bulk"]
    assert bulk.details["identifiers"] >= 12
    assert "pii.email" in bulk.details["kinds"]


def test_bulk_not_for_one_person(engine):
    text = "Jane: jane@corp-mail.com, (415) 555-2671, SSN 536-32-3065"
    assert "pii.bulk" not in rule_ids(engine.scan(text))


def test_person_name_is_disabled_by_default(engine):
    assert "pii.person_name" not in engine.rules
