"""Tracks without tags are named after their file and folders everywhere the window shows them."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from player.library.scanner import Scanner
from tests.audiogen import write_track


def _untagged_library(store, tmp_path):
    root = tmp_path / "music"
    write_track(root / "Game OSTs" / "Zelda", "01 Overworld", fmt="wav", seconds=2.0)
    write_track(root / "Game OSTs" / "Zelda" / "CD2", "02 Dungeon", fmt="flac", seconds=2.0, freq=330.0)
    write_track(root / "Game OSTs" / "Metroid", "Brinstar", fmt="wav", seconds=2.0, freq=550.0)
    write_track(root, "loose end", fmt="wav", seconds=2.0, freq=660.0)
    write_track(root / "Tagged", "t", fmt="flac", seconds=2.0, freq=770.0,
                tags={"title": "Tagged Song", "artist": "Zed Band", "album": "Known", "genre": "Rock"})
    write_track(root / "Tagged", "a", fmt="flac", seconds=2.0, freq=880.0,
                tags={"title": "Early Song", "artist": "Alpha", "album": "First", "genre": "Rock"})
    Scanner(store).scan([str(root)])
    return root


def _rows(window):
    m = window.model
    return [tuple(m.index(r, c).data() for c in (1, 2, 3)) for r in range(m.rowCount())]


def test_untagged_tracks_show_and_find_by_file_and_folder_names(qtbot, store, tmp_path, make_window):
    _untagged_library(store, tmp_path)
    window = make_window(store)
    rows = _rows(window)
    assert all(title for title, _a, _al in rows), rows          # no blank titles
    # In library order by the names shown: untagged albums sit among the tagged ones by artist.
    assert rows == [("loose end", "", ""),                      # no artist or album to go by: first
                    ("Early Song", "Alpha", "First"),
                    ("Brinstar", "Game OSTs", "Metroid"),
                    ("01 Overworld", "Game OSTs", "Zelda"), ("02 Dungeon", "Game OSTs", "Zelda"),
                    ("Tagged Song", "Zed Band", "Known")]
    index = window.model.index(3, 1)
    assert window.model.data(index, Qt.FontRole).italic()                     # guessed names look different
    assert "file name" in window.model.data(index, Qt.ToolTipRole)
    assert not window.model.data(window.model.index(1, 1), Qt.FontRole)
    # Searchable by file name and folder name.
    qtbot.keyClicks(window.library.search, "overworld")
    assert [window.model.index(r, 1).data() for r in range(window.model.rowCount())] == ["01 Overworld"]
    window.library.search.clear()
    qtbot.keyClicks(window.library.search, "game osts zelda")
    assert window.model.rowCount() == 2
    # Playing shows the names in the now-playing bar and in Up next.
    qtbot.keyClick(window.library.search, Qt.Key_Return)
    first = window.model.track_id(0)
    qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
    qtbot.waitUntil(lambda: window.transport.title.text() == "01 Overworld", timeout=5000)
    assert window.transport.subtitle.text() == "Game OSTs — Zelda"
    qtbot.waitUntil(lambda: window.up_next.rows.rowCount() == 1, timeout=5000)
    assert window.up_next.rows.index(0).data() == "02 Dungeon"


def test_discover_and_the_command_line_use_the_same_names(qtbot, store, tmp_path, make_window):
    root = _untagged_library(store, tmp_path)
    window = make_window(store)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: any(r.bucket == "No genre tag" for r in window.discover.rows), timeout=5000)
    row = next(r for r in window.discover.rows if r.bucket == "No genre tag")
    titles = {row.list.item(i).text() for i in range(row.list.count())}
    assert titles == {"01 Overworld", "02 Dungeon", "Brinstar", "loose end"}
    assert not any(str(root) in t for t in titles)
    # `segue play zelda` finds untagged tracks by their folders, not by the library folder's name.
    assert {r["path"].rsplit("/", 1)[-1] for r in store.tracks_matching("zelda dungeon")} == {"02 Dungeon.flac"}
    assert store.tracks_matching("music") == []


def test_space_on_a_fresh_launch_queues_named_rows(qtbot, store, tmp_path, make_window):
    """Space with nothing saved plays the library from the top; untagged tracks come first in
    the store's order, which is why this once filled Up next with blank rows."""
    _untagged_library(store, tmp_path)
    window = make_window(store, wait_library=False)
    qtbot.waitUntil(lambda: window.restored, timeout=10000)
    qtbot.waitUntil(lambda: window.model.rowCount() == 6, timeout=10000)
    window.act_play.trigger()
    qtbot.waitUntil(lambda: window.up_next.rows.rowCount() == 5, timeout=10000)
    titles = [window.up_next.rows.index(i).data() for i in range(5)]
    assert all(titles) and "Brinstar" in titles, titles


