"""Icons in the palette's text colour.

Fusion's media icons (play, pause, skip, volume) are fixed dark bitmaps: on a dark palette they
were near-black on near-black. Only their shape is kept here, filled with the colour the
palette gives a button's text (greyed as the palette greys it when the button is disabled), so
they read on any palette; build them again when the palette changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

#: Sizes made ahead, at the screen ratios people use; QIcon scales the nearest for others.
_SIZES = (16, 18, 22, 24, 28, 32, 34, 48)
_RATIOS = (1.0, 1.5, 2.0, 3.0)
#: Icons made, by what they are made from: each is 128 pixmaps to tint (2 ms), and every
#: Discover row and every play/pause of the transport asked for the same few again.
_MADE: dict[tuple, QIcon] = {}


def tinted(pixmap: QPixmap, color: QColor) -> QPixmap:
    """``pixmap``'s shape (its alpha) filled with ``color``."""
    out = QPixmap(pixmap)
    painter = QPainter(out)
    painter.setCompositionMode(QPainter.CompositionMode_SourceIn)
    painter.fillRect(out.rect(), color)
    painter.end()
    return out


def palette_icon(standard: QStyle.StandardPixmap, palette: QPalette | None = None,
                 role: QPalette.ColorRole = QPalette.ButtonText, style: QStyle | None = None) -> QIcon:
    """The style's ``standard`` icon drawn in ``palette``'s ``role`` colour (the application's
    palette if none), its Disabled mode in that role's disabled colour."""
    palette = palette or QApplication.palette()
    style = style or QApplication.style()
    colours = (
        (QIcon.Normal, palette.color(QPalette.Active, role)),
        (QIcon.Active, palette.color(QPalette.Active, role)),
        (QIcon.Selected, palette.color(QPalette.Active, QPalette.HighlightedText)),
        (QIcon.Disabled, palette.color(QPalette.Disabled, role)),
    )
    key = (standard, style.metaObject().className(), style.name(), QIcon.themeName(),
           tuple(colour.rgba() for _mode, colour in colours))
    made = _MADE.get(key)
    if made is not None:
        return QIcon(made)
    source = style.standardIcon(standard)
    icon = QIcon()
    for size in _SIZES:
        for ratio in _RATIOS:
            shape = source.pixmap(QSize(size, size), ratio)
            if shape.isNull():
                continue
            for mode, colour in colours:
                icon.addPixmap(tinted(shape, colour), mode, QIcon.Off)
    if len(_MADE) >= 64:                # (palettes come and go: a theme switched back and forth)
        _MADE.clear()
    _MADE[key] = icon
    return QIcon(icon)


def palette_pixmap(standard: QStyle.StandardPixmap, size: int, ratio: float, palette: QPalette | None = None,
                   role: QPalette.ColorRole = QPalette.WindowText) -> QPixmap:
    """One pixmap of ``palette_icon`` for a label: ``size`` logical pixels at screen ratio ``ratio``."""
    return palette_icon(standard, palette, role).pixmap(QSize(size, size), ratio)


def is_palette_change(event) -> bool:
    """Whether ``event`` (to a widget's changeEvent) may have changed the colours it is drawn in."""
    return event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange, QEvent.StyleChange)
