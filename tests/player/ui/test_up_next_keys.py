"""Up next is reordered from the keyboard as a playlist is: Alt+Up / Alt+Down move the
selected rows one place, together; Ctrl+Up / Ctrl+Down stay the volume keys. Alt+Home
(Play next) and Alt+End (Move to end) move them to the top or the end, as the menu does."""

from __future__ import annotations

import time

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.player.ui.test_screen_reader_names import _announcements


def _select(view, rows) -> None:
    model = view.model()
    selection = QItemSelection()
    for r in rows:
        selection.select(model.index(r, 0), model.index(r, 0))
    view.setCurrentIndex(model.index(rows[0], 0))
    view.selectionModel().select(selection, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)


def _queued(qtbot, scanned, make_window, n: int):
    """A window with the library's first ``n`` songs in Up next, and their ids."""
    window = make_window(scanned)
    window.activateWindow()
    ids = [window.model.track_id(r) for r in range(n)]
    window.enqueue(ids)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == ids, timeout=5000)
    return window, ids


def test_alt_up_and_down_move_the_selected_rows(qtbot, scanned, make_window):
    window, ids = _queued(qtbot, scanned, make_window, 4)
    view = window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [1, 2])

    def press(key, modifier):
        QTest.keyClick(window.windowHandle(), key, modifier)

    def order(*rows):
        return [ids[r] for r in rows]

    press(Qt.Key_Up, Qt.AltModifier)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == order(1, 2, 0, 3), timeout=5000)
    selected = sorted(i.row() for i in view.selectionModel().selectedRows())
    assert selected == [0, 1]                                    # the selection went with them
    press(Qt.Key_Up, Qt.AltModifier)                             # at the top already: stays
    qtbot.wait(200)
    assert window.up_next.track_ids() == order(1, 2, 0, 3)
    press(Qt.Key_Down, Qt.AltModifier)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == order(0, 1, 2, 3), timeout=5000)
    press(Qt.Key_Down, Qt.AltModifier)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == order(0, 3, 1, 2), timeout=5000)

    _select(view, [0, 3])                                        # apart: each on its own (the last stays)
    press(Qt.Key_Down, Qt.AltModifier)
    qtbot.waitUntil(lambda: window.up_next.track_ids() == order(3, 0, 1, 2), timeout=5000)

    volume = window.transport.volume.value()
    press(Qt.Key_Up, Qt.ControlModifier)                         # still the volume
    assert window.transport.volume.value() == min(100, volume + 5)
    qtbot.wait(200)
    assert window.up_next.track_ids() == order(3, 0, 1, 2)


def test_play_next_and_move_to_end_from_the_keys_and_the_menu(qtbot, scanned, make_window):
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list

    def order(*rows):
        return [ids[r] for r in rows]

    # Alt+End and Alt+Home in the list: the rows chosen, apart, go together in their order.
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [0, 2])
    QTest.keyClick(window.windowHandle(), Qt.Key_End, Qt.AltModifier)
    qtbot.waitUntil(lambda: panel.track_ids() == order(1, 3, 4, 0, 2), timeout=5000)
    _select(view, [4, 1])
    QTest.keyClick(window.windowHandle(), Qt.Key_Home, Qt.AltModifier)
    qtbot.waitUntil(lambda: panel.track_ids() == order(3, 2, 1, 4, 0), timeout=5000)

    def menu_on(row):
        panel._menu(view.visualRect(panel.rows.index(row, 0)).center())
        menu = panel.last_menu
        return menu, {a.text(): a for a in menu.actions()}

    # From the menu, on the rows chosen (the right-clicked one among them).
    _select(view, [3, 1])
    menu, actions = menu_on(3)
    actions["Play next"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: panel.track_ids() == order(2, 4, 3, 1, 0), timeout=5000)

    # A row right-clicked outside the selection is the one moved.
    _select(view, [0, 1])
    menu, actions = menu_on(2)
    actions["Move to end"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: panel.track_ids() == order(2, 4, 1, 0, 3), timeout=5000)

    menu, actions = menu_on(0)
    actions["Remove from Up next"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: panel.track_ids() == order(4, 1, 0, 3), timeout=5000)


def _current_and_selected(panel) -> tuple[int | None, list[int]]:
    """The track of Up next's current row (None: none) and those of its selected rows."""
    current = panel.list.currentIndex()
    return (panel.rows.entry(current.row()).track_id if current.isValid() else None,
            [e.track_id for e in panel._selected_entries()])


