"""A one-line label for names of any length: cut short with "…" where it has no room."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    """Shows as much of its text as fits, ending in "…" when cut; the whole text is then its
    tooltip. :meth:`text` is always the whole text. A plain label clipped a long title at
    the window's smallest size mid-letter, with no way to read the rest; it also takes no
    width of its own, so a long name never holds the window wider."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self._whole = ""
        self.setTextFormat(Qt.PlainText)            # a name is text, never HTML
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._whole = text or ""
        self._fit()

    def text(self) -> str:
        return self._whole

    def is_elided(self) -> bool:
        return super().text() != self._whole

    def _fit(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._whole, Qt.ElideRight, width) if width > 0 else self._whole
        super().setText(shown)
        self.setToolTip(self._whole if shown != self._whole else "")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._fit()          # a style sheet's font comes after the text was first fitted
