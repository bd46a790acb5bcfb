"""Playlists in the store: names, order, entries outside the library kept and linked later,
paths matched to tracks through links, across systems and by their last folders."""

from __future__ import annotations

import os
import unicodedata

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



def test_a_name_with_its_accents_decomposed_is_the_same_name(store):
    # A playlist file named on a Mac has "é" as "e" and a combining accent: imported beside a
    # playlist of the name typed here, the two looked alike in the list.
    ids = _tracks(store)
    composed, decomposed = unicodedata.normalize("NFC", "Café"), unicodedata.normalize("NFD", "Café")
    a = store.create_playlist(composed, ids[:1])
    b, _ = store.import_playlist(decomposed, ["/m/1.flac"])
    assert store.playlist(b)["name"] == f"{decomposed} (2)"
    assert store.rename_playlist(a, decomposed.upper()) == decomposed.upper()     # its own name, written otherwise

def test_reordering_moves_songs_and_refuses_a_list_changed_meanwhile(store):
    ids = _tracks(store)
    a = store.create_playlist("Mix", ids, paths=["/elsewhere/caf\udce9.flac"])     # not UTF-8 (b"caf\xe9")

    def shown(*positions):
        paths = {e["position"]: e["path"] for e in store.playlist_entries(a)}
        return [(p, paths.get(p, "?")) for p in positions]

    assert store.reorder_playlist(a, shown(4, 2, 0, 1, 3))
    assert [(e["track_id"], e["path"]) for e in store.playlist_entries(a)][:2] == [(None, "/elsewhere/caf\udce9.flac"),
                                                                                     (ids[2], "/m/2.flac")]
    assert store.playlist_track_ids(a) == [ids[2], ids[0], ids[1], ids[3]]
    assert [e["position"] for e in store.playlist_entries(a)] == [0, 1, 2, 3, 4]
    # An order read before a song was added or moved, or not each entry once: nothing moves.
    old = shown(1, 0, 2, 3, 4)
    assert store.reorder_playlist(a, shown(0, 1, 2, 4, 3))
    assert not store.reorder_playlist(a, old)                # the same positions, other songs now
    store.add_to_playlist(a, [ids[0]])
    for stale in (shown(1, 0, 2, 3, 4), shown(1, 0, 2, 3, 4, 4), shown(5, 4, 3, 2, 1, 0, 6)):
        assert not store.reorder_playlist(a, stale)
    assert store.playlist_track_ids(a) == [ids[2], ids[0], ids[3], ids[1], ids[0]]


def test_removing_by_the_paths_read_refuses_a_list_changed_meanwhile(store):
    ids = _tracks(store)
    a = store.create_playlist("Mix", ids)
    read = {e["position"]: e["path"] for e in store.playlist_entries(a)}
    assert store.reorder_playlist(a, [(1, read[1]), (0, read[0]), (2, read[2]), (3, read[3])])
    # position 0 as read was t0; it holds t1 now: nothing is removed
    assert store.remove_playlist_entries(a, [0], [read[0]]) is False
    assert store.playlist_track_ids(a) == [ids[1], ids[0], ids[2], ids[3]]
    now = {e["position"]: e["path"] for e in store.playlist_entries(a)}
    assert store.remove_playlist_entries(a, [1, 3], [now[1], now[3]]) is True
    assert store.playlist_track_ids(a) == [ids[1], ids[2]]
    assert store.remove_playlist_entries(a, [5], ["/m/9.flac"]) is False     # gone meanwhile
    assert store.remove_playlist_entries(a, [0]) is True                     # (no paths: by position)
    assert store.playlist_track_ids(a) == [ids[2]]


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


def test_a_file_name_that_is_not_utf8_can_be_saved_in_a_playlist(store, tmp_path):
    latin1 = os.fsdecode(b"/m/Caf\xe9.flac")                          # as the scanner stores such a file
    store.upsert_tracks([{"path": latin1, "size": 1, "mtime_ns": 1}, {"path": "/m/plain.flac", "size": 1,
                                                                      "mtime_ns": 1}])
    cafe, plain = store.track_by_path(latin1)["id"], store.track_by_path("/m/plain.flac")["id"]
    p = store.create_playlist("Up next", [cafe, plain])                 # Save Up next
    assert store.add_to_playlist(p, [cafe]) == 1                       # Add to playlist
    store.remove_playlist_entries(p, [1])
    assert store.playlist_track_ids(p) == [cafe, cafe]
    assert [e["path"] for e in store.playlist_entries(p)] == [latin1, latin1]
    # An old playlist in the Windows code page names it "Café.flac": it is found all the same.
    q, matches = store.import_playlist("Old", ["/m/Café.flac", latin1])
    assert store.playlist_track_ids(q) == [cafe, cafe] and [m.how for m in matches] == ["name", "path"]


