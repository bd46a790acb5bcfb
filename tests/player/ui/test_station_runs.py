"""In the real window (offscreen, real SQLite, scanned audio, null engine, the learning
recommender before any analysis): a station from a song of someone who plays albums through
does not play the seed's artist over and over once the genre's other artists had their hour."""

from __future__ import annotations

import zlib

import pytest

from player.audio.base import PlaybackState

from tests.audiogen import tone, write_audio, write_tags

# (artist, album, genre, year, songs): one pop artist of two albums, one other pop artist,
# and rock around them.
ALBUMS = [("Aurora Lane", "Skylines", "Pop", "2015", 6), ("Aurora Lane", "Afterglow", "Pop", "2019", 4),
          ("Yarrow", "Fields", "Pop", "2016", 4), ("Basalt", "Stones", "Rock", "2003", 6),
          ("Cinder Fox", "Embers", "Rock", "2004", 5), ("Zephyr", "Winds", "Rock", "2003", 4)]


@pytest.fixture
def library(store, tmp_path):
    from player.library.scanner import Scanner

    root = tmp_path / "music"
    for i, (artist, album, genre, year, n) in enumerate(ALBUMS):
        for k in range(n):
            title = f"{album} {k + 1}"
            # three to four minutes each, as songs are: the hour an artist gets is one of listening
            # (mono at 8 kHz: minutes of it are quick to write)
            seconds = 180 + zlib.crc32(title.encode()) % 60
            (root / album).mkdir(parents=True, exist_ok=True)
            path = write_audio(root / album / f"{k + 1:02d}.flac",
                               tone(seconds, freq=150.0 + 40 * i + 5 * k, sr=8000, channels=1), 8000)
            write_tags(path, title=title, artist=artist, album=album, genre=genre, tracknumber=k + 1, date=year)
    Scanner(store).scan([str(root)])
    ids = {row["title"]: row["id"] for row in store.tracks()}
    # Three evenings of the same album's first songs in order, then a rock song: someone who
    # stays with an artist (their songs may follow each other on a station too).
    t = 1_700_000_000.0
    for _ in range(3):
        for title in ("Skylines 1", "Skylines 2", "Skylines 3", "Stones 1"):
            play = store.start_play(ids[title], source="library", track_ms=200_000, now=t)
            store.end_play(play, "finished", 200_000, now=t + 200)
            t += 205
        t += 6 * 3600
    return ids


def _longest_run(artists: list[str]) -> int:
    longest, run = 1, 1
    for a, b in zip(artists, artists[1:]):
        run = run + 1 if a == b else 1
        longest = max(longest, run)
    return longest


def test_a_station_does_not_play_its_seeds_artist_over_and_over(qtbot, store, library, make_window):
    from player.recommender_service import RecommenderService

    window = make_window(store)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    assert isinstance(window.provider, RecommenderService)
    artist_of = {row["id"]: row["artist"] for row in store.tracks()}
    seed = library["Skylines 2"]

    window.start_radio(seed, "library")
    player = window.player
    qtbot.waitUntil(lambda: player.current_track_id == seed and len(player.queue) >= 15, timeout=15000)
    station = [artist_of[e.track_id] for e in player.queue][:15]
    # An artist may follow itself (this person's habit), but not for half an hour.
    assert _longest_run(station) <= 2, station
    assert station.count("Aurora Lane") <= 6, station


def test_a_station_without_learning_plays_no_long_run_of_one_artist(qtbot, store, library, make_window):
    """The library's own station (no learning recommender): once the genre's other artists
    are all queued, the seed's artist's songs left are not queued one after another: another
    genre's song comes between every three."""
    from player.recommendations import LibraryRecommendations

    window = make_window(store)
    assert isinstance(window.provider, LibraryRecommendations)
    artist_of = {row["id"]: row["artist"] for row in store.tracks()}
    genre_of = {row["id"]: row["genre"] for row in store.tracks()}
    seed = library["Skylines 2"]

    window.start_radio(seed, "library")
    player = window.player
    qtbot.waitUntil(lambda: player.current_track_id == seed and len(player.queue) >= 15, timeout=15000)
    queued = [e.track_id for e in player.queue][:15]
    station = [artist_of[t] for t in queued]
    assert _longest_run(station) <= 3, station
    assert [genre_of[t] for t in queued].count("Pop") >= 12, station     # still a pop station


