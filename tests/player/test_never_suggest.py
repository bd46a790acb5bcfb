"""Never suggest this song / this artist: Up next, Radio and Discover of both providers leave
them out at once, the lists stay as long, and taking it back brings them back."""

from __future__ import annotations

import pytest

from player.recommendations import LibraryRecommendations
from player.recommender_service import RecommenderService
from player.store import Store
from tests.player.test_recommender_service import fill_library


def _ids(recs) -> list[int]:
    return [r.track_id for r in recs]


def _artist(store, track_id) -> str:
    return store.track(track_id)["artist"]


def test_a_song_left_out_is_never_offered_and_the_lists_stay_as_long(store, provider):
    ids = {r["title"]: r["id"] for r in store.tracks()}
    seed = ids["Jazz song 0"]
    up_next, radio, discover = provider.up_next([seed], 10), provider.radio(seed, 10, exclude={seed}), \
        provider.discover(4)
    song, on_air, tile = up_next[0].track_id, radio[0].track_id, discover["rock"][0].track_id
    assert len(up_next) == len(radio) == 10 and len(discover["rock"]) == 4
    for track_id in (song, on_air, tile):
        assert store.never_suggest_track(track_id)
    left_out = {song, on_air, tile}
    after = provider.up_next([seed], 10)
    assert len(after) == 10 and not left_out & set(_ids(after))
    after = provider.radio(seed, 10, exclude={seed})
    assert len(after) == 10 and not left_out & set(_ids(after))
    rows = provider.discover(4)
    assert len(rows["rock"]) == 4 and not any(left_out & set(_ids(row)) for row in rows.values())
    # Taken back: everything is as it was.
    for entry in store.never_suggested():
        assert store.suggest_again(entry["id"])
    assert _ids(provider.up_next([seed], 10)) == _ids(up_next)
    assert _ids(provider.radio(seed, 10, exclude={seed})) == _ids(radio)
    assert {b: _ids(r) for b, r in provider.discover(4).items()} == {b: _ids(r) for b, r in discover.items()}


def test_an_artist_left_out_is_never_offered_in_any_list(store, provider):
    ids = {r["title"]: r["id"] for r in store.tracks()}
    seed = ids["Jazz song 0"]
    before = provider.up_next([seed], 10) + provider.radio(seed, 10, exclude={seed})
    artist = next(_artist(store, t) for t in _ids(before) if _artist(store, t) != _artist(store, seed))
    theirs = {r["id"] for r in store.tracks() if r["artist"] == artist}
    assert theirs & set(_ids(before))
    # Named as a credit would name them: their first credited artist is the key.
    assert store.never_suggest_artist(f"The {artist} feat. Someone Else")
    assert not store.never_suggest_artist(artist)                    # one artist: already there
    assert store.never_suggested_ids() == theirs
    up_next, radio, rows = provider.up_next([seed], 10), provider.radio(seed, 10, exclude={seed}), provider.discover(4)
    assert len(up_next) == len(radio) == 10
    assert not theirs & set(_ids(up_next) + _ids(radio))
    assert all(len(row) == 4 and not theirs & set(_ids(row)) for row in rows.values())
    # Radio from one of their songs, chosen by the person, still plays songs of others.
    station = provider.radio(min(theirs), 10, exclude={min(theirs)})
    assert len(station) == 10 and not theirs & set(_ids(station))
    (entry,) = store.never_suggested()
    store.suggest_again(entry["id"])
    assert theirs & set(_ids(provider.up_next([seed], 10) + provider.radio(seed, 10, exclude={seed})))


def test_what_is_left_out_is_kept_across_a_restart(store, segue_home):
    ids, _genre = fill_library(store)
    song = ids["Rock song 3"]
    store.never_suggest_track(song)
    store.never_suggest_artist("Jazz Artist 2")
    path = store.path
    store.close()
    again = Store(path)
    try:
        kept = {(r["track_id"], r["artist"]) for r in again.never_suggested()}
        assert kept == {(song, None), (None, "Jazz Artist 2")}
        jazz_2 = {t for t in ids.values() if again.track(t)["artist"] == "Jazz Artist 2"}
        assert again.never_suggested_ids() == {song} | jazz_2
        got = _ids(LibraryRecommendations(again).up_next([ids["Rock song 2"]], 10))
        assert len(got) == 10 and song not in got and not jazz_2 & set(got)
    finally:
        again.close()


