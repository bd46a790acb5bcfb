"""In the real window (offscreen, real SQLite, generated audio, null engine, the learning
recommender without analysis): after a song by an artist the person never played, Up next
keeps to its genre, the person's own favourites of it first, rather than going back to
the genres they play most."""

from __future__ import annotations

import pytest

from tests.audiogen import write_track

NEW = "Cedar Lanterns"          # the folk band the person puts on for the first time
KNOWN_FOLK = "Hollow Pines"     # the folk band they have played four times
# (artist, album, genre, tracks): their rock and jazz favourites, and folk and electronic.
ARTISTS = [("Granite", "Quarry", "Rock", 3), ("Amplifier", "Feedback", "Rock", 3), ("Basalt", "Lava", "Rock", 3),
           ("Quartet Nine", "Late Set", "Jazz", 3), ("Trio Azul", "Azul", "Jazz", 3),
           (KNOWN_FOLK, "Cabin", "Folk", 3), (NEW, "Lantern Light", "Folk", 3), ("Moss Road", "Fern", "Folk", 3),
           ("Willow Creek", "Reeds", "Folk", 3),
           ("Glass Arcade", "Neon", "Electronic", 3)]
LOVED = ("Granite", "Amplifier", "Basalt", "Quartet Nine", "Trio Azul")


@pytest.fixture
def library(store, tmp_path):
    from player.library.scanner import Scanner

    root = tmp_path / "music"
    i = 0
    for artist, album, genre, n in ARTISTS:
        for k in range(n):
            write_track(root / album, f"{k:02d}", fmt="wav", seconds=8.0, freq=200.0 + 30 * i,
                        tags={"title": f"{album} {k + 1}", "artist": artist, "album": album, "genre": genre,
                              "tracknumber": str(k + 1), "date": "2016"})
            i += 1
    Scanner(store).scan([str(root)])
    by_artist: dict[str, list[int]] = {}
    for row in store.tracks():
        by_artist.setdefault(row["artist"], []).append(row["id"])
    for ids in by_artist.values():
        ids.sort()
    # Weeks of the rock and jazz favourites, ten songs an evening, the artists taking turns;
    # the known folk band four times among them.
    loved = [by_artist[a][k] for k in range(3) for a in LOVED]
    t = 1_700_000_000.0
    for n in range(200):
        track = by_artist[KNOWN_FOLK][n // 50 % 3] if n % 50 == 25 else loved[n % len(loved)]
        play = store.start_play(track, source="library", track_ms=8000, now=t)
        store.end_play(play, "finished", 8000, now=t + 8)
        t += 10 if n % 10 < 9 else 86400
    return by_artist


def test_after_a_new_artists_song_up_next_keeps_to_its_genre_favourites_first(qtbot, store, library, make_window):
    from player.recommender_service import RecommenderService

    window = make_window(store)
    window.enable_intelligence(analyse=False, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    assert isinstance(window.provider, RecommenderService)
    player = window.player
    genre = {t: g for a, _, g, _ in ARTISTS for t in library[a]}
    artist_of = {t: a for a, ids in library.items() for t in ids}
    seed = library[NEW][0]

    window.play_ids([seed], 0, "library")
    qtbot.waitUntil(lambda: player.current_track_id == seed, timeout=5000)
    window.up_next.keep_going.setChecked(True)
    qtbot.waitUntil(lambda: len(player.queue) >= 6, timeout=15000)
    shown = [e.track_id for e in player.queue][:6]
    names = [artist_of[t] for t in shown]
    assert [genre[t] for t in shown] == ["Folk"] * 6, names
    # The folk band the person knows comes before the one they never played either.
    others = [a for a in names if a != NEW]
    assert others[0] == KNOWN_FOLK, names
