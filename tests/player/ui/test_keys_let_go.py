"""The tests' own set-up: modifier keys a test's simulated key leaves held are let go of
before the next test, which would otherwise select and click with them held."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableWidget


def _table(qtbot) -> QTableWidget:
    table = QTableWidget(5, 2)
    table.setSelectionBehavior(QTableWidget.SelectRows)
    qtbot.addWidget(table)
    table.show()
    qtbot.waitExposed(table)
    return table


def test_shift_left_held_by_a_simulated_key_is_let_go_of(qtbot):
    from tests.conftest import let_go_of_keys

    table = _table(qtbot)
    QTest.keyClick(table.windowHandle(), Qt.Key_Backtab, Qt.ShiftModifier)
    # What the simulated key leaves: Shift held, though it was let go of (else this shows nothing).
    assert QApplication.keyboardModifiers() == Qt.ShiftModifier
    let_go_of_keys()
    assert QApplication.keyboardModifiers() == Qt.NoModifier
    fresh = _table(qtbot)       # as the next test's view: with Shift held it selected nothing
    fresh.selectRow(3)
    assert [index.row() for index in fresh.selectionModel().selectedRows()] == [3]