def test_delete_leaves_the_next_row_chosen_for_the_next_delete(qtbot, scanned, make_window):
    # Deleted with the Delete key, a song left no row selected: a second Delete did nothing,
    # and a person deleting songs one by one from the keyboard had to choose each again.
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [1])
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], *ids[2:]], timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[2], [ids[2]]), timeout=5000)
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)            # the one that took its place
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[3], ids[4]], timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[3], [ids[3]]), timeout=5000)
    _select(view, [2])                                               # the last: the one before it
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[3]], timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[3], [ids[3]]), timeout=5000)


def test_remove_from_the_menu_leaves_the_next_row_chosen(qtbot, scanned, make_window):
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    _select(view, [1, 3])                                            # apart: the one after the first
    panel._menu(view.visualRect(panel.rows.index(1, 0)).center())
    menu = panel.last_menu
    {a.text(): a for a in menu.actions()}["Remove from Up next"].trigger()
    menu.close()
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[2], ids[4]], timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[2], [ids[2]]), timeout=5000)


def test_the_keys_act_on_the_row_the_keyboard_is_on_when_none_is_selected(qtbot, scanned, make_window):
    # Tab into Up next puts the keyboard on its first row, drawn with the focus frame, but
    # selects nothing: Delete, Alt+Down and Alt+End did nothing there, with no word why.
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    assert _current_and_selected(panel) == (ids[0], [])
    QTest.keyClick(window.windowHandle(), Qt.Key_Down, Qt.AltModifier)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[1], ids[0], *ids[2:]], timeout=5000)
    view.clearSelection()                                            # (Ctrl+Space leaves it so too)
    QTest.keyClick(window.windowHandle(), Qt.Key_End, Qt.AltModifier)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[1], *ids[2:], ids[0]], timeout=5000)
    view.clearSelection()
    assert _current_and_selected(panel) == (ids[0], [])
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[1], *ids[2:]], timeout=5000)


def _first_sent_to_the_end_of_a_short_panel(qtbot, scanned, make_window):
    """Eight songs in Up next, a panel two rows high, the keyboard on it: the first song
    chosen and sent to the end with Alt+End, once the player has it there and its row is in
    view. The window, the ids, and whether the current row is in view."""
    window, ids = _queued(qtbot, scanned, make_window, 8)
    view = window.up_next.list
    view.setFixedHeight(view.rowHeight(0) * 2 + 2 * view.frameWidth())

    def in_view() -> bool:
        return view.viewport().rect().contains(view.visualRect(view.currentIndex()))

    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [0])
    QTest.keyClick(window.windowHandle(), Qt.Key_End, Qt.AltModifier)
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue][-1] == ids[0], timeout=5000)
    qtbot.waitUntil(lambda: window.up_next.track_ids()[-1] == ids[0], timeout=5000)
    qtbot.waitUntil(in_view, timeout=5000)
    return window, ids, in_view


def test_the_rows_the_keys_move_stay_in_view(qtbot, scanned, make_window):
    # Alt+End on an Up next longer than its panel took the row out of sight, and the next
    # Alt+Up or Delete acted on a row the person could not see.
    window, ids, in_view = _first_sent_to_the_end_of_a_short_panel(qtbot, scanned, make_window)
    panel = window.up_next
    QTest.keyClick(window.windowHandle(), Qt.Key_Home, Qt.AltModifier)
    qtbot.waitUntil(lambda: panel.track_ids()[0] == ids[0], timeout=5000)
    qtbot.waitUntil(in_view, timeout=5000)
    for row in range(1, 5):                                          # down one at a time
        QTest.keyClick(window.windowHandle(), Qt.Key_Down, Qt.AltModifier)
        qtbot.waitUntil(lambda: panel.track_ids()[row] == ids[0], timeout=5000)
        qtbot.waitUntil(in_view, timeout=5000)


def test_delete_pressed_again_before_the_first_is_done_removes_the_next_row(qtbot, scanned, make_window):
    # The next row was chosen only once the player's queue came back without the song: Delete
    # pressed again before that (held down, it repeats; the player busy starting a song) asked
    # for the same song again, and the row after it stayed.
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [1])
    with window.player._lock:                                        # the player busy a moment
        QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
        QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[3], ids[4]], timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[3], [ids[3]]), timeout=5000)
    _select(view, [2])                                               # the last, twice: on up the list
    with window.player._lock:
        QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
        QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0]], timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[0], [ids[0]]), timeout=5000)


