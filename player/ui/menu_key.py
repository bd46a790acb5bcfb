"""Shift+F10 opens the right-click menu of what has the keyboard, as the menu key does.

Windows makes Shift+F10 a context menu event itself. Qt on Linux makes one of the menu key
only: Shift+F10, the key GTK and KDE programs open a menu with (and the only one on a
keyboard with no menu key), reached the widget as a plain key press and did nothing.
:func:`install` puts one rule on the application for every widget, present and future: the
key press becomes the keyboard's context menu event, which Qt hands to the widget with the
keyboard at the place of its current row or cursor, as it does the menu key's.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QWidget

_rule: "_ShiftF10 | None" = None


class _ShiftF10(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if (event.type() != QEvent.KeyPress or event.key() != Qt.Key_F10
                or event.modifiers() != Qt.ShiftModifier):
            return False
        if not isinstance(obj, QWidget) or obj is not QApplication.focusWidget():
            return False        # (the window's own copy of the key press, before the widget's)
        window = obj.window().windowHandle()
        if window is None:
            return False
        QApplication.sendEvent(window, QContextMenuEvent(QContextMenuEvent.Keyboard, QPoint(), QPoint(),
                                                         event.modifiers()))
        return True


def install(app: QApplication | None = None) -> None:
    """Put the rule on the application (once; not on Windows, which has it already)."""
    global _rule
    app = app or QApplication.instance()
    if app is None or _rule is not None or sys.platform == "win32":
        return
    _rule = _ShiftF10(app)
    app.installEventFilter(_rule)
