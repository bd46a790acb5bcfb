"""The Listening tab: your listening, Segue's report card, and the map of your library by sound.

Reading the plays and computing the statistics, and reading the embeddings and
projecting them, each run on a worker (:func:`player.workers.run_task`); the tab only
draws results. It refreshes when it is shown, and again when shown after plays
changed, one computation of each kind at a time.

Every pyqtgraph plot costs tens of milliseconds to create, to fill and to paint, so all
three come in steps, a plot per turn of the event loop: :meth:`ListeningView.build`
creates the plots hidden, the first summary is drawn into them, and only then are they
shown, so that each is painted once, with its data.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from player.listening_stats import load_summary
from player.sound_map import load_map, week_track_ids
from player.ui.listening_pages import OverviewPage, ReportCardPage
from player.ui.sound_map_view import SoundMapPage
from player.ui.steps import Steps
from player.workers import OneAtATime, run_task

log = logging.getLogger(__name__)
MAP_MAX_AGE_S = 600


class ListeningView(QWidget):
    play_requested = Signal(list)         # track ids, the person's own choice
    enqueue_requested = Signal(list)
    summary_ready = Signal()
    map_ready = Signal()                  # the sound map is fully drawn

    def __init__(self, store, *, now=None, staged: bool = False, parent=None):
        """``now``: a clock (tests pin it so periods and "this week" are reproducible).
        ``staged``: the caller runs :meth:`build` a step at a time; else it all runs here."""
        super().__init__(parent)
        self.store = store
        self._now = now or time.time
        self.overview: OverviewPage | None = None
        self.report: ReportCardPage | None = None
        self.sound_map: SoundMapPage | None = None
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self._tasks = OneAtATime()      # per kind: "summary", "map", "week"
        self._stale = True
        self._map_at = None             # when the map was last read (monotonic seconds)
        self._drawing = None            # the summary being drawn, a plot per turn
        if not staged:
            for _ in self.build():
                pass
            for _ in self.reveal():
                pass

    def build(self):
        """Create the three pages, yielding after each plot. The chart pages' plots start hidden,
        their room kept, until :meth:`reveal`."""
        self.overview = OverviewPage()
        yield from self.overview.build_plots()
        self.report = ReportCardPage()
        yield from self.report.build_plots()
        self.sound_map = SoundMapPage()
        yield
        self.pages.addTab(self.overview, "Your listening")
        self.pages.addTab(self.report, "Segue's report card")
        self.pages.addTab(self.sound_map, "Sound map")
        self.sound_map.play_requested.connect(self.play_requested)
        self.sound_map.enqueue_requested.connect(self.enqueue_requested)
        self.sound_map.drawn.connect(self.map_ready)

    def reveal(self):
        """Show the chart pages' plots still hidden, yielding after each one on screen: a plot's
        first paint costs tens of milliseconds (its axes lay out their text), too much for all at
        once. Done after the first summary is drawn, so that each is painted once, with its data."""
        for plot in self.overview.plots() + self.report.plots():
            if plot.isHidden():
                plot.show()
                if plot.isVisible():
                    yield

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def plays_changed(self) -> None:
        """Plays were added or removed: recompute now if visible, else when next shown.

        The map's points stay (plays do not move them); only this week's rings are re-read.
        """
        self._stale = True
        if self.isVisible():
            self.refresh()

    def set_playing(self, track_id: int | None) -> None:
        self.sound_map.set_playing(track_id)

    def refresh(self) -> None:
        """Statistics always; the map again when it is older than :data:`MAP_MAX_AGE_S` (analysis
        may have added tracks), else only this week's plays on it."""
        self._stale = False
        self._start("summary")
        if self._map_at is None or time.monotonic() - self._map_at > MAP_MAX_AGE_S:
            self._start("map")
        else:
            self._start("week")

    def _start(self, kind: str) -> None:
        # One at a time; the newest request runs after it.
        self._tasks.request(lambda: self._run(kind), kind)

    def _run(self, kind: str):
        store, now = self.store, self._now()
        if kind == "summary":
            work, done = (lambda: load_summary(store, now=now)), self._summary_done
        elif kind == "map":
            self._map_at = time.monotonic()
            work, done = (lambda: load_map(store, now=now)), self._map_done
        else:
            work, done = (lambda: week_track_ids(store, now=now)), self._week_done
        return run_task(work, done, name=f"listening-{kind}")

    def _summary_done(self, result, error) -> None:
        if error is not None:
            log.error("could not compute listening statistics: %s", error, exc_info=error)
            self.overview.headline.setText(f"Could not read your listening: {error}")
            Steps(self, self.reveal())
        else:
            # A newer summary replaces one still being drawn: its first steps clear the plots.
            if self._drawing is not None:
                self._drawing.cancel()
            self._drawing = Steps(self, self._draw_steps(result), done=self.summary_ready.emit)

    def _draw_steps(self, summary):
        yield from self.overview.draw_summary(summary)
        yield from self.report.draw_summary(summary)
        yield from self.reveal()

    def _week_done(self, result, error) -> None:
        if error is None:
            self.sound_map.set_this_week(result)

    def _map_done(self, result, error) -> None:
        if error is not None:
            log.error("could not build the sound map: %s", error, exc_info=error)
            self.sound_map.headline.setText(f"Could not draw the sound map: {error}")
        else:
            self.sound_map.set_map(result)          # map_ready follows once every point is drawn
