"""The "Up next" panel: the queue as it will play, reorderable, with "keep it going".

Every row is the queue entry it shows (``ENTRY_ROLE``), and the panel's signals name
entries, never row numbers: the queue moves on under the rows (a track ends, the filler
adds more), so a click, a menu or a drag acts on the entry the person saw, taken when
the gesture began (the player skips entries no longer queued).

The rows are a model over the queue's entries, not one widget item per entry: a queue
of 20,000 tracks is one list of references, a song ending takes one row away, and the
titles, artists and reasons are looked up only for the rows drawn.
"""

from __future__ import annotations

import operator
from itertools import compress, islice, repeat
from typing import Callable

from PySide6.QtCore import (
    QAbstractListModel, QEvent, QItemSelection, QItemSelectionModel, QMimeData, QModelIndex, Qt, QTimer, Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from player.audio.queue import by_identity
from player.library.search import typed_form
from player.ui.announce import announce
from player.ui.never_menu import add_never_actions
from player.ui.playlist_menu import add_playlist_menu
from player.ui.track_menu import add_rating_keys, add_rating_menu, add_show_in_folder, finder
from player.ui.two_line import REASON_ROLE, SUBTITLE_ROLE, TwoLineDelegate
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QMenu, QPushButton, QTableView, QVBoxLayout,
    QWidget,
)

QUEUE_MIME = "application/x-segue-queue-rows"
ENTRY_ROLE = Qt.UserRole + 1
TRACK_ROLE = int(Qt.ItemDataRole.UserRole)
# Why an entry is in Up next when the recommender gave no reason of its own.
PLAIN_REASONS = {"queue": "You added it", "library": "Next in the list you started",
                 "search": "Next among your search results", "radio": "On the radio station",
                 "up_next": "Picked to keep it going", "discover": "From Discover", "cli": "Queued from the terminal"}
PREFIX = {"radio": "Radio", "up_next": "Suggested", "discover": "Discover"}
# Past this many separate stretches of rows to take out or put in, the rows are moved in
# one go instead (each stretch is a signal every view and the selection handle; a shuffled
# add puts each new entry in a place of its own).
MAX_STRETCHES = 32
FEW_PLACES = 8       # rows pointed at (selection, current row) a reorder finds one by one

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
# A screen reader reads a row by these: the title alone said nothing of whose song it is or
# why it is there.
_SPOKEN = int(Qt.ItemDataRole.AccessibleTextRole)
_SPOKEN_WHY = int(Qt.ItemDataRole.AccessibleDescriptionRole)
_TEXT_ROLES = {_DISPLAY: 0, int(SUBTITLE_ROLE): 1, int(REASON_ROLE): 2, _TOOLTIP: 3, _SPOKEN: 4, _SPOKEN_WHY: 2}
_TEXT_ROLE_LIST = list(_TEXT_ROLES)
_ROW_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
              | Qt.ItemFlag.ItemNeverHasChildren)


def reason_line(source: str, reason: str) -> str:
    """The line under an Up next entry that says why it is there."""
    if not reason:
        return PLAIN_REASONS.get(source, "")
    prefix = PREFIX.get(source)
    return f"{prefix}: {reason}" if prefix else reason


def _unnamed(entry) -> tuple[str, str, str]:
    return f"track {entry.track_id}", "", ""


def alike(a, b, same=operator.is_) -> int:
    """How many leading items the iterables ``a`` and ``b`` share (by ``same``: the same
    objects unless told otherwise), compared at C speed in growing pieces: a queue of
    100,000 whose first entry changed is answered at the first, not after all of them."""
    a, b = iter(a), iter(b)
    shared, size = 0, 16
    while True:
        found = list(map(same, islice(a, size), islice(b, size)))
        try:
            return shared + found.index(False)
        except ValueError:
            shared += len(found)
        if len(found) < size:
            return shared
        size *= 4


