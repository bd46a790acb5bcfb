"""The Listening view's two chart pages: your listening, and Segue's report card.

Both only draw a :class:`player.listening_stats.ListeningSummary` computed on a worker;
nothing here reads the database. A page's plots are created by :meth:`build_plots` and a
summary drawn by :meth:`draw_summary`, both a plot per step, so that the view can let the
event loop run between plots (each costs tens of milliseconds).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QTabBar, QVBoxLayout, QWidget

from player.listening_stats import PERIODS, TOP_KINDS, WEEK_S, ListeningSummary, week_starts, wilson
from player.plain_words import month
from player.ui import charts

_BAR = WEEK_S * 0.8


def _week_label(t: float) -> str:
    day = time.localtime(t)
    return f"week of {day.tm_mday} {month(t, short=True)} {day.tm_year}"


def _plot(title: str, **kwargs):
    """A themed plot, hidden until the view reveals it, its room in the layout kept meanwhile."""
    plot = charts.themed_plot(title, **kwargs)
    # pyqtgraph starts an axis with room for 30 px of labels and narrows it only by more than
    # 10 px: first painted with its data rather than empty, the time of day's axis would stay
    # wider than its labels. From no room it fits them, as it did.
    plot.getPlotItem().getAxis("left").textWidth = 0
    policy = plot.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    plot.setSizePolicy(policy)
    plot.hide()
    return plot


def _fit_to_data(plots) -> None:
    """Axes that follow what is drawn again: the fixed ones of no plays stop auto-ranging,
    and kept, a first start's 0-10 would hold every chart drawn after it."""
    for plot in plots:
        plot.getPlotItem().enableAutoRange()


def _empty_weeks(plots, now: float, *, top: float = 10.0) -> None:
    """Axes for no plays: the last few weeks and a plain count, the same whether nothing
    was ever played or the history was just forgotten (whose scales would otherwise stay).
    :func:`_fit_to_data` lets them follow the plays again."""
    this_week = float(week_starts(np.array([now]))[0])
    for plot in plots:
        plot.setXRange(this_week - 3 * WEEK_S, this_week + WEEK_S, padding=0)
        plot.setYRange(0, top, padding=0)


def _time_words(hours: float) -> str:
    """``hours`` of listening in words: minutes under an hour ("0.0 hours" for the first
    songs heard), then hours to a tenth, whole hours from ten on. Some seconds heard are
    "under a minute": "3 plays, 0 minutes" read as if nothing had been heard."""
    if hours < 0.95:
        minutes = round(hours * 60)
        if not minutes and hours > 0:
            return "under a minute"
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"{hours:,.{0 if hours >= 10 else 1}f} hours"


def _pct(k: int, n: int) -> str:
    return f"{k / n:.0%}" if n else "–"


