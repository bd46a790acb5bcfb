"""In the real window (offscreen, real SQLite, generated audio, the null engine): Ctrl+Z in Up
next puts back what Delete, Remove or Clear took out, in its places, as Ctrl+Z does in a
playlist. Without it a slip of one key lost a queue built song by song."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.player.ui.test_up_next_keys import _first_sent_to_the_end_of_a_short_panel, _queued, _select
from tests.player.ui.test_up_next_moved_suggestions import _fourth_suggestion_moved_up, _suggesting


def _undo(window) -> None:
    QTest.keyClick(window.windowHandle(), Qt.Key_Z, Qt.ControlModifier)


def test_ctrl_z_puts_back_the_songs_deleted_and_the_queue_cleared(qtbot, scanned, make_window):
    window, ids = _queued(qtbot, scanned, make_window, 5)
    ids.append(window.model.track_id(5))
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [1, 3])
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[2], ids[4]], timeout=5000)
    qtbot.waitUntil(lambda: "Ctrl+Z" in window.statusBar().currentMessage(), timeout=5000)
    window.enqueue([ids[5]])                             # queued meanwhile: stays where it went
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[2], ids[4], ids[5]], timeout=5000)
    _undo(window)
    qtbot.waitUntil(lambda: panel.track_ids() == [*ids[:5], ids[5]], timeout=5000)
    _undo(window)                                        # once: nothing more to put back
    qtbot.waitUntil(lambda: "Nothing" in window.statusBar().currentMessage(), timeout=5000)
    assert panel.track_ids() == [*ids[:5], ids[5]]

    QTest.mouseClick(panel.clear_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.track_ids() == [], timeout=5000)
    # (Clear, disabled once Up next is empty, left the keyboard elsewhere in the panel)
    assert QApplication.focusWidget() is not view and panel.isAncestorOf(QApplication.focusWidget())
    _undo(window)
    qtbot.waitUntil(lambda: panel.track_ids() == [*ids[:5], ids[5]], timeout=5000)
    assert all(e.hand_queued for e in window.player.queue)


def test_a_suggestion_put_back_is_no_longer_passed_over(qtbot, scanned, make_window):
    window = _suggesting(qtbot, make_window(scanned))
    player, panel = window.player, window.up_next
    qtbot.waitUntil(lambda: panel.rows.rowCount() >= 3, timeout=10000)
    shown = panel.track_ids()
    panel.remove_entries.emit([player.queue[1]])         # "Remove from Up next"
    qtbot.waitUntil(lambda: panel.track_ids()[:2] == [shown[0], shown[2]], timeout=5000)
    assert player.passed_over == {shown[1]}
    panel.put_back.emit()
    qtbot.waitUntil(lambda: panel.track_ids()[:3] == shown[:3], timeout=5000)
    assert player.passed_over == frozenset()


def test_ctrl_z_after_a_drag_takes_the_drag_back_before_a_removal(qtbot, scanned, make_window):
    # Ctrl+Z put back only what was taken out: two rows dropped in the wrong place stayed
    # there, and the song deleted before the drag came back instead.
    window, ids = _queued(qtbot, scanned, make_window, 6)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [5])
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == ids[:5], timeout=5000)
    model = view.model()
    _select(view, [0, 2])                               # rows 0 and 2 dragged below row 3
    mime = model.mimeData([model.index(0, 0), model.index(2, 0)])
    rect = view.visualRect(model.index(3, 0))
    view.dropEvent(QDropEvent(QPoint(rect.center().x(), rect.bottom() - 2), Qt.MoveAction, mime,
                              Qt.LeftButton, Qt.NoModifier))
    dragged = [ids[1], ids[3], ids[0], ids[2], ids[4]]
    qtbot.waitUntil(lambda: panel.track_ids() == dragged, timeout=5000)
    _undo(window)
    qtbot.waitUntil(lambda: panel.track_ids() == ids[:5], timeout=5000)
    qtbot.waitUntil(lambda: "Moved 2 songs back" in window.statusBar().currentMessage(), timeout=5000)
    _undo(window)                                       # then the song deleted
    qtbot.waitUntil(lambda: panel.track_ids() == ids, timeout=5000)


def test_a_suggestion_moved_and_taken_back_stays_selected(qtbot, scanned, make_window):
    # Moved, a suggestion becomes the person's (another entry in its row); taken back, it is
    # Segue's again, and its row lost the selection: a second Alt+Up or Ctrl+Z found nothing.
    window, ids = _fourth_suggestion_moved_up(qtbot, make_window(scanned))
    player, panel = window.player, window.up_next
    assert player.queue[2].placed
    panel.put_back.emit()                                # Ctrl+Z
    qtbot.waitUntil(lambda: panel.track_ids()[:4] == ids[:4] and not player.queue[3].placed, timeout=5000)
    assert [e.track_id for e in panel._selected_entries()] == [ids[3]]
    assert panel.rows.entry(panel.list.currentIndex().row()).track_id == ids[3]


def test_ctrl_z_takes_back_all_that_one_key_press_moved(qtbot, scanned, make_window):
    # Alt+Down on rows apart moves each stretch of them on its own: Ctrl+Z took back only the
    # last stretch moved, and the rows the person moved together came apart.
    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [0, 2])
    QTest.keyClick(window.windowHandle(), Qt.Key_Down, Qt.AltModifier)
    moved = [ids[1], ids[0], ids[3], ids[2], ids[4]]
    qtbot.waitUntil(lambda: panel.track_ids() == moved, timeout=5000)
    _undo(window)
    qtbot.waitUntil(lambda: panel.track_ids() == ids, timeout=5000)
    qtbot.waitUntil(lambda: "Moved 2 songs back" in window.statusBar().currentMessage(), timeout=5000)


def test_the_songs_ctrl_z_puts_back_are_the_ones_chosen(qtbot, scanned, make_window):
    # Put back, a song came back unselected, the keyboard on the row after it: the person
    # could not see at once what came back, nor delete it again with one key.
    from tests.player.ui.test_up_next_keys import _current_and_selected

    window, ids = _queued(qtbot, scanned, make_window, 5)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [2])
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [*ids[:2], *ids[3:]], timeout=5000)
    _undo(window)
    qtbot.waitUntil(lambda: panel.track_ids() == ids, timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[2], [ids[2]]), timeout=5000)
    _select(view, [1, 3])                                # several: all of them, the first current
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[2], ids[4]], timeout=5000)
    _undo(window)
    qtbot.waitUntil(lambda: panel.track_ids() == ids, timeout=5000)
    qtbot.waitUntil(lambda: _current_and_selected(panel) == (ids[1], [ids[1], ids[3]]), timeout=5000)


def test_ctrl_z_after_a_restart_says_there_is_nothing_to_undo(qtbot, scanned, make_window):
    # What Ctrl+Z can undo lasts as long as the run, as in the players people know: a song
    # deleted before a restart stays deleted, and Ctrl+Z after it says so rather than nothing.
    window, ids = _queued(qtbot, scanned, make_window, 4)
    panel, view = window.up_next, window.up_next.list
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    _select(view, [1])
    QTest.keyClick(window.windowHandle(), Qt.Key_Delete)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], *ids[2:]], timeout=5000)
    window.close()
    window.player.close()

    again = make_window(scanned, wait_library=False)
    again.activateWindow()
    qtbot.waitUntil(lambda: again.restored and again.up_next.track_ids() == [ids[0], *ids[2:]], timeout=10000)
    again.up_next.list.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is again.up_next.list, timeout=2000)
    _undo(again)
    bar = again.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage() == "Nothing moved or taken out of Up next to undo", timeout=5000)
    assert bar.accessibleDescription() == bar.currentMessage()      # what a screen reader is given
    assert again.up_next.track_ids() == [ids[0], *ids[2:]]


def test_ctrl_z_of_a_move_brings_the_rows_moved_back_into_view(qtbot, scanned, make_window):
    # Alt+End on a long Up next, then Ctrl+Z: the song went back to the top with the keyboard
    # on it, but the view stayed at the end, and the next key acted on a row out of sight.
    window, ids, in_view = _first_sent_to_the_end_of_a_short_panel(qtbot, scanned, make_window)
    panel, view = window.up_next, window.up_next.list
    _undo(window)
    qtbot.waitUntil(lambda: panel.track_ids() == ids, timeout=5000)
    qtbot.waitUntil(lambda: "Moved 1 song back" in window.statusBar().currentMessage(), timeout=5000)
    assert panel.rows.entry(view.currentIndex().row()).track_id == ids[0]
    qtbot.waitUntil(in_view, timeout=5000)
