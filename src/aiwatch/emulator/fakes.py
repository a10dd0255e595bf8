"""Realistic fake identifiers and credentials, valid where a checksum exists, drawn from a seeded ``Random``.

Every value here is synthetic: card numbers pass Luhn, IBANs pass mod-97, SSNs follow the area/group rules,
but none belongs to anyone. Keys have the real prefixes and lengths of their providers so detectors see what
they would see in production.
"""

from __future__ import annotations

import base64
import json
import string
import uuid
from random import Random

_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_HEX = "0123456789abcdef"

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofia",
    "Lucas",
    "Mia",
    "Ethan",
    "Amara",
    "Kenji",
    "Priya",
    "Jonas",
    "Chloe",
    "Diego",
    "Hannah",
    "Omar",
    "Grace",
    "Felix",
    "Leila",
    "Samuel",
    "Nina",
    "Arjun",
    "Elena",
    "Tomás",
    "Zoe",
    "Isaac",
    "Maya",
    "Viktor",
    "Aisha",
    "Daniel",
    "Julia",
    "Marco",
    "Yuki",
    "Rachel",
)
LAST_NAMES = (
    "Johnson",
    "Garcia",
    "Nguyen",
    "Schmidt",
    "Okafor",
    "Rossi",
    "Kowalski",
    "Tanaka",
    "Patel",
    "Dubois",
    "Andersson",
    "Murphy",
    "Silva",
    "Cohen",
    "Fischer",
    "Kim",
    "Larsen",
    "Moreau",
    "Novak",
    "Reyes",
    "Walsh",
    "Haddad",
    "Brennan",
    "Costa",
    "Lindqvist",
    "Mendes",
    "Ibrahim",
    "Sato",
    "Horvat",
    "Byrne",
)
STREETS = (
    "Maple Avenue",
    "Oak Street",
    "Harbor Road",
    "Elm Drive",
    "Cedar Lane",
    "Lakeview Boulevard",
    "Pine Court",
    "Mission Street",
    "Sunset Way",
    "Birch Road",
)
CITIES = (
    ("Springfield", "IL", "627"),
    ("Austin", "TX", "787"),
    ("Portland", "OR", "972"),
    ("Columbus", "OH", "432"),
    ("Denver", "CO", "802"),
    ("Raleigh", "NC", "276"),
    ("Madison", "WI", "537"),
    ("Tampa", "FL", "336"),
)
CUSTOMER_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "fastmail.com")


