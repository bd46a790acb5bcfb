"""Playlists in the window: save Up next, the Playlists tab, M3U8 export and import."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from player import workers
from player.audio.base import PlaybackState
from player.ui.playlists_panel import POSITION_ROLE
from tests.player.ui.conftest import answer_modal, to_smallest


def _titles(view) -> list[str]:
    return [view.item(i).text() for i in range(view.count())]


def _order_playlist(qtbot, scanned, make_window):
    """A playlist "Order" of the library's first four songs, shown in a window's Playlists
    tab: (track ids, playlist id, window, the songs' list, their titles as shown)."""
    ids = [t["id"] for t in scanned.tracks()[:4]]
    pid = scanned.create_playlist("Order", ids)
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.playlists)
    view = window.playlists.entries
    qtbot.waitUntil(lambda: view.count() == 4, timeout=5000)
    return ids, pid, window, view, _titles(view)


def test_save_up_next_then_play_and_edit_it_from_the_playlists_tab(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(4)]
    titles = [window.model.index(r, 1).data() for r in range(4)]
    window.play_ids(ids[:1], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    window.pause()
    window.enqueue(ids[1:4])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[1:4], timeout=5000)
    window.save_up_next_as_playlist("Evening")
    panel = window.playlists
    # (not the next playlists_changed: the window's first read of the playlists, made before
    # the save, can still be on a busy pool and end after it)
    qtbot.waitUntil(lambda: panel.lists.count() == 1 and panel.lists.item(0).text() == "Evening  (4)",
                    timeout=5000)
    qtbot.waitUntil(lambda: _titles(panel.entries) == titles, timeout=5000)    # playing track, then Up next
    assert scanned.playlist_track_ids(panel.current_playlist()) == ids
    # Remove the second entry; play from the (new) second one.
    pid = panel.current_playlist()
    with qtbot.waitSignal(window.playlists_changed, timeout=5000):
        window.remove_playlist_entries(pid, [1])
    qtbot.waitUntil(lambda: _titles(panel.entries) == [titles[0], titles[2], titles[3]], timeout=5000)
    window.tabs.setCurrentWidget(panel)
    panel.entries.itemActivated.emit(panel.entries.item(1))
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[2], timeout=5000)
    # The songs queued by hand stay, before the playlist's rest, but for the one playing now.
    assert [e.track_id for e in window.player.queue] == [ids[1], ids[3], ids[3]]
    # The library's context menu offers it; adding appends.
    window.library.table.selectRow(5)
    window.library._menu(window.library.table.visualRect(window.model.index(5, 1)).center())
    add = next(a for a in window.library.last_menu.actions() if a.text() == "Add to playlist")
    names = [a.text() for a in add.menu().actions() if a.text()]
    window.library.last_menu.close()
    assert names == ["New playlist…", "Evening"]
    with qtbot.waitSignal(window.playlists_changed, timeout=5000):
        window.add_to_playlist([window.model.track_id(5)], pid)
    assert scanned.playlist_track_ids(pid) == [ids[0], ids[2], ids[3], window.model.track_id(5)]
    with qtbot.waitSignal(window.playlists_changed, timeout=5000):
        window.rename_playlist(pid, "Late")
    assert panel.lists.item(0).text() == "Late  (4)"
    with qtbot.waitSignal(window.playlists_changed, timeout=5000):
        window.delete_playlist(pid, confirm=False)
    assert panel.lists.count() == 0 and panel.hint.isVisibleTo(panel)


def test_a_playlists_songs_are_put_in_order_by_dragging_or_alt_up_and_down(qtbot, scanned, make_window):
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QDropEvent

    ids, pid, window, view, titles = _order_playlist(qtbot, scanned, make_window)
    panel = window.playlists
    # Drag the first song onto the lower half of the third.
    view.setCurrentRow(0)
    mime = view.mimeData([view.item(0)])
    rect = view.visualRect(view.model().index(2, 0))
    drop = QDropEvent(QPointF(rect.center().x(), rect.bottom() - 1), Qt.MoveAction, mime,
                      Qt.LeftButton, Qt.NoModifier, QEvent.Drop)
    view.dropEvent(drop)
    want = [ids[1], ids[2], ids[0], ids[3]]
    qtbot.waitUntil(lambda: scanned.playlist_track_ids(pid) == want, timeout=5000)
    qtbot.waitUntil(lambda: _titles(view) == [titles[1], titles[2], titles[0], titles[3]], timeout=5000)
    # Alt+Down moves the selected song (still selected after the list is read again) one place.
    view.setFocus()
    for step in range(2):
        qtbot.waitUntil(lambda: [i.text() for i in view.selectedItems()] == [titles[0]], timeout=5000)
        qtbot.keyClick(view, Qt.Key_Down, Qt.AltModifier)
        if step == 0:
            qtbot.waitUntil(lambda: scanned.playlist_track_ids(pid) == [ids[1], ids[2], ids[3], ids[0]],
                            timeout=5000)
    qtbot.wait(200)                      # at the end already: nothing to move
    assert scanned.playlist_track_ids(pid) == [ids[1], ids[2], ids[3], ids[0]]
    # Two songs together, up past the first.
    qtbot.waitUntil(lambda: _titles(view) == [titles[1], titles[2], titles[3], titles[0]], timeout=5000)
    view.clearSelection()
    view.item(1).setSelected(True)
    view.item(3).setSelected(True)
    qtbot.keyClick(view, Qt.Key_Up, Qt.AltModifier)
    qtbot.waitUntil(lambda: scanned.playlist_track_ids(pid) == [ids[2], ids[1], ids[0], ids[3]], timeout=5000)
    # The menu offers it too.
    qtbot.waitUntil(lambda: _titles(view) == [titles[2], titles[1], titles[0], titles[3]], timeout=5000)
    panel._menu(view.visualRect(view.model().index(0, 0)).center())
    assert [a.text() for a in panel.last_menu.actions() if a.text()][-2:] == ["Move up", "Move down"]
    panel.last_menu.close()


def test_moves_are_made_on_the_list_as_stored_and_a_refused_one_says_so(qtbot, scanned, make_window):
    # Alt+Down pressed again before the first move was read back was made on the rows as
    # last read: the store refused it as stale, silently. One move at a time now: presses
    # made meanwhile are let go (a key held down goes on once the list is read back), a read
    # from before the move is not shown after it, and a Delete made meanwhile never takes
    # out another song than the one shown.
    from PySide6.QtCore import Qt

    from player.workers import db_write_pool, run_task

    ids, pid, window, view, titles = _order_playlist(qtbot, scanned, make_window)
    hold = threading.Event()

    def held_writes():
        hold.clear()
        run_task(lambda: hold.wait(10), lambda result, error: None, pool=db_write_pool(), name="hold-writes")

    try:
        held_writes()
        view.setFocus()
        view.setCurrentRow(0)
        for _ in range(3):
            qtbot.keyClick(view, Qt.Key_Down, Qt.AltModifier)
        window.refresh_playlists()              # a read from elsewhere (a scan ended) meanwhile
        qtbot.wait(100)
        assert _titles(view) == titles and scanned.playlist_track_ids(pid) == ids
        hold.set()
        qtbot.waitUntil(lambda: _titles(view) == [titles[1], titles[0], titles[2], titles[3]], timeout=5000)
        qtbot.wait(200)
        assert scanned.playlist_track_ids(pid) == [ids[1], ids[0], ids[2], ids[3]]
        assert [i.text() for i in view.selectedItems()] == [titles[0]]
        assert "changed meanwhile" not in window.statusBar().currentMessage()
        # A key held down: the song goes on moving as the list is read back, and only it.
        for _ in range(40):
            qtbot.keyClick(view, Qt.Key_Down, Qt.AltModifier)
            qtbot.wait(10)
        qtbot.waitUntil(lambda: scanned.playlist_track_ids(pid) == [ids[1], ids[2], ids[3], ids[0]],
                        timeout=5000)
        qtbot.waitUntil(lambda: _titles(view) == [titles[1], titles[2], titles[3], titles[0]], timeout=5000)
        assert [i.text() for i in view.selectedItems()] == [titles[0]]
        # Delete while a move is being stored: refused (it names the song shown), said.
        held_writes()
        view.clearSelection()
        view.item(0).setSelected(True)
        qtbot.keyClick(view, Qt.Key_Down, Qt.AltModifier)
        window.remove_playlist_entries(pid, [1])                   # "Stone Road" as shown
        hold.set()
        qtbot.waitUntil(lambda: "nothing was removed" in window.statusBar().currentMessage(), timeout=5000)
        qtbot.waitUntil(lambda: _titles(view) == [titles[2], titles[1], titles[3], titles[0]], timeout=5000)
        assert scanned.playlist_track_ids(pid) == [ids[2], ids[1], ids[3], ids[0]]
        # Changed elsewhere (another Segue command) before a move is stored: refused, said, re-read.
        held_writes()
        view.clearSelection()
        view.item(0).setSelected(True)
        qtbot.keyClick(view, Qt.Key_Down, Qt.AltModifier)
        scanned.remove_playlist_entries(pid, [3])
        hold.set()
        qtbot.waitUntil(lambda: "changed meanwhile" in window.statusBar().currentMessage(), timeout=5000)
        qtbot.waitUntil(lambda: _titles(view) == [titles[2], titles[1], titles[3]], timeout=5000)
        assert scanned.playlist_track_ids(pid) == [ids[2], ids[1], ids[3]]
        # and moves go on from there
        view.clearSelection()
        view.item(2).setSelected(True)
        qtbot.keyClick(view, Qt.Key_Up, Qt.AltModifier)
        qtbot.waitUntil(lambda: scanned.playlist_track_ids(pid) == [ids[2], ids[3], ids[1]], timeout=5000)
    finally:
        hold.set()


