"""Bytes to text for plain-text formats: BOM, UTF-8, UTF-16 without BOM, then Windows-1252 / Latin-1."""

from __future__ import annotations

import codecs
import contextlib

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes, *, cut: bool = False) -> tuple[str, str]:
    """Return (text, encoding); ``cut``: the bytes were truncated, so drop a split last character."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], encoding, cut), encoding
    guessed = _utf16_without_bom(data)
    if guessed:
        return _decode(data, guessed, cut), guessed
    with contextlib.suppress(UnicodeDecodeError):  # not UTF-8: fall through to the 8-bit code pages
        return _decode(data, "utf-8", cut, strict=True), "utf-8"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _decode(data: bytes, encoding: str, cut: bool, strict: bool = False) -> str:
    decoder = codecs.getincrementaldecoder(encoding)("strict" if strict else "replace")
    # final=False keeps an incomplete trailing sequence back instead of failing on it.
    text = decoder.decode(data, final=not cut)
    return text.replace("\x00", "") if not encoding.startswith("utf-16") else text


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.02 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.02 * half:
        return "utf-16-be"
    return None