@pytest.fixture
def small_genre(store, tmp_path):
    """One pop song, then rock albums of three artists of three songs each: a pop station is
    its seed's neighbours from its first song on. Songs of a minute (the station's lengths)."""
    from player.library.scanner import Scanner

    root = tmp_path / "music"
    albums = [("Aurora Lane", "Skylines", "Pop", 1), ("Basalt", "Stones", "Rock", 3),
              ("Cinder Fox", "Embers", "Rock", 3), ("Zephyr", "Winds", "Rock", 3)]
    for i, (artist, album, genre, n) in enumerate(albums):
        (root / album).mkdir(parents=True)
        for k in range(n):
            path = write_audio(root / album / f"{k + 1:02d}.flac",
                               tone(60, freq=150.0 + 40 * i + 5 * k, sr=8000, channels=1), 8000)
            write_tags(path, title=f"{album} {k + 1}", artist=artist, album=album, genre=genre, tracknumber=k + 1)
    Scanner(store).scan([str(root)])
    return {row["title"]: row["id"] for row in store.tracks()}


def test_a_small_genres_station_without_learning_keeps_artists_apart_and_a_skipped_one_last(
        qtbot, store, small_genre, make_window):
    """The library's own station from a genre's only song goes on with its neighbours in
    library order: not one album's songs back to back where another artist's are next to
    them, and, once the person skipped one artist's song on it, that artist's other songs
    after everyone else's (they came next, as they lie in the library)."""
    from player.recommendations import LibraryRecommendations

    window = make_window(store)
    assert isinstance(window.provider, LibraryRecommendations)
    artist_of = {row["id"]: row["artist"] for row in store.tracks()}
    seed, player = small_genre["Skylines 1"], window.player

    window.start_radio(seed, "library")
    qtbot.waitUntil(lambda: player.current_track_id == seed and len(player.queue) >= 9, timeout=15000)
    station = [artist_of[e.track_id] for e in player.queue]
    # (Nine songs of three artists, taken near library order: the last artist's may end in a run.)
    assert _longest_run(station[:6]) == 1, station
    first = player.queue[0].track_id
    assert artist_of[first] == "Basalt", station

    # The person skips the seed, then the rock song that follows it, each at once.
    window.next_track()
    qtbot.waitUntil(lambda: player.current_track_id == first, timeout=15000)
    qtbot.waitUntil(lambda: window._shown_entry is not None and window._shown_entry.track_id == first, timeout=15000)
    window.next_track()

    def others_first():
        queued = [artist_of[e.track_id] for e in player.queue]
        return player.current_track_id not in (seed, first) and len(queued) >= 6 \
            and "Basalt" in queued and queued.index("Basalt") == len(queued) - queued.count("Basalt")

    qtbot.waitUntil(others_first, timeout=15000)
    heard = [artist_of[player.current_track_id]] + [artist_of[e.track_id] for e in player.queue]
    assert heard[0] != "Basalt" and heard.count("Basalt") == 2, heard
    assert _longest_run([a for a in heard if a != "Basalt"]) == 1, heard


@pytest.mark.parametrize("learning", [False, True], ids=["plain", "learning"])
def test_a_stations_songs_say_the_station_again_after_the_history_is_forgotten(qtbot, store, library, make_window,
                                                                                learning):
    """"Forget my listening history" gives the reasons beside Up next's suggestions again
    without the plays forgotten: a station's songs still say which station they are on (they
    said "Tagged Pop in your library", or with the learning recommender "pop, from your
    library", as if picked from nowhere)."""
    from player.recommendations import LibraryRecommendations
    from player.recommender_service import RecommenderService

    window = make_window(store)
    if learning:
        window.enable_intelligence(analyse=False, learn=False)
        with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
            pass
    assert isinstance(window.provider, RecommenderService if learning else LibraryRecommendations)
    seed, player = library["Skylines 2"], window.player
    window.start_radio(seed, "library")
    qtbot.waitUntil(lambda: player.current_track_id == seed and len(player.queue) >= 15, timeout=15000)

    def said() -> list[str]:
        return [window._describe_entry(e)[2] for e in player.queue]

    # (the plain station names its seed in each reason, the learning one in most)
    naming = {e.track_id for e, why in zip(player.queue, said()) if "Skylines 2" in why}
    assert len(naming) >= (10 if learning else len(player.queue)), said()
    # Stopped, the station's songs stay queued as they were (nothing is ranked anew): the
    # reasons are all that is given again.
    queued = [e.track_id for e in player.queue]
    window.stop()
    qtbot.waitUntil(lambda: player.state == PlaybackState.STOPPED, timeout=10000)
    window.forget_history()
    qtbot.waitUntil(lambda: "forgotten" in window.statusBar().currentMessage(), timeout=15000)
    qtbot.waitUntil(lambda: all(said()), timeout=15000)
    assert [e.track_id for e in player.queue] == queued
    assert all("Skylines 2" in why for e, why in zip(player.queue, said()) if e.track_id in naming), said()
