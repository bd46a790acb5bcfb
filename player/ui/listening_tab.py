"""The Listening tab's place in the window, built the first time it is shown.

Its charts need pyqtgraph (a quarter of a second or more to import) and its first
computation reads every play; neither should delay the window's start for a tab the
person may not open. Opening it must not freeze the window either: the tab shows
"Loading…" at once, pyqtgraph and the view's modules are imported on a worker (the
import runs in pure Python for the most part, so the GUI thread keeps getting its
turns), and the view's plots are then created one per turn of the event loop, each
pyqtgraph plot costing tens of milliseconds. The view replaces the label once whole.
"""

from __future__ import annotations

import importlib
import logging
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from player.ui.steps import Steps
from player.workers import run_task

log = logging.getLogger(__name__)


def _import_view():
    """The ListeningView class; run on a worker, it brings pyqtgraph in with it."""
    return importlib.import_module("player.ui.listening_view").ListeningView


class ListeningTab(QWidget):
    play_requested = Signal(list)
    enqueue_requested = Signal(list)
    ready = Signal()                    # the view is in place; its plots appear with its statistics

    def __init__(self, store, *, current_track: Callable[[], int | None] = lambda: None, now=None, parent=None):
        super().__init__(parent)
        self.store = store
        self._current = current_track
        self.clock = now                # None: the real time; tests pin it
        self.view = None                # the ListeningView, once built and shown
        self._steps = None              # the view's build
        self._started = False
        self.loading = QLabel("Loading…")
        self.loading.setObjectName("panelTitle")
        self.loading.setAlignment(Qt.AlignCenter)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.loading)

    def showEvent(self, event) -> None:
        self.build()
        super().showEvent(event)

    def build(self) -> None:
        """Start building the ListeningView, once. :attr:`view` is set and :attr:`ready` emitted when
        it replaces the label, whole; its plots appear once its first statistics are drawn."""
        if self._started:
            return
        self._started = True
        run_task(_import_view, self._imported, name="listening-import")

    def _imported(self, result, error) -> None:
        if error is not None:
            log.error("could not load the Listening tab: %s", error, exc_info=error)
            self.loading.setText(f"Could not load the Listening tab: {error}")
            return
        self._steps = Steps(self, self._build_steps(result(self.store, now=self.clock, staged=True)))

    def _build_steps(self, view):
        view.hide()                     # no paint of a half-built view
        yield from view.build()
        self._show(view)

    def _show(self, view) -> None:
        view.play_requested.connect(self.play_requested)
        view.enqueue_requested.connect(self.enqueue_requested)
        view.set_playing(self._current())
        self.loading.hide()
        self._layout.addWidget(view)
        self.view = view
        view.show()                     # its statistics and map start computing now
        self.ready.emit()

    def set_playing(self, track_id: int | None) -> None:
        if self.view is not None:
            self.view.set_playing(track_id)

    def plays_changed(self) -> None:
        if self.view is not None:
            self.view.plays_changed()
