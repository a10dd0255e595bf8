"""Detection quality of aiwatch beside Presidio and detect-secrets, on the same items, in ONE run.

    .venv/bin/python bench/eval.py [--datasets DIR] [--json-out results/eval.json] [--no-baselines]

Families and protocol (see bench/README.md and docs/EVALUATION.md):
- PII and financial (presidio-research generated sentences, character spans): precision, recall, F1 per rule
  and micro-averaged; a detection counts when its span overlaps a labelled span of the same type (explicit
  mapping tables below); F2 as in Presidio's evaluation; structured-PII micro-F2 over email, phone, address,
  SSN, card, IBAN, IP. Presidio is run with its recognizers' raw scores and scored at the threshold that gives
  IT the best structured micro-F2 (a sweep on the same data, i.e. in its favour).
- Secrets (CredSweeper samples, labelling derived in devdata.py): a sample is flagged or not.
- Injection, jailbreak, harmful: held-out splits of the classifier owners' loaders
  (aiwatch.detection.classifiers.datasets / harmful_datasets); aiwatch alone (the baselines do not do this).
Exit status: 0 when the run completed (targets missed are printed, not an error), 2 when datasets are missing
or a baseline cannot run (use --no-baselines to score aiwatch alone).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import devdata
from metrics import BinaryCounts, SpanScorer

# --- mapping tables -------------------------------------------------------------------------------------

# aiwatch rule id -> dataset entity type.
AIWATCH_TO_TYPE = {
    "pii.email": "EMAIL_ADDRESS",
    "pii.phone": "PHONE_NUMBER",
    "pii.address": "ADDRESS",
    "pii.ssn": "US_SSN",
    "financial.credit_card": "CREDIT_CARD",
    "financial.iban": "IBAN_CODE",
    "pii.ip_address": "IP_ADDRESS",
    "pii.person_name": "PERSON",
    "pii.drivers_license": "US_DRIVER_LICENSE",
}
# Presidio entity type -> dataset entity type. Presidio has no street-address recognizer; its spaCy LOCATION
# (GPE/LOC) is the closest it has and is credited when it overlaps a labelled address.
PRESIDIO_TO_TYPE = {
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "LOCATION": "ADDRESS",
    "US_SSN": "US_SSN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "PERSON": "PERSON",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
}
# Unmapped outputs on either side (Presidio URL/DATE_TIME/NRP/US_BANK_NUMBER..., aiwatch pii.bulk,
# pii.date_of_birth...) are not scored: the dataset's DATE_TIME, ORGANIZATION, LOCATION, TITLE... labels have
# no rule to compare with.
STRUCTURED = ("EMAIL_ADDRESS", "PHONE_NUMBER", "ADDRESS", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS")
FAMILIES = {
    "pii (structured)": ("EMAIL_ADDRESS", "PHONE_NUMBER", "ADDRESS", "US_SSN", "IP_ADDRESS"),
    "financial": ("CREDIT_CARD", "IBAN_CODE"),
}
SCORED_TYPES = (*STRUCTURED, "PERSON", "US_DRIVER_LICENSE")
TYPE_TO_RULE = {v: k for k, v in AIWATCH_TO_TYPE.items()}
# A prediction of these types overlapping a labelled span of the listed types is neither right nor wrong.
IGNORE = {"ADDRESS": frozenset({"LOCATION"})}
PRESIDIO_THRESHOLDS = (0.0, 0.3, 0.5, 0.7, 0.85)

ATTACK_RULES = frozenset(
    {
        "attack.prompt_injection",
        "attack.indirect_injection",
        "attack.jailbreak",
        "attack.system_prompt_extraction",
        "attack.data_exfiltration",
    }
)
SENSITIVITIES = ("balanced", "high")
# For orientation only: a naive keyword filter of the kind people bolt on first (substring lists in the
# spirit of LLM Guard's BanSubstrings). Our own short lists, not a tuned product.
KEYWORD_BASELINE = {
    "injection": re.compile(
        r"ignore (all |any |the )?(previous|prior|above|earlier) (instructions|prompts?|rules)|disregard "
        r"(all |the |your )?(previous|prior|above)|forget (all |your )?(previous |prior )?instructions|"
        r"system prompt|you are now|new instructions|override|developer mode|do anything now|jailbreak",
        re.IGNORECASE,
    ),
    "jailbreak": re.compile(
        r"do anything now|\bDAN\b|developer mode|jailbreak|no (ethical|moral) (guidelines|restrictions)|"
        r"without any (restrictions|filters|censorship)|unfiltered|stay in character|roleplay as|"
        r"pretend (to be|you are)",
        re.IGNORECASE,
    ),
    "harmful": re.compile(
        r"\b(kill|murder|bomb|explosive|poison|suicide|self[- ]harm|cut myself|rape|terrorist|genocide|"
        r"shoot|stab|weapon|malware|ransomware|keylogger|hate|subhuman|vermin|scum)\b",
        re.IGNORECASE,
    ),
}
BASELINES = {"presidio-patterns": "Presidio (patterns)", "presidio-spacy": "Presidio + spaCy sm"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- PII ------------------------------------------------------------------------------------------------


def score_spans(
    items: list[devdata.PiiItem], predictions: dict[str, list[tuple[str, int, int]]]
) -> SpanScorer:
    scorer = SpanScorer(SCORED_TYPES, IGNORE)
    for item in items:
        gold = [(s.type, s.start, s.end) for s in item.spans]
        scorer.add_item(gold, predictions.get(item.id, []))
    return scorer


def pii_summary(scorer: SpanScorer) -> dict:
    out: dict = {"per_type": {t: scorer.counts[t].as_dict() for t in SCORED_TYPES}}
    out["structured_micro"] = scorer.micro(STRUCTURED).as_dict()
    out["families"] = {name: scorer.micro(types).as_dict() for name, types in FAMILIES.items()}
    return out


def aiwatch_pii(items: list[devdata.PiiItem], sensitivity: str) -> dict[str, list[tuple[str, int, int]]]:
    from aiwatch.detection import scan

    out = {}
    for item in items:
        out[item.id] = [
            (AIWATCH_TO_TYPE[d.rule], d.start, d.end)
            for d in scan(item.text, sensitivity=sensitivity)
            if d.rule in AIWATCH_TO_TYPE
        ]
    return out


def presidio_pii(findings: dict[str, list[dict]], threshold: float) -> dict[str, list[tuple[str, int, int]]]:
    return {
        item_id: [
            (PRESIDIO_TO_TYPE[f["type"]], f["start"], f["end"])
            for f in found
            if f["type"] in PRESIDIO_TO_TYPE and f["score"] >= threshold
        ]
        for item_id, found in findings.items()
    }


def evaluate_pii(datasets: Path, with_baselines: bool) -> dict:
    items = devdata.load_pii(datasets)
    log(f"PII: {len(items)} sentences, {sum(len(i.spans) for i in items)} labelled spans")
    systems: dict[str, dict] = {}
    for sensitivity in SENSITIVITIES:
        started = time.perf_counter()
        systems[f"aiwatch ({sensitivity})"] = pii_summary(score_spans(items, aiwatch_pii(items, sensitivity)))
        log(f"  aiwatch {sensitivity}: {time.perf_counter() - started:.1f}s")
    if with_baselines:
        from baselines import run_baseline

        payload = [{"id": i.id, "text": i.text} for i in items]
        for mode, label in BASELINES.items():
            run = run_baseline(mode, payload)
            log(f"  {label}: {run.stats['seconds']:.1f}s analysing")
            sweeps = {t: score_spans(items, presidio_pii(run.findings, t)) for t in PRESIDIO_THRESHOLDS}
            best = max(PRESIDIO_THRESHOLDS, key=lambda t: sweeps[t].micro(STRUCTURED).f_beta(2))
            summary = pii_summary(sweeps[best])
            summary["threshold"] = best
            summary["threshold_sweep_structured_f2"] = {
                str(t): round(s.micro(STRUCTURED).f_beta(2), 4) for t, s in sweeps.items()
            }
            systems[label] = summary
    return {"items": len(items), "systems": systems}


# --- Secrets --------------------------------------------------------------------------------------------


def evaluate_secrets(datasets: Path, with_baselines: bool) -> dict:
    from aiwatch.detection import scan

    units, excluded = devdata.load_secret_units(datasets)
    positives = sum(u.positive for u in units)
    log(
        f"Secrets: {len(units)} units ({positives} positive) from CredSweeper samples; "
        f"{len(excluded)} files excluded"
    )
    systems: dict[str, dict] = {}
    misses: dict[str, dict[str, list[str]]] = {}
    for sensitivity in SENSITIVITIES:
        counts = BinaryCounts()
        wrong: dict[str, list[str]] = {"missed": [], "false_alarms": []}
        for unit in units:
            flagged = any(d.rule.startswith("secret.") for d in scan(unit.text, sensitivity=sensitivity))
            counts.add(unit.positive, flagged)
            if unit.positive != flagged:
                wrong["missed" if unit.positive else "false_alarms"].append(unit.id)
        systems[f"aiwatch ({sensitivity})"] = counts.as_dict()
        misses[f"aiwatch ({sensitivity})"] = wrong
    if with_baselines:
        from baselines import run_baseline

        run = run_baseline("detect-secrets", [{"id": u.id, "text": u.text, "name": u.file} for u in units])
        counts = BinaryCounts()
        for unit in units:
            counts.add(unit.positive, bool(run.findings[unit.id]))
        systems["detect-secrets"] = counts.as_dict()
    return {
        "units": len(units),
        "positives": positives,
        "excluded_files": excluded,
        "labelling": devdata.__doc__,
        "systems": systems,
        "aiwatch_errors": misses,
    }


# --- Classification -------------------------------------------------------------------------------------


def classify(
    rows: Iterable[tuple[str, bool]], is_hit: Callable[[set[str]], bool], sensitivity: str
) -> BinaryCounts:
    from aiwatch.detection import scan

    counts = BinaryCounts()
    for text, label in rows:
        rules = {d.rule for d in scan(text, sensitivity=sensitivity)}
        counts.add(label, is_hit(rules))
    return counts


def keyword_counts(rows: Iterable[tuple[str, bool]], family: str) -> BinaryCounts:
    counts = BinaryCounts()
    pattern = KEYWORD_BASELINE[family]
    for text, label in rows:
        counts.add(label, bool(pattern.search(text)))
    return counts


def evaluate_classification(datasets: Path) -> dict:
    from aiwatch.detection.classifiers import datasets as attack_sets
    from aiwatch.detection.classifiers import harmful_datasets as harmful_sets

    def attack_hit(rules: set[str]) -> bool:
        return bool(rules & ATTACK_RULES)

    def jailbreak_hit(rules: set[str]) -> bool:
        return "attack.jailbreak" in rules

    def harmful_hit(rules: set[str]) -> bool:
        return any(rule.startswith("harmful.") for rule in rules)

    injection = [(t, bool(label)) for t, label, _ in attack_sets.load_injection("test", datasets)]
    jailbreak = [(t, bool(label)) for t, label, _ in attack_sets.load_jailbreak("test", datasets)]
    benign = [(t, False) for t, _label, _ in attack_sets.load_benign_prompts("test", datasets)]
    harmful = [(t, bool(labels)) for t, labels, _ in harmful_sets.load_harmful("test", datasets)]
    alarming_safe = [(t, False) for t in harmful_sets.load_alarming_safe("test")]
    external_benign = [(t, False) for t, _labels, _ in harmful_sets.load_external_benign("test", datasets)]
    log(
        f"Classification (held-out test splits): injection {len(injection)}, jailbreak {len(jailbreak)}, "
        f"benign {len(benign)}, harmful {len(harmful)}, alarming-but-safe {len(alarming_safe)}"
    )
    out: dict[str, dict] = {}
    for sensitivity in SENSITIVITIES:
        out[sensitivity] = {
            "injection": classify(injection, attack_hit, sensitivity).as_dict(),
            "injection_benign_fpr": classify(benign, attack_hit, sensitivity).fpr,
            "jailbreak": classify(jailbreak, jailbreak_hit, sensitivity).as_dict(),
            "jailbreak_benign_fpr": classify(benign, jailbreak_hit, sensitivity).fpr,
            "harmful": classify(harmful, harmful_hit, sensitivity).as_dict(),
            "harmful_alarming_safe_fpr": classify(alarming_safe, harmful_hit, sensitivity).fpr,
            "harmful_benign_fpr": classify(external_benign, harmful_hit, sensitivity).fpr,
        }
    keywords = {
        "injection": keyword_counts(injection, "injection").as_dict(),
        "injection_benign_fpr": keyword_counts(benign, "injection").fpr,
        "jailbreak": keyword_counts(jailbreak, "jailbreak").as_dict(),
        "jailbreak_benign_fpr": keyword_counts(benign, "jailbreak").fpr,
        "harmful": keyword_counts(harmful, "harmful").as_dict(),
        "harmful_alarming_safe_fpr": keyword_counts(alarming_safe, "harmful").fpr,
        "harmful_benign_fpr": keyword_counts(external_benign, "harmful").fpr,
    }
    return {
        "keyword_baseline": keywords,
        "sizes": {
            "injection": len(injection),
            "jailbreak": len(jailbreak),
            "benign": len(benign),
            "harmful": len(harmful),
            "alarming_safe": len(alarming_safe),
            "external_benign": len(external_benign),
        },
        "by_sensitivity": out,
    }


# --- Report ---------------------------------------------------------------------------------------------


def fmt(value: float) -> str:
    return f"{value:.3f}"


def print_pii(pii: dict) -> None:
    systems = pii["systems"]
    names = list(systems)
    print(f"\n== PII and financial spans (presidio-research generated, {pii['items']} sentences) ==")
    header = f"{'rule':28s} {'gold':>5s} " + " ".join(f"{n[:24]:>24s}" for n in names)
    print(header)
    print(f"{'':28s} {'':5s} " + " ".join(f"{'P / R / F1':>24s}" for _ in names))
    for kind in SCORED_TYPES:
        gold = systems[names[0]]["per_type"][kind]["gold"]
        cells = []
        for name in names:
            c = systems[name]["per_type"][kind]
            cells.append(f"{fmt(c['precision'])}/{fmt(c['recall'])}/{fmt(c['f1'])}".rjust(24))
        print(f"{TYPE_TO_RULE[kind] + ' (' + kind + ')':28.28s} {gold:5d} " + " ".join(cells))
    for title, getter in (
        ("structured micro", lambda s: s["structured_micro"]),
        *((f"family: {f}", lambda s, f=f: s["families"][f]) for f in FAMILIES),
    ):
        cells = []
        for name in names:
            c = getter(systems[name])
            cells.append(f"{fmt(c['precision'])}/{fmt(c['recall'])}/F2 {fmt(c['f2'])}".rjust(24))
        print(f"{title:28.28s} {'':5s} " + " ".join(cells))
    for name in names:
        if "threshold" in systems[name]:
            print(f"  {name}: score threshold {systems[name]['threshold']} (best structured F2 of "
                  f"{systems[name]['threshold_sweep_structured_f2']})")  # fmt: skip


def print_binary_table(title: str, systems: dict[str, dict]) -> None:
    print(f"\n== {title} ==")
    print(f"{'system':24s} {'P':>6s} {'R':>6s} {'F1':>6s} {'BA':>6s} {'FPR':>6s}   tp/fp/tn/fn")
    for name, c in systems.items():
        print(
            f"{name:24s} {fmt(c['precision']):>6s} {fmt(c['recall']):>6s} {fmt(c['f1']):>6s} "
            f"{fmt(c['balanced_accuracy']):>6s} {fmt(c['fpr']):>6s}   {c['tp']}/{c['fp']}/{c['tn']}/{c['fn']}"
        )


def _above(mine: dict, other: dict) -> bool:
    """P and R each strictly above the baseline's, or equal at a perfect 1.0 (nothing left to beat)."""
    return all(mine[m] > other[m] or (mine[m] == other[m] == 1.0) for m in ("precision", "recall"))


