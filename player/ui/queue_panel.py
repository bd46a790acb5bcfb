"""The "Up next" panel: the queue as it will play, reorderable, with "keep it going".

Every row carries the queue entry it shows (``ENTRY_ROLE``), and the panel's signals
name entries, never row numbers: the queue moves on under the rows (a track ends, the
filler adds more), so a click, a menu or a drag acts on the entry the person saw, taken
when the gesture began (the player skips entries no longer queued).
"""

from __future__ import annotations

import difflib

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from player.ui.two_line import REASON_ROLE, SUBTITLE_ROLE, TwoLineDelegate
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu,
    QPushButton, QVBoxLayout, QWidget,
)

QUEUE_MIME = "application/x-segue-queue-rows"
ENTRY_ROLE = Qt.UserRole + 1
# Why an entry is in Up next when the recommender gave no reason of its own.
PLAIN_REASONS = {"queue": "You added it", "library": "Next in the list you started",
                 "search": "Next among your search results", "radio": "On the radio station",
                 "up_next": "Picked to keep it going", "discover": "From Discover", "cli": "Queued from the terminal"}
PREFIX = {"radio": "Radio", "up_next": "Suggested", "discover": "Discover"}


def reason_line(source: str, reason: str) -> str:
    """The line under an Up next entry that says why it is there."""
    if not reason:
        return PLAIN_REASONS.get(source, "")
    prefix = PREFIX.get(source)
    return f"{prefix}: {reason}" if prefix else reason


class QueueList(QListWidget):
    """A list whose drops ask the player to move an entry; the player's queue is the truth."""

    move_requested = Signal(list, list)  # dragged entries, the entries shown after the drop point

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.InternalMove)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setUniformItemSizes(True)
        self.setItemDelegate(TwoLineDelegate(self, reasons=True))
        self._drag: tuple[int, list] = (0, [])    # (serial, entries) of the drag under way

    def mimeData(self, items):
        """Remembers the dragged entries; the mime names this list and the drag (drops from
        elsewhere, or from an older drag, are refused)."""
        mime = super().mimeData(items)
        ordered = sorted(items, key=self.row)
        self._drag = (self._drag[0] + 1, [i.data(ENTRY_ROLE) for i in ordered])
        mime.setData(QUEUE_MIME, f"{id(self)}:{self._drag[0]}".encode())
        return mime

    def drop_insert_position(self, pos) -> int:
        """Where, in the list as it is, an item dropped at ``pos`` goes (0..count)."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.count()
        rect = self.visualRect(index)
        return index.row() + 1 if pos.y() > rect.center().y() else index.row()

    def dropEvent(self, event) -> None:
        owner, _, serial = bytes(event.mimeData().data(QUEUE_MIME)).decode().partition(":")
        serial_now, dragged = self._drag
        if owner != str(id(self)) or serial != str(serial_now) or not dragged:
            event.ignore()
            return
        insert_at = self.drop_insert_position(event.position().toPoint())
        after = [self.item(r).data(ENTRY_ROLE) for r in range(insert_at, self.count())]
        event.setDropAction(Qt.IgnoreAction)    # the list is rebuilt from the player's queue
        event.accept()
        self._drag = (serial_now, [])
        self.move_requested.emit(dragged, [e for e in after if not any(e is d for d in dragged)])


class UpNextPanel(QWidget):
    play_entry = Signal(object)        # the entry to play now
    remove_entries = Signal(list)
    clear = Signal()
    move = Signal(list, list)          # entries to move, entries they go before (first still queued)
    keep_going_changed = Signal(bool)
    radio_requested = Signal(int, str)  # track id, the entry's source
    save_requested = Signal()          # save the track playing and Up next as a playlist

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel("Up next")
        self.header.setObjectName("panelTitle")
        self.keep_going = QCheckBox("Keep it going")
        self.keep_going.setToolTip("When the queue runs low, add tracks picked for this session")
        self.clear_btn = QPushButton("Clear")
        self.clear_btn.setToolTip("Remove everything from Up next")
        self.save_btn = QPushButton("Save…")
        self.save_btn.setToolTip("Save the track playing and Up next as a playlist")
        self.list = QueueList()
        self.empty_hint = QLabel("Nothing queued.\nRight-click tracks to add them,\nor turn on Keep it going.")
        self.empty_hint.setAlignment(Qt.AlignCenter)
        self.empty_hint.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addStretch(1)
        top.addWidget(self.save_btn)
        top.addWidget(self.clear_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.keep_going)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_hint)
        self._rows: list[tuple] = []          # (entry, key) per row shown

        self.clear_btn.clicked.connect(self.clear)
        self.save_btn.clicked.connect(self.save_requested)
        self.keep_going.toggled.connect(self.keep_going_changed)
        self.list.move_requested.connect(self.move)
        self.list.itemActivated.connect(lambda item: self.play_entry.emit(item.data(ENTRY_ROLE)))
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.set_entries([])

    def _selected_entries(self) -> list:
        return [i.data(ENTRY_ROLE) for i in sorted(self.list.selectedItems(), key=self.list.row)]

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.Delete) or event.key() == Qt.Key_Backspace:
            entries = self._selected_entries()
            if entries:
                self.remove_entries.emit(entries)
                return
        super().keyPressEvent(event)

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        entry, track_id = item.data(ENTRY_ROLE), item.data(Qt.UserRole)
        selected = self._selected_entries() if item.isSelected() else []
        menu = QMenu(self)
        menu.addAction("Play now", lambda: self.play_entry.emit(entry))
        menu.addAction("Start radio from this song", lambda: self.radio_requested.emit(track_id, entry.source))
        menu.addSeparator()
        menu.addAction("Remove", lambda: self.remove_entries.emit(selected or [entry]))
        self.last_menu = menu
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def set_entries(self, entries: list[tuple[int, str, str, str, str]], keys: list | None = None) -> None:
        """``(track_id, title, artist, source, reason)`` in play order; ``keys``: the queue
        entries they show (what the signals carry; default the track ids).

        Only the rows that changed are made again: a song ending takes the first row away,
        a refill adds rows at the end. Rebuilding thousands of rows for that held the
        window for a second, and lost the person's selection in the list."""
        keys = keys if keys is not None else [e[0] for e in entries]
        rows = list(zip(entries, keys))
        changes = difflib.SequenceMatcher(None, self._rows, rows, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in reversed(changes):      # from the end: earlier rows keep their places
            if tag == "equal":
                continue
            for _ in range(i2 - i1):
                self.list.takeItem(i1)
            for at, (entry, key) in enumerate(rows[j1:j2], start=i1):
                self.list.insertItem(at, self._item(entry, key))
        self._rows = rows
        self.empty_hint.setVisible(not entries)
        self.clear_btn.setEnabled(bool(entries))
        self.header.setText(f"Up next ({len(entries)})" if entries else "Up next")

    @staticmethod
    def _item(entry: tuple[int, str, str, str, str], key) -> QListWidgetItem:
        track_id, title, artist, source, reason = entry
        item = QListWidgetItem(title)
        item.setData(SUBTITLE_ROLE, artist)
        why = reason_line(source, reason)
        item.setData(REASON_ROLE, why)                 # on the row itself, and whole in the tooltip
        item.setData(Qt.UserRole, track_id)
        item.setData(ENTRY_ROLE, key)
        item.setToolTip("\n".join(x for x in (f"{title} — {artist}" if artist else title, why) if x))
        return item

    def track_ids(self) -> list[int]:
        return [entry[0] for entry, _key in self._rows]
