"""A new album by the artist the person plays most, added to the library after weeks of
plays: the app's Radio and Up next offer it, from the times the library keeps."""

from __future__ import annotations

import time

from player.recommender_service import RecommenderService
from tests.player.test_recommender_service import listen

DAY = 86400.0


def _rows(artist, album, genre, n, folder):
    return [{"path": f"/music/{folder}/{album}/{i:02d}.flac", "size": 1000, "mtime_ns": 1,
             "title": f"{album} {i + 1}", "artist": artist, "album": album, "genre": genre,
             "track_no": i + 1, "duration": 200.0} for i in range(n)]


def test_a_new_album_of_the_most_played_artist_is_on_radio_and_up_next(store):
    rows = _rows("Loved", "Loved A", "Rock", 8, "Loved") + _rows("Loved", "Loved B", "Rock", 8, "Loved")
    for a in range(6):
        rows += _rows(f"Rock Artist {a}", f"Rock Album {a}", "Rock", 5, "Rock")
        rows += _rows(f"Jazz Artist {a}", f"Jazz Album {a}", "Jazz", 5, "Jazz")
    store.upsert_tracks(rows)
    # The library has been there for two months (the store writes the time it first saw a song).
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET added_at = ?", (time.time() - 60 * DAY,))
    by_title = {r["title"]: r["id"] for r in store.tracks()}
    mine = [by_title[f"Loved {x} {i + 1}"] for x in "AB" for i in range(8)]
    others = [by_title[f"Rock Album {a} {i + 1}"] for a in range(6) for i in range(5)]
    t = time.time() - 35 * DAY
    for day in range(35):               # five weeks: half of each evening Loved's A and B
        for j in range(8):
            listen(store, (mine if j % 2 == 0 else others)[(day * 3 + j) % 16 if j % 2 == 0 else (day * 5 + j) % 30],
                   now=t + day * DAY + j * 210)
    store.upsert_tracks(_rows("Loved", "Loved C", "Rock", 8, "Loved"))     # the new album, today
    new = {r["id"] for r in store.tracks() if r["album"] == "Loved C"}

    service = RecommenderService(store, priors=None)
    seed = by_title["Loved A 1"]
    radio = [r.track_id for r in service.radio(seed, 20, exclude=[seed])]
    up_next = [r.track_id for r in service.up_next([seed], 20)]
    # (before the library's times were read: none of it in either)
    assert any(t in new for t in radio[:10]), radio
    assert any(t in new for t in up_next), up_next
    for picks in (radio, up_next):
        assert not any(a in new and b in new for a, b in zip(picks, picks[1:])), picks
