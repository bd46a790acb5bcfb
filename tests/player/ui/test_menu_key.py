"""The menu key opens a list's right-click menu for the row that has the keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication


def _press_menu_key(widget) -> None:
    """What Qt's window does with the menu key (Shift+F10 on some desktops): a keyboard
    context menu event for the widget with the keyboard, at the middle of its text cursor's
    place (for a list, its current row) as the widget itself gives it."""
    pos = widget.inputMethodQuery(Qt.ImCursorRectangle).center()
    QApplication.sendEvent(widget, QContextMenuEvent(QContextMenuEvent.Keyboard, pos, widget.mapToGlobal(pos)))


def test_the_menu_key_in_the_library_acts_on_the_row_with_the_keyboard(qtbot, scanned, make_window):
    window = make_window(scanned)
    library, table = window.library, window.library.table
    table.setFocus()
    table.selectRow(0)
    for _ in range(4):
        qtbot.keyClick(table, Qt.Key_Down)
    assert table.currentIndex().row() == 4
    here = window.model.track_id(4)
    assert library.selected_ids() == [here]

    radio, next_, never = [], [], []
    library.radio_requested.connect(radio.append)
    library.play_next_requested.connect(next_.append)
    library.never_suggest.connect(lambda track_id, what: never.append((track_id, what)))
    _press_menu_key(table)
    menu = library.last_menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    actions = {a.text(): a for a in menu.actions()}
    actions["Start radio from this song"].trigger()
    actions["Play next"].trigger()
    actions["Don't suggest this song"].trigger()
    menu.close()
    assert radio == [here]
    assert next_ == [[here]]
    assert never == [(here, "song")]