def _mixed_library(store, tmp_path):
    # Tagged albums, a folder of files with no tags at all, a folder of files tagged with a
    # title only, a bonus track without a number, and an artist whose name starts with an accent.
    root = tmp_path / "music"
    for n in (2, 1):
        write_track(root / "Beta Band" / "Middle", f"{n:02d}", seconds=0.3, freq=300.0 + n,
                    tags={"title": f"Middle {n}", "artist": "Beta Band", "album": "Middle", "tracknumber": n})
    write_track(root / "Beta Band" / "Middle", "Bonus", seconds=0.3, freq=310.0,
                tags={"title": "Middle Bonus", "artist": "Beta Band", "album": "Middle"})
    write_track(root / "Alpha" / "Demos", "01 raw", seconds=0.3, freq=330.0)
    write_track(root / "Zed" / "Tapes", "02 tape", seconds=0.3, freq=550.0, tags={"title": "Second tape"})
    write_track(root / "Zed" / "Tapes", "01 tape", seconds=0.3, freq=560.0, tags={"title": "First tape"})
    write_track(root / "Zola", "z", seconds=0.3, freq=600.0, tags={"title": "Zola 1", "artist": "Zola", "album": "Z"})
    write_track(root / "Émile", "e", seconds=0.3, freq=610.0, tags={"title": "Émile 1", "artist": "Émile",
                                                                      "album": "Songs"})
    Scanner(store).scan([str(root)])
    return root


def _in_the_windows_order_everywhere(store, names: dict[int, str]) -> list[str]:
    """The window's library order, by ``names`` (track id → a name for it), after checking that
    the library order `segue play` uses and Up next from the window's first track go the same way."""
    from player.library.albums import library_order
    from player.library.names import Namer
    from player.recommendations import LibraryRecommendations
    from player.library.search import load_library

    window = [names[t] for t in load_library(store).ids.tolist()]
    rows = store.library_rows(["id", "title", "path", "folder_id", "artist", "albumartist", "album", "track_no",
                               "disc_no", "mb_album_id", "compilation", "folder_compilation", "artistsort",
                               "albumartistsort"])
    assert [names[r["id"]] for r in library_order(rows, Namer.of(store))] == window
    first = next(t for t, name in names.items() if name == window[0])
    assert [names[r.track_id] for r in LibraryRecommendations(store).up_next([first], len(window))] == window[1:]
    return window


def test_up_next_and_segue_play_go_in_the_windows_order_over_untagged_files(store, tmp_path):
    # The store orders a track without tags first, a bonus track without a number at the head
    # of its album and "Émile" after Z: Up next and `segue play` went in that order, the
    # window in another (untagged files among the others by their folders' names).
    from player.library.albums import library_order
    from player.library.names import Namer

    root = _mixed_library(store, tmp_path)
    paths = {r["id"]: os.path.relpath(r["path"], root) for r in store.tracks()}
    window = _in_the_windows_order_everywhere(store, paths)
    assert window == ["Alpha/Demos/01 raw.flac", "Beta Band/Middle/01.flac", "Beta Band/Middle/02.flac",
                      "Beta Band/Middle/Bonus.flac", "Émile/e.flac", "Zed/Tapes/01 tape.flac",
                      "Zed/Tapes/02 tape.flac", "Zola/z.flac"]
    # `segue play` orders the tracks a search finds so (untagged ones found by their paths).
    found = store.tracks_matching("e")
    assert {"Alpha/Demos/01 raw.flac", "Zed/Tapes/02 tape.flac", "Beta Band/Middle/Bonus.flac"} <= {
        paths[r["id"]] for r in found}
    assert [paths[r["id"]] for r in library_order(found, Namer.of(store))] == [
        p for p in window if p in {paths[r["id"]] for r in found}]


def test_a_track_without_its_albums_disc_tag_is_listed_in_its_place_as_up_next_plays_it(store):
    # One track of a disc-tagged album re-tagged by a tool that wrote no disc number: the
    # store orders it first (NULL first), and the window listed it at the head of its album
    # where Up next and `segue play` put it in its place.
    folder = store.add_folder("/music")
    store.upsert_tracks([{"path": f"/music/A/Album/{n:02d}.flac", "folder_id": folder, "size": 1, "mtime_ns": 1,
                          "title": f"Song {n}", "artist": "A", "album": "Album", "track_no": n,
                          "disc_no": None if n == 3 else 1} for n in (1, 2, 3)])
    titles = {r["id"]: r["title"] for r in store.tracks()}
    assert _in_the_windows_order_everywhere(store, titles) == ["Song 1", "Song 2", "Song 3"]


