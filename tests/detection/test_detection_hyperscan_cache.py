"""Compiled Hyperscan databases are cached on disk and behave exactly like freshly compiled ones."""

from __future__ import annotations

import hyperscan
import pytest

from aiwatch.detection import hyperscan_cache

EXPRESSIONS = [rb"\bsecret\b", rb"\d{3}-\d{2}-\d{4}"]
FLAGS = [hyperscan.HS_FLAG_CASELESS, 0]


def _matches(database: hyperscan.Database, data: bytes) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    database.scan(data, match_event_handler=lambda i, s, e, f, c: found.append((i, e)))
    return found


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AIWATCH_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_second_build_loads_the_cached_database_and_matches_the_same(cache, monkeypatch):
    data = b"the SECRET is 123-45-6789"
    fresh = hyperscan_cache.compiled(EXPRESSIONS, [0, 1], FLAGS)
    assert len(list(cache.glob("hs-*.db"))) == 1

    class NoCompiling:  # the hyperscan module, minus building databases
        def __getattr__(self, name):
            if name == "Database":
                raise AssertionError("compiled again although a cached database exists")
            return getattr(hyperscan, name)

    monkeypatch.setattr(hyperscan_cache, "hyperscan", NoCompiling())
    loaded = hyperscan_cache.compiled(EXPRESSIONS, [0, 1], FLAGS)
    assert _matches(loaded, data) == _matches(fresh, data) == [(0, 10), (1, 25)]


def test_different_flags_are_a_different_database(cache):
    hyperscan_cache.compiled(EXPRESSIONS, [0, 1], FLAGS)
    caseful = hyperscan_cache.compiled(EXPRESSIONS, [0, 1], [0, 0])
    assert _matches(caseful, b"SECRET") == []
    assert len(list(cache.glob("hs-*.db"))) == 2


def test_rejected_expressions_are_reported_and_remembered(cache):
    expressions = [rb"(?<=x)lookbehind", rb"plain"]
    database, rejected = hyperscan_cache.compiled_tolerant(expressions, [7, 8], [0, 0])
    assert rejected == [7]
    assert _matches(database, b"plain") == [(8, 5)]
    again, rejected_again = hyperscan_cache.compiled_tolerant(expressions, [7, 8], [0, 0])
    assert rejected_again == [7] and _matches(again, b"plain") == [(8, 5)]
    with pytest.raises(hyperscan.error):
        hyperscan_cache.compiled(expressions, [7, 8], [0, 0])


def test_a_corrupt_cache_file_is_recompiled(cache):
    hyperscan_cache.compiled(EXPRESSIONS, [0, 1], FLAGS)
    (cache_file,) = cache.glob("hs-*.db")
    cache_file.write_bytes(b"not a database")
    database = hyperscan_cache.compiled(EXPRESSIONS, [0, 1], FLAGS)
    assert _matches(database, b"secret") == [(0, 6)]
    assert cache_file.read_bytes() != b"not a database"


def test_an_unwritable_cache_directory_only_costs_the_compile(tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    monkeypatch.setenv("AIWATCH_CACHE_DIR", str(blocker / "cache"))
    database = hyperscan_cache.compiled(EXPRESSIONS, [0, 1], FLAGS)
    assert _matches(database, b"secret") == [(0, 6)]