def test_paths_from_another_computer_match_by_their_last_folders_and_file_name(store):
    nfd = unicodedata.normalize("NFD", "/home/me/Music/Beyoncé/Déjà Vu.flac")
    paths = ["/home/me/Music/Artist/Album/01 Song.flac", "/home/me/Music/Artist/Album/02 Other.flac", nfd,
             "/home/me/Music/Artist/Live/02 Other.flac", "/home/me/Music/A/CD1/01.flac",
             "/home/me/Music/B/CD1/01.flac"]
    store.upsert_tracks([{"path": p, "size": 1, "mtime_ns": 1} for p in paths])
    ids = {p: store.track_by_path(p)["id"] for p in paths}
    p, matches = store.import_playlist("Winamp", [
        "C:\\Users\\me\\Music\\Artist\\Album\\01 Song.flac",             # Windows separators
        "D:/music/ARTIST/album/02 other.flac",                          # another drive and case
        "\\\\nas\\music\\Beyoncé\\Déjà Vu.flac",                         # NFC against NFD on disk
        "/old/Artist/Live/02 Other.flac",                               # the music moved
        "E:\\Backup\\Song\\01 Song.flac",                               # only the file name agrees: not enough
        "E:\\CD1\\01.flac",                                             # two tracks agree as far: neither
        "/home/me/Music/Artist/Album/01 Song.flac",                     # the path itself, first
    ])
    assert [m.how for m in matches] == ["name", "name", "name", "name", None, None, "path"]
    assert [m.track_id for m in matches] == [ids[paths[0]], ids[paths[1]], ids[nfd], ids[paths[3]], None, None,
                                             ids[paths[0]]]
    # A matched entry names the library's path; one left out keeps the path it was given.
    assert [e["path"] for e in store.playlist_entries(p)][:2] == paths[:2]
    assert store.playlist_entries(p)[4]["path"] == "E:\\Backup\\Song\\01 Song.flac"
    # A later scan that brings a matching file links by the same rules.
    backup = "/home/me/Music/Backup/Song/01 Song.flac"
    store.upsert_tracks([{"path": backup, "size": 1, "mtime_ns": 1}])
    assert store.link_playlist_paths() == 1
    assert store.playlist_entries(p)[4]["track_id"] == store.track_by_path(backup)["id"]


def test_a_path_through_a_link_matches_the_same_file(store, tmp_path):
    real = tmp_path / "disk" / "Stuff"
    real.mkdir(parents=True)
    (real / "a.flac").write_bytes(b"x")
    link = tmp_path / "me" / "Music"
    link.parent.mkdir()
    link.symlink_to(real)
    store.upsert_tracks([{"path": str(real / "a.flac"), "size": 1, "mtime_ns": 1}])
    p, matches = store.import_playlist("Linked", [str(link / "a.flac")])
    assert [m.how for m in matches] == ["same file"]
    assert store.playlist_track_ids(p) == [store.track_by_path(str(real / "a.flac"))["id"]]

def test_every_scan_links_entries_to_the_tracks_it_brings(store, tmp_path):
    from player.library.scanner import Scanner
    from tests.audiogen import write_track

    p = store.create_playlist("Before", paths=[str(tmp_path / "new" / "a.flac")])
    write_track(tmp_path / "new", "a", fmt="flac", seconds=1.0)
    result = Scanner(store).scan([str(tmp_path / "new")])             # the command line's scan, no window
    assert result.playlist_links == 1
    assert store.playlist_track_ids(p) == [store.track_by_path(str(tmp_path / "new" / "a.flac"))["id"]]