def test_a_drop_after_the_list_was_read_again_shorter_changes_nothing_and_moves_go_on(qtbot, scanned,
                                                                                      make_window):
    # The drag's own event loop lets a read of the list land mid-drag: a song removed
    # elsewhere, the drop then named a row no longer there.
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QDropEvent

    ids, pid, window, view, titles = _order_playlist(qtbot, scanned, make_window)
    mime = view.mimeData([view.item(3)])                  # the last song picked up...
    scanned.remove_playlist_entries(pid, [3])             # ... and removed elsewhere
    window.show_playlist(pid)
    qtbot.waitUntil(lambda: view.count() == 3, timeout=5000)
    rect = view.visualRect(view.model().index(0, 0))
    view.dropEvent(QDropEvent(QPointF(rect.center().x(), rect.top() + 1), Qt.MoveAction, mime,
                              Qt.LeftButton, Qt.NoModifier, QEvent.Drop))
    qtbot.wait(200)
    assert _titles(view) == titles[:3] and scanned.playlist_track_ids(pid) == ids[:3]
    view.setFocus()
    view.setCurrentRow(0)
    qtbot.keyClick(view, Qt.Key_Down, Qt.AltModifier)
    qtbot.waitUntil(lambda: scanned.playlist_track_ids(pid) == [ids[1], ids[0], ids[2]], timeout=5000)
    qtbot.waitUntil(lambda: _titles(view) == [titles[1], titles[0], titles[2]], timeout=5000)


def test_m3u8_export_and_import_round_trip_with_relative_paths(qtbot, scanned, make_window, tmp_path, music):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in (2, 0, 5)]
    pid = scanned.create_playlist("Trip", ids)
    out = music / "Lists" / "Trip.m3u8"
    with qtbot.waitSignal(window.playlist_exported, timeout=5000):
        window.export_playlist(pid, str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    paths = [line for line in lines if not line.startswith("#")]
    assert lines[0] == "#EXTM3U" and len(paths) == 3
    assert all(p.startswith("../") for p in paths)                           # relative to the playlist
    assert paths[0] == "../" + scanned.track(ids[0])["path"][len(str(music)) + 1:]
    assert lines[1].startswith("#EXTINF:3,") and " - " in lines[1]
    # Add a line for a file that is not in the library, and a web stream; import it back.
    extra = music / "Later" / "new song.flac"
    out.write_text(out.read_text(encoding="utf-8") + "../Later/new song.flac\nhttps://example.org/live\n",
                   encoding="utf-8")
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(out)])
    assert "“Trip (2)”: 4 tracks, 1 not in the library" in imported.args[0][0]
    assert "1 web addresses skipped" in imported.args[0][0]
    qtbot.waitUntil(lambda: window.playlists.lists.count() == 2, timeout=5000)
    new = next(p["id"] for p in scanned.playlists() if p["name"] == "Trip (2)")
    assert scanned.playlist_track_ids(new) == ids
    assert window.tabs.currentWidget() is window.playlists
    # A scan that brings the missing file links the entry: nothing was lost.
    from tests.audiogen import write_track

    write_track(extra.parent, "new song", fmt="flac", seconds=1.0)
    with qtbot.waitSignal(window.scan_finished, timeout=10000):
        window.scan([str(music)])
    qtbot.waitUntil(lambda: len(scanned.playlist_track_ids(new)) == 4, timeout=5000)
    assert scanned.track(scanned.playlist_track_ids(new)[-1])["path"] == str(extra)
    window.play_playlist(new)
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=5000)
    assert window.player.state == PlaybackState.PLAYING and len(window.player.queue) == 3


def test_an_ampersand_in_a_playlist_name_is_shown_not_taken_as_a_shortcut(qtbot, scanned, make_window):
    from PySide6.QtGui import QKeySequence

    for name in ("R&B", "Drum & Bass"):
        scanned.create_playlist(name, [scanned.tracks()[0]["id"]])
    window = make_window(scanned)
    with qtbot.waitSignal(window.playlists_changed, timeout=5000):
        window.refresh_playlists()
    window.library.table.selectRow(0)
    window.library._menu(window.library.table.visualRect(window.model.index(0, 1)).center())
    add = next(a for a in window.library.last_menu.actions() if a.text() == "Add to playlist")
    texts = [a.text() for a in add.menu().actions() if a.text()][1:]
    window.library.last_menu.close()
    assert texts == ["Drum && Bass", "R&&B"]                 # "&&" is how Qt shows one "&"
    assert all(QKeySequence.mnemonic(t).isEmpty() for t in texts)


def test_importing_says_what_was_matched_by_name_and_refuses_what_is_no_playlist(qtbot, scanned, make_window,
                                                                               music, tmp_path):
    window = make_window(scanned)
    r2 = scanned.track_by_path(str(music / "Rock" / "r2.flac"))["id"]
    j2 = scanned.track_by_path(str(music / "Jazz" / "j2.flac"))["id"]
    winamp = tmp_path / "winamp.m3u"
    winamp.write_bytes("#EXTM3U\r\nC:\\Users\\me\\Music\\Rock\\r2.flac\r\nD:/Music/Jazz/j2.flac\r\n"
                       "smb://nas/music/x.flac\r\nhttp://radio.example/live\r\n".encode("cp1252"))
    oops = tmp_path / "oops.m3u"
    oops.write_bytes((music / "Rock" / "r2.flac").read_bytes())          # a song picked by mistake
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(winamp), str(oops)])
    matched, refused = imported.args[0]
    assert matched.startswith("“winamp”: 2 tracks, 2 found by file name and folder")
    assert "C:\\Users\\me\\Music\\Rock\\r2.flac" in matched and str(music / "Rock" / "r2.flac") in matched
    assert matched.endswith(", 1 web addresses skipped, 1 other addresses skipped (not local files)")
    assert refused.startswith("not a playlist file: oops.m3u")
    assert [p["name"] for p in scanned.playlists()] == ["winamp"]
    assert scanned.playlist_track_ids(scanned.playlists()[0]["id"]) == [r2, j2]


def test_importing_says_which_songs_were_found_by_their_artist_and_title(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned)
    road = next(t["id"] for t in scanned.tracks() if t["title"] == "Stone Road")
    old = tmp_path / "old.m3u"
    old.write_bytes("#EXTM3U\r\n#EXTINF:3,Granite - Stone Road\r\nD:\\Rips\\stone_road.mp3\r\n".encode("cp1252"))
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(old)])
    assert imported.args[0] == ["“old”: 1 track, 1 found by artist and title as neither path nor file name "
                                "is in the library"]
    assert scanned.playlist_track_ids(scanned.playlists()[0]["id"]) == [road]


