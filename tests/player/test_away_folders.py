"""A library folder on a disk or share not connected: its tracks stay listed with their plays,
and no suggestion (Up next, Radio, Discover, of either provider) offers one of them, since it
would not play; once a scan finds the folder again they are offered as before."""

from __future__ import annotations

import shutil

import pytest

from player.library.scanner import Scanner
from tests.audiogen import write_track
from tests.player.test_recommender_service import fill_library


def _ids(recs) -> list[int]:
    return [r.track_id for r in recs]


def _on_a_disk(store, genre: str) -> set[int]:
    """Put the tracks of ``genre`` in a library folder of their own; their ids."""
    folder = store.add_folder(f"/music/{genre}")
    with store.transaction() as conn:
        conn.execute("UPDATE tracks SET folder_id = ? WHERE genre = ?", (folder, genre))
    return {r["id"] for r in store.tracks() if r["genre"] == genre}


def test_the_songs_of_a_folder_away_are_offered_nowhere_until_it_is_back(store, provider):
    ids = {r["title"]: r["id"] for r in store.tracks()}
    rock = _on_a_disk(store, "Rock")
    seed = ids["Jazz song 0"]
    before = (_ids(provider.up_next([seed], 95)), _ids(provider.radio(seed, 95, exclude={seed})),
              {b: _ids(row) for b, row in provider.discover(10).items()})
    assert rock & set(before[0]) and rock & set(before[1]) and before[2]["rock"]

    assert store.set_folders_away(["/music/Rock"], []) == (["/music/Rock"], [])
    assert store.set_folders_away(["/music/Rock"], []) == ([], [])   # said once: nothing changed
    assert store.left_out_ids() == rock == store.away_track_ids()
    up_next, radio = _ids(provider.up_next([seed], 95)), _ids(provider.radio(seed, 95, exclude={seed}))
    rows = {b: _ids(row) for b, row in provider.discover(10).items()}
    assert len(up_next) == 95 - len(rock) and not rock & set(up_next)   # all the others, none of them
    assert radio and not rock & set(radio)
    assert not rows.get("rock") and not any(rock & set(row) for row in rows.values())
    assert {b: row for b, row in rows.items() if b != "rock"} == {b: row for b, row in before[2].items() if b != "rock"}
    assert not rock & set(_ids(provider.radio(ids["Rock song 1"], 20, exclude={ids["Rock song 1"]})))

    assert store.set_folders_away([], ["/music/Rock"]) == ([], ["/music/Rock"])     # connected again
    assert store.left_out_ids() == set()
    assert (_ids(provider.up_next([seed], 95)), _ids(provider.radio(seed, 95, exclude={seed})),
            {b: _ids(row) for b, row in provider.discover(10).items()}) == before


def test_a_song_never_to_suggest_stays_left_out_beside_a_folder_away(store):
    ids, _genre = fill_library(store)
    rock = _on_a_disk(store, "Rock")
    store.never_suggest_track(ids["Jazz song 2"])
    store.set_folders_away(["/music/Rock"], [])
    assert store.left_out_ids() == rock | {ids["Jazz song 2"]}
    store.set_folders_away([], ["/music/Rock"])
    assert store.left_out_ids() == {ids["Jazz song 2"]}


@pytest.mark.parametrize("how", ["gone", "empty"])
def test_a_scan_notes_a_folder_away_and_back(store, tmp_path, how):
    # Unplugged, a disk's mount point is not there, or there and empty: either way its tracks
    # are kept, and left out of suggestions until a scan finds the folder again.
    disk, home = tmp_path / "usb-disk", tmp_path / "home"
    write_track(disk / "Album", "song", fmt="flac", tags={"title": "Song", "artist": "A"})
    write_track(home, "other", fmt="flac", tags={"title": "Other", "artist": "B"})
    first = Scanner(store).scan([str(disk), str(home)])
    assert not first.away_changed and store.away_track_ids() == set()
    song = store.track_by_path(str(disk / "Album" / "song.flac"))["id"]
    moved = tmp_path / "unplugged"
    shutil.move(disk / "Album" if how == "empty" else disk, moved)
    result = Scanner(store).scan()
    assert result.unavailable == [str(disk)] and result.away_changed
    assert store.away_track_ids() == {song} and store.left_out_ids() == {song}
    assert sorted(t["title"] for t in store.tracks()) == ["Other", "Song"]    # listed still
    assert not Scanner(store).scan().away_changed                   # still away: nothing new
    assert not Scanner(store).scan([str(home)]).away_changed        # a scan of the other folder alone
    assert store.away_track_ids() == {song}
    shutil.move(moved, disk / "Album" if how == "empty" else disk)
    result = Scanner(store).scan()
    assert result.unavailable == [] and result.away_changed and result.back == [str(disk)]
    assert store.away_track_ids() == set()
