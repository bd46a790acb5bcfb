"""The Lyrics tab: the playing song's words, following it line by line where they are timed.

It shows what :func:`player.library.lyrics.read_lyrics` found (read on a worker by the
window) and follows the place the now-playing bar shows, so it moves with the song, with a
seek, and rests where the bar rests. A click (or Enter) on a timed line seeks there; one timed
past the song's end is greyed and seeks nowhere.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from player.library.lyrics import Lyrics
from player.ui.icons import is_palette_change

NO_LYRICS = "No lyrics in this file or beside it"
NOTHING_PLAYING = "Nothing playing"
LOOKING = "Looking for lyrics…"
_TIME_ROLE = Qt.ItemDataRole.UserRole + 1
#: seconds the view stays where the person scrolled it before it follows the song again
HOLD_S = 8.0
#: the most of one line shown: more than a whole song's words written as one paragraph, yet a
#: tag of one line of a megabyte (no lyrics: garbage, an encoded picture) laid out whole took
#: the window's thread about a second, at every resize again
MAX_LINE_CHARS = 20_000


def _shown_line(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS - 1] + "…"


class LyricsPane(QWidget):
    """The lyrics of the song shown in the now-playing bar."""

    #: seconds into the song: the person clicked the line sung there
    seek = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.track_id: int | None = None
        self.lyrics: Lyrics | None = None
        self._position = 0.0
        self._length_s: float | None = None     # the song's length, where the library knows it
        self._current: int | None = None
        self._held_until = 0.0          # (time.monotonic) the person scrolled: not followed until then
        self.list = QListWidget()
        self.list.setAccessibleName("Lyrics")
        self.list.setSelectionMode(QAbstractItemView.NoSelection)
        self.list.setWordWrap(True)
        self.list.setFrameShape(QListWidget.NoFrame)
        self.list.setSpacing(3)             # verses read as lines of a song, not rows of a table
        self.hint = QLabel(NOTHING_PLAYING)
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint, 1)
        self.list.hide()
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        # Only what the person does to the scroll bar (the wheel, a drag, a click on it) holds
        # the view: the scrolling this pane does, and a change of size, come by other ways.
        self.list.verticalScrollBar().actionTriggered.connect(self._held)
        # The keys move the list's current line (the pane never does): a person reading ahead
        # line by line with the arrows, Page Down or End is held as one scrolling is. The first
        # line made current as the list takes the focus (from none) is no move of theirs.
        self.list.currentItemChanged.connect(
            lambda item, before: item is not None and before is not None and self._held(0))

    def show_track(self, track_id: int | None, *, keep: bool = False) -> None:
        """A new song (None: nothing plays): its words are being read until :meth:`set_lyrics`.
        ``keep``: the same song's words read again (under ``track_id``, its id now): what is
        shown stays until they come."""
        if keep:
            self.track_id = track_id
            return
        if track_id == self.track_id:
            return
        self.track_id, self.lyrics, self._current = track_id, None, None
        self._held_until = 0.0
        self.list.clear()
        self.list.hide()
        self.hint.setText(NOTHING_PLAYING if track_id is None else LOOKING)
        self.hint.show()

    def set_lyrics(self, track_id: int, lyrics: Lyrics | None, *, length_s: float | None = None) -> None:
        """The words read for ``track_id``; ignored where another song is shown by now.
        ``length_s``: the song's length, where known. A line timed from there on (an ``.lrc``
        made for a longer cut of the song) is shown greyed, and a click on it plays nothing: a
        seek there would only end the song."""
        if track_id != self.track_id or (lyrics is not None and lyrics == self.lyrics
                                         and length_s == self._length_s):
            return              # (the same words read again: the view stays as the person left it)
        self._length_s = length_s
        self.lyrics, self._current = lyrics, None
        self.list.clear()
        if lyrics is None or not any(line.strip() for line in lyrics.lines):
            self.list.hide()
            self.hint.setText(NO_LYRICS)
            self.hint.show()
            return
        flags = Qt.ItemFlag.ItemIsEnabled | (Qt.ItemFlag.ItemIsSelectable if lyrics.synced else Qt.ItemFlag.NoItemFlags)
        for i, line in enumerate(lyrics.lines):
            item = QListWidgetItem(_shown_line(line))
            item.setFlags(Qt.ItemFlag.NoItemFlags if self._past_end(lyrics.times[i] if lyrics.synced else None)
                          else flags)
            if lyrics.synced:
                item.setData(_TIME_ROLE, lyrics.times[i])
                item.setTextAlignment(Qt.AlignHCenter)
            self.list.addItem(item)
        self.list.setToolTip("Click a line to play from there" if lyrics.synced else "")
        self.hint.hide()
        self.list.show()
        self.list.scrollToTop()
        self.follow(self._position)

    def follow(self, seconds: float) -> None:
        """The song is at ``seconds``: the line sung then stands out and is kept in view."""
        self._position = seconds
        lyrics = self.lyrics
        if lyrics is None or not lyrics.synced:
            return
        at = lyrics.line_at(seconds)
        if at == self._current:
            return
        for row, bold in ((self._current, False), (at, True)):
            item = self.list.item(row) if row is not None else None
            if item is not None:
                font = QFont(item.font())
                font.setBold(bold)
                item.setFont(font)
                # (the usual colour put back as none of its own: it then follows a change of theme)
                item.setData(Qt.ItemDataRole.ForegroundRole, self.palette().highlight() if bold else None)
        self._current = at
        if at is not None and time.monotonic() >= self._held_until:
            self.list.scrollToItem(self.list.item(at), QAbstractItemView.PositionAtCenter)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        # The line sung holds the highlight colour as its own: a change of theme gives it the
        # new one, as the other lines (that hold none) follow by themselves.
        if is_palette_change(event) and self._current is not None:
            item = self.list.item(self._current)
            if item is not None:
                item.setData(Qt.ItemDataRole.ForegroundRole, self.palette().highlight())

    def current_line(self) -> int | None:
        """The index of the line shown as sung now, or None."""
        return self._current

    def _held(self, _action: int) -> None:
        self._held_until = time.monotonic() + HOLD_S

    def _past_end(self, seconds: float | None) -> bool:
        return seconds is not None and self._length_s is not None and self._length_s > 0 and seconds >= self._length_s

    def _clicked(self, item: QListWidgetItem) -> None:
        seconds = item.data(_TIME_ROLE)
        if seconds is not None and not self._past_end(seconds):
            self._held_until = 0.0       # a line chosen: from there the view follows the song again
            self.seek.emit(float(seconds))
