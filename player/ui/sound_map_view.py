"""The sound map page: every analysed track as a point placed by how it sounds.

Colour is the genre; a ring marks the tracks played this week and a star the one
playing now. Click a point to play it; drag a lasso around points (left button) to
select them, then queue or play the selection. The wheel zooms, Shift+drag or the
middle button pans. Hit-testing and the lasso run on numpy arrays
(:mod:`player.sound_map`), not on 100,000 graphics items.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from player.sound_map import SoundMap, nearest, points_in_polygon
from player.ui import charts
from player.ui.elided_label import ElidedLabel

HIT_PX = 8            # a click this close to a point plays it
CHUNK = 5000          # points added per turn of the event loop


class _Dots(pg.ScatterPlotItem):
    """Points that leave clicks to the view box (which hit-tests all of them at once)."""

    def mouseClickEvent(self, ev):
        ev.ignore()


class MapViewBox(pg.ViewBox):
    """A view box where a left click picks and a left drag draws a lasso."""

    clicked = Signal(float, float)            # view coordinates
    lasso_moved = Signal(object)              # np.ndarray [m, 2] so far
    lasso_done = Signal(object)               # np.ndarray [m, 2]

    def __init__(self):
        super().__init__(enableMenu=False)
        self._path: list[tuple[float, float]] = []

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self.clicked.emit(p.x(), p.y())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.LeftButton or ev.modifiers() & Qt.ShiftModifier:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        if ev.isStart():
            start = self.mapSceneToView(ev.buttonDownScenePos())
            self._path = [(start.x(), start.y())]
        p = self.mapSceneToView(ev.scenePos())
        self._path.append((p.x(), p.y()))
        poly = np.array(self._path, dtype=np.float64)
        if ev.isFinish():
            self.lasso_done.emit(poly)
        else:
            self.lasso_moved.emit(poly)


class SoundMapPage(QWidget):
    play_requested = Signal(list)             # [track_id]
    drawn = Signal()                          # every point of the map is on screen
    enqueue_requested = Signal(list)          # track ids

    def __init__(self, parent=None):
        super().__init__(parent)
        self.map: SoundMap | None = None
        self.selected = np.zeros(0, dtype=np.int64)     # rows of the map
        self.playing: int | None = None
        self.view = MapViewBox()
        self.plot = pg.PlotWidget(viewBox=self.view)
        charts.style_plot(self.plot, "")
        self.plot.hideButtons()
        self.plot.setAccessibleName("Sound map")      # a Tab stop: a screen reader said nothing for it
        self.plot.getPlotItem().hideAxis("left")
        self.plot.getPlotItem().hideAxis("bottom")
        self.plot.getPlotItem().showGrid(x=False, y=False)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.legend.setMinimumWidth(170)
        self.headline = QLabel("Reading the sound of your library…")
        self.headline.setObjectName("panelTitle")
        self.headline.setWordWrap(True)     # unwrapped, a long line set the window's minimum width
        self.hint = QLabel("Click a point to play it · drag around points to select them · wheel to zoom, "
                           "Shift+drag to move")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        # The point under the pointer: cut short with "…" where the row has no room (a long
        # title in a plain label made the window grow to show it whole).
        self.hover = ElidedLabel(" ")
        self.queue_btn = QPushButton("Queue selection")
        self.play_btn = QPushButton("Play selection")
        self.clear_btn = QPushButton("Clear")
        self.fit_btn = QPushButton("Show all")
        for b in (self.queue_btn, self.play_btn, self.clear_btn, self.fit_btn):
            b.setEnabled(False)         # (Show all: until there are points to show; it did nothing)
        bar = QHBoxLayout()
        bar.addWidget(self.headline, 1)
        for b in (self.queue_btn, self.play_btn, self.clear_btn, self.fit_btn):
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        body.addWidget(self.legend)
        layout.addLayout(body, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.hover, 1)
        foot.addWidget(self.hint, 3)        # most of the row: it wraps only when the window is narrow
        layout.addLayout(foot)

        self.point_items: list[pg.ScatterPlotItem] = []
        self._brushes: list = []
        self._next_row = 0
        self._order = np.zeros(0, dtype=np.int64)
        self._draw_timer = QTimer(self, interval=0)
        self._draw_timer.timeout.connect(self._draw_chunk)
        highlight = QApplication.palette().color(QPalette.Highlight)
        text = charts.palette_colors()[1]
        self.week_item = _Dots(size=9, brush=pg.mkBrush(None), pen=pg.mkPen(text, width=1.2))
        self.selection_item = _Dots(size=8, brush=pg.mkBrush(None), pen=pg.mkPen(highlight, width=2))
        self.current_item = _Dots(size=22, symbol="star", brush=pg.mkBrush("#ffd23f"),
                                               pen=pg.mkPen("#3a3a3a", width=1.5))
        self.lasso_item = pg.PlotCurveItem(pen=pg.mkPen(highlight, width=1.5, style=Qt.DashLine))
        for item in (self.week_item, self.selection_item, self.current_item, self.lasso_item):
            item.setZValue(10)
            self.plot.addItem(item)
        self.view.clicked.connect(self._clicked)
        self.view.lasso_moved.connect(lambda poly: self.lasso_item.setData(poly[:, 0], poly[:, 1]))
        self.view.lasso_done.connect(self.select_polygon)
        self.plot.scene().sigMouseMoved.connect(self._hovered)
        self.queue_btn.clicked.connect(lambda: self.enqueue_requested.emit(self.selected_track_ids()))
        self.play_btn.clicked.connect(lambda: self._play_selection())
        self.clear_btn.clicked.connect(self.clear_selection)
        self.fit_btn.clicked.connect(self.show_all)

    # -- data ------------------------------------------------------------------------
    def set_map(self, m: SoundMap) -> None:
        """Show ``m``; its points are added :data:`CHUNK` at a time, one batch per turn of the
        event loop, so 100,000 points never hold the window for more than a few tens of ms."""
        keep = self.selected_track_ids()
        self.map = m
        self._draw_timer.stop()
        for item in self.point_items:
            self.plot.removeItem(item)
        self.point_items = []
        if len(m) == 0:
            self.headline.setText("No track has been analysed yet: the map fills in as Segue listens "
                                  "to your library (Settings → analysis).")
        else:
            self.headline.setText(f"{len(m):,} tracks by sound · {int(m.this_week.sum()):,} played this week")
        self.fit_btn.setEnabled(len(m) > 0)
        self._brushes = []
        rows_html = []
        counts = np.bincount(m.genre, minlength=len(m.genre_names))
        for code, name in enumerate(m.genre_names):
            color = QColor(charts.genre_color(code, m.genre_names))
            color.setAlpha(200)
            self._brushes.append(pg.mkBrush(color))
            rows_html.append(f'<span style="color:{color.name()}">&#9679;</span>&nbsp;{html.escape(name)} '
                             f'<span style="color:gray">{int(counts[code]):,}</span>')
        if rows_html:
            rows_html += ["", "&#9711;&nbsp;played this week", "&#9733;&nbsp;playing now"]
        self.legend.setText("<br>".join(rows_html))
        week = np.flatnonzero(m.this_week)
        self.week_item.setData(m.xy[week, 0], m.xy[week, 1])
        self.selected = np.flatnonzero(np.isin(m.track_ids, keep))
        self._show_selection()
        self.set_playing(self.playing)
        self.show_all()
        # Genre by genre, the largest first (so smaller genres lie on top): each chunk then
        # holds one or two genres, and the map stays a few dozen graphics items.
        self._order = np.argsort(m.genre, kind="stable")
        self._next_row = 0
        self._draw_chunk()
        if self._next_row < len(m):
            self._draw_timer.start()

    def _draw_chunk(self) -> None:
        m = self.map
        start, stop = self._next_row, min(self._next_row + CHUNK, len(m))
        rows_now = self._order[start:stop]
        codes = m.genre[rows_now]
        for code in np.unique(codes):
            rows = rows_now[codes == code]
            item = _Dots(x=m.xy[rows, 0], y=m.xy[rows, 1], size=5, pen=pg.mkPen(None), brush=self._brushes[code])
            self.plot.addItem(item)
            self.point_items.append(item)
        self._next_row = stop
        if stop >= len(m):
            self._draw_timer.stop()
            self.drawn.emit()

    def show_all(self) -> None:
        """Fit the whole map in view."""
        if self.map is not None and len(self.map):
            lo, hi = self.map.xy.min(axis=0).tolist(), self.map.xy.max(axis=0).tolist()   # Python floats:
            self.view.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0.03)  # float32 overflows there

    def set_this_week(self, track_ids) -> None:
        """Ring the tracks played this week (the points themselves stay)."""
        m = self.map
        if m is None:
            return
        m.this_week = np.isin(m.track_ids, np.fromiter(track_ids, np.int64))
        week = np.flatnonzero(m.this_week)
        self.week_item.setData(m.xy[week, 0], m.xy[week, 1])
        self.headline.setText(f"{len(m):,} tracks by sound · {len(week):,} played this week")

    def set_playing(self, track_id: int | None) -> None:
        self.playing = track_id
        row = self.map.row_of(track_id) if self.map is not None else -1
        if row < 0:
            self.current_item.setData([], [])
        else:
            self.current_item.setData([self.map.xy[row, 0]], [self.map.xy[row, 1]])

    # -- picking ---------------------------------------------------------------------
    def _pixel_scale(self) -> tuple[float, float]:
        px, py = self.view.viewPixelSize()
        return 1.0 / max(px, 1e-12), 1.0 / max(py, 1e-12)

    def row_at(self, x: float, y: float) -> int:
        """Row of the point within :data:`HIT_PX` pixels of view position (x, y), else -1."""
        if self.map is None or len(self.map) == 0:
            return -1
        return nearest(self.map.xy, (x, y), scale=self._pixel_scale(), max_dist=HIT_PX)

    def _label(self, row: int) -> str:
        m = self.map
        title = m.title[row] or f"Track {int(m.track_ids[row])}"
        artist = f" — {m.artist[row]}" if m.artist[row] else ""
        return f"{title}{artist} · {m.genre_names[m.genre[row]]}"

    def _clicked(self, x: float, y: float) -> None:
        self.lasso_item.setData([], [])
        row = self.row_at(x, y)
        if row >= 0:
            self.play_requested.emit([int(self.map.track_ids[row])])

    def _hovered(self, scene_pos: QPointF) -> None:
        if self.map is None or not self.view.sceneBoundingRect().contains(scene_pos):
            return
        p = self.view.mapSceneToView(scene_pos)
        row = self.row_at(p.x(), p.y())
        self.hover.setText(self._label(row) if row >= 0 else " ")

    def select_polygon(self, polygon: np.ndarray) -> None:
        """Select the points inside ``polygon`` [shape=(m, 2)] (view coordinates)."""
        if self.map is None:
            return
        self.lasso_item.setData(np.r_[polygon[:, 0], polygon[:1, 0]], np.r_[polygon[:, 1], polygon[:1, 1]])
        rows = np.flatnonzero(points_in_polygon(self.map.xy, polygon))
        # Left to right across the map: neighbours by sound follow each other in the queue.
        self.selected = rows[np.argsort(self.map.xy[rows, 0], kind="stable")]
        self._show_selection()

    def selected_track_ids(self) -> list[int]:
        if self.map is None or len(self.selected) == 0:
            return []
        return [int(t) for t in self.map.track_ids[self.selected]]

    def clear_selection(self) -> None:
        self.selected = np.zeros(0, dtype=np.int64)
        self.lasso_item.setData([], [])
        self._show_selection()

    def _show_selection(self) -> None:
        n = len(self.selected)
        if self.map is not None and n:
            self.selection_item.setData(self.map.xy[self.selected, 0], self.map.xy[self.selected, 1])
        else:
            self.selection_item.setData([], [])
        self.queue_btn.setText(f"Queue {n:,} selected" if n else "Queue selection")
        for b in (self.queue_btn, self.play_btn, self.clear_btn):
            b.setEnabled(n > 0)

    def _play_selection(self) -> None:
        ids = self.selected_track_ids()
        if ids:
            self.play_requested.emit(ids)
