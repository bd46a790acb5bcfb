"""Playlists in the store: names, order, entries outside the library kept and linked later."""

from __future__ import annotations

import pytest

from player.store import PlaylistError


def _tracks(store, n=4):
    store.upsert_tracks([{"path": f"/m/{i}.flac", "size": 1, "mtime_ns": 1, "title": f"t{i}"} for i in range(n)])
    return [r["id"] for r in store.tracks()]


def test_create_order_names_and_removal(store):
    ids = _tracks(store)
    a = store.create_playlist("  Road   trip ", [ids[2], ids[0], ids[2]])
    assert store.playlist(a)["name"] == "Road trip"
    assert store.playlist_track_ids(a) == [ids[2], ids[0], ids[2]]          # order and repeats kept
    b = store.create_playlist("road trip", [ids[1]])
    assert store.playlist(b)["name"] == "road trip (2)"                      # names stay apart
    assert [(p["name"], p["entries"]) for p in store.playlists()] == [("Road trip", 3), ("road trip (2)", 1)]
    store.add_to_playlist(b, [ids[3], 10**6])                               # an unknown id is not added
    assert store.playlist_track_ids(b) == [ids[1], ids[3]]
    store.remove_playlist_entries(a, [1])
    assert [(e["position"], e["track_id"]) for e in store.playlist_entries(a)] == [(0, ids[2]), (1, ids[2])]
    assert store.rename_playlist(a, "ROAD TRIP (2)") == "ROAD TRIP (2) (2)"
    store.delete_playlist(b)
    assert [p["name"] for p in store.playlists()] == ["ROAD TRIP (2) (2)"]
    with pytest.raises(PlaylistError):
        store.create_playlist("   ")


def test_files_outside_the_library_are_kept_and_linked_by_a_later_scan(store):
    ids = _tracks(store, 1)
    p = store.create_playlist("Mixed", [ids[0]], paths=["/m/0.flac", "/new/x.mp3"])
    entries = store.playlist_entries(p)
    assert [(e["track_id"], bool(e["playable"])) for e in entries] == [(ids[0], True), (ids[0], True), (None, False)]
    assert store.playlists()[0]["playable"] == 2
    store.upsert_tracks([{"path": "/new/x.mp3", "size": 1, "mtime_ns": 1}])
    assert store.link_playlist_paths() == 1
    assert len(store.playlist_track_ids(p)) == 3
    store.mark_missing([ids[0]])                                            # gone from the library: kept, not played
    assert store.playlist_track_ids(p) == [store.track_by_path("/new/x.mp3")["id"]]
    assert len(store.playlist_entries(p)) == 3
