"""Harmful-classifier data: the committed generated prompts, template splits and loaders."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from aiwatch.config import ConfigError
from aiwatch.detection.classifiers import harmful_generate
from aiwatch.detection.classifiers.harmful_datasets import (
    GENERATED_PATH,
    HATECHECK_FILE,
    LABELS,
    hatecheck_group,
    load_alarming_safe,
    load_external_benign,
    load_generated,
    load_harmful,
)


def test_committed_generated_file_matches_the_generator() -> None:
    assert json.loads(GENERATED_PATH.read_text(encoding="utf-8")) == harmful_generate.generate()


def test_generated_splits_are_disjoint_by_template_and_cover_every_label() -> None:
    train, test = load_generated("train"), load_generated("test")
    train_groups = {source for _, _, source in train}
    test_groups = {source for _, _, source in test}
    assert train_groups.isdisjoint(test_groups)
    for split in (train, test):
        assert {label for _, row_labels, _ in split for label in row_labels} == set(LABELS)
        assert any(not row_labels for _, row_labels, _ in split)


def test_alarming_safe_split_is_the_unlabelled_generated_prompts() -> None:
    safe_test = load_alarming_safe("test")
    assert len(safe_test) >= 200
    assert set(safe_test).isdisjoint(load_alarming_safe("train"))
    assert set(safe_test) == {text for text, labels, _ in load_generated("test") if not labels}


def test_generated_sexual_minor_rows_are_requests_not_content() -> None:
    # Every row about minors must be phrased as a request or question, never as narrative content.
    openers = ("write", "roleplay", "where", "how", "describe", "give", "generate", "what", "create",
               "pretend", "which", "explain")  # fmt: skip
    prefixes = sorted({p.lower() for p in harmful_generate.PREFIXES if p}, key=len, reverse=True)
    rows = [text.lower() for text, labels, _ in load_generated("train") + load_generated("test")
            if "sexual_minors" in labels]  # fmt: skip
    assert len(rows) > 100
    for text in rows:
        core = next((text.removeprefix(p) for p in prefixes if text.startswith(p)), text)
        assert core.startswith(openers), text


def test_bad_split_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="split"):
        load_generated("validation")  # type: ignore[arg-type]


def test_missing_datasets_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--datasets"):
        load_harmful("test", tmp_path)
    with pytest.raises(ConfigError, match="--datasets"):
        load_external_benign("test", tmp_path)


def _write_hatecheck(root: Path, rows: list[dict[str, str]]) -> None:
    path = root / HATECHECK_FILE
    path.parent.mkdir(parents=True)
    fields = ["functionality", "test_case", "label_gold", "templ_id", "ref_templ_id"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def test_hatecheck_variants_of_one_template_land_in_the_same_split(tmp_path: Path) -> None:
    def case(functionality: str, text: str, gold: str, templ: int, ref: int | None) -> dict[str, str]:
        return {"functionality": functionality, "test_case": text, "label_gold": gold,
                "templ_id": str(templ), "ref_templ_id": "" if ref is None else str(ref)}  # fmt: skip

    rows = []
    for base in range(1, 60):
        rows.append(case("derog_h", f"base {base}", "hateful", base, None))
        rows.append(case("spell_leet_h", f"l33t {base}", "hateful", 1000 + base, base))
        rows.append(case("counter_quote_nh", f"quote {base}", "non-hateful", 2000 + base, base))
    _write_hatecheck(tmp_path, rows)
    assert hatecheck_group(rows[1]) == hatecheck_group(rows[0]) == "1"
    train = load_harmful("train", tmp_path)
    test = load_harmful("test", tmp_path)
    hate_train = {t.split()[-1] for t, _, s in train if s.startswith("hatecheck")}
    hate_test = {t.split()[-1] for t, _, s in test if s.startswith("hatecheck")}
    assert hate_train and hate_test and hate_train.isdisjoint(hate_test)
    labelled = {t: labels for t, labels, _ in train + test}
    assert labelled["l33t 1"] == frozenset({"hate"})
    assert labelled["quote 1"] == frozenset()
