"""The real export samples against a library generated from their songs (skipped without the shared data).

The full files are measured by ``benchmarks/bench_import.py``; here the first 300 rows
of each, so the suite stays quick (Spotify's account data has sixty of them heard for
less than a second, no listens).
"""

from __future__ import annotations

import pytest

from benchmarks.bench_import import SHARED, match_rates

EXPORTS = sorted((SHARED / "exports").glob("*")) if (SHARED / "exports").exists() else []


@pytest.mark.skipif(not EXPORTS, reason="shared data absent")
@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: p.name)
def test_rows_naming_library_songs_become_plays_once(path, tmp_path):
    r = match_rates(path, tmp_path, limit=300)
    assert r["rc"] == (0, 0)
    assert r["named"] >= 200
    assert r["played"] >= 0.95 * r["named"]
    assert r["right"] >= 0.9 * r["named"]
    assert r["false"] <= 0.25 * max(r["absent"], 1) + 1
    assert r["second_added"] == 0


def test_the_benchmarks_speed_part_runs_with_a_library_smaller_than_the_history(tmp_path):
    # ``bench_import.py --library 50`` failed before timing anything: the generated history
    # names more songs than such a library holds. Those beyond it are heard elsewhere.
    from benchmarks.bench_import import time_formats

    out = time_formats(300, 40, 1, tmp_path)
    assert [r["format"] for r in out] == ["spotify_extended", "lastfm_csv", "listenbrainz"]
    for r in out:
        # (the real log's times heard include some under a second: no listens, left out)
        assert r["rows"] == 300 and r["matched"] + r["unmatched"] + r["too_short"] == 300, r
        assert r["matched"] > 0 and r["unmatched"] > 0, r
        assert r["second_added"] == 0, r
