"""Light and dark follow the system (Qt's colour scheme hint); Fusion everywhere.

A high-contrast system theme is kept as it is: the system's palette is left in place of
Segue's own, and the style sheet takes every colour from the palette (the amber slider handle
included), so someone who needs that contrast gets it in Segue too.

Colours and the shared style sheet come from ``resources/style`` (``palette.json``,
``segue.qss``; the icon's colours), so the bundle and the source tree look alike;
the built-in dark palette below is the fallback when those files are missing.
"""

from __future__ import annotations

import json
import logging
import sys

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from player import paths

log = logging.getLogger(__name__)

_STYLE = """
#nowTitle { font-size: %(title).1fpt; font-weight: 600; }
#nowSubtitle { color: palette(placeholder-text); }
#panelTitle, #bucketTitle { font-size: %(panel).1fpt; font-weight: 600; }
#hint { color: palette(placeholder-text); }
#welcomeTitle { font-size: %(welcome).1fpt; font-weight: 600; }
QLabel[role="heading"] { font-size: %(heading).1fpt; }
#transport { border-bottom: 1px solid palette(mid); }
#cover { border: 1px solid palette(mid); border-radius: 3px; }
QTableView { gridline-color: transparent; }
QTabBar::tab:top, QTabBar::tab:bottom { min-height: %(tab)dpx; }
"""
#: Title sizes as multiples of the application's font. Fixed pixel sizes were the smallest
#: text in the window once someone chose a large font; at the usual 9 pt these are the sizes
#: they were (15, 14 and 24 px, and the headings' 14 pt).
_SCALES = {"title": 1.25, "panel": 1.17, "welcome": 2.0, "heading": 1.55}
#: Room a tab's name needs above and below a line of its font. Fusion draws the tabs not
#: chosen a little lower than the chosen one, inside a tab only as tall as the chosen one
#: needs: their last row of pixels was cut off, and the tails of g, p and y with it (the
#: tab "Segue's report card" read "Seque's report card").
_TAB_ROOM = 14


def _points(font: QFont) -> float:
    """``font``'s size in points (a font set in pixels counted at 96 per inch)."""
    return font.pointSizeF() if font.pointSizeF() > 0 else max(1, font.pixelSize()) * 72 / 96


def app_style(font: QFont) -> str:
    """Segue's own rules over the shipped sheet, their title sizes relative to ``font``."""
    base = _points(font)
    return _STYLE % {**{name: base * scale for name, scale in _SCALES.items()},
                     "tab": QFontMetrics(font).height() + _TAB_ROOM}


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    accent = QColor(74, 136, 219)
    for role, color in [
        (QPalette.Window, window), (QPalette.WindowText, text), (QPalette.Base, base),
        (QPalette.AlternateBase, QColor(37, 38, 41)), (QPalette.ToolTipBase, window),
        (QPalette.ToolTipText, text), (QPalette.Text, text), (QPalette.Button, window),
        (QPalette.ButtonText, text), (QPalette.Highlight, accent),
        (QPalette.HighlightedText, QColor(255, 255, 255)), (QPalette.Link, accent.lighter(130)),
        (QPalette.PlaceholderText, QColor(140, 143, 150)), (QPalette.Mid, QColor(60, 62, 66)),
    ]:
        p.setColor(role, color)
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        p.setColor(QPalette.Disabled, role, QColor(110, 112, 118))
    return p


