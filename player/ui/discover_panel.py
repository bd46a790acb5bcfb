"""The "Discover" panel: one row of tracks per genre bucket, each with a play button."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from player.recommendations import genre_title
from player.ui.elided_label import ElidedLabel
from player.ui.icons import is_palette_change, palette_icon
from player.ui.never_menu import add_never_actions
from player.ui.playlist_menu import add_playlist_menu
from player.ui.track_menu import add_queue_actions, add_rating_menu, add_show_in_folder, finder
from player.ui.two_line import REASON_ROLE, SUBTITLE_ROLE, TwoLineDelegate
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu,
    QPushButton, QScrollArea, QSizePolicy, QStyle, QToolButton, QVBoxLayout, QWidget,
)

TILE_WIDTH = 170             # a tile's width at the usual font size; wider at a larger font
TILE_CHARS = 28              # how many average characters of the font a tile holds across


def tile_width(metrics) -> int:
    """A tile's width in the font of ``metrics``: as many characters across at any font size
    (a fixed 170 px showed three or four words of a title at a large font)."""
    return max(TILE_WIDTH, TILE_CHARS * metrics.averageCharWidth())
GENRE_CHARS = 8              # room a genre's name keeps in the narrowest row, in characters


def tile_reason(bucket: str, reason: str) -> str:
    """The reason as a tile shows it: without the row's own genre in front ("Rock: not played
    yet" under the heading "Rock"), which would take most of a tile's short line."""
    for name in (bucket, genre_title(bucket)) if bucket else ():
        head = f"{name}: ".casefold()
        if reason[:len(head)].casefold() == head:
            return reason[len(head):]
    return reason