class OverviewPage(QWidget):
    """Plays, hours and skip rate per week; time of day; top artists, tracks and genres."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary: ListeningSummary | None = None
        self.headline = QLabel("Reading your listening…")
        self.headline.setObjectName("panelTitle")
        self.headline.setWordWrap(True)
        self.plays_plot = self.hours_plot = self.skip_plot = self.hour_plot = self.top_plot = None
        self.period = QComboBox()
        self.period.addItems(list(PERIODS))
        self.kind = QTabBar()
        for kind in TOP_KINDS:
            self.kind.addTab(kind.capitalize())
        self.kind.setExpanding(False)
        self.kind.setUsesScrollButtons(False)     # three short names: whole, or the column is made wider
        self.top_caption = QLabel()
        self.top_caption.setObjectName("hint")
        self.period.currentIndexChanged.connect(lambda _i: self._draw_top())
        self.kind.currentChanged.connect(lambda _i: self._draw_top())

        top_box = QVBoxLayout()
        pick = QHBoxLayout()
        self._top_label = QLabel("Top")
        pick.addWidget(self._top_label)
        pick.addWidget(self.kind)
        pick.addStretch(1)
        pick.addWidget(self.period)
        top_box.addLayout(pick)
        self._pick = pick
        self._below = QHBoxLayout()         # the period's list, where the row has no room for it
        self._below.addStretch(1)
        top_box.addLayout(self._below)
        top_box.addWidget(self.top_caption)
        self._top_box = top_box
        grid = QGridLayout()
        grid.addLayout(top_box, 1, 1, 2, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        self._grid = grid
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(grid, 1)
        self.plays_bars = self.hours_bars = self.hour_bars = self.top_bars = None

    def build_plots(self):
        """Create the five plots, yielding after each."""
        self.plays_plot = _plot("Plays per week", date_axis=True)
        self._grid.addWidget(self.plays_plot, 0, 0)
        yield
        self.hours_plot = _plot("Hours per week", date_axis=True)
        self._grid.addWidget(self.hours_plot, 1, 0)
        yield
        self.skip_plot = _plot("Skipped early, per week", date_axis=True)
        self._grid.addWidget(self.skip_plot, 2, 0)
        yield
        self.hour_plot = _plot("Plays by hour, all time")
        self._grid.addWidget(self.hour_plot, 0, 1)
        yield
        self.top_plot = _plot("")
        self._top_box.insertWidget(self._top_box.indexOf(self.top_caption), self.top_plot, 1)
        self._link_weeks(True)
        for p in (self.plays_plot, self.hours_plot, self.skip_plot):
            p.getPlotItem().getAxis("left").setWidth(48)       # the three weeks axes line up
        yield

    def plots(self) -> list:
        return [self.plays_plot, self.hours_plot, self.skip_plot, self.hour_plot, self.top_plot]

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_pick()

    def _fit_pick(self) -> None:
        """The period's list beside the kinds of top list where the column has room for both
        whole, else on a row of its own below them. Side by side in a window under about 1,200
        px wide (800 at twice the scale), the kinds were squeezed behind scroll arrows: "Tra"
        of Tracks showed, and Genres not at all."""
        pick, below, period = self._pick, self._below, self.period
        beside = pick.indexOf(period) >= 0
        need = (self._top_label.sizeHint().width() + self.kind.sizeHint().width() + period.sizeHint().width()
                + 3 * max(0, pick.spacing()))
        room = self._top_box.geometry().width()
        if beside and room < need:
            pick.removeWidget(period)
            below.addWidget(period)
        elif not beside and room >= need:
            below.removeWidget(period)
            pick.addWidget(period)

    def show_summary(self, s: ListeningSummary) -> None:
        for _ in self.draw_summary(s):
            pass

    def _link_weeks(self, linked: bool) -> None:
        """The three weekly plots share their weeks (x range)."""
        for p in (self.hours_plot, self.skip_plot):
            p.setXLink(self.plays_plot if linked else None)

    def draw_summary(self, s: ListeningSummary):
        """Draw ``s``, yielding after each plot. The weekly plots are drawn unlinked: linked, the
        first one's new weeks would repaint all three date axes in one turn, the slowest paint here."""
        self.summary = s
        for plot in (self.plays_plot, self.hours_plot, self.skip_plot, self.hour_plot):
            plot.clear()
        self.plays_bars = self.hours_bars = self.hour_bars = None
        if s.empty:
            self.headline.setText("No plays yet. Play some music and your listening shows up here." + _left_out(s))
            # Unlinked while each takes its weeks: a linked chart passes its range on by its
            # width in pixels, and the charts' axes are not as wide, so the weeks set on one
            # came back to the others stretched or shrunk (drawing plays links them again).
            self._link_weeks(False)
            _empty_weeks([self.plays_plot], s.now)
            charts.count_axis(self.plays_plot, 10)
            _empty_weeks([self.hours_plot], s.now, top=1.0)
            _empty_weeks([self.skip_plot], s.now)
            charts.percent_axis(self.skip_plot)
            self.hour_plot.setXRange(-0.5, 23.5, padding=0)
            self.hour_plot.setYRange(0, 10, padding=0)
            charts.count_axis(self.hour_plot, 10)
            self.hour_plot.getPlotItem().getAxis("bottom").setTicks([[(h, f"{h:02d}") for h in range(0, 24, 3)], []])
            self._draw_top()
            return
        _fit_to_data([self.plays_plot, self.hours_plot, self.skip_plot, self.hour_plot])
        self._link_weeks(False)
        w = s.weekly
        plays, hours, skips, decided = s.recent
        imported = f" ({s.imported:,} imported)" if s.imported else ""
        # The month of the first play, not of the Monday its week began on (a first play on
        # 1 October read "since September").
        first = s.first if s.first is not None else w.week[0]
        since = f"{month(first)} {time.localtime(first).tm_year}"
        self.headline.setText(
            f"{_plays(s.plays)}{imported}, {_time_words(s.hours)} since {since}"
            f" · last 4 weeks: {_plays(plays)}, {_time_words(hours)}, {_pct(skips, decided)} skipped early"
            + _left_out(s))
        self.plays_bars = charts.bars(w.week + WEEK_S / 2, w.plays, width=_BAR, color=charts.PLAYS_COLOR)
        self.plays_plot.addItem(self.plays_bars)
        # Plays are whole: the automatic ticks put 0.5 between none and one play.
        charts.count_axis(self.plays_plot, float(np.max(w.plays, initial=0)))
        yield
        self.hours_bars = charts.bars(w.week + WEEK_S / 2, w.hours, width=_BAR, color=charts.HOURS_COLOR)
        self.hours_plot.addItem(self.hours_bars)
        yield
        rate = w.skip_rate
        tips = [f"{_week_label(t)}: {_pct(k, n)} of {n:,} plays skipped early"
                for t, k, n in zip(w.week, w.skips.tolist(), w.decided.tolist())]
        self.skip_plot.addItem(charts.line(w.week + WEEK_S / 2, rate, color=charts.SKIP_COLOR))
        ok = np.isfinite(rate)
        self.skip_plot.addItem(charts.points((w.week + WEEK_S / 2)[ok], rate[ok], color=charts.SKIP_COLOR, size=5,
                                             tips=[t for t, good in zip(tips, ok) if good]))
        charts.percent_axis(self.skip_plot, top=max(0.1, float(np.nanmax(rate)) * 1.15) if ok.any() else 1.0)
        yield
        self._link_weeks(True)
        yield
        self.hour_bars = charts.bars(np.arange(24), s.by_hour, width=0.8, color=charts.PLAYS_COLOR)
        self.hour_plot.addItem(self.hour_bars)
        charts.count_axis(self.hour_plot, float(np.max(s.by_hour, initial=0)))
        self.hour_plot.getPlotItem().getAxis("bottom").setTicks([[(h, f"{h:02d}") for h in range(0, 24, 3)], []])
        yield
        self._draw_top()

    def _draw_top(self) -> None:
        self.top_plot.clear()
        self.top_bars = None
        s = self.summary
        entries = s.top[self.period.currentText()][TOP_KINDS[self.kind.currentIndex()]] if s is not None else []
        if not entries:
            self.top_caption.setText("No plays in this period.")
            charts.set_category_axis(self.top_plot, [])
            self.top_plot.setXRange(0, 10, padding=0)
            charts.count_axis(self.top_plot, 10, axis="bottom")
            return
        n = len(entries)
        plays = np.array([e.plays for e in entries], float)
        y = np.arange(n)[::-1]              # the most played on top
        self.top_bars = pg.BarGraphItem(x0=np.zeros(n), y=y, width=plays, height=0.7,
                                        brush=pg.mkBrush(charts.PLAYS_COLOR), pen=pg.mkPen(None))
        self.top_plot.addItem(self.top_bars)
        _bg, text, _faint = charts.palette_colors()
        for yi, e in zip(y, entries):
            label = pg.TextItem(f"{e.plays:,}", color=text, anchor=(0, 0.5))
            label.setPos(e.plays, yi)
            self.top_plot.addItem(label)
        labels = [""] * n
        for yi, e in zip(y, entries):
            labels[yi] = e.name
        charts.set_category_axis(self.top_plot, labels)
        self.top_plot.setXRange(0, plays.max() * 1.18, padding=0)
        # Plays are whole: the automatic ticks put 0.5 between none and one play.
        charts.count_axis(self.top_plot, plays.max() * 1.18, axis="bottom")
        self.top_plot.setYRange(-0.6, n - 0.4, padding=0)
        hours = sum(e.hours for e in entries)
        self.top_caption.setText(f"{TOP_KINDS[self.kind.currentIndex()].capitalize()} by plays; "
                                 f"these {n} make {_time_words(hours)}.")


