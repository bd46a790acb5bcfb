"""The real export samples against a library generated from their songs (skipped without the shared data).

The full files are measured by ``benchmarks/bench_import.py``; here the first 250 rows
of each, so the suite stays quick.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_import import SHARED, match_rates

EXPORTS = sorted((SHARED / "exports").glob("*")) if (SHARED / "exports").exists() else []


@pytest.mark.skipif(not EXPORTS, reason="shared data absent")
@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.name)
def test_rows_naming_library_songs_become_plays_once(path, tmp_path):
    r = match_rates(path, tmp_path, limit=250)
    assert r["rc"] == (0, 0)
    assert r["named"] >= 200
    assert r["played"] >= 0.95 * r["named"]
    assert r["right"] >= 0.9 * r["named"]
    assert r["false"] <= 0.25 * max(r["absent"], 1) + 1
    assert r["second_added"] == 0
