"""Tab goes round the window in reading order: the top bar, the tab bar and the page shown,
Up next; and the window opens with the keyboard in the track list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def _part(window, widget) -> str:
    for name, part in (("top bar", window.transport), ("page", window.tabs), ("up next", window.up_next),
                       ("status bar", window.statusBar())):
        if part.isAncestorOf(widget):
            return name
    return type(widget).__name__


def _walk(qtbot, window, start, key=Qt.Key_Tab, steps: int = 60) -> list:
    """The widgets that take the focus pressing ``key`` from ``start``, once round the window."""
    start.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(start.hasFocus, timeout=2000)
    seen = [start]
    for _ in range(steps):
        qtbot.keyClick(QApplication.focusWidget(), key, Qt.ShiftModifier if key == Qt.Key_Backtab else Qt.NoModifier)
        now = QApplication.focusWidget()
        if now is start:
            return seen
        seen.append(now)
    raise AssertionError(f"Tab did not come back round: {[type(w).__name__ for w in seen]}")


def _runs(parts: list[str]) -> list[str]:
    return [p for i, p in enumerate(parts) if i == 0 or parts[i - 1] != p]


def test_tab_goes_round_every_page_in_reading_order(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.activateWindow()
    window.enqueue([window.model.track_id(0)])          # Up next has a row (and Clear is on)
    qtbot.waitUntil(lambda: window.up_next.clear_btn.isEnabled(), timeout=5000)
    tab_bar = window.tabs.tabBar()
    for page in (window.library, window.discover, window.listening, window.playlists):
        window.tabs.setCurrentWidget(page)
        if page is window.discover:
            qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
        if page is window.listening:
            qtbot.waitUntil(lambda: window.listening.view is not None, timeout=20000)
        forward = _walk(qtbot, window, tab_bar)
        parts = [_part(window, w) for w in forward]
        # From the tab bar: the page, Up next, then round to the top bar and back to the tab bar.
        assert _runs(parts) == ["page", "up next", "top bar"], (page, parts)
        assert forward[1:3] != [] and window.tabs.currentWidget().isAncestorOf(forward[1])
        top = [w for w in forward if _part(window, w) == "top bar"]
        assert top[0] is window.transport.shuffle_btn and top[-1] is window.transport.volume
        backward = _walk(qtbot, window, tab_bar, Qt.Key_Backtab)
        assert backward[1:] == forward[1:][::-1]                    # Shift+Tab: the same stops, the other way
    window.tabs.setCurrentWidget(window.library)
    forward = _walk(qtbot, window, window.transport.shuffle_btn)
    assert forward[forward.index(tab_bar):][:3] == [tab_bar, window.library.search, window.library.table]


def test_discover_rows_are_visited_top_down_after_scrolling(qtbot, scanned, make_window):
    from player.ui.discover_panel import BucketRow

    window = make_window(scanned)
    window.activateWindow()
    panel = window.discover
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: len(panel.rows) == 3, timeout=5000)
    genres = [f"Genre {i:02}" for i in range(40)]
    panel.set_rows({genre: [(1, "Stone Road", "Granite", "why")] for genre in genres})
    for value in (300, 700, 200):                         # rows leave and come back into view
        panel.verticalScrollBar().setValue(value)
        qtbot.wait(20)
    panel.refresh_btn.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(panel.refresh_btn.hasFocus, timeout=2000)
    visited = []
    for _ in range(200):                                  # Tab on through the rows (the panel scrolls along)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
        now = QApplication.focusWidget()
        if not panel.isAncestorOf(now):
            break
        row = now.parentWidget()
        if isinstance(row, BucketRow) and now is row.play_btn:
            visited.append(row.bucket)
    assert visited == genres
    assert window.up_next.isAncestorOf(QApplication.focusWidget())      # and on to Up next


def test_the_window_opens_with_the_keyboard_in_the_track_list(qtbot, scanned, tmp_path, monkeypatch):
    # Started as the app starts it: the player comes up on a worker, its buttons greyed until then.
    from player.ui.main import default_engine_factory
    from player.ui.main_window import MainWindow
    from tests.player.ui.conftest import settle_workers

    monkeypatch.setenv("SEGUE_ENGINE", "null")
    window = MainWindow(scanned, engine_factory=default_engine_factory(scanned),
                        settings_file=str(tmp_path / "window.ini"))
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.library_loaded, timeout=10000):
            window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.transport.play_btn.isEnabled, timeout=10000)
        volume = window.transport.volume.value()
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key_Down)
        assert window.transport.volume.value() == volume      # the arrow keys do not turn the volume
        assert QApplication.focusWidget() is window.library.table
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
        assert window.up_next.isAncestorOf(QApplication.focusWidget())
    finally:
        window.close()
        settle_workers()


def test_the_playlists_track_list_is_a_tab_stop_only_while_it_has_tracks(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.activateWindow()
    panel = window.playlists
    window.tabs.setCurrentWidget(panel)
    tab_bar = window.tabs.tabBar()
    # No playlist yet: the list is empty, and Tab (either way) passes over it.
    assert panel.entries.count() == 0
    assert panel.entries not in _walk(qtbot, window, tab_bar)
    assert panel.entries not in _walk(qtbot, window, tab_bar, Qt.Key_Backtab)
    ids = [window.model.track_id(r) for r in range(2)]
    window.add_to_playlist(ids, name="Evening")
    qtbot.waitUntil(lambda: panel.entries.count() == 2, timeout=5000)
    forward = _walk(qtbot, window, tab_bar)
    assert panel.entries in forward and forward.index(panel.lists) < forward.index(panel.entries)
    assert panel.entries in _walk(qtbot, window, tab_bar, Qt.Key_Backtab)
    # Its tracks removed from the keyboard: the focus goes to the playlists, Tab passes over the list.
    panel.entries.setFocus(Qt.OtherFocusReason)
    qtbot.waitUntil(panel.entries.hasFocus, timeout=2000)
    panel.entries.selectAll()
    qtbot.keyClick(panel.entries, Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.entries.count() == 0 and panel.lists.count() == 1, timeout=5000)
    assert QApplication.focusWidget() is panel.lists
    assert panel.entries not in _walk(qtbot, window, tab_bar)


def test_hiding_up_next_with_the_keyboard_in_it_leaves_the_keyboard_on_the_page(qtbot, scanned, make_window):
    # F9 in Up next hid it with the keyboard inside: Qt moved the keyboard on to a button of
    # the top bar. It goes where Shift+Tab from Up next goes: in the library, the track list.
    window = make_window(scanned)
    window.activateWindow()
    window.enqueue([window.model.track_id(0)])
    qtbot.waitUntil(lambda: window.up_next.clear_btn.isEnabled(), timeout=5000)
    for page in (window.library, window.playlists):
        window.tabs.setCurrentWidget(page)
        stops = window.tab_stops()
        first = next(i for i, w in enumerate(stops) if window.up_next.isAncestorOf(w))
        expected = stops[first - 1]                                     # Shift+Tab from Up next
        assert page is not window.library or expected is window.library.table
        up_next = window.up_next.list
        up_next.setFocus(Qt.OtherFocusReason)
        qtbot.waitUntil(up_next.hasFocus, timeout=2000)
        qtbot.keyClick(up_next, Qt.Key_F9)
        assert not window.up_next.isVisible()
        assert QApplication.focusWidget() is expected, type(QApplication.focusWidget()).__name__
        assert page.isAncestorOf(expected) and expected.isVisible()
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_F9)
        assert window.up_next.isVisible() and QApplication.focusWidget() is expected
