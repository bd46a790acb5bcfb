"""The library tab: a search box over a sortable, multi-select track table."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QByteArray, QDataStream, QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QContextMenuEvent, QDrag, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QTableView, QToolButton, QToolTip,
    QVBoxLayout, QWidget,
)

from player.library.query import HELP as SEARCH_HELP
from player.ui.library_model import COLUMNS, OPTIONAL, LibraryModel, tracks_mime
from player.ui.never_menu import add_never_actions
from player.ui.playlist_menu import add_playlist_menu
from player.ui.track_menu import add_queue_actions, add_rating_keys, add_rating_menu, add_show_in_folder, finder

QUEUE_AHEAD = 200   # a double-click queues the visible tracks after it, up to this many
_WIDTHS = {"track_no": 40, "title": 270, "artist": 180, "album": 200, "genre": 100, "year": 52, "duration": 60,
           "composer": 160, "rating": 76}
#: The columns of a layout saved before it named them (see :meth:`ColumnFit.restore`).
FIRST_COLUMNS = ("track_no", "title", "artist", "album", "genre", "year", "duration")
#: What the narrow columns hold at their widest: they are at least as wide as that and as their
#: header in the table's font (at a large font "Year" and "Time" were cut off at 52 and 60 px).
_SAMPLES = {"track_no": "8-88", "genre": "", "year": "8888", "duration": "88:88:88"}
_TITLE = [key for key, _ in COLUMNS].index("title")
_SHARING = ("title", "artist", "album")     # the columns that share the table's spare width
_SHARING_MIN = 80                           # narrower than this, the table scrolls sideways instead
#: Hidden, in this order, where the names would otherwise go narrower than ``_SHARING_MIN`` and
#: push the song's length out of sight; shown again as soon as the table has the room.
_GIVE_WAY = ("year", "genre")
#: The least the names go to where the column the songs are sorted by needs their room.
_SQUEEZED_MIN = 48
#: From this many tracks the search waits for a pause in the typing before it filters: over
#: 100,000 tracks each key's pass (the match, and the table drawn again) held the window 35 to
#: 160 ms, and the first keys of a query, which nearly every song matches, were passes the
#: person never wanted to see. Smaller libraries filter at each key, as fast as it is typed.
PAUSE_FROM = 20_000
#: The pause, in ms, that ends a word typed into the search over a big library: Quod Libet
#: waits 300, MusicBee for a pause too; short enough that the songs seem to come as typed.
TYPING_PAUSE_MS = 150


def saved_count(state) -> int | None:
    """How many columns a header's saved state holds (None: not a state Qt wrote). A layout
    written by an older version holds fewer than the table has now, whatever else was saved
    beside it (an older version leaves the columns' names a newer one saved as they were)."""
    stream = QDataStream(QByteArray(state))
    stream.setVersion(QDataStream.Qt_5_0)
    if stream.readInt32() != 0xFF or stream.readInt32() != 0:      # (Qt's marker and version)
        return None
    for _ in range(3):                          # orientation, sort order, sort column
        stream.readInt32()
    stream.readBool()                           # sort mark shown
    for _ in range(2):                          # the columns' places, both ways
        for _ in range(stream.readUInt32()):
            stream.readInt32()
    stream.skipRawData((stream.readUInt32() + 7) // 8)       # the hidden columns
    for _ in range(2 * stream.readUInt32()):    # the hidden columns' widths
        stream.readInt32()
    stream.readInt32()                          # the whole width
    count = stream.readInt32()
    return count if stream.status() == QDataStream.Ok and count >= 0 else None


def least_widths(table: QTableView) -> dict[int, int]:
    """The narrow columns' least widths in the table's font as it is now: their header's word
    and their widest value whole."""
    header, metrics = table.horizontalHeader(), table.fontMetrics()
    return {i: max(header.sectionSizeFromContents(i).width(), metrics.horizontalAdvance(_SAMPLES[key]) + 16)
            for i, (key, _) in enumerate(COLUMNS) if key in _SAMPLES}


class LibraryTable(QTableView):
    activated_rows = Signal(int)   # Enter / Return on the current row

    def setSelectionModel(self, selection) -> None:  # noqa: N802 - Qt's name
        """The column headers get a selection of their own, always empty: sharing the rows'
        one, each header drawn asked whether its whole column is selected, which walks every
        row asking the model about each (half a second to select all 40,000 tracks, and again
        on every return to the tab with them selected). Columns are never selected here (the
        table selects rows), so the headers have nothing to show of it."""
        super().setSelectionModel(selection)
        header = self.horizontalHeader()
        if selection is not None and header is not None:
            header.setSelectionModel(QItemSelectionModel(selection.model(), header))

    def fit_rows(self) -> None:
        """Every row as tall as a line of the table's font, and a little room. Fixed heights:
        the view never measures 100,000 rows."""
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            # The desktop's font made larger while Segue is open: the rows, sized for the font
            # at the start, cut the names' lower half off.
            self.fit_rows()

    def selected_rows(self) -> list[int]:
        """The selected rows in order, from the selection's row ranges: asking about every
        selected cell (``selectedRows``) takes seconds for a whole library."""
        return self.selected_row_array().tolist()

    def selected_row_array(self) -> np.ndarray:
        """:meth:`selected_rows` as an array, each row once however the ranges overlap: a
        whole library's rows put in a set one by one and sorted held the window tens of
        milliseconds more than marking them in one array."""
        model = self.model()
        marked = np.zeros(model.rowCount() if model is not None else 0, dtype=bool)
        for part in self.selectionModel().selection():
            marked[part.top():part.bottom() + 1] = True
        return np.flatnonzero(marked)

    def selectedIndexes(self) -> list:  # noqa: N802 - Qt's name
        """One cell of each stretch of selected rows. Qt asks this at the first move of a
        press only to know whether there is something to drag (the drag is made from the rows,
        see :meth:`startDrag`); every selected cell, asked about one by one, held the window
        three quarters of a second when a whole library of 40,000 songs was selected."""
        return [part.topLeft() for part in self.selectionModel().selection()] if self.selectionModel() else []

    def startDrag(self, actions) -> None:  # noqa: N802 - Qt's name
        """The selected songs dragged, in the order shown, onto Up next or a playlist (in the
        list of playlists, or among a playlist's songs where they are let go). The drag is
        made from the rows selected, not from each selected cell as Qt's own is made."""
        mime = self.drag_mime()
        if mime is not None:
            drag = QDrag(self)
            drag.setMimeData(mime)
            drag.exec(Qt.CopyAction)

    def drag_mime(self):
        """What a drag of the selected songs carries; None with none selected."""
        ids = self.model().track_ids(self.selected_row_array())
        return tracks_mime(ids) if ids else None

    def event(self, event) -> bool:
        if (event.type() == QEvent.ContextMenu and event.reason() == QContextMenuEvent.Keyboard
                and self.contextMenuPolicy() == Qt.CustomContextMenu):
            if not self.currentIndex().isValid():
                # No row has the keyboard (the list was just reloaded): Qt would ask for the
                # menu at the middle of the list, for a row no one chose.
                event.accept()
                return True
            # The menu key (or Shift+F10): Qt places the menu at the current row in the
            # table's own coordinates, but the row it is for is looked up among the rows
            # under the header, so the menu acted on the row below the one with the keyboard
            # ("Start radio from this song" started from another song). Asked for here at the
            # middle of the current row in the rows' coordinates, as a right-click there is.
            current = self.currentIndex()
            self.scrollTo(current)
            self.customContextMenuRequested.emit(self.visualRect(current).center())
            return True
        return super().event(event)

    def moveCursor(self, action, modifiers):  # noqa: N802 - Qt's name
        """The first move onto the list (Tab into it, or an arrow key with no row chosen yet)
        lands on the row's title. Qt lands on the first column, the track number, and a screen
        reader going down the list read "3", "1", "2"; the keys then keep to the column the
        keyboard is in, so the titles are what it reads row after row."""
        index = super().moveCursor(action, modifiers)
        if self.currentIndex().isValid() or not index.isValid():
            return index
        title = index.siblingAtColumn(_TITLE)
        return title if title.isValid() and not self.isColumnHidden(_TITLE) else index

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentIndex().isValid():
            self.activated_rows.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


def _share(total: int, weights: list[int], least: int = _SHARING_MIN) -> list[int]:
    """``total`` split in proportion to ``weights``, none below ``least`` (what those
    at the least would have had goes to the others); the sum is ``total`` unless every one
    is at the least."""
    widths: list[int | None] = [None] * len(weights)
    while True:
        free = [i for i, w in enumerate(widths) if w is None]
        left = total - sum(w for w in widths if w is not None)
        weight = sum(weights[i] for i in free) or 1
        small = [i for i in free if left * weights[i] / weight < least]
        if not small or len(small) == len(free):
            break
        for i in small:
            widths[i] = least
    for i in free:
        widths[i] = max(least, int(left * weights[i] / weight))
    if free:                        # what rounding left over goes to the last
        widths[free[-1]] = max(least, left - sum(widths[i] for i in free[:-1]))
    return widths


class ColumnFit(QObject):
    """Title, artist and album share the width the other columns leave, so the columns fill
    the table whatever its width (they left empty space at the right of a wide window and ran
    off a narrow one).

    Their widths are kept as the share of that room they had when they were last set (by the
    user, or saved): the same room gives the very widths back, a wider or narrower table the
    same proportions. A column the user resizes keeps the width given; the sharing columns
    after it (or, for the last of them, before it) make room, so its left edge stays under the
    mouse. They shrink to ``_SHARING_MIN`` at the least. Past that, year and then genre are
    hidden (see ``_GIVE_WAY``) rather than the table scrolling sideways with the songs' lengths
    off its edge (at 800 px with Up next shown); they come back, at their width, when the table
    is wide enough again. The table still scrolls sideways when the user made the names wider
    than the table."""

    def __init__(self, table: QTableView):
        super().__init__(table)
        self.table = table
        self.header = table.horizontalHeader()
        keys = [key for key, _ in COLUMNS]
        self.sharing = [keys.index(key) for key in _SHARING]
        self.give_way = [keys.index(key) for key in _GIVE_WAY]
        #: The optional columns the person chose to see: they give way for want of room after
        #: year and genre (a Composer column chosen pushed the songs' lengths off a narrow table),
        #: and come back with the room.
        self.chosen: set[int] = set()
        self.widths = {c: self.header.sectionSize(c) for c in self.sharing}
        #: The room the other columns left when ``widths`` were set: the width they are for.
        self.room = sum(self.widths.values())
        self._fitting = False
        self.least = _SHARING_MIN       # the names' least width now (see _give_way)
        #: The height of a line of the table's font the widths are for: the narrow columns are
        #: widened only for a larger one.
        self.font_height = table.fontMetrics().height()
        table.viewport().installEventFilter(self)
        table.installEventFilter(self)
        self.header.sectionResized.connect(self._resized)
        # Sorted by a column hidden for want of room: it is shown (see _give_way).
        self.header.sortIndicatorChanged.connect(lambda *_: self.fit())

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Resize and watched is not self.table:
            self.fit()
        elif event.type() == QEvent.FontChange and watched is self.table:
            # (once the header has the new font too)
            QTimer.singleShot(0, self._font_changed)
        return False

    def _font_changed(self) -> None:
        height = self.table.fontMetrics().height()
        if height > self.font_height:
            self.widen()
            self.fit()              # (the wider columns may leave no room for year or genre)
        self.font_height = height

    def restore(self, state, share=None, font_height=None, keys=None) -> bool:
        """The header's saved state (order, widths, sort) and the :meth:`share` saved with it
        (None: its widths, as much room as they take), fitted to the table as it is now;
        ``font_height``: the :attr:`font_height` they were saved at (None: not known);
        ``keys``: the columns the table had then (None: :data:`FIRST_COLUMNS`)."""
        self._fitting = True            # (its widths are the user's, not a resize to make room for)
        try:
            done = self.header.restoreState(state)
            # A column added since is shown by Qt at the end, 100 px wide: an optional one is
            # put back as a first start has it, hidden until chosen.
            known = set(FIRST_COLUMNS if keys is None else str(keys).split())
            count = saved_count(state)
            if count is not None:       # (the names left by a newer version, the state by an older)
                known &= {key for key, _ in COLUMNS[:count]}
            for column, (key, _) in enumerate(COLUMNS):
                if key in OPTIONAL and key not in known:
                    self.place_optional(column)
            self.chosen = {c for c, (key, _) in enumerate(COLUMNS) if key in OPTIONAL
                           and not self.header.isSectionHidden(c)}
            # Widened only where the font grew since: a column the person made narrower than
            # its values on purpose (there is no hiding one) stays as they left it.
            if font_height is None or self.font_height > font_height:
                self.widen()
        finally:
            self._fitting = False
        self.widths = {c: self.header.sectionSize(c) for c in self.sharing}
        self.room = sum(self.widths.values())
        try:
            room, *widths = (int(x) for x in str(share).split())
        except ValueError:              # none saved (or not written by this)
            pass
        else:
            if len(widths) == len(self.sharing) and room > 0 and min(widths) > 0:
                self.widths, self.room = dict(zip(self.sharing, widths)), room
        self.fit()
        return done

    def place_optional(self, column: int) -> None:
        """An optional column (see :data:`~player.ui.library_model.OPTIONAL`) hidden, at its
        width, after the column it goes with."""
        h, key = self.header, COLUMNS[column][0]
        fitting, self._fitting = self._fitting, True
        try:
            h.showSection(column)
            h.resizeSection(column, max(_WIDTHS[key], least_widths(self.table).get(column, 0)))
            h.hideSection(column)
            anchor = h.visualIndex([k for k, _ in COLUMNS].index(OPTIONAL[key]))
            h.moveSection(h.visualIndex(column), anchor + 1 if h.visualIndex(column) > anchor else anchor)
        finally:
            self._fitting = fitting

    def state(self) -> QByteArray:
        """The header's state to save, a chosen column hidden for want of room saved as shown
        (as chosen: :meth:`restore` takes a hidden optional column for one not chosen)."""
        h = self.header
        away = [c for c in self.chosen if h.isSectionHidden(c)]
        fitting, self._fitting = self._fitting, True
        try:
            for c in away:
                h.showSection(c)
            state = h.saveState()
            for c in away:
                h.hideSection(c)
        finally:
            self._fitting = fitting
        return state

    def keys(self) -> str:
        """The table's columns, to save beside the header's state (see :meth:`restore`)."""
        return " ".join(key for key, _ in COLUMNS)

    def choose(self, column: int, shown: bool) -> None:
        """An optional column shown or hidden (from the header's menu), the names fitted around it."""
        if shown:
            self.chosen.add(column)
        else:
            self.chosen.discard(column)
            if self.header.sortIndicatorSection() == column:
                # (the order it made, with no column showing the sort mark, would look like no
                # order at all: the library's order instead)
                self.table.sortByColumn(-1, Qt.AscendingOrder)
        fitting, self._fitting = self._fitting, True     # (not a resize by the user: see _resized)
        try:
            self.header.setSectionHidden(column, not shown)
        finally:
            self._fitting = fitting
        self.fit()

    def widen(self) -> None:
        """The narrow columns at least as wide as their header and values need in the font of
        now. Widths saved under a smaller desktop font came back as they were, and "Year",
        "Time" and the songs' lengths were cut off at every start after the font grew. A column
        hidden for want of room is widened too (it is shown again while it is: Qt gives a hidden
        column no width); :meth:`fit` hides it again if the room is still wanting."""
        fitting, self._fitting = self._fitting, True
        try:
            for column, least in least_widths(self.table).items():
                hidden = self.header.isSectionHidden(column) and column in self.give_way
                if hidden:
                    self.header.showSection(column)
                if self.header.sectionSize(column) < least:
                    self.header.resizeSection(column, least)
                if hidden:
                    self.header.hideSection(column)
        finally:
            self._fitting = fitting

    def share(self) -> str:
        """The widths last set and the room they were for, as text to save beside the header's
        state: the header's own widths are those fitted to the window at the time."""
        return " ".join(str(x) for x in (self.room, *(self.widths[c] for c in self.sharing)))

    def _room(self, sharing) -> int:
        """The table's width less the columns shown that are not in ``sharing``."""
        h = self.header
        return self.table.viewport().width() - sum(
            h.sectionSize(c) for c in range(h.count()) if c not in sharing and not h.isSectionHidden(c))

    def width_of(self, column: int) -> int:
        """A column's width, whether shown or hidden (Qt says 0 for a hidden one, and gives it
        back its width when it is shown again)."""
        h = self.header
        if not h.isSectionHidden(column):
            return h.sectionSize(column)
        # Shown for a moment only to read its width: not a resize by the user, which would fit
        # the names around it and keep their widths of the moment as the proportions to save.
        fitting, self._fitting = self._fitting, True
        try:
            h.showSection(column)
            width = h.sectionSize(column)
            h.hideSection(column)
        finally:
            self._fitting = fitting
        return width

    def _give_way(self) -> None:
        """Year and genre shown where the names keep ``_SHARING_MIN`` each beside them, else
        hidden (year first), so that the song's length stays in sight at any width the window
        allows; decided from the table's width and the sort column alone, so the same width
        always shows the same. The column the songs are sorted by is never hidden: the order
        it makes, with no column showing the sort mark, looked like no order at all."""
        h = self.header
        names = [c for c in self.sharing if not h.isSectionHidden(c)]
        if not names or self.table.viewport().width() <= 0:
            return
        give_way = [*self.give_way, *sorted(self.chosen)]   # (a chosen column last: it was asked for)
        fitting, self._fitting = self._fitting, True    # (not a resize by the user)
        try:
            rest = [c for c in range(h.count())
                    if c not in self.sharing and c not in give_way and not h.isSectionHidden(c)]
            room = self.table.viewport().width() - sum(h.sectionSize(c) for c in rest) - len(names) * _SHARING_MIN
            sorted_by = h.sortIndicatorSection()
            shown = {sorted_by} & set(give_way)
            room -= sum(self.width_of(c) for c in shown)
            # (the names give it their room, down to _SQUEEZED_MIN, before the song's length
            # would be pushed off the right edge)
            self.least = _SHARING_MIN if room >= 0 else max(_SQUEEZED_MIN, _SHARING_MIN + room // len(names))
            for column in reversed(give_way):     # the last to give way is the first shown
                if column in shown:
                    continue
                width = self.width_of(column)
                if width > room:
                    break
                shown.add(column)
                room -= width
            for column in give_way:
                if h.isSectionHidden(column) == (column in shown):
                    h.setSectionHidden(column, column not in shown)
        finally:
            self._fitting = fitting

    def fit(self, keep: int | None = None) -> None:
        """Give the sharing columns the room there is; ``keep``: a column left as it is (the
        one the user resized), whose room the columns beside it make."""
        h = self.header
        if keep is None and not self._fitting:
            self._give_way()
        shown = [c for c in self.sharing if not h.isSectionHidden(c)]
        sharing = [c for c in shown if c != keep]
        if keep is not None:
            after = [c for c in sharing if h.visualIndex(c) > h.visualIndex(keep)]
            sharing = after or sharing
        if not sharing or self._fitting or self.room <= 0:
            return
        room = self._room(sharing)
        if keep is None:     # the proportions last set, scaled to the room there is now
            total = round(sum(self.widths[c] for c in sharing) * room / self.room)
        else:               # exactly the room the kept column leaves
            total = room
        widths = _share(total, [self.widths[c] for c in sharing], self.least)
        self._fitting = True
        try:
            for c, width in zip(sharing, widths):
                h.resizeSection(c, width)
        finally:
            self._fitting = False

    def _resized(self, column: int, old: int, new: int) -> None:
        if self._fitting:
            return
        self.fit(keep=column)
        h = self.header
        shown = [c for c in self.sharing if not h.isSectionHidden(c)]
        if self._room(shown) > 0:       # (not while the table has no width yet)
            self.widths = {c: h.sectionSize(c) for c in self.sharing}
            self.room = self._room(shown)


class LibraryView(QWidget):
    # Lists of track ids go as Python objects, not as Qt lists: a "list" signal copies every
    # id into a Qt list and back, some 70 ms of the window's time for a whole library of
    # 100,000 tracks selected and queued, at each signal it passes through.
    play_requested = Signal(object, int, str)   # track ids, start index, source
    radio_requested = Signal(int)
    enqueue_requested = Signal(object)          # track ids
    play_next_requested = Signal(object)        # track ids
    add_to_playlist_requested = Signal(object, object)   # track ids, playlist id (None: a new one)
    never_suggest = Signal(int, str)    # track id, "song" or "artist" (see player.ui.never_menu)
    read_tags_again_requested = Signal(object)   # track ids whose files to read again
    rate_requested = Signal(object, int)         # track ids, stars (0: no rating)
    save_search_requested = Signal()             # keep the search as a playlist that follows the library

    def __init__(self, model: LibraryModel, parent=None):
        super().__init__(parent)
        self.model = model
        self.artist_of = None           # ``artist_of(track_id) -> str | None``, for the menu
        self.path_of = None             # ``path_of(track_id) -> str | None`` (worker thread), for the menu
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search title, artist, album, genre \u2014 or artist:, year:1970-1979, "
                                       "rating:>=4, -word   (Ctrl+F)")
        self.search.setToolTip(SEARCH_HELP)
        self._problem_shown = ""        # the reason a query was read as plain text, shown while typing
        self.search.setClearButtonEnabled(True)
        self.count = QLabel()
        self.count.setObjectName("hint")
        # Beside the box, as Quod Libet's and foobar2000's: the search kept as a playlist
        # whose songs follow the library. Only while there is a search to keep.
        self.save_search = QToolButton()
        self.save_search.setText("Save search…")
        self.save_search.setProperty("role", "button")
        self.save_search.setToolTip("Save this search as a playlist: its songs follow the library "
                                    "(new songs it finds join it after a scan)")
        self.save_search.setEnabled(False)
        self.save_search.clicked.connect(self.save_search_requested)
        self._playlists: list[tuple[int, str]] = []
        self.table = LibraryTable()
        self.table.setModel(model)
        self.table.setAccessibleName("Library")          # what a screen reader calls the list
        self.search.setAccessibleName("Search the library")
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
        t.setDragEnabled(True)              # songs dragged onto Up next or a playlist
        t.setDragDropMode(QAbstractItemView.DragOnly)
        t.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        vh = t.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.Fixed)
        t.fit_rows()
        hh = t.horizontalHeader()
        hh.setSectionsMovable(True)
        hh.setHighlightSections(False)
        hh.setStretchLastSection(False)
        hh.setDefaultAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        hh.ensurePolished()             # (the header's size below in the style sheet's font)
        least = least_widths(t)
        for i, (key, _) in enumerate(COLUMNS):
            hh.resizeSection(i, max(_WIDTHS.get(key, 120), least.get(i, 0)))
        self.columns = ColumnFit(t)
        for i, (key, _) in enumerate(COLUMNS):
            if key in OPTIONAL:
                self.columns.place_optional(i)
        hh.setContextMenuPolicy(Qt.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._column_menu)
        t.setContextMenuPolicy(Qt.CustomContextMenu)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.save_search)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(top)
        layout.addWidget(t, 1)

        # Over a big library the search filters after a pause in the typing (see PAUSE_FROM),
        # so a query typed quickly filters once, for what it says at its end.
        self._typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self._typed)
        self.search.returnPressed.connect(self._play_first_match)
        t.doubleClicked.connect(lambda index: self._play_from(index.row()))
        t.activated_rows.connect(self._play_from)
        t.customContextMenuRequested.connect(self._menu)
        self.rate_keys = add_rating_keys(t, self.selected_ids, self.rate_requested.emit)
        model.modelReset.connect(self._update_count)
        model.modelReset.connect(self._say_problem)     # (a new library reads the search again)
        model.layoutChanged.connect(self._update_count)
        model.layoutChanged.connect(self._shown)
        model.modelReset.connect(self._shown)
        self._play_when_shown = False
        self._update_count()

    def _typed(self, text: str) -> None:
        self.save_search.setEnabled(bool(text.strip()))
        self._play_when_shown = False       # (Return was for the words before)
        if text.strip() and len(self.model.data_) >= PAUSE_FROM:
            self._typing.start()        # (again from nothing at each key)
        else:
            # An emptied box (Escape, its clear button) shows the whole library at once.
            self.apply_search()

    def search_pending(self) -> bool:
        """Whether the box holds words the table does not show yet (typed over a big library,
        the pause that ends them not come yet, or a column's search they name still made on a
        worker)."""
        return self._typing.isActive() or self.model.search_pending()

    def apply_search(self) -> None:
        """Filter the table by what the box holds now, without waiting for the pause."""
        self._typing.stop()
        self.model.set_filter(self.search.text())
        self._say_problem(typed=True)

    def _say_problem(self, typed: bool = False) -> None:
        # Why the words were read as they were, where the box is: a query read as plain text
        # (a quote left open) showed no rows, or the wrong ones, and no reason.
        # Only a query read as plain text pops its reason up: a term still being typed
        # ("artist:") is said in the tooltip alone, else a reason flashed at a key of every
        # field query typed. A screen reader reads the reason as the box's description.
        said = self.model.filter_problem
        problem = said if self.model.filter_unreadable else ""
        self.search.setToolTip(f"{said}\n\n{SEARCH_HELP}" if said else SEARCH_HELP)
        self.search.setAccessibleDescription(problem)
        if problem and self.search.hasFocus() and (typed or problem != self._problem_shown):
            # (not again at every reload of the library: a scan's end popped it up anew)
            QToolTip.showText(self.search.mapToGlobal(self.search.rect().bottomLeft()), problem, self.search)
        elif QToolTip.isVisible() and QToolTip.text() == self._problem_shown:
            QToolTip.hideText()         # (read as typed now: the reason no longer holds)
        self._problem_shown = problem

    def _shown(self) -> None:
        """The table shows new rows: Return typed while they were made plays the first now."""
        if self._play_when_shown and not self.search_pending():
            self._play_when_shown = False
            self._play_first_match()

    def _update_count(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.data_)
        self.count.setText(f"{shown:,} of {total:,} tracks" if shown != total else f"{total:,} tracks")

    def _source(self) -> str:
        # (the rows shown say it, not the box: in the pause after a key they are the library's)
        return "search" if self.model.filtered() else "library"

    def _play_from(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            # What follows leaves out the tracks of a disk not connected: each would fail in
            # turn. The one asked for is tried (and says why it cannot play).
            model, after = self.model, []
            for r in range(row + 1, model.rowCount()):
                if len(after) == QUEUE_AHEAD:
                    break
                if not model.is_away(r):
                    after.append(model.track_id(r))
            ids = [model.track_id(row), *after]
            self.play_requested.emit(ids, 0, self._source())

    def _play_first_match(self) -> None:
        if self._typing.isActive():
            self.apply_search()         # (Return typed before the pause: the first song of what was typed)
        if self.model.search_pending():
            self._play_when_shown = True    # (the first song of what was typed, when the worker is done)
            return
        if self.model.rowCount():
            self._play_from(0)

    def rating_of(self, track_id: int) -> int | None:
        """The stars the library shows for ``track_id`` (None: none, or not shown here)."""
        data = self.model.data_
        at = data.position(track_id)
        stars = int(data.numbers["rating"][at]) if at is not None and "rating" in data.numbers else 0
        return stars or None

    def length_of(self, track_ids: list[int]) -> tuple[float, bool]:
        """How long ``track_ids`` play together, in seconds, by the lengths the library holds,
        and whether it holds each one's (not: a file not read yet, a track outside it)."""
        data = self.model.data_
        at = data.positions(track_ids)
        found = at[at >= 0]
        lengths = data.numbers["duration"][found] if "duration" in data.numbers else np.zeros(0)
        lengths = lengths[lengths > 0]      # (a NaN or unknown 0 counts as not known)
        return float(lengths.sum()), len(lengths) == len(at)

    def selected_ids(self) -> list[int]:
        return self.model.track_ids(self.table.selected_row_array())

    def _menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        ids = self.selected_ids() or [self.model.track_id(index.row())]
        here = self.model.track_id(index.row())
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)    # (else each right-click leaves one, window and all)
        # (each item hands over a list of its own: the signals pass Python objects as they are)
        menu.addAction("Play", lambda: self.play_requested.emit(list(ids), 0, self._source()))
        add_queue_actions(menu, ids, self.play_next_requested.emit, self.enqueue_requested.emit)
        add_playlist_menu(menu, self._playlists, ids, self.add_to_playlist_requested.emit)
        add_show_in_folder(menu, finder(self.path_of, here))
        add_rating_menu(menu, ids, self.rate_requested.emit, self.rating_of)
        menu.addSeparator()
        menu.addAction("Start radio from this song", lambda: self.radio_requested.emit(here))
        menu.addSeparator()
        add_never_actions(menu, here, self.artist_of, self.never_suggest.emit)
        menu.addSeparator()
        again = menu.addAction("Read tags again", lambda: self.read_tags_again_requested.emit(list(ids)))
        again.setStatusTip("Read the files of these tracks again, for tags a rescan does not see changed")
        self.last_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def column_menu(self) -> QMenu:
        """The header's menu: the optional columns, each shown or hidden."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)
        self.fill_column_menu(menu)
        return menu

    def fill_sort_menu(self, menu: QMenu) -> None:
        """View → Sort library by: what a click on a column's header does, for the keyboard
        (the header takes no focus): the library's own order, or a shown column, and which
        way. Filled as it opens, from the order the table has then."""
        menu.clear()
        header = self.table.horizontalHeader()
        by = header.sortIndicatorSection()
        by = by if 0 <= by < len(COLUMNS) and not header.isSectionHidden(by) else -1
        order = header.sortIndicatorOrder() if by >= 0 else Qt.AscendingOrder
        group = QActionGroup(menu)
        shown = sorted((header.visualIndex(c), c) for c in range(len(COLUMNS)) if not header.isSectionHidden(c))
        for column, name in [(-1, "Library order")] + [(c, COLUMNS[c][1]) for _, c in shown]:
            act = menu.addAction(name)
            act.setCheckable(True)
            act.setChecked(column == by)
            group.addAction(act)
            act.triggered.connect(lambda _on=False, c=column: self.table.sortByColumn(c, Qt.AscendingOrder))
        menu.addSeparator()
        down = menu.addAction("Descending")
        down.setCheckable(True)
        down.setChecked(by >= 0 and order == Qt.DescendingOrder)
        down.setEnabled(by >= 0)
        down.toggled.connect(lambda on: self.table.sortByColumn(by, Qt.DescendingOrder if on else Qt.AscendingOrder))

    def fill_column_menu(self, menu: QMenu) -> None:
        """The optional columns, each shown or hidden: the header's menu, and View → Library
        columns for the keyboard."""
        menu.clear()
        for column, (key, name) in enumerate(COLUMNS):
            if key in OPTIONAL:
                act = menu.addAction(name)
                act.setCheckable(True)
                act.setChecked(column in self.columns.chosen)     # (shown, or hidden for want of room)
                act.toggled.connect(lambda on, c=column: self.columns.choose(c, on))

    def _column_menu(self, pos) -> None:
        menu = self.column_menu()
        self.last_menu = menu
        menu.popup(self.table.horizontalHeader().mapToGlobal(pos))

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
