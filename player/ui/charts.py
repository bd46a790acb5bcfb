"""Small pyqtgraph helpers shared by the Listening view and the sound map.

Plots take their colours from the application palette (light or dark), have no mouse
zoom unless asked (a statistics page is read, not explored), and draw bars with one
item per series so thousands of bars stay one paint call.
"""

from __future__ import annotations

import copy
import re
import unicodedata

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from player.plain_words import MONTHS

SEGUE_COLOR = QColor("#4a88db")      # plays Segue chose
OWN_COLOR = QColor("#e07b39")        # plays the person chose
PLAYS_COLOR = QColor("#5b8fd6")
HOURS_COLOR = QColor("#59a14f")
SKIP_COLOR = QColor("#e15759")
#: Genre colours (Tableau's qualitative set plus one); "Other" is grey.
GENRE_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                "#ff9da7", "#9c755f", "#86bcb6", "#d37295"]
OTHER_COLOR = "#9a9a9a"


def palette_colors() -> tuple[QColor, QColor, QColor]:
    """``(background, text, faint)`` of the current palette."""
    pal = QApplication.palette()
    return pal.color(QPalette.Base), pal.color(QPalette.Text), pal.color(QPalette.PlaceholderText)


WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")     # as strftime's %w counts them
# strftime's numbers for what its names would be, between marks no date format writes.
_NAMED = {"%b": "\x01%m\x02", "%a": "\x03%w\x04"}
_MARKED = re.compile("\x01(\\d+)\x02|\x03(\\d)\x04")


class DateAxis(pg.DateAxisItem):
    """pyqtgraph's date axis with its month and day names in English, as the window's other words.

    pyqtgraph names them with ``strftime``, which follows the system's language once Qt has set
    the locale: a German system read "Dez" and "Mi 03" under the charts of an English window.
    The names are asked for as numbers and put in words here.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The zoom levels are pyqtgraph's, shared by every axis: this one keeps copies to rewrite.
        self.zoomLevels = copy.deepcopy(self.zoomLevels)
        for level in self.zoomLevels.values():
            for spec in level.tickSpecs:
                for name, number in _NAMED.items():
                    spec.format = spec.format.replace(name, number)

    def tickStrings(self, values, scale, spacing):
        return [_MARKED.sub(_in_words, text) for text in super().tickStrings(values, scale, spacing)]


def _in_words(match: re.Match) -> str:
    month, weekday = match.groups()
    return MONTHS[int(month) - 1][:3] if month else WEEKDAYS[int(weekday)]


def themed_plot(title: str, *, date_axis: bool = False, interactive: bool = False) -> pg.PlotWidget:
    """A plot in the palette's colours; a date axis reads unix seconds as local dates."""
    axes = {"bottom": DateAxis(orientation="bottom")} if date_axis else {}
    # Without a menu, its view box does not build the right-click menu's widgets at all
    # (dozens of them, a third of the plot's cost).
    plot = pg.PlotWidget(axisItems=axes, enableMenu=interactive)
    style_plot(plot, title)
    # Drawn in the picture, the title is no name a screen reader can read out.
    plot.setAccessibleName(title)
    if not interactive:
        plot.setMouseEnabled(x=False, y=False)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        # Nothing in it answers a key: as a Tab stop it was a stop with nothing to do (five of
        # them on the Listening page, between its controls and Up next).
        plot.setFocusPolicy(Qt.NoFocus)
    return plot


def style_plot(plot: pg.PlotWidget, title: str) -> None:
    background, text, faint = palette_colors()
    plot.setBackground(background)
    item = plot.getPlotItem()
    item.setTitle(title, color=text.name(), size="10pt")
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(faint))
        axis.setTextPen(pg.mkPen(text))
    item.showGrid(x=False, y=True, alpha=0.15)


def bars(x, heights, *, width: float, color: QColor, offset: float = 0.0) -> pg.BarGraphItem:
    """Vertical bars centred at ``x + offset`` (one item for the whole series)."""
    return pg.BarGraphItem(x=np.asarray(x, float) + offset, height=np.asarray(heights, float),
                           width=width, brush=pg.mkBrush(color), pen=pg.mkPen(None))


def points(x, y, *, color: QColor, size: float = 7, tips=None, symbol: str = "o") -> pg.ScatterPlotItem:
    """Markers with an optional tooltip per point (``tips[i]`` shown on hover)."""
    item = pg.ScatterPlotItem(x=np.asarray(x, float), y=np.asarray(y, float), size=size, symbol=symbol,
                              brush=pg.mkBrush(color), pen=pg.mkPen(color.darker(130)),
                              data=list(tips) if tips is not None else None,
                              hoverable=tips is not None, tip=(lambda x, y, data: data) if tips is not None else None)
    return item


