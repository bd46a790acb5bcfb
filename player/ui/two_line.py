"""A list item look for tracks: the title in bold, artist below in a softer colour, and
optionally a third line in italics saying why the track is there."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

SUBTITLE_ROLE = Qt.UserRole + 2
REASON_ROLE = Qt.UserRole + 4


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
        painter.drawText(top, Qt.AlignLeft | Qt.AlignVCenter,
                         painter.fontMetrics().elidedText(title or "", Qt.ElideRight, rect.width()))
        painter.setFont(opt.font)
        if not selected:
            painter.setPen(opt.palette.color(QPalette.PlaceholderText))
        sub = index.data(SUBTITLE_ROLE) or ""
        bottom = QRect(rect.left(), rect.top() + h + 2, rect.width(), h)
        painter.drawText(bottom, Qt.AlignLeft | Qt.AlignVCenter,
                         opt.fontMetrics.elidedText(sub, Qt.ElideRight, rect.width()))
        reason = index.data(REASON_ROLE) if self._lines == 3 else None
        if reason:
            italic = QFont(opt.font)
            italic.setItalic(True)
            painter.setFont(italic)
            line = QRect(rect.left(), rect.top() + 2 * (h + 2), rect.width(), h)
            painter.drawText(line, Qt.AlignLeft | Qt.AlignVCenter,
                             painter.fontMetrics().elidedText(reason, Qt.ElideRight, rect.width()))
        painter.restore()
