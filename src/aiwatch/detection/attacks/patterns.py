"""High-precision phrase rules for the AI-attack rules, run on `features.normalize`d text.

Each rule id maps to regexes whose match is strong evidence on its own. They complement the linear model:
rules give precise spans and catch short phrasings; the model generalises to paraphrases. `DISCUSSION`
marks texts that talk ABOUT attacks (questions, definitions, defences) so quoted attack phrases in them
only count at high sensitivity.
"""

from __future__ import annotations

import re

_W = r"[^.\n?!]{0,%d}?"  # a few words within one sentence

_TARGETS = (
    r"(?:instructions?|prompts?|rules?|directives?|guidelines?|commands?|constraints?|orders?|programming|"
    r"guardrails?|restrictions?|polic(?:y|ies)|filters?|safeguards?|system messages?|context|training)"
)

INJECTION = [
    re.compile(
        # "don't forget to state your order number" is a reminder, not an override
        r"\b(?:ignore|disregard|(?<!don't )(?<!do not )(?<!never )forget|skip|override|bypass|neglect|"
        r"abandon|discard|overrule)\b"
        + (_W % 40)
        + r"\b(?:previous|prior|above|earlier|preceding|all|any|your|initial|original|system|those|these|"
        r"every|the developer'?s?|openai'?s?|other)\b" + (_W % 30) + rf"\b{_TARGETS}\b"
    ),
    re.compile(
        r"\b(?:do not|don't|never)\s+(?:follow|obey|listen to|adhere to)\s+(?:your|the|any|previous|prior)"
        + (_W % 20)
        + rf"\b{_TARGETS}\b"
    ),
    re.compile(
        r"\b(?:new|updated|real|actual|revised"
        r"|overriding)\s+(?:system\s+)?(?:instructions?|rules|directives?)\s*:"
    ),
    re.compile(r"<\|(?:im_start|im_end|endoftext|system|eot_id|start_header_id|end_header_id)\|>"),
    re.compile(r"\[/?inst\]|<<\s*/?sys\s*>>|\[/?system\]|\(system override\)"),
    re.compile(
        r"\b(?:admin|administrator|developer|system|root|god"
        r"|sudo)\s+(?:override|mode activated)\b|\bgod mode\b"
    ),
    re.compile(
        r"\b(?:disable|deactivate|turn off|remove|switch off)\s+(?:all\s+"
        r"|your\s+|the\s+)?(?:safety|content)?\s*"
        r"(?:filters?|guardrails?|safeguards?|safety(?: checks| protocols"
        r"| features)?|moderation|protections?|"
        r"restrictions|censorship)\b"
    ),
    re.compile(r"\bsafety\s*[:=]\s*(?:off|false|disabled|none|0)\b"),
    re.compile(
        r"\byour (?:new|real|true|only) (?:task|job|goal|purpose|instructions?"
        r"|objective) (?:is|are|will be)\b"
    ),
]

# Only inside content the user did not type (files, tool output, web results): text addressed to the AI.
INDIRECT_INJECTION = [
    re.compile(
        r"\b(?:if you are|attention|note to|message to|instructions? for|dear)\s+(?:an?\s+|the\s+)?(?:ai|llm|"
        r"assistant|chatbot|language model|gpt|chatgpt|copilot|agent|bot)\b"
    ),
    re.compile(
        r"\b(?:ai|llm|assistant|chatbot|language model|model|agent)s?\s+(?:reading|processing|summari[sz]ing|"
        r"analy[sz]ing)\s+this\b"
    ),
    re.compile(
        r"\b(?:add|include|insert|append|integrate|inject|embed|modify|enhance|augment|change|alter|rewrite|"
        r"render|incorporate|meld|fuse|blend|weave|merge)\b"
        + (_W % 60)
        + r"\b(?:in|into|to|within|of|with)\s+(?:your|the)\s+(?:response|reply|answer|output|summary|code|"
        r"solution|implementation|codebase)\b"
    ),
    re.compile(
        r"\bwhen (?:summari[sz]ing|processing|reading|answering)\b"
        + (_W % 40)
        + r"\b(?:you must|always|instead)\b"
    ),
]

