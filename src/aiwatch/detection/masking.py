"""Masked evidence and keyed value hashes: alerts never keep the clear value or anything revealing it."""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from collections.abc import Callable
from functools import lru_cache

# Used only when the caller gives no key. The pipeline passes the installation's SecretBox.keyed_hash so that
# hashes cannot be brute-forced by someone who only has an export; this default keeps `aiwatch scan` usable
# standalone and is documented in the CLI help.
DEFAULT_HASH_KEY = b"aiwatch-detection-default-key-v1"


def hmac_hasher(key: bytes = DEFAULT_HASH_KEY) -> Callable[[str], str]:
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # key schedule once; copies are cheaper than new()

    def value_hash(value: str) -> str:
        state = keyed.copy()
        state.update(value.encode("utf-8", "surrogatepass"))
        return state.hexdigest()[:32]

    return value_hash


def mask(value: str, style: str = "auto", rule_id: str = "") -> str:
    """A masked rendering of ``value`` that is never equal to it and reveals at most a quarter of it."""
    return masker(style, rule_id)(value)


@lru_cache(maxsize=1024)
def masker(style: str = "auto", rule_id: str = "") -> Callable[[str], str]:
    """``mask`` with the style resolved once: the engine keeps one per rule instead of deciding per value."""
    if style == "auto":
        style = _style_for_rule(rule_id)
    if style == "none":
        return _mask_none
    masking = _MASKERS.get(style, _mask_generic)

    def masked(value: str) -> str:
        out = masking(value)
        return out if out != value else "*" * min(len(value), 8) + ("…" if len(value) <= 8 else "")

    return masked


def _mask_none(value: str) -> str:
    return ""


def _style_for_rule(rule_id: str) -> str:
    if rule_id == "financial.credit_card":
        return "card"
    if rule_id == "pii.email":
        return "email"
    if rule_id.startswith("secret."):
        return "secret"
    if rule_id.startswith(("pii.", "financial.", "health.")):
        return "digits"
    return "generic"


def _mask_card(value: str) -> str:
    digits = [ch for ch in value if ch.isdigit()]
    if len(digits) < 12:
        return _mask_digits(value)
    shown = {index for index in range(len(digits)) if index < 4 or index >= len(digits) - 4}
    out, digit_index = [], 0
    for ch in value:
        if ch.isdigit():
            out.append(ch if digit_index in shown else "*")
            digit_index += 1
        else:
            out.append(ch)
    text = "".join(out)
    if " " not in text and "-" not in text:  # group so it reads like 4111 **** **** 1111
        text = " ".join(text[i : i + 4] for i in range(0, len(text), 4))
    return text


def _mask_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at:
        return _mask_generic(value)
    return f"{local[:1]}***@{domain}"


def _mask_secret(value: str) -> str:
    value = value.strip()
    if len(value) < 12:
        return value[:1] + "…" if len(value) >= 6 else "…"
    prefix_match = _SECRET_PREFIX.match(value)
    keep_head = (
        len(prefix_match.group(0)) if prefix_match and len(prefix_match.group(0)) <= len(value) // 4 else 2
    )
    keep_tail = 4 if len(value) >= 20 else 2
    return f"{value[:keep_head]}…{value[-keep_tail:]}"


def _mask_digits(value: str) -> str:
    """Keep separators and the last quarter of the characters (at most 4): ***-**-6789."""
    keep = min(4, len(value) // 4)
    head, tail = value[: len(value) - keep], value[len(value) - keep :] if keep else ""
    return head.translate(_ALNUM_TO_STAR) + tail


def _mask_generic(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    keep = min(3, len(value) // 4)
    return value[:keep] + "*" * min(len(value) - keep, 12)


_ALNUM_TO_STAR = str.maketrans(dict.fromkeys(string.ascii_letters + string.digits, "*"))
_SECRET_PREFIX = re.compile(r"[A-Za-z]{1,8}[-_]")
_MASKERS: dict[str, Callable[[str], str]] = {
    "card": _mask_card,
    "email": _mask_email,
    "secret": _mask_secret,
    "digits": _mask_digits,
}