def check_targets(results: dict) -> list[tuple[str, bool, str]]:
    checks: list[tuple[str, bool, str]] = []
    pii = results.get("pii", {}).get("systems", {})
    ours = pii.get("aiwatch (balanced)")
    if ours:
        f2 = ours["structured_micro"]["f2"]
        checks.append(("structured PII micro-F2 >= 0.90 (balanced)", f2 >= 0.90, f"{f2:.3f}"))
        for family in FAMILIES:
            mine = ours["families"][family]
            others = [(n, s["families"][family]) for n, s in pii.items() if not n.startswith("aiwatch")]
            if others:
                beats = all(_above(mine, o) for _n, o in others)
                detail = "; ".join(f"{n} P {o['precision']:.3f} R {o['recall']:.3f}" for n, o in others)
                detail = f"ours P {mine['precision']:.3f} R {mine['recall']:.3f} vs {detail}"
                checks.append((f"{family}: P and R above every baseline (or both perfect)", beats, detail))
    secrets = results.get("secrets", {}).get("systems", {})
    if "aiwatch (balanced)" in secrets and "detect-secrets" in secrets:
        mine, other = secrets["aiwatch (balanced)"], secrets["detect-secrets"]
        beats = _above(mine, other)
        detail = (
            f"ours P {mine['precision']:.3f} R {mine['recall']:.3f} vs detect-secrets "
            f"P {other['precision']:.3f} R {other['recall']:.3f} (Presidio: no secret rules)"
        )
        checks.append(("secrets: P and R above detect-secrets", beats, detail))
    classification = results.get("classification", {}).get("by_sensitivity", {}).get("balanced")
    if classification:
        for family in ("injection", "jailbreak"):
            ba = classification[family]["balanced_accuracy"]
            fpr = classification[f"{family}_benign_fpr"]
            checks.append((f"{family}: balanced accuracy >= 0.90", ba >= 0.90, f"{ba:.3f}"))
            checks.append((f"{family}: FPR on benign prompts <= 3%", fpr <= 0.03, f"{fpr:.3%}"))
        f1 = classification["harmful"]["f1"]
        fpr = classification["harmful_alarming_safe_fpr"]
        checks.append(("harmful: F1 >= 0.80", f1 >= 0.80, f"{f1:.3f}"))
        checks.append(("harmful: FP on alarming-but-safe <= 5%", fpr <= 0.05, f"{fpr:.3%}"))
    return checks


