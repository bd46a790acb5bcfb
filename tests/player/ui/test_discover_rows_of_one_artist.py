"""In the real window (offscreen, real SQLite, scanned audio, null engine), with each of its
two recommenders: a genre whose songs are all one artist's gets no Discover row of its own
(a "Jazz" row of the library's one jazz band is that band's page, not a genre); its songs
are offered in the shared row among another small genre's, and no row shown is empty or of
one artist only."""

from __future__ import annotations

import pytest

from tests.audiogen import write_track

# (artist, album, genre, songs): two genres of several artists, two of one artist each.
ALBUMS = [("Aurora Lane", "Skylines", "Pop", 4), ("Yarrow", "Fields", "Pop", 4),
          ("Basalt", "Stones", "Rock", 4), ("Cinder Fox", "Embers", "Rock", 4), ("Zephyr", "Winds", "Rock", 3),
          ("Delta Rae", "Blue Hours", "Jazz", 5), ("Echo Park", "Grid", "Electronic", 5)]


@pytest.fixture
def library(store, tmp_path):
    from player.library.scanner import Scanner

    root = tmp_path / "music"
    for i, (artist, album, genre, n) in enumerate(ALBUMS):
        for k in range(n):
            write_track(root / album, f"{k + 1:02d}", seconds=2.0, freq=200.0 + 30 * i + 5 * k,
                        tags={"title": f"{album} {k + 1}", "artist": artist, "album": album, "genre": genre,
                              "tracknumber": str(k + 1)})
    Scanner(store).scan([str(root)])
    return store


@pytest.mark.parametrize("learning", [False, True], ids=["plain", "learning"])
def test_no_discover_row_is_one_artists_own(qtbot, library, make_window, learning):
    from player.recommendations import LibraryRecommendations
    from player.recommender_service import RecommenderService

    window = make_window(library)
    if learning:
        window.enable_intelligence(analyse=False, learn=False)
        with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
            pass
    assert isinstance(window.provider, RecommenderService if learning else LibraryRecommendations)
    window.tabs.setCurrentWidget(window.discover)
    window.refresh_discover()

    panel = window.discover
    qtbot.waitUntil(lambda: len(panel.buckets) >= 3 and panel.is_filled(), timeout=10000)
    rows = {bucket: [artist for _, _, artist, _ in entries] for bucket, entries in panel.buckets}
    assert sorted(row.title.text() for row in panel.rows[:2]) == ["Pop", "Rock"], rows
    assert sorted(rows) == ["More to discover", "pop", "rock"], rows
    assert all(len(set(artists)) >= 2 for artists in rows.values()), rows
    assert set(rows["More to discover"]) == {"Delta Rae", "Echo Park"}, rows
    # What its heading says of it holds: two genres of five songs each, shown whole, under "a
    # song or two from each of many genres".
    shared = next(row for row in panel.rows if row.bucket == "More to discover")
    assert shared.caption.text() == "· songs of the genres with no row of their own", shared.caption.text()