def test_importing_the_same_playlist_file_again_shows_the_one_there_instead_of_a_copy(qtbot, scanned, make_window,
                                                                                     music, tmp_path):
    # Imported twice (the file picked again, dropped again), a playlist file made "mix (2)",
    # the same songs again, and a list of doubles to clear up by hand.
    window = make_window(scanned)
    mix = tmp_path / "mix.m3u8"
    mix.write_text(f"#EXTM3U\n#EXTINF:3,Granite - Stone Road\n{music / 'Rock' / 'r1.wav'}\n"
                   f"#EXTINF:2,Gone - Song\n{tmp_path / 'gone.flac'}\n", encoding="utf-8")
    with qtbot.waitSignal(window.playlists_imported, timeout=5000):
        window.import_playlists([str(mix)])
    first = scanned.playlists()[0]["id"]
    window.show_playlist(scanned.create_playlist("other", []))      # (another playlist shown meanwhile)
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(mix)])
    assert imported.args[0] == ["“mix” is in the playlists already, as mix.m3u8 has it: shown, not imported again"]
    assert [p["name"] for p in scanned.playlists()] == ["mix", "other"]
    qtbot.waitUntil(lambda: window.playlists.current_playlist() == first, timeout=5000)
    assert window.statusBar().currentMessage() == imported.args[0][0]
    # The file changed since (a song added): that is another playlist, and it is imported.
    with mix.open("a", encoding="utf-8") as fh:
        fh.write(f"{music / 'Rock' / 'r2.flac'}\n")
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(mix)])
    assert imported.args[0][0].startswith("“mix (2)”: 3 tracks")
    assert [p["name"] for p in scanned.playlists()] == ["mix", "mix (2)", "other"]


def test_a_read_of_the_playlists_that_ends_late_does_not_hide_one_saved_meanwhile(qtbot, scanned, make_window):
    # The reads run on several threads: one made before a save can end after the read made
    # after it, and showed the list as it was before (the saved playlist gone from the tab).
    from player import workers

    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(3)]
    qtbot.waitUntil(lambda: not any(h.name == "playlists" for h in workers._live), timeout=10000)
    read, hold = scanned.playlists, threading.Event()
    calls = []

    def held_read():
        rows = read()
        calls.append(len(rows))
        if len(calls) == 1:             # the first read keeps what it read until released
            assert hold.wait(10)
        return rows

    scanned.playlists = held_read
    early = window.refresh_playlists()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10000)
    with qtbot.waitSignal(window.playlists_changed, timeout=10000):
        window.add_to_playlist(ids, name="Saved meanwhile")
    panel = window.playlists
    assert [panel.lists.item(i).text() for i in range(panel.lists.count())] == ["Saved meanwhile  (3)"]
    hold.set()
    qtbot.waitUntil(lambda: early.done, timeout=5000)
    assert calls == [0, 1]
    assert [panel.lists.item(i).text() for i in range(panel.lists.count())] == ["Saved meanwhile  (3)"]
    assert panel.current_playlist() is not None


def _held_entries(store):
    """The store's reads of playlist entries from now on, the first holding what it read
    until ``hold`` is set: ``(calls, hold)``, ``calls`` the playlist of each read."""
    read, hold, calls = store.playlist_entries, threading.Event(), []

    def held_read(playlist_id):
        rows = read(playlist_id)
        calls.append(playlist_id)
        if len(calls) == 1:
            assert hold.wait(10)
        return rows

    store.playlist_entries = held_read
    return calls, hold


def test_a_read_of_a_playlist_that_ends_late_does_not_show_its_entries_as_they_were(qtbot, scanned, make_window):
    # The entries are read on several threads: a read of the playlist made before an edit
    # (tracks added from the library) could end after the read made after it, and showed
    # the entries as they were, under the playlist's name, with the added tracks gone.
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(3)]
    titles = [window.model.index(r, 1).data() for r in range(3)]
    pid = scanned.create_playlist("Mix", ids[:2])
    window.refresh_playlists(select=pid)
    panel = window.playlists
    qtbot.waitUntil(lambda: _titles(panel.entries) == titles[:2], timeout=10000)
    qtbot.waitUntil(lambda: not any(h.name == "playlist" for h in workers._live), timeout=10000)
    calls, hold = _held_entries(scanned)
    window.show_playlist(pid)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10000)       # read the two entries, and holds them
    early = next(h for h in workers._live if h.name == "playlist")
    with qtbot.waitSignal(window.playlists_changed, timeout=10000):
        window.add_to_playlist(ids[2:], pid)
    qtbot.waitUntil(lambda: _titles(panel.entries) == titles, timeout=10000)
    hold.set()
    qtbot.waitUntil(lambda: early.done, timeout=5000)
    assert panel.title.text() == "Mix" and _titles(panel.entries) == titles


def test_a_read_of_the_playlist_chosen_before_ends_late_and_shows_nothing(qtbot, scanned, make_window):
    # Playlist A chosen, then B at once: A's read ending after B's must not show A's
    # entries under B's name.
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(4)]
    titles = [window.model.index(r, 1).data() for r in range(4)]
    a, b = scanned.create_playlist("A", ids[:2]), scanned.create_playlist("B", ids[2:])
    window.refresh_playlists(select=b)
    panel = window.playlists
    qtbot.waitUntil(lambda: _titles(panel.entries) == titles[2:], timeout=10000)
    qtbot.waitUntil(lambda: not any(h.name == "playlist" for h in workers._live), timeout=10000)
    calls, hold = _held_entries(scanned)
    panel.lists.setCurrentRow(0)                                  # A (chosen: its read holds)
    qtbot.waitUntil(lambda: calls[:1] == [a], timeout=10000)
    early = next(h for h in workers._live if h.name == "playlist")
    panel.lists.setCurrentRow(1)                                  # then B
    qtbot.waitUntil(lambda: calls[1:] == [b], timeout=10000)
    qtbot.waitUntil(lambda: not any(h.name == "playlist" and h is not early for h in workers._live), timeout=10000)
    hold.set()
    qtbot.waitUntil(lambda: early.done, timeout=5000)
    assert panel.current_playlist() == b
    assert panel.title.text() == "B" and _titles(panel.entries) == titles[2:]


def test_a_long_playlist_name_is_cut_short_and_holds_the_window_no_wider(qtbot, scanned, make_window):
    from PySide6.QtWidgets import QLabel, QStyleOptionViewItem

    name = "A Very Long Playlist Name For The Evenings When Nothing Else Will Do At All, Side Two"
    scanned.create_playlist(name, [scanned.tracks()[0]["id"]])
    window = make_window(scanned)
    narrowest = window.minimumSizeHint().width()
    panel = window.playlists
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.title.text() == name, timeout=5000)
    qtbot.wait(50)
    assert window.minimumSizeHint().width() == narrowest       # (the name held it at 898 px, not 617)
    # In the list of playlists, cut in the middle to the list's width: the song count after
    # it stays in sight, at any width of the window.
    for smallest in (False, True):
        if smallest:
            to_smallest(qtbot, window)
            qtbot.wait(50)
        option = QStyleOptionViewItem()
        panel.lists.itemDelegate().initStyleOption(option, panel.lists.model().index(0, 0))
        assert "…" in option.text and option.text.startswith("A V") and option.text.endswith("o  (1)"), option.text
        assert option.fontMetrics.horizontalAdvance(option.text) <= panel.lists.viewport().width()
        assert panel.lists.item(0).toolTip() == name and panel.lists.horizontalScrollBar().maximum() == 0
        assert panel.entries.visualRect(panel.entries.model().index(0, 0)).width() <= panel.entries.viewport().width()
    to_smallest(qtbot, window)
    qtbot.wait(50)
    shown = QLabel.text(panel.title)                            # what the label draws
    assert shown.endswith("…") and name.startswith(shown[:-1]) and panel.title.toolTip() == name
    assert panel.title.fontMetrics().horizontalAdvance(shown) <= panel.title.contentsRect().width()


def test_a_one_song_playlist_is_one_track_in_the_words():
    from player.ui.playlist_tasks import _import_note

    assert _import_note("solo", [{"playable": True}], [], []) == "“solo”: 1 track"
    assert _import_note("duo", [{"playable": True}, {"playable": False}], [], []).startswith(
        "“duo”: 2 tracks, 1 not in the library")


def test_a_playlist_holding_a_file_name_that_is_not_utf8_can_be_put_in_order(qtbot, scanned, make_window):
    # The path went through the list item's data, where Qt drops the undecodable bytes:
    # the store saw another path and refused every move.
    from PySide6.QtCore import Qt

    odd = "/elsewhere/caf\udce9.mp3"               # b"caf\xe9.mp3" as the file system has it
    first = scanned.tracks()[0]["id"]
    pid = scanned.create_playlist("Odd", [first], paths=[odd])
    window = make_window(scanned)
    panel = window.playlists
    window.tabs.setCurrentWidget(panel)
    view = panel.entries
    qtbot.waitUntil(lambda: view.count() == 2, timeout=5000)
    view.setFocus()
    view.setCurrentRow(1)
    qtbot.keyClick(view, Qt.Key_Up, Qt.AltModifier)
    qtbot.waitUntil(lambda: [e["path"] for e in scanned.playlist_entries(pid)][0] == odd, timeout=5000)


