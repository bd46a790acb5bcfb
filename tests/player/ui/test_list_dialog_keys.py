"""Enter in the list of a list dialog (Files with problems, Imported histories, Never
suggested) does not close the dialog: a keyboard user who chose a row to copy or to
remove, and pressed Enter on it as in any list, lost the dialog and the choice. Enter on
a row of Files with problems shows its file in its folder (as the row's menu does); on the
other two it does nothing. Escape still closes, and Enter on a button presses it. Delete
in the list of a dialog that removes presses its Remove, as in the settings' folder list."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from tests import history_fixtures as fx
from tests.player.ui.conftest import TRACKS
from tests.player.ui import test_track_menus as menus
from tests.player.ui.test_track_menus import _FileManager, _local, _shows

# The file manager's stand-ins of the song menus' tests: the folder opened (``opened``), and a
# session bus of the test's own for a file manager of the test's own (``session_bus``)
opened, session_bus = menus.opened, menus.session_bus


def _problems(qtbot, window, store, tmp_path):
    failed = store.start_play(window.model.track_id(0))
    store.end_play(failed, "error", 0, error="The output device is gone")
    dialog = window.open_problems()
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=10000)
    return dialog, dialog.table


def _imports(qtbot, window, store, tmp_path):
    songs = [(artist, title, album) for _f, _n, title, artist, album, _g, _s in TRACKS]
    path = fx.spotify_extended(tmp_path / "Streaming_History_Audio_2020.json",
                               [(*songs[i], 1_600_000_000.0 + 240 * i, 180_000, False) for i in range(3)])
    with qtbot.waitSignal(window.history_imported, timeout=20000):
        window.import_history_files([str(path)])
    window.act_imports.trigger()
    dialog = window.imports_dialog
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=10000)
    return dialog, dialog.table


def _never(qtbot, window, store, tmp_path):
    store.never_suggest_track(window.model.track_id(0))
    dialog = window.open_never_suggested()
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=10000)
    return dialog, dialog.list


@pytest.mark.parametrize("dialog_of", [_problems, _imports, _never], ids=["problems", "imports", "never"])
def test_enter_on_a_row_of_a_list_dialog_keeps_it_open(qtbot, scanned, make_window, tmp_path, dialog_of, opened):
    window = make_window(scanned, with_player=False)
    dialog, view = dialog_of(qtbot, window, scanned, tmp_path)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    view.setCurrentIndex(view.model().index(0, 0))
    assert view.selectionModel().selectedRows()
    activated = []
    view.activated.connect(lambda index: activated.append(index.row()))
    for key in (Qt.Key_Return, Qt.Key_Enter):
        QTest.keyClick(dialog.windowHandle(), key)
        QApplication.processEvents()
        assert dialog.isVisible() and view.selectionModel().selectedRows()
    assert activated == [0, 0]                  # the row's own activation, for a dialog that gives it one
    if dialog_of is _problems:                  # (Show in folder: no file manager here, so the folder opens)
        qtbot.waitUntil(lambda: len(opened.urls) == 2, timeout=10000)

    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Close)
    close.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is close, timeout=2000)
    QTest.keyClick(dialog.windowHandle(), Qt.Key_Return)                # Enter on Close closes
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)


def _focus(qtbot, dialog, view, row: int) -> None:
    """``dialog`` active, the keyboard in ``view``, ``row`` chosen there."""
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    view.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view, timeout=2000)
    view.setCurrentIndex(view.model().index(row, 0))


def test_delete_on_an_imported_history_asks_as_remove_does_then_takes_it_out(qtbot, scanned, make_window,
                                                                             tmp_path):
    window = make_window(scanned, with_player=False)
    dialog, view = _imports(qtbot, window, scanned, tmp_path)
    assert scanned.imported_play_count() == 3
    _focus(qtbot, dialog, view, 0)
    QTest.keyClick(dialog.windowHandle(), Qt.Key_Delete)
    box = dialog.confirm_box
    assert box is not None and "Streaming_History_Audio_2020.json" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.Cancel)        # the same question, No by default
    with qtbot.waitSignal(window.history_removed, timeout=20000), qtbot.waitSignal(dialog.loaded, timeout=20000):
        next(b for b in box.buttons() if b.text() == "Remove").click()
    assert scanned.imported_play_count() == 0 and dialog.table.topLevelItemCount() == 0


# Remove's keys: Delete, and a Mac's delete key (Backspace) and Cmd+delete (Ctrl+Backspace to Qt)
_REMOVE_KEYS = {"delete": (Qt.Key_Delete, Qt.NoModifier), "backspace": (Qt.Key_Backspace, Qt.NoModifier),
                "ctrl-backspace": (Qt.Key_Backspace, Qt.ControlModifier)}


@pytest.mark.parametrize("keys", list(_REMOVE_KEYS))
def test_delete_on_never_suggested_lets_the_rows_chosen_be_suggested_again(qtbot, scanned, make_window, tmp_path,
                                                                          keys):
    window = make_window(scanned, with_player=False)
    kept, taken_back = window.model.track_id(0), window.model.track_id(1)
    store = scanned
    store.never_suggest_track(kept)
    store.never_suggest_track(taken_back)
    dialog = window.open_never_suggested()
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=10000)
    row = next(i for i in range(dialog.list.count())
               if dialog.list.item(i).text().startswith(f"“{store.track(taken_back)['title']}”"))
    _focus(qtbot, dialog, dialog.list, row)
    chosen = dialog.list.item(row).text()
    with qtbot.waitSignal(dialog.removed, timeout=10000) as removed, qtbot.waitSignal(dialog.loaded, timeout=10000):
        QTest.keyClick(dialog.windowHandle(), *_REMOVE_KEYS[keys])
    assert removed.args[0] == [chosen]
    assert store.never_suggested_ids() == {kept}
    assert dialog.list.count() == 1


def test_enter_on_a_file_with_a_problem_shows_it_in_its_folder(qtbot, scanned, make_window, tmp_path, session_bus):
    window = make_window(scanned, with_player=False)
    dialog, view = _problems(qtbot, window, scanned, tmp_path)
    path = scanned.track(window.model.track_id(0))["path"]
    file_manager = _FileManager(session_bus)
    try:
        _focus(qtbot, dialog, view, 0)
        QTest.keyClick(dialog.windowHandle(), Qt.Key_Return)
        qtbot.waitUntil(lambda: bool(file_manager.asked), timeout=10000)
        ((uris, _startup_id),) = file_manager.asked
        assert [os.path.realpath(_local(QUrl.fromEncoded(u.encode("ascii")))) for u in uris] == \
            [os.path.realpath(path)]
        assert dialog.isVisible() and not dialog.said.isVisible()
    finally:
        from player.workers import wait_all

        wait_all()
        file_manager.close()


def test_a_file_with_a_problem_offers_show_in_folder_and_says_when_it_is_gone(qtbot, scanned, make_window, tmp_path,
                                                                             opened):
    window = make_window(scanned, with_player=False)
    dialog, view = _problems(qtbot, window, scanned, tmp_path)
    path = scanned.track(window.model.track_id(0))["path"]
    view.customContextMenuRequested.emit(view.visualItemRect(view.topLevelItem(0)).center())
    _shows(qtbot, opened, dialog.last_menu, path)                   # the row's menu opens its folder

    os.remove(path)
    _focus(qtbot, dialog, view, 0)
    QTest.keyClick(dialog.windowHandle(), Qt.Key_Return)
    qtbot.waitUntil(dialog.said.isVisible, timeout=10000)
    assert dialog.said.text() == f"The file is not there: {path}"
    assert len(opened.urls) == 1                                    # and nothing was opened for it


@pytest.mark.parametrize("keys", ["backspace", "ctrl-backspace"])
def test_backspace_removes_as_delete_does_for_the_mac_delete_key(qtbot, scanned, make_window, tmp_path, keys):
    # On a Mac the key labelled "delete" sends Backspace, and Cmd+delete arrives as Ctrl+Backspace.
    # (The never-suggested list's test above takes these keys too.)
    window = make_window(scanned, with_player=False)
    dialog, view = _imports(qtbot, window, scanned, tmp_path)
    _focus(qtbot, dialog, view, 0)
    QTest.keyClick(dialog.windowHandle(), *_REMOVE_KEYS[keys])
    box = dialog.confirm_box
    assert box is not None and "Streaming_History_Audio_2020.json" in box.text()   # Remove's question
    box.reject()
    assert dialog.isVisible() and dialog.table.topLevelItemCount() == 1
