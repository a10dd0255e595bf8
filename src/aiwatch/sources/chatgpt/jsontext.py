"""JSON decoding that never lets a lone UTF-16 surrogate through.

JSON may escape a lone surrogate (``"\\ud800"``), and ``json.loads`` of bytes lets UTF-8-encoded
surrogates through ("surrogatepass"); either way Python holds a ``str`` that cannot be encoded as UTF-8 and
would crash much later (database insert, JSON export). Such characters become U+FFFD here, once, at the edge.
"""

from __future__ import annotations

import json
import re
from typing import Any

# An escaped surrogate, or the UTF-8 form of a surrogate (ED A0..BF xx).
_MAY_HOLD_SURROGATES = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def loads_clean(data: bytes) -> Any:
    """``json.loads`` plus lone-surrogate repair (the value is walked only when the text may hold one)."""
    decoded = json.loads(data)
    if _MAY_HOLD_SURROGATES.search(data):
        return _repair(decoded)
    return decoded


def _repair(value: Any) -> Any:
    if isinstance(value, str):
        return _repair_text(value)
    if isinstance(value, list):
        return [_repair(item) for item in value]
    if isinstance(value, dict):
        return {_repair_text(key): _repair(item) for key, item in value.items()}
    return value


def _repair_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