def test_a_playlist_read_again_after_an_edit_shows_the_store_row_for_row(qtbot):
    # Only the rows an edit changed are taken out and put in: every row must still show the
    # song, the position and the path read (the positions after a removal close up).
    from player.ui.playlists_panel import POSITION_ROLE, PlaylistsPanel
    from player.ui.two_line import SUBTITLE_ROLE

    panel = PlaylistsPanel()
    qtbot.addWidget(panel)
    panel.set_playlists([(7, "Long", 6, 6, 0)])
    songs = [f"song {i}" for i in range(6)]

    def show(order, playable=True):
        panel.set_entries(7, "Long", [(p, t, "artist", playable or p != 2, f"/m/{t}.flac")
                                      for p, t in enumerate(order)])

    def shown():
        view = panel.entries
        return [(view.item(r).text(), view.item(r).data(POSITION_ROLE), view.item(r).data(SUBTITLE_ROLE))
                for r in range(view.count())]

    show(songs)
    panel.entries.item(4).setSelected(True)
    moved = songs[:3] + [songs[4], songs[3], songs[5]]            # song 4 one place up
    show(moved)
    assert shown() == [(t, p, "artist") for p, t in enumerate(moved)]
    assert panel.with_paths([3]) == [(3, "/m/song 4.flac")]
    assert [i.text() for i in panel.entries.selectedItems()] == ["song 3"]   # selection kept by position
    gone = moved[:1] + moved[2:]                                  # the second removed
    show(gone, playable=False)
    assert shown() == [(t, p, "artist" if p != 2 else "not in the library: artist") for p, t in enumerate(gone)]
    assert panel._shown_order() == list(range(5))
    show([])
    assert panel.entries.count() == 0


def test_typing_in_a_long_playlist_goes_to_the_next_title_without_asking_every_row(qtbot):
    # Qt's own type-ahead asks the model's data() row by row: 0.2 s a key among 40,000 songs.
    from PySide6.QtWidgets import QApplication

    from player.ui.playlists_panel import _SongList

    view = _SongList()
    qtbot.addWidget(view)
    titles = [f"{'ab'[i % 2]}{i:05d}" for i in range(3000)]
    view.songs.replace([(i, t, "Artist", True, f"/m/{i}.flac") for i, t in enumerate(titles)], whole=True)
    asked = []
    data = view.songs.data
    view.songs.data = lambda index, role=0: asked.append(index.row()) or data(index, role)
    view.show()
    view.setFocus()
    view.setCurrentIndex(view.songs.index(1500))
    for typed, row in (("b", 1501), ("a", 1502), ("z", 1502)):
        qtbot.wait(QApplication.keyboardInputInterval() + 50)    # a new word, not more of the last
        del asked[:]
        qtbot.keyClicks(view, typed)
        assert view.currentIndex().row() == row, typed
        assert len(asked) < 100, typed


def test_a_cue_sheets_tracks_are_exported_as_their_file_and_stretch_and_come_back(qtbot, scanned, make_window,
                                                                                  tmp_path, music):
    # They were written as "Album.flac#03", a file no other player can open.
    from player.library.open_files import tracks_for
    from player.library.scanner import Scanner
    from tests.player.library.test_cue import _album

    album = _album(music / "One File")
    Scanner(scanned).scan([str(music)])
    sheet = {t["title"]: t["id"] for t in scanned.tracks() if t["cue_start_s"] is not None}
    plain = next(t["id"] for t in scanned.tracks() if t["cue_start_s"] is None)
    ids = [sheet["Third Song"], plain, sheet["First Song"], sheet["Third Song"]]
    pid = scanned.create_playlist("Sheet", ids)
    window = make_window(scanned)
    out = music / "Lists" / "Sheet.m3u8"
    with qtbot.waitSignal(window.playlist_exported, timeout=5000):
        window.export_playlist(pid, str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if not line.startswith("#")][::2] == ["../One File/Album.flac"] * 2
    third = lines.index("#EXTVLCOPT:start-time=3.493")          # INDEX 01 00:03:37: 3 s and 37 frames
    assert lines[third - 1].startswith("#EXTINF:2,") and lines[third - 1].endswith("Third Song")
    assert lines[third + 1] == "../One File/Album.flac"            # the last track: to the file's end
    first = lines.index("#EXTVLCOPT:start-time=0")
    assert lines[first + 1:first + 3] == ["#EXTVLCOPT:stop-time=2", "../One File/Album.flac"]
    # Read back, as an import and as a playlist file opened: the same tracks, in order.
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(out)])
    assert "“Sheet (2)”: 4 tracks" in imported.args[0][0] and "not in the library" not in imported.args[0][0]
    new = next(p["id"] for p in scanned.playlists() if p["name"] == "Sheet (2)")
    assert scanned.playlist_track_ids(new) == ids
    assert tracks_for(scanned, [str(out)]) == (ids, [])
    assert str(album) + "#03" == scanned.track(ids[0])["path"]


def test_export_offers_a_file_name_every_system_takes(qtbot, scanned, make_window):
    # A slash in the name made part of it a folder that is not there (the write then failed),
    # and ":" or "?" gave a file Windows cannot have.
    import os

    from PySide6.QtWidgets import QFileDialog

    window = make_window(scanned)
    pid = scanned.create_playlist("AC/DC: Live? <1991>", [scanned.tracks()[0]["id"]])
    window.refresh_playlists(select=pid)
    qtbot.waitUntil(lambda: window.playlists.name_of(pid) == "AC/DC: Live? <1991>", timeout=5000)
    offered = []
    answer_modal(offered, lambda d: (d.selectedFiles(), d.reject())[0], QFileDialog)
    window.export_playlist(pid)                     # (the dialog's own event loop runs here)
    assert [os.path.basename(p) for p in offered[0]] == ["AC-DC- Live- -1991-.m3u8"]
    from player.playlist_files import file_name

    assert file_name("con.mix") == "_con.mix.m3u8" and file_name(" Night. ") == "Night.m3u8"
    assert file_name("é" * 300).encode() == ("é" * 120 + ".m3u8").encode()


def test_a_name_taken_by_another_playlist_is_numbered_and_the_person_told(qtbot, scanned, make_window):
    # Renamed or saved under a name another playlist has, it became "Mix (2)" with no word of why.
    window = make_window(scanned)
    ids = [t["id"] for t in scanned.tracks()[:2]]
    mix, other = scanned.create_playlist("Mix", ids[:1]), scanned.create_playlist("Other", ids[1:])
    window.refresh_playlists(select=other)
    qtbot.waitUntil(lambda: window.playlists.name_of(other) == "Other", timeout=5000)
    window.rename_playlist(other, " mix ")
    qtbot.waitUntil(lambda: window.playlists.name_of(other) == "mix (2)", timeout=5000)
    assert window.statusBar().currentMessage() == "There is a playlist named “mix” already: this one is named “mix (2)”"
    window.statusBar().clearMessage()
    window.rename_playlist(mix, "MIX")                  # its own name in other letters: no number, no word
    qtbot.waitUntil(lambda: window.playlists.name_of(mix) == "MIX", timeout=5000)
    assert "already" not in window.statusBar().currentMessage()
    window.play_ids(ids[:1], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    window.save_up_next_as_playlist("mix")
    qtbot.waitUntil(lambda: window.playlists.lists.count() == 3, timeout=5000)
    assert sorted(p["name"] for p in scanned.playlists()) == ["MIX", "mix (2)", "mix (3)"]
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "There is a playlist named “mix” already: this one is named “mix (3)”", timeout=5000)