def _plays(n: int) -> str:
    """``1 play``, ``2 plays``: a history of one play read "1 plays"."""
    return f"{n:,} play{'s' * (n != 1)}"


def _left_out(s: ListeningSummary) -> str:
    """Plays kept in the history but left out of the charts for a date no play can have, said
    so that none goes unseen (a person may count their plays, or fix a device's clock)."""
    n = s.impossible
    if not n:
        return ""
    return (f" · {n:,} play{'s' * (n != 1)} with an impossible date (before 2000 or in the future) "
            f"{'are' if n != 1 else 'is'} left out")


class ReportCardPage(QWidget):
    """Per week: how often the person skipped what Segue chose, against what they chose."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.headline = QLabel("Reading your listening…")
        self.headline.setObjectName("panelTitle")
        self.headline.setWordWrap(True)
        self.rate_plot = self.count_plot = None
        self.legend = QLabel(
            f'<span style="color:{charts.SEGUE_COLOR.name()}">&#9679;</span> Segue\'s picks &nbsp;&nbsp; '
            f'<span style="color:{charts.OWN_COLOR.name()}">&#9679;</span> Your picks &nbsp;&nbsp; '
            "a bigger dot stands on more plays; the bars around a dot are where the true rate "
            "lies, 95 times in 100")
        self.legend.setObjectName("hint")
        self.legend.setTextFormat(Qt.RichText)      # markup of our own: labels are plain text unless they say so
        self.legend.setWordWrap(True)               # one long line held the whole window wider than a laptop screen
        self.note = QLabel(
            "Segue's picks are the plays it chose: Up next, Radio and Discover. Your picks are what you "
            "played from the library, a search or your own queue. A skip is a track skipped in its first "
            "30 seconds or first half (first four minutes of a long one). Imported history is not counted "
            "here: Segue chose none of it.")
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.legend)
        layout.addWidget(self.note)
        self._layout = layout
        self.segue_points = self.own_points = self.segue_bars = self.own_bars = None

    def build_plots(self):
        """Create the two plots, yielding after each."""
        self.rate_plot = _plot("Skipped early, per week", date_axis=True)
        self._layout.insertWidget(2, self.rate_plot, 3)
        yield
        self.count_plot = _plot("Plays behind each point", date_axis=True)
        self._layout.insertWidget(3, self.count_plot, 2)
        self.count_plot.setXLink(self.rate_plot)
        for p in (self.rate_plot, self.count_plot):
            p.getPlotItem().getAxis("left").setWidth(48)
        yield

    def plots(self) -> list:
        return [self.rate_plot, self.count_plot]

    def show_summary(self, s: ListeningSummary) -> None:
        for _ in self.draw_summary(s):
            pass

    def draw_summary(self, s: ListeningSummary):
        """Draw ``s``, yielding after each of the two series."""
        r = s.report
        self.rate_plot.clear()
        self.count_plot.clear()
        self.segue_points = self.own_points = self.segue_bars = self.own_bars = None
        sn, sk, on, ok_ = s.report_recent
        if r.segue_n.sum() == 0 and r.own_n.sum() == 0:
            self.headline.setText("Nothing to grade yet: play some music in Segue.")
            # The weeks set on the chart the count follows only: set on both, the count's
            # (passed on by its width in pixels, which is not the rate's) came back stretched.
            _empty_weeks([self.rate_plot], s.now)
            self.count_plot.setYRange(0, 10, padding=0)
            charts.count_axis(self.count_plot, 10)
            charts.percent_axis(self.rate_plot)
            return
        _fit_to_data([self.rate_plot, self.count_plot])
        if r.segue_n.sum() == 0:
            self.headline.setText("Segue has not chosen anything you played yet. Turn on “Keep it going” "
                                  "or start a Radio, and its picks are graded here.")
        else:
            self.headline.setText(
                f"Last 4 weeks: you skipped {_pct(sk, sn)} of Segue's picks ({_plays(sn)}) "
                f"and {_pct(ok_, on)} of your own ({_plays(on)}).")
        mid = r.week + WEEK_S / 2
        # Plays are whole: the automatic ticks put 0.5 between none and one play.
        charts.count_axis(self.count_plot, float(max(np.max(r.segue_n, initial=0), np.max(r.own_n, initial=0))))
        top = 0.0
        drawn = {}
        for name, color, n, k, shift in (("Segue's picks", charts.SEGUE_COLOR, r.segue_n, r.segue_skips, -0.12),
                                         ("Your picks", charts.OWN_COLOR, r.own_n, r.own_skips, 0.12)):
            rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
            has = n > 0
            x = mid + shift * WEEK_S
            bar = charts.bars(mid, n, width=WEEK_S * 0.38, color=color, offset=shift * 2 * WEEK_S)
            self.count_plot.addItem(bar)
            if not has.any():
                # Nothing to draw; an empty error bar would stretch the axis back to 1970.
                drawn[name] = (None, bar)
                yield
                continue
            lo, hi = wilson(k, n)
            self.rate_plot.addItem(pg.ErrorBarItem(x=x[has], y=rate[has], top=(hi - rate)[has],
                                                   bottom=(rate - lo)[has], beam=WEEK_S * 0.12,
                                                   pen=pg.mkPen(color, width=1)))
            self.rate_plot.addItem(charts.line(x, rate, color=color, width=1.5))
            # Point area grows with the plays behind it, so a rate from 3 plays looks small.
            sizes = 4 + 10 * np.sqrt(n[has] / max(int(n.max()), 1))
            tips = [f"{name}, {_week_label(t)}: {kk:,} of {nn:,} skipped ({_pct(kk, nn)})"
                    for t, kk, nn in zip(r.week[has], k[has].tolist(), n[has].tolist())]
            pts = pg.ScatterPlotItem(x=x[has], y=rate[has], size=sizes, brush=pg.mkBrush(color),
                                     pen=pg.mkPen(color.darker(130)), data=tips, hoverable=True,
                                     tip=lambda x, y, data: data)
            self.rate_plot.addItem(pts)
            drawn[name] = (pts, bar)
            top = max(top, float(np.nanmax(hi[has])))
            yield
        self.segue_points, self.segue_bars = drawn["Segue's picks"]
        self.own_points, self.own_bars = drawn["Your picks"]
        charts.percent_axis(self.rate_plot, top=min(1.0, max(0.1, top * 1.05)))