class BucketRow(QFrame):
    """A bucket: its name, a play button, and its tracks side by side."""

    play = Signal(str, list, int)       # bucket, track ids, start index
    radio_requested = Signal(int)
    never_suggest = Signal(int, str)    # track id, "song" or "artist" (see player.ui.never_menu)
    rate_requested = Signal(object, int)    # track ids, stars (0: no rating)
    enqueue_requested = Signal(list)    # track ids
    play_next_requested = Signal(list)  # track ids
    add_to_playlist_requested = Signal(list, object)   # track ids, playlist id (None: a new one)

    def __init__(self, bucket: str, entries: list[tuple[int, str, str, str]], parent=None):
        super().__init__(parent)
        self.ids = [e[0] for e in entries]
        self.artist_of = None           # ``artist_of(track_id) -> str | None``, for the menu
        self.rating_of = None           # ``rating_of(track_id) -> int | None``: the stars the menu checks
        self.path_of = None             # ``path_of(track_id) -> str | None`` (worker thread), for the menu
        self.playlists: list[tuple[int, str]] = []     # ``(id, name)`` offered by "Add to playlist"
        # A long genre tag is cut short with "…", the whole of it in the tooltip (a plain
        # label was clipped mid-letter at the row's end); a short one is as wide as it is.
        self.title = title = ElidedLabel(least_chars=GENRE_CHARS, fit_short=True)
        title.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        title.setObjectName("bucketTitle")
        # What the row says of its genre, once ("you played it 88 times", "new to you"), in
        # the heading's line: on every tile it said the same thing fourteen times.
        self.caption = ElidedLabel()
        self.caption.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.caption.setObjectName("hint")
        self.play_btn = QToolButton()
        self.play_btn.setIcon(palette_icon(QStyle.SP_MediaPlay, self.palette()))
        self.play_btn.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.play_btn.setAutoRaise(True)
        self.list = QListWidget()
        self.set_bucket(bucket, "")
        self.list.setFlow(QListWidget.LeftToRight)
        self.list.setWrapping(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setSpacing(3)
        # Title, artist, and why the track is offered: the tooltip alone reached nobody on a
        # touchpad or a keyboard.
        width = tile_width(self.list.fontMetrics())
        delegate = TwoLineDelegate(self.list, width=width, reasons=True)
        self.list.setItemDelegate(delegate)
        self.tile = QSize(width, delegate.height_for(self.list.fontMetrics()))
        self.set_bar_room(True)
        self.set_entries(entries)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(self.caption)
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

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if is_palette_change(event) and hasattr(self, "play_btn"):
            # The style's play icon is dark on any palette: drawn in the palette's text colour.
            self.play_btn.setIcon(palette_icon(QStyle.SP_MediaPlay, self.palette()))

    def bar_height(self) -> int:
        """The height of the list's scroll bar in the style it is drawn in."""
        return self.list.horizontalScrollBar().sizeHint().height()

    def set_bar_room(self, room: bool) -> None:
        """Make the list as tall as its tiles, and with ``room`` as much again as its scroll bar
        takes, so that the bar showing up neither covers the tiles nor makes the row taller."""
        self.list.setFixedHeight(self.tile.height() + 2 * self.list.spacing() + 2 * self.list.frameWidth()
                                 + (self.bar_height() if room else 0))

    def set_bucket(self, bucket: str, caption: str = "") -> None:
        """Show the genre ``bucket`` and what is said of it, ``caption`` (a row shown before is
        filled anew with another one)."""
        self.bucket = bucket
        name = genre_title(bucket)
        self.title.setText(name)
        self.caption.setText(f"· {caption}" if caption else "")
        self.caption.setVisible(bool(caption))
        # Read without the dot, which is only there to the eye; and with the row's tiles.
        self.caption.setAccessibleName(caption)
        self.list.setAccessibleDescription(caption)
        # "Play" beside the name: the name a second time on the button ("Play Rock") took a
        # long genre's row twice over. Its tooltip and a screen reader still say which.
        self.play_btn.setText("Play")
        self.play_btn.setToolTip(f"Play {name}")
        self.play_btn.setAccessibleName(f"Play {name}")
        # Every row's list looked alike to a screen reader: each is named by its genre.
        self.list.setAccessibleName(name)

    def set_entries(self, entries: list[tuple[int, str, str, str]]) -> None:
        """``[(track_id, title, artist, reason), ...]``, in place of the tracks shown."""
        self.ids = [e[0] for e in entries]
        self.list.clear()
        for track_id, track_title, artist, reason in entries:
            item = QListWidgetItem(track_title)
            item.setData(SUBTITLE_ROLE, artist)
            item.setData(REASON_ROLE, tile_reason(self.bucket, reason))
            item.setSizeHint(self.tile)
            item.setData(Qt.UserRole, track_id)
            item.setToolTip(f"{track_title} — {artist}\n{reason}" if reason else f"{track_title} — {artist}")
            # Read out by a screen reader: the artist and the reason, as the tile shows them.
            item.setData(Qt.AccessibleTextRole, f"{track_title}, {artist}" if artist else track_title)
            item.setData(Qt.AccessibleDescriptionRole, tile_reason(self.bucket, reason))
            self.list.addItem(item)

    def _menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        row = self.list.row(item)
        # The row's tracks as the menu opened on them: rows that arrive while it is open fill
        # this widget with another genre's, and its actions would have played those.
        bucket, ids = self.bucket, list(self.ids)
        menu = QMenu(self)
        menu.setAttribute(Qt.WA_DeleteOnClose)    # (else each right-click leaves one, window and all)
        menu.addAction("Play from here", lambda: self.play.emit(bucket, ids, row))
        add_queue_actions(menu, [ids[row]], self.play_next_requested.emit, self.enqueue_requested.emit)
        add_playlist_menu(menu, self.playlists, [ids[row]], self.add_to_playlist_requested.emit)
        add_show_in_folder(menu, finder(self.path_of, ids[row]))
        add_rating_menu(menu, [ids[row]], self.rate_requested.emit, self.rating_of)
        menu.addSeparator()
        menu.addAction("Start radio from this song", lambda: self.radio_requested.emit(ids[row]))
        menu.addSeparator()
        add_never_actions(menu, ids[row], self.artist_of, self.never_suggest.emit)
        self.last_menu = menu
        menu.popup(self.list.viewport().mapToGlobal(pos))


class _RowArea(QWidget):
    """The panel's room for its rows: as tall as all of them, holding widgets only for those
    in view. Calls ``placed`` whenever it moves or changes size."""

    def __init__(self, placed, parent=None):
        super().__init__(parent)
        self._placed = placed

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._placed()

    def moveEvent(self, event) -> None:
        super().moveEvent(event)
        self._placed()


class DiscoverPanel(QScrollArea):
    """One row per genre; only the rows in view (and one either side) are widgets.

    A library with a thousand genre tags has a thousand rows: as a thousand widgets, each
    with its own list, every resize of the window laid all of them out again (over a tenth
    of a second) and every switch to the tab showed them all (a quarter of a second). A
    row's height follows from its number of tiles alone (with room for a scroll bar or
    without), so the panel keeps room for every row and fills the few row widgets it has
    with the rows that scroll into view."""

    play = Signal(str, list, int)
    radio_requested = Signal(int)
    refresh_requested = Signal()
    enqueue_requested = Signal(list)    # track ids
    play_next_requested = Signal(list)  # track ids
    add_to_playlist_requested = Signal(list, object)   # track ids, playlist id (None: a new one)
    never_suggest = Signal(int, str)
    rate_requested = Signal(object, int)

    #: Row widgets made new in one turn of the event loop; the rest of those in view are made
    #: on the turns that follow, the rows in view before the one either side. Each is a list,
    #: a heading and a button to make, style, lay out and draw: the seven rows in view at the
    #: window's usual size, made at once, held the window 120 to 220 ms, where it should never
    #: wait more than about 50. A row not made yet is left blank at its place meanwhile.
    ROWS_PER_TURN = 1

    def __init__(self, parent=None):
        super().__init__(parent)
        #: ``artist_of(track_id) -> str | None``: the artist a tile's menu offers never to suggest
        self.artist_of = None
        #: ``rating_of(track_id) -> int | None``: the stars a tile's menu shows checked
        self.rating_of = None
        #: ``path_of(track_id) -> str | None``, on a worker thread: the file "Show in folder" opens at
        self.path_of = None
        self._playlists: list[tuple[int, str]] = []
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        # A Tab stop (the arrow keys scroll the rows): without a name a screen reader said nothing there.
        self.setAccessibleName("Discover")
        #: Every row, in order: ``(bucket, [(track_id, title, artist, reason), ...])``.
        self.buckets: list[tuple[str, list]] = []
        self.captions: dict[str, str] = {}          # bucket -> what its row says of the genre
        self._shown: dict[int, BucketRow] = {}     # row number -> the widget showing it
        self._bare = 0                               # a row's height and the gap below it, no scroll bar
        self._bar = 0                                # the room a row's scroll bar takes
        self._across = -1                            # how many tiles fit across a row
        self._bar_room: list[bool] = []              # for each row, whether it has its bar's room
        self._tops = [0]                             # where each row starts, and where the last ends
        self._step = 0                               # a tile's width and its spacing either side
        self._frame = 0                              # the width of a row's list's frame
        self._placing = False
        # The next turn of the event loop, with the rows in view still to make. Rows are counted
        # by turn, not by call: the layout that a new row sets off calls for the next in the
        # same turn.
        self._made = 0                               # row widgets made new in this turn
        self._missing = 0                            # rows in view left without a widget for now
        self._more = QTimer(self, singleShot=True, interval=0)
        self._more.timeout.connect(self._next_turn)
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(12, 8, 12, 8)
        head = QHBoxLayout()
        intro = QLabel("Discover — your genres and some new to you; tracks you haven't played come first.")
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
        self._area = _RowArea(self._place)
        self._area.setFixedHeight(0)
        self._area.hide()
        self._layout.addWidget(self._area)
        self._layout.addStretch(1)
        self.setWidget(self._body)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    @property
    def rows(self) -> list[BucketRow]:
        """The row widgets there are now, top down: those in view and one either side."""
        return [self._shown[i] for i in sorted(self._shown)]

    def is_filled(self) -> bool:
        """Whether every row in view has its widget (those still missing are made on the next
        turns of the event loop; the place of one not made yet is left blank)."""
        return not self._missing

    def set_rows(self, rows: dict[str, list[tuple[int, str, str, str]]],
                 captions: dict[str, str] | None = None) -> None:
        """``bucket -> [(track_id, title, artist, reason), ...]``; ``captions``, ``bucket ->
        what its row says of the genre``, in place of those shown (None: they stay).

        The rows in view are filled anew in place and the panel stays where it was (a
        Refresh used to send it back to its top)."""
        if captions is not None:
            self.captions = dict(captions)
        self.buckets = [(bucket, entries) for bucket, entries in rows.items() if entries]
        self.placeholder.setVisible(not self.buckets)
        self._area.setVisible(bool(self.buckets))   # (else it would add a spacing below the intro)
        self._place(refill=True)

    def set_playlists(self, playlists: list[tuple[int, str]]) -> None:
        """``(id, name)`` of the playlists offered by a tile's "Add to playlist"."""
        self._playlists[:] = playlists       # (the list the rows made already hold too)

    def drop_tracks(self, track_ids) -> None:
        """Take these tracks off the rows now (the person asked never to be suggested them);
        a row left empty goes. Rows read again afterwards are full again."""
        self.set_rows({bucket: [e for e in entries if e[0] not in track_ids] for bucket, entries in self.buckets})

    def _new_row(self) -> BucketRow:
        row = BucketRow("", [], self._area)
        row.play.connect(self.play)
        row.radio_requested.connect(self.radio_requested)
        row.never_suggest.connect(self.never_suggest)
        row.rate_requested.connect(self.rate_requested)
        row.rating_of = lambda track_id: self.rating_of(track_id) if self.rating_of is not None else None
        row.artist_of = lambda track_id: self.artist_of(track_id) if self.artist_of is not None else None
        row.enqueue_requested.connect(self.enqueue_requested)
        row.play_next_requested.connect(self.play_next_requested)
        row.add_to_playlist_requested.connect(self.add_to_playlist_requested)
        row.path_of = lambda track_id: self.path_of(track_id) if self.path_of is not None else None
        row.playlists = self._playlists
        return row

    def _next_turn(self) -> None:
        self._made = 0
        self._place()

    def _scrolled(self) -> None:
        # A row scrolled into view is made at once, whatever this turn made already: it was
        # drawn blank for a turn where rows of fewer tiles (shorter) came into view, as on the
        # first page down from the top. The rows scrolled out give their widgets to most of
        # those coming in, so a scroll has few to make.
        self._place(scrolled=True)

    def _place(self, *_, refill: bool = False, scrolled: bool = False) -> None:
        """Give the rows in view a widget each, at their place, and make the room for all."""
        if self._placing:
            return
        self._placing = True
        try:
            n = len(self.buckets)
            spare = []
            if n and not self._bare:
                # Every row is as tall as the first one made, styled as it will be shown.
                spare.append(self._new_row())
                self._made += 1
                self._more.start()
                spare[0].ensurePolished()
                spare[0].set_bar_room(False)
                self._bare = spare[0].sizeHint().height() + self._layout.spacing()
                self._bar = spare[0].bar_height()
                self._step = spare[0].tile.width() + 2 * spare[0].list.spacing()
                self._frame = spare[0].list.frameWidth()
            # Room for a scroll bar under the tiles only in a row with more tiles than fit
            # across: its bar covers no tile, and scrolling it moves no row. A row whose tiles
            # all fit has no empty band under them: when one row's bar made every row as tall,
            # every row grew by a bar's height with nothing in it, however many were short.
            across = (self._area.width() - 2 * self._frame) // self._step if self._step else 0
            if refill or across != self._across or len(self._tops) != n + 1:
                self._across = across
                self._bar_room = [len(entries) > across for _, entries in self.buckets]
                self._tops = list(accumulate((self._bare + (self._bar if room else 0) for room in self._bar_room),
                                             initial=0))
            tops, gap = self._tops, self._layout.spacing()
            self._area.setFixedHeight(max(0, tops[-1] - gap) if n else 0)
            top = self.verticalScrollBar().value() - self._area.y()
            first = max(0, bisect_right(tops, top) - 2)
            last = min(n, bisect_right(tops, top + self.viewport().height()) + 1)
            free = spare + [self._shown.pop(i) for i in [i for i in self._shown if not first <= i < last]]
            width = self._area.width()
            moved = False
            self._missing = 0
            bottom = top + self.viewport().height()

            def in_view(i):
                return tops[i] < bottom and tops[i + 1] > top
            # The rows in view first, top down, then the one either side of them.
            for i in sorted(range(first, last), key=lambda i: not in_view(i)):
                row = self._shown.get(i)
                if row is None or refill:
                    if row is None:
                        if free:
                            row = free.pop()
                        elif self._made < self.ROWS_PER_TURN or (scrolled and in_view(i)):
                            row = self._new_row()
                            self._made += 1
                            self._more.start()
                        else:
                            self._more.start()
                            self._missing += 1
                            continue
                        self._shown[i] = row
                        moved = True
                    bucket, entries = self.buckets[i]
                    row.set_bucket(bucket, self.captions.get(bucket, ""))
                    row.set_entries(entries)
                row.set_bar_room(self._bar_room[i])
                row.setGeometry(0, tops[i], width, tops[i + 1] - tops[i] - gap)
                row.show()
            for row in free:                # fewer rows in view than before
                row.hide()
                row.deleteLater()
            if moved:
                # Tab visits the rows top down: a row widget taken for another row keeps its
                # place in the focus chain, which is where it was made.
                before = self.refresh_btn
                for i in sorted(self._shown):
                    row = self._shown[i]
                    QWidget.setTabOrder(before, row.play_btn)
                    QWidget.setTabOrder(row.play_btn, row.list)
                    before = row.list
        finally:
            self._placing = False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._place()
