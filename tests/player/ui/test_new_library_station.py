"""In the real window (offscreen, real SQLite, scanned audio, null engine, nothing learned
yet): Radio from a song of no genre tag in a new, badly tagged library is a station, not
its artist's songs back to back nor two neighbours' albums taking turns."""

from __future__ import annotations

import pytest

from tests.audiogen import write_track

# (artist, album, genre, songs): a third of the library with no genre tag, the first artist
# with two albums, then albums tagged rock and pop.
ALBUMS = [("Umber", "First Light", None, 6), ("Umber", "Second Wind", None, 5), ("Vesper", "Night Bus", None, 5),
          ("Willow Creek", "Porch", None, 4), ("Basalt", "Stones", "Rock", 3), ("Cinder Fox", "Embers", "Rock", 3),
          ("Granite", "Quarry", "Rock", 3), ("Aurora Lane", "Skylines", "Pop", 3), ("Yarrow", "Fields", "Pop", 3)]


def _library(store, root):
    from player.library.scanner import Scanner

    for i, (artist, album, genre, n) in enumerate(ALBUMS):
        for k in range(n):
            tags = {"title": f"{album} {k + 1}", "artist": artist, "album": album, "tracknumber": str(k + 1)}
            write_track(root / artist / album, f"{k + 1:02d}", seconds=2.0, freq=150.0 + 20 * i + 3 * k,
                        tags={**tags, "genre": genre} if genre else tags)
    Scanner(store).scan([str(root)])
    return {t["title"]: t["id"] for t in store.tracks()}


@pytest.mark.parametrize("learning", [False, True], ids=["plain", "learning"])
def test_radio_from_an_untagged_song_mixes_its_artist_with_others_without_two_taking_turns(
        qtbot, store, tmp_path, make_window, learning):
    ids = _library(store, tmp_path / "music")
    artist = {t["id"]: t["artist"] for t in store.tracks()}
    window = make_window(store)
    if learning:
        window.enable_intelligence(analyse=False, learn=False)
        with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
            pass
    seed = ids["First Light 1"]
    window.start_radio(seed)
    qtbot.waitUntil(lambda: window.player.current_track_id == seed and len(window.player.queue) >= 20,
                    timeout=10000)
    queued = [e.track_id for e in window.player.queue][:20]
    assert window.statusBar().currentMessage() == "Radio from “First Light 1”"     # (more to follow)
    got = [artist[t] for t in queued]
    assert seed not in queued and len(set(queued)) == 20, got
    # Umber's own songs come first and back again, never two in a row (the plain station
    # played its eleven back to back)...
    assert "Umber" in got[:2] and 3 <= got.count("Umber") <= 10, got
    assert all(a != b for a, b in zip(got, got[1:])), got
    # ...and the neighbours between them are not Vesper and Willow Creek in turns while the
    # rock and pop artists' songs lie next to theirs.
    assert not any(a == c and b == d and a != b for a, b, c, d in zip(got, got[1:], got[2:], got[3:])), got
    assert len(set(got)) >= 6, got


@pytest.mark.parametrize("learning", [False, True], ids=["plain", "learning"])
def test_radio_in_a_library_of_one_song_says_there_is_nothing_to_follow_it(qtbot, store, tmp_path, make_window,
                                                                             learning):
    # The song played under "Radio from “Porch 1”" and the music stopped, nothing said.
    from player.library.scanner import Scanner

    write_track(tmp_path / "music", "01", seconds=2.0, tags={"title": "Porch 1", "artist": "Willow Creek"})
    Scanner(store).scan([str(tmp_path / "music")])
    (seed,) = [t["id"] for t in store.tracks()]
    window = make_window(store)
    if learning:
        window.enable_intelligence(analyse=False, learn=False)
        with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
            pass
    window.start_radio(seed)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Radio from"), timeout=10000)
    said = window.statusBar().currentMessage()
    assert said == "Radio from “Porch 1”: no other song in the library to suggest after it", said
    assert not window.player.queue


def test_radio_says_nothing_follows_where_the_library_s_other_songs_are_never_to_be_suggested(
        qtbot, store, tmp_path, make_window):
    # A second song, asked never to be suggested: the library holds it, and "no other song in
    # the library to play after it" said it did not.
    from player.library.scanner import Scanner

    for n, title in enumerate(["Porch 1", "Porch 2"], 1):
        write_track(tmp_path / "music", f"{n:02d}", seconds=2.0, freq=200.0 + 40 * n,
                    tags={"title": title, "artist": "Willow Creek"})
    Scanner(store).scan([str(tmp_path / "music")])
    ids = {t["title"]: t["id"] for t in store.tracks()}
    store.never_suggest_track(ids["Porch 2"])
    window = make_window(store)
    window.start_radio(ids["Porch 1"])
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Radio from"), timeout=10000)
    said = window.statusBar().currentMessage()
    assert said == "Radio from “Porch 1”: no other song in the library to suggest after it", said
