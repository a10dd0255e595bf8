"""Checks that turn a pattern candidate into a detection: checksums, issuer ranges, entropy, placeholders.

A validator takes the candidate value (and the whole match, for validators that look at the key name) and
returns a ``Verdict`` (accept, with a score adjustment and a test-value flag) or ``None`` (reject). Names are
referenced from the catalog YAML; ``stdnum:<module>`` runs any python-stdnum ``is_valid``.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import ipaddress
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers


@dataclass(frozen=True, slots=True)
class Verdict:
    score_delta: float = 0.0
    test_value: bool = False
    details: dict[str, Any] = field(default_factory=dict)


ACCEPT = Verdict()
TEST = Verdict(test_value=True)
Validator = Callable[[str, str], Verdict | None]
_REGISTRY: dict[str, Validator] = {}


def validator(name: str) -> Callable[[Validator], Validator]:
    def register(func: Validator) -> Validator:
        _REGISTRY[name] = func
        return func

    return register


class UnknownValidator(ValueError):
    """A catalog rule names a validator that does not exist."""


@lru_cache(maxsize=256)
def get_validator(name: str) -> Validator:
    """The validator called ``name`` (``stdnum:es.dni`` and ``entropy:3.5`` take an argument)."""
    base, _, arg = name.partition(":")
    if base == "stdnum" and arg:
        return _stdnum_validator(arg)
    if base == "entropy" and arg:
        minimum = float(arg)
        return lambda value, match: ACCEPT if shannon_entropy(value) >= minimum else None
    if base == "min_length" and arg:
        length = int(arg)
        return lambda value, match: ACCEPT if len(value) >= length else None
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownValidator(f"unknown validator {name!r}; known: {sorted(_REGISTRY)}") from None


def known_validators() -> list[str]:
    return sorted(_REGISTRY)


def digits_of(value: str) -> str:
    return "".join(ch for ch in value if "0" <= ch <= "9")


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = ord(char) - 48
        if index % 2:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


# ---------------------------------------------------------------------------------------------- payment cards
# (issuer, prefixes, allowed lengths). Ranges from the card networks' public BIN tables.
_CARD_ISSUERS: list[tuple[str, tuple[tuple[int, int], ...], tuple[int, ...]]] = [
    ("amex", ((34, 34), (37, 37)), (15,)),
    ("visa", ((4, 4),), (13, 16, 19)),
    ("mastercard", ((51, 55), (2221, 2720)), (16,)),
    ("discover", ((6011, 6011), (644, 649), (65, 65), (622126, 622925)), (16, 19)),
    ("jcb", ((3528, 3589),), (16, 17, 18, 19)),
    ("diners", ((300, 305), (36, 36), (38, 39)), (14, 16, 19)),
    ("unionpay", ((62, 62),), (16, 17, 18, 19)),
    (
        "maestro",
        ((5018, 5018), (5020, 5020), (5038, 5038), (5893, 5893), (6304, 6304), (6759, 6759), (6761, 6763)),
        (12, 13, 14, 15, 16, 17, 18, 19),
    ),
    ("mir", ((2200, 2204),), (16, 17, 18, 19)),
    ("rupay", ((60, 60), (65, 65), (81, 82), (508, 508)), (16,)),
]
KNOWN_TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4000056655665556",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "6011000990139424",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
        "4222222222222",
        "4000000000000002",
        "4000000000000077",
        "4000000000009995",
        "5454545454545454",
        "4444333322221111",
        "4917610000000000",
    }
)


def card_issuer(digits: str) -> str | None:
    for issuer, ranges, lengths in _CARD_ISSUERS:
        if len(digits) not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return issuer
    return None


@validator("credit_card")
def _credit_card(value: str, match: str) -> Verdict | None:
    digits = digits_of(value)
    if not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        return None
    if digits in KNOWN_TEST_CARDS:
        return Verdict(test_value=True, details={"issuer": card_issuer(digits) or "test"})
    groups = re.split(r"[ -]", value.strip())
    if len(groups) > 1 and not _card_grouping_ok([len(g) for g in groups]):
        return None
    if len(set(digits)) <= 2:  # 0000 0000 0000 0000, 1111 …: Luhn-valid but not cards
        return None
    issuer = card_issuer(digits)
    if issuer is None:
        return None
    return Verdict(details={"issuer": issuer})


def _card_grouping_ok(lengths: list[int]) -> bool:
    return all(length == 4 for length in lengths[:-1]) or lengths in ([4, 6, 5], [4, 6, 4], [4, 4, 4, 4, 3])


@validator("luhn")
def _luhn(value: str, match: str) -> Verdict | None:
    digits = digits_of(value)
    return ACCEPT if digits and luhn_ok(digits) and len(set(digits)) > 1 else None


# ---------------------------------------------------------------------------------------------------- banking
@validator("iban")
def _iban(value: str, match: str) -> Verdict | None:
    from stdnum import iban

    compact = re.sub(r"[\s-]", "", value).upper()
    if not iban.is_valid(compact):
        return None
    test = compact in {"GB82WEST12345698765432", "DE89370400440532013000", "GB33BUKB20201555555555"}
    return Verdict(test_value=test, details={"country": compact[:2]})


@validator("aba_routing")
def _aba_routing(value: str, match: str) -> Verdict | None:
    digits = digits_of(value)
    if len(digits) != 9 or digits[:2] not in _ABA_PREFIXES:
        return None
    weights = (3, 7, 1) * 3
    return ACCEPT if sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0 else None


_ABA_PREFIXES = {
    f"{n:02d}" for n in [*range(0, 13), *range(21, 33), 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 80]
}


@validator("bank_account")
def _bank_account(value: str, match: str) -> Verdict | None:
    digits = digits_of(value)
    if not 6 <= len(digits) <= 17 or len(set(digits)) <= 2:
        return None
    return ACCEPT


@validator("bic")
def _bic(value: str, match: str) -> Verdict | None:
    from stdnum import bic

    if not bic.is_valid(value) or value[4:6] not in _ISO_COUNTRIES:
        return None
    return ACCEPT


# ISO 3166-1 alpha-2 codes (BIC and IBAN carry one).
_ISO_COUNTRY_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT "
    "BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH "
    "ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT "
    "HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS "
    "LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI "
    "NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG "
    "SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG "
    "UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW "
)
_ISO_COUNTRIES = frozenset(_ISO_COUNTRY_CODES.split())


# ------------------------------------------------------------------------------------------- personal numbers
_KNOWN_FAKE_SSNS = frozenset({"078051120", "219099999", "123456789", "111111111", "457555462"})


@validator("ssn")
def _ssn(value: str, match: str) -> Verdict | None:
    separators = re.findall(r"[^0-9]", value)
    if separators and (len(separators) != 2 or separators[0] != separators[1]):
        return None
    digits = digits_of(value)
    if len(digits) != 9:
        return None
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return None
    if digits in _KNOWN_FAKE_SSNS or len(set(digits)) == 1:
        return TEST
    return ACCEPT


_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


@validator("uk_nino")
def _uk_nino(value: str, match: str) -> Verdict | None:
    compact = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", compact):
        return None
    if compact[:2] in _NINO_BAD_PREFIXES:
        return None
    return TEST if compact[:2] == "QQ" or compact == "AB123456C" else ACCEPT


def _stdnum_validator(module_name: str) -> Validator:
    try:
        module = importlib.import_module(f"stdnum.{module_name}")
    except ImportError:
        raise UnknownValidator(f"python-stdnum has no module {module_name!r}") from None

    def check(value: str, match: str) -> Verdict | None:
        try:
            return ACCEPT if module.is_valid(value) else None
        except Exception:
            return None

    return check


_DATE_LIKE = re.compile(
    r"^\s*(?:(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])|\d{1,2}/\d{1,2}/\d{2,4})"
    r"(?:[ T]\d{1,2}|\s*$)"
)


_DIGIT_RUNS = re.compile(r"\d+")
_CLOCK = re.compile(r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?")
_YEAR = re.compile(r"(?:19|20)\d\d")
_DATE_PART = re.compile(r"(?:19|20)\d\d[-/.]\d\d(?:[-/.]\d\d)?")
_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?|extension)\s*\d")
_INTERNATIONAL_PREFIX = re.compile(r"^(?:00|011)[\s.-]*")


@validator("phone")
def _phone(value: str, match: str) -> Verdict | None:
    # Cheap reject before the cache: dotted runs of short digit groups (IP addresses in logs, versions,
    # decimals) are most candidates and are nearly all distinct, so they would only churn the cache.
    if "." in value and max(map(len, _DIGIT_RUNS.findall(value)), default=0) <= 3:
        return None
    return _phone_verdict(value)


# Hyperscan-side narrowing of the catalog's main phone pattern. In logs, nearly every candidate of it is an IP
# address (or another run of short digit groups joined by dots) or the date of a timestamp ("2026-08" of
# "2026-08-01T09:15"), which `_phone` rejects at once; each costs Hyperscan callbacks, a region to re-check
# and a Python match. Hyperscan may leave out two shapes (no "+"/"00" prefix, area code in parentheses or
# extension in either): 2-3 digit groups joined by "." (rejected: a "." and no run of 4+ digits), and a year
# 19xx/20xx followed by one or two 2-digit groups joined by "." or "-" (rejected: the date part of a
# timestamp). The expression below is the union of the pattern's matches that differ from both shapes in
# some point, so it reports a subset of the pattern's match ends that still holds the end of every value
# `_phone` accepts. Both left-out shapes are closed under taking a prefix, so an accepted match is never a
# prefix of a left-out one (a region cut short there would let Python find the shorter match). Python re
# re-checks the exact catalog pattern as before. Keyed by the exact catalog text: an edited pattern simply
# loses the narrowing. tests/detection/test_detection_candidates.py checks both properties.
_PH_PREFIXES = r"\+\d{1,3}[ .-]?|\b00\d{1,3}[ .-]?"
_PH_ANY = rf"(?:{_PH_PREFIXES}|\b)"  # a prefix or none
_PH_AREA = r"(?:\(\d{1,5}\)[ .-]?)"
_PH_GROUP = r"[ .-]\d{2,8}"
_PH_GROUPS = rf"(?:{_PH_GROUP}){{1,4}}"
_PH_EXT = r"(?:[ \t]?(?:x|ext\.?|extension)[ \t]?\d{1,6})"


def _ph_one_group(special: str) -> str:
    """1-4 groups, one of which is ``special``."""

    def groups(low: int, high: int) -> str:  # Hyperscan rejects {0} and {0,0}
        return "" if high == 0 else f"(?:{_PH_GROUP}){{{low},{high}}}"

    return "(?:" + "|".join(f"{groups(k, k)}{special}{groups(0, 3 - k)}" for k in range(4)) + ")"


_PH_SPACED = _ph_one_group(r"[ ]\d{2,8}")
_PH_LONG_GROUP = _ph_one_group(r"[ .-]\d{4,8}")
_PH_3_DIGIT_GROUP = _ph_one_group(r"[ .-]\d{3,8}")
_PH_UNDOTTED = _ph_one_group(r"[ -]\d{2,8}")
_PH_NOT_A_YEAR = r"(?:\d{5}|(?:[03-9]\d|1[0-8]|2[1-9])\d\d)"  # 5 digits, or 4 not starting 19/20
PHONE_PATTERN = rf"{_PH_ANY}{_PH_AREA}?\d{{2,5}}{_PH_GROUPS}{_PH_EXT}?\b"
_PHONE_NOT_LEFT_OUT = "|".join(
    (
        rf"(?:{_PH_PREFIXES}){_PH_AREA}?\d{{2,5}}{_PH_GROUPS}{_PH_EXT}?\b",  # a "+" or "00" prefix
        rf"{_PH_ANY}{_PH_AREA}\d{{2,5}}{_PH_GROUPS}{_PH_EXT}?\b",  # an area code in parentheses
        rf"{_PH_ANY}{_PH_AREA}?\d{{2,5}}{_PH_GROUPS}{_PH_EXT}\b",  # an extension
        rf"{_PH_ANY}{_PH_AREA}?\d{{2,5}}{_PH_SPACED}{_PH_EXT}?\b",  # a space between groups
        rf"{_PH_ANY}{_PH_AREA}?\d{{2,5}}{_PH_LONG_GROUP}{_PH_EXT}?\b",  # a later group of 4+ digits
        rf"{_PH_ANY}{_PH_AREA}?{_PH_NOT_A_YEAR}{_PH_GROUPS}{_PH_EXT}?\b",  # a long first group, not a year
        rf"{_PH_ANY}{_PH_AREA}?\d{{4,5}}(?:{_PH_GROUP}){{3,4}}{_PH_EXT}?\b",  # 4+ digits, then 3+ groups
        rf"{_PH_ANY}{_PH_AREA}?\d{{4,5}}{_PH_3_DIGIT_GROUP}{_PH_EXT}?\b",  # 4+ digits, a 3+ digit group
        rf"{_PH_ANY}{_PH_AREA}?\d{{2,3}}{_PH_UNDOTTED}{_PH_EXT}?\b",  # short first group, a space or dash
    )
)
HYPERSCAN_NARROWING: dict[tuple[str, str], str] = {
    ("phone", PHONE_PATTERN): _PHONE_NOT_LEFT_OUT,
}


def hyperscan_narrowing(regex: str, validator_names: Iterable[str]) -> str | None:
    """A tighter Hyperscan candidate expression for ``regex`` when one of its validators rejects in bulk what
    the tighter expression leaves out (None: scan the pattern itself)."""
    for name in validator_names:
        narrowed = HYPERSCAN_NARROWING.get((name, regex))
        if narrowed is not None:
            return narrowed
    return None


_ZERO_TRUNK_REGIONS = ("GB", "DE", "FR", "NL", "IT", "AU", "IN", "BR")  # national numbers written with 0…
_NO_TRUNK_REGIONS = ("US", "IT", "ES", "DK", "PL")


@lru_cache(maxsize=8192)
def _phone_verdict(value: str) -> Verdict | None:
    groups = _DIGIT_RUNS.findall(value)
    if "." in value and all(len(g) <= 3 for g in groups):
        return None  # IP addresses, versions, decimals
    if _DATE_LIKE.match(value) or _CLOCK.fullmatch(value.strip()):
        return None
    if len(groups) >= 2 and all(_YEAR.fullmatch(g) for g in groups):
        return None  # a list of years
    if _DATE_PART.fullmatch(value):
        return None  # the date part of a timestamp
    candidate = _EXTENSION.split(value)[0].strip()
    digits = digits_of(candidate)
    if not 6 <= len(digits) <= 15 or len(set(digits)) <= 2:
        return None
    international = candidate.startswith("+")
    if candidate.startswith(("00", "011")):  # international call prefixes written instead of "+"
        international = True
        candidate = "+" + _INTERNATIONAL_PREFIX.sub("", candidate)
    if international:
        regions: tuple[str | None, ...] = (None,)
    else:  # try only the regions whose national format fits the first digit
        regions = _ZERO_TRUNK_REGIONS if candidate.lstrip("(").startswith("0") else _NO_TRUNK_REGIONS
    possible = False
    for region in regions:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            delta = 0.0 if international or len(digits) >= 10 or region == "US" else -0.1
            return Verdict(
                score_delta=delta, details={"region": phonenumbers.region_code_for_number(number) or ""}
            )
        possible = possible or phonenumbers.is_possible_number(number)
    if possible:
        return Verdict(score_delta=-0.2)
    return None


_NOT_STREET_WORD_LIST = (
    "the on in at to of a an for with from by my your our his her their down up along across into "
    "onto over miles mile km kilometres kilometers blocks block minutes minute hours hour times "
    "steps feet meters metres and or is was were are be"
)
_NOT_STREET_WORDS = frozenset(_NOT_STREET_WORD_LIST.split())


@validator("street_words")
def _street_words(value: str, match: str) -> Verdict | None:
    """ "12 Main Street" yes, "5 miles on the road" no: a street name is not a phrase of function words."""
    words = value.split()[1:-1]
    if any(word.lower().strip(".,") in _NOT_STREET_WORDS for word in words):
        return None
    return ACCEPT


@validator("email")
def _email(value: str, match: str) -> Verdict | None:
    local, _, domain = value.rpartition("@")
    if not local or ".." in value or local.startswith(".") or local.endswith("."):
        return None
    labels = domain.lower().split(".")
    if any(not label or label.startswith("-") or label.endswith("-") for label in labels):
        return None
    tld = labels[-1]
    if not tld.isalpha() or tld in {"png", "jpg", "jpeg", "gif", "svg", "webp", "js", "css", "py"}:
        return None  # retina image names like icon@2x.png
    if domain.lower() in _EXAMPLE_DOMAINS or tld in {"example", "test", "invalid", "localhost"}:
        return TEST
    return ACCEPT


_EXAMPLE_DOMAINS = {"example.com", "example.org", "example.net", "domain.com", "email.com", "test.com"}


@validator("ipv4")
def _ipv4(value: str, match: str) -> Verdict | None:
    return _ipv4_verdict(value)


def _ipv4_int(value: str) -> int | None:
    """The address as an integer under exactly ipaddress.IPv4Address's rules for a dotted quad (4 decimal
    ASCII octets, no leading zeros, each <= 255), without its slower string parser; None when invalid."""
    octets = value.split(".")
    if len(octets) != 4:
        return None
    number = 0
    for octet in octets:
        if not (0 < len(octet) <= 3 and octet.isascii() and octet.isdigit()) or (
            octet[0] == "0" and len(octet) > 1
        ):
            return None
        part = int(octet)
        if part > 255:
            return None
        number = number << 8 | part
    return number


def _ranges(networks: Iterable[ipaddress.IPv4Network]) -> tuple[tuple[int, int], ...]:
    return tuple((int(net.network_address), int(net.netmask)) for net in networks)


# The running Python's own special-purpose ranges (they change between releases), as (network, mask)
# integers: membership is two integer operations instead of building an address object per candidate.
_IPV4 = ipaddress.IPv4Address._constants  # type: ignore[attr-defined]
_IPV4_PRIVATE = _ranges(_IPV4._private_networks)
_IPV4_PRIVATE_EXCEPTIONS = _ranges(getattr(_IPV4, "_private_networks_exceptions", ()))
_IPV4_LOOPBACK = _ranges([_IPV4._loopback_network])
_IPV4_LINK_LOCAL = _ranges([_IPV4._linklocal_network])


def _in_ranges(number: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    for network, mask in ranges:  # noqa: SIM110 -- a plain loop: no generator per candidate
        if number & mask == network:
            return True
    return False


_RESERVED_IP = Verdict(score_delta=-0.3, test_value=True)
_PRIVATE_IP = Verdict(score_delta=-0.1, details={"private": True})  # shared: verdicts are read-only


@lru_cache(maxsize=8192)  # logs repeat the same addresses
def _ipv4_verdict(value: str) -> Verdict | None:
    number = _ipv4_int(value)
    if number is None:
        return None
    if number == 0 or number == 0xFFFFFFFF or _in_ranges(number, _IPV4_LOOPBACK):
        return _RESERVED_IP  # unspecified, broadcast, loopback
    private = _in_ranges(number, _IPV4_PRIVATE) and not _in_ranges(number, _IPV4_PRIVATE_EXCEPTIONS)
    if private or _in_ranges(number, _IPV4_LINK_LOCAL):
        return _PRIVATE_IP
    return ACCEPT


@validator("ipv6")
def _ipv6(value: str, match: str) -> Verdict | None:
    if value.count(":") < 2:
        return None
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified:
        return Verdict(score_delta=-0.3, test_value=True)
    if "::" in value and value.count(":") < 4 and not re.search(r"[a-fA-F]", value):
        return None  # "10::30" is more likely a time or a ratio than an address
    return ACCEPT


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}


@validator("date")
def _date(value: str, match: str) -> Verdict | None:
    parts = re.findall(r"\d+|[A-Za-z]+", value)
    numbers = [int(p) for p in parts if p.isdigit()]
    words = [p.lower()[:3] for p in parts if p.isalpha() and p.lower()[:3] in _MONTHS]
    try:
        if words and len(numbers) >= 2:
            day, year = (numbers[0], numbers[-1]) if numbers[-1] > 31 else (numbers[-1], numbers[0])
            parsed = date(year, _MONTHS[words[0]], day)
        elif len(numbers) == 3:
            first, second, third = numbers
            if first > 31:
                parsed = date(first, second, third)
            else:
                year = third + (1900 if third >= 30 else 2000) if third < 100 else third
                try:
                    parsed = date(year, first, second)
                except ValueError:
                    parsed = date(year, second, first)
        else:
            return None
    except ValueError:
        return None
    return ACCEPT if 1900 <= parsed.year <= date.today().year else None


# ---------------------------------------------------------------------------------------------------- secrets
_PLACEHOLDER = re.compile(
    r"""(?ix)^(?:
      [x*#.\-_0]{4,}                      # xxxx, ****, ----
    | <[^>]*> | \[[^\]]*\] | \{\{.*\}\} | \$\{.*\} | \$\(.*\) | %\(?\w*\)?s | \$[A-Z_][A-Z0-9_]*
    | (?:your|my|the|insert|enter|put|replace|add|paste)[_\- ]?.*(?:key|token|secret|password|here|value)
    | .*(?:placeholder|redacted|dummy|sample|changeit|example|xxxxx|notreal|fake|foobar).*
    | null|none|nil|undefined|true|false|string|password|secret|token|\*+
    )$"""
)
KNOWN_TEST_SECRETS = frozenset(
    {
        "changeme",
        "password123",
        "password",
        "123456",
        "12345678",
        "qwerty",
        "letmein",
        "admin",
        "admin123",
        "test",
        "test123",
        "secret",
        "hunter2",
        "passw0rd",
        "p@ssw0rd",
        "pass",
        "pass123",
        "root",
        "toor",
        "default",
        "welcome1",
        "abc123",
        "akiaiosfodnn7example",
        "wjalrxutnfemi/k7mdeng/bpxrficyexamplekey",
    }
)


def is_placeholder(value: str) -> bool:
    stripped = value.strip("'\"` ")
    return not stripped or bool(_PLACEHOLDER.match(stripped)) or len(set(stripped)) <= 2


@validator("not_placeholder")
def _not_placeholder(value: str, match: str) -> Verdict | None:
    if is_placeholder(value):
        return None
    lowered = value.lower()
    if lowered in KNOWN_TEST_SECRETS or "example" in lowered:
        return TEST
    return ACCEPT


# Runs a person types when inventing a value; a random token contains one with negligible probability.
_INVENTED = re.compile(
    r"012345|123456|abcdef|bcdefgh|qwerty|asdfg|asdfasdf|zxcvbn|(.)\1{9,}|example|sample|dummy|fake|xxxxx"
    r"|placeholder|changeme|redacted",
    re.IGNORECASE,
)


def looks_invented(value: str) -> bool:
    return bool(_INVENTED.search(value))


@validator("example_marker")
def _example_marker(value: str, match: str) -> Verdict | None:
    """Provider keys: keep, but flag documentation examples (AKIAIOSFODNN7EXAMPLE, sk-1234567…abcdef)."""
    if value.lower() in KNOWN_TEST_SECRETS or looks_invented(value):
        return TEST
    return ACCEPT


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX_DIGEST = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$")


@validator("generic_secret")
def _generic_secret(value: str, match: str) -> Verdict | None:
    """A value assigned to a key-like name: random-looking, not a placeholder, UUID or path."""
    if is_placeholder(value) or _UUID.match(value):
        return None
    if value.lower() in KNOWN_TEST_SECRETS:
        return TEST
    if re.fullmatch(
        r"[a-z]+(?:[_-][a-z]+)*|[A-Z_]+|\d+|https?://\S*|[./~].*|\w+\(.*|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+",
        value,
    ):
        return None  # words, constants, numbers, URLs, paths, function calls are names, not secrets
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    entropy = shannon_entropy(value)
    if classes < 2 or entropy < 3.0:
        return None
    delta = 0.1 if entropy >= 4.0 and len(value) >= 20 else 0.0
    if _HEX_DIGEST.match(value) and re.search(r"(?i)(checksum|sha|hash|digest|integrity|commit)", match):
        return None
    return Verdict(score_delta=delta, test_value=looks_invented(value))


@validator("password")
def _password(value: str, match: str) -> Verdict | None:
    value = value.strip("'\"`")
    if len(value) < 4 or is_placeholder(value):
        return None
    if value.lower() in KNOWN_TEST_SECRETS:
        return TEST
    if re.fullmatch(
        r"(?i)(is|was|the|and|for|will|should|must|has|have|not|reset|expired|required|protected|"
        r"manager|policy|field|hash|hashed|length|change|incorrect|wrong|strength|strong|weak|"
        r"encrypted|based|less|input|prompt)",
        value,
    ):
        return None
    if value.startswith(("$", "%", "{", "<", "os.", "process.", "getenv", "env[", "self.", "config")):
        return None  # a variable reference, not a literal
    if re.fullmatch(r"[a-z]+", value):
        # A plain word ("…password, giving them access") is more often prose than a password.
        return Verdict(score_delta=-0.2 if len(value) < 6 else -0.3)
    return ACCEPT


@validator("jwt")
def _jwt(value: str, match: str) -> Verdict | None:
    header = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(decoded, dict) or "alg" not in decoded:
        return None
    return Verdict(details={"alg": str(decoded.get("alg"))[:16]})


@validator("private_key_body")
def _private_key_body(value: str, match: str) -> Verdict | None:
    body = re.sub(r"-----[^-]+-----|\s|Proc-Type:.*|DEK-Info:.*|Comment:.*", "", match)
    if len(body) < 40 or is_placeholder(body[:20]) or re.search(r"\.\.\.|x{6,}|X{6,}", body):
        return TEST if len(body) >= 1 else None
    if "ENCRYPTED" in match[:200]:
        # Useless without its passphrase: reported at high sensitivity (below the balanced threshold).
        return Verdict(score_delta=-0.5, details={"encrypted": True})
    return ACCEPT


@validator("connection_string")
def _connection_string(value: str, match: str) -> Verdict | None:
    password = value
    if is_placeholder(password) or password.startswith(("$", "%", "{")):
        return None
    if password.lower() in KNOWN_TEST_SECRETS:
        return TEST
    return ACCEPT


@validator("icd10")
def _icd10(value: str, match: str) -> Verdict | None:
    return ACCEPT if re.fullmatch(r"[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?", value) else None


@validator("has_digit")
def _has_digit(value: str, match: str) -> Verdict | None:
    return ACCEPT if any(ch.isdigit() for ch in value) else None


@validator("not_all_same")
def _not_all_same(value: str, match: str) -> Verdict | None:
    return ACCEPT if len(set(value)) > 2 else None
