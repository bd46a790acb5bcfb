"""First run: ask for music folders (the OS music folder by default), then scan."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget,
)

from player import paths
from player.ui.list_dialog import delete_presses


class FolderList(QWidget):
    """A list of folders with Add… and Remove (used by the welcome page and settings)."""

    changed = Signal()

    def __init__(self, folders: list[str], parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.list.setAccessibleName("Music folders")
        self.add_btn = QPushButton("Add folder…")
        self.remove_btn = QPushButton("Remove")
        # Clicked with nothing chosen it did nothing, and said nothing.
        self.remove_btn.setEnabled(False)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_btn.setEnabled(bool(self.list.selectedItems())))
        # Delete in the list removes, as in a file manager, and Backspace and Ctrl+Backspace
        # as in the window's other lists (a Mac's "delete" key is Backspace).
        delete_presses(self.list, self.remove_btn)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_btn)
        buttons.addWidget(self.remove_btn)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        for f in folders:
            self.add(f)
        self.add_btn.clicked.connect(self._choose)
        self.remove_btn.clicked.connect(self._remove)

    def folders(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add(self, folder: str) -> None:
        """List ``folder``; one listed already is chosen in the list instead, so that adding
        it again shows where it is rather than nothing."""
        folder = os.path.abspath(os.path.expanduser(folder))
        if folder in self.folders():
            item = self.list.item(self.folders().index(folder))
            self.list.setCurrentItem(item)
            self.list.scrollToItem(item)
            return
        self.list.addItem(folder)
        self.changed.emit()

    def mark_away(self, folders) -> None:
        """Grey the folders found not there or empty at the last look (a disk or share not
        connected), with a tooltip that says so."""
        away = set(folders)
        grey = self.list.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.text() in away:
                item.setForeground(grey)
                item.setToolTip("Not there or empty at the last look (a disk or share not connected?): "
                                "its tracks are kept, greyed, and not suggested until it is back")

    def _choose(self) -> None:
        start = self.folders()[-1] if self.folders() else str(paths.default_music_dir())
        folder = QFileDialog.getExistingDirectory(self, "Choose a music folder", start)
        if folder:
            self.add(folder)

    def _remove(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.changed.emit()


class WelcomePage(QWidget):
    start_scan = Signal(list)    # folders

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("Welcome to Segue")
        title.setObjectName("welcomeTitle")
        text = QLabel(
            "Choose the folders that hold your music. Segue reads their tags, plays them, and "
            "learns what you like only from what you play here. Nothing leaves this computer.")
        text.setWordWrap(True)
        music = str(paths.default_music_dir())
        self.folders = FolderList([music] if os.path.isdir(music) else [])
        self.start_btn = QPushButton("Scan and start listening")
        self.start_btn.setDefault(True)
        self.start_btn.setMinimumHeight(34)
        self.problem = QLabel()
        self.problem.setProperty("role", "error")
        self.problem.setTextFormat(Qt.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        box = QVBoxLayout()
        box.addWidget(title)
        box.addSpacing(6)
        box.addWidget(text)
        box.addSpacing(12)
        box.addWidget(QLabel("Music folders:"))
        box.addWidget(self.folders)
        box.addSpacing(12)
        box.addWidget(self.problem)
        box.addWidget(self.start_btn, 0, Qt.AlignRight)
        inner = QWidget()
        inner.setMaximumWidth(640)
        inner.setLayout(box)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(inner)
        column.addStretch(2)
        outer.addLayout(column, 3)
        outer.addStretch(1)
        self.folders.changed.connect(lambda: self.problem.setVisible(False))
        self.start_btn.clicked.connect(self._start)

    def _start(self) -> None:
        """Scan the folders listed; with none (or none that exist) say what to do instead."""
        folders = self.folders.folders()
        if not folders:
            self._say("Add a folder first: click “Add folder…” and choose where your music is.")
            self.folders.add_btn.setFocus()
            return
        gone = [f for f in folders if not os.path.isdir(f)]
        if len(gone) == len(folders):
            self._say(f"{gone[0]} is not there (an unplugged disk?). Add a folder that holds your music.")
            return
        self.problem.setVisible(False)
        self.start_scan.emit([f for f in folders if f not in gone])

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
