"""The library table: every track in memory as columns, filtered and sorted without SQL.

:func:`~player.library.search.load_library` runs on a worker (it reads the store);
:class:`LibraryModel` keeps the columns (a :class:`~player.library.search.LibraryData`) and a
``visible`` array of row numbers (sorted order, filtered by the search's
:func:`~player.library.search.matching`).
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from player.library.query import NumberTerm, TextTerm
from player.library.search import (
    _GUESSABLE, _NUMBERS, _SHOWN_TEXT, _TEXT, LibraryData, _empty, matching, not_connected, read_query,
    searched_fields,
)
from player.ui.queue_panel import titles_starting
from player.workers import run_task
from segue_common.text import shown

# (key, header); keys are store column names. A column added later goes at the end: a saved
# header's state knows its columns by their place here (see OPTIONAL).
COLUMNS: list[tuple[str, str]] = [
    ("track_no", "#"), ("title", "Title"), ("artist", "Artist"), ("album", "Album"),
    ("genre", "Genre"), ("year", "Year"), ("duration", "Time"), ("composer", "Composer"),
    ("rating", "Rating"),
]
#: Columns hidden until chosen from the header's menu, and shown after this one when chosen:
#: the composer matters on a classical shelf, and is only clutter (or the songwriters' names)
#: on most others.
#: So is the rating: the stars another player wrote into the files, which most libraries have
#: none of; someone who rated their songs shows it, after the song's length, and sorts by it.
OPTIONAL = {"composer": "artist", "rating": "duration"}
#: a rating's stars as the column shows them (none: not rated)
STARS = "\u2605"
TRACK_ID_ROLE = Qt.UserRole + 1
#: library songs dragged within the window (onto Up next or a playlist): their track ids
TRACKS_MIME = "application/x-segue-track-ids"
_ROW_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
              | Qt.ItemFlag.ItemIsDragEnabled)


def tracks_mime(ids) -> QMimeData:
    """A drag of the library songs ``ids``, in order."""
    mime = QMimeData()
    mime.setData(TRACKS_MIME, " ".join(str(int(t)) for t in ids).encode())
    return mime


def carries_tracks(mime: QMimeData) -> bool:
    """Whether a drag is of library songs: asked at each move of a drag, so the ids are not
    read (a drag of 40,000 songs took 6 ms a move to read them)."""
    return mime.hasFormat(TRACKS_MIME)


def dragged_track_ids(mime: QMimeData) -> list[int]:
    """The library songs a drag carries (see :func:`tracks_mime`), in order; none for another drag."""
    raw = bytes(mime.data(TRACKS_MIME)) if mime.hasFormat(TRACKS_MIME) else b""
    try:
        return [int(t) for t in raw.split()]
    except ValueError:
        return []
# Qt's names looked up once: each ``Qt.DisplayRole``-style lookup costs PySide6 several
# microseconds, and Qt asks ``data`` once per cell it paints. (``flags`` is Qt's own, which
# gives what a table needs: Qt asks it once per selected cell, and a Python override
# froze the window for seconds when 20,000 rows of 7 columns were selected.)
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_FONT = Qt.ItemDataRole.FontRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_ROWS_MOVE = QAbstractTableModel.LayoutChangeHint.VerticalSortHint
_HINTED = "QList<QPersistentModelIndex>,QAbstractItemModel::LayoutChangeHint"   # (the layout signals with a hint)
_HORIZONTAL = Qt.Orientation.Horizontal
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_GUESSED_TIP = {"title": "No title tag: this is the file name",
                "artist": "No artist tag: this is the name of the folder above the album's",
                "album": "No album tag: this is the name of the track's folder"}


def format_duration(seconds: float) -> str:
    if not seconds or seconds != seconds or seconds < 0 or seconds == float("inf"):
        return ""
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"



#: From this many tracks, a column's search the box names first (``title:l``) is made on a
#: worker, the rows shown meanwhile those of the search before: at 100,000 tracks making it
#: held the window 0.1 to 0.75 s at the value's first key.
FIELDS_AWAY_FROM = 20_000


class LibraryModel(QAbstractTableModel):
    """Rows are ``visible[row]`` -> index into :class:`LibraryData`."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.data_ = _empty()
        self._order = np.zeros(0, dtype=np.int64)     # all rows in sort order
        self.visible = np.zeros(0, dtype=np.int64)
        self._terms: list = []         # TextTerm and NumberTerm (player.library.query)
        self._filter_text = ""         # what the search holds, read again over a new library
        self.filter_problem = ""       # why the search was read as plain text, or a term left out
        self.filter_unreadable = False  # the search was read as plain text (not a term left out)
        self._sort = (-1, Qt.AscendingOrder)
        self.playing_id: int | None = None
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)
        self._away: dict[int, str] = {}        # track id -> its library folder, on a disk not connected
        self._away_at: dict[int, str] = {}     # the same by index into data_
        # Plays counted here as songs started and failed, (mark, play id, track id, +1 or -1):
        # a library or count read on a worker meanwhile may not hold them (see plays_mark).
        self._counted: list[tuple[int, int, int, int, bool]] = []
        self._marks = 0
        self._asked: set[int] = set()     # the marks of the reads not handed back yet
        # (track id, by) of the plays counted here that the library refused to log (a full
        # disk): in no read until the player writes them, so counted into each one landing.
        self._unsaved: list[tuple[int, int]] = []
        self._making: set[str] = set()    # the columns whose search a worker makes for data_

    def match(self, start, role, value, hits=1, flags=Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap):
        """Typing in the table finds the next row whose text in the current column starts with
        what was typed, case and accents aside as the column sorts ("emile" finds "Émile"; see
        :func:`~player.library.search.typed_form`); Qt's own
        search compares the characters as they are, and asks ``data`` row by row."""
        key = COLUMNS[start.column()][0] if start.isValid() else None
        if (role != _DISPLAY or key not in self.data_.text or key not in _SHOWN_TEXT or not isinstance(value, str)
                or flags & Qt.MatchFlag.MatchRecursive
                or (flags & Qt.MatchFlag.MatchTypeMask) != Qt.MatchFlag.MatchStartsWith):
            return super().match(start, role, value, hits, flags)
        index = self.data_.typed.get(key)
        if index is None or flags & Qt.MatchFlag.MatchCaseSensitive:
            return self._match_row_by_row(start, key, value, hits, flags)
        lo, hi = index.span(value)
        if lo == hi:
            return []
        places = index.places[self.visible]
        rows = np.flatnonzero((places >= lo) & (places < hi))
        first = int(np.searchsorted(rows, start.row()))
        found = rows[first:]
        if flags & Qt.MatchFlag.MatchWrap:
            found = np.concatenate((found, rows[:first]))
        if hits != -1:
            found = found[:max(hits, 1)]    # (at least one, as the row-by-row search)
        return [self.index(row, start.column()) for row in found.tolist()]

    def _match_row_by_row(self, start, key, value, hits, flags):
        """:meth:`match` folding each row's text in turn: a case-sensitive search, which the
        column's index (casefolded) cannot answer."""
        n, first = len(self.visible), start.row()
        order = list(range(first, n)) + (list(range(first)) if flags & Qt.MatchFlag.MatchWrap else [])
        texts, visible = self.data_.text[key], self.visible
        found = titles_starting(order, (texts[int(visible[r])] for r in order), value, hits, flags)
        return [self.index(row, start.column()) for row in found]

    def flags(self, index):
        """Rows can be dragged, onto Up next or a playlist."""
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    # -- loading -------------------------------------------------------
    def set_library(self, data: LibraryData, mark: int | None = None) -> bool:
        """Replace the whole library (keeps the search and the sort). ``mark``: the
        :meth:`plays_mark` taken as the library was asked for, whose plays counted since are
        counted in ``data`` too where its read missed them. True: read the counts again
        (:meth:`set_plays`), one counted meanwhile may or may not be in them."""
        unsure = self._count_again(data, data.plays_seen, mark)
        self._count_unsaved(data)
        self.read_ended(mark)
        self.beginResetModel()
        self.data_ = data
        self._making = set()        # (made for the library replaced; this one was read with them)
        self._order = self._sorted_order()
        # Read again over this library: "plays:0" typed as the window opened met the empty
        # library, which counts no plays, and stayed a search for the text "plays:0".
        terms = self._read_filter(self._filter_text)
        if self._make_away(terms):
            # A column the box names that this library was read without (typed after it was
            # asked for) is made on a worker, as typed: made here, it held the window as long.
            # Meanwhile the search before, less what this library cannot search at once yet.
            terms = [t for t in self._terms
                     if not (isinstance(t, TextTerm) and t.column is not None and not data.has_field_search(t.column))]
        self._terms = terms
        self.visible = self._filtered(self._order, self._terms)
        self._away_at = self._away_indexes()
        self.endResetModel()
        return unsure

    def plays_mark(self) -> int:
        """Taken as the library or its counts are asked for on a worker, and given back with
        them: which plays counted here the read may have missed."""
        self._marks += 1
        self._asked.add(self._marks)
        return self._marks

    def read_ended(self, mark: int | None) -> None:
        """The read asked for at ``mark`` was handed back (or failed): the plays counted
        before the oldest read still out are in every read to come, and no longer kept.
        (Trimmed only as a library landed, a session without a reload kept every play.)"""
        if mark is None:
            return
        self._asked.discard(mark)
        oldest = min(self._asked, default=None)
        self._counted = [] if oldest is None else [c for c in self._counted if c[0] >= oldest]

    def count_play(self, track_id: int, play_id: int | None, by: int = 1, *, again: bool = False) -> None:
        """One play more of ``track_id`` (its row ``play_id`` logged); ``by=-1``: one counted at
        its start that failed. Kept too for a library being read meanwhile: read before the
        play was logged and shown after, it lost the play until the next reload, and
        ``plays:0`` listed the song just heard. A play the library shown already holds (read
        after the play was logged, and landed before its start was shown: a song is shown
        when it is heard, a latency after) is not counted again. ``again``: an old play going on
        in its row, which the library holds as none (left before anything of it was heard)."""
        if again or not (by > 0 and play_id is not None and play_id <= self.data_.plays_seen):
            self.data_.count_play(track_id, by)
        if play_id is not None and self._asked:       # (no read out: none can miss it)
            self._counted.append((self._marks, play_id, track_id, by, again))
        elif play_id is None:
            self._unsaved.append((track_id, by))

    def unsaved_left(self, pending: dict[int, int]) -> bool:
        """Of the plays the library refused, ``pending`` (track id -> how many) are not written
        yet; the others are, and the reads asked from here on hold them. Kept all until none
        was left, one written while another still waited was counted twice by each read.
        True where one was dropped (read the counts again: one asked before may land after)."""
        net: dict[int, int] = {}
        for track_id, by in self._unsaved:
            net[track_id] = net.get(track_id, 0) + by
        left = [(t, 1) for t, n in net.items() for _ in range(min(n, pending.get(t, 0)))]
        dropped = len(left) != sum(max(n, 0) for n in net.values())
        self._unsaved = left
        return dropped

    def _count_unsaved(self, data: LibraryData) -> None:
        for track_id, by in self._unsaved:
            data.count_play(track_id, by)

    def _count_again(self, data: LibraryData, seen: int, mark: int | None) -> bool:
        """Count in ``data`` (read up to play ``seen``) the plays counted here since ``mark``
        that it does not hold. True where one's failure, or an old play going on, may or may
        not be in it."""
        unsure = False
        if mark is None:
            return unsure
        for at, play_id, track_id, by, again in self._counted:
            if at < mark:
                continue            # (logged before the read was asked for: in it)
            if play_id > seen:
                data.count_play(track_id, by)
            elif by < 0 or again:
                unsure = True       # (its start is in the read; its failure, or its going on, may be written after)
        return unsure

    def set_away(self, away: dict[int, str]) -> None:
        """Grey the rows of the tracks of library folders not connected now (``track id ->
        folder``), whose songs cannot play; their tooltips say where they are."""
        if away == self._away:
            return
        self._away = dict(away)
        self._away_at = self._away_indexes()
        if len(self.visible):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.visible) - 1, len(COLUMNS) - 1),
                                  [_FOREGROUND, _TOOLTIP])

    def away_folders(self) -> dict[int, str]:
        """``track id -> library folder`` of the tracks on a disk not connected now (a copy)."""
        return dict(self._away)

    def _away_indexes(self) -> dict[int, str]:
        if not self._away:
            return {}
        ids = list(self._away)
        return {int(i): self._away[t] for t, i in zip(ids, self.data_.positions(ids)) if i >= 0}

    def searched_fields(self) -> tuple[str, ...]:
        """The text columns the search shown names (``title:``): a library read for this
        table makes their searches on its worker (see :func:`~player.library.search.load_library`)."""
        return tuple(dict.fromkeys((*searched_fields(self._terms), *sorted(self._making))))

    def sort_column_key(self) -> str | None:
        """The column the rows are sorted by (its key in :data:`COLUMNS`), None in library order."""
        column = self._sort[0]
        return COLUMNS[column][0] if column >= 0 else None

    def _sorted_order(self) -> np.ndarray:
        column, order = self._sort
        if column < 0 or not len(self.data_):
            return np.arange(len(self.data_), dtype=np.int64)
        return self.data_.sort_key(COLUMNS[column][0], descending=order == Qt.DescendingOrder)

    def _filtered(self, candidates: np.ndarray, terms: list) -> np.ndarray:
        hit = matching(self.data_, terms)
        return candidates if hit is None else candidates[hit[candidates]]

    def _relayout(self, new_visible: np.ndarray) -> None:
        """Swap in a new row list, keeping selection and current row on the same tracks.

        Told as a vertical sort (a filter too only moves and drops whole rows): the
        selection then saves one index per selected row, with the row's width, for this to
        move, rather than one per selected cell (14,000 for 2,000 rows, a tenth of a second
        here). The new indexes are made directly: ``index()`` would call rowCount and
        columnCount back in Python for each one."""
        self.layoutAboutToBeChanged[_HINTED].emit([], _ROWS_MOVE)
        old = self.visible
        persistent = self.persistentIndexList()
        self.visible = new_visible
        if persistent:
            pos = np.full(len(self.data_), -1, dtype=np.int64)
            pos[new_visible] = np.arange(len(new_visible))
            rows = np.fromiter((idx.row() for idx in persistent), dtype=np.int64, count=len(persistent))
            inside = (rows >= 0) & (rows < len(old))
            rows = np.where(inside, pos[old[np.where(inside, rows, 0)]] if len(old) else -1, -1).tolist()
            make, gone = self.createIndex, QModelIndex()
            self.changePersistentIndexList(
                persistent, [make(row, idx.column()) if row >= 0 else gone for row, idx in zip(rows, persistent)])
        self.layoutChanged[_HINTED].emit([], _ROWS_MOVE)

    def set_plays(self, track_ids: np.ndarray, plays: np.ndarray, seen: int | None = None,
                  mark: int | None = None) -> bool:
        """Each track's play count read again (see :meth:`LibraryData.set_plays`); a search by
        ``plays:`` shows what it finds now. ``seen`` and ``mark``: as :meth:`set_library`'s
        (read up to that play, asked for at that mark), and the same True."""
        if seen is not None and seen < self.data_.plays_seen:
            self.read_ended(mark)
            return False        # (read before the library shown: it holds more)
        self.data_.set_plays(track_ids, plays)
        if seen is not None:
            self.data_.plays_seen = seen
        unsure = self._count_again(self.data_, seen or 0, mark)
        self._count_unsaved(self.data_)
        self.read_ended(mark)
        if any(isinstance(t, NumberTerm) and t.column == "plays" for t in self._terms):
            self._relayout(self._filtered(self._order, self._terms))
        return unsure

    # -- search and sort ----------------------------------------------
    def set_filter(self, text: str) -> None:
        """Show tracks whose title/artist/album/genre contain every word of ``text``, and that
        hold its field terms (``artist:beatles year:>=1970 -live``: :mod:`player.library.query`).
        :attr:`filter_problem` then says why a query was read as plain text, if it was."""
        self._filter_text = text
        terms = self._read_filter(text)
        if terms == self._terms:
            return
        if self._make_away(terms):
            return          # (the rows of the search before stay until the worker is done)
        self._terms = terms
        self._relayout(self._filtered(self._order, terms))

    def filtered(self) -> bool:
        """Whether the rows shown are a search's, not the whole library: the words in the box
        may not filter yet (the typing pause, a column's search on a worker)."""
        return bool(self._terms)

    def search_pending(self) -> bool:
        """Whether the rows shown wait for a column's search a worker is making (see
        :data:`FIELDS_AWAY_FROM`): the search box's words are not all in them yet."""
        return bool(self._making)

    def _make_away(self, terms: list) -> bool:
        """Have a worker make the searches of the columns ``terms`` name that a big library
        has not made yet, and filter again when they are made. True: some are being made.
        A column a worker is making already is not made again, neither there nor here (made
        twice at once, the window's thread and the worker shared the interpreter, each slower)."""
        data = self.data_
        if len(data) < FIELDS_AWAY_FROM:
            return False
        wanted = {c for c in searched_fields(terms) if not data.has_field_search(c)}
        new = sorted(wanted - self._making)
        if new:
            self._making.update(new)

            def make() -> None:
                for column in new:
                    data.field_search(column)

            run_task(make, lambda result, error: self._made(data, new, error), name="field-search")
        return bool(wanted)

    def _made(self, data: LibraryData, columns: list[str], error) -> None:
        """A worker made (or failed to make) ``columns``' searches over ``data``: the box's
        words filter now (a failed one is made here, as it always was)."""
        if not shiboken6.isValid(self):
            return          # (the window closed while the worker made them: nothing left to show them in)
        if data is not self.data_:
            return          # (a library read since replaced it, and made them itself: see searched_fields)
        self._making.difference_update(columns)
        if self._making:
            return
        terms = self._read_filter(self._filter_text)
        if error is None and self._make_away(terms):
            return
        self._terms = terms
        self._relayout(self._filtered(self._order, terms))

    def _read_filter(self, text: str) -> list:
        """The terms of ``text`` over this library, :attr:`filter_problem` set."""
        query = read_query(self.data_, text)
        self.filter_problem = query.problem or "; ".join(query.notes)
        self.filter_unreadable = bool(query.problem)    # (a note is a term still being typed)
        return query.terms

    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        self._sort = (column, order)
        self._order = self._sorted_order()
        self._relayout(self._filtered(self._order, self._terms))

    # -- lookups -------------------------------------------------------
    def track_id(self, row: int) -> int:
        return int(self.data_.ids[self.visible[row]])

    def track_ids(self, rows) -> list[int]:
        """The tracks of the visible ``rows``, in that order: all at once, as a whole library
        selected asked :meth:`track_id` 100,000 times on the window's thread."""
        return self.data_.ids[self.visible[np.asarray(rows, dtype=np.int64)]].tolist()

    def is_away(self, row: int) -> bool:
        """Whether the track of ``row`` is on a disk not connected now (see :meth:`set_away`)."""
        return int(self.visible[row]) in self._away_at

    def visible_ids(self) -> list[int]:
        return self.data_.ids[self.visible].tolist()

    def row_of(self, track_id: int) -> int:
        """The visible row showing ``track_id``, or -1."""
        base = self.data_.position(track_id)
        if base is None:
            return -1
        hits = np.flatnonzero(self.visible == base)
        return int(hits[0]) if len(hits) else -1

    def set_ratings(self, track_ids, stars: int) -> None:
        """Show ``stars`` (0: none) as the rating of these tracks, as the library now holds it:
        in place, so the selection, the current row and the scroll stay where the person
        rated (a reload of the whole library reset them). The order stays too, as it does
        when a tag changes: the rows do not jump away from under the person."""
        at = self.data_.positions(list(track_ids))
        at = at[at >= 0]
        if not len(at):
            return
        self.data_.numbers["rating"][at] = min(max(int(stars), 0), 5)
        rows = np.flatnonzero(np.isin(self.visible, at))
        column = [k for k, _ in COLUMNS].index("rating")
        if len(rows):
            self.dataChanged.emit(self.index(int(rows[0]), column), self.index(int(rows[-1]), column),
                                  [Qt.DisplayRole])

    def set_playing(self, track_id: int | None) -> None:
        for tid in (self.playing_id, track_id):
            row = self.row_of(tid) if tid is not None else -1
            self.playing_id = track_id
            if row >= 0:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1), [Qt.FontRole])

    # -- Qt model API --------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.visible)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=_DISPLAY):
        if orientation == _HORIZONTAL and role == _DISPLAY:
            return COLUMNS[section][1]
        if orientation == _HORIZONTAL and role == _ALIGNMENT and COLUMNS[section][0] in _NUMBERS:
            return _RIGHT
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role=_DISPLAY):
        if not index.isValid():
            return None
        i = int(self.visible[index.row()])
        key = COLUMNS[index.column()][0]
        if role == _DISPLAY:
            if key in _TEXT:
                return self.data_.text[key][i]
            if key == "duration":
                return format_duration(float(self.data_.numbers["duration"][i]))
            if key == "composer":
                composers = self.data_.text.get("composer")
                return composers[i] if composers is not None else ""
            if key == "rating":
                return STARS * int(self.data_.numbers["rating"][i])
            value = int(self.data_.numbers[key][i])
            zeros = self.data_.numbers.get("track_zero") if key == "track_no" else None
            zero = zeros is not None and bool(zeros[i])
            if key == "track_no" and (value or zero):
                disc = int(self.data_.numbers["disc"][i]) if "disc" in self.data_.numbers else 0
                if disc:
                    return f"{disc}-{value:02d}"      # (as a set's CDs and its booklet number them)
            return str(value) if value or zero else ""
        if role == _ALIGNMENT and key in _NUMBERS:
            return _RIGHT
        if role == _FONT and self.playing_id is not None and int(self.data_.ids[i]) == self.playing_id:
            return self._bold
        if role == TRACK_ID_ROLE:
            return int(self.data_.ids[i])
        if role == _FOREGROUND and i in self._away_at:
            # (read each time: the theme may change while the disk stays away)
            return QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == _TOOLTIP:
            text = self.data_.text[key][i] if key in _SHOWN_TEXT and key in self.data_.text else ""
            file = self.data_.text["file"][i] if key == "title" and "file" in self.data_.text else ""
            away = not_connected(self._away_at[i]) if i in self._away_at else ""
            if away and file.endswith(f" {shown(self._away_at[i])}"):
                away = "Not connected now"      # (a file at the disk's top: its folder was named twice)
            lines = [text, _GUESSED_TIP[key] if text and self.data_.is_guessed(key, i) else "", file, away]
            return "\n".join(line for line in lines if line) or None
        if role == _FONT and key in _GUESSABLE and self.data_.is_guessed(key, i):
            return self._italic
        return None
