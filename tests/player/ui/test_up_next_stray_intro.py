"""In the real window (offscreen, real SQLite, scanned audio, null engine, the learning
recommender without analysis): Up next for someone who plays albums in order does not put an
album's two-second intro after its songs when it enters the album part-way."""

from __future__ import annotations

import time
import zlib

import pytest

from tests.audiogen import tone, write_audio, write_tags

# (artist, album, genre, year, songs): each album opens with a two-second intro.
ALBUMS = [("Aurora Lane", "Skylines", "Pop", "2015", 6), ("Basalt", "Stones", "Rock", "2003", 6),
          ("Cinder Fox", "Embers", "Rock", "2004", 5), ("Delta Rae", "Blue Hours", "Jazz", "1999", 5),
          ("Echo Park", "Grid", "Electronic", "2018", 5), ("Aurora Lane", "Afterglow", "Pop", "2019", 4),
          ("Zephyr", "Winds", "Rock", "2003", 4), ("Yarrow", "Fields", "Pop", "2016", 4)]
HITS = [("Skylines 1", "Aurora Lane"), ("Stones 2", "Basalt"), ("Grid 1", "Echo Park"), ("Fields 1", "Yarrow")]


def _write(path, seconds: float, freq: float, **tags):
    path.parent.mkdir(parents=True, exist_ok=True)
    # (mono at 8 kHz: minutes of it are quick to write)
    write_audio(path, tone(seconds, freq=freq, sr=8000, channels=1), 8000)
    write_tags(path, **tags)


def _song_s(title: str) -> float:
    """Three to four and a half minutes, the same for a song wherever it is (a compilation's copy)."""
    return 180.0 + zlib.crc32(title.encode()) % 90


@pytest.fixture
def library(store, tmp_path):
    from player.library.scanner import Scanner

    root, i = tmp_path / "music", 0
    for artist, album, genre, year, n in ALBUMS:
        tags = {"artist": artist, "album": album, "genre": genre, "date": year}
        _write(root / album / "00.flac", 2.0, 200.0 + 7 * i, title="Intro", tracknumber=1, **tags)
        for k in range(n):
            i += 1
            title = f"{album} {k + 1}"
            _write(root / album / f"{k + 2:02d}.flac", _song_s(title), 200.0 + 7 * i, title=title,
                   tracknumber=k + 2, **tags)
        i += 1
    for k, (title, artist) in enumerate(HITS):
        _write(root / "Now Hits" / f"{k + 1:02d}.flac", _song_s(title), 900.0 + 7 * k, title=title, artist=artist,
               album="Now Hits 2016", albumartist="Various Artists", compilation=1, date=2016, genre="Pop",
               tracknumber=k + 1)
    Scanner(store).scan([str(root)])
    ids = {(row["title"], row["album"]): row["id"] for row in store.tracks()}
    # Three evenings of one album's first songs in order, then a jazz song, these last days.
    t = time.time() - 3 * 86400
    for _ in range(3):
        for key in [(f"Skylines {k}", "Skylines") for k in (1, 2, 3)] + [("Blue Hours 2", "Blue Hours")]:
            play = store.start_play(ids[key], source="library", track_ms=200_000, now=t)
            store.end_play(play, "finished", 200_000, now=t + 200)
            t += 205
        t += 4 * 3600
    return ids


def test_up_next_does_not_put_an_albums_intro_after_its_songs(qtbot, store, library, make_window):
    from player.recommender_service import RecommenderService

    window = make_window(store)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    assert isinstance(window.provider, RecommenderService)
    length = {row["id"]: row["duration"] for row in store.tracks()}
    name = {row["id"]: f"{row['artist']} - {row['title']} [{row['album']}]" for row in store.tracks()}
    first = library[("Fields 2", "Fields")]
    player = window.player
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == first, timeout=5000)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(player.queue) >= 10, timeout=15000)
    queued = [e.track_id for e in player.queue][:10]
    assert all(length[t] > 10 for t in queued), [name[t] for t in queued]
