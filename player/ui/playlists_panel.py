"""The Playlists tab: the list of playlists on the left, the chosen one's tracks on the right."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QMimeData, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QMenu, QPushButton,
    QSplitter, QStyledItemDelegate, QToolButton, QVBoxLayout, QWidget,
)

from player.ui.elided_label import ElidedLabel
from player.ui.two_line import SUBTITLE_ROLE, TwoLineDelegate

PLAYLIST_ROLE = Qt.UserRole + 1
POSITION_ROLE = Qt.UserRole + 3
_SONGS_MIME = "application/x-segue-playlist-songs"


COUNT_ROLE = Qt.UserRole + 4          # the words after a playlist's name: its song count


class _NameThenCount(QStyledItemDelegate):
    """A playlist's name cut short in the middle to the list's width, its song count after it
    always whole: a long name scrolled the list sideways and hid the count. The whole name
    is the item's tooltip."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt's name
        super().initStyleOption(option, index)
        tail = index.data(COUNT_ROLE) or ""
        name = option.text[:len(option.text) - len(tail)] if tail else option.text
        metrics = option.fontMetrics
        room = self.parent().viewport().width() - 12 - metrics.horizontalAdvance(tail)
        option.text = metrics.elidedText(name, Qt.ElideMiddle, max(room, 0)) + tail


