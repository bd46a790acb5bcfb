"""The "Discover" panel: one row of tracks per genre bucket, each with a play button."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from player.ui.two_line import SUBTITLE_ROLE, TwoLineDelegate
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu,
    QPushButton, QScrollArea, QStyle, QToolButton, QVBoxLayout, QWidget,
)

TILE = QSize(170, 52)
#: How long one turn of the event loop may spend on rows: a library with a thousand genre
#: tags has a thousand rows, and making them all at once held the window for seconds.
FILL_SLICE_S = 0.01


class BucketRow(QFrame):
    """A bucket: its name, a play button, and its tracks side by side."""

    play = Signal(str, list, int)       # bucket, track ids, start index
    radio_requested = Signal(int)

    def __init__(self, bucket: str, entries: list[tuple[int, str, str, str]], parent=None):
        super().__init__(parent)
        self.ids = [e[0] for e in entries]
        self.title = title = QLabel()
        title.setTextFormat(Qt.PlainText)           # a genre tag is text, never HTML
        title.setObjectName("bucketTitle")
        self.play_btn = QToolButton()
        self.play_btn.setIcon(self.style().standardIcon(QStyle.SP_MediaPlay))
        self.set_bucket(bucket)
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

    def set_bucket(self, bucket: str) -> None:
        """Show the genre ``bucket`` (a row shown before is filled anew with another one)."""
        self.bucket = bucket
        self.title.setText(bucket)
        self.play_btn.setText(f"Play {bucket}")

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
        self._pending: deque[tuple[str, list]] = deque()   # what the next rows show, in order
        self._stale: deque[BucketRow] = deque()            # rows shown before, below these, to fill anew
        self._filler = QTimer(self, singleShot=True, interval=0)
        self._filler.timeout.connect(self._fill)
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
        # The room the rows not made yet will take: the panel keeps its height while they
        # are made, so the rows in view are not painted again on every slice.
        self._room = QWidget()
        self._room.hide()
        self._layout.addWidget(self._room)
        self._layout.addStretch(1)
        self.setWidget(self._body)

    def set_rows(self, rows: dict[str, list[tuple[int, str, str, str]]]) -> None:
        """``bucket -> [(track_id, title, artist, reason), ...]``.

        The rows shown already are filled anew in place, top down: making every row's
        widgets again held the window a quarter of a second on each Refresh, and sent the
        panel back to its top. The work is done a slice of time at a time (``FILL_SLICE_S``)
        while the panel is shown, so that the window keeps answering while a library with a
        thousand genre tags fills a thousand rows."""
        self._stale = deque(self.rows + list(self._stale))
        self.rows = []
        self._pending = deque((bucket, entries) for bucket, entries in rows.items() if entries)
        while len(self._stale) > len(self._pending):        # fewer genres than before
            row = self._stale.pop()
            page = row.parentWidget()
            row.setParent(None)
            row.deleteLater()
            if page is not None and not page.layout().count():
                page.setParent(None)
                page.deleteLater()
        self.placeholder.setVisible(not self._pending)
        self._fill()

    def _fill(self) -> None:
        """Fill or make the next rows until this turn's slice of time is spent; the rest on
        the next turn. Paused while the panel is hidden: rows made then would all be styled
        and laid out at once when it shows."""
        if not self.isVisible():
            return                                  # showEvent goes on
        end = time.monotonic() + FILL_SLICE_S
        page = None
        while self._pending:
            bucket, entries = self._pending.popleft()
            if self._stale:
                row = self._stale.popleft()
                row.set_bucket(bucket)
                row.set_entries(entries)
            else:
                if page is None:
                    # The new rows of one slice go on a page of their own, shown once it holds
                    # them all: a row shown on its own lays out every row above it again.
                    page = QWidget()
                    page.hide()
                    box = QVBoxLayout(page)
                    box.setContentsMargins(0, 0, 0, 0)
                    box.setSpacing(self._layout.spacing())
                    self._layout.insertWidget(self._layout.count() - 2, page)
                row = BucketRow(bucket, entries)
                row.play.connect(self.play)
                row.radio_requested.connect(self.radio_requested)
                page.layout().addWidget(row)
            self.rows.append(row)
            if time.monotonic() > end:
                break
        if page is not None:
            page.show()
        pitch = self.rows[-1].sizeHint().height() + self._layout.spacing() if self.rows else 0
        room = max(0, len(self._pending) - len(self._stale)) * pitch
        self._room.setFixedHeight(room)
        self._room.setVisible(room > 0)         # (else it would add a spacing below the rows)
        self.placeholder.setVisible(not self.rows and not self._pending)
        if self._pending:
            self._filler.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._pending:
            self._filler.start()