def test_songs_added_in_front_of_an_entry_go_there_or_to_the_end_if_it_moved(store):
    ids = _tracks(store, 5)
    a = store.create_playlist("Mix", ids[:3])
    entries = store.playlist_entries(a)
    # In front of the second song (as read): between the first and the second.
    assert store.add_to_playlist(a, [ids[3], ids[4]], before=(1, entries[1]["path"])) == 2
    assert store.playlist_track_ids(a) == [ids[0], ids[3], ids[4], ids[1], ids[2]]
    assert [e["position"] for e in store.playlist_entries(a)] == [0, 1, 2, 3, 4]
    # The list changed since it was read (position 1 is another song now): kept, at the end.
    assert store.add_to_playlist(a, [ids[0]], before=(1, entries[1]["path"])) == 1
    assert store.playlist_track_ids(a) == [ids[0], ids[3], ids[4], ids[1], ids[2], ids[0]]


def test_removed_songs_are_put_back_only_on_the_list_they_left(store):
    ids = _tracks(store)
    a = store.create_playlist("Mix", [ids[0], ids[1], ids[0], ids[2]])
    was = [(e["track_id"], e["path"]) for e in store.playlist_entries(a)]
    assert store.remove_playlist_entries(a, [0, 2])
    now = [e["path"] for e in store.playlist_entries(a)]
    assert store.restore_playlist_entries(a, was, now)
    assert store.playlist_track_ids(a) == [ids[0], ids[1], ids[0], ids[2]]
    assert store.remove_playlist_entries(a, [3])
    now = [e["path"] for e in store.playlist_entries(a)]
    store.add_to_playlist(a, [ids[3]])                              # changed since: not put back
    assert not store.restore_playlist_entries(a, was, now)
    assert store.playlist_track_ids(a) == [ids[0], ids[1], ids[0], ids[3]]


def test_songs_put_back_follow_a_track_a_scan_merged_since(store):
    # The track of a removed song went since (a scan found it a copy of another): putting it
    # back failed on the track id no longer there, and the songs stayed out.
    ids = _tracks(store)
    a = store.create_playlist("Mix", ids[:3])
    was = [(e["track_id"], e["path"]) for e in store.playlist_entries(a)]
    assert store.remove_playlist_entries(a, [1])
    now = [e["path"] for e in store.playlist_entries(a)]
    store.merge_duplicate(ids[1], ids[3])
    assert store.restore_playlist_entries(a, was, now)
    assert store.playlist_track_ids(a) == [ids[0], ids[3], ids[2]]
    assert [e["path"] for e in store.playlist_entries(a)] == [p for _t, p in was]


def test_songs_added_follow_a_track_merged_since_the_window_named_it(store):
    # "Add to playlist" names the tracks the window shows; the player (as a song opens) or a
    # scan may merge one into its copy before the add lands. It was left out with no word.
    ids = _tracks(store)
    a = store.create_playlist("Mix", ids[:1])
    store.merge_duplicate(ids[1], ids[3])
    assert store.add_to_playlist(a, [ids[1], ids[2]]) == 2
    assert store.playlist_track_ids(a) == [ids[0], ids[3], ids[2]]
    b = store.create_playlist("New", [ids[1]])
    assert store.playlist_track_ids(b) == [ids[3]]


def test_a_sheets_track_named_by_its_file_and_start_is_found_after_the_music_moved(store):
    # A playlist exported on another computer (or before the music moved) names the sheet's file
    # where it was: the track, found by name for other songs, stayed out for good.
    store.upsert_tracks([{"path": f"/new/Band/Live/Live.flac#0{n}", "size": 1, "mtime_ns": 1, "title": f"L{n}",
                          "cue_sheet": "/new/Band/Live/Live.cue", "cue_start_s": start, "cue_end_s": None}
                         for n, start in ((1, 0.0), (2, 180.0), (3, 200.0))]
                        + [{"path": "/new/Other/Side.flac#03", "size": 1, "mtime_ns": 1, "title": "S3",
                            "cue_sheet": "/new/Other/Side.cue", "cue_start_s": 200.0, "cue_end_s": None}])
    got = store.sheet_tracks_named(["D:\\Music\\Band\\Live\\Live.flac", "/old/Band/Live/Live.flac",
                                    "/old/Band/Live/Live.flac", "/old/Nowhere/Live.flac"],
                                   {0: 180.2, 1: 200.0, 2: 0.0, 3: 180.0})
    assert got == ["/new/Band/Live/Live.flac#02", "/new/Band/Live/Live.flac#03", "/new/Band/Live/Live.flac#01",
                   "/old/Nowhere/Live.flac"]