def line(x, y, *, color: QColor, width: float = 2.0, style=Qt.SolidLine) -> pg.PlotDataItem:
    """A line that breaks at NaN (a week with nothing to measure is a gap, not a zero)."""
    return pg.PlotDataItem(np.asarray(x, float), np.asarray(y, float), connect="finite",
                           pen=pg.mkPen(color, width=width, style=style))


def _characters(text: str) -> list[str]:
    """``text`` in the characters a person sees: an accent written as a mark of its own, a
    variation selector, or an emoji joined to the one before (a family, a flag) goes with
    the character it belongs to. Cut between them, "é" lost its accent, and counted apart,
    an emoji family took eight columns."""
    out: list[str] = []
    for c in text:
        joins = out and (unicodedata.category(c) in ("Mn", "Me", "Cf") or out[-1].endswith("\u200d")
                         or (_flag_half(c) and len(out[-1]) == 1 and _flag_half(out[-1])))
        if joins:
            out[-1] += c
        else:
            out.append(c)
    return out


def _flag_half(c: str) -> bool:
    return "\U0001f1e6" <= c <= "\U0001f1ff"


def _columns(c: str) -> int:
    """How many columns a character (see :func:`_characters`) takes: two for a wide one
    (Chinese, Japanese and Korean characters, full-width forms, emoji), one for the rest."""
    if "\ufe0f" in c or len(c) > 1 and _flag_half(c[0]):
        return 2                        # drawn as an emoji
    return 2 if unicodedata.east_asian_width(c[0]) in "WF" else 1


def shorten(text: str, max_columns: int) -> str:
    """``text`` cut to ``max_columns`` columns (see :func:`_columns`) with "…" where cut.

    Counted in characters, a Japanese title kept 34 characters, twice as wide as a Latin one,
    and the axis of names grew to take the bars' room.

    >>> shorten("夜に駆ける", 6), shorten("Halo", 6)
    ('夜に…', 'Halo')
    """
    chars = _characters(text)
    if sum(map(_columns, chars)) <= max_columns:
        return text
    used, end = 1, 0                    # "…" takes a column
    for end, c in enumerate(chars):
        used += _columns(c)
        if used > max_columns:
            break
    return "".join(chars[:end]) + "…"


def set_category_axis(plot: pg.PlotWidget, labels: list[str], *, axis: str = "left", max_chars: int = 34) -> None:
    """Name the integer positions 0..n-1 of ``axis`` (names longer than ``max_chars`` columns
    are shortened with "…", a wide character counting two)."""
    short = [shorten(s, max_chars) for s in labels]
    plot.getPlotItem().getAxis(axis).setTicks([list(enumerate(short)), []])


def percent_axis(plot: pg.PlotWidget, *, top: float = 1.0) -> None:
    """Left axis from 0 to ``top`` labelled in round per cents (5, 10, 20 or 25 apart)."""
    step = next(s for s in (0.05, 0.1, 0.2, 0.25) if top / s <= 6)
    ticks = [(v, f"{v:.0%}") for v in np.arange(0, top + 1e-9, step)]
    plot.getPlotItem().getAxis("left").setTicks([ticks, []])
    plot.setYRange(0, top, padding=0.02)


def count_ticks(top: float, *, most: int = 6) -> list[tuple[int, str]]:
    """Ticks for an axis of counts from 0 to ``top``: whole numbers 1, 2 or 5 times a power of
    ten apart, at most ``most`` steps (the automatic ones put 0.5 between 0 and 1 play)."""
    step = 1
    while top / step > most:
        step = _next_step(step)
    return [(v, f"{v:,}") for v in range(0, int(np.floor(top)) + 1, step)]


def _next_step(step: int) -> int:
    """The round step after ``step`` in 1, 2, 5, 10, 20, 50, ..."""
    return step * 5 // 2 if str(step)[0] == "2" else step * 2


def count_axis(plot: pg.PlotWidget, top: float, *, axis: str = "left") -> None:
    """``axis`` of ``plot`` labelled in whole counts up to ``top`` (see :func:`count_ticks`)."""
    plot.getPlotItem().getAxis(axis).setTicks([count_ticks(top), []])


def genre_color(code: int, names: list[str]) -> QColor:
    if code < len(names) and names[code] == "Other":
        return QColor(OTHER_COLOR)
    return QColor(GENRE_COLORS[code % len(GENRE_COLORS)])
