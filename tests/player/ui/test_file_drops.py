"""Files and folders dragged from a file manager onto the real window: dropped on Up next they
are queued, anywhere else they play; files outside the library folders and names that are
not UTF-8 included."""

from __future__ import annotations

import os
from urllib.parse import quote_from_bytes

from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.audiogen import write_track


def _file_manager_drag(paths: list[bytes]) -> QMimeData:
    """What a Linux file manager puts on a drag: the URI list, %-escaped bytes, CRLF lines."""
    mime = QMimeData()
    mime.setData("text/uri-list", b"".join(b"file://" + quote_from_bytes(p).encode() + b"\r\n" for p in paths))
    return mime


def _drop(widget, mime: QMimeData, at: QPoint | None = None) -> bool:
    """Drag ``mime`` into ``widget`` (its middle, or ``at``) and let go; whether the drop was
    taken. The events go to the widget under the pointer, and on up to the first that takes them."""
    at = at or QPoint(widget.width() // 2, widget.height() // 2)
    actions = Qt.CopyAction | Qt.MoveAction | Qt.LinkAction
    for kind in (QDragEnterEvent, QDragMoveEvent):
        event = kind(at, actions, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(widget, event)
        if not event.isAccepted():
            return False
    event = QDropEvent(at, actions, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def _queued(window) -> list[int]:
    return [entry.track_id for entry in window.player.queue]


def test_files_dropped_on_the_library_play_and_on_up_next_are_queued(qtbot, scanned, make_window, tmp_path):
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    album = tmp_path / "Downloads" / "Some Album"
    for n in (2, 10, 1):             # an album as it plays: by track number, not as the names sort
        write_track(album, f"{n:02d} part", fmt="flac", seconds=20.0, tags={"title": f"Part {n}",
                                                                            "tracknumber": str(n)})
    odd = write_track(tmp_path / "Downloads", "odd", fmt="ogg", seconds=2.0, tags={"title": "Café live"})
    odd_name = os.fsencode(odd.parent) + b"/caf\xe9 (live) #1.ogg"       # Latin-1, not UTF-8
    os.rename(odd, odd_name)

    # Up next as the person made it, a song playing: the dropped album plays now, the songs
    # queued by hand next and the album's rest after them (the queue was thrown away once).
    mine = [row["id"] for row in scanned.tracks()][:3]
    window.play_ids(mine[:1])
    window.enqueue(mine[1:])
    qtbot.waitUntil(lambda: _queued(window) == mine[1:], timeout=10000)
    assert _drop(window.library.table.viewport(), _file_manager_drag([os.fsencode(album)]))
    qtbot.waitUntil(lambda: window.player.current_track_id not in (None, mine[0]), timeout=10000)
    qtbot.waitUntil(lambda: [window._info(t)[0] for t in [window.player.current_track_id, *_queued(window)[2:]]]
                    == ["Part 1", "Part 2", "Part 10"], timeout=10000)
    assert _queued(window)[:2] == mine[1:]

    playing = window.player.current_track_id
    songs = window.up_next.list
    below = QPoint(songs.viewport().width() // 2, songs.visualRect(songs.model().index(3, 0)).bottom() + 5)
    assert _drop(songs.viewport(), _file_manager_drag([odd_name]), below)
    qtbot.waitUntil(lambda: len(_queued(window)) == 5, timeout=10000)
    added = _queued(window)[4]                                      # below the last: last
    assert window.player.current_track_id == playing                 # queued, the song goes on
    assert scanned.track(added)["path"] == os.fsdecode(odd_name)
    assert scanned.track(added)["title"] == "Café live"
    assert "Added 1 song to Up next" in window.statusBar().currentMessage()


def test_a_drag_of_something_else_is_left_to_the_widgets(qtbot, scanned, make_window):
    window = make_window(scanned)
    text = QMimeData()
    text.setText("just words")
    assert not _drop(window.library.table.viewport(), text)
    web = QMimeData()
    web.setData("text/uri-list", b"https://example.org/song.mp3\r\n")
    assert not _drop(window.up_next.list.viewport(), web)


def test_a_drag_is_taken_exactly_when_its_drop_would_give_files(qapp):
    # Each move of a drag asks only whether files come (reading every name of a drag of
    # thousands of files held the window at each move); the answer must be the drop's.
    from player.ui.opening import carries_files, dropped_paths

    for raw in (b"file:///music/a.flac\r\n", b"# a comment\r\n  FILE:///music/a.flac\r\n",
                b"https://example.org/a.mp3\r\n", b"# file:///music/a.flac\r\n", b"https://x/file:/a\r\n", b""):
        mime = QMimeData()
        mime.setData("text/uri-list", raw)
        assert carries_files(mime) == bool(dropped_paths(mime)), raw


def test_files_dropped_on_up_next_go_where_they_were_dropped(qtbot, scanned, make_window, tmp_path):
    # They always went after the songs queued by hand, wherever the person let go.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    mine = [row["id"] for row in scanned.tracks()][:5]
    window.play_ids(mine[:1])
    window.pause()
    window.enqueue(mine[1:])
    qtbot.waitUntil(lambda: window.up_next.track_ids() == mine[1:], timeout=10000)
    song = write_track(tmp_path / "Downloads", "new", fmt="flac", seconds=2.0, tags={"title": "Dropped"})
    songs = window.up_next.list
    second = songs.visualRect(songs.model().index(1, 0))
    assert _drop(songs.viewport(), _file_manager_drag([os.fsencode(song)]), QPoint(second.center().x(),
                                                                                  second.top() + 2))
    qtbot.waitUntil(lambda: len(_queued(window)) == 5, timeout=10000)
    assert _queued(window)[0] == mine[1] and _queued(window)[2:] == mine[2:]      # above the second row
    assert scanned.track(_queued(window)[1])["path"] == str(song)


def test_files_dropped_on_a_playlist_are_added_to_it_not_played(qtbot, scanned, make_window, tmp_path):
    # Dropped on a playlist in the Playlists view, they played, and the playlist stayed as it was.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    ids = [row["id"] for row in scanned.tracks()]
    first = scanned.create_playlist("Morning", ids[:1])
    second = scanned.create_playlist("Evening", ids[1:3])
    panel = window.playlists
    window.refresh_playlists(select=first)
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.lists.count() == 2 and panel.current_playlist() == first, timeout=5000)
    one = write_track(tmp_path / "Downloads", "one", fmt="flac", seconds=2.0, tags={"title": "One"})
    two = write_track(tmp_path / "Downloads", "two", fmt="flac", seconds=2.0, tags={"title": "Two"})
    evening = next(panel.lists.item(i) for i in range(2) if panel.name_of(second) == panel.lists.item(i).toolTip())
    at = panel.lists.visualItemRect(evening).center()
    assert _drop(panel.lists.viewport(), _file_manager_drag([os.fsencode(one)]), at)
    qtbot.waitUntil(lambda: len(scanned.playlist_track_ids(second)) == 3, timeout=10000)
    assert scanned.track(scanned.playlist_track_ids(second)[2])["path"] == str(one)
    # It is shown now, and dropped on its songs they are added to it too.
    qtbot.waitUntil(lambda: panel.current_playlist() == second and panel.entries.count() == 3, timeout=5000)
    assert _drop(panel.entries.viewport(), _file_manager_drag([os.fsencode(two)]))
    qtbot.waitUntil(lambda: len(scanned.playlist_track_ids(second)) == 4, timeout=10000)
    assert scanned.track(scanned.playlist_track_ids(second)[3])["path"] == str(two)
    assert scanned.playlist_track_ids(first) == ids[:1]
    qtbot.wait(300)
    assert window.player.current_track_id is None and not _queued(window)        # nothing played
    assert "Added 1 song to Evening" in window.statusBar().currentMessage()


def test_a_cue_sheet_dropped_from_outside_the_library_plays_its_tracks(qtbot, scanned, make_window, tmp_path):
    # An album in one file with its sheet, dropped from a download folder: it said "not an
    # audio file" (and its file, dropped, played as one long track).
    import numpy as np

    from tests.audiogen import tone, write_audio

    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    away = tmp_path / "Downloads" / "Live"
    away.mkdir(parents=True)
    audio = write_audio(away / "Live.flac", np.concatenate([tone(2.0, freq=f) for f in (440.0, 660.0, 880.0)]), 44100)
    (away / "Live.cue").write_text(
        'PERFORMER "The Band"\nTITLE "Live"\nFILE "Live.wav" WAVE\n'
        + "".join(f'  TRACK 0{n} AUDIO\n    TITLE "Part {n}"\n    INDEX 01 00:0{2 * (n - 1)}:00\n' for n in (1, 2, 3)),
        encoding="utf-8")
    assert _drop(window.library.table.viewport(), _file_manager_drag([os.fsencode(away / "Live.cue")]))
    qtbot.waitUntil(lambda: window.player.current_track_id is not None, timeout=10000)
    playing = [window.player.current_track_id, *_queued(window)]
    assert [scanned.track(i)["title"] for i in playing] == ["Part 1", "Part 2", "Part 3"]
    assert {scanned.track(i)["path"] for i in playing} == {f"{audio}#01", f"{audio}#02", f"{audio}#03"}
    assert "Could not open" not in window.statusBar().currentMessage()


def test_files_dropped_on_a_playlists_songs_go_where_they_were_dropped(qtbot, scanned, make_window, tmp_path):
    # Dropped on a song of the playlist shown, they went to its end wherever the person let go.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    ids = [row["id"] for row in scanned.tracks()][:3]
    mix = scanned.create_playlist("Mix", ids)
    panel = window.playlists
    window.refresh_playlists(select=mix)
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.current_playlist() == mix and panel.entries.count() == 3, timeout=5000)
    song = write_track(tmp_path / "Downloads", "new", fmt="flac", seconds=2.0, tags={"title": "Dropped"})
    second = panel.entries.visualRect(panel.entries.songs.index(1))
    assert _drop(panel.entries.viewport(), _file_manager_drag([os.fsencode(song)]),
                 QPoint(second.center().x(), second.top() + 2))                    # on the second's upper half
    qtbot.waitUntil(lambda: len(scanned.playlist_track_ids(mix)) == 4, timeout=10000)
    now = scanned.playlist_track_ids(mix)
    assert [now[0], *now[2:]] == ids and scanned.track(now[1])["path"] == str(song)
    qtbot.waitUntil(lambda: panel.entries.count() == 4, timeout=5000)
    assert panel.entries.item(1).text() == "Dropped"


def test_playlist_files_dropped_beside_the_playlists_are_imported(qtbot, scanned, make_window, tmp_path, music):
    # They played, and no playlist was made: importing one took File → Import playlist.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    panel = window.playlists
    window.tabs.setCurrentWidget(panel)
    trip = tmp_path / "Downloads" / "Road Trip.m3u"
    trip.parent.mkdir()
    trip.write_text(f"#EXTM3U\n{music / 'Jazz' / 'j2.flac'}\n{music / 'Rock' / 'r1.wav'}\n", encoding="utf-8")
    with qtbot.waitSignal(window.playlists_imported, timeout=10000):
        assert _drop(panel.lists.viewport(), _file_manager_drag([os.fsencode(trip)]))     # no playlist yet
    assert [p["name"] for p in scanned.playlists()] == ["Road Trip"]
    ids = [scanned.track_by_path(str(music / "Jazz" / "j2.flac"))["id"],
           scanned.track_by_path(str(music / "Rock" / "r1.wav"))["id"]]
    assert scanned.playlist_track_ids(scanned.playlists()[0]["id"]) == ids
    qtbot.waitUntil(lambda: panel.lists.count() == 1, timeout=5000)
    below = QPoint(10, panel.lists.visualItemRect(panel.lists.item(0)).bottom() + 20)
    with qtbot.waitSignal(window.playlists_imported, timeout=10000) as imported:
        assert _drop(panel.lists.viewport(), _file_manager_drag([os.fsencode(trip)]), below)
    # (the same file again: the playlist it made is shown, not made twice)
    assert imported.args[0][0].startswith("“Road Trip” is in the playlists already")
    assert [p["name"] for p in scanned.playlists()] == ["Road Trip"]
    with trip.open("a", encoding="utf-8") as fh:
        fh.write(f"{music / 'Rock' / 'r2.flac'}\n")
    with qtbot.waitSignal(window.playlists_imported, timeout=10000):
        assert _drop(panel.import_btn, _file_manager_drag([os.fsencode(trip)]))
    assert [p["name"] for p in scanned.playlists()] == ["Road Trip", "Road Trip (2)"]
    qtbot.wait(300)
    assert window.player.current_track_id is None and not _queued(window)        # nothing played


def _library_drag(window, rows: list[int]):
    """What dragging the library's ``rows`` (selected) carries, and their songs."""
    from PySide6.QtCore import QItemSelectionModel

    table = window.library.table
    table.clearSelection()
    for r in rows:
        table.selectionModel().select(window.model.index(r, 0),
                                      QItemSelectionModel.Select | QItemSelectionModel.Rows)
    return table.drag_mime(), [window.model.track_id(r) for r in rows]


def test_library_songs_dragged_onto_a_playlist_or_among_its_songs_are_added_there(qtbot, scanned, make_window):
    # Songs could not be dragged from the library at all: adding them to a playlist took the
    # right-click menu, and always went to its end.
    window = make_window(scanned)
    qtbot.waitUntil(lambda: window.bridge is not None, timeout=10000)
    ids = [row["id"] for row in scanned.tracks()]
    first = scanned.create_playlist("Morning", ids[:1])
    second = scanned.create_playlist("Evening", ids[1:3])
    assert window.model.flags(window.model.index(0, 1)) & Qt.ItemIsDragEnabled
    panel = window.playlists
    window.refresh_playlists(select=first)
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.lists.count() == 2 and panel.current_playlist() == first, timeout=5000)
    mime, dragged = _library_drag(window, [5, 6])
    evening = next(panel.lists.item(i) for i in range(2) if panel.name_of(second) == panel.lists.item(i).toolTip())
    assert _drop(panel.lists.viewport(), mime, panel.lists.visualItemRect(evening).center())
    qtbot.waitUntil(lambda: scanned.playlist_track_ids(second) == [*ids[1:3], *dragged], timeout=10000)
    # Among the songs shown: in front of the one let go on (its upper half).
    qtbot.waitUntil(lambda: panel.current_playlist() == second and panel.entries.count() == 4, timeout=5000)
    mime, dragged = _library_drag(window, [7])
    second_row = panel.entries.visualRect(panel.entries.songs.index(1))
    assert _drop(panel.entries.viewport(), mime, QPoint(second_row.center().x(), second_row.top() + 2))
    qtbot.waitUntil(lambda: len(scanned.playlist_track_ids(second)) == 5, timeout=10000)
    assert scanned.playlist_track_ids(second) == [ids[1], *dragged, ids[2], *_library_drag(window, [5, 6])[1]]
    assert scanned.playlist_track_ids(first) == ids[:1]
    assert window.player.current_track_id is None and not _queued(window)        # nothing played
    # Onto Up next they are queued; let go on the library itself, nothing happens.
    window.tabs.setCurrentWidget(window.library)
    mime, dragged = _library_drag(window, [0, 1])
    assert not _drop(window.library.table.viewport(), mime)
    assert _drop(window.up_next.list.viewport(), mime)
    qtbot.waitUntil(lambda: _queued(window) == dragged, timeout=5000)
    assert window.player.current_track_id is None
    # Held over the Playlists tab's name, the drag opens that tab, to be let go on a playlist.
    bar = window.tabs.tabBar()
    at = bar.tabRect(window.tabs.indexOf(panel)).center()
    for kind in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(bar, kind(at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is panel, timeout=5000)


def test_a_press_and_move_on_selected_library_songs_drags_them_all_and_keeps_the_selection(
        qtbot, scanned, make_window):
    # (Qt's drag loop blocks until a real pointer lets go: the drag it would carry is kept instead.)
    from PySide6.QtCore import QEvent, QItemSelectionModel, QPointF
    from PySide6.QtGui import QMouseEvent

    from player.ui.library_model import dragged_track_ids

    window = make_window(scanned)
    table = window.library.table
    table.clearSelection()
    for r in (1, 2, 3, 6):
        table.selectionModel().select(window.model.index(r, 0), QItemSelectionModel.Select | QItemSelectionModel.Rows)
    carried = []
    table.startDrag = lambda actions: carried.append(dragged_track_ids(table.drag_mime()))
    viewport = table.viewport()
    at = table.visualRect(window.model.index(2, 1)).center()

    def mouse(kind, pos, button):
        QApplication.sendEvent(viewport, QMouseEvent(kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)),
                                                     button, Qt.LeftButton, Qt.NoModifier))

    mouse(QEvent.MouseButtonPress, at, Qt.LeftButton)
    mouse(QEvent.MouseMove, at + QPoint(2, 2), Qt.NoButton)
    mouse(QEvent.MouseMove, at + QPoint(2, 40), Qt.NoButton)
    assert carried == [[window.model.track_id(r) for r in (1, 2, 3, 6)]]
    assert table.selected_rows() == [1, 2, 3, 6]
