"""The menu key opens a list's right-click menu for the row that has the keyboard."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def _press_menu_key(widget) -> None:
    """The menu key (Shift+F10 on some desktops) as Qt's window hands it on: the keyboard
    context menu event goes to the window, and Qt itself finds the widget with the keyboard and
    the place of its current row (offscreen, a key press alone makes no such event)."""
    window = widget.window().windowHandle()
    assert QApplication.focusWidget() is widget
    QApplication.sendEvent(window, QContextMenuEvent(QContextMenuEvent.Keyboard, QPoint(), QPoint()))


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


def test_the_menu_key_scrolls_to_the_row_with_the_keyboard(qtbot, scanned, make_window):
    window = make_window(scanned)
    library, table = window.library, window.library.table
    window.resize(600, 200)
    table.setFocus()
    last = table.model().rowCount() - 1
    table.selectRow(last)
    table.verticalScrollBar().setValue(0)
    assert not table.viewport().rect().intersects(table.visualRect(table.currentIndex()))
    radio = []
    library.radio_requested.connect(radio.append)
    _press_menu_key(table)
    menu = library.last_menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    next(a for a in menu.actions() if a.text() == "Start radio from this song").trigger()
    menu.close()
    assert radio == [window.model.track_id(last)]
    assert table.viewport().rect().contains(table.visualRect(table.currentIndex()))


def test_the_menu_key_with_no_row_chosen_opens_no_menu(qtbot, scanned, make_window):
    """With rows but none current (the list was just reloaded), Qt asks for the menu at the
    middle of the list: it was for the row there, and "Start radio from this song" started from
    a song no one chose."""
    window = make_window(scanned)
    library, table = window.library, window.library.table
    window.resize(600, 200)             # the middle of the list on a row, as in a big library
    table.setFocus()
    table.selectionModel().clear()
    assert table.model().rowCount() > 0 and not table.currentIndex().isValid()
    library.last_menu = None
    _press_menu_key(table)
    QApplication.processEvents()
    assert library.last_menu is None


def test_a_right_click_acts_on_the_row_under_the_mouse(qtbot, scanned, make_window):
    window = make_window(scanned)
    library, table = window.library, window.library.table
    table.setFocus()
    table.selectionModel().clear()
    radio = []
    library.radio_requested.connect(radio.append)
    at = table.visualRect(table.model().index(2, 1)).center()
    viewport = table.viewport()
    QApplication.sendEvent(viewport, QContextMenuEvent(QContextMenuEvent.Mouse, at, viewport.mapToGlobal(at)))
    menu = library.last_menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    next(a for a in menu.actions() if a.text() == "Start radio from this song").trigger()
    menu.close()
    assert radio == [window.model.track_id(2)]


def _let_go_of_shift(widget) -> None:
    """Offscreen, the Shift that a key click lets go of while the menu it opened has the
    keyboard never reaches the application, which then holds Shift down for the tests after
    this one (rows chosen in Up next there went by Shift's rules, and one was lost)."""
    QTest.keyRelease(widget, Qt.Key_Shift)
    assert QApplication.keyboardModifiers() == Qt.NoModifier


def test_shift_f10_opens_the_menu_of_the_row_with_the_keyboard_in_the_library_and_a_playlist(qtbot, scanned,
                                                                                             make_window):
    # Qt on Linux makes a menu event of the menu key only: Shift+F10, the key other desktop
    # programs open menus with (and keyboards without a menu key have), did nothing.
    window = make_window(scanned)
    library, table = window.library, window.library.table
    table.setFocus()
    table.selectRow(2)
    here = window.model.track_id(2)
    radio = []
    library.radio_requested.connect(radio.append)
    library.last_menu = None
    qtbot.keyClick(table, Qt.Key_F10, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: library.last_menu is not None and library.last_menu.isVisible(), timeout=5000)
    next(a for a in library.last_menu.actions() if a.text() == "Start radio from this song").trigger()
    library.last_menu.close()
    _let_go_of_shift(table)
    assert radio == [here]

    ids = [t["id"] for t in scanned.tracks()[:3]]
    second = scanned.create_playlist("Second", ids[1:3])
    window.tabs.setCurrentWidget(window.playlists)
    window.refresh_playlists(select=second)
    panel, lists = window.playlists, window.playlists.lists
    qtbot.waitUntil(lambda: panel.current_playlist() == second, timeout=5000)
    window.activateWindow()             # (offscreen, a menu closed gives the keyboard to no one)
    lists.setFocus()
    qtbot.waitUntil(lists.hasFocus, timeout=5000)
    panel.last_lists_menu = None
    queued = []
    panel.enqueue_requested.connect(queued.append)
    qtbot.keyClick(lists, Qt.Key_F10, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: panel.last_lists_menu is not None and panel.last_lists_menu.isVisible(), timeout=5000)
    next(a for a in panel.last_lists_menu.actions() if a.text() == "Add to Up next").trigger()
    panel.last_lists_menu.close()
    _let_go_of_shift(lists)
    assert queued == [second]


def test_shift_f10_in_up_next_opens_the_menu_of_the_row_with_the_keyboard(qtbot, scanned, make_window):
    # Up next takes its own keys (Delete, Alt+arrows, typing to search): Shift+F10 still
    # opens the menu of the row the keyboard is on, selected or not (Tab into the list puts
    # the keyboard on a row without selecting it), and Remove there takes that row only.
    window = make_window(scanned)
    window.activateWindow()
    ids = [window.model.track_id(r) for r in range(4)]
    window.enqueue(ids)
    panel, view = window.up_next, window.up_next.list
    qtbot.waitUntil(lambda: panel.track_ids() == ids, timeout=5000)
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=5000)
    view.selectionModel().clear()
    view.selectionModel().setCurrentIndex(panel.rows.index(2, 0), QItemSelectionModel.NoUpdate)
    panel.last_menu = None
    qtbot.keyClick(view, Qt.Key_F10, Qt.ShiftModifier)
    qtbot.waitUntil(lambda: panel.last_menu is not None and panel.last_menu.isVisible(), timeout=5000)
    next(a for a in panel.last_menu.actions() if a.text() == "Remove from Up next").trigger()
    panel.last_menu.close()
    _let_go_of_shift(view)
    qtbot.waitUntil(lambda: panel.track_ids() == [ids[0], ids[1], ids[3]], timeout=5000)