class _SongList(QListWidget):
    """A playlist's songs, put in order by dragging them. A drop asks for the new order
    (:attr:`reorder`) and moves nothing itself: the list is read again once it is stored."""

    reorder = Signal(list)          # the positions as shown, in the order wanted

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.InternalMove)
        self.setDefaultDropAction(Qt.MoveAction)
        self._drag: tuple[int, list[int]] = (0, [])      # serial of the latest drag, its positions

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt's name
        return [_SONGS_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802 - Qt's name
        """Remembers the songs dragged; the mime names this list and the drag, so that a drop
        from elsewhere, or of an older drag, is refused."""
        rows = sorted(self.row(i) for i in items)
        self._drag = (self._drag[0] + 1, [self.item(r).data(POSITION_ROLE) for r in rows])
        mime = QMimeData()
        mime.setData(_SONGS_MIME, f"{id(self)}:{self._drag[0]}".encode())
        return mime

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        owner, _, serial = bytes(event.mimeData().data(_SONGS_MIME)).decode().partition(":")
        serial_now, dragged = self._drag
        if owner != str(id(self)) or serial != str(serial_now) or not dragged:
            event.ignore()
            return
        self._drag = (serial_now, [])
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        at = self.count() if not index.isValid() else (
            index.row() + (pos.y() > self.visualRect(index).center().y()))
        shown = [self.item(r).data(POSITION_ROLE) for r in range(self.count())]
        moving = set(dragged)
        order = ([p for p in shown[:at] if p not in moving] + dragged
                 + [p for p in shown[at:] if p not in moving])
        event.setDropAction(Qt.IgnoreAction)      # the rows follow what is stored
        event.accept()
        self.reorder.emit(order)


class PlaylistsPanel(QWidget):
    """Shows playlists and asks for what the person does with them (the window does it)."""

    chosen = Signal(int)                      # playlist id, to show its entries
    play_requested = Signal(int, int)         # playlist id, position to start at
    enqueue_requested = Signal(int)
    rename_requested = Signal(int)
    delete_requested = Signal(int)
    export_requested = Signal(int)
    import_requested = Signal()
    remove_entries = Signal(int, list)        # playlist id, positions
    reorder_entries = Signal(int, list)       # playlist id, the positions as shown, in the new order

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lists = QListWidget()
        self.lists.setSelectionMode(QAbstractItemView.SingleSelection)
        self.lists.setItemDelegate(_NameThenCount(self.lists))
        self.lists.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.lists.setResizeMode(QListView.Adjust)              # names cut again to a new width
        self.entries = _SongList()
        # Names a screen reader says for the two lists (unnamed, they sounded alike).
        self.lists.setAccessibleName("Playlists")
        self.entries.setAccessibleName("Songs of the playlist")
        self.entries.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.entries.setAlternatingRowColors(True)
        self.entries.setUniformItemSizes(True)
        self.entries.setItemDelegate(TwoLineDelegate(self.entries))
        # Rows as wide as the list, their words cut with "…": sized once at the width the
        # list first had, they scrolled sideways when the window was made narrower.
        self.entries.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.entries.setResizeMode(QListView.Adjust)
        self.entries.reorder.connect(self._emit_order)
        self._select_after: set[int] = set()   # positions to select once the reordered list is read
        # Each entry's path as read, kept here: through Qt (an item's data, a signal) the
        # undecodable bytes of a file name that is not UTF-8 are lost or refused, and the
        # store would refuse every move.
        self._paths: dict[int, str] = {}
        self._moving: int | None = None        # the playlist of a move asked for, until read back
        self._stored = False                   # ... and whether it is stored (or refused) yet
        self._shown: int | None = None         # the playlist whose songs are listed
        self.move_up = QAction("Move up", self.entries, shortcut=QKeySequence("Alt+Up"),
                               shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected(-1))
        self.move_down = QAction("Move down", self.entries, shortcut=QKeySequence("Alt+Down"),
                                 shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected(1))
        self.entries.addActions([self.move_up, self.move_down])
        # Cut short with "…" (the whole name in its tooltip): a long name held the window wider.
        self.title = ElidedLabel("Playlists")
        self.title.setObjectName("panelTitle")
        self.hint = QLabel("No playlists yet. Save Up next as one (the Save… button above it), "
                           "or import a playlist file (File → Import playlist…).")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.play_btn = QPushButton("Play")
        self.enqueue_btn = QPushButton("Add to Up next")
        self.import_btn = QPushButton("Import…")
        self.import_btn.setToolTip("Import playlist files: M3U, M3U8, PLS or XSPF")
        self.more_btn = QToolButton()
        self.more_btn.setText("More")
        self.more_btn.setProperty("role", "button")
        self.more_btn.setPopupMode(QToolButton.InstantPopup)
        more = QMenu(self.more_btn)
        self.rename_btn = more.addAction("Rename…")
        self.export_btn = more.addAction("Export as M3U8…")
        self.export_btn.setToolTip("Paths are written relative to where the file is saved")
        more.addSeparator()
        self.delete_btn = more.addAction("Delete…")
        self.more_btn.setMenu(more)
        buttons = QHBoxLayout()
        for b in (self.play_btn, self.enqueue_btn, self.more_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.lists.setMinimumWidth(120)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.lists, 1)
        left_box.addWidget(self.import_btn)
        right = QWidget()
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addWidget(self.title)
        right_box.addLayout(buttons)
        right_box.addWidget(self.entries, 1)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([220, 660])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.hint)
        layout.addWidget(split, 1)

        self.lists.currentItemChanged.connect(self._current_changed)
        self.entries.itemActivated.connect(
            lambda item: self._emit_for_current(self.play_requested, item.data(POSITION_ROLE)))
        self.play_btn.clicked.connect(lambda: self._emit_for_current(self.play_requested, 0))
        self.enqueue_btn.clicked.connect(lambda: self._emit_for_current(self.enqueue_requested))
        self.rename_btn.triggered.connect(lambda: self._emit_for_current(self.rename_requested))
        self.export_btn.triggered.connect(lambda: self._emit_for_current(self.export_requested))
        self.delete_btn.triggered.connect(lambda: self._emit_for_current(self.delete_requested))
        self.import_btn.clicked.connect(self.import_requested)
        self.entries.setContextMenuPolicy(Qt.CustomContextMenu)
        self.entries.customContextMenuRequested.connect(self._menu)
        self.set_playlists([])

    def current_playlist(self) -> int | None:
        item = self.lists.currentItem()
        return item.data(PLAYLIST_ROLE) if item is not None else None

    def name_of(self, playlist_id: int) -> str | None:
        """The name of a playlist listed, as last read; None for one not listed."""
        for i in range(self.lists.count()):
            item = self.lists.item(i)
            if item.data(PLAYLIST_ROLE) == playlist_id:
                return item.toolTip()
        return None

    def _emit_for_current(self, signal, *args) -> None:
        current = self.current_playlist()
        if current is not None:
            signal.emit(current, *args)

    def _current_changed(self, item, _previous) -> None:
        if item is not None:
            self.chosen.emit(item.data(PLAYLIST_ROLE))
        self._update_buttons()

    def _update_buttons(self) -> None:
        have = self.current_playlist() is not None
        for b in (self.play_btn, self.enqueue_btn, self.more_btn):
            b.setEnabled(have)

    def set_playlists(self, rows, *, select: int | None = None) -> None:
        """``rows``: ``(id, name, entries, playable, away)`` (``away``: how many of the playable
        are on a disk not connected now); keeps the current one chosen (or ``select``)."""
        keep = select if select is not None else self.current_playlist()
        self.lists.blockSignals(True)
        self.lists.clear()
        current = None
        for playlist_id, name, n, playable, away in rows:
            missing = f", {n - playable} not in the library" if playable < n else ""
            if away:
                missing += f", {away} not connected now"
            count = f"  ({n}{missing})"
            item = QListWidgetItem(name + count)
            item.setData(COUNT_ROLE, count)
            item.setData(PLAYLIST_ROLE, playlist_id)
            item.setToolTip(name)
            self.lists.addItem(item)
            if playlist_id == keep:
                current = item
        self.lists.blockSignals(False)
        self.hint.setVisible(not rows)
        if current is None and self.lists.count():
            current = self.lists.item(0)
        if current is not None:
            self.lists.setCurrentItem(current)     # shows its entries (chosen)
            self.chosen.emit(current.data(PLAYLIST_ROLE))
        else:
            self.set_entries(None, "Playlists", [])
        self._update_buttons()

    def set_entries(self, playlist_id: int | None, name: str, entries) -> None:
        """``entries``: ``(position, title, subtitle, playable, path)`` in order."""
        if playlist_id is not None and playlist_id != self.current_playlist():
            return                     # an answer for a playlist no longer chosen
        if self._moving is not None and playlist_id == self._moving and not self._stored:
            return                     # read before the move asked for was stored: the next read follows it
        if playlist_id == self._moving:
            chosen = self._select_after
        elif playlist_id == self._shown:
            chosen = set(self._selected_positions())      # read again (a scan ended): kept as it was
        else:
            chosen = set()
        self._select_after, self._shown = set(), playlist_id
        self.entries.clear()
        self.title.setText(name)
        self._paths = {}
        for position, title, subtitle, playable, path in entries:
            item = QListWidgetItem(title)
            item.setData(SUBTITLE_ROLE, subtitle if playable else f"not in the library: {subtitle}")
            item.setData(POSITION_ROLE, position)
            self._paths[position] = path
            self.entries.addItem(item)
            if position in chosen:
                item.setSelected(True)
                self.entries.setCurrentItem(item, QItemSelectionModel.NoUpdate)
        # Tab passes over the list while it has no rows to act on (no playlist chosen, or one
        # with no tracks), and stops at it again once it has some.
        empty = self.entries.count() == 0
        if empty and self.entries.hasFocus():
            self.lists.setFocus(Qt.OtherFocusReason)      # its last rows were removed from the keyboard
        self.entries.setFocusPolicy(Qt.NoFocus if empty else Qt.StrongFocus)
        if self._moving is not None:
            self._moving = None         # read back (or another playlist shown): moves go on

    def _selected_positions(self) -> list[int]:
        return sorted(i.data(POSITION_ROLE) for i in self.entries.selectedItems())

    def _shown_order(self) -> list[int]:
        return [self.entries.item(i).data(POSITION_ROLE) for i in range(self.entries.count())]

    def _emit_order(self, order: list[int]) -> None:
        """Ask for the entries in ``order`` (the positions as shown, in the order wanted; see
        :meth:`with_paths`). The rows follow once it is stored and read back, and the
        selection follows the songs moved. One move at a time: Alt+Up/Down and drops made
        before the list is read back are let go (a key held down goes on moving the song once
        it is), so every move is made on the list as stored, never on rows it has moved
        already, and a read of the list from before the move is never shown after it."""
        if (self._moving is not None or self.current_playlist() is None or order == self._shown_order()
                or sorted(order) != sorted(self._paths)):
            return          # (a drop of rows the list no longer holds: it was read again meanwhile)
        moved = set(self._selected_positions())
        self._select_after = {i for i, p in enumerate(order) if p in moved}
        self._moving, self._stored = self.current_playlist(), False
        self._emit_for_current(self.reorder_entries, order)

    def move_stored(self) -> None:
        """The move asked for is stored (or refused); the list is read again next."""
        self._stored = True

    def read_failed(self) -> None:
        """The list could not be read back after a move: moves can be made again (on the list
        shown, which the store refuses where it is not the playlist's order any more)."""
        if self._moving is not None and self._stored:
            self._moving = None

    def with_paths(self, order: list[int]) -> list[tuple[int, str]]:
        """``order``'s positions each with the path read with it (kept here, never passed
        through Qt, which cannot carry the undecodable bytes of a file name)."""
        return [(p, self._paths[p]) for p in order]

    def move_selected(self, step: int) -> None:
        """Move the selected songs one place up (``step`` -1) or down (+1), together; a song
        already at the end it moves towards stays, and the others close up to it. Let go
        while a move is being stored (see :meth:`_emit_order`)."""
        if self._moving is not None:
            return
        order = self._shown_order()
        chosen = set(self._selected_positions())
        if not chosen:
            return
        indices = range(1, len(order)) if step < 0 else range(len(order) - 2, -1, -1)
        for i in indices:
            j = i + step
            if order[i] in chosen and order[j] not in chosen:
                order[i], order[j] = order[j], order[i]
        self._emit_order(order)

    def _menu(self, pos) -> None:
        item = self.entries.itemAt(pos)
        if item is None:
            return
        positions = self._selected_positions() if item.isSelected() else [item.data(POSITION_ROLE)]
        menu = QMenu(self)
        menu.addAction("Play from here", lambda: self._emit_for_current(self.play_requested, item.data(POSITION_ROLE)))
        menu.addAction("Remove from playlist", lambda: self._emit_for_current(self.remove_entries, positions))
        if not item.isSelected():
            self.entries.setCurrentItem(item)          # what Move up / down moves
        menu.addSeparator()
        menu.addActions([self.move_up, self.move_down])
        self.last_menu = menu
        menu.popup(self.entries.viewport().mapToGlobal(pos))

    def keyPressEvent(self, event) -> None:
        if (event.matches(QKeySequence.Delete) or event.key() == Qt.Key_Backspace) and self.entries.hasFocus():
            positions = self._selected_positions()
            if positions:
                self._emit_for_current(self.remove_entries, positions)
                return
        super().keyPressEvent(event)
