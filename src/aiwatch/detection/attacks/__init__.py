"""AI-attack plug-ins for the detection engine.

- `find_hidden_text(text)`: the invisible-character pass (`attack.invisible_characters`, smuggled payloads);
- `find_encoded_segments(text)`: Base64 / hex / URL / rot13 runs to decode and rescan (`attack.encoded_text`);
- `DETECTORS`: whole-text detectors for `attack.prompt_injection`, `attack.jailbreak`,
  `attack.system_prompt_extraction` and `attack.data_exfiltration`.
"""

from __future__ import annotations

from aiwatch.detection.attacks.detectors import DETECTORS, AttackDetector
from aiwatch.detection.attacks.encoded import find_encoded_segments
from aiwatch.detection.attacks.hidden import find_hidden_text

__all__ = ["DETECTORS", "AttackDetector", "find_encoded_segments", "find_hidden_text"]
