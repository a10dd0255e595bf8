"""Lazy access to the detection plug-ins other packages provide (AI attacks, harmful-content classifiers).

A plug-in package that does not exist yet is tolerated (logged once); a package that exists but lacks the
expected name is a programming error and raises, so a broken install never scans silently with less coverage.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

HIDDEN_TEXT = ("aiwatch.detection.attacks", "find_hidden_text")
ENCODED_SEGMENTS = ("aiwatch.detection.attacks", "find_encoded_segments")
ATTACK_DETECTORS = ("aiwatch.detection.attacks", "DETECTORS")
HARMFUL_DETECTORS = ("aiwatch.detection.classifiers.harmful", "DETECTORS")

PLUGINS = {
    "hidden": HIDDEN_TEXT,
    "encoded": ENCODED_SEGMENTS,
    "attacks": ATTACK_DETECTORS,
    "harmful": HARMFUL_DETECTORS,
}


class PluginError(RuntimeError):
    """A plug-in package exists but does not provide what the engine needs."""


@cache
def load(module_name: str, attribute: str) -> Any | None:
    """The plug-in object, or None when its package is not installed (yet)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            log.warning("detection plug-in %s is not available; its rules are skipped", module_name)
            return None
        raise
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise PluginError(
            f"{module_name} exists but does not define {attribute}; reinstall aiwatch"
        ) from None


def available() -> dict[str, bool]:
    """Which plug-ins are present (for `aiwatch scan --list-rules` and diagnostics)."""
    return {name: load(*target) is not None for name, target in PLUGINS.items()}
