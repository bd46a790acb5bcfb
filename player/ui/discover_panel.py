"""The "Discover" panel: one row of tracks per genre bucket, each with a play button."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from player.ui.two_line import SUBTITLE_ROLE, TwoLineDelegate
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu,
    QPushButton, QScrollArea, QStyle, QToolButton, QVBoxLayout, QWidget,
)

TILE = QSize(170, 52)


class BucketRow(QFrame):
    """A bucket: its name, a play button, and its tracks side by side."""

    play = Signal(str, list, int)       # bucket, track ids, start index
    radio_requested = Signal(int)

    def __init__(self, bucket: str, entries: list[tuple[int, str, str, str]], parent=None):
        super().__init__(parent)
        self.bucket = bucket
        self.ids = [e[0] for e in entries]
        title = QLabel()
        title.setTextFormat(Qt.PlainText)           # a genre tag is text, never HTML
        title.setText(bucket)
        title.setObjectName("bucketTitle")
        self.play_btn = QToolButton()
        self.play_btn.setIcon(self.style().standardIcon(QStyle.SP_MediaPlay))
        self.play_btn.setText(f"Play {bucket}")
        self.play_btn.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.play_btn.setAutoRaise(True)
        self.list = QListWidget()
        self.list.setFlow(QListWidget.LeftToRight)
        self.list.setWrapping(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setSpacing(3)
        self.list.setItemDelegate(TwoLineDelegate(self.list, width=TILE.width()))
        self.list.setFixedHeight(TILE.height() + 26)
        self.set_entries(entries)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(self.play_btn)
        head.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addLayout(head)
        layout.addWidget(self.list)
        self.play_btn.clicked.connect(lambda: self.play.emit(self.bucket, self.ids, 0))
        self.list.itemActivated.connect(lambda item: self.play.emit(self.bucket, self.ids, self.list.row(item)))
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)

    def set_entries(self, entries: list[tuple[int, str, str, str]]) -> None:
        """``[(track_id, title, artist, reason), ...]``, in place of the tracks shown."""
        self.ids = [e[0] for e in entries]
        self.list.clear()
        for track_id, track_title, artist, reason in entries:
            item = QListWidgetItem(track_title)
            item.setData(SUBTITLE_ROLE, artist)
            item.setSizeHint(TILE)
            item.setData(Qt.UserRole, track_id)
            item.setToolTip(f"{track_title} — {artist}\n{reason}" if reason else f"{track_title} — {artist}")
            self.list.addItem(item)

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        row = self.list.row(item)
        menu = QMenu(self)
        menu.addAction("Play from here", lambda: self.play.emit(self.bucket, self.ids, row))
        menu.addAction("Start radio from this song", lambda: self.radio_requested.emit(self.ids[row]))
        self.last_menu = menu
        menu.popup(self.list.viewport().mapToGlobal(pos))


class DiscoverPanel(QScrollArea):
    play = Signal(str, list, int)
    radio_requested = Signal(int)
    refresh_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.rows: list[BucketRow] = []
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(12, 8, 12, 8)
        head = QHBoxLayout()
        intro = QLabel("Discover — one row per genre in your library; tracks you haven't played come first.")
        intro.setObjectName("hint")
        intro.setWordWrap(True)
        self.refresh_btn = QPushButton("Refresh")
        self.refresh_btn.clicked.connect(self.refresh_requested)
        head.addWidget(intro, 1)
        head.addWidget(self.refresh_btn)
        self._layout.addLayout(head)
        self.placeholder = QLabel("Discover fills in once your library has tracks.")
        self.placeholder.setObjectName("hint")
        self._layout.addWidget(self.placeholder)
        self._layout.addStretch(1)
        self.setWidget(self._body)

    def set_rows(self, rows: dict[str, list[tuple[int, str, str, str]]]) -> None:
        """``bucket -> [(track_id, title, artist, reason), ...]``.

        The rows of genres shown already are filled anew in place: making every row's
        widgets again held the window a quarter of a second on each Refresh, and sent the
        panel back to its top."""
        shown = {row.bucket: row for row in self.rows}
        self.rows = []
        for bucket, entries in rows.items():
            if not entries:
                continue
            row = shown.pop(bucket, None)
            if row is None:
                row = BucketRow(bucket, entries)
                row.play.connect(self.play)
                row.radio_requested.connect(self.radio_requested)
            else:
                row.set_entries(entries)
            # (after the intro and the rows before it: a moved row is taken out first)
            self._layout.removeWidget(row)
            self._layout.insertWidget(2 + len(self.rows), row)
            self.rows.append(row)
        for row in shown.values():              # genres no longer there
            row.setParent(None)
            row.deleteLater()
        self.placeholder.setVisible(not self.rows)
