"""The keyboard presses the control that has it: Space and Enter on a focused button or
check box press it, and Space plays and pauses everywhere else. Keys are sent to the
window as the platform sends them, so that the window's shortcuts see them first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def _focus(qtbot, widget) -> None:
    widget.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=2000)


def _press(window, key) -> None:
    QTest.keyClick(window.windowHandle(), key)
    QApplication.processEvents()


def test_space_presses_the_focused_control_and_plays_or_pauses_elsewhere(qtbot, scanned, make_window):
    from player.audio.base import PlaybackState

    window = make_window(scanned)
    window.activateWindow()
    qtbot.waitUntil(window.transport.play_btn.isEnabled, timeout=10000)
    player = window.player
    _focus(qtbot, window.library.table)
    window.library.table.selectRow(0)
    _press(window, Qt.Key_Space)                     # in the track list: plays
    qtbot.waitUntil(lambda: player.state == PlaybackState.PLAYING, timeout=5000)
    _press(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: player.state == PlaybackState.PAUSED, timeout=5000)

    keep_going, shuffle = window.up_next.keep_going, window.transport.shuffle_btn
    assert not keep_going.isChecked() and not shuffle.isChecked()
    _focus(qtbot, keep_going)
    _press(window, Qt.Key_Space)
    assert keep_going.isChecked()
    _focus(qtbot, shuffle)
    _press(window, Qt.Key_Space)
    assert shuffle.isChecked()
    qtbot.wait(300)
    assert player.state == PlaybackState.PAUSED      # neither key played

    _focus(qtbot, window.up_next.list)               # in Up next: plays again
    _press(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: player.state == PlaybackState.PLAYING, timeout=5000)


def test_enter_presses_a_focused_button(qtbot, scanned, make_window):
    window = make_window(scanned)
    window.activateWindow()
    qtbot.waitUntil(window.transport.play_btn.isEnabled, timeout=10000)
    window.play_ids([window.model.track_id(r) for r in range(3)], 0, "library")
    first = window.model.track_id(0)
    qtbot.waitUntil(lambda: window.player.current_track_id == first, timeout=10000)
    window.pause()                                   # (the song would end by itself meanwhile)
    qtbot.wait(200)
    _focus(qtbot, window.transport.next_btn)
    _press(window, Qt.Key_Return)
    qtbot.waitUntil(lambda: window.player.current_track_id == window.model.track_id(1), timeout=5000)
    window.tabs.setCurrentWidget(window.discover)
    qtbot.waitUntil(lambda: len(window.discover.rows) > 0, timeout=5000)
    row = window.discover.rows[0]
    with qtbot.waitSignal(window.discover.play, timeout=3000):
        _focus(qtbot, row.play_btn)
        _press(window, Qt.Key_Space)
    with qtbot.waitSignal(window.discover.play, timeout=3000):
        _press(window, Qt.Key_Enter)
