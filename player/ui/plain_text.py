"""Tags are text: no title, artist or file name is ever rendered as rich text.

Qt guesses: a label or tooltip whose text looks like HTML (``Qt::mightBeRichText``) is
rendered as HTML, so a title like ``<img src="/dev/zero">`` made the window read
/dev/zero until it died. Two rules close that for every widget, present and future:

- every :class:`QLabel` left at the default ``AutoText`` becomes ``PlainText`` when it is
  polished (before it is first shown); a label meant to hold markup says so with
  ``setTextFormat(Qt.RichText)`` and escapes what it shows;
- every tooltip (a widget's, an item view's ``ToolTipRole``, a graphics item's) is shown
  escaped, so it reads exactly as written. A widget whose tooltip is deliberate markup
  sets the property ``richToolTip`` to True.

Widgets that show tags also set ``PlainText`` themselves (see :func:`plain`), since a
label that has text before it is polished could be measured as rich text first.
:func:`install` puts the rules on the application; it is idempotent.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QGraphicsView, QLabel, QToolTip, QWidget

RICH_TOOLTIP = "richToolTip"

_policy: "_PlainTextPolicy | None" = None


def escaped_tooltip(text: str) -> str:
    """Rich text that renders as exactly ``text`` (line breaks kept, long lines wrapped)."""
    return f'<p style="white-space:pre-wrap">{html.escape(text, quote=False)}</p>'


def plain(*labels: QLabel) -> None:
    """Show these labels' text as written, never as HTML."""
    for label in labels:
        label.setTextFormat(Qt.PlainText)


class _PlainTextPolicy(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Polish:
            if isinstance(obj, QLabel) and obj.textFormat() == Qt.AutoText:
                obj.setTextFormat(Qt.PlainText)
        elif kind == QEvent.ToolTip and isinstance(obj, QWidget):
            return self._tooltip(obj, event)
        return False

    @staticmethod
    def _tooltip(widget: QWidget, event) -> bool:
        parent = widget.parentWidget()
        rect = None
        if isinstance(parent, QAbstractItemView) and widget is parent.viewport():
            index = parent.indexAt(event.pos())
            text = index.data(Qt.ToolTipRole) if index.isValid() else None
            if index.isValid():
                rect = parent.visualRect(index)
            if parent.property(RICH_TOOLTIP):
                return False
        elif isinstance(parent, QGraphicsView) and widget is parent.viewport():
            item = parent.itemAt(event.pos())
            text = item.toolTip() if item is not None else None
            if parent.property(RICH_TOOLTIP):
                return False
        else:
            if widget.property(RICH_TOOLTIP):
                return False
            text = widget.toolTip()
        if not isinstance(text, str) or not text:
            return False                     # Qt's own handling: nothing here, ask the parent
        if rect is not None:
            QToolTip.showText(event.globalPos(), escaped_tooltip(text), widget, rect)
        else:
            QToolTip.showText(event.globalPos(), escaped_tooltip(text), widget)
        return True


def install(app: QApplication | None = None) -> None:
    """Apply the rules to every widget of the application (call once a QApplication exists)."""
    global _policy
    app = app or QApplication.instance()
    if app is None or _policy is not None:
        return
    _policy = _PlainTextPolicy(app)
    app.installEventFilter(_policy)
    for widget in app.allWidgets():          # widgets made before: polished already
        if isinstance(widget, QLabel) and widget.textFormat() == Qt.AutoText:
            widget.setTextFormat(Qt.PlainText)
