"""The library tab: a search box over a sortable, multi-select track table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QTableView, QVBoxLayout,
    QWidget,
)

from player.ui.library_model import COLUMNS, LibraryModel
from player.ui.never_menu import add_never_actions

QUEUE_AHEAD = 200   # a double-click queues the visible tracks after it, up to this many
_WIDTHS = {"track_no": 40, "title": 270, "artist": 180, "album": 200, "genre": 100, "year": 52, "duration": 60}


class LibraryTable(QTableView):
    activated_rows = Signal(int)   # Enter / Return on the current row

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentIndex().isValid():
            self.activated_rows.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class LibraryView(QWidget):
    play_requested = Signal(list, int, str)   # track ids, start index, source
    radio_requested = Signal(int)
    enqueue_requested = Signal(list)
    play_next_requested = Signal(list)
    add_to_playlist_requested = Signal(list, object)   # track ids, playlist id (None: a new one)
    never_suggest = Signal(int, str)    # track id, "song" or "artist" (see player.ui.never_menu)

    def __init__(self, model: LibraryModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.artist_of = None           # ``artist_of(track_id) -> str | None``, for the menu
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, artist, album, genre   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("hint")
        self._playlists: list[tuple[int, str]] = []
        self.table = LibraryTable()
        self.table.setModel(model)
        t = self.table
        t.setSelectionBehavior(QAbstractItemView.SelectRows)
        t.setSelectionMode(QAbstractItemView.ExtendedSelection)
        t.setSortingEnabled(True)
        t.sortByColumn(-1, Qt.AscendingOrder)      # library order until a header is clicked
        t.setAlternatingRowColors(True)
        t.setShowGrid(False)
        t.setWordWrap(False)
        t.setEditTriggers(QAbstractItemView.NoEditTriggers)
        t.setTabKeyNavigation(False)        # Tab leaves the table (it walked its cells, and never got out)
        t.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        vh = t.verticalHeader()
        vh.setVisible(False)
        # Fixed row heights: the view never measures 100,000 rows.
        vh.setSectionResizeMode(QHeaderView.Fixed)
        vh.setDefaultSectionSize(t.fontMetrics().height() + 8)
        hh = t.horizontalHeader()
        hh.setSectionsMovable(True)
        hh.setHighlightSections(False)
        hh.setStretchLastSection(False)
        hh.setDefaultAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        for i, (key, _) in enumerate(COLUMNS):
            hh.resizeSection(i, _WIDTHS.get(key, 120))
        t.setContextMenuPolicy(Qt.CustomContextMenu)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(top)
        layout.addWidget(t, 1)

        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._play_first_match)
        t.doubleClicked.connect(lambda index: self._play_from(index.row()))
        t.activated_rows.connect(self._play_from)
        t.customContextMenuRequested.connect(self._menu)
        model.modelReset.connect(self._update_count)
        model.layoutChanged.connect(self._update_count)
        self._update_count()

    def _filter(self, text: str) -> None:
        self.model.set_filter(text)

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.data_)
        self.count.setText(f"{shown:,} of {total:,} tracks" if shown != total else f"{total:,} tracks")

    def _source(self) -> str:
        return "search" if self.search.text().strip() else "library"

    def _play_from(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            end = min(self.model.rowCount(), row + 1 + QUEUE_AHEAD)
            ids = [self.model.track_id(r) for r in range(row, end)]
            self.play_requested.emit(ids, 0, self._source())

    def _play_first_match(self) -> None:
        if self.model.rowCount():
            self._play_from(0)

    def selected_ids(self) -> list[int]:
        # From the selection's row ranges: ``selectedRows`` asks the model about every
        # selected cell, seconds for a whole library.
        rows: set[int] = set()
        for part in self.table.selectionModel().selection():
            rows.update(range(part.top(), part.bottom() + 1))
        return [self.model.track_id(r) for r in sorted(rows)]

    def _menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        ids = self.selected_ids() or [self.model.track_id(index.row())]
        here = self.model.track_id(index.row())
        menu = QMenu(self)
        menu.addAction("Play", lambda: self.play_requested.emit(ids, 0, self._source()))
        menu.addAction("Play next", lambda: self.play_next_requested.emit(ids))
        menu.addAction("Add to Up next", lambda: self.enqueue_requested.emit(ids))
        lists = menu.addMenu("Add to playlist")
        lists.addAction("New playlist…", lambda: self.add_to_playlist_requested.emit(ids, None))
        if self._playlists:
            lists.addSeparator()
        for playlist_id, name in self._playlists:
            # "&" marks a menu shortcut to Qt: doubled, "R&B" shows as itself.
            lists.addAction(name.replace("&", "&&"),
                            lambda pid=playlist_id: self.add_to_playlist_requested.emit(ids, pid))
        menu.addSeparator()
        menu.addAction("Start radio from this song", lambda: self.radio_requested.emit(here))
        menu.addSeparator()
        add_never_actions(menu, here, self.artist_of, self.never_suggest.emit)
        self.last_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def set_playlists(self, playlists: list[tuple[int, str]]) -> None:
        """``(id, name)`` of the playlists offered by "Add to playlist"."""
        self._playlists = list(playlists)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.ShortcutFocusReason)
        self.search.selectAll()

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.Cancel) and self.search.text():
            self.search.clear()
            self.table.setFocus()
            return
        super().keyPressEvent(event)
