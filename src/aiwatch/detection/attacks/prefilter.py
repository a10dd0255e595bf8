"""Cheap keyword prefilter: one Hyperscan scan decides whether the attack rules and models run at all.

Trigger stems are matched case-insensitively with leetspeak character classes ("1gn0r3" hits "ignor") on
text whose look-alike letters are folded to ASCII. Recall matters more than precision here: a text with no
trigger is not looked at again, a text with triggers only costs the rules and the model on windows around
the hits. Recall against the attack datasets is printed by `train_injection --eval-only`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from functools import lru_cache
from typing import NamedTuple

import hyperscan

from aiwatch.detection import hyperscan_cache
from aiwatch.detection.attacks import injection_embedded
from aiwatch.detection.classifiers.features import fold, normalize

MAX_HITS = 64
# Attack-specific word stems, matched at a word start with leetspeak classes ("1gn0r3" hits "disregard").
STEMS = """bypass disregard overrule jailbr pretend roleplay role-play persona unfilter uncensor unrestrict
guideline openai anthropic chatgpt pwn verbatim hypothetical immoral amoral unethical censor exfiltrat webhook
whoami powershell guardrail safeguard instructions prompt im_start im_end endoftext eot_id sudo instrucc
istruzion anweisung ignora ignorez ignoriere""".split()  # noqa: SIM905
# Phrases (raw Hyperscan expressions, on folded text) that are rare in ordinary work text.
_OBJECTS = (
    rb"(?:\w+\s+){0,4}(?:instructions?|rules|prompts?|guidelines|directions|directives|previous|above|prior|all"
    rb"|everything|context|system|safety|polic|restrictions|programming|text|sentence|request|task|input|question)"
)
_AI = rb"(?:ai|llm|assistant|model|agent|bot)"
PHRASES = [
    rb"\bdan\b",
    rb"\b[i1!|][g96]n[o0]r\w*\s+" + _OBJECTS,
    rb"\b[o0]v[e3]rr[i1!|]d\w*\s+" + _OBJECTS,
    rb"\bforget (?:\w+ ){0,3}(?:above|before|previous|prior|earlier|everything|all|your)",
    rb"\b(?:previous|prior|above|earlier|preceding|initial|original)\W+(?:\w+\W+){0,2}(?:guidance|directions?"
    rb"|rules|directives?|programming|orders)",
    rb"\b(?:new|updated|real|actual|true|only|revised|overriding)\s+(?:system\s+)?(?:task|rules?|directives?"
    rb"|goal|objective|purpose|job|instructions?)",
    rb"\bsafety\s*[:=]",
    rb"\b(?:act|acting|behave|respond|answer|reply) as\b",
    rb"\byou(?: are|'re| will be| will act as) (?:now|no longer|free|designed|programmed"
    rb"|going to (?:act|pretend|be)|an? (?:ai|assistant|language model|chatbot))",
    rb"\bsecret[ _]?key|\b(?:sentence|paragraph|message|prompt|instructions?|text|words|everything|content"
    rb"|lines?) (?:\w+ )?(?:above|before this)",
    rb"\b(?:from now on|stay in character|break character|do anything|developer mode|dev mode|god mode)\b",
    rb"\b(?:no|without|free of|free from|not bound by|beyond)\s+(?:any\s+)?(?:\w+\s+)?(?:limits|limitations"
    rb"|filters|rules|morals|ethics|boundaries|constraints|censorship|restrictions)",
    rb"\b(?:in|into|to|within|enhance|augment|modify|format|start|begin|end|convert) your (?:response|reply"
    rb"|answer|output|solution|codebase|implementation)",
    rb"\b(?:following|subsequent|below) code (?:block|snippet|excerpt|section)",
    rb"\b(?:note|message|attention|instructions?) (?:to|for) (?:the |an? )?" + _AI,
    rb"\b" + _AI + rb"s? (?:reading|processing|summari[sz]ing|analy[sz]ing) this",
    rb"\b(?:repeat|print|show|reveal|output|tell me|give me|display|share|recite|dump|leak)\b.{0,40}"
    rb"\b(?:your|the) (?:\w+ ){0,2}(?:instructions|prompt|rules|guidelines|configuration|system message)",
    rb"\b(?:what|which) (?:are|were|is|was) (?:your|the) (?:\w+ ){0,2}"
    rb"(?:instructions|rules|prompt|directives)",
    rb"\bsystem\s*(?:prompt|message|instructions|override|:|\])|\[/?(?:system|inst)\]|<<\s*sys"
    rb"|###\s*(?:system|instruction)",
    rb"!\[|<img\b",
    rb"\b(?:send|post|upload|forward|transmit|exfiltrate|leak|email|submit|append|add|attach|encode|put"
    rb"|include|embed|pass)\b.{0,60}\b(?:conversation|chat|previous messages|message history|the above"
    rb"|everything above|secrets?|passwords?|api keys?|credentials|access tokens?|user'?s?|personal"
    rb"|system prompt|memor)",
    rb"\b(?:safety|content|moderation|ethical|usage) "
    rb"(?:filters?|polic|guidelines|protocols|checks|off|disabled)",
    rb"\b(?:disable|deactivate|turn off|switch off) (?:\w+ )?(?:safety|filters?|guardrails?|moderation"
    rb"|protections?|restrictions|censorship)",
    rb"\b(?:evil|unrestricted|uncensored|unfiltered|rogue|opposite) "
    rb"(?:ai|assistant|bot|model|mode|version|twin)",
    rb"\b(?:base64|rot13)[ -]?(?:encoded|decode)|\bdecode (?:this|the following|and (?:run|execute|follow))",
    rb"/etc/(?:passwd|shadow)|/dev/tcp/|\brm\s+-rf\s+/|document\.cookie|\bjavascript:",
    rb"\bi have been\W{0,3}(?:p\W|pw|[\"'])|\bpasswords? in plain ?text",
    rb"(?:disable|bypass)_?safety|safety_?(?:bypass|off|disabled)|admin_?override",
]

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
    rb"(?:\\[^\\]){6}",  # one character between backslashes: \I\ \h\a\v\e
    rb"(?:&#x?[0-9a-f]{2,5};){3}",  # HTML character references
    rb"\bp\W{0,2}[o0]?\W{0,2}w\W{0,2}n\W{0,2}e?\W{0,2}d\b",  # pwned spelled apart
    rb"\brun\s*:\s*[`'\"]",  # "Run: `command`"
    rb"\b(?:chmod\s+777|dd\s+if=|while\s+true|mkfs)\b",
]


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
# A digit or symbol inside a word twice ("1gn0r3", "pr3v10us"), the shape of leetspeak -- but not in ids:
# runs of hexadecimal characters only (request and trace ids, hashes, UUID groups in logs and code) made
# nearly every log re-normalised and scanned a second time. A short hex-only word standing alone still counts
# ("d3c0d3 this" is "decode this"); one joined to an id by "-", ".", ":", "/", "_" or "=" does not.
_LEET_SHAPE = rb"[a-z][0-9@$|+][a-z]+[0-9@$|+!]"
_RUN = rb"[a-z0-9@$|+!]*"
_SHORT_HEX_RUN = 7
_NOT_ID_BEFORE = rb"(?:^|[^\-0-9a-z._:/=])"
_NOT_ID_AFTER = rb"(?:[^\-0-9a-z._:/=]|$)"


def _short_hex_shapes() -> list[bytes]:
    """The shape as a whole, free-standing hexadecimal run of at most _SHORT_HEX_RUN characters (Hyperscan
    has no lookaround, so the lengths are spelled out: prefix, shape, suffix)."""
    out = []
    for shape in range(4, _SHORT_HEX_RUN + 1):
        for before in range(_SHORT_HEX_RUN - shape + 1):
            for after in range(_SHORT_HEX_RUN - shape - before + 1):
                hex_before = rb"[0-9a-f]{%d}" % before if before else b""  # Hyperscan rejects {0}
                hex_after = rb"[0-9a-f]{%d}" % after if after else b""
                shape_part = rb"[a-f][0-9][a-f]{%d}[0-9]" % (shape - 3)
                out.append(_NOT_ID_BEFORE + hex_before + shape_part + hex_after + _NOT_ID_AFTER)
    return out


_LEETSPEAK = b"|".join(
    [
        rb"[g-z@$|+!]" + _RUN + _LEET_SHAPE,  # a non-hex character before the shape in the same run
        _LEET_SHAPE + _RUN + rb"[g-z@$|+!]",  # ... after it
        rb"[g-z][0-9@$|+][a-z]+[0-9@$|+!]",  # ... or inside it
        rb"[a-z][@$|+][a-z]+[0-9@$|+!]",
        rb"[a-z][0-9@$|+][a-z]*[g-z][a-z]*[0-9@$|+!]",
        rb"[a-z][0-9@$|+][a-z]+[@$|+!]",
        *_short_hex_shapes(),
    ]
)


@lru_cache(maxsize=1)
def _database() -> hyperscan.Database:
    expressions = [_pattern(stem) for stem in STEMS] + PHRASES + OBFUSCATION + [_LEETSPEAK]
    flags = [hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions)
    return hyperscan_cache.compiled(expressions, range(len(expressions)), flags)


def folded(text: str) -> str:
    """Text with look-alike letters folded (length-preserving); ASCII text is returned as is."""
    return text if text.isascii() else fold(text)


SHARED_NORMALIZE_CHARS = 2_000  # texts this short are normalised once for the rescan and the model window


def normalized(text: str) -> str:
    """`features.normalize`, remembered for the last few short texts: the leetspeak rescan here and the
    whole-text window of the attack analysis normalise the same text (long texts are never kept)."""
    return _normalized_short(text) if len(text) <= SHARED_NORMALIZE_CHARS else normalize(text)


@lru_cache(maxsize=8)
def _normalized_short(text: str) -> str:
    return normalize(text)


def trigger_hits(text: str) -> list[int]:
    """End offsets (in characters of `text`) of up to MAX_HITS trigger matches."""
    hits, leetspeak = _scan(folded(text))
    if leetspeak:  # rare: scan again with leetspeak folded
        hits = sorted(set(hits) | set(_scan(normalized(text))[0]))
    return hits


def _scan(text: str) -> tuple[list[int], bool]:
    """Trigger end offsets and whether leetspeak-shaped words were seen."""
    data = text.encode("utf-8", "surrogatepass")
    ends: list[int] = []
    leet_id = _database_size() - 1
    leetspeak = False

    def on_match(trigger_id: int, start: int, end: int, flags: int, context: object) -> bool:
        nonlocal leetspeak
        del start, flags, context
        if trigger_id == leet_id:
            leetspeak = True
            return False
        ends.append(end)
        return len(ends) >= MAX_HITS

    with _lock, contextlib.suppress(hyperscan.ScanTerminated):  # one scratch space: one scan at a time
        _database().scan(data, match_event_handler=on_match)
    if len(data) == len(text):
        return sorted(ends), leetspeak
    # byte offsets -> character offsets for non-ASCII text
    return sorted(len(data[:end].decode("utf-8", "ignore")) for end in ends), leetspeak


def _database_size() -> int:
    return len(STEMS) + len(PHRASES) + len(OBFUSCATION) + 1


# ------------------------------------------------------------------------------------ one pass per text
# The attack analysis, the planted-instruction pass and the harmful-content detector each used to scan every
# text with their own Hyperscan database. One database holding all their patterns (each with its own flags)
# costs about half as much as the three scans; each consumer reads the matches of its own patterns, which are
# exactly what its own database reports (a pattern's matches do not depend on the other patterns).
_SINGLE_CASELESS = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH


class _Layout(NamedTuple):
    """Pattern ids of the combined database:
    [triggers | embedded (opening, markers) | reply | markup (2) | harmful]."""

    opening: int  # ids below this are trigger patterns (`_database` without the leetspeak shapes)
    reply: int  # ids between opening and reply are document markers; the two after it are markup
    harmful: int  # ids from here on are the harmful model's trigger patterns
    harmful_model: object | None  # the model whose patterns are compiled in (None: not available)


class TextScan(NamedTuple):
    """What the one Hyperscan pass over a text found."""

    text: str
    trigger_hits: list[int]  # as `trigger_hits(text)` returns them
    openings: list[int]  # byte end offsets of request openings, as `injection_embedded._scan` reports them
    marked: bool  # a document marker occurs (as `injection_embedded._scan` reports it)
    reply_shaping: bool | None  # `injection_embedded.REPLY_SHAPING` occurs; None: not known (non-ASCII text)
    harmful_ends: list[int] | None  # byte offsets where harmful triggers end (None: not scanned)
    harmful_model: object | None  # the harmful model whose triggers these are
    markup: bool  # `"](" in text or "<img" in text.lower()` (a link/image the analysis judges as a beacon)


@lru_cache(maxsize=1)
def _combined() -> tuple[hyperscan.Database, _Layout]:
    # (the leetspeak shapes stay in a database of their own: in this one they doubled its cost)
    expressions = [_pattern(stem) for stem in STEMS] + PHRASES + OBFUSCATION
    flags = [_SINGLE_CASELESS] * len(expressions)
    opening = len(expressions)
    embedded_expressions, embedded_flags = injection_embedded.hyperscan_expressions()
    expressions += embedded_expressions
    flags += embedded_flags
    reply = len(expressions)
    expressions.append(injection_embedded.REPLY_SHAPING.pattern.encode("ascii"))
    flags.append(_SINGLE_CASELESS)
    # Markup for the beacon check (exact on the UTF-8 bytes: only ASCII characters lower to "<", "i", "m" or
    # "g", except U+0130, which lowers to "i" plus a combining dot, so it never forms "<img")
    expressions += [rb"\]\(", rb"<img"]
    flags += [hyperscan.HS_FLAG_SINGLEMATCH, _SINGLE_CASELESS]
    harmful_model = None
    # No usable harmful artefact: the pass goes without its triggers and that detector scans for itself.
    with contextlib.suppress(OSError, ValueError, KeyError):
        from aiwatch.detection.classifiers.harmful import load_model  # late: harmful imports this module

        harmful_model = load_model()
    harmful = len(expressions)
    if harmful_model is not None:
        harmful_expressions, harmful_flags = harmful_model.trigger_expressions()
        expressions += harmful_expressions
        flags += harmful_flags
    database = hyperscan_cache.compiled(expressions, range(len(expressions)), flags)
    return database, _Layout(opening, reply, harmful, harmful_model)


@lru_cache(maxsize=1)
def _leetspeak_database() -> hyperscan.Database:
    return hyperscan_cache.compiled([_LEETSPEAK], [0], [_SINGLE_CASELESS])


_local = threading.local()


def _forget_in_child() -> None:
    _local.__dict__.clear()  # the forking thread's scratch spaces and remembered scan: a worker starts afresh


os.register_at_fork(after_in_child=_forget_in_child)


def _scratches() -> tuple[hyperscan.Scratch, hyperscan.Scratch]:
    """This thread's scratch for the combined and the leetspeak database (scratch space is not shareable, so
    no lock is needed)."""
    scratches = getattr(_local, "scratches", None)
    if scratches is None:
        scratches = _local.scratches = (
            hyperscan.Scratch(_combined()[0]),
            hyperscan.Scratch(_leetspeak_database()),
        )
    return scratches


def scan_text(text: str) -> TextScan:
    """The one Hyperscan pass over `text`; the last one per thread is kept for the harmful detector."""
    last = getattr(_local, "last", None)
    if last is not None and last.text is text:
        return last
    found = _local.last = _scan_text(text)
    return found


def recent_scan(text: str) -> TextScan | None:
    """The pass `scan_text` made over this very text object in this thread, if it was the last one."""
    last = getattr(_local, "last", None)
    return last if last is not None and last.text is text else None


def _collect(pattern_id: int, start: int, end: int, flags: int, found: list[tuple[int, int]]) -> None:
    found.append((pattern_id, end))


def _scan_text(text: str) -> TextScan:
    database, layout = _combined()
    scratch, leetspeak_scratch = _scratches()
    data = text.encode("utf-8", "surrogatepass")
    found: list[tuple[int, int]] = []
    database.scan(data, match_event_handler=_collect, context=found, scratch=scratch)
    triggers: list[int] = []
    openings: list[int] = []
    harmful: list[int] = []
    marked = reply_shaping = markup = False
    opening, reply, first_harmful = layout.opening, layout.reply, layout.harmful
    for pattern_id, end in found:
        if pattern_id >= first_harmful:
            harmful.append(end)
        elif pattern_id < opening:
            triggers.append(end)
        elif pattern_id == opening:
            if len(openings) < injection_embedded.MAX_CANDIDATES:
                openings.append(end)
        elif pattern_id == reply:
            reply_shaping = True
        elif pattern_id > reply:
            markup = True
        else:
            marked = True
    ascii_text = len(data) == len(text)
    return TextScan(
        text,
        _hits_from(text, data, triggers, leetspeak_scratch) if ascii_text else trigger_hits(text),
        openings,
        marked,
        reply_shaping if ascii_text else None,
        harmful if layout.harmful_model is not None else None,
        layout.harmful_model,
        markup,
    )


def _hits_from(text: str, data: bytes, ends: list[int], leetspeak_scratch: hyperscan.Scratch) -> list[int]:
    """`trigger_hits(text)` of an ASCII text from the trigger matches of the combined pass.

    Exact: on ASCII text `folded` is the text itself and the patterns are caseless, so these are the matches
    of `_scan`, unless it stopped at MAX_HITS (then its leetspeak flag depends on the match order: ask it).
    """
    if len(ends) >= MAX_HITS:
        return trigger_hits(text)
    leetspeak: list[tuple[int, int]] = []
    _leetspeak_database().scan(
        data, match_event_handler=_collect, context=leetspeak, scratch=leetspeak_scratch
    )
    if not leetspeak:
        return sorted(ends)
    return sorted(set(ends) | set(_scan(normalized(text))[0]))