# Weaker indirect evidence (only counts at high sensitivity): a document telling its reader how to shape
# "your reply", or pushing a code block into "your" work. Legitimate emails and answers do this too.
INDIRECT_INJECTION_WEAK = [
    re.compile(
        r"\b(?:in|into|to|within|enhance|augment|modify|format|start|begin|end|convert)\s+your\s+"
        r"(?:response|reply|answer|output)s?\b"
    ),
    re.compile(r"\b(?:the\s+)?(?:following|subsequent|below)\s+code\s+(?:block|snippet|excerpt|section)\b"),
]

JAILBREAK = [
    re.compile(
        r"\bdo anything now\b|\bdan mode\b|\b(?:better|anti)-?dan\b"
        r"|\bstan\b[^\n]{0,40}\bstrive to avoid norms\b"
    ),
    re.compile(r"\bdeveloper mode\b" + (_W % 40) + r"\b(?:enabled|enable|activated|output|on)\b"),
    re.compile(
        r"\b(?:jailbreak|jailbroken)\b\s*(?:mode|version|enabled|activated|\])|\[\s*(?:🔓\s*)?jailbreak\s*\]"
    ),
    re.compile(
        r"\b(?:you are|you're|act as|pretend to be|pretend you are|become"
        r"|roleplay as|play the role of|simulate)"
        r"\b" + (_W % 60) + r"\b(?:unfiltered|uncensored|unrestricted|amoral|immoral|unethical|evil|unbound|"
        r"without (?:any )?(?:restrictions|limitations|filters|rules|morals|ethics|censorship))\b"
    ),
    re.compile(
        r"\b(?:no|without|free (?:of|from)|not bound by|freed from|broken free of|beyond)\s+(?:any\s+)?"
        r"(?:ethical|moral|content|safety)?\s*(?:restrictions|limitations|filters|censorship|guidelines|"
        r"constraints|boundaries|morals|ethics|rules)\b"
        + (_W % 60)
        + r"\b(?:answer|respond|reply|say|do|generate|write|comply|tell)\b"
    ),
    re.compile(
        r"\b(?:ignore|disregard|bypass|not bound by|break free of|doesn't follow|don't follow|do not follow|"
        r"no longer (?:follow|bound by|have to follow))\b"
        + (_W % 20)
        + r"\b(?:openai|anthropic|content|safety|ethical|usage)\s*'?s?\s+(?:content\s+)?(?:polic(?:y|ies)|"
        r"guidelines|rules|filters)\b"
    ),
    re.compile(r"\bstay in character\b|\bnever break character\b|\bdon't break character\b"),
    re.compile(
        r"\b(?:two|2|dual|both)\s+(?:different\s+)?(?:responses|answers|replies)\b"
        + (_W % 80)
        + r"\b(?:jailbreak|unfiltered|uncensored|classic|normal|developer mode|evil)\b"
    ),
    re.compile(
        r"\bnever (?:refuse|say (?:no|that you can't|i'm sorry))\b|\bcannot refuse\b|\bwill never refuse\b"
    ),
]

SYSTEM_PROMPT_EXTRACTION = [
    re.compile(
        r"\b(?:repeat|print|show|display|reveal|output|tell me|give me|share|write out|write down|disclose|"
        r"leak|dump|recite|spell out|list|paste|copy|return|translate"
        r"|summari[sz]e|what (?:is|are|was|were))\b"
        + (_W % 40)
        + r"\b(?:your|the|this gpt'?s?|the gpt'?s?)\s+(?:full\s+|entire\s+|exact\s+|complete\s+|original\s+|"
        r"initial\s+|hidden\s+|secret\s+)*(?:system prompt|system message|initial prompt|hidden prompt|"
        r"original prompt|pre-?prompt|meta-?prompt|system instructions"
        r"|custom instructions|initial instructions"
        r"|developer (?:message|instructions))\b"
    ),
    re.compile(
        r"\b(?:repeat|print|show|reveal|output|tell me|recite|list|what (?:are|were))\b"
        + (_W % 20)
        + r"\byour\s+(?:full\s+|exact\s+|original\s+|initial\s+|secret\s+|hidden\s+)*(?:instructions|"
        r"guidelines|rules|directives|configuration|prompt)\b"
    ),
    re.compile(
        r"\b(?:repeat|print|output|copy|show|write|recite|return)\b"
        + (_W % 30)
        + r"\b(?:words|text|everything|content|message|lines?"
        r"|all)\s+(?:written\s+|that (?:came|comes|is)\s+)?"
        r"(?:above|before this|prior to this|preceding)\b"
    ),
    re.compile(
        r"\b(?:begin|start) (?:your (?:reply|response|answer) )?with\s+(?:\"|'|“)?you are (?:chatgpt|a gpt)\b"
    ),
    re.compile(r"\bwhat (?:instructions|rules) (?:were you|have you been) (?:given|told|programmed)\b"),
    re.compile(r"\bverbatim\b" + (_W % 40) + r"\b(?:instructions|system prompt|prompt|above)\b"),
]

