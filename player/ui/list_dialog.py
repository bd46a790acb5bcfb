"""What the window's list dialogs share (Imported histories, Files with problems, Never
suggested): the list, a line that stands in its place while it is empty, a note below it,
and Close beside the one action the dialog offers."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget


def hint(text: str, *, wrap: bool = True) -> QLabel:
    """A label in the theme's quieter hint style."""
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(wrap)
    return label


class _EnterInTheList(QObject):
    """Enter in the list activates the row there (``activated``, for a dialog whose rows
    do something) and goes no further: passed on to the dialog, it pressed Close, and a
    person who chose a row to copy or remove lost the dialog and the choice."""

    def eventFilter(self, view, event) -> bool:
        if (event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Return, Qt.Key_Enter)
                and not event.modifiers() & ~Qt.KeypadModifier):
            if view.currentIndex().isValid():
                view.activated.emit(view.currentIndex())
            return True
        return False


def lay_out(dialog: QDialog, view: QWidget, empty: QLabel, note: QLabel, action: QPushButton) -> None:
    """``view`` above ``empty`` (hidden until the rows are read) and ``note``, then the
    buttons: ``action`` and Close. The list is named by the dialog's title: no label names
    it, and a screen reader read it out as a nameless list. Enter in the list stays in it
    (see :class:`_EnterInTheList`); on a button it presses that button, and Escape closes."""
    view.setAccessibleName(dialog.windowTitle())
    view.enter_in_the_list = _EnterInTheList(view)
    view.installEventFilter(view.enter_in_the_list)
    empty.hide()
    buttons = QDialogButtonBox(QDialogButtonBox.Close)
    buttons.addButton(action, QDialogButtonBox.ActionRole)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    for widget in (view, empty, note, buttons):
        layout.addWidget(widget)


def delete_presses(view: QWidget, remove: QPushButton) -> None:
    """The Delete key in ``view`` presses ``remove``, as in the settings' list of folders and
    in a file manager: on the rows chosen, through the button's own way (its question first,
    where it asks one), and not while the button is greyed out (nothing chosen, a removal
    under way). Backspace and Ctrl+Backspace do the same: on a Mac the key labelled "delete"
    is Backspace: Music removes with it, and Finder with Cmd+delete (Ctrl+Backspace here is
    Cmd+delete there); nothing else in these lists takes Backspace."""
    action = QAction(remove.text().rstrip("…"), view)
    action.setShortcuts(QKeySequence.keyBindings(QKeySequence.Delete)
                        + [QKeySequence(Qt.Key_Backspace), QKeySequence(Qt.CTRL | Qt.Key_Backspace)])
    action.setShortcutContext(Qt.WidgetShortcut)
    action.triggered.connect(remove.click)
    view.addAction(action)
