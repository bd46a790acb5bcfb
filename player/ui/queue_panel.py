"""The "Up next" panel: the queue as it will play, reorderable, with "keep it going"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from player.ui.two_line import SUBTITLE_ROLE, TwoLineDelegate
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu,
    QPushButton, QVBoxLayout, QWidget,
)

QUEUE_MIME = "application/x-segue-queue-rows"
SOURCE_LABELS = {"radio": "radio", "up_next": "suggested", "discover": "discover", "queue": "queued",
                 "library": "", "search": "", "cli": ""}


class QueueList(QListWidget):
    """A list whose drops ask the player to move an entry; the player's queue is the truth."""

    move_requested = Signal(int, int)   # from index, to index

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.InternalMove)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setUniformItemSizes(True)
        self.setItemDelegate(TwoLineDelegate(self))

    def mimeData(self, items):
        """The dragged rows, tagged with this list's identity (drops from elsewhere are refused)."""
        mime = super().mimeData(items)
        rows = ",".join(str(self.row(i)) for i in items)
        mime.setData(QUEUE_MIME, f"{id(self)}:{rows}".encode())
        return mime

    def drop_insert_position(self, pos) -> int:
        """Where, in the list as it is, an item dropped at ``pos`` goes (0..count)."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.count()
        rect = self.visualRect(index)
        return index.row() + 1 if pos.y() > rect.center().y() else index.row()

    def dropEvent(self, event) -> None:
        owner, _, rows = bytes(event.mimeData().data(QUEUE_MIME)).decode().partition(":")
        if owner != str(id(self)) or not rows:
            event.ignore()
            return
        src = int(rows.split(",")[0])
        insert_at = self.drop_insert_position(event.position().toPoint())
        dst = min(insert_at - 1 if insert_at > src else insert_at, self.count() - 1)
        event.setDropAction(Qt.IgnoreAction)    # the list is rebuilt from the player's queue
        event.accept()
        if dst != src:
            self.move_requested.emit(src, dst)


class UpNextPanel(QWidget):
    play_index = Signal(int)
    remove_indexes = Signal(list)
    clear = Signal()
    move = Signal(int, int)
    keep_going_changed = Signal(bool)
    radio_requested = Signal(int)      # track id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel("Up next")
        self.header.setObjectName("panelTitle")
        self.keep_going = QCheckBox("Keep it going")
        self.keep_going.setToolTip("When the queue runs low, add tracks picked for this session")
        self.clear_btn = QPushButton("Clear")
        self.clear_btn.setToolTip("Remove everything from Up next")
        self.list = QueueList()
        self.empty_hint = QLabel("Nothing queued.\nRight-click tracks to add them,\nor turn on Keep it going.")
        self.empty_hint.setAlignment(Qt.AlignCenter)
        self.empty_hint.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addStretch(1)
        top.addWidget(self.clear_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.keep_going)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_hint)
        self._ids: list[int] = []

        self.clear_btn.clicked.connect(self.clear)
        self.keep_going.toggled.connect(self.keep_going_changed)
        self.list.move_requested.connect(self.move)
        self.list.itemActivated.connect(lambda item: self.play_index.emit(self.list.row(item)))
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.set_entries([])

    def _selected_rows(self) -> list[int]:
        return sorted({self.list.row(i) for i in self.list.selectedItems()})

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.Delete) or event.key() == Qt.Key_Backspace:
            rows = self._selected_rows()
            if rows:
                self.remove_indexes.emit(rows)
                return
        super().keyPressEvent(event)

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        row = self.list.row(item)
        menu = QMenu(self)
        menu.addAction("Play now", lambda: self.play_index.emit(row))
        menu.addAction("Start radio from this song", lambda: self.radio_requested.emit(self._ids[row]))
        menu.addSeparator()
        menu.addAction("Remove", lambda: self.remove_indexes.emit(self._selected_rows() or [row]))
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def set_entries(self, entries: list[tuple[int, str, str, str, str]]) -> None:
        """``(track_id, title, artist, source, reason)`` in play order."""
        self.list.clear()
        self._ids = [e[0] for e in entries]
        for track_id, title, artist, source, reason in entries:
            label = SOURCE_LABELS.get(source, source)
            item = QListWidgetItem(title)
            item.setData(SUBTITLE_ROLE, artist + (f"  ·  {label}" if label else ""))
            item.setData(Qt.UserRole, track_id)
            if reason:
                item.setToolTip(reason)
            self.list.addItem(item)
        self.empty_hint.setVisible(not entries)
        self.clear_btn.setEnabled(bool(entries))
        self.header.setText(f"Up next ({len(entries)})" if entries else "Up next")

    def track_ids(self) -> list[int]:
        return list(self._ids)
