"""A catalogue of no tracks, or of one, whose play log names songs it does not hold: the
library emptied (every folder removed, the disk holding it unplugged) while the history stays."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from recommender.catalog import Catalog, PlayLog
from recommender.rank import Recommender, RankError
from tests.recommender.test_catalog_tail import _rows, _same_catalog

T0 = 1_700_000_000.0


def _log(track_ids, ended, *, sources=None) -> PlayLog:
    """Plays four minutes apart in one session: "finished" heard whole, "skipped" after 4 s."""
    n = len(track_ids)
    heard = np.array([4_000.0 if e == "skipped" else 200_000.0 for e in ended])
    return PlayLog(np.array(track_ids, np.int64), np.ones(n, np.int64), T0 + 240.0 * np.arange(n), heard,
                   np.full(n, 200_000.0), np.array(ended, dtype=object),
                   np.array(sources or ["up_next"] * n, dtype=object), np.arange(n))


def _build(ids, plays: PlayLog) -> Catalog:
    return Catalog.build(track_ids=ids, artists=[f"artist {i}" for i in ids], albums=[f"album {i}" for i in ids],
                         buckets=["rock"] * len(ids), track_numbers=[1] * len(ids), plays=plays)


# Songs 1-4 were in the library and are gone; a skip of Discover's offer of one of them too.
GONE = _log([1, 2, 1, 3, 4, 2, 1, 3], ["finished", "finished", "skipped", "finished", "skipped", "finished",
                                      "finished", "skipped"],
            sources=["library", "up_next", "discover", "up_next", "radio", "library", "up_next", "discover"])


def test_no_tracks_keep_the_whole_history_and_every_surface_is_empty():
    cat = _build([], GONE)
    assert cat.n == 0 and cat.plays is GONE and list(cat.play_rows) == [-1] * len(GONE)
    for counts in (cat.play_count, cat.skip_count, cat.skips_since_heard, cat.any_skips_since_heard,
                   cat.last_played):
        assert counts.shape == (0,)
    assert cat.transitions.shape == (0, 0) and cat.n_listened == 0
    rec = Recommender(cat, now=T0 + 86_400)
    assert rec.up_next([1, 2], 5) == [] and rec.up_next([], 5) == []
    assert rec.discover(5) == {}
    with pytest.raises(RankError):        # (a station of a song not there: the service answers none)
        rec.radio(1, 5)
    # A song that was playing as the library went ends: logged, and read the short way as the whole
    kept = _rows(GONE, slice(0, 6))
    cat = _build([], kept)
    grown = copy.copy(cat)
    grown.set_plays(GONE)
    assert cat._kept_rows(GONE) is not None
    _same_catalog(grown, _build([], GONE))
    assert Recommender(grown, now=T0 + 86_400).discover(5) == {}


def test_one_track_counts_its_own_plays_among_those_of_songs_gone():
    # Song 9 is the library's only one: heard, skipped, heard again, skipped as Discover offered it.
    log = _log([1, 9, 2, 9, 3, 9, 4, 9], ["finished", "finished", "finished", "skipped", "skipped", "finished",
                                         "finished", "skipped"],
               sources=["library", "library", "up_next", "up_next", "radio", "library", "up_next", "discover"])
    cat = _build([9], log)
    assert list(cat.play_rows) == [-1, 0, -1, 0, -1, 0, -1, 0]
    assert cat.play_count.tolist() == [2.0] and cat.skip_count.tolist() == [2.0]
    # of the skips since it was last heard: the one of Discover's offer, by anyone and by Segue
    assert cat.any_skips_since_heard.tolist() == [1.0] and cat.skips_since_heard.tolist() == [1.0]
    assert cat.last_played.tolist() == [T0 + 240.0 * 7]
    rec = Recommender(cat, now=T0 + 86_400 * 60)
    assert [t for t, _score in rec.up_next([1, 2, 3], 5)] == [9]
    assert rec.radio(9, 5) == []
    assert [t for t, _score in rec.discover(5).get("rock", [])] == [9]
    grown = copy.copy(_build([9], _rows(log, slice(0, 5))))
    grown.set_plays(log)
    _same_catalog(grown, _build([9], log))
