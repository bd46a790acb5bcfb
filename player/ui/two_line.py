"""A list item look for tracks: the title in bold, artist below in a softer colour, and
optionally a third line in italics saying why the track is there."""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QPalette, QTextOption
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

SUBTITLE_ROLE = Qt.UserRole + 2
REASON_ROLE = Qt.UserRole + 4


def is_right_to_left(text: str) -> bool:
    """Whether ``text`` reads right to left: its first letter with a direction is Hebrew,
    Arabic or another right-to-left script (as Unicode's paragraph rule decides, which passes
    over what is set apart in isolates: a reason that begins with an Arabic name so set apart
    reads as the English sentence it is)."""
    depth = 0
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("LRI", "RLI", "FSI"):
            depth += 1
        elif kind == "PDI":
            depth = max(0, depth - 1)
        elif depth:
            continue
        elif kind in ("R", "AL"):
            return True
        elif kind == "L":
            return False
    return False


def draw_line(painter, rect: QRect, text: str, metrics) -> None:
    """``text`` on one line in ``rect``, cut short with "…" to fit, in its own direction: an
    Arabic or Hebrew name starts at the right edge and loses its end (on the left), whichever
    way the window is laid out. Drawn in the list's direction, such a name sat at the left
    with the "…" on the wrong side of it, cut where it begins."""
    rtl = is_right_to_left(text)
    option = QTextOption(Qt.AlignAbsolute | (Qt.AlignRight if rtl else Qt.AlignLeft) | Qt.AlignVCenter)
    option.setTextDirection(Qt.RightToLeft if rtl else Qt.LeftToRight)
    option.setWrapMode(QTextOption.NoWrap)
    painter.drawText(QRectF(rect), metrics.elidedText(text, Qt.ElideRight, rect.width()), option)


class TwoLineDelegate(QStyledItemDelegate):
    """Paints ``DisplayRole`` (title) over ``SUBTITLE_ROLE`` (secondary line), both elided."""

    def __init__(self, parent=None, *, width: int | None = None, reasons: bool = False):
        """``reasons``: rows have a third line, ``REASON_ROLE`` (the same height for every row)."""
        super().__init__(parent)
        self._width = width
        self._lines = 3 if reasons else 2

    def height_for(self, metrics) -> int:
        """The height of a row in a font of ``metrics``."""
        return self._lines * metrics.height() + 4 * self._lines + 4

    def sizeHint(self, option, index) -> QSize:
        return QSize(self._width or option.rect.width() or 200, self.height_for(option.fontMetrics))

    def paint(self, painter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.State_Selected)
        rect = opt.rect.adjusted(8, 5, -8, -5)
        h = opt.fontMetrics.height()
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.setPen(opt.palette.color(QPalette.HighlightedText if selected else QPalette.Text))
        top = QRect(rect.left(), rect.top(), rect.width(), h)
        draw_line(painter, top, title or "", painter.fontMetrics())
        painter.setFont(opt.font)
        if not selected:
            painter.setPen(opt.palette.color(QPalette.PlaceholderText))
        sub = index.data(SUBTITLE_ROLE) or ""
        bottom = QRect(rect.left(), rect.top() + h + 2, rect.width(), h)
        draw_line(painter, bottom, sub, opt.fontMetrics)
        reason = index.data(REASON_ROLE) if self._lines == 3 else None
        if reason:
            italic = QFont(opt.font)
            italic.setItalic(True)
            painter.setFont(italic)
            # No artist (an untagged file): the reason right under the title, not under an
            # empty line that read as a name gone missing.
            line = QRect(rect.left(), rect.top() + (2 if sub else 1) * (h + 2), rect.width(), h)
            draw_line(painter, line, reason, painter.fontMetrics())
        painter.restore()
