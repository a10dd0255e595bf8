"""Language-agnostic detectors for pasted program code (`code.source`) and configuration (`code.config`).

Both look at lines, not tokens: a block of lines that mostly look like code (statement terminators, braces,
keywords of common languages, assignments, indentation) is code; a fenced ``` block is code when its content
is. Only lines that can be code are tested (one compiled pattern over the text finds them), and cheap
substring checks skip ordinary prose and logs before any per-line work happens.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from aiwatch.detection.types import Detection
from aiwatch.domain import Sensitivity, Severity

_FENCE = re.compile(r"^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S)
# Its opening and closing lines, on their own (see `_fences`).
_FENCE_OPENING = re.compile(r"[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n")
_FENCE_OPENING_AFTER_NEWLINE = re.compile(r"\n" + _FENCE_OPENING.pattern)
_FENCE_CLOSING = {mark: re.compile(r"[ \t]*" + mark + r"[ \t]*$", re.M) for mark in ("```", "~~~")}
_FENCE_CLOSING_AFTER_NEWLINE = {
    mark: re.compile(r"\n" + c.pattern, re.M) for mark, c in _FENCE_CLOSING.items()
}
_CODE_LINE = re.compile(
    r"""(?x)
      [;{}][ \t]*(?://.*)?$                                   # statement ends / blocks
    | ^[ \t]*(?:def|class|import|from\s+[\w.]+\s+import|return|if\s*\(|for\s*\(|while\s*\(|elif|else:|try:
       |except
       |function|const|let|var|public|private|protected|static|package|func|fn|impl|struct|enum|interface|using
       |namespace|\#include|\#define|async\s+def|await|SELECT|INSERT|UPDATE|DELETE|CREATE\s+TABLE|echo|export)\b
    | ^[ \t]*(?:@\w+|\w+(?:\.\w+)*\s*\(.*\)\s*;?\s*$)            # decorators, calls
    | ^[ \t]*[\w.\[\]"']+\s*(?:[+\-*/%]?=|:=|<-)\s*\S.*$        # assignments
    | (?:=>|->|::|&&|\|\||!=|==|\+\+|\+=)
    | ^[ \t]*(?://|/\*|\*/|\#\s|--\s)                          # comments
    """
)
# The same test split by where it can match (no MULTILINE: `^` is only the start of the line), so each half
# runs fast: the anchored alternatives are tried once at the line start with match(), the unanchored ones
# start with a known character, which lets `re` skip to candidates instead of trying every alternative at
# every position. `_CODE_LINE.search(line)` is true exactly when one of the two matches (tests check it).
_CODE_LINE_AT_START = re.compile(
    r"""(?x)
      [ \t]*(?:def|class|import|from\s+[\w.]+\s+import|return|if\s*\(|for\s*\(|while\s*\(|elif|else:|try:
       |except
       |function|const|let|var|public|private|protected|static|package|func|fn|impl|struct|enum|interface|using
       |namespace|\#include|\#define|async\s+def|await|SELECT|INSERT|UPDATE|DELETE|CREATE\s+TABLE|echo|export)\b
    | [ \t]*(?:@\w+|\w+(?:\.\w+)*\s*\(.*\)\s*;?\s*$)
    | [ \t]*[\w.\[\]"']+\s*(?:[+\-*/%]?=|:=|<-)\s*\S.*$
    | [ \t]*(?://|/\*|\*/|\#\s|--\s)
    """
)
_CODE_LINE_ANYWHERE = re.compile(r"[;{}][ \t]*(?://.*)?$|=>|->|::|&&|\|\||!=|==|\+\+|\+=")
# `_CODE_LINE_AT_START` for a pass over the whole text: tried after each newline of "\n" + text, it matches
# exactly at the starts of the lines that one matches (tests check it). Every `\s` is kept inside its line
# (a line holds no newline, so on a line it matches the same characters); the keywords are tried only after
# a first-letter check; runs followed by a character they cannot hold do not backtrack (possessive); each
# alternative stops where the rest can no longer fail. A pattern that begins with a literal lets `re` jump
# from newline to newline instead of trying every position.
_CODE_LINE_START_AFTER_NEWLINE = re.compile(
    r"""(?x)
    \n(?=[ \t]*+(?:
      (?=[acdefilnprstuvw\#SIUDC])
      (?:def|class|import|from[^\S\n]+[\w.]+[^\S\n]+import|return|if[^\S\n]*\(|for[^\S\n]*\(|while[^\S\n]*\(|elif
       |else:|try:|except|function|const|let|var|public|private|protected|static|package|func|fn|impl|struct
       |enum|interface|using|namespace|\#include|\#define|async[^\S\n]+def|await|SELECT|INSERT|UPDATE|DELETE
       |CREATE[^\S\n]+TABLE|echo|export)\b
    | @\w
    | \w++(?:\.\w++)*+[^\S\n]*+\(.*\)[^\S\n]*;?[^\S\n]*$
    | [\w.\[\]"']++[^\S\n]*+(?:[+\-*/%]?=|:=|<-)[^\S\n]*\S
    | //|/\*|\*/|\#[^\S\n]|--[^\S\n]
    ))""",
    re.M,
)
# The first alternative of `_CODE_LINE_ANYWHERE`, tried where one of its characters occurs.
_STATEMENT_END = re.compile(r"[;{}][ \t]*(?://.*)?$", re.M)
# Every `_CODE_LINE_ANYWHERE` match starts with one of these literals (the first three only where
# `_STATEMENT_END` matches); each is looked for only when its character that is rare in prose and logs occurs
# at all (a one-character `in` is a memchr).
_ANYWHERE_LITERALS = (";", "{", "}", "=>", "->", "::", "&&", "||", "!=", "==", "++", "+=")
# str.splitlines() also breaks lines at these; texts with any take the plain per-line pass.
_OTHER_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_NEWLINE_THEN_NON_BLANK = re.compile(r"\n[^\S\n]*\S")  # a line (after its newline) that is not blank
# Cheap necessary signs of an unfenced code block (statement ends, block ends, indentation, calls).
_BLOCK_MARKERS = (";\n", "{\n", "}\n", ":\n", "\n    ", "\n\t", ")\n", "();")
_PROSE_HINT = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+ [a-z]+ [a-z]+[,.]?(?: |$)")
_CODE_HINTS = (
    "{",
    ";",
    "def ",
    "import ",
    "()",
    "=>",
    "```",
    "~~~",
    "function",
    "#include",
    "SELECT ",
    " = ",
)
_RARE_CHARACTERS = '`~#&|!{};>\t+"()[=:'  # in prose and logs, rarest first


def _gated(literals: tuple[str, ...]) -> tuple[tuple[str | None, str], ...]:
    """Each literal with its rarest character to look for first (None when it has no rare one)."""
    return tuple(
        (
            min((c for c in literal if c in _RARE_CHARACTERS), key=_RARE_CHARACTERS.index, default=None),
            literal,
        )
        for literal in literals
    )


_GATED_CODE_HINTS = _gated(_CODE_HINTS)
_GATED_BLOCK_MARKERS = _gated(_BLOCK_MARKERS)
_GATED_ANYWHERE_LITERALS = _gated(_ANYWHERE_LITERALS)
_LITERAL_PATTERNS = {
    literal: re.compile(re.escape(literal)) for literal in _ANYWHERE_LITERALS + _BLOCK_MARKERS
}


class SourceCodeDetector:
    name = "code_source"

    def detect(self, text: str, sensitivity: Sensitivity) -> list[Detection]:
        minimum = 4 if sensitivity is Sensitivity.BALANCED else 3
        fences = _fences(text)
        enough_markers = _enough_block_markers(text, minimum)
        if not fences and not enough_markers:
            return []  # no fence, and too few code-looking line ends or indents for a block
        if any(line_break in text for line_break in _OTHER_LINE_BREAKS):
            return _detect_line_by_line(text, fences, minimum)
        lines = _CodeLines(text)
        found: list[Detection] = []
        covered: list[tuple[int, int]] = []
        for fence_start, fence_end, language, body_start, body_end in fences:
            non_blank = lines.non_blank_count(body_start, body_end)
            code_lines = lines.code_count(body_start, body_end)
            if not non_blank or (
                code_lines / non_blank < 0.4 and language in ("", "text", "txt", "markdown", "md")
            ):
                continue
            score = 0.9 if code_lines >= 2 or language else 0.6
            found.append(_detection("code.source", body_start, body_end, score, language or "code"))
            covered.append((fence_start, fence_end))
        if enough_markers:
            for start, end, code_lines in lines.blocks(minimum):
                if any(s <= start < e for s, e in covered):
                    continue
                score = min(0.95, 0.5 + 0.05 * code_lines)
                found.append(_detection("code.source", start, end, score, "code"))
        # A text without any hint of code has no code: asked last, as most texts have found nothing by then.
        return found if found and _has_code_hint(text) else []


def _has_code_hint(text: str) -> bool:
    """``any(hint in text for hint in _CODE_HINTS)``, looking for a hint only when its rare character occurs
    (a one-character ``in`` is a memchr; a longer one compares along the whole text)."""
    return any((gate is None or gate in text) and hint in text for gate, hint in _GATED_CODE_HINTS)


def _enough_block_markers(text: str, minimum: int) -> bool:
    """``sum(text.count(marker) for marker in _BLOCK_MARKERS) >= minimum``, stopping as soon as it is, and
    counting a marker only when a rare character of it occurs (with `re`, which counts these short literals
    faster than str.count)."""
    count = 0
    for gate, marker in _GATED_BLOCK_MARKERS:
        if gate is None or gate in text:
            count += len(_LITERAL_PATTERNS[marker].findall(text))
            if count >= minimum:
                return True
    return False


def _fences(text: str) -> list[tuple[int, int, str, int, int]]:
    """(start, end, language, body start, body end) of each ``_FENCE.finditer(text)`` match.

    ``_FENCE`` tried at every line start, its lazy body tried at every character; here an opening line is
    looked for, then the first closing line after it. That is the same match: its parts before the body do
    not backtrack (each is followed by a character it cannot hold), so an opening line either has its first
    closing line or no match at all, and the search goes on at the next line (tests compare both)."""
    if not ("`" in text and "```" in text) and not ("~" in text and "~~~" in text):
        return []
    found = []
    opening, start = _FENCE_OPENING.match(text), 0  # the text start is a line start
    position = 0
    # Per mark, a position after which no closing line exists: a later search from further on cannot find
    # one either, so thousands of unclosed openings cost one search each, not a search to the end each.
    unclosed_from = {mark: len(text) + 1 for mark in _FENCE_CLOSING}
    while True:
        if opening is None:
            opening = _FENCE_OPENING_AFTER_NEWLINE.search(text, position)
            if opening is None:
                return found
            start = opening.start() + 1
        mark, body_start = opening.group(1), opening.end()
        closing = _FENCE_CLOSING[mark].match(text, body_start)
        if closing is not None:
            body_end = body_start
        else:
            closing = None
            if body_start < unclosed_from[mark]:
                closing = _FENCE_CLOSING_AFTER_NEWLINE[mark].search(text, body_start)
                if closing is None:
                    unclosed_from[mark] = body_start
            if closing is None:  # no closing line: try the next line
                opening, position = None, body_start - 1
                continue
            body_end = closing.start() + 1
        found.append((start, closing.end(), opening.group(2).lower(), body_start, body_end))
        opening, position = None, closing.end()


class _CodeLines:
    """Which lines of a text are code (``_is_code_line``), found once for the fences and the block pass.

    Only for texts whose sole line break is the newline (what the compiled line patterns assume). The lines
    where ``_CODE_LINE_AT_START`` or ``_CODE_LINE_ANYWHERE`` match are found over the whole text, each of them
    is then code unless it is too long or reads as prose (tests compare it with ``_is_code_line``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._spans: list[tuple[int, int]] | None = None
        self._starts: list[int] = []

    @property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) of each code line, in order; end is at its newline or the end of the text."""
        if self._spans is None:
            text = self.text
            spans = []
            for start in sorted(_code_pattern_line_starts(text)):
                end = text.find("\n", start)
                if end < 0:
                    end = len(text)
                if end - start > 400:
                    continue
                line = text[start:end]
                if line.lstrip().count(" ") < 4:  # prose has 4 spaces between words: none of them indents
                    spans.append((start, end))
                    continue
                if "/" in line or "#" in line:
                    line = line.split("//")[0].split("#")[0]
                if not _PROSE_HINT.search(line[:200]):
                    spans.append((start, end))
            self._spans = spans
            self._starts = [start for start, _ in spans]
        return self._spans

    def code_count(self, start: int, end: int) -> int:
        """Code lines that start in [start, end)."""
        self.spans  # noqa: B018 - computes the starts
        return bisect_left(self._starts, end) - bisect_left(self._starts, start)

    def non_blank_count(self, start: int, end: int) -> int:
        """Lines with a non-space character that start in [start, end), both line starts, start after a
        newline."""
        return len(_NEWLINE_THEN_NON_BLANK.findall(self.text, start - 1, end - 1)) if end > start else 0

    def blocks(self, minimum: int) -> list[tuple[int, int, int]]:
        """``_code_blocks(text, minimum)``: only the lines between two code lines matter (the ones after the
        last code line of a run can only end it), and of those only how many are not blank."""
        blocks = []
        run_start = previous_end = -1
        code_lines = other_lines = 0
        non_blank_line = _NEWLINE_THEN_NON_BLANK.search
        for start, end in self.spans:
            if run_start >= 0:
                if start > previous_end + 1:  # count the non-blank lines between, as far as the run can take
                    room = max(1, code_lines // 3) - other_lines
                    position = previous_end
                    while room >= 0 and (hit := non_blank_line(self.text, position, start - 1)) is not None:
                        other_lines, room, position = other_lines + 1, room - 1, hit.end()
                if other_lines > max(1, code_lines // 3):
                    if code_lines >= minimum:
                        blocks.append((run_start, previous_end, code_lines))
                    run_start = -1
            if run_start < 0:
                run_start, code_lines, other_lines = start, 0, 0
            code_lines += 1
            previous_end = end
        if run_start >= 0 and code_lines >= minimum:
            blocks.append((run_start, previous_end, code_lines))
        return blocks


def _code_pattern_line_starts(text: str) -> set[int]:
    """Starts of the lines where ``_CODE_LINE_AT_START`` or ``_CODE_LINE_ANYWHERE`` matches (the newline is
    the only line break)."""
    starts = {match.start() for match in _CODE_LINE_START_AFTER_NEWLINE.finditer("\n" + text)}
    for gate, literal in _GATED_ANYWHERE_LITERALS:
        if gate not in text:
            continue
        if literal in ";{}":
            position = text.find(literal)
            while position >= 0:
                if _STATEMENT_END.match(text, position) is None:
                    position = text.find(literal, position + 1)
                    continue
                starts.add(text.rfind("\n", 0, position) + 1)
                line_end = text.find("\n", position)
                if line_end < 0:
                    break
                position = text.find(literal, line_end)
        else:  # `re` finds a two-character literal faster than str.find
            search = _LITERAL_PATTERNS[literal].search
            hit = search(text)
            while hit is not None:
                position = hit.start()
                starts.add(text.rfind("\n", 0, position) + 1)
                line_end = text.find("\n", position)
                if line_end < 0:
                    break
                hit = search(text, line_end)
    return starts


def _detect_line_by_line(
    text: str, fences: list[tuple[int, int, str, int, int]], minimum: int
) -> list[Detection]:
    """The detector for texts with line breaks besides a newline (str.splitlines() knows several)."""
    if not any(hint in text for hint in _CODE_HINTS):
        return []
    found: list[Detection] = []
    covered: list[tuple[int, int]] = []
    for fence_start, fence_end, language, body_start, body_end in fences:
        lines = [line for line in text[body_start:body_end].splitlines() if line.strip()]
        code_lines = sum(1 for line in lines if _is_code_line(line))
        if not lines or (code_lines / len(lines) < 0.4 and language in ("", "text", "txt", "markdown", "md")):
            continue
        score = 0.9 if code_lines >= 2 or language else 0.6
        found.append(_detection("code.source", body_start, body_end, score, language or "code"))
        covered.append((fence_start, fence_end))
    if sum(text.count(marker) for marker in _BLOCK_MARKERS) < minimum:
        return found
    for start, end, code_lines in _code_blocks(text, minimum):
        if any(s <= start < e for s, e in covered):
            continue
        score = min(0.95, 0.5 + 0.05 * code_lines)
        found.append(_detection("code.source", start, end, score, "code"))
    return found


def _is_code_line(line: str) -> bool:
    if len(line) > 400:
        return False
    if _CODE_LINE_AT_START.match(line) is None and _CODE_LINE_ANYWHERE.search(line) is None:
        return False
    return not _PROSE_HINT.search(line.split("//")[0].split("#")[0][:200])


def _code_blocks(text: str, minimum: int) -> list[tuple[int, int, int]]:
    """Runs of lines that are mostly code: (start, end, code line count)."""
    blocks = []
    run_start = run_end = -1
    code_lines = other_lines = 0
    position = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        line_start, position = position, position + len(line)
        if not stripped:
            continue
        if _is_code_line(line.rstrip("\r\n")):
            if run_start < 0:
                run_start, code_lines, other_lines = line_start, 0, 0
            code_lines += 1
            run_end = line_start + len(line.rstrip("\r\n"))
        elif run_start >= 0:
            other_lines += 1
            if other_lines > max(1, code_lines // 3):
                if code_lines >= minimum:
                    blocks.append((run_start, run_end, code_lines))
                run_start = -1
    if run_start >= 0 and code_lines >= minimum:
        blocks.append((run_start, run_end, code_lines))
    return blocks


_CONFIG_KINDS: list[tuple[str, re.Pattern[str], int]] = [
    # (kind, a line that is typical of it, how many such lines make a block)
    ("env", re.compile(r"^[ \t]*(?:export[ \t]+)?[A-Z][A-Z0-9_]{2,}=\S*[ \t]*$"), 3),
    (
        "kubernetes",
        re.compile(
            r"^(?:apiVersion:\s*\S+|kind:\s*(?:Deployment|Service|Pod|ConfigMap|Secret|Ingress|"
            r"StatefulSet|DaemonSet|Job|CronJob|Namespace|Role|ClusterRole\w*|ServiceAccount))\s*$"
        ),
        2,
    ),
    (
        "dockerfile",
        re.compile(
            r"^(?:FROM\s+[\w./:@-]+(?:\s+AS\s+\w+)?|RUN\s+\S|COPY\s+\S|ENTRYPOINT\s+\[|CMD\s+\[|"
            r"WORKDIR\s+/|EXPOSE\s+\d+|ENV\s+[A-Z_]+[= ])",
            re.I,
        ),
        3,
    ),
    (
        "terraform",
        re.compile(
            r"^[^\S\n]*(?:resource|provider|variable|module|output|data|terraform)\s+(?:\"[\w.-]+\"\s*)+\{"
        ),
        1,
    ),
    (
        "ci",
        re.compile(
            r"^(?:on:|jobs:|stages:|steps:|[^\S\n]+runs-on:|[^\S\n]+- uses:\s*\S+|[^\S\n]+script:|pipeline:|"
            r"workflow_dispatch:|image:\s*\S+)\s*\S*$"
        ),
        3,
    ),
    ("ini", re.compile(r"^\[[\w .:-]+\]\s*$"), 2),
    (
        "yaml",
        re.compile(
            r"^(?:[ \t]*[\w.-]+:[ \t]+(?:[\w\"'${}./:@-][^\n]*)?|[ \t]*[\w.-]+:[ \t]*|[ \t]+- [\w\"'].*)$"
        ),
        6,
    ),
]
# A kind is only tried when its cheap marker occurs in the text (most texts have none).
_CONFIG_MARKERS = {
    "env": ("=",),
    "kubernetes": ("apiVersion:",),
    "dockerfile": ("FROM ", "from "),
    "terraform": ('" {', '"{'),
    "ci": ("jobs:", "stages:", "steps:", "pipeline:", "script:"),
    "ini": ("[",),
    "yaml": (":\n", ": "),
}
_GATED_CONFIG_MARKERS = {kind: _gated(markers) for kind, markers in _CONFIG_MARKERS.items()}
_LINE_PATTERNS = {
    # The per-line patterns, run once over the whole text: `^` is any line start; a pattern that had to
    # match the whole line still does (up to an optional CR), the others match a line prefix.
    kind: re.compile(
        typical.pattern.removesuffix("$") + (r"[ \t]*\r?$" if typical.pattern.endswith("$") else ""),
        typical.flags | re.MULTILINE,
    )
    for kind, typical, _ in _CONFIG_KINDS
}
_INI_ASSIGNMENT = re.compile(r"^\s*[\w.-]+\s*[=:]\s*\S", re.MULTILINE)


# Rewrites of the line patterns for the scan, each matching the same lines in the same order of tries
# (tests compare them with finditer), so that lines of other kinds fail at once instead of after trying
# every shorter run of spaces or of key characters:
# - a run that is followed by a character it cannot hold never gives a character back: possessive;
# - the two YAML "key:" alternatives share that key: matched once;
# - every Dockerfile instruction starts with a letter (in any case, as the pattern ignores case), every CI
#   line with one of a few letters or a space.
_SCAN_REWRITES = {
    "env": ((r"^[ \t]*(?:export[ \t]+)?", r"^[ \t]*+(?:export[ \t]++)?"),),
    "dockerfile": ((r"^(?:FROM", r"^(?=[a-z])(?:FROM"),),
    "terraform": ((r"^[^\S\n]*(?:resource", r"^[^\S\n]*+(?:resource"),),
    "ci": (
        (r"^(?:on:", r"^(?=[ojspwi\s])(?:on:"),
        (r"|[^\S\n]+runs-on:|[^\S\n]+- uses:", r"|[^\S\n]++runs-on:|[^\S\n]++- uses:"),
        (r"|[^\S\n]+script:", r"|[^\S\n]++script:"),
    ),
    "yaml": (
        (
            r"^(?:[ \t]*[\w.-]+:[ \t]+(?:[\w\"'${}./:@-][^\n]*)?|[ \t]*[\w.-]+:[ \t]*|",
            r"^(?:[ \t]*+[\w.-]++:(?:[ \t]+(?:[\w\"'${}./:@-][^\n]*)?|[ \t]*)|",
        ),
    ),
}


def _after_newline(pattern: re.Pattern[str], rewrites: tuple[tuple[str, str], ...] = ()) -> re.Pattern[str]:
    """A line-start pattern with a newline for its ``^``: it begins with a literal, so `re` looks for it by
    jumping from newline to newline, where the pattern itself is tried at every position of the text."""
    source = pattern.pattern
    for old, new in rewrites:
        assert old in source, old  # a rewrite that no longer applies must not pass silently
        source = source.replace(old, new)
    return re.compile("\n(?:" + source.removeprefix("^") + ")", pattern.flags)


_LINE_PATTERNS_AFTER_NEWLINE = {
    kind: _after_newline(pattern, _SCAN_REWRITES.get(kind, ())) for kind, pattern in _LINE_PATTERNS.items()
}
# Kinds whose markers take longer to look for (several, or none with a rare character) than their line scan,
# which seldom finds enough lines: scanned first (unless no marker can occur), the markers asked after.
_SCAN_BEFORE_MARKERS = frozenset({"dockerfile", "terraform", "ci"})
_INI_ASSIGNMENT_AFTER_NEWLINE = _after_newline(_INI_ASSIGNMENT)
# Every line of these kinds starts like this (their patterns begin so; tests check it): one scan tells most
# texts (prose, logs) that none of them has a line, instead of a scan or marker search per kind.
_RARE_KINDS = frozenset({"kubernetes", "dockerfile", "ci"})
_RARE_KIND_LINE_START = re.compile(
    r"\n(?:apiVersion:|kind:|(?i:FROM|RUN|COPY|ENTRYPOINT|CMD|WORKDIR|EXPOSE|ENV)\s"
    r"|on:|jobs:|stages:|steps:|pipeline:|workflow_dispatch:|image:|[^\S\n]+(?:runs-on:|- uses:|script:))"
)
# Any line of a YAML hit that `_yaml_nested` counts as indented matches this (after its newline), so fewer
# than 3 matches mean the YAML kind cannot be nested; only lines that start with a space or tab are tried.
_INDENTED_YAML_LINE = re.compile(r"\n[ \t]++(?:[\w.-]++:(?:[ \t]|\r?$)|- [\w\"'])", re.M)


class ConfigDetector:
    name = "code_config"

    def detect(self, text: str, sensitivity: Sensitivity) -> list[Detection]:
        if "\n" not in text:
            return []
        found = []
        balanced = sensitivity is Sensitivity.BALANCED
        lines = "\n" + text  # every line start follows a newline, the first one too (see _line_matches)
        rare_kind_line: bool | None = None  # whether a line starts like one of _RARE_KINDS, found once
        for kind, scan_first, markers, after_newline, needed_balanced, needed_high in _CONFIG_PLANS:
            if kind in _RARE_KINDS:
                if rare_kind_line is None:
                    rare_kind_line = _RARE_KIND_LINE_START.search(lines) is not None
                if not rare_kind_line:
                    continue
            if scan_first:
                if not _may_have_marker(text, markers):
                    continue
            elif not _has_marker(text, markers):
                continue
            if kind == "yaml" and len(_INDENTED_YAML_LINE.findall(lines)) < 3:
                continue  # fewer than 3 indented lines that could be YAML: not nested (see _yaml_nested)
            hits = [(start, end) for start, end in _line_matches(after_newline, lines) if end - start < 500]
            if len(hits) < (needed_balanced if balanced else needed_high):
                continue
            if scan_first and not _has_marker(text, markers):
                continue
            if kind == "yaml" and not _yaml_nested(text, hits):
                continue
            if kind == "ini" and len(_line_matches(_INI_ASSIGNMENT_AFTER_NEWLINE, lines)) < 2:
                continue
            first, last = hits[0], hits[-1]
            first_text = text[first[0] : first[1]]
            start = first[0] + len(first_text) - len(first_text.lstrip())
            end = last[0] + len(text[last[0] : last[1]].rstrip("\r\n"))
            score = min(0.95, 0.6 + 0.05 * len(hits))
            found.append(_detection("code.config", start, end, score, kind))
        return found


# Per kind, in order: (kind, scan first, gated markers, line scan, lines needed at balanced, at high).
_CONFIG_PLANS = [
    (
        kind,
        kind in _SCAN_BEFORE_MARKERS,
        _GATED_CONFIG_MARKERS[kind],
        _LINE_PATTERNS_AFTER_NEWLINE[kind],
        max(1, needed),
        max(1, round(needed * 0.7)),
    )
    for kind, _typical, needed in _CONFIG_KINDS
]


def _may_have_marker(text: str, markers: tuple[tuple[str | None, str], ...]) -> bool:
    """False when no marker can occur: each lacks its rare character (memchr checks only)."""
    for gate, _ in markers:  # noqa: SIM110 - a loop costs less than a generator on every text
        if gate is None or gate in text:
            return True
    return False


def _has_marker(text: str, markers: tuple[tuple[str | None, str], ...]) -> bool:
    """``any(marker in text for _, marker in markers)``, each looked for only when its rare character
    occurs."""
    for gate, marker in markers:  # noqa: SIM110 - a loop costs less than a generator on every text
        if (gate is None or gate in text) and marker in text:
            return True
    return False


def _line_matches(after_newline: re.Pattern[str], lines: str) -> list[tuple[int, int]]:
    """Spans in ``text`` of ``pattern.finditer(text)``, for a MULTILINE pattern that starts with ``^`` and
    never matches the empty string, ``after_newline`` being ``_after_newline(pattern)`` and ``lines`` being
    "\\n" + text. A match starts at a line start, which follows a newline in ``lines``: at offset p of text
    there, the newline before it at offset p of ``lines`` (tests compare both)."""
    spans: list[tuple[int, int]] = []
    position = 0  # finditer goes on after the previous match, which may have run over several lines
    search = after_newline.search
    while (hit := search(lines, position)) is not None:
        position = hit.end() - 1
        spans.append((hit.start(), position))
    return spans


def _yaml_nested(text: str, hits: list[tuple[int, int]]) -> bool:
    """Plain "Name: value" lines are common in prose (emails, forms); config YAML nests."""
    indented = sum(1 for start, _ in hits if text[start : start + 1] in (" ", "\t"))
    return indented >= 3 and indented / len(hits) >= 0.3


def _detection(rule: str, start: int, end: int, score: float, kind: str) -> Detection:
    return Detection(
        rule=rule,
        start=start,
        end=end,
        score=score,
        severity=Severity.MEDIUM,  # the engine replaces it with the catalog's severity
        evidence=f"{kind} block ({end - start} chars)",
        detector_version="builtin-1",
        details={"kind": kind},
    )
