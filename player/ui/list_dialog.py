"""What the window's list dialogs share (Imported histories, Files with problems, Never
suggested): the list, a line that stands in its place while it is empty, a note below it,
and Close beside the one action the dialog offers."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget


def hint(text: str, *, wrap: bool = True) -> QLabel:
    """A label in the theme's quieter hint style."""
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(wrap)
    return label


def lay_out(dialog: QDialog, view: QWidget, empty: QLabel, note: QLabel, action: QPushButton) -> None:
    """``view`` above ``empty`` (hidden until the rows are read) and ``note``, then the
    buttons: ``action`` and Close. The list is named by the dialog's title: no label names
    it, and a screen reader read it out as a nameless list."""
    view.setAccessibleName(dialog.windowTitle())
    empty.hide()
    buttons = QDialogButtonBox(QDialogButtonBox.Close)
    buttons.addButton(action, QDialogButtonBox.ActionRole)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    for widget in (view, empty, note, buttons):
        layout.addWidget(widget)