def stretches(rows) -> list[tuple[int, int]]:
    """Increasing ``rows`` as (first, last) runs of neighbours."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def titles_starting(order: list[int], titles, value: str, hits: int, flags) -> list[int]:
    """The rows of ``order`` (their titles in ``titles``, alike in order) whose title starts
    with ``value``, at most ``hits`` of them (-1: all), case as ``flags`` say: a list's
    type-ahead search answered in one pass over the titles."""
    sensitive = bool(flags & Qt.MatchFlag.MatchCaseSensitive)
    wanted = typed_form(value, sensitive)
    found = []
    for row, title in zip(order, titles):
        if typed_form(title, sensitive).startswith(wanted):
            found.append(row)
            if hits != -1 and len(found) >= hits:
                break
    return found


class UpNextModel(QAbstractListModel):
    """Queue entries (anything with ``track_id`` and ``source``) as rows.

    ``describe(entry) -> (title, artist, reason)`` names a row when a view draws it (the
    recommender's ``reason``, or "" for the plain one); the answers are kept until the next
    :meth:`set_entries`, which asks again (a library reload renames tracks, a reason may
    come after its entry). ``titles(track_ids) -> [title, ...]``, where given, names many
    rows at once for typing to find a row (else each row is described in turn)."""

    def __init__(self, describe: Callable | None = None, parent=None, *, titles: Callable | None = None):
        super().__init__(parent)
        self.describe = describe or _unnamed
        self.titles = titles
        self._entries: list = []
        self._unique = True                      # no entry shown twice (rows can follow entries)
        # id() of each entry shown, while none is shown twice (else None): kept up to date by
        # the entries that change, a song ending read all 100,000 of a queue to build it anew.
        self._ids: set[int] | None = set()
        self._text: dict[int, tuple[str, str, str, str, str]] = {}   # id(entry) -> the row's texts, as drawn
        self._drag: tuple[int, list] = (0, [])    # (serial, entries) of the drag under way

    # -- what the views read ---------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def entries(self) -> list:
        return list(self._entries)

    def entry(self, row: int):
        return self._entries[row]

    def entries_at(self, rows) -> list:
        """The entries of ``rows``, in that order."""
        entries = self._entries
        return [entries[r] for r in rows]

    def entry_ids(self) -> frozenset[int]:
        """The id() of each entry shown, as they are now: a copy (the model's own set changes
        with the next :meth:`set_entries`, and a caller holding it saw the rows of later
        changes; it reads the whole list, :meth:`shown_ids` only the ids asked about)."""
        return frozenset(self._ids if self._ids is not None else map(id, self._entries))

    def shown_ids(self, ids) -> set[int]:
        """Those of ``ids`` (id() of entries) that a row shows now."""
        shown = self._ids if self._ids is not None else set(map(id, self._entries))
        return shown.intersection(ids)

    def shown_for(self, entries) -> list:
        """``entries``, each that a row now shows another entry for (a suggestion the person
        moved, now theirs: see :meth:`set_entries`) named by that one."""
        shown = self._entries
        was = list(map(getattr, shown, repeat("was"), repeat(None)))    # (at C speed: most have none)
        if was.count(None) == len(was):
            return list(entries)
        # (picked out at C speed too: once one moved suggestion stands in, every Delete and
        # move read all 100,000 rows in Python here)
        some = list(map(operator.is_not, was, repeat(None)))
        stand_in = dict(zip(map(id, compress(was, some)), compress(shown, some)))
        return [stand_in.get(id(e), e) for e in entries]

    def flags(self, index):
        return _ROW_FLAGS if index.isValid() else Qt.ItemFlag.ItemIsDropEnabled

    def data(self, index, role=_DISPLAY):
        row = index.row()
        if not index.isValid() or row >= len(self._entries):
            return None
        entry = self._entries[row]
        which = _TEXT_ROLES.get(role)
        if which is not None:
            return self._texts(entry)[which]
        if role == ENTRY_ROLE:
            return entry
        if role == TRACK_ROLE:
            return entry.track_id
        return None

    def _texts(self, entry) -> tuple[str, str, str, str, str]:
        known = self._text.get(id(entry))
        if known is None:
            title, artist, reason = self.describe(entry)
            why = reason_line(entry.source, reason)
            tip = "\n".join(x for x in (f"{title} — {artist}" if artist else title, why) if x)
            known = self._text[id(entry)] = (title, artist, why, tip, f"{title}, {artist}" if artist else title)
        return known

    def match(self, start, role, value, hits=1, flags=Qt.MatchFlag.MatchStartsWith | Qt.MatchFlag.MatchWrap):
        """Typing in the list finds the next title that starts with what was typed: all the
        titles in one call to ``titles``, not one row at a time (Qt's own search asks every
        row in turn, a third of a second for a miss among 20,000)."""
        if (role != _DISPLAY or not isinstance(value, str) or flags & Qt.MatchFlag.MatchRecursive
                or (flags & Qt.MatchFlag.MatchTypeMask) != Qt.MatchFlag.MatchStartsWith or not start.isValid()):
            return super().match(start, role, value, hits, flags)
        n, first = len(self._entries), start.row()
        order = list(range(first, n)) + (list(range(first)) if flags & Qt.MatchFlag.MatchWrap else [])
        if self.titles is not None:
            titles = self.titles([self._entries[r].track_id for r in order])
        else:
            titles = [self._texts(self._entries[r])[0] for r in order]
        return [self.index(row) for row in titles_starting(order, titles, value, hits, flags)]

    # -- the queue as it is now ------------------------------------------------
    def set_entries(self, entries: list) -> None:
        """Show ``entries`` (compared by identity) in this order.

        The rows of entries no longer queued are taken out, the new ones put in where they
        go, and a reorder moves the rows: a selection stays on the entries it was on, and
        a song ending costs one row, not the whole list. Every row's texts are asked for
        again when next drawn."""
        new = list(entries)
        old = self._entries
        self._text.clear()
        # Most changes touch one end or one stretch (a song ending, a refill, a removal):
        # what is alike at both ends is left alone (compared at C speed).
        head = alike(old, new)
        tail = min(alike(reversed(old), reversed(new)), min(len(old), len(new)) - head)
        old_part, new_part = old[head:len(old) - tail], new[head:len(new) - tail]
        if (self._unique and self._ids is not None and len(old_part) == len(new_part) > 1
                and by_identity(new_part) and set(old_part) == set(new_part)):
            # The same entries in another order (shuffle on or off): the rows move, and no set of
            # ids is built (a shuffle of 100,000 froze the window for a third of a second).
            # (None stands in for another: each is shown already.)
            self._reorder(head, new_part, same=True)
            self.dataChanged.emit(self.index(0), self.index(len(self._entries) - 1), _TEXT_ROLE_LIST)
            return
        gone, came = set(map(id, old_part)), set(map(id, new_part))
        was_unique = self._unique
        self._ids = self._ids_after(gone, came, len(new_part), new)
        self._unique = self._ids is not None
        if not (self._unique and was_unique):    # one entry twice: its rows could not be told apart
            self.beginResetModel()
            self._entries = new
            self.endResetModel()
            return
        if self._stand_in(head, old_part, new_part):
            head = alike(old, new)
            tail = min(alike(reversed(old), reversed(new)), min(len(old), len(new)) - head)
            old_part, new_part = old[head:len(old) - tail], new[head:len(new) - tail]
            gone, came = set(map(id, old_part)), set(map(id, new_part))
        self._replace(head, old_part, new_part, gone, came)
        if self._entries:
            self.dataChanged.emit(self.index(0), self.index(len(self._entries) - 1), _TEXT_ROLE_LIST)

    def _ids_after(self, gone: set[int], came: set[int], came_n: int, entries: list) -> set[int] | None:
        """The id() of each of ``entries`` (what is shown, the ids ``gone`` of a stretch of it
        replaced by ``came``, of ``came_n`` entries) where none is in it twice, else None: from
        the ids shown, changed by the stretch (the set of a whole queue took a tenth of a
        second at 100,000)."""
        ids = self._ids
        if ids is None:
            ids = set(map(id, entries))
            return ids if len(ids) == len(entries) else None
        if len(came) < came_n or not ids.isdisjoint(came - gone):
            return None
        if came == gone:                         # the same entries (a shuffle): the same ids
            return ids
        ids -= gone
        ids |= came
        return ids

    def _stand_in(self, at: int, old: list, new: list) -> bool:
        """Rows ``at..`` show ``old`` and are to show ``new``: an entry of ``new`` that stands in
        for one of ``old`` (a suggestion the person moved, now theirs: its ``was``) takes that
        row as it is, so the row, and a selection on it, stay with the song. So does the entry
        it stood in for, back in its place where the move is taken back (Ctrl+Z). Whether any
        did."""
        # Each entry's ``was`` read in one pass at C speed, and the set of ``new`` made only where
        # an entry of ``old`` stands in for another: adding a whole library of 100,000 songs,
        # none of them a stand-in, built that set and read each ``was`` in Python on the GUI
        # thread (the longest part of "select all + queue").
        new_was = list(map(getattr, new, repeat("was"), repeat(None)))
        old_was = list(map(getattr, old, repeat("was"), repeat(None)))
        in_new, in_old = new_was.count(None) < len(new_was), old_was.count(None) < len(old_was)
        if not (in_new or in_old):
            return False
        some = list(map(operator.is_not, new_was, repeat(None))) if in_new else []
        pairs = list(zip(compress(new, some), compress(new_was, some)))    # (C speed: a shuffle has all)
        if in_old:
            taken = set(map(id, new))
            pairs += [(was, e) for e, was in zip(old, old_was) if was is not None and id(was) in taken]
        if not pairs:
            return False
        rows = {id(e): r for r, e in enumerate(old, at)}
        took = False
        for e, was in pairs:
            row = rows.pop(id(was), None)
            if row is not None and id(e) not in rows:
                self._entries[row] = e
                took = True
        return took

    def _replace(self, at: int, old: list, new: list, old_set: set[int], new_set: set[int]) -> None:
        """Rows ``at..`` show ``old``; make them show ``new`` (no entry twice in either; their
        ids ``old_set`` and ``new_set``)."""
        if not new:                              # taken away (a song ending, Clear)
            if old:
                self.beginRemoveRows(QModelIndex(), at, at + len(old) - 1)
                del self._entries[at:at + len(old)]
                self.endRemoveRows()
            return
        if not old:                              # added (Add to Up next, a refill)
            self.beginInsertRows(QModelIndex(), at, at + len(new) - 1)
            self._entries[at:at] = new
            self.endInsertRows()
            return
        if new_set == old_set:                   # the same entries in another order (a shuffle)
            self._reorder(at, new)
            return
        gone = stretches([at + r for r, e in enumerate(old) if id(e) not in new_set])
        if len(gone) > MAX_STRETCHES:            # gathered at the end first: one stretch
            kept = [e for e in old if id(e) in new_set]
            self._reorder(at, kept + [e for e in old if id(e) not in new_set])
            gone = [(at + len(kept), at + len(old) - 1)]
        for first, last in reversed(gone):       # from the end: earlier rows keep their places
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._entries[first:last + 1]
            self.endRemoveRows()
        kept_order = [e for e in new if id(e) in old_set]
        if alike(self._entries[at:at + len(kept_order)], kept_order) < len(kept_order):
            self._reorder(at, kept_order)
        came = stretches([at + i for i, e in enumerate(new) if id(e) not in old_set])
        if len(came) > MAX_STRETCHES:            # in after the kept rows as one stretch, then into place
            end = at + len(kept_order)
            added = [e for e in new if id(e) not in old_set]
            self.beginInsertRows(QModelIndex(), end, end + len(added) - 1)
            self._entries[end:end] = added
            self.endInsertRows()
            self._reorder(at, new)
            return
        # The kept rows are in their new order: each stretch, in order, goes where it stays.
        for first, last in came:
            self.beginInsertRows(QModelIndex(), first, last)
            self._entries[first:first] = new[first - at:last - at + 1]
            self.endInsertRows()

    def _reorder(self, at: int, order: list, *, same: bool = False) -> None:
        """Rows ``at..`` show the same entries in ``order``: the rows move, and what pointed
        at a row (the selection, the current row) follows its entry. ``same``: each entry is
        shown once and goes by identity (see :func:`by_identity`)."""
        end = at + len(order)
        self.layoutAboutToBeChanged.emit()
        before, after = [], []
        persistent = self.persistentIndexList()
        moved = None
        if same and persistent:
            # The rows pointed at (the selection's ends, the current row) found in the new order
            # at C speed, not a map of all 100,000 rows built for them (50 ms): a few one by one,
            # more in one pass by the set of their entries (each look one by one scans up to all
            # the rows: 64 of them took longer than the map).
            rows = {row for row in (index.row() for index in persistent) if at <= row < end}
            if len(rows) <= FEW_PLACES:
                moved = {row: at + order.index(self._entries[row]) for row in rows}
            else:
                wanted = {self._entries[row] for row in rows}
                place = {id(order[i]): at + i for i in compress(range(len(order)), map(wanted.__contains__, order))}
                moved = {row: place[id(self._entries[row])] for row in rows}
        elif persistent and not self._unique:
            # One entry in several rows: each of them goes to its place in turn, the first
            # to the first (by identity alone, all went to the last of them).
            places: dict[int, list[int]] = {}
            for row, e in reversed(list(enumerate(order, at))):
                places.setdefault(id(e), []).append(row)
            moved = {row: places[id(self._entries[row])].pop() for row in range(at, end)}
        elif persistent:                         # (built at C speed: a shuffle moves every row)
            row_of = dict(zip(map(id, order), range(at, end)))
        for index in persistent:
            row = index.row()
            if at <= row < end:
                before.append(index)
                after.append(self.index(row_of[id(self._entries[row])] if moved is None else moved[row]))
        self._entries[at:end] = order
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def show_order(self, order: list) -> None:
        """Show the same entries in ``order`` (the rows move, and a selection with them);
        nothing where ``order`` holds other entries (the queue has changed meanwhile), or the
        same ones in other numbers (one shown twice where it was once). Only the stretch
        between what is alike at both ends moves: a key press moving one row of 100,000
        compared and moved them all."""
        shown, n = self._entries, len(self._entries)
        if len(order) != n:
            return
        head = alike(shown, order)
        if head == n:
            return
        if not self._unique:
            if sorted(map(id, order)) == sorted(map(id, shown)):
                self._reorder(0, list(order))
            return
        tail = min(alike(reversed(shown), reversed(order)), n - head)
        part = list(order[head:n - tail])
        if set(map(id, part)) == set(map(id, shown[head:n - tail])):
            self._reorder(head, part)

    # -- dragging rows ---------------------------------------------------------
    def mimeTypes(self) -> list[str]:
        return [QUEUE_MIME]

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def mimeData(self, indexes) -> QMimeData:
        """Remembers the dragged entries; the mime names this model and the drag (drops from
        elsewhere, or from an older drag, are refused)."""
        rows = sorted({i.row() for i in indexes if i.isValid()})
        self._drag = (self._drag[0] + 1, [self._entries[r] for r in rows])
        mime = QMimeData()
        mime.setData(QUEUE_MIME, f"{id(self)}:{self._drag[0]}".encode())
        return mime

    def take_drag(self, mime) -> list:
        """The entries of the drag ``mime`` carries, once; [] for anything else."""
        owner, _, serial = bytes(mime.data(QUEUE_MIME)).decode().partition(":")
        serial_now, dragged = self._drag
        if owner != str(id(self)) or serial != str(serial_now) or not dragged:
            return []
        self._drag = (serial_now, [])
        return dragged


class QueueList(QTableView):
    """A list whose drops ask the player to move an entry; the player's queue is the truth.

    A one-column table dressed as a list: a list view lays out every row whenever rows
    come or go, asking the model about each (tens of milliseconds at 20,000 entries, on
    every song change), where a table's rows are all one height and only the rows drawn
    are asked about."""

    # (lists as Python objects: a "list" signal copies each entry into a Qt list and back,
    # tens of milliseconds for an Up next of 100,000 songs selected)
    move_requested = Signal(object, object)  # dragged entries, the entries shown after the drop point

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.InternalMove)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)          # Tab leaves the list, as from any list
        self.setCornerButtonEnabled(False)
        self.horizontalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.Fixed)
        self.setItemDelegate(TwoLineDelegate(self, reasons=True))
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Every row as tall as the delegate draws one (three lines of this font)."""
        rows = self.verticalHeader()
        height = self.itemDelegate().height_for(self.fontMetrics())
        rows.setMinimumSectionSize(min(rows.minimumSectionSize(), height))
        rows.setDefaultSectionSize(height)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.FontChange, QEvent.StyleChange):
            self._fit_rows()

    def moveCursor(self, action, modifiers):
        """The keys move as they do in a list: Home and End go to the first and the last row
        (in a table they go along the row), a page is the rows that fit in view less one."""
        n = self.model().rowCount()
        if n and action in (QAbstractItemView.MoveHome, QAbstractItemView.MoveEnd):
            return self.model().index(0 if action == QAbstractItemView.MoveHome else n - 1, 0)
        current = self.currentIndex()
        if n and current.isValid() and action in (QAbstractItemView.MovePageUp, QAbstractItemView.MovePageDown):
            height = max(1, self.rowHeight(current.row()))
            step = max(1, self.viewport().height() // height - 1)
            row = current.row() + (step if action == QAbstractItemView.MovePageDown else -step)
            return self.model().index(min(max(row, 0), n - 1), 0)
        return super().moveCursor(action, modifiers)

    def drop_insert_position(self, pos) -> int:
        """Where, in the list as it is, an item dropped at ``pos`` goes (0..count)."""
        index = self.indexAt(pos)
        if not index.isValid():
            return self.model().rowCount()
        rect = self.visualRect(index)
        return index.row() + 1 if pos.y() > rect.center().y() else index.row()

    def dropEvent(self, event) -> None:
        model = self.model()
        dragged = model.take_drag(event.mimeData())
        if not dragged:
            event.ignore()
            return
        insert_at = self.drop_insert_position(event.position().toPoint())
        moving = {id(e) for e in dragged}
        after = [e for e in model.entries()[insert_at:] if id(e) not in moving]
        event.setDropAction(Qt.IgnoreAction)    # the rows follow the player's queue
        event.accept()
        self.move_requested.emit(dragged, after)


def _length_text(seconds: float) -> str:
    """How long Up next plays as its title's neighbour says it: "1:12:05", whole hours from
    ten ("12 h", "5,120 h": the minutes of so long say little, and their room beside a long
    title's count was the width Up next keeps at its narrowest), "" for nothing known."""
    if not 0 < seconds < float("inf"):
        return ""
    if seconds >= 10 * 3600:
        return f"{round(seconds / 3600):,} h"
    # (as the library's Length column, library_model.format_duration: that module imports this one)
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class UpNextPanel(QWidget):
    play_entry = Signal(object)        # the entry to play now
    remove_entries = Signal(object)    # the entries to take out (a list, as the list view's move_requested)
    clear = Signal()
    put_back = Signal()                # undo the latest move, Remove or Clear
    # entries to move, entries they go before (first still queued), whether it is another
    # step of the move before (the next stretch of the rows one key press moves: undone together)
    move = Signal(object, object, bool)
    keep_going_changed = Signal(bool)
    radio_requested = Signal(int, str)  # track id, the entry's source
    save_requested = Signal()          # save the track playing and Up next as a playlist
    never_suggest = Signal(int, str)   # track id, "song" or "artist" (see player.ui.never_menu)
    rate_requested = Signal(object, int)    # track ids, stars (0: no rating)
    add_to_playlist_requested = Signal(object, object)   # track ids, playlist id (None: a new one)

    def __init__(self, parent=None, *, describe: Callable | None = None):
        """``describe(entry) -> (title, artist, reason)``: see :class:`UpNextModel`."""
        super().__init__(parent)
        self.header = QLabel("Up next")
        self.header.setObjectName("panelTitle")
        self.keep_going = QCheckBox("Keep it going")
        self.keep_going.setToolTip("When the queue runs low, add tracks picked for this session")
        self.clear_btn = QPushButton("Clear")
        self.clear_btn.setToolTip("Remove everything from Up next")
        self.save_btn = QPushButton("Save…")
        self.save_btn.setToolTip("Save the track playing and Up next as a playlist (Ctrl+Shift+S)")
        self.rows = UpNextModel(describe, self)
        #: ``artist_of(track_id) -> str | None``: the artist its menu offers never to suggest
        self.artist_of: Callable | None = None
        #: ``rating_of(track_id) -> int | None``: the stars its menu shows checked
        self.rating_of: Callable | None = None
        #: ``path_of(track_id) -> str | None``, on a worker thread: the file "Show in folder" opens at
        self.path_of: Callable | None = None
        #: ``length_of(track_ids) -> (seconds, whole)``: how long those tracks play together,
        #: as far as known, and whether each one's length is known
        self.length_of: Callable | None = None
        # How long Up next plays, beside its title, as Quod Libet's queue and Rhythmbox's show
        # it: a host who queued the evening's songs sees when they run out.
        self.length = QLabel("")
        self.length.setObjectName("hint")
        self.length.setToolTip("How long Up next plays")
        # Shown only with a length to show: empty, it still took a layout gap beside the title
        # from the library, whose columns then gave way at a width where they fitted before.
        self.length.hide()
        # Summed once the changes rest: with a whole library queued the sum takes some 20 ms,
        # and a skip or a shuffle changes Up next several times in a row.
        self._length_later = QTimer(self, singleShot=True, interval=150)
        self._length_later.timeout.connect(self._show_length)
        self._playlists: list[tuple[int, str]] = []
        # The ids of the entries asked to leave and still shown (the player's queue has not
        # come back without them yet): no row goes to one of them in their place.
        self._leaving: set[int] = set()
        self.list = QueueList()
        self.list.setModel(self.rows)
        self.list.setAccessibleName("Up next")
        self.empty_hint = QLabel("Nothing queued.\nRight-click tracks to add them,\nor turn on Keep it going.")
        self.empty_hint.setAlignment(Qt.AlignCenter)
        self.empty_hint.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addWidget(self.length)
        top.addStretch(1)
        top.addWidget(self.save_btn)
        top.addWidget(self.clear_btn)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.keep_going)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_hint)

        self.clear_btn.clicked.connect(self.clear)
        self.save_btn.clicked.connect(self.save_requested)
        self.keep_going.toggled.connect(self.keep_going_changed)
        self.list.move_requested.connect(lambda entries, before: self.move.emit(entries, before, False))
        self.list.activated.connect(lambda index: self.play_entry.emit(index.data(ENTRY_ROLE)))
        self.list.setContextMenuPolicy(Qt.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        # Reordered from the keyboard as a playlist's songs are (a drag needs a mouse): the
        # keys act in the list only, and Ctrl+Up/Down stay the window's volume keys.
        self.rate_keys = add_rating_keys(self.list, lambda: [e.track_id for e in self._selected_entries()],
                                         self.rate_requested.emit)
        self.move_up = QAction("Move up", self.list, shortcut=QKeySequence("Alt+Up"),
                               shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected(-1))
        self.move_down = QAction("Move down", self.list, shortcut=QKeySequence("Alt+Down"),
                                 shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected(1))
        # "Play next" and "Move to end", as the other lists of songs offer them for Up next:
        # here the songs are queued already, so they move, the chosen ones in their order.
        self.to_top = QAction("Play next", self.list, shortcut=QKeySequence("Alt+Home"),
                              shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected_to(end=False))
        self.to_end = QAction("Move to end", self.list, shortcut=QKeySequence("Alt+End"),
                              shortcutContext=Qt.WidgetShortcut, triggered=lambda: self.move_selected_to(end=True))
        self.list.addActions([self.move_up, self.move_down, self.to_top, self.to_end])
        # Where a move left the songs is said once the keys rest (see _say): a held Alt+Down
        # repeats, and a polite announcement for each step queued up behind one another, the
        # reader still counting places long after the key was let go.
        self._words = ""
        self._say_later = QTimer(self, singleShot=True, interval=250)
        self._say_later.timeout.connect(lambda: announce(self.list, self._words))
        # Ctrl+Z takes back the latest move (a drag dropped in the wrong place) or puts back what
        # Remove or Clear took out, one at a time, the latest first: anywhere in the panel
        # (Clear leaves the keyboard on its button, and the list may be empty then).
        self.undo = QAction("Undo", self, shortcut=QKeySequence.Undo, shortcutContext=Qt.WidgetWithChildrenShortcut,
                            triggered=lambda: self.put_back.emit())
        self.addAction(self.undo)
        self.set_entries([])

    def set_describer(self, describe: Callable, titles: Callable | None = None) -> None:
        """How rows are named from now on (the next :meth:`set_entries` asks it); ``titles``:
        see :class:`UpNextModel`."""
        self.rows.describe = describe
        self.rows.titles = titles

    def _selected_entries(self) -> list:
        # From the selection's row ranges: ``selectedRows`` makes an index for every selected
        # row and asks the model about each (a quarter of a second for 40,000 rows).
        rows: set[int] = set()
        for part in self.list.selectionModel().selection():
            rows.update(range(part.top(), part.bottom() + 1))
        return self.rows.entries_at(sorted(rows))

    def _chosen_entries(self) -> list:
        """What the keys act on: the selected entries, else the row the keyboard is on (drawn
        with the focus frame) while the list has the keyboard. Tab into Up next puts the
        keyboard on a row without selecting it, and Delete or Alt+Down did nothing there."""
        chosen = self._selected_entries()
        current = self.list.currentIndex()
        if not chosen and current.isValid() and self.list.hasFocus():
            chosen = [self.rows.entry(current.row())]
        return chosen

    def move_selected(self, step: int, entries: list | None = None) -> None:
        """Move the chosen entries (see :meth:`_chosen_entries`; or ``entries``) one place up
        (``step`` -1) or down (+1), together; one already at the end it moves towards stays,
        and the others close up to it. Asked of the player as moves of entries, as a drop is:
        each stretch of them goes before the entry that follows it in the new order (the
        lowest stretch first, so that the ones above find theirs in place)."""
        chosen = {id(e) for e in (self._chosen_entries() if entries is None else self.rows.shown_for(entries))}
        if not chosen:
            return
        order = self.rows.entries()
        # Only the chosen rows are visited (found at C speed): a key press on a queue of
        # 100,000 went through every row in Python.
        flags = list(map(chosen.__contains__, map(id, order)))
        rows = list(compress(range(len(order)), flags))
        swapped = False
        for i in (rows if step < 0 else reversed(rows)):
            j = i + step
            if 0 <= j < len(order) and not flags[j]:
                order[i], order[j], flags[i], flags[j] = order[j], order[i], flags[j], flags[i]
                swapped = True
        if not swapped:
            # Said, as the row moved is: the key did something, it did not go unheard.
            self._say("Already at the top" if step < 0 else "Already at the end", instead=False)
            return
        runs = stretches(list(compress(range(len(order)), flags)))
        for n, (first, last) in enumerate(reversed(runs)):
            self.move.emit(order[first:last + 1], order[last + 1:], n > 0)
        self._moved(order, entries is None, chosen)

    def move_selected_to(self, *, end: bool, entries: list | None = None) -> None:
        """Move the chosen entries (or ``entries``), in their order as shown, to the top of
        Up next (``end`` False: they play next) or to its end; asked of the player as a drop is."""
        # (the rows chosen and the rest found at C speed: in Python, a move to the top of a
        # queue of 100,000 held the window for a tenth of a second)
        shown = self.rows.entries()
        if entries is None:
            chosen = self._chosen_entries()
        else:
            picked = {id(e) for e in self.rows.shown_for(entries)}
            chosen = list(compress(shown, map(picked.__contains__, map(id, shown))))
        if not chosen:
            return
        picked = {id(e) for e in chosen}
        rest = list(compress(shown, map(operator.not_, map(picked.__contains__, map(id, shown)))))
        self.move.emit(chosen, [] if end else rest, False)
        self._moved(rest + chosen if end else chosen + rest, entries is None, picked)

    def _moved(self, order: list, keys: bool, moved: set[int]) -> None:
        """Show the rows in ``order`` at once, the move just asked of the player: a key pressed
        again before the player has made it (held down, it repeats) works on from there, not
        from the rows as they were, which asked for the same move twice. The player's queue,
        when it comes, is the truth (:meth:`set_entries` shows it). From the keys (``keys``),
        the row the keyboard is on is scrolled into view: Alt+End on a long Up next took the
        rows out of sight, and the next Alt+Up moved rows the person could not see.

        Where the first of the entries moved (ids in ``moved``) now is, is said to a screen
        reader ("Moved to 3 of 12"): the row the keyboard is on is the same song, so a reader
        said nothing, and a person who cannot see the list did not know where it went."""
        self.rows.show_order(order)
        if keys and self.list.currentIndex().isValid():
            self.list.scrollTo(self.list.currentIndex())
        flags = list(map(moved.__contains__, map(id, order)))
        if True in flags:
            at, count = flags.index(True), flags.count(True)
            what = "Moved" if count == 1 else f"Moved {count} songs"
            self._say(f"{what} to {at + 1} of {len(order)}")

    def _say(self, words: str, *, instead: bool = True) -> None:
        """Have a screen reader say ``words`` once no move has come for a moment, in place of
        what an earlier one would have said: a key pressed once is said once, and a key held
        down (it repeats, moving the songs on) is said where it stopped, not at every step.
        Not ``instead`` of words still to be said: held down until the song reached the end,
        the place it got to is said, not only that it could go no further."""
        if instead or not self._say_later.isActive():
            self._words = words
        self._say_later.start()

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.Delete) or event.key() == Qt.Key_Backspace:
            entries = self._chosen_entries()
            if entries:
                self.remove(entries)
                return
        super().keyPressEvent(event)

    def remove(self, entries: list) -> None:
        """Ask for ``entries`` to leave Up next, and make the row that takes the place of the
        first of them (the one before it where none follows) the current and selected one, as
        in a playlist: the next Delete removes it, with no choosing again. At once, not once
        the player has taken them out: Delete pressed again meanwhile (held down, it repeats)
        asked for the same songs again, and the row after them stayed."""
        gone = {id(e) for e in self.rows.shown_for(entries)}
        order = self.rows.entries()
        first = next((r for r, e in enumerate(order) if id(e) in gone), None)
        if first is not None:
            self._leaving |= gone
            leaving = self._leaving
            after = (e for e in order[first:] if id(e) not in leaving)
            before = (e for e in reversed(order[:first]) if id(e) not in leaving)
            target = next(after, None) or next(before, None)
            if target is not None:
                self.choose([target])
            else:
                self.list.clearSelection()
        self.remove_entries.emit(entries)

    def removal_answered(self, entries: list) -> None:
        """The player has answered the removal of ``entries``: those of them still shown did
        not leave (refused, or put back by Ctrl+Z before the window showed them gone), and are
        rows as any other again. Else a song so kept was passed over for good by the row a
        Delete chooses, as one still on its way out."""
        if self._leaving:
            self._leaving -= {id(e) for e in self.rows.shown_for(entries)}

    def choose(self, entries: list) -> None:
        """Make the rows of ``entries`` (those still shown) the selected ones, the first of
        them current and in view."""
        wanted = {id(e) for e in self.rows.shown_for(entries)}
        shown = self.rows.entries()     # (the rows found at C speed: 100,000 in Python took 50 ms)
        rows = list(compress(range(len(shown)), map(wanted.__contains__, map(id, shown))))
        if not rows:
            return
        selection = QItemSelection()
        for first, last in stretches(rows):
            selection.select(self.rows.index(first, 0), self.rows.index(last, 0))
        chosen = self.list.selectionModel()
        chosen.setCurrentIndex(self.rows.index(rows[0], 0), QItemSelectionModel.NoUpdate)
        chosen.select(selection, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        self.list.scrollTo(self.rows.index(rows[0], 0))

    def _menu(self, pos) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            return
        entry = index.data(ENTRY_ROLE)
        selected = self._selected_entries() if self.list.selectionModel().isSelected(index) else []
        if not selected:
            self.list.setCurrentIndex(index)     # what Play next and the moves act on, as Remove does
        # Every item acts on the songs chosen as the menu opens, as Remove does: the list may
        # change while the menu is open (a song ends, a refill lands), and the moves read from
        # the selection then would act on whatever it holds by that time.
        chosen = selected or [entry]
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)    # (else each right-click leaves one, window and all)

        def chosen_action(action: QAction, act) -> QAction:
            """The list's move ``action`` as the menu shows it (its text and key), on ``chosen``."""
            item = QAction(action.text(), menu, shortcut=action.shortcut(), shortcutContext=Qt.WidgetShortcut)
            item.triggered.connect(act)
            return item

        menu.addAction("Play now", lambda: self.play_entry.emit(entry))
        menu.addAction(chosen_action(self.to_top, lambda: self.move_selected_to(end=False, entries=chosen)))
        menu.addAction("Start radio from this song", lambda: self.radio_requested.emit(entry.track_id, entry.source))
        add_playlist_menu(menu, self._playlists, [e.track_id for e in selected or [entry]],
                          self.add_to_playlist_requested.emit)
        add_show_in_folder(menu, finder(self.path_of, entry.track_id))
        add_rating_menu(menu, [e.track_id for e in chosen], self.rate_requested.emit, self.rating_of)
        menu.addSeparator()
        menu.addAction("Remove from Up next", lambda: self.remove(chosen))
        menu.addActions([chosen_action(self.move_up, lambda: self.move_selected(-1, chosen)),
                         chosen_action(self.move_down, lambda: self.move_selected(1, chosen)),
                         chosen_action(self.to_end, lambda: self.move_selected_to(end=True, entries=chosen))])
        menu.addSeparator()
        add_never_actions(menu, entry.track_id, self.artist_of, self.never_suggest.emit)
        self.last_menu = menu
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def set_playlists(self, playlists: list[tuple[int, str]]) -> None:
        """``(id, name)`` of the playlists offered by "Add to playlist"."""
        self._playlists = list(playlists)

    def set_entries(self, entries: list) -> None:
        """The queue's entries in play order (each with ``track_id`` and ``source``): only
        the rows that changed are taken out or put in (see :meth:`UpNextModel.set_entries`),
        and the names are looked up for the rows drawn."""
        self.rows.set_entries(entries)
        if self._leaving:
            self._leaving = self.rows.shown_ids(self._leaving)
        n = self.rows.rowCount()
        self.empty_hint.setVisible(not n)
        self.clear_btn.setEnabled(bool(n))
        self.header.setText(f"Up next ({n})" if n else "Up next")
        if n:
            self._length_later.start()
        else:
            self._show_length()

    def _show_length(self) -> None:
        """Show how long the rows shown play in all (see :attr:`length_of`), nothing when Up
        next is empty."""
        entries = self.rows.entries()
        # (the ids at C speed: Up next may hold a whole library)
        seconds, whole = self.length_of(list(map(operator.attrgetter("track_id"), entries))) \
            if entries and self.length_of is not None else (0.0, True)
        text = _length_text(seconds)
        # A length not known shows as "+" (at least that): "at least " beside the title held
        # Up next some 45 px wider than it could be; a reader and the tooltip say it in words.
        self.length.setText(text if whole or not text else f"{text}+")
        self.length.setVisible(bool(text))
        self.length.setToolTip("How long Up next plays" if whole or not text
                               else "Up next plays at least this long: some lengths are not known yet")
        # (cleared with the text: Up next emptied, a reader still said how long it played)
        said = f"{text[:-2]} hours" if text.endswith(" h") else text
        self.length.setAccessibleName(f"Up next plays {'' if whole else 'at least '}{said}" if text else "")

    def track_ids(self) -> list[int]:
        return [e.track_id for e in self.rows.entries()]
