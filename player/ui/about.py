"""Help → About Segue and Help → Keyboard shortcuts."""

from __future__ import annotations

import html
import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from player import __version__, paths

SHORTCUTS = [
    ("Space", "play / pause (on a fresh start: resume the last track)"),
    ("Ctrl+Right / Ctrl+Left", "next / previous track"),
    ("Ctrl+.", "stop after this song (on / off)"),
    ("Shift+Right / Shift+Left", "forward / back 5 seconds"),
    ("Ctrl+Shift+Right / Ctrl+Shift+Left", "next / previous chapter of an audiobook or a mix"),
    ("Ctrl+Up / Ctrl+Down", "volume up / down"),
    ("Ctrl+M", "mute / unmute"),
    ("Ctrl+U", "shuffle Up next on / off"),
    ("Ctrl+R", "repeat: off → all → one"),
    ("Ctrl+F", "search the library (Enter plays the first hit, Esc clears)"),
    ("Enter", "play the selected track and the ones after it"),
    ("Ctrl+1 / Ctrl+2 / Ctrl+3 / Ctrl+4 / Ctrl+5", "in the library, Up next or a playlist: rate the selected "
                                                  "songs one to five stars (kept in Segue's library, the files "
                                                  "are not changed)"),
    ("Ctrl+0", "in the library, Up next or a playlist: take the selected songs' stars away"),
    ("Delete", "remove the selected Up next entries, or the one the keyboard is on (or a playlist's songs)"),
    ("Alt+Up / Alt+Down", "move the selected Up next entries (or a playlist's songs) up / down"),
    ("Alt+Home / Alt+End", "in Up next: play the selected entries next / move them to the end"),
    ("Ctrl+Z", "in Up next: take back the last move, or put back what Delete, Remove or Clear took out, "
               "the latest first; "
               "in the Playlists tab: the songs last removed from a playlist, or the playlist last deleted"),
    ("Ctrl+Shift+S", "save Up next as a playlist"),
    ("F9", "show / hide Up next"),
    ("Delete / F2", "on the list of playlists: delete the playlist (asked first) / rename it"),
    ("Menu / Shift+F10", "the right-click menu of the row with the keyboard (the library, Up next, the playlists)"),
    ("Click on the seek bar", "jump there"),
]


def about_text() -> str:
    return (
        f"<h3>Segue {__version__}</h3>"
        "<p>A music player for the music on this computer, with Up next, Radio and Discover "
        "that learn only from what you play here.</p>"
        "<p><b>Segue works offline.</b> It never opens a network connection: no accounts, no "
        "telemetry, no downloads. Your listening history and what Segue learns from it stay in "
        f"one folder on this computer:<br><code>{html.escape(str(paths.data_dir()))}</code><br>"
        "Settings → Forget my listening history deletes both.</p>"
        f"<p><small>Python {platform.python_version()} · Qt for Python {pyside_version}</small></p>"
    )


def show_about(parent) -> QMessageBox:
    box = QMessageBox(QMessageBox.Information, "About Segue", about_text(), QMessageBox.Close, parent)
    box.setTextFormat(Qt.RichText)
    box.open()
    return box


def _platform_shortcuts() -> list[tuple[str, str]]:
    """Settings and Quit take the system's own keys (Ctrl+Q, Cmd+, ...; none for Settings on some)."""
    rows = []
    for key, what in ((QKeySequence.Preferences, "settings"), (QKeySequence.Quit, "quit")):
        keys = [k.toString() for k in QKeySequence.keyBindings(key) if not k.isEmpty()]
        if keys:
            rows.append((" / ".join(keys), what))
    return rows


def show_shortcuts(parent) -> QMessageBox:
    # The description is a cell with its own left padding, so a wrapped line lines up under the first.
    rows = "".join(f'<tr><td><b>{k}</b></td><td style="padding-left: 12px">{v}</td></tr>'
                   for k, v in SHORTCUTS + _platform_shortcuts())
    box = QMessageBox(QMessageBox.NoIcon, "Keyboard shortcuts", f"<table>{rows}</table>", QMessageBox.Close, parent)
    box.setTextFormat(Qt.RichText)
    box.open()
    return box
