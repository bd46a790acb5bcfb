"""Rating a song in the window: the song menus' "Rating" (one to five stars, "No rating") and
Ctrl+0 to Ctrl+5 in the library. The stars are kept in the library, never written into the
files: the Rating column shows them at once, a rescan keeps them, and a song given one star
leaves the suggestions."""

from __future__ import annotations

import os

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from player.library.scanner import Scanner
from player.ui.library_model import COLUMNS, STARS
from player.ui.queue_panel import ENTRY_ROLE
from player.ui.track_menu import RATING

_RATING_COLUMN = [k for k, _ in COLUMNS].index("rating")


def _rating_menu(panel, pos):
    """The "Rating" submenu of the context menu ``panel`` opens at ``pos``."""
    panel._menu(pos)
    sub = next((a.menu() for a in panel.last_menu.actions() if a.text() == RATING), None)
    assert sub is not None, [a.text() for a in panel.last_menu.actions()]
    return sub


def _choose(panel, pos, text: str) -> None:
    sub = _rating_menu(panel, pos)
    action = next(a for a in sub.actions() if a.text() == text)
    panel.last_menu.close()
    action.trigger()


def _shown(window, track_id) -> str:
    row = window.model.row_of(track_id)
    return window.model.index(row, _RATING_COLUMN).data() if row >= 0 else None


def test_a_song_rated_from_the_library_menu_shows_in_the_column_and_outlasts_a_rescan(
        qtbot, scanned, music, make_window):
    window = make_window(scanned)
    window.library.columns.choose(_RATING_COLUMN, True)        # the optional Rating column shown
    assert not window.library.table.isColumnHidden(_RATING_COLUMN)
    song = window.model.track_id(0)
    table = window.library.table
    pos = lambda: table.visualRect(window.model.index(window.model.row_of(song), 1)).center()  # noqa: E731
    assert _shown(window, song) == ""
    _choose(window.library, pos(), STARS * 4)
    qtbot.waitUntil(lambda: _shown(window, song) == STARS * 4, timeout=10000)
    assert scanned.track(song)["own_rating"] == 4
    assert "4 stars" in window.statusBar().currentMessage()
    # The menu opened again shows the song's stars checked, and only those.
    sub = _rating_menu(window.library, pos())
    assert [a.text() for a in sub.actions() if a.isChecked()] == [STARS * 4]
    window.library.last_menu.close()
    # A rescan that reads the file again (changed since) keeps the person's stars.
    path = scanned.track(song)["path"]
    os.utime(path, ns=(os.stat(path).st_mtime_ns + 10**9,) * 2)
    Scanner(scanned).scan([str(music)])
    assert scanned.track(song)["mtime_ns"] == os.stat(path).st_mtime_ns      # (read again)
    assert scanned.track(song)["rating"] == 4
    with qtbot.waitSignal(window.library_loaded, timeout=10000):
        window.reload_library()
    assert _shown(window, song) == STARS * 4
    # "No rating" takes them away.
    _choose(window.library, pos(), "No rating")
    qtbot.waitUntil(lambda: _shown(window, song) == "", timeout=10000)
    assert scanned.track(song)["own_rating"] == 0 and scanned.track(song)["rating"] is None


def test_ctrl_and_a_number_rates_the_chosen_library_songs(qtbot, scanned, make_window):
    window = make_window(scanned)
    table = window.library.table
    ids = [window.model.track_id(r) for r in (0, 1)]
    table.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is table, timeout=5000)
    for r in (0, 1):
        table.selectionModel().select(window.model.index(r, 1), QItemSelectionModel.Select | QItemSelectionModel.Rows)
    QTest.keyClick(window.windowHandle(), Qt.Key_3, Qt.ControlModifier)     # (through the window, as a key pressed)
    qtbot.waitUntil(lambda: all(_shown(window, t) == STARS * 3 for t in ids), timeout=10000)
    assert [scanned.track(t)["own_rating"] for t in ids] == [3, 3]
    QTest.keyClick(window.windowHandle(), Qt.Key_0, Qt.ControlModifier)
    qtbot.waitUntil(lambda: all(_shown(window, t) == "" for t in ids), timeout=10000)


def test_a_suggestion_rated_one_star_from_up_next_leaves_it_and_is_not_suggested_again(
        qtbot, scanned, make_window):
    from player.audio.base import PlaybackState

    window = make_window(scanned)
    first = window.model.track_id(0)
    window.play_ids([first], 0, "library")
    qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
    window.pause()
    qtbot.waitUntil(lambda: window.player.state == PlaybackState.PAUSED, timeout=5000)
    window.up_next.keep_going.setChecked(True)
    rows, view = window.up_next.rows, window.up_next.list
    qtbot.waitUntil(lambda: rows.rowCount() >= 3, timeout=10000)
    entry = rows.index(1).data(ENTRY_ROLE)
    assert not entry.manual
    song = entry.track_id
    _choose(window.up_next, view.visualRect(rows.index(1)).center(), STARS)
    qtbot.waitUntil(lambda: song not in window.up_next.track_ids(), timeout=10000)
    assert scanned.track(song)["rating"] == 1
    player = window.player
    suggested = sum(not e.manual for e in player.queue)
    assert song not in [t for t, _ in window._fill_queue(player, replacing=max(suggested, 1))]


