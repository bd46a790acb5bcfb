"""Tab names drawn whole, in the app's theme: the tabs not chosen as the chosen one."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QLabel, QTabWidget

NAMES = ["Library", "Listening", "Segue's report card", "Sound map", "Playlists"]
INK = 110       # darker than this (of 255) is the names' text; the tabs' frames are lighter


def _gray(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    return rows.reshape(image.height(), image.bytesPerLine())[:, :image.width()].copy()   # (the image goes)


def _ink_rows(pixels: np.ndarray) -> int:
    """How many rows, from the first with ink to the last: the text's height as drawn."""
    rows = np.where((pixels < INK).any(axis=1))[0]
    return int(rows.max() - rows.min() + 1) if len(rows) else 0


@pytest.mark.parametrize("points", [9.0, 14.0])
def test_tab_names_not_chosen_keep_their_tails(qtbot, qapp, points):
    from player.ui.theme import apply_theme

    before = QFont(qapp.font())
    font = QFont(before)
    font.setPointSizeF(points)
    qapp.setFont(font)
    try:
        apply_theme(qapp)
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)   # dark text on light tabs
        tabs = QTabWidget()
        tabs.setDocumentMode(True)              # as the window's tabs and the Listening tab's pages
        for name in NAMES:
            tabs.addTab(QLabel(name), name)
        qtbot.addWidget(tabs)
        tabs.resize(900, 120)
        tabs.show()
        qtbot.waitExposed(tabs)
        bar = tabs.tabBar()

        def name_height(i: int) -> int:
            image = bar.grab().toImage()
            scale = image.devicePixelRatio()
            r = bar.tabRect(i)
            return _ink_rows(_gray(image)[:, round((r.left() + 4) * scale):round((r.right() - 4) * scale)])

        for i, name in enumerate(NAMES):
            tabs.setCurrentIndex(i)
            chosen = name_height(i)         # drawn whole: the chosen tab is as tall as the bar
            assert chosen > 0, name
            tabs.setCurrentIndex((i + 1) % len(NAMES))
            # Not chosen, it is drawn lower: "Seque's report card", the tails of its g and p
            # cut off and the name a row short.
            assert name_height(i) == chosen, name
    finally:
        qapp.setFont(before)            # (the theme is put back after each test; the font is this test's)
