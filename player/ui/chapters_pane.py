"""The Chapters tab: the marks of the long file playing (an audiobook, a podcast, a DJ mix),
each with its start, the one playing now in bold; a click (or Enter) on one plays from there.

It shows what :func:`player.library.chapters.read_chapters` found (read on a worker by the
window) and follows the place the now-playing bar shows. :attr:`chapter_changed` names the
chapter playing, which the now-playing bar shows beside the title.
"""

from __future__ import annotations

from bisect import bisect_right

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from player.library.chapters import Chapter
from player.ui.library_model import format_duration

NO_CHAPTERS = "No chapters in this file"
NOTHING_PLAYING = "Nothing playing"
LOOKING = "Looking for chapters…"
_START_ROLE = Qt.ItemDataRole.UserRole + 1


class ChaptersPane(QWidget):
    """The chapters of the track shown in the now-playing bar."""

    #: seconds into the track: the person chose the chapter that begins there
    seek = Signal(float)
    #: the title of the chapter playing now ("" where there is none)
    chapter_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.track_id: int | None = None
        self.chapters: tuple[Chapter, ...] = ()
        self.reading = False                # the track's chapters asked for and not here yet
        self._starts: list[float] = []      # the chapters' starts, looked up at each tick of the clock
        self._position = 0.0
        self._current: int | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Chapters")
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setUniformItemSizes(True)         # (a thousand rows laid out at once, not measured one by one)
        self.list.setToolTip("Click a chapter to play from its start")
        self.hint = QLabel(NOTHING_PLAYING)
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint, 1)
        self.list.hide()
        self.list.itemClicked.connect(self._chosen)
        self.list.itemActivated.connect(self._chosen)

    def show_track(self, track_id: int | None) -> None:
        """A new track (None: nothing plays): its chapters are being read until :meth:`set_chapters`."""
        if track_id == self.track_id:
            return
        self.track_id, self.chapters, self._starts = track_id, (), []
        self.reading = track_id is not None
        self.list.clear()
        self.list.hide()
        self.hint.setText(NOTHING_PLAYING if track_id is None else LOOKING)
        self.hint.show()
        self._set_current(None)

    def renumber(self, track_id: int) -> bool:
        """The track shown is ``track_id`` now: a scan merged it into its copy, the same
        recording, and its chapters read already stay. False where they are still being read
        (that read is for the track gone, and is not shown)."""
        if self.reading:
            return False
        self.track_id = track_id
        return True

    def set_chapters(self, track_id: int, chapters: tuple[Chapter, ...]) -> None:
        """The chapters read for ``track_id``; ignored where another track is shown by now."""
        if track_id != self.track_id:
            return
        self.reading = False
        self.chapters = tuple(chapters)
        self._starts = [c.start for c in self.chapters]
        self.list.clear()
        self._current = None
        if not self.chapters:
            self.list.hide()
            self.hint.setText(NO_CHAPTERS)
            self.hint.show()
            self._set_current(None)
            return
        for c in self.chapters:
            start = format_duration(c.start) or '0:00'
            item = QListWidgetItem(f"{start}\t{c.title}")
            # A screen reader reads the row's text as it is, tab and all: name the chapter first.
            item.setData(Qt.AccessibleTextRole, f"{c.title}, from {start}")
            item.setData(_START_ROLE, c.start)
            self.list.addItem(item)
        self.hint.hide()
        self.list.show()
        self._current = -1          # (none shown yet: the first follow names one)
        self.follow(self._position)

    def follow(self, seconds: float) -> None:
        """The track is at ``seconds``: its chapter stands out and is named."""
        self._position = seconds
        if self.chapters:
            at = bisect_right(self._starts, seconds) - 1
            self._set_current(at if at >= 0 else None)

    def current_chapter(self) -> int | None:
        """The index of the chapter shown as playing, or None."""
        return self._current if self._current is not None and self._current >= 0 else None

    def _set_current(self, at: int | None) -> None:
        if at == self._current:
            return
        for row, bold in ((self._current, False), (at, True)):
            item = self.list.item(row) if row is not None and row >= 0 else None
            if item is not None:
                font = QFont(item.font())
                font.setBold(bold)
                item.setFont(font)
        self._current = at
        if at is not None:
            self.list.scrollToItem(self.list.item(at), QAbstractItemView.EnsureVisible)
        self.chapter_changed.emit(self.chapters[at].title if at is not None else "")

    def _chosen(self, item: QListWidgetItem) -> None:
        start = item.data(_START_ROLE)
        if start is not None:
            self.seek.emit(float(start))
