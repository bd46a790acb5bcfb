"""How the window reads on other palettes, screens, fonts and writing directions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette


def _lightest(widget) -> int:
    """The lightness (0-255) of the lightest pixel of ``widget`` as drawn."""
    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    return max(image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height()))


def _darkest(widget) -> int:
    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB32)
    return min(image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height()))


def test_transport_and_discover_icons_follow_a_dark_palette(qapp, qtbot):
    from player.ui.discover_panel import BucketRow
    from player.ui.theme import apply_theme
    from player.ui.transport import TransportBar

    apply_theme(qapp)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    try:
        bar = TransportBar()
        qtbot.addWidget(bar)
        bar.set_ready(True)
        bar.set_track("Song", "Artist")
        row = BucketRow("rock", [(1, "Song", "Artist", "")])
        qtbot.addWidget(row)
        for widget in (bar.prev_btn, bar.play_btn, bar.next_btn, bar.radio_btn, bar.volume_icon, row.play_btn):
            # The icon (and Radio's text) is drawn light on the dark window, not near-black.
            assert _lightest(widget) > 150, widget
        bar.set_playing(True)
        assert _lightest(bar.play_btn) > 150
        # Back to light: the icons are drawn again, dark on the light window.
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert _darkest(bar.play_btn) < 80 and _lightest(bar.play_btn) > 200
        assert _darkest(row.play_btn) < 80
    finally:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)


def test_a_disabled_transport_icon_is_greyed(qapp, qtbot):
    from player.ui.theme import apply_theme
    from player.ui.transport import TransportBar

    apply_theme(qapp)
    qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    try:
        bar = TransportBar()
        qtbot.addWidget(bar)
        disabled = _lightest(bar.next_btn)
        bar.set_ready(True)
        enabled = _lightest(bar.next_btn)
        window = qapp.palette().color(QPalette.Window).lightness()
        assert window < disabled < enabled
    finally:
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