def test_a_sheets_tracks_in_a_playlist_imported_before_the_album_was_scanned_are_linked_by_the_scan(store, tmp_path):
    # A track named by its file and start, and a sheet named whole, stayed "not in the library"
    # for good: the file's path and the sheet's name are no track's, and the start was dropped.
    from player.library.scanner import Scanner
    from player.playlist_files import read_playlist
    from tests.player.library.test_cue import _album

    _album(tmp_path / "music" / "One")
    album = tmp_path / "music" / "One" / "Album.flac"
    listed = tmp_path / "list.m3u8"
    listed.write_text(f"#EXTINF:1,The Band - Second Song\n#EXTVLCOPT:start-time=2\n{album}\n"
                      f"{album.with_suffix('.cue')}\n#EXTINF:1,Tail\n#EXTVLCOPT:start-time=3.49\n{album}\n",
                      encoding="utf-8")
    content = read_playlist(listed)
    pid, _ = store.import_playlist(content.name, content.paths, content.starts, content.titles)
    assert store.playlist_track_ids(pid) == []
    assert Scanner(store).scan([str(tmp_path / "music")]).playlist_links == 5
    one, two, three = (store.track_by_path(f"{album}#0{n}")["id"] for n in (1, 2, 3))
    assert store.playlist_track_ids(pid) == [two, one, two, three, three]
    assert [e["title"] for e in store.playlist_entries(pid)] == ["The Band - Second Song", None, None, None, "Tail"]


def test_linking_entries_whose_sheet_is_not_in_the_library_does_not_read_the_library_for_each(store):
    # A scan links the entries not found yet each time; a CUE track (file and start) or a
    # sheet named whole read every track for each such entry, minutes for 10,000 of them.
    # The work is counted in SQLite's own steps, not timed.
    from benchmarks.library_gen import fill_store

    fill_store(store, 3000)
    n = 300
    store.import_playlist("Tracks", [f"/gone/{i}/Album.flac" for i in range(n)], {i: 60.0 for i in range(n)})
    store._create("Sheets", (), [f"/gone/{i}/Album.cue" for i in range(n)])
    steps = [0]

    def count():
        steps[0] += 1
        return 0

    store.conn.set_progress_handler(count, 100)
    try:
        assert store.link_playlist_paths() == 0
    finally:
        store.conn.set_progress_handler(None, 0)
    # One read of the library is some 3,000 rows; one for each entry was 600 of them.
    assert steps[0] * 100 < 40 * 3000 * 10, steps[0]


def test_a_file_renamed_moved_or_converted_since_is_found_by_the_artist_and_title_its_playlist_gives(store):
    # A playlist made before the music was sorted into other folders, or converted from FLAC
    # to MP3, named files whose name and folder the library no longer has: its songs stayed
    # out, though each line gave the song's artist and title.
    store.upsert_tracks([
        {"path": "/m/Björk/Debut/01 Human Behaviour.mp3", "size": 1, "mtime_ns": 1,
         "artist": "Björk", "title": "Human Behaviour"},
        {"path": "/m/Sigur Rós/Svefn-g-englar.ogg", "size": 1, "mtime_ns": 1,
         "artist": "Sigur Rós", "title": "Svefn-g-englar"},
        {"path": "/m/Band/Studio/Song.flac", "size": 1, "mtime_ns": 1, "artist": "Band", "title": "Song"},
        {"path": "/m/Band/Live/Song.flac", "size": 1, "mtime_ns": 1, "artist": "Band", "title": "Song"},
    ])
    ids = {r["path"]: r["id"] for r in store.tracks()}
    paths = ["D:\\Music\\Bjork - Debut\\01 Human Behaviour.flac",     # converted, and the folder renamed
             "/old/Sigur Ros/02 Svefn-g-englar.ogg",                   # renamed
             "E:\\Band\\Song.flac",                                    # two versions have the tags: neither
             "/old/nothing.flac"]                                      # no tags given: left out
    p, matches = store.import_playlist("Old", paths, None, {0: "BJÖRK - human  behaviour",
                                                            1: "Svefn-g-englar - Sigur Rós",    # as iTunes writes it
                                                            2: "Band - Song"})
    assert [m.how for m in matches] == ["tags", "tags", None, None]
    assert [e["track_id"] for e in store.playlist_entries(p)] == [
        ids["/m/Björk/Debut/01 Human Behaviour.mp3"], ids["/m/Sigur Rós/Svefn-g-englar.ogg"], None, None]
    # A playlist imported before the scan: the scan that brings the song links it the same way.
    q, _ = store.import_playlist("Before", ["C:\\x\\Other Name.wma"], None, {0: "Late - Arrival"})
    store.upsert_tracks([{"path": "/m/Late/Arrival.opus", "size": 1, "mtime_ns": 1,
                          "artist": "Late", "title": "Arrival"}])
    assert store.link_playlist_paths() == 1
    assert store.playlist_entries(q)[0]["track_id"] == store.track_by_path("/m/Late/Arrival.opus")["id"]