def token(rng: Random, length: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def uuid4(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def person_name(rng: Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def personal_email(rng: Random, name: str) -> str:
    first, _, last = name.lower().partition(" ")
    style = rng.randrange(3)
    local = (
        f"{first}.{last}"
        if style == 0
        else f"{first[0]}{last}{rng.randrange(10, 99)}"
        if style == 1
        else (f"{first}_{last}")
    )
    ascii_local = local.encode("ascii", "ignore").decode()
    return f"{ascii_local}@{rng.choice(CUSTOMER_DOMAINS)}"


def us_phone(rng: Random) -> str:
    # 555-01xx is reserved for fiction; use real-looking exchanges instead so detectors are not helped.
    area = rng.choice((212, 312, 415, 503, 617, 704, 720, 813, 919, 512))
    return f"({area}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}"


def us_address(rng: Random) -> str:
    city, state, zip_prefix = rng.choice(CITIES)
    number, zip_code = rng.randrange(12, 9800), f"{zip_prefix}{rng.randrange(10, 99)}"
    return f"{number} {rng.choice(STREETS)}, {city}, {state} {zip_code}"


def date_of_birth(rng: Random) -> str:
    return f"{rng.randrange(1950, 2003)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def ssn(rng: Random) -> str:
    """A US SSN that follows the area/group/serial rules (no 000/666/9xx area, no 00 group, no 0000 "
    "serial)."""
    while True:
        area = rng.randrange(1, 900)
        if area != 666:
            break
    return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"


def luhn_check_digit(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [c for c in number if c.isdigit()]
    return len(digits) > 1 and luhn_check_digit("".join(digits[:-1])) == digits[-1]


def credit_card(rng: Random) -> str:
    """A Luhn-valid card number with a real issuer prefix, grouped as people type it."""
    prefix, length = rng.choice((("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16)))
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    number = body + luhn_check_digit(body)
    if length == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


_IBAN_FORMATS = {"DE": 18, "FR": 23, "GB": 18, "NL": 14, "ES": 20, "IT": 23}


def iban(rng: Random) -> str:
    """An IBAN with a correct mod-97 check, grouped in fours."""
    country = rng.choice(tuple(_IBAN_FORMATS))
    length = _IBAN_FORMATS[country]
    if country == "GB":
        bban = rng.choice(("NWBK", "BARC", "LOYD")) + "".join(str(rng.randrange(10)) for _ in range(14))
    elif country == "NL":
        bban = rng.choice(("ABNA", "INGB", "RABO")) + "".join(str(rng.randrange(10)) for _ in range(10))
    elif country == "IT":
        bban = rng.choice(string.ascii_uppercase) + "".join(str(rng.randrange(10)) for _ in range(length - 1))
    else:
        bban = "".join(str(rng.randrange(10)) for _ in range(length))
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def iban_valid(value: str) -> bool:
    compact = value.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def routing_number(rng: Random) -> str:
    """An ABA routing number with a valid 3-7-1 checksum."""
    digits = [rng.randrange(10) for _ in range(8)]
    digits[0] = rng.choice((0, 1, 2, 3))
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    check = (10 - sum(d * w for d, w in zip(digits, weights, strict=True)) % 10) % 10
    return "".join(map(str, digits)) + str(check)


def ipv4(rng: Random) -> str:
    first = rng.choice((34, 52, 81, 91, 104, 176, 185))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


# --- credentials (rule id -> generator) --------------------------------------------------------------


def aws_access_key_id(rng: Random) -> str:
    return "AKIA" + token(rng, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def aws_secret_access_key(rng: Random) -> str:
    return token(rng, 40, _ALNUM + "+/")


def github_token(rng: Random) -> str:
    return "ghp_" + token(rng, 36)


def gitlab_token(rng: Random) -> str:
    return "glpat-" + token(rng, 20, _ALNUM + "-_")


def slack_token(rng: Random) -> str:
    return f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{token(rng, 24)}"


def slack_webhook(rng: Random) -> str:
    return (
        f"https://hooks.slack.com/services/T{token(rng, 8, _UPPER_ALNUM)}/B{token(rng, 10, _UPPER_ALNUM)}/"
        f"{token(rng, 24)}"
    )


def stripe_key(rng: Random) -> str:
    return "sk_live_" + token(rng, 24)


def openai_key(rng: Random) -> str:
    return "sk-proj-" + token(rng, 48, _ALNUM + "-_") + "T3BlbkFJ" + token(rng, 20, _ALNUM + "-_")


def anthropic_key(rng: Random) -> str:
    return "sk-ant-api03-" + token(rng, 93, _ALNUM + "-_") + "AA"


def google_api_key(rng: Random) -> str:
    return "AIza" + token(rng, 35, _ALNUM + "-_")


def sendgrid_key(rng: Random) -> str:
    return f"SG.{token(rng, 22, _ALNUM + '-_')}.{token(rng, 43, _ALNUM + '-_')}"


def twilio_key(rng: Random) -> str:
    return "SK" + token(rng, 32, _HEX)


def npm_token(rng: Random) -> str:
    return "npm_" + token(rng, 36)


def jwt(rng: Random) -> str:
    def b64(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    header = b64('{"alg":"HS256","typ":"JWT"}')
    iat = rng.randrange(1_700_000_000, 1_800_000_000)
    claims = {"sub": str(rng.randrange(10**6, 10**7)), "role": "admin", "iat": iat}
    payload = b64(json.dumps(claims, separators=(",", ":")))
    return f"{header}.{payload}.{token(rng, 43, _ALNUM + '-_')}"


def private_key_pem(rng: Random) -> str:
    body = base64.b64encode(rng.randbytes(608)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password(rng: Random) -> str:
    words = ("Summer", "Falcon", "Orchid", "Granite", "Harbor", "Velvet", "Comet", "Maple", "Tiger", "Nimbus")
    return f"{rng.choice(words)}{rng.choice(words)}{rng.randrange(10, 99)}{rng.choice('!#$%&*?')}"


def connection_string(rng: Random) -> str:
    user = rng.choice(("app_user", "etl", "reporting", "admin", "svc_billing"))
    host = rng.choice(
        (
            "db-prod-1.internal.example.net",
            "10.20.4.17",
            "pg-main.corp.local",
            "analytics.cluster-c8x.us-east-1.rds.amazonaws.com",
        )
    )
    scheme = rng.choice(("postgresql", "mysql", "mongodb"))
    port = {"postgresql": 5432, "mysql": 3306, "mongodb": 27017}[scheme]
    database = rng.choice(("orders", "crm", "billing", "events"))
    return f"{scheme}://{user}:{password(rng)}@{host}:{port}/{database}"


SECRET_GENERATORS = {
    "secret.aws_access_key_id": aws_access_key_id,
    "secret.github_token": github_token,
    "secret.gitlab_token": gitlab_token,
    "secret.slack_token": slack_token,
    "secret.slack_webhook": slack_webhook,
    "secret.stripe_key": stripe_key,
    "secret.openai_key": openai_key,
    "secret.anthropic_key": anthropic_key,
    "secret.google_api_key": google_api_key,
    "secret.sendgrid_key": sendgrid_key,
    "secret.twilio_key": twilio_key,
    "secret.npm_token": npm_token,
    "secret.jwt": jwt,
}
