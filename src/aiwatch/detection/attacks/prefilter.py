"""Cheap keyword prefilter: one Hyperscan scan decides whether the attack rules and models run at all.

Trigger stems are matched case-insensitively with leetspeak character classes ("1gn0r3" hits "ignor") on
text whose look-alike letters are folded to ASCII. Recall matters more than precision here: a text with no
trigger is not looked at again, a text with triggers only costs the rules and the model on windows around
the hits. Recall against the attack datasets is printed by `train_injection --eval-only`.
"""

from __future__ import annotations

import contextlib
import threading
from functools import lru_cache

import hyperscan

from aiwatch.detection.classifiers.features import normalize

MAX_HITS = 64
# Stems and phrases; each is compiled with leet classes and a leading word boundary.
TRIGGERS = """ignor disregard forget overrid overrule bypass neglect instruction prompt system jailbr dan
developer pretend roleplay role-play role play character persona unfilter uncensor unrestrict restriction
filter rules polic guideline openai anthropic chatgpt gpt assistant pwn reveal repeat verbatim secret
password hypothetical fiction simulat evil immoral amoral unethical illegal harmful censor moral ethic
previous above earlier prior admin sudo inst im_start im_end endoftext eot_id <<sys mode opposite comply
refuse never break limitation boundar constraint unlock liberat freed act as you are you're you will
from now on pretend imagine scenario hack exploit malware whoami exec eval system( os. subprocess curl wget
powershell rm -rf /etc/ /dev/tcp send upload forward exfiltrat webhook append conversation chat history
markdown image ![ <img render attention note to ai llm model agent summari when translat respond reply
answer output print say tell write your response your reply your answer your code your solution
following code subsequent code integrate incorporate inject embed safety guardrail safeguard moderation
disable deactivate turn off override task objective goal purpose directive command initial original
hidden confidential token key credential api sk- base64 decode encoded rot13 cipher unicode""".split()  # noqa: SIM905

_LEET = {
    "a": "a4@",
    "e": "e3",
    "i": "i1!|",
    "o": "o0",
    "s": "s5$",
    "t": "t7+",
    "g": "g96",
    "b": "b8",
    "l": "l1|",
}


# Obfuscation shapes that are rare in ordinary text (raw Hyperscan expressions).
OBFUSCATION = [
    rb"(?:\\[^\\\s]){6}",  # one character between backslashes: \I\ \h\a\v\e
    rb"(?:&#x?[0-9a-f]{2,5};){3}",  # HTML character references
    rb"\bp\W{0,2}[o0]?\W{0,2}w\W{0,2}n\W{0,2}e?\W{0,2}d\b",  # pwned spelled apart
    rb"\brun\s*:\s*[`'\"]",  # "Run: `command`"
    rb"\b(?:chmod|dd\s+if=|fork|while\s+true|kill\s+-9|mkfs|shutdown|reboot)\b",
]


def _stems() -> list[str]:
    stems = list(TRIGGERS)
    # multi-word phrases of the list above that must stay together
    stems += ["act as", "you are", "from now on", "your response", "your reply", "your answer", "note to",
              "turn off", "rm -rf", "chat history", "following code", "subsequent code"]  # fmt: skip
    return sorted(set(stems))


def _pattern(stem: str) -> bytes:
    parts: list[str] = []
    for ch in stem:
        if ch in _LEET:
            parts.append("[" + "".join("\\" + c if not c.isalnum() else c for c in _LEET[ch]) + "]")
        elif ch == " ":
            parts.append(r"\s+")
        elif ch.isalnum():
            parts.append(ch)
        else:
            parts.append("\\" + ch)
    prefix = r"\b" if stem[0].isalnum() else ""
    return (prefix + "".join(parts)).encode("ascii")


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _database() -> hyperscan.Database:
    expressions = [_pattern(stem) for stem in _stems()] + OBFUSCATION
    database = hyperscan.Database()
    database.compile(
        expressions=expressions,
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=[hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions),
    )
    return database


def folded(text: str) -> str:
    """Text with look-alike letters folded (length-preserving); ASCII text is returned as is."""
    return text if text.isascii() else normalize(text)


def trigger_hits(text: str) -> list[int]:
    """End offsets (in characters of `text`) of up to MAX_HITS distinct trigger stems."""
    data = folded(text).encode("utf-8", "surrogatepass")
    ascii_only = len(data) == len(text)
    ends: list[int] = []

    def on_match(stem_id: int, start: int, end: int, flags: int, context: object) -> bool:
        del stem_id, start, flags, context
        ends.append(end)
        return len(ends) >= MAX_HITS

    with _lock, contextlib.suppress(hyperscan.ScanTerminated):  # one scratch space: one scan at a time
        _database().scan(data, match_event_handler=on_match)
    if ascii_only:
        return sorted(ends)
    # byte offsets -> character offsets for non-ASCII text
    return sorted(len(data[:end].decode("utf-8", "ignore")) for end in ends)