def test_a_radio_stations_playlist_file_says_segue_plays_local_files_and_makes_no_empty_playlist(
        qtbot, scanned, make_window, tmp_path):
    # It was imported as a playlist of no songs, with "1 web addresses skipped".
    window = make_window(scanned)
    radio = tmp_path / "Jazz Radio.pls"
    radio.write_text("[playlist]\nNumberOfEntries=2\nFile1=http://radio.example:8000/jazz\nTitle1=Jazz\n"
                     "File2=https://radio.example/jazz.aac\nVersion=2\n", encoding="utf-8")
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(radio)])
    assert imported.args[0] == ["not imported: Jazz Radio.pls names only web streams (2), and Segue plays "
                                "files on this computer, without going online"]
    assert scanned.playlists() == []
    assert window.statusBar().currentMessage() == imported.args[0][0]


def test_songs_in_up_next_are_added_to_a_playlist_from_its_right_click_menu(qtbot, scanned, make_window):
    # Up next's menu had no "Add to playlist": a song heard there could only reach a playlist
    # by finding it again in the library.
    from PySide6.QtCore import QItemSelectionModel

    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(4)]
    mix = scanned.create_playlist("Mix & Match", ids[:1])
    window.refresh_playlists(select=mix)
    # (read on a worker: the menu offers the playlists once they are read)
    qtbot.waitUntil(lambda: window.playlists.name_of(mix) == "Mix & Match", timeout=5000)
    window.play_ids(ids[:1], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=10000)
    window.pause()
    window.enqueue(ids[1:4])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[1:4], timeout=5000)
    view, rows = window.up_next.list, window.up_next.rows
    view.selectRow(2)
    view.selectionModel().select(rows.index(0, 0), QItemSelectionModel.Select | QItemSelectionModel.Rows)
    view.customContextMenuRequested.emit(view.visualRect(rows.index(2, 0)).center())
    menu = window.up_next.last_menu
    lists = next(a.menu() for a in menu.actions() if a.text() == "Add to playlist")
    menu.close()
    assert [a.text() for a in lists.actions() if a.text()] == ["New playlist…", "Mix && Match"]
    next(a for a in lists.actions() if a.text() == "Mix && Match").trigger()
    qtbot.waitUntil(lambda: scanned.playlist_track_ids(mix) == [ids[0], ids[1], ids[3]], timeout=5000)
    assert window.up_next.track_ids() == ids[1:4]                 # Up next stays as it was


def test_delete_and_f2_on_the_list_of_playlists_delete_after_asking_and_rename(qtbot, scanned, make_window):
    # The keys did nothing there: deleting or renaming a playlist went through the More menu only.
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    window = make_window(scanned)
    ids = [t["id"] for t in scanned.tracks()[:2]]
    keep, gone = scanned.create_playlist("Keep", ids), scanned.create_playlist("Gone", ids)
    window.tabs.setCurrentWidget(window.playlists)
    window.refresh_playlists(select=gone)
    lists = window.playlists.lists
    qtbot.waitUntil(lambda: lists.count() == 2 and window.playlists.current_playlist() == gone, timeout=5000)
    asked = []

    def answer(kind, reply):
        answer_modal(asked, lambda d: (d.text() if kind is QMessageBox else d.textValue(), reply(d))[0], kind)

    def focus(widget) -> None:
        """The keyboard on ``widget`` again (offscreen, a dialog closed gives it back to no one)."""
        window.activateWindow()
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus, timeout=5000)

    answer(QMessageBox, lambda d: d.button(QMessageBox.No).click())
    focus(lists)
    qtbot.keyClick(lists, Qt.Key_Delete)                    # (the dialog's own event loop runs here)
    assert asked == ["Delete the playlist “Gone”? The music files are not touched."]
    qtbot.wait(200)
    assert len(scanned.playlists()) == 2                    # No: kept
    answer(QMessageBox, lambda d: d.button(QMessageBox.Yes).click())
    focus(lists)
    qtbot.keyClick(lists, Qt.Key_Delete)
    qtbot.waitUntil(lambda: [p["id"] for p in scanned.playlists()] == [keep], timeout=5000)
    qtbot.waitUntil(lambda: lists.count() == 1 and window.playlists.current_playlist() == keep, timeout=5000)

    def rename(dialog: QInputDialog) -> None:
        dialog.setTextValue("Kept")
        dialog.accept()

    answer(QInputDialog, rename)
    focus(lists)
    qtbot.keyClick(lists, Qt.Key_F2)
    qtbot.waitUntil(lambda: window.playlists.name_of(keep) == "Kept", timeout=5000)
    assert asked[-1] == "Keep"                              # the dialog offered the name as it was


def test_a_cue_sheet_named_in_a_playlist_file_is_imported_as_its_tracks(qtbot, scanned, make_window, music,
                                                                        tmp_path):
    # Other players add an album ripped to one file by its sheet: the entry stayed "not in the
    # library" for good, as no track has the sheet's name.
    from player.library.scanner import Scanner
    from tests.player.library.test_cue import _album

    _album(music / "One File")
    Scanner(scanned).scan([str(music)])
    sheet = [t["id"] for t in sorted(scanned.tracks(), key=lambda t: t["path"]) if t["cue_start_s"] is not None]
    plain = scanned.track_by_path(str(music / "Rock" / "r1.wav"))["id"]
    window = make_window(scanned)
    listed = tmp_path / "foobar.m3u8"
    listed.write_text(f"{music / 'Rock' / 'r1.wav'}\n{music / 'One File' / 'Album.cue'}\n{music / 'Rock' / 'r1.wav'}\n",
                      encoding="utf-8")
    with qtbot.waitSignal(window.playlists_imported, timeout=5000) as imported:
        window.import_playlists([str(listed)])
    assert imported.args[0] == ["“foobar”: 5 tracks"]
    assert scanned.playlist_track_ids(scanned.playlists()[0]["id"]) == [plain, *sheet, plain]


def test_play_while_shuffling_starts_a_playlist_at_a_song_picked_at_random(qtbot, scanned, make_window):
    # Its first song began every time: a long playlist played under shuffle always opened the same.
    window = make_window(scanned)
    ids = [t["id"] for t in scanned.tracks()]
    pid = scanned.create_playlist("All", ids)
    window.refresh_playlists(select=pid)
    window.tabs.setCurrentWidget(window.playlists)
    qtbot.waitUntil(lambda: window.playlists.entries.count() == len(ids), timeout=5000)
    window.set_shuffle(True)
    qtbot.waitUntil(lambda: window.player.shuffle, timeout=5000)
    firsts = set()
    for _ in range(12):
        window.playlists.play_btn.click()
        qtbot.waitUntil(lambda: window.player.current_track_id is not None and len(window.player.queue) == len(ids) - 1,
                        timeout=5000)
        window.pause()
        playing = window.player.current_track_id
        assert sorted([playing, *(e.track_id for e in window.player.queue)]) == sorted(ids)    # all of it
        firsts.add(playing)
        window.stop()
        qtbot.waitUntil(lambda: window.player.current_track_id is None, timeout=5000)
    assert len(firsts) > 1          # (all 12 on one song of 8: about one chance in 10**10)
    # Not shuffling, Play starts at the top; a song double-clicked plays from there as before.
    window.set_shuffle(False)
    qtbot.waitUntil(lambda: not window.player.shuffle, timeout=5000)
    window.playlists.play_btn.click()
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[0], timeout=5000)
    assert [e.track_id for e in window.player.queue] == ids[1:]


def test_play_while_shuffling_by_album_starts_a_playlist_at_the_first_song_of_an_album(qtbot, scanned, make_window):
    # Begun at any song, an album's later song could open the list, its earlier ones heard
    # after other albums.
    window = make_window(scanned)
    # (the albums of two songs: half the songs open an album)
    rows = {t["id"]: (t["album"], t["track_no"]) for t in scanned.tracks()
            if t["album"] in ("Quarry", "Feedback", "Late Set")}
    ids = sorted(rows, key=lambda t: rows[t][1], reverse=True)     # each album's last song first
    openers = {min((t for t in rows if rows[t][0] == album), key=lambda t: rows[t][1]) for album, _ in rows.values()}
    assert len(ids) == 6 and len(openers) == 3
    pid = scanned.create_playlist("All", ids)
    window.refresh_playlists(select=pid)
    window.tabs.setCurrentWidget(window.playlists)
    qtbot.waitUntil(lambda: window.playlists.entries.count() == len(ids), timeout=5000)
    window.set_shuffle(True, albums=True)
    qtbot.waitUntil(lambda: window.player.shuffle and window.player.shuffle_albums, timeout=5000)
    firsts = set()
    for _ in range(12):
        window.playlists.play_btn.click()
        qtbot.waitUntil(lambda: window.player.current_track_id is not None and len(window.player.queue) == len(ids) - 1,
                        timeout=5000)
        window.pause()
        playing = window.player.current_track_id
        assert playing in openers
        mates = sorted((t for t in rows if rows[t][0] == rows[playing][0] and t != playing), key=lambda t: rows[t][1])
        assert [e.track_id for e in window.player.queue][:len(mates)] == mates      # its album goes on
        firsts.add(playing)
        window.stop()
        qtbot.waitUntil(lambda: window.player.current_track_id is None, timeout=5000)
    assert len(firsts) > 1          # (all 12 on one album of 3: about one chance in 10**5)