def test_alt_down_pressed_again_before_the_first_is_done_moves_on(qtbot, scanned, make_window):
    # Each press worked out its move from the rows as shown, and they showed the move only once
    # the player had made it: pressed again before that (held down, it repeats; the player
    # busy starting a song) the same move was asked for twice, and the song went one place.
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [0])
    with window.player._lock:                                        # the player busy a moment
        for _ in range(3):
            QTest.keyClick(window.windowHandle(), Qt.Key_Down, Qt.AltModifier)
    moved = [ids[1], ids[2], ids[3], ids[0], ids[4]]
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == moved, timeout=5000)
    qtbot.waitUntil(lambda: panel.track_ids() == moved, timeout=5000)
    assert _current_and_selected(panel) == (ids[0], [ids[0]])
    with window.player._lock:
        QTest.keyClick(window.windowHandle(), Qt.Key_Home, Qt.AltModifier)
        QTest.keyClick(window.windowHandle(), Qt.Key_Down, Qt.AltModifier)
    qtbot.waitUntil(lambda: [e.track_id for e in window.player.queue] == [ids[1], ids[0], *ids[2:]], timeout=5000)


def test_a_song_put_back_before_its_removal_was_shown_is_chosen_as_any_row(qtbot, scanned, make_window):
    # Delete then Ctrl+Z, both made by the player before the window showed the first (the
    # window busy a moment): the song was kept as one on its way out for as long as it was
    # shown, and a Delete on the row above it chose the row after it instead.
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [2])
    with window.player._lock:                        # the player removes it once the key is done with
        QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    deadline = time.monotonic() + 5
    while ids[2] in [e.track_id for e in window.player.queue]:     # no events handled: the window busy
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert window.player.put_back() == 1                            # Ctrl+Z, as the player makes it
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Removed 1 song"), timeout=5000)
    assert panel.track_ids() == ids
    _select(view, [1])
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], *ids[2:]], timeout=5000)
    assert _current_and_selected(panel) == (ids[2], [ids[2]])


def test_a_screen_reader_is_told_where_the_moved_song_went(qtbot, scanned, make_window, monkeypatch):
    # The row the keyboard is on is the same song after Alt+Up/Down/Home/End: a reader said
    # nothing, and a person who cannot see the list did not know where the song had gone.
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    sent = _announcements(monkeypatch)
    _select(view, [1])

    def said():
        return [w for w, *_ in sent if w.startswith(("Moved", "Already"))]

    def press(key, order, times=1):
        sent.clear()
        for _ in range(times):                  # (back to back: as a key held down repeats)
            QTest.keyClick(window.windowHandle(), key, Qt.AltModifier)
        qtbot.waitUntil(lambda: panel.track_ids() == order and bool(said()), timeout=5000)
        return said()

    assert press(Qt.Key_Down, [ids[0], ids[2], ids[1], *ids[3:]]) == ["Moved to 3 of 5"]
    assert press(Qt.Key_End, [ids[0], ids[2], ids[3], ids[4], ids[1]]) == ["Moved to 5 of 5"]
    assert press(Qt.Key_Down, [ids[0], ids[2], ids[3], ids[4], ids[1]]) == ["Already at the end"]
    assert press(Qt.Key_Home, [ids[1], ids[0], ids[2], ids[3], ids[4]]) == ["Moved to 1 of 5"]
    assert press(Qt.Key_Up, [ids[1], ids[0], ids[2], ids[3], ids[4]]) == ["Already at the top"]
    # Held down, the key repeats: said once, where the song stopped, not a place at each step
    # queued up behind the last (nor "Already at the end" over and over once it got there).
    assert press(Qt.Key_Down, [ids[0], ids[2], ids[3], ids[4], ids[1]], times=6) == ["Moved to 5 of 5"]
    _select(view, [1, 2])
    assert press(Qt.Key_Up, [ids[2], ids[3], ids[0], ids[4], ids[1]]) == ["Moved 2 songs to 1 of 5"]
    # Delete is said already: the reader reads the row the keyboard goes on to, then the status
    # bar's "Removed 2 songs from Up next" with the key that puts it back.
    sent.clear()
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: any(w.startswith("Removed 2 songs from Up next") for w, *_ in sent), timeout=5000)
