"""Text normalisation and word n-gram features shared by training and inference.

Attack prompts hide trigger words behind homoglyphs ("ignоre" with a Cyrillic o), mathematical letters
("𝐈 𝐡𝐚𝐯𝐞"), fullwidth forms and leetspeak ("1gn0r3"). `normalize` folds those to plain lowercase ASCII
without changing the length, so offsets found on the normalised text are offsets in the input.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

# Cyrillic and Greek letters that look like Latin ones (lowercase after `str.lower`).
_HOMOGLYPHS = {
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s", "т": "t",
    "у": "y", "х": "x", "ѡ": "w", "ԝ": "w", "ь": "b", "п": "n", "и": "u",
    "α": "a", "β": "b", "ϲ": "c", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ɑ": "a", "ɡ": "g", "ı": "i", "ȷ": "j", "ℓ": "l",
    "€": "e", "£": "l",
    # small capitals
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u",
    "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}  # fmt: skip

# Ranges whose compatibility form is a single ASCII letter or digit (fullwidth, mathematical, enclosed).
_COMPAT_RANGES = ((0x00C0, 0x024F), (0x1D00, 0x1DBF), (0x2100, 0x24FF), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF),
                  (0x1F100, 0x1F1FF))  # fmt: skip


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for low, high in _COMPAT_RANGES:
        for cp in range(low, high + 1):
            folded = unicodedata.normalize("NFKD", chr(cp))
            base = folded[0] if folded else ""
            if base.isascii() and base.isalnum():
                table[cp] = base.lower()
    for char, ascii_char in _HOMOGLYPHS.items():
        table[ord(char)] = ascii_char
        table[ord(char.upper())] = ascii_char if len(char.upper()) == 1 else table.get(ord(char.upper()), "")
    return {cp: v for cp, v in table.items() if len(v) == 1}


_FOLD = _build_table()
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g", "@": "a",
                       "$": "s", "!": "i", "|": "l", "+": "t", "8": "b", "6": "g"})  # fmt: skip
# Leetspeak tokens: maximal runs of [a-z0-9@$!|+] (not right after "<" or "_") that mix letters with digits or
# symbols, except names like base64, sha256, python3 (letters, then digits only). A run that starts with a
# letter mixes iff its first non-letter follows its leading letters; likewise for a run that starts with a
# digit or symbol. Every alternative starts with a character set and runs are consumed possessively, so `re`
# skips ahead and never backtracks (the former pattern began with a look-behind tried at every character and
# sent each name like "sha256" to the callback only to keep it).
_LEET_TOKEN = re.compile(
    r"([a-z](?<![a-z0-9@$!|+<_][a-z])[a-z]*+[0-9]*+[@$!|+a-z][a-z0-9@$!|+]*+"
    r"|[0-9@$!|+](?<![a-z0-9@$!|+<_][0-9@$!|+])[0-9@$!|+]*+[a-z][a-z0-9@$!|+]*+)"
)
_DROP_NON_LETTERS = str.maketrans("", "", "0123456789@$!|+")
_HAS_LEET = re.compile(r"[a-z][0-9@$!|+]|[0-9@$|+][a-z]")

# Words: letter runs that start a run of letters/digits and end it (digits may trail: "base64", "python3").
# Letters inside ids and hashes ("662248b4-83b7", "fe9c2b1d") are not words: they made logs look like the
# encoded payloads of attack prompts.
# (The first letter is matched before the look-behind, which then checks the character before it: the same
# tokens as "(?<![a-z0-9])[a-z]...", but every alternative now starts with a character set, which lets `re`
# skip ahead to the next possible start instead of trying the look-behind at every position.)
TOKEN = re.compile(
    r"[a-z](?<![a-z0-9][a-z])[a-z']*(?=[0-9]*(?![a-z0-9]))|<\|?[a-z_]+\|?>|\[/?[a-z_]+\]|[#]{2,}"
)


def fold(text: str) -> str:
    """Lowercase and fold look-alike letters to ASCII (no leetspeak); the result has the same length."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lowercase to two (e.g. U+0130)
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    if not lowered.isascii():
        lowered = lowered.translate(_FOLD)
    return lowered


def normalize(text: str) -> str:
    """Lowercase, fold look-alike letters and leetspeak to ASCII; the result has the same length."""
    lowered = fold(text)
    if not _HAS_LEET.search(lowered):
        return lowered
    # split() puts the tokens at the odd indexes: one list pass instead of a callback per token
    parts = _LEET_TOKEN.split(lowered)
    parts[1::2] = [
        # mostly digits or symbols: a number, an id, not a word (what translate leaves of a token are letters)
        token if len(token.translate(_DROP_NON_LETTERS)) * 3 < len(token) else token.translate(_LEET)
        for token in parts[1::2]
    ]
    return "".join(parts)


_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s)\]>\"']+")


def tokens(normalized: str) -> list[str]:
    if "://" in normalized or "www." in normalized:
        normalized = _URL.sub(" <url> ", normalized)  # addresses are not language: one feature
    return TOKEN.findall(normalized)  # numbers are not features: they describe data, not intent


def ngrams(toks: list[str]) -> set[str]:
    """Distinct word unigrams and bigrams (the features of the linear models)."""
    grams = set(toks)
    grams.update(map(" ".join, itertools.pairwise(toks)))
    return grams


def features(text: str) -> set[str]:
    return ngrams(tokens(normalize(text)))
