"""Light and dark follow the system (Qt's colour scheme hint); Fusion everywhere.

Colours and the shared style sheet come from ``resources/style`` (``palette.json``,
``segue.qss``; the icon's colours), so the bundle and the source tree look alike;
the built-in dark palette below is the fallback when those files are missing.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from player import paths

log = logging.getLogger(__name__)

_STYLE = """
#nowTitle { font-size: 15px; font-weight: 600; }
#nowSubtitle { color: palette(placeholder-text); }
#panelTitle, #bucketTitle { font-size: 14px; font-weight: 600; }
#hint { color: palette(placeholder-text); }
#welcomeTitle { font-size: 24px; font-weight: 600; }
#transport { border-bottom: 1px solid palette(mid); }
#cover { border: 1px solid palette(mid); border-radius: 3px; }
QTableView { gridline-color: transparent; }
"""


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


def is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication) -> None:
    """Fusion with the system's light or dark scheme; re-applied when the system switches."""
    app.setStyle("Fusion")
    shipped = _shipped_palettes()
    icon = paths.resources_dir() / "icons" / "png" / "segue-256.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))

    def update(scheme=None):
        # The signal carries the new scheme; at start-up ask the platform.
        scheme = app.styleHints().colorScheme() if scheme is None else scheme
        if scheme == Qt.ColorScheme.Dark:
            app.setPalette(shipped.get("dark") or dark_palette())
        else:
            app.setPalette(shipped.get("light") or app.style().standardPalette())

    update()
    app.setStyleSheet(_shipped_style() + _STYLE)
    if not app.property("segueThemeConnected"):       # once per application
        app.setProperty("segueThemeConnected", True)
        app.styleHints().colorSchemeChanged.connect(update)