def test_a_discover_tile_is_rated_from_its_menu(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) > 0, timeout=10000)
    row = window.discover.rows[0]
    tile = row.ids[0]
    _choose(row, row.list.visualItemRect(row.list.item(0)).center(), STARS * 5)
    qtbot.waitUntil(lambda: _shown(window, tile) == STARS * 5, timeout=10000)
    assert scanned.track(tile)["own_rating"] == 5


def test_songs_rated_one_after_another_tell_the_recommender_and_start_nothing_else(
        qtbot, scanned, make_window, monkeypatch):
    # Each rating is in the learning recommender's next answer, and no more: no analysis asked
    # for (that lifted a cancel of it) and no read of how the models stand, once per song.
    from player.learner import messages as m

    window = make_window(scanned)
    window.enable_intelligence(analyse=True, learn=False)
    with qtbot.waitSignal(window.intelligence.ready, timeout=30000):
        pass
    service, brain = window.provider, window.intelligence
    service.settle_s = 3600.0            # (longer than the test: only what the rating says ends the wait)
    sent, refreshed = [], []
    monkeypatch.setattr(brain, "send", lambda message: sent.append(message) or False)
    monkeypatch.setattr(brain, "refresh_learned", lambda: refreshed.append(1))
    songs = [window.model.track_id(r) for r in range(min(10, window.model.rowCount()))]
    assert len(songs) >= 3
    for n, song in enumerate(songs):
        stars = 1 + n % 5
        window.rate_tracks([song], stars)
        qtbot.waitUntil(lambda: _shown(window, song) == STARS * stars, timeout=10000)
        cat = service.recommender().catalog
        assert cat.rating[cat.row(song)] == stars
    assert not [message for message in sent if isinstance(message, m.Analyse)]
    assert not refreshed


def test_a_playlist_song_is_rated_from_its_menu_and_with_ctrl_and_a_number(qtbot, scanned, make_window):
    # A playlist is where a person listens through an album or a mix and rates as they go:
    # its songs' menu has "Rating" and Ctrl+0 to Ctrl+5 rate the chosen songs, as the library's.
    ids = [t["id"] for t in scanned.tracks()[:3]]
    scanned.create_playlist("Mix", ids)
    window = make_window(scanned)
    window.tabs.setCurrentWidget(window.playlists)
    view = window.playlists.entries
    qtbot.waitUntil(lambda: view.count() == 3, timeout=5000)
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=5000)
    view.select_rows([0, 2])
    QTest.keyClick(window.windowHandle(), Qt.Key_4, Qt.ControlModifier)     # (through the window, as a key pressed)
    qtbot.waitUntil(lambda: all(_shown(window, t) == STARS * 4 for t in (ids[0], ids[2])), timeout=10000)
    _choose(window.playlists, view.visualRect(view.model().index(1)).center(), STARS * 2)
    qtbot.waitUntil(lambda: _shown(window, ids[1]) == STARS * 2, timeout=10000)
    assert [scanned.track(t)["own_rating"] for t in ids] == [4, 2, 4]
    view.select_rows([1])                 # (the menu shows the stars of the songs it rates)
    sub = _rating_menu(window.playlists, view.visualRect(view.model().index(1)).center())
    assert [a.text() for a in sub.actions() if a.isChecked()] == [STARS * 2]
    window.playlists.last_menu.close()


def test_a_saved_search_song_is_rated_with_ctrl_and_a_number(qtbot, scanned, make_window):
    # A saved search's rows are the library's songs found now, not stored entries: they rate
    # as a playlist's do.
    window = make_window(scanned)
    window.save_search_as_playlist("artist:quartet", name="Quartet")
    window.tabs.setCurrentWidget(window.playlists)
    view = window.playlists.entries
    qtbot.waitUntil(lambda: view.count() == 2, timeout=5000)
    ids = [t["id"] for t in scanned.tracks() if t["artist"] == "Quartet Nine"]
    assert len(ids) == 2
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=5000)
    view.select_rows([0, 1])
    QTest.keyClick(window.windowHandle(), Qt.Key_3, Qt.ControlModifier)
    qtbot.waitUntil(lambda: all(_shown(window, t) == STARS * 3 for t in ids), timeout=10000)
    assert [scanned.track(t)["own_rating"] for t in ids] == [3, 3]


def test_ctrl_and_a_number_rates_the_chosen_up_next_songs(qtbot, scanned, make_window):
    window = make_window(scanned)
    ids = [window.model.track_id(r) for r in range(3)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids()[:3] == ids, timeout=10000)
    view, rows = window.up_next.list, window.up_next.rows
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=5000)
    view.selectionModel().select(rows.index(1, 0), QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
    song = rows.index(1, 0).data(ENTRY_ROLE).track_id
    QTest.keyClick(window.windowHandle(), Qt.Key_5, Qt.ControlModifier)
    qtbot.waitUntil(lambda: _shown(window, song) == STARS * 5, timeout=10000)
    assert scanned.track(song)["own_rating"] == 5