def test_play_of_a_saved_search_while_shuffling_by_album_starts_at_the_first_song_of_an_album(
        qtbot, scanned, make_window):
    # A saved search's songs are read by the library's search, not from stored entries: Play
    # of one deals albums as a playlist's Play does, from an album's first song.
    window = make_window(scanned)
    rows = {t["id"]: (t["album"], t["track_no"]) for t in scanned.tracks()
            if t["album"] in ("Quarry", "Feedback", "Late Set")}
    openers = {min((t for t in rows if rows[t][0] == album), key=lambda t: rows[t][1]) for album, _ in rows.values()}
    assert len(rows) == 6 and len(openers) == 3
    window.rate_tracks(list(rows), 5)
    qtbot.waitUntil(lambda: all(scanned.track(t)["rating"] == 5 for t in rows), timeout=5000)
    window.save_search_as_playlist("rating:>=4", name="Best")
    window.tabs.setCurrentWidget(window.playlists)
    qtbot.waitUntil(lambda: window.playlists.entries.count() == len(rows), timeout=5000)
    window.set_shuffle(True, albums=True)
    qtbot.waitUntil(lambda: window.player.shuffle and window.player.shuffle_albums, timeout=5000)
    firsts = set()
    for _ in range(8):
        window.playlists.play_btn.click()
        qtbot.waitUntil(lambda: window.player.current_track_id is not None
                        and len(window.player.queue) == len(rows) - 1, timeout=5000)
        window.pause()
        playing = window.player.current_track_id
        assert playing in openers
        mates = sorted((t for t in rows if rows[t][0] == rows[playing][0] and t != playing), key=lambda t: rows[t][1])
        assert [e.track_id for e in window.player.queue][:len(mates)] == mates      # its album goes on
        firsts.add(playing)
        window.stop()
        qtbot.waitUntil(lambda: window.player.current_track_id is None, timeout=5000)
    assert len(firsts) > 1          # (all 8 on one album of 3: about one chance in 2,000)


def test_adding_to_a_playlist_from_a_menu_says_so_and_counts_the_songs_in_it_already(qtbot, scanned, make_window):
    # A playlist not shown changed with no word, and a song added twice by mistake went unseen.
    window = make_window(scanned)
    ids = [t["id"] for t in scanned.tracks()[:3]]
    mix = scanned.create_playlist("Mix", ids[:1])
    window.refresh_playlists(select=mix)
    qtbot.waitUntil(lambda: window.playlists.name_of(mix) == "Mix", timeout=5000)
    window.add_to_playlist(ids[1:], mix)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Added 2 songs to “Mix”", timeout=5000)
    window.add_to_playlist(ids[:2], mix)                  # the same songs again: added, and said
    qtbot.waitUntil(lambda: window.statusBar().currentMessage()
                    == "Added 2 songs to “Mix” (2 were in it already)", timeout=5000)
    assert scanned.playlist_track_ids(mix) == ids + ids[:2]


def test_songs_removed_by_mistake_are_put_back_with_ctrl_z(qtbot, scanned, make_window):
    # Delete on a wide selection took the songs out for good: there was no way back.
    from PySide6.QtGui import QKeySequence

    ids, pid, window, view, titles = _order_playlist(qtbot, scanned, make_window)
    panel = window.playlists
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=5000)
    view.select_rows([0, 1, 2, 3])
    qtbot.keyClick(view, Qt.Key_Delete)
    qtbot.waitUntil(lambda: view.count() == 0, timeout=5000)
    keys = QKeySequence(QKeySequence.Undo).toString(QKeySequence.NativeText)
    assert window.statusBar().currentMessage() == f"Removed 4 songs from the playlist ({keys} puts them back)"
    assert panel.lists.hasFocus()                    # (the emptied list gave the keyboard to the playlists)
    qtbot.keyClick(panel.lists, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: _titles(view) == titles, timeout=5000)
    assert scanned.playlist_track_ids(pid) == ids
    assert window.statusBar().currentMessage() == "The songs removed are back in their places"
    # Removed, then the playlist changed: the old list is not put back over the change.
    view.setFocus()
    view.select_rows([1])
    qtbot.keyClick(view, Qt.Key_Delete)
    qtbot.waitUntil(lambda: view.count() == 3, timeout=5000)
    window.add_to_playlist(ids[:1], pid)
    qtbot.waitUntil(lambda: view.count() == 4, timeout=5000)
    qtbot.keyClick(view, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: "not put back" in window.statusBar().currentMessage(), timeout=5000)
    assert scanned.playlist_track_ids(pid) == [ids[0], ids[2], ids[3], ids[0]]


def test_one_delete_too_many_after_emptying_a_playlist_does_not_offer_to_delete_it_by_default(
        qtbot, scanned, make_window):
    # The last song removed gives the keyboard to the list of playlists, where Delete deletes
    # the playlist: a Delete too many, then Enter by habit, took the playlist for good.
    from PySide6.QtWidgets import QMessageBox

    ids, pid, window, view, titles = _order_playlist(qtbot, scanned, make_window)
    panel = window.playlists
    window.activateWindow()
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=5000)
    view.select_rows([0, 1, 2, 3])
    qtbot.keyClick(view, Qt.Key_Delete)
    qtbot.waitUntil(lambda: view.count() == 0 and panel.lists.hasFocus(), timeout=5000)
    seen = []
    # Enter, by habit
    answer_modal(seen, lambda d: (d.defaultButton() is d.button(QMessageBox.No), qtbot.keyClick(d, Qt.Key_Return))[0],
                 QMessageBox)
    qtbot.keyClick(panel.lists, Qt.Key_Delete)                  # (the dialog's own event loop runs here)
    assert seen == [True]
    qtbot.wait(200)
    assert [p["id"] for p in scanned.playlists()] == [pid]      # kept: Ctrl+Z can still put the songs back


def test_play_from_here_under_repeat_all_goes_round_to_the_playlists_start(qtbot, scanned, make_window):
    # Started halfway with repeat all on, the songs after it played round and round, and the
    # playlist's first songs were never heard.
    ids, pid, window, view, titles = _order_playlist(qtbot, scanned, make_window)
    window.set_repeat("all")
    qtbot.waitUntil(lambda: window.repeat_mode() == "all", timeout=5000)
    window.playlists._emit_for_current(window.playlists.play_requested, view.item(2).data(POSITION_ROLE))
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[2], timeout=5000)
    window.pause()
    # the rest of the playlist, then its start, then (the round's copy) the song playing
    assert [e.track_id for e in window.player.queue] == [ids[3], ids[0], ids[1], ids[2]]
    window.stop()
    # Repeat off: from there to the end only, as before.
    window.set_repeat("off")
    qtbot.waitUntil(lambda: window.repeat_mode() == "off", timeout=5000)
    window.play_playlist(pid, 2)
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[2] and len(window.player.queue) == 1,
                    timeout=5000)
    assert [e.track_id for e in window.player.queue] == [ids[3]]


