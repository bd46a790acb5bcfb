"""Where the keyboard is can be seen: every Tab stop of the window looks different while it
has the focus, in the light and the dark palettes alike."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def _look(qtbot, widget):
    qtbot.wait(30)
    return widget.grab().toImage()


@pytest.mark.parametrize("scheme", [Qt.ColorScheme.Light, Qt.ColorScheme.Dark])
def test_every_tab_stop_shows_that_it_has_the_focus(qtbot, qapp, scanned, make_window, scheme):
    from player.ui.theme import apply_theme

    apply_theme(qapp)
    qapp.styleHints().colorSchemeChanged.emit(scheme)     # as the desktop switching says it
    window = make_window(scanned)
    window.activateWindow()
    qtbot.waitUntil(window.transport.play_btn.isEnabled, timeout=10000)
    window.enqueue([window.model.track_id(0)])
    qtbot.waitUntil(lambda: window.up_next.clear_btn.isEnabled(), timeout=5000)
    unseen = []
    for page in (window.library, window.discover):
        window.tabs.setCurrentWidget(page)
        if page is window.discover:
            qtbot.waitUntil(lambda: len(window.discover.rows) == 3, timeout=5000)
        stops = window.tab_stops()
        # Moved with the Tab key, as a keyboard user moves: Qt draws some focus marks only then.
        stops[-1].setFocus(Qt.OtherFocusReason)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is stops[-1], timeout=2000)
        for stop in stops[:-1]:
            QTest.keyClick(window.windowHandle(), Qt.Key_Tab)
            assert QApplication.focusWidget() is stop
            with_focus = _look(qtbot, stop)
            QTest.keyClick(window.windowHandle(), Qt.Key_Tab)
            without = _look(qtbot, stop)
            QTest.keyClick(window.windowHandle(), Qt.Key_Backtab, Qt.ShiftModifier)
            if with_focus == without:
                unseen.append(stop.accessibleName() or getattr(stop, "text", lambda: "")() or type(stop).__name__)
    assert unseen == [], " | ".join(unseen)


def test_a_checked_button_shows_the_focus_too(qtbot, qapp):
    # Shuffle or Repeat on is filled with the highlight colour: a ring of that colour vanished.
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget

    from player.ui.theme import apply_theme, contrast

    apply_theme(qapp)
    box = QWidget()
    layout = QHBoxLayout(box)
    button, other = QToolButton(), QLineEdit()
    button.setText("Shuffle")
    button.setProperty("role", "button")
    button.setCheckable(True)
    button.setChecked(True)
    layout.addWidget(button)
    layout.addWidget(other)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    button.setFocus(Qt.TabFocusReason)
    qtbot.waitUntil(button.hasFocus, timeout=2000)
    image = _look(qtbot, button)
    edge = image.pixelColor(1, image.height() // 2)
    assert contrast(edge, qapp.palette().color(QPalette.Highlight)) >= 3.0, edge.name()