def test_a_song_left_out_stays_out_when_a_scan_merges_its_track_into_another(store):
    ids, _genre = fill_library(store)
    kept, moved = ids["Rock song 1"], ids["Rock song 2"]
    store.never_suggest_track(moved)
    store.merge_duplicate(moved, kept)          # another path to the same file
    assert store.never_suggested_ids() == {kept}
    store.never_suggest_track(ids["Rock song 5"])
    store.adopt_moved(ids["Rock song 4"], ids["Rock song 5"])      # a moved file's new row folds into the old
    assert store.never_suggested_ids() == {kept, ids["Rock song 4"]}


def test_a_name_with_no_artist_in_it_is_refused(store):
    with pytest.raises(ValueError):
        store.never_suggest_artist("  ")
    assert store.never_suggested() == []


def test_a_song_of_a_left_out_artist_scanned_later_is_left_out_too(store):
    ids, _genre = fill_library(store)
    service = RecommenderService(store, priors=None)
    seed = ids["Ambient song 0"]
    store.never_suggest_artist("Ambient Artist 1")
    assert service.up_next([seed], 10)                   # the list is read (and kept) before the scan
    store.upsert_tracks([{"path": f"/music/new/{i}.flac", "size": 1000, "mtime_ns": 1, "title": f"New {i}",
                          "artist": "Ambient Artist 1", "album": "New", "genre": "Ambient", "duration": 200.0}
                         for i in range(30)])
    service.invalidate()                                  # as a scan does
    new = {r["id"] for r in store.tracks() if r["album"] == "New"}
    got = _ids(service.up_next([seed], 20)) + _ids(service.radio(seed, 20, exclude={seed}))
    assert len(got) == 40 and not new & set(got)
    assert not new & {r.track_id for row in service.discover(10).values() for r in row}


def test_a_song_left_out_of_discover_gives_its_place_to_another_of_its_artist(store, provider):
    # A row of 10 from a genre of 6 artists holds some of them twice (two each at most while
    # others are left). One of those two songs left out: the artist still has two songs there,
    # their next one, and the row is as long.
    rows = {b: _ids(row) for b, row in provider.discover(10).items()}
    bucket, row = "rock", rows["rock"]
    assert len(row) == 10
    by_artist: dict[str, list[int]] = {}
    for t in row:
        by_artist.setdefault(_artist(store, t), []).append(t)
    artist, (first, second) = next((a, ts) for a, ts in by_artist.items() if len(ts) == 2)
    assert store.never_suggest_track(second)
    after = _ids(provider.discover(10)[bucket])
    theirs = [t for t in after if _artist(store, t) == artist]
    assert len(after) == 10 and second not in after
    assert len(theirs) == 2 and first in theirs, [store.track(t)["title"] for t in after]


def test_a_song_left_out_takes_its_other_copies_with_it_but_not_another_take(store, provider):
    # The same recording on a best-of, in another format, spelled with its remaster note: the
    # person who said "not this song" would not want it back that way. A live take of another
    # length, and another artist's song of that title, are other songs.
    ids = {r["title"]: r["id"] for r in store.tracks()}
    song = ids["Jazz song 3"]
    store.upsert_tracks([
        {"path": "/music/best of/03.mp3", "size": 900, "mtime_ns": 1, "title": "Jazz song 3 - Remastered 2011",
         "artist": "JAZZ ARTIST 3", "album": "Best Of", "genre": "Jazz", "duration": 201.5},
        {"path": "/music/live/03.flac", "size": 1000, "mtime_ns": 1, "title": "Jazz song 3",
         "artist": "Jazz Artist 3", "album": "Live", "genre": "Jazz", "duration": 260.0},
        {"path": "/music/covers/03.flac", "size": 1000, "mtime_ns": 1, "title": "Jazz song 3",
         "artist": "Rock Artist 3", "album": "Covers", "genre": "Jazz", "duration": 200.0}])
    by_path = {r["path"]: r["id"] for r in store.tracks()}
    copy, live, cover = (by_path[f"/music/{p}"] for p in ("best of/03.mp3", "live/03.flac", "covers/03.flac"))
    assert store.never_suggest_track(song)
    assert store.never_suggested_ids() == {song, copy}
    seed = ids["Jazz song 0"]
    offered = (_ids(provider.up_next([seed], 95)) + _ids(provider.radio(seed, 95, exclude={seed}))
               + [r.track_id for row in provider.discover(40).values() for r in row])
    assert copy not in offered and song not in offered
    assert live in offered and cover in offered
    for entry in store.never_suggested():
        store.suggest_again(entry["id"])
    assert store.never_suggested_ids() == set()
