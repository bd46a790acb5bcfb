"""Words said to a screen reader as they happen, without moving the keyboard."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtGui import QAccessible

# Announcements came with Qt 6.8; the PySide6 versions Segue installs with go back to 6.6,
# where the class is missing and importing it stopped the window from starting at all. There
# the words are only shown, as they were before.
_ANNOUNCEMENT = getattr(QtGui, "QAccessibleAnnouncementEvent", None)


def announce(speaker, words: str) -> None:
    """Have a screen reader say ``words`` from the widget ``speaker``, politely (after what it
    is saying); nothing where Qt has no announcements, or nothing is to be said."""
    if _ANNOUNCEMENT is None or not words:
        return
    QAccessible.updateAccessibility(_ANNOUNCEMENT(speaker, words))