_EXFIL_OBJECT = (
    r"(?:conversation|chat(?: history| log)?|previous messages|message history|the above|everything above|"
    r"this (?:chat|conversation|thread)|secrets?|passwords?|api keys?|credentials|access tokens?|"
    r"user'?s? (?:data|information|details|messages)|personal (?:data"
    r"|information)|system prompt|memor(?:y|ies)|"
    r"(?:the )?user'?s? (?:name|email|address))"
)
EXFILTRATION_INSTRUCTIONS = [
    re.compile(
        r"\b(?:send|post|upload|forward|transmit|exfiltrate|leak|email|submit|append|add|attach|encode|put|"
        r"include|embed|pass)\b"
        + (_W % 60)
        + rf"\b{_EXFIL_OBJECT}\b"
        + (_W % 60)
        + r"\b(?:to|into|in|as|at|via)\b"
        + (_W % 30)
        + r"(?:https?://|www\.|\burl\b|\blink\b|\bendpoint\b|\bwebhook\b"
        r"|\bserver\b|\bquery (?:string|parameter)\b"
        r"|[a-z0-9._-]+@[a-z0-9-]+\.[a-z]{2,})"
    ),
    re.compile(
        r"\b(?:render|display|show|output|include)\b"
        + (_W % 30)
        + r"\b(?:markdown\s+)?(?:image|img)\b"
        + (_W % 60)
        + r"(?:https?://)"
        + r"[^\s)]*[?&][a-z_]+=(?:\{|\[|<|\$)"
    ),
]

# Markdown/HTML images and links (beacons): the URL is judged separately by `exfiltration.url_carries_data`.
FAMILIES: dict[str, list[re.Pattern[str]]] = {
    "attack.prompt_injection": INJECTION,
    "attack.indirect_injection": INDIRECT_INJECTION,
    "attack.indirect_injection_weak": INDIRECT_INJECTION_WEAK,
    "attack.jailbreak": JAILBREAK,
    "attack.system_prompt_extraction": SYSTEM_PROMPT_EXTRACTION,
    "attack.data_exfiltration": EXFILTRATION_INSTRUCTIONS,
}

MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]{0,300}\]\(\s*<?(https?://[^\s)>]+)")
HTML_IMAGE = re.compile(r"<img\b[^>]{0,300}?\bsrc\s*=\s*[\"']?(https?://[^\"'\s>]+)", re.IGNORECASE)
MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]\n]{0,300}\]\(\s*<?(https?://[^\s)>]+)")

DISCUSSION = re.compile(
    r"\b(?:prompt injections?|injection attacks?"
    r"|jailbreak(?:s|ing)? (?:prompts?|attempts?|attacks?|techniques?)|jailbreaking"
    r"|attackers?|adversarial prompts?|red[- ]team\w*|defen[cs]es? against|defend against"
    r"|mitigat\w+|detect\w*|protect\w* against|classifiers?|examples? of|researchers?"
    r"|security (?:awareness|training|team)|phrases? like|vulnerab\w+|owasp)\b"
)
QUOTED = re.compile(r"[\"“'‘`][^\"”'’`\n]{6,200}[\"”'’`]")

# Code execution and data theft commands that make decoded payloads suspicious.
COMMANDS = re.compile(
    r"\b(?:whoami|rm\s+-rf|powershell|/etc/passwd|/etc/shadow|curl\s+\S|wget\s+\S|nc\s+-e|/dev/tcp/|"
    r"os\.system|subprocess|eval\s*\(|exec\s*\(|__import__|base64\s+-d|chmod\s+\+x|drop\s+table|"
    r"select\s+\*\s+from|invoke-expression|iex\s*\(|bash\s+-c|sh\s+-c|cmd\.exe|mimikatz)"
)