def print_report(results: dict) -> None:
    if "pii" in results:
        print_pii(results["pii"])
    if "secrets" in results:
        s = results["secrets"]
        print_binary_table(
            f"Secrets: flags a secret in a positive sample / silent on a negative one "
            f"({s['units']} units, {s['positives']} positive; {len(s['excluded_files'])} binary/archive "
            "files excluded; Presidio has no secret rules)",
            s["systems"],
        )
    if "classification" in results:
        c = results["classification"]
        sizes = c["sizes"]
        print(
            "\n== AI attacks and harmful content (held-out test splits; Presidio and detect-secrets have no "
            f"such rules; a naive keyword filter is shown for orientation) sizes {sizes} =="
        )
        runs = {**c["by_sensitivity"], "keyword baseline": c["keyword_baseline"]}
        for sensitivity, r in runs.items():
            print_binary_table(
                f"[{sensitivity}] injection (aiwatch: any attack.* rule) / jailbreak (attack.jailbreak) / "
                "harmful (any harmful.* rule)",
                {"injection": r["injection"], "jailbreak": r["jailbreak"], "harmful": r["harmful"]},
            )
            print(
                f"  FPR benign prompts: injection {r['injection_benign_fpr']:.2%}, jailbreak "
                f"{r['jailbreak_benign_fpr']:.2%}; harmful on alarming-but-safe "
                f"{r['harmful_alarming_safe_fpr']:.2%}, on neuralchemy benign {r['harmful_benign_fpr']:.2%}"
            )
    print("\n== Targets (aiwatch at balanced sensitivity) ==")
    for name, met, detail in results["targets"]:
        print(f"  [{'MET ' if met else 'MISS'}] {name}: {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=Path, default=devdata.DEFAULT_DATASETS)
    parser.add_argument("--json-out", type=Path, help="also write all numbers as JSON here")
    parser.add_argument("--no-baselines", action="store_true", help="score aiwatch alone")
    parser.add_argument(
        "--only", choices=("pii", "secrets", "classification"), action="append", help="run some families"
    )
    args = parser.parse_args(argv)
    families = args.only or ["pii", "secrets", "classification"]
    started = time.perf_counter()
    results: dict = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "datasets": str(args.datasets.resolve()),
    }
    try:
        devdata.require(args.datasets)
        if "pii" in families:
            results["pii"] = evaluate_pii(args.datasets, not args.no_baselines)
        if "secrets" in families:
            results["secrets"] = evaluate_secrets(args.datasets, not args.no_baselines)
        if "classification" in families:
            results["classification"] = evaluate_classification(args.datasets)
    except devdata.DatasetsMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from baselines import BaselineUnavailable

        if isinstance(exc, BaselineUnavailable):
            print(f"error: {exc}\n(run with --no-baselines to score aiwatch alone)", file=sys.stderr)
            return 2
        raise
    results["targets"] = check_targets(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    print_report(results)
    print(f"\n(total {results['seconds']}s)")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=2, default=str))
        print(f"wrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