def test_the_length_a_playlist_file_gives_picks_the_studio_or_the_live_take(store, tmp_path):
    # Two library tracks have the "Artist - Title" of an entry whose file is not here (a
    # studio and a live take): the entry stayed out, though its #EXTINF gave the song's length.
    from player.playlist_files import read_playlist

    store.upsert_tracks([
        {"path": "/m/Band/Studio/Song.flac", "size": 1, "mtime_ns": 1, "artist": "Band", "title": "Song",
         "duration": 231.4},
        {"path": "/m/Band/Live/Song.flac", "size": 1, "mtime_ns": 1, "artist": "Band", "title": "Song",
         "duration": 298.0},
    ])
    ids = {r["path"]: r["id"] for r in store.tracks()}
    (tmp_path / "old.m3u").write_text(
        "#EXTM3U\n#EXTINF:298,Band - Song\nE:\\Live\\Song.mp3\n"
        "#EXTINF:231,Band - Song\nE:\\Studio\\Song.mp3\n"
        "#EXTINF:-1,Band - Song\nE:\\Unknown\\Song.mp3\n"      # no length: either may be it, neither is taken
        "#EXTINF:265,Band - Song\nE:\\Other\\Song.mp3\n",      # a third take, not in the library
        encoding="utf-8")
    content = read_playlist(tmp_path / "old.m3u")
    assert content.lengths == {0: 298.0, 1: 231.0, 3: 265.0}
    p, matches = store.import_playlist(content.name, content.paths, content.starts, content.titles, content.lengths)
    assert [m.how for m in matches] == ["tags", "tags", None, None]
    assert [e["track_id"] for e in store.playlist_entries(p)] == [
        ids["/m/Band/Live/Song.flac"], ids["/m/Band/Studio/Song.flac"], None, None]
    # Opened to play, the file finds the same songs.
    assert store.files_named(content.paths, content.titles, lengths=content.lengths)[:2] == [
        "/m/Band/Live/Song.flac", "/m/Band/Studio/Song.flac"]


def test_an_entry_left_out_costs_a_scan_no_unicode_work_for_each_track_of_a_plain_library(store, monkeypatch):
    # Each scan links again the entries still out; one with an "Artist - Title" put every
    # track's artist and title through the Unicode steps twice, each time: a second more a scan
    # of a 50,000-track library. Plain ASCII tags need none of it, and a title's dash still reads.
    from player.store import playlists
    store.upsert_tracks([{"path": f"/m/A{i}/{i}.flac", "size": 1, "mtime_ns": 1,
                          "artist": f"Artist {i}", "title": f"Song - Part {i}"} for i in range(500)])
    store.import_playlist("Out", ["C:\\gone\\x.mp3"], None, {0: "Nobody - Nothing"})
    calls = []
    real = playlists._key
    monkeypatch.setattr(playlists, "_key", lambda part: calls.append(part) or real(part))
    assert store.link_playlist_paths() == 0
    with_label = len(calls)
    store.execute("UPDATE playlist_entries SET title = NULL")
    calls.clear()
    assert store.link_playlist_paths() == 0
    assert with_label - len(calls) < 50, (with_label, len(calls))
    # Both readings, at a title's own dash: found all the same.
    _, matches = store.import_playlist("In", ["/old/a.mp3", "/old/b.mp3"], None,
                                       {0: "ARTIST 7 - song -  part 7", 1: "Song - Part 9 - Artist 9"})
    assert [m.track_path for m in matches] == ["/m/A7/7.flac", "/m/A9/9.flac"]