def _between(a: QColor, b: QColor) -> QColor:
    return QColor((a.red() + b.red()) // 2, (a.green() + b.green()) // 2, (a.blue() + b.blue()) // 2)


def _shipped_palettes() -> dict[str, QPalette]:
    """``{"light": QPalette, "dark": QPalette}`` from resources/style/palette.json, or {}."""
    try:
        spec = json.loads((paths.resources_dir() / "style" / "palette.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.info("no shipped palette (%s); using the built-in one", exc)
        return {}
    out = {}
    for scheme in ("light", "dark"):
        pal = QPalette()
        for role, value in spec.get(scheme, {}).items():
            if hasattr(QPalette.ColorRole, role):
                pal.setColor(getattr(QPalette.ColorRole, role), QColor(value))
        # setColor gives every state the same colour, so a disabled button or list looked
        # exactly like one that works: greyed, its text is half-way to the background.
        for role, ground in ((QPalette.Text, QPalette.Base), (QPalette.ButtonText, QPalette.Button),
                             (QPalette.WindowText, QPalette.Window)):
            pal.setColor(QPalette.Disabled, role, _between(pal.color(role), pal.color(ground)))
        out[scheme] = pal
    return out


def _shipped_style() -> str:
    try:
        return (paths.resources_dir() / "style" / "segue.qss").read_text(encoding="utf-8")
    except OSError:
        return ""


#: The one colour of Segue's own in the shipped style sheet (the slider handle's amber): where
#: the system's high-contrast palette is kept, the palette's highlight takes its place.
AMBER = "#ffc857"


def is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    def lum(c: QColor) -> float:
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def is_high_contrast(palette: QPalette) -> bool:
    """Whether ``palette`` looks like a high-contrast theme: black or white window and base with
    white or black text on them (an ordinary light theme's window is grey, its text not pure).
    Not asked on Windows, whose ordinary themes look like that to Qt (a #f0f0f0 window with
    black text; the dark one black with white text): there only the system's word counts."""
    def extreme(c: QColor) -> bool:
        return c.lightness() <= 16 or c.lightness() >= 240
    pairs = ((QPalette.Window, QPalette.WindowText), (QPalette.Base, QPalette.Text))
    return all(extreme(palette.color(g)) and extreme(palette.color(t))
               and contrast(palette.color(g), palette.color(t)) >= 15 for g, t in pairs)


def _system_asks_high_contrast(app: QApplication) -> bool:
    """What the platform says where Qt can ask it (Qt 6.10+: accessibility contrast preference)."""
    hints = app.styleHints()
    try:
        return hints.accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast
    except AttributeError:
        return False


# The palette the application had before Segue set its own (the system's), and the one Segue set.
_state: dict = {"system": None, "ours": None, "sheet": None, "watch": None}


def high_contrast(app: QApplication) -> bool:
    """Whether the system's palette, kept by apply_theme, is a high-contrast one."""
    system = _state["system"]
    if system is None:
        return False
    return _system_asks_high_contrast(app) or (sys.platform != "win32" and is_high_contrast(system))


def _update(app: QApplication, scheme=None) -> None:
    if high_contrast(app):
        palette = _state["system"]      # the system's: Segue's would take the contrast away
    else:
        # The signal carries the new scheme; at start-up ask the platform.
        scheme = app.styleHints().colorScheme() if scheme is None else scheme
        shipped = _shipped_palettes()
        if scheme == Qt.ColorScheme.Dark:
            palette = shipped.get("dark") or dark_palette()
        else:
            palette = shipped.get("light") or app.style().standardPalette()
    _state["ours"] = QPalette(palette)
    app.setPalette(palette)
    if _state["sheet"] is not None and app.styleSheet() == _state["sheet"]:
        # The sheet's palette(...) colours are taken when a widget is styled: set again, so
        # that a switch to dark (or back) while the window is open recolours every widget.
        _apply_sheet(app)


def apply_theme(app: QApplication) -> None:
    """Fusion with the system's light or dark scheme; re-applied when the system switches.
    A high-contrast system palette is kept instead."""
    if _state["ours"] is None or app.palette() != _state["ours"]:
        _state["system"] = QPalette(app.palette())      # not one Segue set: the system's
    app.setStyle("Fusion")
    # Every size drawn for itself: from the 256-pixel one alone, the title bar's and the task
    # switcher's small icons (16 to 48 pixels, twice that at 200 %) were shrunk, and blurred.
    icon = QIcon()
    for png in sorted((paths.resources_dir() / "icons" / "png").glob("segue-*.png")):
        icon.addFile(str(png))
    if not icon.isNull():
        app.setWindowIcon(icon)
    _update(app)
    _apply_sheet(app)
    if not app.property("segueThemeConnected"):       # once per application
        app.setProperty("segueThemeConnected", True)
        app.styleHints().colorSchemeChanged.connect(lambda scheme: _update(app, scheme))
        _state["watch"] = _FontWatch(app)
        app.installEventFilter(_state["watch"])


def _apply_sheet(app: QApplication) -> None:
    sheet = _shipped_style() + app_style(app.font())
    if high_contrast(app):
        sheet = sheet.replace(AMBER, "palette(highlight)")
    _state["sheet"] = sheet
    app.setStyleSheet(sheet)


class _FontWatch(QObject):
    """Sizes the titles again when the application's font changes (while Segue's sheet is on)."""

    def eventFilter(self, watched, event) -> bool:
        if (event.type() == QEvent.ApplicationFontChange and watched is QApplication.instance()
                and watched.styleSheet() == _state["sheet"]):
            _apply_sheet(watched)
        return False
