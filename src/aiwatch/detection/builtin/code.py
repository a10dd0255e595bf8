"""Language-agnostic detectors for pasted program code (`code.source`) and configuration (`code.config`).

Both look at lines, not tokens: a block of lines that mostly look like code (statement terminators, braces,
keywords of common languages, assignments, indentation) is code; a fenced ``` block is code when its content
is. Cheap substring checks skip ordinary prose before any per-line work happens.
"""

from __future__ import annotations

import re

from aiwatch.detection.types import Detection
from aiwatch.domain import Sensitivity, Severity

_FENCE = re.compile(r"^[ \t]*(```|~~~)[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S)
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


class SourceCodeDetector:
    name = "code_source"

    def detect(self, text: str, sensitivity: Sensitivity) -> list[Detection]:
        if not any(hint in text for hint in _CODE_HINTS):
            return []
        found: list[Detection] = []
        covered: list[tuple[int, int]] = []
        fences = _FENCE.finditer(text) if "```" in text or "~~~" in text else ()
        for fence in fences:
            body = fence.group(3)
            language = fence.group(2).lower()
            lines = [line for line in body.splitlines() if line.strip()]
            code_lines = sum(1 for line in lines if _is_code_line(line))
            if not lines or (
                code_lines / len(lines) < 0.4 and language in ("", "text", "txt", "markdown", "md")
            ):
                continue
            score = 0.9 if code_lines >= 2 or language else 0.6
            found.append(_detection("code.source", fence.start(3), fence.end(3), score, language or "code"))
            covered.append(fence.span())
        minimum = 4 if sensitivity is Sensitivity.BALANCED else 3
        if sum(text.count(marker) for marker in _BLOCK_MARKERS) < minimum:
            return (
                found  # too few code-looking line ends or indents for an unfenced block: skip the line pass
            )
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
            r"^\s*(?:resource|provider|variable|module|output|data|terraform)\s+(?:\"[\w.-]+\"\s*)+\{"
        ),
        1,
    ),
    (
        "ci",
        re.compile(
            r"^(?:on:|jobs:|stages:|steps:|\s+runs-on:|\s+- uses:\s*\S+|\s+script:|pipeline:|"
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


class ConfigDetector:
    name = "code_config"

    def detect(self, text: str, sensitivity: Sensitivity) -> list[Detection]:
        if "\n" not in text:
            return []
        found = []
        factor = 1 if sensitivity is Sensitivity.BALANCED else 0.7
        starts: list[int] | None = None  # line starts, found once for all kinds
        for kind, _typical, needed in _CONFIG_KINDS:
            if not any(marker in text for marker in _CONFIG_MARKERS[kind]):
                continue
            if starts is None:
                starts = _line_starts(text)
            hits = [m for m in _line_matches(_LINE_PATTERNS[kind], text, starts) if m.end() - m.start() < 500]
            if len(hits) < max(1, round(needed * factor)):
                continue
            if kind == "yaml" and not _yaml_nested(text, hits):
                continue
            if kind == "ini" and len(_INI_ASSIGNMENT.findall(text)) < 2:
                continue
            first, last = hits[0], hits[-1]
            start = first.start() + len(first.group(0)) - len(first.group(0).lstrip())
            end = last.start() + len(last.group(0).rstrip("\r\n"))
            score = min(0.95, 0.6 + 0.05 * len(hits))
            found.append(_detection("code.config", start, end, score, kind))
        return found


def _line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


def _line_matches(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[re.Match[str]]:
    """``list(pattern.finditer(text))`` for a MULTILINE pattern that starts with ``^`` and never matches the
    empty string: tried only at line starts (re itself would try every position of the text)."""
    found: list[re.Match[str]] = []
    resume = 0  # finditer continues after the previous match, which may have run over several lines
    match = pattern.match
    for start in starts:
        if start < resume:
            continue
        hit = match(text, start)
        if hit is not None:
            found.append(hit)
            resume = hit.end()
    return found


def _yaml_nested(text: str, hits: list[re.Match[str]]) -> bool:
    """Plain "Name: value" lines are common in prose (emails, forms); config YAML nests."""
    indented = sum(1 for m in hits if text[m.start() : m.start() + 1] in (" ", "\t"))
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
