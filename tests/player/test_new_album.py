"""A new album by the artist the person plays most, added to the library after weeks of
plays: the app's Radio and Up next offer it, from the times the library keeps."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

from player.library.scanner import ScanCancelled, Scanner
from player.recommender_service import RecommenderService, build_catalog
from recommender.rank import Models, Recommender
from tests.audiogen import write_track
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


def _write_album(folder, album, first, n=4):
    for i in range(n):
        k = first + i           # (each song its own length and tone: no two taken for one)
        write_track(folder / album, f"{i + 1:02d}", seconds=1.0 + 0.05 * k, freq=300 + 20 * k,
                    tags={"title": f"{album} {i + 1}", "artist": "Loved", "album": album,
                          "tracknumber": str(i + 1), "genre": "Rock"})


def test_a_copy_of_the_loved_artists_folder_is_no_news_a_new_album_is(store, tmp_path):
    """A real scan: the artist's folder copied to a new drive and scanned while the old one is
    still there holds the songs the person has had all along (heard or not), also once the
    old drive is gone; their album added after it is news."""
    old = tmp_path / "music" / "Loved"
    _write_album(old, "Loved A", 0)
    _write_album(old, "Loved B", 4)
    for a in range(3):
        write_track(tmp_path / "music" / f"Other {a}", "01", seconds=2.0 + 0.05 * a, freq=900 + 20 * a,
                    tags={"title": f"Other {a}", "artist": f"Other {a}", "album": f"Other {a}", "genre": "Rock"})
    Scanner(store).scan([str(tmp_path / "music")])
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET added_at = ?", (time.time() - 60 * DAY,))
    heard = [t["id"] for t in store.tracks() if t["title"].endswith((" 1", " 2"))]
    t = time.time() - 30 * DAY
    for day in range(20):
        listen(store, heard[day % len(heard)], now=t + day * DAY)
    drive = tmp_path / "drive"
    shutil.copytree(old, drive / "Loved")               # (the files' times kept)
    Scanner(store).scan([str(drive)])

    def new_titles():
        cat, _ = build_catalog(store, priors=None)
        rec = Recommender(cat, Models())
        return {store.track(int(cat.track_ids[r]))["title"] for r in np.flatnonzero(rec.new_release)}

    assert len(store.tracks()) == 8 + 8 + 3
    assert new_titles() == set()
    # and once the old drive is gone (its songs' tracks missing, their plays kept with them)
    shutil.rmtree(old)
    Scanner(store).scan()
    assert len(store.tracks()) == 8 + 3
    assert new_titles() == set()
    _write_album(drive / "Loved", "Loved C", 8)
    Scanner(store).scan()
    assert new_titles() == {f"Loved C {i + 1}" for i in range(4)}


@pytest.mark.parametrize("stopped", [False, True])
def test_an_album_ripped_again_with_an_intro_is_no_news(store, tmp_path, stopped):
    """A real scan: the loved artist's CD, one file and its sheet, ripped again with an intro
    as track 1. Each song keeps its track (and with it when it came into the library), so
    none of them is new, nor is the intro; Radio and Up next do not offer the album as if
    just added. ``stopped``: the first scan after the rip stopped once the album was read."""
    from tests.player.library.test_cue import _album, _sheet, rip_again_with_an_intro

    music = tmp_path / "music"
    _album(music / "The Band")
    for a in range(3):
        write_track(music / f"Other {a}", "01", seconds=2.0 + 0.05 * a, freq=900 + 20 * a,
                    tags={"title": f"Other {a}", "artist": f"Other {a}", "album": f"Other {a}", "genre": "Rock"})
    Scanner(store).scan([str(music)])
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET added_at = ?", (time.time() - 60 * DAY,))
    songs = {r["title"]: r["id"] for r in store.tracks() if r["cue_sheet"]}
    assert set(songs) == {"First Song", "Second Song", "Third Song"}
    t = time.time() - 30 * DAY
    for day in range(12):                       # the first song heard, the third never
        listen(store, songs["First Song"], now=t + day * DAY)

    def new_titles():
        cat, _ = build_catalog(store, priors=None)
        rec = Recommender(cat, Models())
        return {store.track(int(cat.track_ids[r]))["title"] for r in np.flatnonzero(rec.new_release)}

    assert new_titles() == set()
    rip_again_with_an_intro(music / "The Band", _sheet(), titled=True)
    if stopped:
        write_track(music / "Zed", "later", seconds=0.3, tags={"title": "Later", "artist": "Zed"})
        scanner = Scanner(store, progress=lambda p: scanner.cancel() if p.done else None, progress_interval_s=0)
        with pytest.raises(ScanCancelled):
            scanner.scan()
    Scanner(store).scan()
    assert {r["title"]: r["id"] for r in store.tracks() if r["cue_sheet"] and r["track_no"] > 1} == songs
    # (nor the intro the new rip has more: it came with the album the library had)
    assert new_titles() == set()