def test_a_song_whose_file_is_missing_shows_the_title_its_playlist_file_gave(qtbot, scanned, make_window, music,
                                                                              tmp_path):
    # An #EXTINF title of an entry whose file is not here was dropped on import: the playlist
    # showed a bare file name, and the song it was could not be told.
    from player.ui.two_line import SUBTITLE_ROLE

    window = make_window(scanned)
    gone = tmp_path / "elsewhere" / "track07.mp3"
    listed = tmp_path / "party.m3u"
    listed.write_text(f"#EXTM3U\n#EXTINF:200,Granite - Stone Road\n{music / 'Rock' / 'r1.wav'}\n"
                      f"#EXTINF:241,The Gone Band - Lost Song\n{gone}\n", encoding="utf-8")
    with qtbot.waitSignal(window.playlists_imported, timeout=5000):
        window.import_playlists([str(listed)])
    view = window.playlists.entries
    qtbot.waitUntil(lambda: view.count() == 2, timeout=5000)
    assert _titles(view) == ["Stone Road", "The Gone Band - Lost Song"]     # (a library song: its tags)
    assert view.item(1).data(SUBTITLE_ROLE) == f"not in the library: {gone}"
    # Removed and put back, it keeps its title; exported, it writes it.
    pid = window.playlists.current_playlist()
    window.remove_playlist_entries(pid, [1])
    qtbot.waitUntil(lambda: view.count() == 1, timeout=5000)
    window.undo_playlist_removal(pid)
    qtbot.waitUntil(lambda: _titles(view) == ["Stone Road", "The Gone Band - Lost Song"], timeout=5000)
    out = tmp_path / "back.m3u8"
    with qtbot.waitSignal(window.playlist_exported, timeout=5000):
        window.export_playlist(pid, str(out))
    assert "#EXTINF:-1,The Gone Band - Lost Song\n" in out.read_text(encoding="utf-8")


def _kept(store) -> dict[str, list[tuple]]:
    """Every playlist's entries by its name: ``(track id, path, title)`` in order."""
    return {p["name"]: [(e["track_id"], e["path"], e["title"]) for e in store.playlist_entries(p["id"])]
            for p in store.playlists()}


def test_a_playlist_deleted_by_mistake_comes_back_whole_with_ctrl_z(qtbot, scanned, make_window, tmp_path):
    # The songs removed from a playlist came back with Ctrl+Z, but a playlist deleted by a
    # wrong answer to the question was gone for good, with its order and its missing songs.
    ids = [t["id"] for t in scanned.tracks()[:3]]
    trip = scanned.create_playlist("Trip", [ids[2], ids[0], ids[2], ids[1]])
    scanned.import_playlist("Other", [str(tmp_path / "lost.mp3")], titles={0: "Band - Lost Song"})
    was = _kept(scanned)
    window = make_window(scanned)
    panel = window.playlists
    window.tabs.setCurrentWidget(panel)
    window.refresh_playlists(select=trip)
    qtbot.waitUntil(lambda: panel.lists.count() == 2 and panel.entries.count() == 4, timeout=5000)
    window.delete_playlist(trip, confirm=False)
    qtbot.waitUntil(lambda: panel.lists.count() == 1, timeout=5000)
    keys = QKeySequence(QKeySequence.Undo).toString(QKeySequence.NativeText)
    assert window.statusBar().currentMessage() == f"Deleted the playlist “Trip” ({keys} brings it back)"
    window.activateWindow()
    panel.lists.setFocus()
    qtbot.waitUntil(panel.lists.hasFocus, timeout=5000)
    qtbot.keyClick(panel.lists, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: panel.lists.count() == 2, timeout=5000)
    assert window.statusBar().currentMessage() == "The playlist “Trip” is back"
    assert _kept(scanned) == was                    # its order, the song there twice
    # The last two deleted, none is left to be current: the latest comes back, with its song
    # not in the library; one step back, as for songs, so the one before stays deleted.
    for name in ("Trip", "Other"):
        window.delete_playlist(next(p["id"] for p in scanned.playlists() if p["name"] == name), confirm=False)
        qtbot.waitUntil(lambda: name not in _kept(scanned), timeout=5000)
    qtbot.waitUntil(lambda: panel.lists.count() == 0, timeout=5000)
    qtbot.keyClick(panel.lists, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: panel.lists.count() == 1 and panel.entries.count() == 1, timeout=5000)
    assert _titles(panel.entries) == ["Band - Lost Song"]
    qtbot.keyClick(panel.lists, Qt.Key_Z, Qt.ControlModifier)
    qtbot.wait(200)
    assert _kept(scanned) == {"Other": was["Other"]}
    # Its name taken meanwhile, it comes back with a number after it.
    window.delete_playlist(scanned.playlists()[0]["id"], confirm=False)
    qtbot.waitUntil(lambda: panel.lists.count() == 0, timeout=5000)
    scanned.create_playlist("Other")
    window.undo_playlist_removal(None)
    qtbot.waitUntil(lambda: len(_kept(scanned)) == 2, timeout=5000)
    assert _kept(scanned) == {"Other": [], "Other (2)": was["Other"]}


def test_a_sheets_track_not_scanned_yet_is_exported_with_its_start(qtbot, scanned, make_window, tmp_path):
    # Its start was kept to link it once scanned, but an export wrote the whole file: read
    # back, or by another player, the entry named the whole album.
    from player.playlist_files import read_playlist

    album = tmp_path / "elsewhere" / "Album.flac"
    pid, _ = scanned.import_playlist("Sheet", [str(album)], {0: 61.5}, {0: "The Band - Second Song"})
    window = make_window(scanned)
    out = tmp_path / "out.m3u8"
    with qtbot.waitSignal(window.playlist_exported, timeout=5000):
        window.export_playlist(pid, str(out))
    back = read_playlist(out)
    assert (back.paths, back.starts, back.titles) == ([str(album)], {0: 61.5}, {0: "The Band - Second Song"})


def test_typing_an_accent_in_a_playlist_finds_a_title_written_decomposed(qtbot):
    # A title from a Mac's file name keeps "é" as "e" and a combining accent; a keyboard types it composed.
    # Accents aside, as the search box and the sorted table compare names: "etu" finds "Etude" first.
    import unicodedata

    from PySide6.QtWidgets import QApplication

    from player.ui.playlists_panel import _SongList

    view = _SongList()
    qtbot.addWidget(view)
    titles = ["Etude", unicodedata.normalize("NFD", "Étude"), "Ecole", unicodedata.normalize("NFD", "Été")]
    view.songs.replace([(i, t, "Artist", True, f"/m/{i}.flac") for i, t in enumerate(titles)], whole=True)
    view.show()
    view.setFocus()
    view.setCurrentIndex(view.songs.index(0))
    interval = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(1)          # each word typed on its own, without waiting
    try:
        for typed, row in (("été", 3), ("ec", 2), ("É", 3), ("e\u0301tu", 0), ("e", 1)):
            qtbot.wait(20)
            view.keyboardSearch(typed)
            assert view.currentIndex().row() == row, typed
    finally:
        QApplication.setKeyboardInputInterval(interval)


def test_the_list_of_playlists_has_a_right_click_menu_that_the_menu_key_opens_too(qtbot, scanned, make_window):
    # The list of playlists had no menu at all: right-click and the menu key did nothing, and
    # playing, queueing, renaming or deleting a playlist went through the buttons and More only.
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from tests.player.ui.test_menu_key import _press_menu_key

    window = make_window(scanned)
    ids = [t["id"] for t in scanned.tracks()[:4]]
    first, second = scanned.create_playlist("First", ids[:1]), scanned.create_playlist("Second", ids[1:3])
    window.tabs.setCurrentWidget(window.playlists)
    window.refresh_playlists(select=first)
    panel, lists = window.playlists, window.playlists.lists
    qtbot.waitUntil(lambda: lists.count() == 2 and panel.current_playlist() == first, timeout=5000)
    window.play_ids(ids[3:4], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == ids[3], timeout=10000)
    window.pause()

    def menu_at(pos):
        lists.customContextMenuRequested.emit(pos)
        menu = panel.last_lists_menu
        qtbot.waitUntil(menu.isVisible, timeout=5000)
        return menu, {a.text(): a for a in menu.actions() if a.text()}

    row = next(i for i in range(lists.count()) if lists.item(i).data(Qt.UserRole + 1) == second)
    menu, actions = menu_at(lists.visualItemRect(lists.item(row)).center())
    assert list(actions) == ["Play", "Play next", "Add to Up next", "Rename…", "Export as M3U8…", "Delete…"]
    assert panel.current_playlist() == second              # the playlist right-clicked is the one shown
    actions["Add to Up next"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids[1:3], timeout=5000)

    menu, actions = menu_at(lists.viewport().rect().bottomLeft())     # below the last playlist
    assert list(actions) == ["Import playlist files…", "Save library search as playlist…"]
    imports = []
    panel.import_requested.disconnect()                 # (the window's file dialog would wait for an answer)
    panel.import_requested.connect(lambda: imports.append(True))
    actions["Import playlist files…"].trigger()
    menu.close()
    assert imports == [True]

    asked = []

    def rename(dialog: QInputDialog) -> None:
        dialog.setTextValue("Later")
        dialog.accept()

    window.activateWindow()                 # (offscreen, a menu closed gives the keyboard to no one)
    lists.setFocus()
    qtbot.waitUntil(lists.hasFocus, timeout=5000)
    _press_menu_key(lists)
    menu = panel.last_lists_menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    answer_modal(asked, lambda d: (d.textValue(), rename(d))[0], QInputDialog)
    actions["Rename…"].trigger()            # (the dialog opened closes the menu)
    qtbot.waitUntil(lambda: panel.name_of(second) == "Later", timeout=5000)
    assert asked == ["Second"]                              # the playlist with the keyboard, as named

    menu, actions = menu_at(lists.visualItemRect(lists.currentItem()).center())
    answer_modal(asked, lambda d: (d.text(), d.button(QMessageBox.Yes).click())[0], QMessageBox)
    actions["Delete…"].trigger()                            # asked first, as the Delete key is
    qtbot.waitUntil(lambda: [p["id"] for p in scanned.playlists()] == [first], timeout=5000)
    assert asked[-1] == "Delete the playlist “Later”? The music files are not touched."


