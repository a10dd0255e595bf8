"""Judge whether an image/link URL is a beacon that carries conversation data out in its query or path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

_PLACEHOLDER = re.compile(
    r"\{[^}]{1,60}\}|\[[A-Za-z_ ]{2,60}\]|<[A-Za-z_ ]{2,60}>|\$\{?[A-Za-z_]{2,}|%7B|%5B[A-Za-z_]|%3C[A-Za-z_]"
    r"|INSERT|_HERE\b|YOUR_|\bDATA\b|CONVERSATION|SUMMARY|HISTORY|SECRET|PASSWORD",
    re.IGNORECASE,
)
# Parameters of signed/tracking URLs whose long values are normal.
_BENIGN_PARAMS = frozenset(
    """x-amz-signature x-amz-credential x-amz-security-token x-amz-date sig signature se sp sv sr st skoid
sktid skt ske sks skv token access_token expires key v ver version hash auth code state w h width
height fit crop auto fm q_auto s rev etag cb ts t""".split()  # noqa: SIM905
)
_ENCODED_VALUE = re.compile(r"^[A-Za-z0-9+/=_-]{32,}$")


@dataclass(frozen=True, slots=True)
class Beacon:
    host: str
    params: tuple[str, ...]
    score: float
    reason: str


def judge_url(url: str, is_image: bool) -> Beacon | None:
    """A scored beacon when the URL looks built to carry data, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    base = 0.0 if is_image else -0.15  # a link needs a click; an image is fetched when rendered
    if _PLACEHOLDER.search(parts.query) or _PLACEHOLDER.search(unquote(parts.path)):
        return Beacon(host, _param_names(parts.query), 0.9 + base, "placeholder for data in URL")
    carrying: list[str] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _BENIGN_PARAMS or name.lower().startswith("utm_"):
            continue
        words = len(value.split())
        if words >= 4 or _ENCODED_VALUE.match(value):
            carrying.append(name)
    if carrying:
        words_in = any(len(value.split()) >= 4 for _, value in parse_qsl(parts.query))
        score = (0.75 if words_in else 0.6) + base
        return Beacon(host, tuple(carrying), score, "query parameter carries text or encoded data")
    return None


def _param_names(query: str) -> tuple[str, ...]:
    return tuple(name for name, _ in parse_qsl(query, keep_blank_values=True))