def test_a_track_without_the_release_id_of_its_folder_plays_with_its_release_as_the_window_lists_it(store):
    # Two releases of "Gold" by one artist, told apart by their MusicBrainz release ids; one
    # track tagged by hand lacks its id. The window lists it with the release its folder
    # carries; Up next and `segue play` put it after the other release.
    folder = store.add_folder("/music")
    store.upsert_tracks([{"path": f"/music/Abba/{where}/{n:02d}.flac", "folder_id": folder, "size": 1,
                          "mtime_ns": 1, "title": f"{where} {n}", "artist": "Abba", "album": "Gold", "track_no": n,
                          "mb_album_id": release}
                         for where, n, release in (("Gold", 1, "r1"), ("Gold", 2, "r1"), ("Gold", 3, None),
                                                   ("Gold2008", 1, "r2"), ("Gold2008", 2, "r2"))])
    titles = {r["id"]: r["title"] for r in store.tracks()}
    assert _in_the_windows_order_everywhere(store, titles) == ["Gold 1", "Gold 2", "Gold 3", "Gold2008 1", "Gold2008 2"]


def test_files_with_an_album_tag_but_no_artist_are_listed_by_their_folders_artist_as_up_next_plays_them(store):
    # The store orders tracks without an artist by their album tags alone: the window listed
    # "Alpha" from a folder "Zed" before "Beta" from a folder "Abba", its Artist column out of
    # order, where Up next and `segue play` went Abba, then Zed.
    folder = store.add_folder("/music")
    for tagged in (False, True):
        store.upsert_tracks([{"path": f"/music/{where}/01.flac", "folder_id": folder, "size": 1, "mtime_ns": 1,
                              "title": where, "album": album, "track_no": 1}
                             for where, album in (("Zed/Tapes", "Alpha"), ("Abba/Demos", "Beta"))])
        if tagged:      # (and among tagged tracks, between the same two of them)
            store.upsert_tracks([{"path": "/music/Aaron/Play/01.flac", "folder_id": folder, "size": 1,
                                  "mtime_ns": 1, "title": "Aaron/Play", "artist": "Aaron", "album": "Play",
                                  "track_no": 1}])
        titles = {r["id"]: r["title"] for r in store.tracks()}
        window = _in_the_windows_order_everywhere(store, titles)
        assert window == ["Aaron/Play"] * tagged + ["Abba/Demos", "Zed/Tapes"]


def test_a_compilation_flagged_on_some_tracks_only_plays_together_as_the_window_lists_it(store):
    # A mix without an album artist whose second track lacks the compilation flag: the window
    # lists the whole mix under Various Artists; Up next and `segue play` played that track
    # under its own artist, before Moby's album, away from the rest of the mix.
    from player.recommendations import LibraryRecommendations
    from player.library.search import load_library

    folder = store.add_folder("/music")
    store.upsert_tracks([{"path": f"/music/{where}.flac", "folder_id": folder, "size": 1, "mtime_ns": 1,
                          "title": where, "artist": artist, "album": album, "track_no": n, "compilation": flag}
                         for where, artist, album, n, flag in (("Mix/01", "Zappa", "Mix", 1, 1),
                                                               ("Mix/02", "Abba", "Mix", 2, None),
                                                               ("Mix/03", "Moby", "Mix", 3, 1),
                                                               ("Moby/01", "Moby", "Play", 1, None))])
    titles = {r["id"]: r["title"] for r in store.tracks()}
    window = [titles[t] for t in load_library(store).ids.tolist()]
    assert window == ["Moby/01", "Mix/01", "Mix/02", "Mix/03"]
    first = next(t for t, title in titles.items() if title == window[0])
    provider = LibraryRecommendations(store)
    assert [titles[r.track_id] for r in provider.up_next([first], 5)] == window[1:]
    # The flagged tracks gone, the one left goes under its artist again (read again, not kept).
    with store.transaction() as conn:
        conn.execute("DELETE FROM tracks WHERE compilation = 1")
    assert [titles[r.track_id] for r in provider.up_next([first], 5)] == ["Mix/02"]
    assert provider._library().order == LibraryRecommendations(store)._library().order
    assert [titles[t] for t in provider._library().order] == ["Mix/02", "Moby/01"]