def test_the_keyboard_shortcuts_say_what_ctrl_z_and_the_menu_key_do_in_the_playlists_tab():
    # The help said Ctrl+Z put back songs removed from a playlist only, though it brings back
    # a playlist deleted too, and named no key for the menus the keyboard opens.
    from player.ui.about import SHORTCUTS

    keys = dict(SHORTCUTS)
    assert keys["Ctrl+Z"].endswith("in the Playlists tab: the songs last removed from a playlist, "
                                   "or the playlist last deleted")
    assert "the playlists" in keys["Menu / Shift+F10"]


def test_a_playlist_opened_to_play_says_how_many_of_its_songs_could_not_be_opened(qtbot, scanned, make_window,
                                                                                 tmp_path):
    from player.ui.opening import open_paths

    window = make_window(scanned)
    r2 = scanned.track_by_path(str(next(p for p in (t["path"] for t in scanned.tracks()) if p.endswith("r2.flac"))))
    mix = tmp_path / "mix.m3u"
    mix.write_bytes("C:\\Music\\Rock\\r2.flac\r\nhttp://radio.example/live\r\n/gone/x.flac\r\n".encode("cp1252"))
    said = []
    window.statusBar().messageChanged.connect(said.append)       # (another word may follow it)
    open_paths(window, [str(mix)])
    qtbot.waitUntil(lambda: window.player.current_track_id == r2["id"], timeout=10000)
    assert [m for m in said if m.startswith("Could not open")] == [
        "Could not open /gone/x.flac: No such file or directory (and 1 more, named in the log)"]


def test_a_saved_search_follows_the_library_and_plays_queues_and_exports_as_a_playlist(qtbot, scanned, make_window,
                                                                                        music, tmp_path):
    from tests.audiogen import write_track

    window = make_window(scanned)
    panel, library = window.playlists, window.library
    assert not library.save_search.isEnabled()              # nothing typed: nothing to keep
    library.search.setText("artist:quartet")
    assert library.save_search.isEnabled()
    window.save_search_as_playlist(name="Quartet")           # (the name the dialog would ask)
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.lists.count() == 1
                    and panel.lists.item(0).text() == "Quartet  (2, saved search)", timeout=5000)
    pid = panel.current_playlist()
    assert scanned.playlist(pid)["query"] == "artist:quartet"
    qtbot.waitUntil(lambda: _titles(panel.entries) == ["Blue Smoke", "Brushes"], timeout=5000)
    assert panel.search_note.isVisibleTo(panel) and "artist:quartet" in panel.search_note.text()
    # Songs are not put in it nor moved: no drag, no Move up, not offered by "Add to playlist".
    assert not panel.entries.dragEnabled() and not panel.move_up.isEnabled()
    assert library._playlists == []
    songs_at = panel.entries.mapTo(window, panel.entries.viewport().geometry().center())
    list_at = panel.lists.viewport().mapTo(window, panel.lists.visualItemRect(panel.lists.item(0)).center())
    assert window._song_drop_target(songs_at) is None and window._song_drop_target(list_at) is None
    # The search box goes on with other searches; the saved one keeps its songs.
    library.search.setText("river")
    # A new song by the artist, scanned: it joins the saved search, in library order.
    write_track(music / "Jazz", "j9", fmt="flac", seconds=1.0,
                tags={"title": "Coda", "artist": "Quartet Nine", "album": "Late Set", "genre": "Jazz",
                      "tracknumber": "9"})
    with qtbot.waitSignal(window.scan_finished, timeout=20000):
        window.scan([str(music)])
    qtbot.waitUntil(lambda: _titles(panel.entries) == ["Blue Smoke", "Brushes", "Coda"], timeout=10000)
    qtbot.waitUntil(lambda: panel.lists.item(0).text() == "Quartet  (3, saved search)", timeout=5000)
    ids = [t["id"] for t in scanned.tracks() if t["artist"] == "Quartet Nine"]
    by_title = {scanned.track(t)["title"]: t for t in ids}
    # Edit search changes what it finds.
    window.edit_saved_search(pid, "artist:quartet -title:brushes")
    qtbot.waitUntil(lambda: _titles(panel.entries) == ["Blue Smoke", "Coda"], timeout=5000)
    # Exported, it writes the songs it finds now.
    out = tmp_path / "Quartet.m3u8"
    with qtbot.waitSignal(window.playlist_exported, timeout=5000):
        window.export_playlist(pid, str(out))
    written = [line for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert [line.rsplit("/", 1)[-1] for line in written] == ["j1.wav", "j9.flac"]
    # Play next and Add to Up next queue its songs; Play plays them from the first.
    window.enqueue_playlist(pid)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == [by_title["Blue Smoke"], by_title["Coda"]], timeout=5000)
    window.play_playlist(pid)
    qtbot.waitUntil(lambda: window.player.current_track_id == by_title["Blue Smoke"], timeout=5000)


def test_a_song_rated_down_leaves_a_saved_search_of_rated_songs(qtbot, scanned, make_window):
    window = make_window(scanned)
    panel = window.playlists
    ids = [window.model.track_id(r) for r in range(3)]
    titles = [window.model.index(r, 1).data() for r in range(3)]
    window.rate_tracks(ids, 5)
    qtbot.waitUntil(lambda: all(scanned.track(t)["rating"] == 5 for t in ids), timeout=5000)
    window.save_search_as_playlist("rating:>=4", name="Best")
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: _titles(panel.entries) == titles, timeout=5000)
    window.rate_tracks(ids[1:2], 2)
    qtbot.waitUntil(lambda: _titles(panel.entries) == [titles[0], titles[2]], timeout=5000)
    qtbot.waitUntil(lambda: panel.lists.item(0).text() == "Best  (2, saved search)", timeout=5000)


def test_save_search_beside_the_box_asks_a_name_offering_the_search_and_edit_search_offers_it_again(
        qtbot, scanned, make_window):
    from PySide6.QtWidgets import QInputDialog

    window = make_window(scanned)
    panel, library = window.playlists, window.library
    library.search.setText("genre:jazz -artist:trio")
    offered = []

    def rename(dialog):
        offered.append(dialog.textValue())
        dialog.setTextValue("Small groups")
        dialog.accept()

    answer_modal([], rename, QInputDialog)
    library.save_search.click()
    qtbot.waitUntil(lambda: panel.lists.count() == 1, timeout=5000)
    assert offered == ["genre:jazz -artist:trio"]
    pid = panel.current_playlist()
    row = scanned.playlist(pid)
    assert (row["name"], row["query"]) == ("Small groups", "genre:jazz -artist:trio")
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: _titles(panel.entries) == ["Blue Smoke", "Brushes"], timeout=5000)
    offered.clear()

    def widen(dialog):
        offered.append(dialog.textValue())
        dialog.setTextValue("genre:jazz")
        dialog.accept()

    answer_modal([], widen, QInputDialog)
    panel.edit_search_btn.trigger()
    assert offered == ["genre:jazz -artist:trio"]
    qtbot.waitUntil(lambda: _titles(panel.entries) == ["Blue Smoke", "Brushes", "Walking Bass"], timeout=5000)
    # A search that cannot be read finds its words, as the box does, and the note says why.
    window.edit_saved_search(pid, "year:>=abc")
    qtbot.waitUntil(lambda: "searched as plain text" in panel.search_note.text(), timeout=5000)
    qtbot.waitUntil(lambda: _titles(panel.entries) == [], timeout=5000)
