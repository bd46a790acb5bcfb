"""A one-line label for names of any length: cut short with "…" where it has no room."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QLabel, QSizePolicy


class ElidedLabel(QLabel):
    """Shows as much of its text as fits, ending in "…" when cut; the whole text is then its
    tooltip. :meth:`text` is always the whole text. A plain label clipped a long title at
    the window's smallest size mid-letter, with no way to read the rest; it also takes no
    width of its own, so a long name never holds the window wider.

    ``least_chars`` keeps room for that many characters of its font however narrow the
    window: with no room of its own, a title the other controls beside it squeezed read
    "No…" at the window's smallest size. With ``fit_short``, a text shorter than that keeps
    only its own width (a heading with words after it on its line: the room kept beside
    "Jazz" stood between the two); not where the room held must not change with the text,
    as a window's smallest size would grow with a longer one."""

    def __init__(self, text: str = "", parent=None, *, least_chars: int = 0, fit_short: bool = False):
        super().__init__(parent)
        self._whole = ""
        self._note = ""
        self._least_chars = least_chars
        self._fit_short = fit_short
        self.setTextFormat(Qt.PlainText)            # a name is text, never HTML
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setText(text)
        self._keep_room()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._whole = text or ""
        if self._fit_short:
            self._keep_room()
        self._fit()
        self.updateGeometry()

    def set_note(self, note: str) -> None:
        """A line its tooltip always holds, below the whole text where that is cut short."""
        self._note = note or ""
        self._fit()

    def text(self) -> str:
        return self._whole

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """As wide as the whole text. The default size policy ignores it; a label given one
        that follows it is as wide as its text where there is room, cut short where not.
        (Rounded up: as wide as its text rounded to the nearest pixel, a Discover row's
        heading, given that width when its widget was taken for another row, read
        "Flamenco …" with room to spare.)"""
        hint = super().sizeHint()
        margins = self.contentsMargins()
        width = math.ceil(QFontMetricsF(self.font()).horizontalAdvance(self._whole)) + 1
        return QSize(width + margins.left() + margins.right() + 2 * self.margin(), hint.height())

    def is_elided(self) -> bool:
        return super().text() != self._whole

    def _keep_room(self) -> None:
        if self._least_chars:
            margins = self.contentsMargins()
            room = self.fontMetrics().averageCharWidth() * self._least_chars
            if self._fit_short:   # (its width rounded up: rounded to the nearest pixel, it was cut)
                room = min(room, math.ceil(QFontMetricsF(self.font()).horizontalAdvance(self._whole)) + 1)
            self.setMinimumWidth(room + margins.left() + margins.right() + 2 * self.margin())

    def _fit(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._whole, Qt.ElideRight, width) if width > 0 else self._whole
        super().setText(shown)
        self.setToolTip("\n".join(t for t in (self._whole if shown != self._whole else "", self._note) if t))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._keep_room()
            self._fit()          # a style sheet's font comes after the text was first fitted
