"""Scanning speed of aiwatch beside Presidio and detect-secrets on the same generated corpus, in ONE run.

    .venv/bin/python bench/throughput.py [--mb 20] [--baseline-mb 2] [--spacy-mb 0.3] [--json-out FILE]

Measures, each in a fresh process that first loads its detector and reads its items, then times the scan:
- aiwatch, in-process engine with ALL rules at balanced sensitivity, one core (``Engine.scan`` per record);
- ``aiwatch scan --workers 2`` end to end (JSON Lines in and out, wall clock, start-up measured separately);
- Presidio with pattern recognizers only, Presidio with spaCy's small model, detect-secrets (default plugins,
  one temporary file per record, its normal interface) on a prefix of the same corpus (they are slow; a prefix
  of a shuffled stream has the same mix) -- and aiwatch again on exactly those prefixes.
MB is 10^6 bytes of UTF-8 message text. Peak memory is the max RSS of the measuring process (corpus included).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpus

MB = 1_000_000
TARGETS = {"presidio-spacy": 100.0, "detect-secrets": 10.0}
TARGET_MB_S_PER_CORE = 20.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_jsonl(path: Path, texts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for index, text in enumerate(texts):
            handle.write(json.dumps({"id": f"r{index}", "text": text}) + "\n")


def measure_aiwatch_in_process(corpus_file: Path) -> dict:
    """Runs in a child process (``--measure-aiwatch``): the same protocol as bench/baseline_runner.py."""
    from aiwatch.detection import default_engine

    load_started = time.perf_counter()
    engine = default_engine()  # all rules, balanced
    texts = [json.loads(line)["text"] for line in corpus_file.open(encoding="utf-8")]
    for text in texts[:50]:  # warm-up: lazy imports, classifier tables, scratch space
        engine.scan(text)
    load_seconds = time.perf_counter() - load_started
    detections = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for text in texts:
        detections += len(engine.scan(text))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return {
        "mode": "aiwatch-engine",
        "items": len(texts),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,  # on a shared machine, CPU time is the steadier per-core figure
        "load_seconds": load_seconds,
        "chars": sum(len(t) for t in texts),
        "bytes": sum(len(t.encode("utf-8")) for t in texts),
        "detections": detections,
        "rules": len(engine.rules),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def profile_engine(texts: list[str], top: int) -> int:
    """Where the engine spends its time on this corpus (cumulative, then own time)."""
    import cProfile
    import pstats

    from aiwatch.detection import default_engine

    engine = default_engine()
    for text in texts[:50]:
        engine.scan(text)
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        engine.scan(text)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return 0


def run_aiwatch_in_process(corpus_file: Path) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--measure-aiwatch", str(corpus_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"aiwatch measurement failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def aiwatch_command() -> list[str]:
    beside = Path(sys.executable).with_name("aiwatch")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("aiwatch")
    if not found:
        raise RuntimeError("the aiwatch command is not installed in this environment (pip install -e .)")
    return [found]


_WRAPPER = """
import resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    started = time.perf_counter()
    code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE).returncode
    seconds = time.perf_counter() - started
