"""The Playlists tab: the list of playlists on the left, the chosen one's tracks on the right."""

from __future__ import annotations

import operator

from PySide6.QtCore import (
    QAbstractListModel, QEvent, QItemSelection, QItemSelectionModel, QMimeData, QModelIndex, QPoint, Qt, Signal,
)
from PySide6.QtGui import QAction, QContextMenuEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QMenu, QPushButton,
    QSplitter, QStyle, QStyledItemDelegate, QToolButton, QVBoxLayout, QWidget,
)

from player.library.query import NumberTerm, parse
from player.ui.elided_label import ElidedLabel
from player.ui.queue_panel import QueueList, alike, stretches, titles_starting
from player.ui.track_menu import add_queue_actions, add_rating_keys, add_rating_menu, add_show_in_folder, finder
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


class _SongsModel(QAbstractListModel):
    """A playlist's songs as rows: ``(position, title, subtitle, playable, path)`` each, in order.

    A list of tuples rather than one widget item per song: a playlist of 40,000 songs is
    read in one go, and a move or a removal read back takes out and puts in only the rows
    that changed (building every row again held the window for a second)."""

    def __init__(self, view):
        super().__init__(view)
        self._view = view
        self.rows: list[tuple[int, str, str, bool, str]] = []
        self.columns: tuple[tuple, ...] = ((),) * 5    # the same, column by column

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.DisplayRole):
        row = index.row()
        if not index.isValid() or row >= len(self.rows):
            return None
        if role == Qt.DisplayRole:
            return self.rows[row][1]
        if role == SUBTITLE_ROLE:
            _, _, subtitle, playable, _ = self.rows[row]
            return subtitle if playable else f"not in the library: {subtitle}"
        if role == POSITION_ROLE:
            return self.rows[row][0]
        if role == Qt.AccessibleTextRole:
            # What a screen reader says of the row: the title alone said nothing of whose song
            # it is, or that it is not in the library (the line under it, as Up next's rows).
            under = self.data(index, SUBTITLE_ROLE)
            return f"{self.rows[row][1]}, {under}" if under else self.rows[row][1]
        return None

    def match(self, start, role, value, hits=1, flags=Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap):
        """Typing in the list finds the next title that starts with what was typed, in one pass
        over the titles (Qt's own search asks ``data`` row by row: 0.2 s a key among 40,000)."""
        if (role != Qt.DisplayRole or not isinstance(value, str) or flags & Qt.MatchFlag.MatchRecursive
                or (flags & Qt.MatchFlag.MatchTypeMask) != Qt.MatchFlag.MatchStartsWith or not start.isValid()):
            return super().match(start, role, value, hits, flags)
        n, first = len(self.rows), start.row()
        order = list(range(first, n)) + (list(range(first)) if flags & Qt.MatchFlag.MatchWrap else [])
        titles = self.columns[1]
        return [self.index(row) for row in titles_starting(order, (titles[r] for r in order), value, hits, flags)]

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemIsDropEnabled
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled | Qt.ItemNeverHasChildren

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt's name
        return [_SONGS_MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802 - Qt's name
        return self._view.mimeData([_Row(self._view, i.row()) for i in indexes if i.isValid()])

    def supportedDropActions(self):  # noqa: N802 - Qt's name
        return Qt.MoveAction

    def replace(self, rows: list[tuple[int, str, str, bool, str]], whole: bool) -> None:
        """Show ``rows``. ``whole``: another playlist, read afresh; else only the stretch
        between what is alike at both ends is taken out and put in again (a move or a
        removal touches a few rows; the positions after them are renumbered in place)."""
        old, old_columns = self.rows, self.columns
        columns = tuple(zip(*rows)) or ((),) * 5
        if whole or not old or not rows:
            self.beginResetModel()
            self.rows, self.columns = rows, columns
            self.endResetModel()
            return
        # Compared column by column (title, subtitle, playable, path; the positions are
        # renumbered after an edit), each at C speed: a row by row loop in Python, or a
        # tuple made per row, cost a tenth of a second at 40,000 songs.
        n = min(len(old), len(rows))
        pairs = list(zip(old_columns[1:], columns[1:]))
        head = min(alike(a, b, operator.eq) for a, b in pairs)
        tail = min(min(alike(reversed(a), reversed(b), operator.eq) for a, b in pairs), n - head)
        gone, came = len(old) - head - tail, len(rows) - head - tail
        if gone:
            self.beginRemoveRows(QModelIndex(), head, head + gone - 1)
            del self.rows[head:head + gone]
            self.endRemoveRows()
        if came:
            self.beginInsertRows(QModelIndex(), head, head + came - 1)
            self.rows[head:head] = rows[head:head + came]
            self.endInsertRows()
        renumbered = old_columns[0] != columns[0]
        self.rows, self.columns = rows, columns
        if renumbered:                   # (the positions are not drawn: one signal for them all)
            self.dataChanged.emit(self.index(0), self.index(len(rows) - 1), [POSITION_ROLE])


class _Row:
    """One row of :class:`_SongList`, asked about as a list widget's item would be."""

    def __init__(self, view, row: int):
        self._view, self._row = view, row

    def row(self) -> int:
        return self._row

    def index(self):
        return self._view.model().index(self._row)

    def text(self) -> str:
        return self.index().data()

    def data(self, role):
        return self.index().data(role)

    def isSelected(self) -> bool:  # noqa: N802 - Qt's name
        return self._view.selectionModel().isSelected(self.index())

    def setSelected(self, on: bool) -> None:  # noqa: N802 - Qt's name
        self._view.selectionModel().select(
            self.index(), QItemSelectionModel.Select if on else QItemSelectionModel.Deselect)


class _SongList(QueueList):
    """A playlist's songs, put in order by dragging them. A drop asks for the new order
    (:attr:`reorder`) and moves nothing itself: the list is read again once it is stored.

    A one-column table dressed as a list, as Up next is: a list view lays out every row
    whenever rows come or go, asking the model about each (a fifth of a second for a
    playlist of 40,000 songs, on every move or removal)."""

    reorder = Signal(list)          # the positions as shown, in the order wanted
    itemActivated = Signal(object)  # noqa: N815 - as a list widget names it: the row activated (a _Row)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.songs = _SongsModel(self)
        self.setModel(self.songs)
        self.setItemDelegate(TwoLineDelegate(self))
        self._fit_rows()
        self.activated.connect(lambda index: self.itemActivated.emit(_Row(self, index.row())))
        self._drag: tuple[int, list[int]] = (0, [])      # serial of the latest drag, its positions

    # -- asked about as a list widget is ----------------------------------------
    def count(self) -> int:
        return len(self.songs.rows)

    def item(self, row: int) -> _Row | None:
        return _Row(self, row) if 0 <= row < len(self.songs.rows) else None

    def itemAt(self, pos) -> _Row | None:  # noqa: N802 - Qt's name
        index = self.indexAt(pos)
        return _Row(self, index.row()) if index.isValid() else None

    def selected_rows(self) -> list[int]:
        """The selected rows in order, from the selection's ranges (asking about every
        selected index is slow for a long list)."""
        rows: set[int] = set()
        for part in self.selectionModel().selection():
            rows.update(range(part.top(), part.bottom() + 1))
        return sorted(rows)

    def selectedItems(self) -> list[_Row]:  # noqa: N802 - Qt's name
        return [_Row(self, r) for r in self.selected_rows()]

    def setCurrentRow(self, row: int) -> None:  # noqa: N802 - Qt's name
        """As a list widget's: the row current, and selected too (the rest stay selected)."""
        self.selectionModel().setCurrentIndex(self.songs.index(row), QItemSelectionModel.SelectCurrent)

    def select_rows(self, rows) -> None:
        """Select exactly ``rows`` (increasing), the last of them current."""
        selection = QItemSelection()
        for first, last in stretches(rows):
            selection.select(self.songs.index(first), self.songs.index(last))
        self.selectionModel().select(selection, QItemSelectionModel.ClearAndSelect)
        if rows:
            self.selectionModel().setCurrentIndex(self.songs.index(rows[-1]), QItemSelectionModel.NoUpdate)

    # -- dragging ---------------------------------------------------------------
    def mimeData(self, items) -> QMimeData:  # noqa: N802 - Qt's name
        """Remembers the songs dragged; the mime names this list and the drag, so that a drop
        from elsewhere, or of an older drag, is refused."""
        rows = sorted(i.row() for i in items)
        self._drag = (self._drag[0] + 1, [self.songs.rows[r][0] for r in rows])
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
        shown = list(self.songs.columns[0])
        moving = set(dragged)
        order = ([p for p in shown[:at] if p not in moving] + dragged
                 + [p for p in shown[at:] if p not in moving])
        event.setDropAction(Qt.IgnoreAction)      # the rows follow what is stored
        event.accept()
        self.reorder.emit(order)


class _PlaylistNames(QListWidget):
    """The list of playlists. The menu key (and Shift+F10, see ``menu_key``) opens the menu of
    the playlist with the keyboard, at its row: Qt asks for it in the list's own coordinates,
    a frame's width off the rows', and in the middle of the list when no playlist has the
    keyboard, where the menu would be for a playlist no one chose. With none, the menu of the
    empty list opens."""

    def _menu_from_keyboard(self) -> None:
        item = self.currentItem()
        if item is None:
            self.customContextMenuRequested.emit(QPoint(-1, -1))     # on no row
        else:
            self.scrollToItem(item)
            self.customContextMenuRequested.emit(self.visualItemRect(item).center())

    def event(self, event) -> bool:
        if (event.type() == QEvent.ContextMenu and event.reason() == QContextMenuEvent.Keyboard
                and self.contextMenuPolicy() == Qt.CustomContextMenu):
            self._menu_from_keyboard()
            event.accept()
            return True
        return super().event(event)


class PlaylistsPanel(QWidget):
    """Shows playlists and asks for what the person does with them (the window does it)."""

    chosen = Signal(int)                      # playlist id, to show its entries
    play_requested = Signal(int, int)         # playlist id, position to start at
    play_all_requested = Signal(int)          # playlist id: the whole playlist (its Play button)
    enqueue_requested = Signal(int)
    play_next_requested = Signal(int)         # playlist id: all of it to play after the song playing
    queue_entries = Signal(int, list, bool)   # playlist id, positions, to play next (else after the rest)
    rename_requested = Signal(int)
    delete_requested = Signal(int)
    export_requested = Signal(int)
    import_requested = Signal()
    remove_entries = Signal(int, list)        # playlist id, positions
    reorder_entries = Signal(int, list)       # playlist id, the positions as shown, in the new order
    rate_requested = Signal(object, int)      # track ids, stars (0: no rating)
    undo_requested = Signal(object)           # playlist id or None: put back the songs last removed,
    #                                           or the playlist last deleted
    save_search_requested = Signal()          # keep the library's search as a playlist
    edit_search_requested = Signal(int)       # a saved search's id: change its query

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lists = _PlaylistNames()
        self.lists.setSelectionMode(QAbstractItemView.SingleSelection)
        self.lists.setItemDelegate(_NameThenCount(self.lists))
        self.lists.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.lists.setResizeMode(QListView.Adjust)              # names cut again to a new width
        self.entries = _SongList()
        # Names a screen reader says for the two lists (unnamed, they sounded alike).
        self.lists.setAccessibleName("Playlists")
        self.entries.setAccessibleName("Songs of the playlist")
        self.entries.reorder.connect(self._emit_order)
        self._select_after: set[int] = set()   # positions to select once the reordered list is read
        # Each entry's path as read, kept here: through Qt (an item's data, a signal) the
        # undecodable bytes of a file name that is not UTF-8 are lost or refused, and the
        # store would refuse every move.
        self._paths: dict[int, str] = {}
        self._track_ids: dict[int, int] = {}     # the library's track of each playable entry, by position
        #: ``rating_of(track_id) -> int | None``: the stars its menu shows checked
        self.rating_of = None
        #: ``path_of(entry_path) -> str | None``, on a worker thread: the file an entry's "Show in
        #: folder" opens at (a CUE sheet's track is named "Album.flac#02", a file that is not there)
        self.path_of = None
        self._moving: int | None = None        # the playlist of a move asked for, until read back
        self._stored = False                   # ... and whether it is stored (or refused) yet
        self._shown: int | None = None         # the playlist whose songs are listed
        self._queries: dict[int, str] = {}     # saved search id -> its query, as last read
        self.move_up = QAction("Move up", self.entries, shortcut=QKeySequence("Alt+Up"),
                               shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected(-1))
        self.move_down = QAction("Move down", self.entries, shortcut=QKeySequence("Alt+Down"),
                                 shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected(1))
        self.entries.addActions([self.move_up, self.move_down])
        self.rate_keys = add_rating_keys(self.entries, lambda: self._ids_at(self._selected_positions()),
                                         self.rate_requested.emit)
        # Anywhere in the tab: the list of playlists has the keyboard once the last song is
        # removed, and none may be left once the last playlist is deleted.
        self.undo_remove = QAction("Undo", self, shortcut=QKeySequence.Undo,
                                   shortcutContext=Qt.WidgetWithChildrenShortcut,
                                   triggered=lambda: self.undo_requested.emit(self.current_playlist()))
        self.addAction(self.undo_remove)
        # Cut short with "…" (the whole name in its tooltip): a long name held the window wider.
        self.title = ElidedLabel("Playlists")
        self.title.setObjectName("panelTitle")
        # What a saved search is, over its songs: as in iTunes and MusicBee, its songs are the
        # search's, and dragging songs in or moving them is not offered (it would do nothing).
        self.search_note = QLabel()
        self.search_note.setObjectName("hint")
        self.search_note.setWordWrap(True)
        self.search_note.setVisible(False)
        self.hint = QLabel("No playlists yet. Save Up next as one (the Save… button above it), "
                           "or import a playlist file (File → Import playlist…).")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.play_btn = QPushButton("Play")
        self.enqueue_btn = QPushButton("Add to Up next")
        self.import_btn = QPushButton("Import…")
        self.import_btn.setToolTip("Import playlist files: M3U, M3U8, PLS, XSPF, WPL or ASX")
        self.more_btn = QToolButton()
        self.more_btn.setText("More")
        self.more_btn.setProperty("role", "button")
        self.more_btn.setPopupMode(QToolButton.InstantPopup)
        more = QMenu(self.more_btn)
        self.rename_btn = more.addAction("Rename…")
        self.edit_search_btn = more.addAction("Edit search…")
        self.export_btn = more.addAction("Export as M3U8…")
        self.export_btn.setToolTip("Paths are written relative to where the file is saved "
                                   "(a file on another disk: its whole path)")
        more.addSeparator()
        self.save_search_btn = more.addAction("Save library search as playlist…")
        self.save_search_btn.setToolTip("Keep what the library's search box holds as a playlist whose songs "
                                        "follow the library")
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
        right_box.addWidget(self.search_note)
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
        self.play_btn.clicked.connect(lambda: self._emit_for_current(self.play_all_requested))
        self.enqueue_btn.clicked.connect(lambda: self._emit_for_current(self.enqueue_requested))
        self.rename_btn.triggered.connect(lambda: self._emit_for_current(self.rename_requested))
        self.edit_search_btn.triggered.connect(lambda: self._emit_for_current(self.edit_search_requested))
        self.save_search_btn.triggered.connect(self.save_search_requested)
        self.export_btn.triggered.connect(lambda: self._emit_for_current(self.export_requested))
        self.delete_btn.triggered.connect(lambda: self._emit_for_current(self.delete_requested))
        self.import_btn.clicked.connect(self.import_requested)
        self.entries.setContextMenuPolicy(Qt.CustomContextMenu)
        self.entries.customContextMenuRequested.connect(self._menu)
        self.lists.setContextMenuPolicy(Qt.CustomContextMenu)
        self.lists.customContextMenuRequested.connect(self._lists_menu)
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

    def query_of(self, playlist_id: int | None) -> str | None:
        """A saved search's query as last read; None for a playlist of songs (or none)."""
        return self._queries.get(playlist_id)

    def has_searches(self, column: str | None = None) -> bool:
        """Whether a saved search is listed (``column``: one whose query names that number
        column, "plays" or "rating": only those find other songs when it changes)."""
        if column is None:
            return bool(self._queries)
        return any(isinstance(t, NumberTerm) and t.column == column
                   for q in self._queries.values() for t in parse(q).terms)

    def _emit_for_current(self, signal, *args) -> None:
        current = self.current_playlist()
        if current is not None:
            signal.emit(current, *args)

    def _current_changed(self, item, _previous) -> None:
        if item is not None:
            self.chosen.emit(item.data(PLAYLIST_ROLE))
        self._update_buttons()

    def _update_buttons(self) -> None:
        current = self.current_playlist()
        have = current is not None
        for b in (self.play_btn, self.enqueue_btn):
            b.setEnabled(have)
        # (the More menu also saves the library's search, with no playlist chosen too)
        for b in (self.rename_btn, self.export_btn, self.delete_btn):
            b.setEnabled(have)
        query = self.query_of(current)
        self.edit_search_btn.setVisible(query is not None)
        for action in (self.move_up, self.move_down):
            action.setEnabled(query is None)
        self.entries.setDragEnabled(query is None)
        self.search_note.setVisible(query is not None)
        if query is not None:
            problem = parse(query).problem       # (a query that cannot be read finds its words: say why)
            said = f"{query} ({problem})" if problem else query
            self.search_note.setText(f"Saved search: {said}\nIts songs are the library's that this search finds, "
                                     "in library order, and follow the library; songs cannot be added, removed or "
                                     "moved (More → Edit search… changes what it finds).")

    def set_playlists(self, rows, *, select: int | None = None) -> None:
        """``rows``: ``(id, name, entries, playable, away)``, with ``query`` after them for a saved
        search (``away``: how many of the playable are on a disk not connected now); keeps the
        current one chosen (or ``select``)."""
        keep = select if select is not None else self.current_playlist()
        self.lists.blockSignals(True)
        self.lists.clear()
        current = None
        self._queries = {}
        for playlist_id, name, n, playable, away, *query in rows:
            query = query[0] if query else None
            missing = f", {n - playable} not in the library" if playable < n else ""
            if away:
                missing += f", {away} not connected now"
            # A saved search is told apart by its mark and its words, as other players' are
            # (by their icon): its songs follow the library.
            count = f"  ({n}{missing}{', saved search' if query is not None else ''})"
            item = QListWidgetItem(name + count)
            if query is not None:
                self._queries[playlist_id] = query
                item.setIcon(self.style().standardIcon(QStyle.SP_FileDialogContentsView))
            # Read out as "Evening, 12 songs": "Evening (12)" left the number unexplained.
            item.setData(Qt.AccessibleTextRole, f"{name}, {'saved search, ' if query is not None else ''}"
                                                f"{n} {'song' if n == 1 else 'songs'}{missing}")
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

    def set_entries(self, playlist_id: int | None, name: str, entries, track_ids: dict | None = None) -> None:
        """``entries``: ``(position, title, subtitle, playable, path)`` in order; ``track_ids``:
        the library's track of each playable entry, by position (what Rating rates)."""
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
        whole = playlist_id != self._shown
        self._select_after, self._shown = set(), playlist_id
        self.title.setText(name)
        songs = self.entries.songs
        songs.replace(list(entries), whole)
        positions = songs.columns[0]
        self._paths = dict(zip(positions, songs.columns[4]))
        self._track_ids = dict(track_ids or {})
        self.entries.select_rows([r for r, p in enumerate(positions) if p in chosen] if chosen else [])
        # Tab passes over the list while it has no rows to act on (no playlist chosen, or one
        # with no tracks), and stops at it again once it has some.
        empty = self.entries.count() == 0
        if empty and self.entries.hasFocus():
            self.lists.setFocus(Qt.OtherFocusReason)      # its last rows were removed from the keyboard
        self.entries.setFocusPolicy(Qt.NoFocus if empty else Qt.StrongFocus)
        if self._moving is not None:
            self._moving = None         # read back (or another playlist shown): moves go on

    def _selected_positions(self) -> list[int]:
        positions = self.entries.songs.columns[0]
        return sorted(positions[r] for r in self.entries.selected_rows())

    def _ids_at(self, positions: list[int]) -> list[int]:
        """The library's tracks of the entries at ``positions`` (those not in the library left out)."""
        return [self._track_ids[p] for p in positions if p in self._track_ids]

    def _shown_order(self) -> list[int]:
        return list(self.entries.songs.columns[0])

    def _emit_order(self, order: list[int]) -> None:
        """Ask for the entries in ``order`` (the positions as shown, in the order wanted; see
        :meth:`with_paths`). The rows follow once it is stored and read back, and the
        selection follows the songs moved. One move at a time: Alt+Up/Down and drops made
        before the list is read back are let go (a key held down goes on moving the song once
        it is), so every move is made on the list as stored, never on rows it has moved
        already, and a read of the list from before the move is never shown after it."""
        if (self._moving is not None or self.current_playlist() is None or order == self._shown_order()
                or self.query_of(self.current_playlist()) is not None
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

    def drop_before(self, pos) -> tuple[int, str] | None:
        """The entry that songs dropped at ``pos`` (the song list's viewport) go in front of,
        as ``(position, path)`` as read: the one under the pointer, or the next one when the
        pointer is on its lower half, as a drag within the list places them; None at the end."""
        index = self.entries.indexAt(pos)
        if not index.isValid():
            return None
        row = index.row() + (pos.y() > self.entries.visualRect(index).center().y())
        if row >= self.entries.count():
            return None
        position = self.entries.songs.columns[0][row]
        return position, self._paths[position]

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
        here = item.data(POSITION_ROLE)         # taken now: the rows may be read again before a choice
        positions = self._selected_positions() if item.isSelected() else [here]
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)    # (else each right-click leaves one, window and all)
        menu.addAction("Play from here", lambda: self._emit_for_current(self.play_requested, here))
        add_queue_actions(menu, positions, lambda p: self._emit_for_current(self.queue_entries, p, True),
                          lambda p: self._emit_for_current(self.queue_entries, p, False))
        searched = self.query_of(self.current_playlist()) is not None
        if not searched:
            menu.addAction("Remove from playlist", lambda: self._emit_for_current(self.remove_entries, positions))
        path = self._paths.get(here)
        add_show_in_folder(menu, finder(self.path_of, path) or (lambda: path))
        ids = self._ids_at(positions)
        if ids:                                   # (songs not in the library have no stars to give)
            add_rating_menu(menu, ids, self.rate_requested.emit, self.rating_of)
        if not item.isSelected():
            self.entries.setCurrentIndex(item.index())          # what Move up / down moves
        if not searched:
            menu.addSeparator()
            menu.addActions([self.move_up, self.move_down])
        self.last_menu = menu
        menu.popup(self.entries.viewport().mapToGlobal(pos))

    def _lists_menu(self, pos) -> None:
        """The right-click menu of the list of playlists: what the buttons and the More menu
        do, for the playlist under the pointer (made the one shown, as a file manager selects
        what it opens a menu for); on no playlist, Import."""
        item = self.lists.itemAt(pos)
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)
        if item is None:
            menu.addAction("Import playlist files…", lambda: self.import_requested.emit())
            menu.addAction(self.save_search_btn.text(), lambda: self.save_search_requested.emit())
        else:
            pid = item.data(PLAYLIST_ROLE)      # taken now: the list may be read again before a choice
            if self.lists.currentItem() is not item:
                self.lists.setCurrentItem(item)
            menu.addAction("Play", lambda: self.play_all_requested.emit(pid))
            add_queue_actions(menu, [pid], lambda _ids: self.play_next_requested.emit(pid),
                              lambda _ids: self.enqueue_requested.emit(pid))
            menu.addSeparator()
            menu.addAction("Rename…", lambda: self.rename_requested.emit(pid)).setShortcut(QKeySequence(Qt.Key_F2))
            if self.query_of(pid) is not None:
                menu.addAction("Edit search…", lambda: self.edit_search_requested.emit(pid))
            menu.addAction(self.export_btn.text(), lambda: self.export_requested.emit(pid))
            menu.addSeparator()
            menu.addAction("Delete…", lambda: self.delete_requested.emit(pid)).setShortcut(QKeySequence.Delete)
        self.last_lists_menu = menu
        menu.popup(self.lists.viewport().mapToGlobal(pos))

    def keyPressEvent(self, event) -> None:
        delete = event.matches(QKeySequence.Delete) or event.key() == Qt.Key_Backspace
        if delete and self.entries.hasFocus() and self.query_of(self.current_playlist()) is None:
            positions = self._selected_positions()
            if positions:
                self._emit_for_current(self.remove_entries, positions)
                return
        # On the list of playlists, the keys file managers use: Delete (asked first) and F2.
        if self.lists.hasFocus() and self.current_playlist() is not None and (delete or event.key() == Qt.Key_F2):
            self._emit_for_current(self.delete_requested if delete else self.rename_requested)
            return
        super().keyPressEvent(event)
