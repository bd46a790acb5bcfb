"""The Listening tab's place in the window, built the first time it is shown.

Its charts need pyqtgraph (about a quarter of a second to import here) and its first
computation reads every play; neither should delay the window's start for a tab the
person may not open.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget


class ListeningTab(QWidget):
    play_requested = Signal(list)
    enqueue_requested = Signal(list)

    def __init__(self, store, *, current_track: Callable[[], int | None] = lambda: None, now=None, parent=None):
        super().__init__(parent)
        self.store = store
        self._current = current_track
        self.clock = now                # None: the real time; tests pin it
        self.view = None                # the ListeningView, once built
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def showEvent(self, event) -> None:
        self.build()
        super().showEvent(event)

    def build(self):
        """The ListeningView (built on first use)."""
        if self.view is None:
            from player.ui.listening_view import ListeningView

            self.view = ListeningView(self.store, now=self.clock)
            self.view.play_requested.connect(self.play_requested)
            self.view.enqueue_requested.connect(self.enqueue_requested)
            self.view.set_playing(self._current())
            self._layout.addWidget(self.view)
        return self.view

    def set_playing(self, track_id: int | None) -> None:
        if self.view is not None:
            self.view.set_playing(track_id)

    def plays_changed(self) -> None:
        if self.view is not None:
            self.view.plays_changed()