print(code, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_aiwatch_cli(corpus_file: Path, workers: int, output: Path) -> dict:
    """Wall clock of ``aiwatch scan`` over the file, run under a small wrapper process whose only children
    are the CLI and its workers, so their peak RSS is not mixed with the other measurements."""
    command = [*aiwatch_command(), "scan", "--input", str(corpus_file), "--workers", str(workers)]
    result = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(output), *command], capture_output=True, text=True, check=False
    )
    try:
        code, seconds, peak_kb = result.stdout.split()
    except ValueError:
        raise RuntimeError(f"aiwatch scan wrapper failed:\n{result.stderr[-3000:]}") from None
    if code != "0":
        raise RuntimeError(f"aiwatch scan exited with {code}")
    with output.open(encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    return {
        "seconds": float(seconds),
        "output_lines": len(lines),
        "detections": sum(len(line.get("detections", [])) for line in lines),
        "peak_rss_kb": int(peak_kb),  # largest of the CLI process and its workers
    }


def rate(stats: dict) -> float:
    return stats["bytes"] / MB / stats["seconds"] if stats["seconds"] else float("inf")


def prefix(texts: list[str], total_bytes: int) -> list[str]:
    out, size = [], 0
    for text in texts:
        if size >= total_bytes:
            break
        out.append(text)
        size += len(text.encode("utf-8"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=float, default=20, help="corpus size for aiwatch (MB)")
    parser.add_argument(
        "--baseline-mb", type=float, default=2, help="prefix for Presidio patterns/detect-secrets"
    )
    parser.add_argument("--spacy-mb", type=float, default=0.3, help="prefix for Presidio + spaCy")
    parser.add_argument("--workers", type=int, default=2, help="workers for the end-to-end CLI run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="only profile the aiwatch engine and print the top N functions",
    )
    parser.add_argument("--measure-aiwatch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_aiwatch:
        print(json.dumps(measure_aiwatch_in_process(args.measure_aiwatch)))
        return 0
    if args.profile:
        return profile_engine(corpus.build(int(args.mb * MB), args.seed), args.profile)

    started = time.perf_counter()
    texts = corpus.build(int(args.mb * MB), args.seed)
    total = sum(len(t.encode("utf-8")) for t in texts)
    log(f"corpus: {len(texts)} records, {total / MB:.1f} MB (seed {args.seed})")
    results: dict = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus()},
        "corpus": {"records": len(texts), "mb": round(total / MB, 2), "seed": args.seed},
        "systems": {},
    }
    systems = results["systems"]
    with tempfile.TemporaryDirectory(prefix="aiwatch-throughput-") as tmp:
        tmpdir = Path(tmp)
        full = tmpdir / "corpus.jsonl"
        write_jsonl(full, texts)
        log("aiwatch engine, 1 core, full corpus ...")
        systems["aiwatch engine (1 core)"] = run_aiwatch_in_process(full)

        log(f"aiwatch scan --workers {args.workers}, full corpus ...")
        tiny = tmpdir / "one.jsonl"
        write_jsonl(tiny, texts[:1])
        startup = run_aiwatch_cli(tiny, args.workers, tmpdir / "one.out")["seconds"]
        cli = run_aiwatch_cli(full, args.workers, tmpdir / "corpus.out")
        if cli["output_lines"] != len(texts):
            raise RuntimeError(f"aiwatch scan wrote {cli['output_lines']} lines for {len(texts)} records")
        cli.update(bytes=total, items=len(texts), startup_seconds=startup, workers=args.workers)
        systems[f"aiwatch scan --workers {args.workers} (end to end)"] = cli

        if not args.no_baselines:
            from baselines import run_baseline

            subsets = {
                "presidio-patterns": prefix(texts, int(args.baseline_mb * MB)),
                "presidio-spacy": prefix(texts, int(args.spacy_mb * MB)),
                "detect-secrets": prefix(texts, int(args.baseline_mb * MB)),
            }
            for mode, subset in subsets.items():
                size = sum(len(t.encode("utf-8")) for t in subset) / MB
                log(f"{mode} on the first {len(subset)} records ({size:.2f} MB) ...")
                items = [{"id": f"r{i}", "text": t, "name": "message.txt"} for i, t in enumerate(subset)]
                systems[mode] = run_baseline(mode, items).stats
                same = tmpdir / f"prefix-{mode}.jsonl"
                write_jsonl(same, subset)
                systems[f"aiwatch engine on the {mode} prefix"] = run_aiwatch_in_process(same)
    results["seconds"] = round(time.perf_counter() - started, 1)
    report(results, args.workers)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json_out}")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def report(results: dict, workers: int) -> None:
    systems = results["systems"]
    corpus_info = results["corpus"]
    print(f"\n== Throughput: {corpus_info['records']} records, {corpus_info['mb']} MB generated message text "
          f"(all aiwatch rules, balanced) ==")  # fmt: skip
    print(f"{'system':48s} {'MB':>7s} {'seconds':>8s} {'MB/s':>8s} {'MB/s/core':>9s} {'peak RSS MB':>11s}")
    for name, stats in systems.items():
        cores = stats.get("workers", 1)
        seconds = stats["seconds"]
        mb = stats["bytes"] / MB
        print(f"{name:48.48s} {mb:7.2f} {seconds:8.2f} {mb / seconds:8.2f} {mb / seconds / cores:9.2f} "
              f"{stats['peak_rss_kb'] / 1024:11.0f}")  # fmt: skip
        if "cpu_seconds" in stats:
            cpu_rate = mb / max(stats["cpu_seconds"], 1e-9)
            print(f"{'  (CPU time of the scanning process)':48s} {mb:7.2f} {stats['cpu_seconds']:8.2f} "
                  f"{cpu_rate:8.2f} {cpu_rate:9.2f}")  # fmt: skip
        if "startup_seconds" in stats:
            net = max(seconds - stats["startup_seconds"], 1e-9)
            print(f"{'  (excluding ' + format(stats['startup_seconds'], '.1f') + ' s start-up)':48s} "
                  f"{mb:7.2f} {net:8.2f} {mb / net:8.2f} {mb / net / cores:9.2f}")  # fmt: skip
    ours = systems.get("aiwatch engine (1 core)")
    if not ours:
        return
    ours_rate = rate(ours)
    print("\n== Targets ==")
    met = "MET " if ours_rate >= TARGET_MB_S_PER_CORE else "MISS"
    cpu_note = (
        f" (wall clock; {ours['bytes'] / MB / ours['cpu_seconds']:.2f} MB/s of CPU time)"
        if ours.get("cpu_seconds")
        else ""
    )
    print(f"  [{met}] aiwatch >= {TARGET_MB_S_PER_CORE:.0f} MB/s per core: {ours_rate:.2f} MB/s{cpu_note}")
    for mode, target in TARGETS.items():
        if mode not in systems:
            continue
        same = systems.get(f"aiwatch engine on the {mode} prefix", ours)
        ratio = rate(same) / rate(systems[mode])
        met = "MET " if ratio >= target else "MISS"
        print(
            f"  [{met}] >= {target:.0f}x {mode}: {ratio:.1f}x (aiwatch {rate(same):.2f} MB/s vs "
            f"{rate(systems[mode]) * 1000:.1f} KB/s on the same records)"
        )
    if "presidio-patterns" in systems:
        same = systems.get("aiwatch engine on the presidio-patterns prefix", ours)
        ratio = rate(same) / rate(systems["presidio-patterns"])
        print(f"  (for orientation) vs Presidio patterns only: {ratio:.1f}x")
    print(f"\n(total {results['seconds']}s)")


if __name__ == "__main__":
    sys.exit(main())