def test_playlists_are_listed_by_name_as_the_library_sorts_names(store):
    # SQLite's order listed "Été" after "Zen" (an accent is a byte past "z") and "Mix 10"
    # before "Mix 2", where the library's columns sort them as people do.
    for name in ("Zen", "Été", "Mix 10", "mix 2", "apple", "Ecoute"):
        store.create_playlist(name)
    assert [p["name"] for p in store.playlists()] == ["apple", "Ecoute", "Été", "mix 2", "Mix 10", "Zen"]


def test_the_same_playlist_is_the_one_a_file_imported_again_would_only_make_again(store):
    ids = _tracks(store)
    paths, titles = ["/m/1.flac", "/elsewhere/x.flac"], {1: "Gone - Song"}
    first, _ = store.import_playlist("Mix", paths, None, titles)
    assert store.same_playlist("Mix", paths, None, titles) == first
    assert store.same_playlist("mix", paths, None, titles) == first                # (names as compared)
    assert store.same_playlist("Other", paths, None, titles) is None               # another file
    assert store.same_playlist("Mix", paths, None, {1: "Gone - Other"}) is None     # changed since
    store.add_to_playlist(first, [ids[2]])                                          # edited since: not the same
    assert store.same_playlist("Mix", paths, None, titles) is None
    second, _ = store.import_playlist("Mix", paths, None, titles)
    assert store.playlist(second)["name"] == "Mix (2)"
    assert store.same_playlist("Mix", paths, None, titles) == second
    # Deleted since, the playlist is made again by an import, under its own name.
    store.delete_playlist(first)
    store.delete_playlist(second)
    assert store.same_playlist("Mix", paths, None, titles) is None
    third, _ = store.import_playlist("Mix", paths, None, titles)
    assert store.playlist(third)["name"] == "Mix" and store.same_playlist("Mix", paths, None, titles) == third


def test_a_saved_search_keeps_its_query_and_no_songs(store):
    # Its songs are what the query finds when it is read (player.library.search): none are
    # stored, none can be put in, and an edit, a delete and its undo keep the query.
    ids = _tracks(store)
    pid = store.save_search(" Beatles ", "  artist:beatles   year:1965-1972 ")
    row = store.playlist(pid)
    assert (row["name"], row["query"]) == ("Beatles", "artist:beatles year:1965-1972")
    assert store.playlist_entries(pid) == []
    with pytest.raises(PlaylistError, match="saved search"):
        store.add_to_playlist(pid, ids[:1])
    assert store.playlist_entries(pid) == []
    store.set_playlist_query(pid, "artist:beatles -live")
    assert store.playlist(pid)["query"] == "artist:beatles -live"
    with pytest.raises(PlaylistError):
        store.set_playlist_query(pid, "   ")              # a search for nothing finds everything
    with pytest.raises(PlaylistError):
        store.set_playlist_query(store.create_playlist("Songs", ids), "x")   # not a search: its songs stay
    with pytest.raises(PlaylistError):
        store.save_search("Empty", "")
    was = store.delete_playlist(pid)
    again, name = store.restore_playlist(*was)
    assert (name, store.playlist(again)["query"]) == ("Beatles", "artist:beatles -live")


def test_a_saved_search_is_made_with_its_query_in_one_write(store):
    # Made as an empty playlist of songs and given its query in a second write, it was one
    # to any read between the two (the playlists panel's, on a worker): listed as a playlist
    # of no songs, offered to "Add to playlist". A trigger keeps what each new row held.
    conn = store.conn
    conn.execute("CREATE TEMP TABLE made (query TEXT)")
    conn.execute("CREATE TEMP TRIGGER made_as AFTER INSERT ON playlists BEGIN "
                 "INSERT INTO made (query) VALUES (NEW.query); END")
    store.save_search("Rated", "rating:>=4")
    store.create_playlist("Songs", [])
    assert [r[0] for r in conn.execute("SELECT query FROM temp.made")] == ["rating:>=4", None]
