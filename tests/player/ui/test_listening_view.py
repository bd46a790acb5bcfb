"""The Listening tab in the real window, filled from a real listening log.

Renders the three pages (your listening, Segue's report card, the sound map) and checks
that what they draw adds up to what the store holds. With ``SEGUE_WRITE_DOCS=1`` the
screenshots are written to ``docs/`` (the README shows them); otherwise to a temporary
folder, so CI never writes into the repository.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage

from player.listening_stats import WEEK_S, week_starts
from player.sound_map import points_in_polygon
from tests.player.ui.real_log import FEATURE_VERSION, _unit, data_root, fill_from_log

ROOT = Path(__file__).resolve().parents[3]
DATA = data_root()


def _gray_std(image: QImage) -> float:
    image = image.convertToFormat(QImage.Format_Grayscale8)
    arr = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return float(arr.reshape(image.height(), image.bytesPerLine())[:, :image.width()].std())


def _heights(item) -> float:
    return float(np.sum(item.opts["height"]))


def _save(qtbot, widget, name: str, tmp_path: Path) -> Path:
    folder = ROOT / "docs" if os.environ.get("SEGUE_WRITE_DOCS") == "1" else tmp_path
    folder.mkdir(exist_ok=True)
    # Plot axes widen to fit their labels during a paint and show them from the next one,
    # as a person sees a moment after the page appears.
    widget.grab()
    qtbot.wait(100)
    image = widget.grab().toImage()
    path = folder / name
    assert image.save(str(path)) and _gray_std(image) > 20       # drawn, not a blank fill
    return path


def _pixel(page, x: float, y: float) -> QPoint:
    scene = page.view.mapViewToScene(QPointF(x, y))
    return page.plot.mapFromScene(scene)


def _opened(qtbot, window, summary=True):
    """The Listening tab's view once the tab is opened and built (and, with ``summary``,
    once its summary is worked out)."""
    with qtbot.waitSignal(window.listening.ready, timeout=20000):
        window.tabs.setCurrentWidget(window.listening)
    view = window.listening.view
    if summary:
        qtbot.waitUntil(lambda: view.overview.summary is not None, timeout=10000)
    return view


@pytest.mark.skipif(DATA is None, reason="the shared listening logs are not here")
def test_listening_tab_from_a_real_log(qtbot, qapp, scanned, make_window, tmp_path):
    from player.ui.theme import apply_theme

    apply_theme(qapp)
    store = scanned
    filled = fill_from_log(store, DATA)
    real = {r["id"]: r for r in store.tracks() if not r["path"].startswith("/log-library/")}
    store.save_features([{"track_id": t, "model_version": FEATURE_VERSION, "bucket": r["genre"].lower(),
                          "embedding": _unit("genre:" + r["genre"].lower(), 200) + 0.3 * _unit(r["path"], 200)}
                         for t, r in real.items()])
    window = make_window(store)
    window.resize(1400, 860)
    window.listening.clock = lambda: filled.now
    view = _opened(qtbot, window, summary=False)
    with qtbot.waitSignals([view.summary_ready, view.map_ready], timeout=20000):
        pass

    # Your listening: every play of the log, in the weekly bars, the hours and the hour-of-day bars.
    plays = store.plays()
    assert len(plays) == filled.plays > 10_000
    o = view.overview
    assert _heights(o.plays_bars) == filled.plays
    assert _heights(o.hours_bars) == pytest.approx(sum(p["ms_heard"] for p in plays) / 3.6e6, rel=1e-6)
    assert _heights(o.hour_bars) == filled.plays
    o.period.setCurrentText("All time")
    artists = Counter(store.track(p["track_id"])["artist"] for p in plays)
    assert [(e.name, e.plays) for e in o.summary.top["All time"]["artists"][:3]] == artists.most_common(3)
    assert o.top_bars is not None and list(o.top_bars.opts["width"][:3]) == [n for _a, n in artists.most_common(3)]
    o.period.setCurrentText("Last 4 weeks")
    shot_overview = _save(qtbot, window, "listening.png", tmp_path)

    # The report card: Segue's picks and the person's, with the plays behind each point.
    view.pages.setCurrentWidget(view.report)
    r = view.report
    assert _heights(r.segue_bars) == filled.segue_plays > 1000
    assert _heights(r.own_bars) == filled.plays - filled.segue_plays
    assert len(r.segue_points.data) > 20 and "Segue's picks" in r.headline.text()
    _save(qtbot, window, "report-card.png", tmp_path)

    # The sound map: one point per analysed track, this week's plays ringed.
    view.pages.setCurrentWidget(view.sound_map)
    page = view.sound_map
    qtbot.waitUntil(lambda: page.plot.isVisible(), timeout=5000)
    m = page.map
    assert sum(len(item.data) for item in page.point_items) == len(m) == filled.tracks + len(real)
    monday = week_starts(np.array([filled.now]))[0]
    assert len(page.week_item.data) == len({p["track_id"] for p in store.plays(since=monday)}) > 0
    qtbot.wait(50)

    # Click a real, playable track's point: it plays. The click lands on a whole pixel, so the
    # point clicked is one with no other point within a few pixels of it (a person clicking
    # into a crowd gets the nearest point, which the picking test covers).
    sx, sy = page._pixel_scale()
    rows = np.array([m.row_of(t) for t in real])
    gaps = [np.partition(np.hypot((m.xy[:, 0] - m.xy[r, 0]) * sx, (m.xy[:, 1] - m.xy[r, 1]) * sy), 1)[1]
            for r in rows]
    assert max(gaps) > 3
    target = int(m.track_ids[rows[int(np.argmax(gaps))]])
    x, y = m.xy[m.row_of(target)]
    qtbot.mouseClick(page.plot.viewport(), Qt.LeftButton, pos=_pixel(page, x, y))
    qtbot.waitUntil(lambda: window.player.current_track_id == target, timeout=10000)
    qtbot.waitUntil(lambda: len(page.current_item.data) == 1, timeout=5000)
    assert page.current_item.data[0]["x"] == pytest.approx(x)
    # Its play is this week's: the ring appears without re-projecting the map.
    assert not m.this_week[m.row_of(target)]
    points_before = page.point_items[0]
    # (The clock pinned to the log's end stood up to a week before this play: the rings leave
    # out plays logged ahead of the clock, so it goes on to the real time with the play.)
    view._now = time.time
    view.plays_changed()
    qtbot.waitUntil(lambda: page.map.this_week[m.row_of(target)], timeout=10000)
    assert page.point_items[0] is points_before and len(page.week_item.data) == int(m.this_week.sum())

    # Drag a lasso around a few points: they are selected and queued.
    cx, cy = m.xy[len(m) // 2]
    corners = [(cx - 40 / sx, cy - 40 / sy), (cx + 40 / sx, cy - 40 / sy), (cx + 40 / sx, cy + 40 / sy),
               (cx - 40 / sx, cy + 40 / sy)]
    viewport = page.plot.viewport()
    qtbot.mousePress(viewport, Qt.LeftButton, pos=_pixel(page, *corners[0]))
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1]):
        for f in np.linspace(0.2, 1.0, 5):
            qtbot.wait(15)                # the plot drops mouse moves closer than 10 ms apart
            qtbot.mouseMove(viewport, _pixel(page, ax + f * (bx - ax), ay + f * (by - ay)))
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=_pixel(page, *corners[0]))
    drawn = np.column_stack([page.lasso_item.xData, page.lasso_item.yData])
    assert np.allclose(drawn.min(axis=0), corners[0], atol=2 / min(sx, sy))      # the path the mouse drew,
    assert np.allclose(drawn.max(axis=0), corners[2], atol=2 / min(sx, sy))      # to the pixel
    expected = set(m.track_ids[points_in_polygon(m.xy, drawn)].tolist())
    assert expected and set(page.selected_track_ids()) == expected
    shot_map = _save(qtbot, window, "sound-map.png", tmp_path)
    page.queue_btn.click()
    qtbot.waitUntil(lambda: expected <= {e.track_id for e in window.player.queue}, timeout=10000)
    assert shot_overview.exists() and shot_map.exists()


def test_listening_tab_with_no_plays(qtbot, scanned, make_window):
    window = make_window(scanned)
    assert window.listening.view is None                     # nothing built before it is opened
    view = _opened(qtbot, window, summary=False)
    qtbot.waitUntil(lambda: view.overview.summary is not None and view.sound_map.map is not None, timeout=10000)
    assert "No plays yet" in view.overview.headline.text()
    assert "Nothing to grade" in view.report.headline.text()
    assert "No track has been analysed" in view.sound_map.headline.text()
    assert view.overview.plays_bars is None and view.sound_map.point_items == []


def test_the_headline_names_the_month_of_the_first_play_not_of_its_weeks_monday(qtbot, scanned, make_window):
    import datetime as dt

    # The latest 1st of a month at least ten days ago that is not a Monday: its week began the month before.
    day = dt.date.today() - dt.timedelta(days=10)
    day = day.replace(day=1)
    while day.weekday() == 0:
        day = (day - dt.timedelta(days=1)).replace(day=1)
    first = time.mktime(dt.datetime(day.year, day.month, 1, 12, 0).timetuple())
    track = scanned.tracks()[0]["id"]
    for i in range(5):
        play = scanned.start_play(track, source="library", track_ms=180_000, now=first + i * 86400)
        scanned.end_play(play, "finished", 180_000, now=first + i * 86400 + 180)
    window = make_window(scanned)
    view = _opened(qtbot, window)
    assert f"since {day.strftime('%B %Y')}" in view.overview.headline.text()


def test_a_short_history_is_not_said_to_be_0_hours(qtbot, scanned, make_window):
    now = time.time()
    track = scanned.tracks()[0]["id"]
    for i in range(5):          # 15 minutes in all, in the last week
        play = scanned.start_play(track, source="library", track_ms=180_000, now=now - 86400 + i * 600)
        scanned.end_play(play, "finished", 180_000, now=now - 86400 + i * 600 + 180)
    window = make_window(scanned)
    view = _opened(qtbot, window)
    headline = view.overview.headline.text()
    # Under an hour in minutes (the first songs heard read "0.0 hours" in a library of short ones).
    assert headline.startswith("5 plays, 15 minutes since") and "last 4 weeks: 5 plays, 15 minutes" in headline


def test_the_first_seconds_heard_are_not_said_to_be_0_minutes(qtbot, scanned, make_window):
    # The first songs tried and skipped after a few seconds each: "3 plays, 0 minutes", and
    # the top artists "make 0 minutes", as if nothing had been heard.
    from PySide6.QtWidgets import QLabel

    now = time.time()
    track = scanned.tracks()[0]["id"]
    for i in range(3):          # 24 seconds in all
        play = scanned.start_play(track, source="library", track_ms=180_000, now=now - 600 + i * 60)
        scanned.end_play(play, "skipped", 8_000, now=now - 600 + i * 60 + 8)
    window = make_window(scanned)
    view = _opened(qtbot, window)
    headline = view.overview.headline.text()
    assert headline.startswith("3 plays, under a minute since"), headline
    assert "last 4 weeks: 3 plays, under a minute" in headline
    assert "0 minutes" not in " ".join(label.text() for label in view.overview.findChildren(QLabel))


def test_a_history_that_ended_months_ago_has_no_plays_in_the_last_4_weeks(qtbot, scanned, make_window):
    now = time.time()
    track = scanned.tracks()[0]["id"]
    scanned.log_plays([(track, now - 200 * 86400 + i * 600, 180_000, 180_000, "finished",
                        "up_next" if i % 2 else "library") for i in range(5)])
    window = make_window(scanned)
    view = _opened(qtbot, window, summary=False)
    qtbot.waitSignal(view.summary_ready, timeout=10000).wait()
    headline = view.overview.headline.text()
    assert headline.startswith("5 plays, 15 minutes since") and "last 4 weeks: 0 plays, 0 minutes" in headline
    assert view.report.headline.text().startswith("Last 4 weeks:") and "(0 plays)" in view.report.headline.text()
    assert "(2 plays)" not in view.report.headline.text() and "(3 plays)" not in view.report.headline.text()


def test_first_open_shows_loading_then_builds_a_plot_per_turn(qtbot, scanned, make_window, monkeypatch):
    """Opening the tab returns to the event loop at once, with "Loading…" on screen; the plots
    are then created with the event loop running between any two of them, and appear with the
    plays drawn."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QGraphicsView, QLabel

    from player.ui import charts

    store = scanned
    track = store.tracks()[0]["id"]
    now = 1_750_000_000.0
    store.log_plays([(track, now - 3600 * h, 200_000, 300_000, "finished", "library") for h in range(1, 6)])
    window = make_window(store)
    tab = window.listening
    tab.clock = lambda: now
    made, turns, timers = [], [], []
    real_plot = charts.themed_plot

    def plot(*args, **kwargs):
        # How many of the timers started at earlier plots had fired when this one is created:
        # all of them when the event loop ran between any two plots.
        made.append(len(turns))
        timer = QTimer(singleShot=True, interval=0)
        timer.timeout.connect(lambda: turns.append(1))
        timer.start()
        timers.append(timer)
        return real_plot(*args, **kwargs)

    monkeypatch.setattr(charts, "themed_plot", plot)
    window.tabs.setCurrentWidget(tab)
    assert tab.findChildren(QGraphicsView) == []                 # no plot built yet
    assert [w.text() for w in tab.findChildren(QLabel) if w.isVisible()] == ["Loading…"]

    qtbot.waitUntil(lambda: tab.view is not None, timeout=20000)
    view = tab.view
    assert not tab.loading.isVisible()
    assert made == list(range(len(made))) and len(made) == 7      # the seven chart plots, a turn apart
    o, r = view.overview, view.report
    qtbot.waitUntil(lambda: o.plays_plot.isVisible(), timeout=20000)
    assert o.plays_bars is not None                              # a plot appears with its data
    qtbot.waitUntil(lambda: not any(p.isHidden() for p in o.plots() + r.plots()), timeout=5000)
    assert all(p.isVisible() for p in o.plots())
    assert _heights(o.plays_bars) == 5 and _heights(o.hour_bars) == 5
    assert _heights(o.hours_bars) == pytest.approx(5 * 200_000 / 3.6e6)
    assert _heights(r.own_bars) == 5 and _heights(r.segue_bars) == 0
    assert "5 plays" in o.headline.text()
    view.pages.setCurrentWidget(r)
    assert all(p.isVisible() for p in r.plots())
    # Only the person's own picks: the report card's weeks are those of the plays, not a
    # span from 1970 stretched by the empty series of Segue's picks.
    qtbot.wait(50)
    for plot in (r.rate_plot, r.count_plot):
        lo, hi = plot.getPlotItem().viewRange()[0]
        assert now - 8 * 7 * 86400 < lo < hi < now + 8 * 7 * 86400, (plot, lo, hi)


def _in_one_week(end: float, n: int, apart: float = 200) -> float:
    """``end``, or the end of the week before it where ``n`` plays ``apart`` seconds up to it
    would start in the week before (a chart of plays per week counts them all in one bar)."""
    week = float(week_starts(np.array([end]))[0])
    return end if end - apart * (n - 1) >= week else week - 3600


def test_after_forgetting_the_history_the_empty_charts_drop_the_old_scales(qtbot, scanned, make_window):
    track = scanned.tracks()[0]["id"]
    now = time.time()
    end = _in_one_week(now - 3600, 40)        # (early on a Monday: all in last week)
    scanned.log_plays([(track, end - 200 * i, 180_000, 180_000, "finished", "library") for i in range(40)])
    window = make_window(scanned)
    view = _opened(qtbot, window, summary=False)
    o, r = view.overview, view.report
    qtbot.waitUntil(lambda: o.summary is not None and o.summary.plays == 40, timeout=10000)
    qtbot.waitUntil(lambda: o.plays_plot.getPlotItem().viewRange()[1][1] > 35, timeout=10000)
    window.forget_history()
    qtbot.waitUntil(lambda: "forgotten" in window.statusBar().currentMessage(), timeout=15000)
    qtbot.waitUntil(lambda: o.summary is not None and o.summary.empty, timeout=10000)
    assert o.headline.text().startswith("No plays yet")
    # The axes a first start shows: the last weeks and a plain count, not the forgotten 0-40.
    this_week = float(week_starts(np.array([now]))[0])
    for plot, top in ((o.plays_plot, 10), (o.hours_plot, 1), (o.skip_plot, 1), (o.hour_plot, 10),
                      (r.count_plot, 10), (r.rate_plot, 1)):
        (x0, x1), (y0, y1) = plot.getPlotItem().viewRange()
        assert y1 == pytest.approx(top, rel=0.05), (plot, y1)
        if plot not in (o.hour_plot, r.count_plot):
            # The last weeks, exactly, on every weekly chart of its own (the count follows the
            # rate's dates by its width in pixels): linked while the weeks were set, the charts'
            # ranges came back to each other scaled by their widths.
            assert (x0, x1) == pytest.approx((this_week - 3 * WEEK_S, this_week + WEEK_S)), (plot, x0, x1)
    assert o.top_plot.getPlotItem().viewRange()[0][1] == pytest.approx(10)
    # Played again: the charts follow the new plays, not the fixed axes of none.
    end = _in_one_week(now - 60 * 86400, 30)
    scanned.log_plays([(track, end - 200 * i, 180_000, 180_000, "finished", "library") for i in range(30)])
    window.listening.plays_changed()
    qtbot.waitUntil(lambda: o.summary is not None and o.summary.plays == 30, timeout=10000)
    for plot in (o.plays_plot, r.count_plot):
        qtbot.waitUntil(lambda: plot.getPlotItem().viewRange()[1][1] > 25, timeout=10000)
        x0, x1 = plot.getPlotItem().viewRange()[0]
        assert x0 < now - 55 * 86400, (plot, x0)
    most = int(o.summary.by_hour.max())
    assert most > 10
    qtbot.waitUntil(lambda: o.hour_plot.getPlotItem().viewRange()[1][1] >= most, timeout=10000)


def test_the_headline_s_last_4_weeks_are_the_top_list_s(qtbot, scanned, make_window):
    # Plays 27 days ago are in the top list of the last 4 weeks, and so in the headline's count
    # beside it: it counted the last four calendar weeks, which began after them (but on a Sunday night).
    now = time.time()
    track = scanned.tracks()[0]["id"]
    scanned.log_plays([(track, now - 27.9 * 86400 + i * 600, 180_000, 180_000, "finished",
                        "library" if i % 2 else "up_next") for i in range(3)]
                      + [(track, now - 86400, 180_000, 180_000, "finished", "library")])
    window = make_window(scanned)
    view = _opened(qtbot, window)
    o = view.overview
    o.period.setCurrentText("Last 4 weeks")
    (top,) = o.summary.top["Last 4 weeks"]["tracks"]
    assert top.plays == 4 and "last 4 weeks: 4 plays, 12 minutes" in o.headline.text()
    qtbot.waitUntil(lambda: view.report.headline.text().startswith("Last 4 weeks:"), timeout=10000)
    assert "Segue's picks (2 plays) and 0% of your own (2 plays)" in view.report.headline.text()


def test_plays_with_an_impossible_date_are_left_out_of_the_charts_and_counted(qtbot, scanned, make_window):
    # Rows an older Segue imported with the time a scrobble lost (1 Jan 1970) or from a clock
    # set years ahead: still in the store, never deleted, but no chart stretches to them.
    now = time.time()
    track = scanned.tracks()[0]
    times = [0.0, now + 5 * 365 * 86400, now - 86400]
    listens = [{"fingerprint": f"old{i}", "started_at": t, "artist": track["artist"], "title": track["title"],
                "album": None, "artist_key": "a", "song_key": f"a\x1f{i}", "ms_played": 180_000,
                "duration_ms": 180_000, "skipped": 0, "reason_end": "trackdone", "ended_at": None}
               for i, t in enumerate(times)]
    plays = [{"track_id": track["id"], "started_at": t, "ms_heard": 180_000, "track_ms": 180_000, "ended": "finished"}
             for t in times]
    scanned.add_import({"name": "scrobbles.csv", "format": "lastfm", "sha256": "0" * 64, "rows": 3, "matched": 3,
                        "unmatched": 0, "not_music": 0, "duplicates": 0, "unreadable": 0}, listens, plays)
    window = make_window(scanned)
    view = _opened(qtbot, window)
    o = view.overview
    since = time.strftime("%B %Y", time.localtime(now - 86400))
    assert o.headline.text().startswith(f"1 play (1 imported), 3 minutes since {since}")
    assert o.headline.text().endswith("· 2 plays with an impossible date (before 2000 or in the future) are left out")
    assert len(o.summary.weekly.week) == 1
    assert scanned.imported_play_count() == 3          # kept: removing the file still takes them out


def test_a_japanese_name_in_the_top_list_is_shortened_by_its_width(qtbot, scanned, make_window):
    # A wide character takes two columns: shortened at 34 characters, a Japanese title stayed
    # twice as wide as a Latin one and the names' axis took the bars' room.
    title = "夜に駆ける" * 6 + "（Yoru ni Kakeru）"
    scanned.upsert_tracks([{"path": "/elsewhere/yoru.flac", "size": 1, "mtime_ns": 1, "title": title,
                            "artist": "YOASOBI", "duration": 261.0}])
    track = scanned.track_by_path("/elsewhere/yoru.flac")["id"]
    scanned.log_plays([(track, time.time() - 3600, 200_000, 261_000, "finished", "library")])
    window = make_window(scanned)
    o = _opened(qtbot, window).overview
    o.kind.setCurrentIndex(1)                   # tracks
    ((_pos, shown),) = o.top_plot.getPlotItem().getAxis("left")._tickLevels[0]
    assert shown == "夜に駆ける夜に駆ける夜に駆ける夜…"       # 16 wide characters and "…": 33 columns


def _tick_values(axis) -> list[float]:
    """The values the axis puts ticks at: those set on it, else the ones it works out itself."""
    if axis._tickLevels is not None:
        return [v for level in axis._tickLevels for v, _text in level]
    lo, hi = axis.range
    return [v for _spacing, values in axis.tickValues(lo, hi, axis.width()) for v in values]


def test_the_top_lists_plays_axis_has_whole_numbers_only(qtbot, scanned, make_window):
    # Two artists played once each: the axis read 0, 0.5, 1.0 plays.
    tracks = scanned.tracks()
    one, other = tracks[0], next(t for t in tracks if t["artist"] != tracks[0]["artist"])
    now = time.time()
    scanned.log_plays([(t["id"], now - 3600 * (i + 1), 180_000, 180_000, "finished", "library")
                       for i, t in enumerate((one, other))])
    window = make_window(scanned)
    o = _opened(qtbot, window).overview
    qtbot.waitUntil(lambda: o.top_bars is not None, timeout=10000)     # (drawn a plot a turn)
    assert o.kind.tabText(o.kind.currentIndex()) == "Artists"
    axis = o.top_plot.getPlotItem().getAxis("bottom")
    assert _tick_values(axis) == [0, 1]
    for i in range(o.kind.count()):         # tracks and genres too, and an empty period
        o.kind.setCurrentIndex(i)
        assert all(float(v).is_integer() for v in _tick_values(axis)), o.kind.tabText(i)
    o.period.setCurrentIndex(o.period.count() - 1)
    for i in range(o.period.count()):
        o.period.setCurrentIndex(i)
        values = _tick_values(axis)
        assert values and all(float(v).is_integer() for v in values), o.period.itemText(i)


def test_show_all_is_offered_only_while_the_map_has_points(qtbot, scanned, make_window):
    from player.sound_map import load_map

    window = make_window(scanned)
    view = _opened(qtbot, window, summary=False)
    page = view.sound_map
    qtbot.waitUntil(lambda: page.map is not None, timeout=10000)
    assert len(page.map) == 0 and not page.fit_btn.isEnabled()     # (enabled, and a click did nothing)
    empty = page.map
    scanned.save_features([{"track_id": r["id"], "model_version": FEATURE_VERSION, "bucket": r["genre"].lower(),
                            "embedding": _unit(r["path"], 200)} for r in scanned.tracks()])
    page.set_map(load_map(scanned))
    assert len(page.map) == len(scanned.tracks()) and page.fit_btn.isEnabled()
    page.set_map(empty)                 # the analyses forgotten: nothing to show again
    assert not page.fit_btn.isEnabled()


def test_a_period_without_plays_has_its_own_whole_ticks_not_the_last_periods(qtbot, scanned, make_window):
    # Thirty plays six weeks ago: all time ticks at tens, the last four weeks have none.
    track = scanned.tracks()[0]
    now = time.time()
    scanned.log_plays([(track["id"], now - 42 * 86400 - 60 * i, 180_000, 180_000, "finished", "library")
                       for i in range(30)])
    window = make_window(scanned)
    o = _opened(qtbot, window).overview
    qtbot.waitUntil(lambda: o.top_bars is not None or o.top_caption.text() == "No plays in this period.",
                    timeout=10000)
    axis = o.top_plot.getPlotItem().getAxis("bottom")
    o.period.setCurrentIndex(o.period.findText("All time"))
    qtbot.waitUntil(lambda: _tick_values(axis) == [0, 10, 20, 30], timeout=5000)
    o.period.setCurrentIndex(o.period.findText("Last 4 weeks"))
    qtbot.waitUntil(lambda: o.top_caption.text() == "No plays in this period.", timeout=5000)
    # (the ticks of all time stayed: 0 and 10 on an axis of 0 to 10 plays)
    assert _tick_values(axis) == [0, 2, 4, 6, 8, 10]


def test_every_chart_of_plays_has_whole_numbers_only(qtbot, scanned, make_window):
    # One play a week, one of them Segue's: the plays per week, per hour and behind each point
    # read 0, 0.5, 1.0 plays.
    track = scanned.tracks()[0]["id"]
    now = time.time()
    scanned.log_plays([(track, now - 86400 * (1 + 7 * i), 180_000, 180_000, "finished",
                        "up_next" if i == 0 else "library") for i in range(3)])
    window = make_window(scanned)
    view = _opened(qtbot, window)
    o, report = view.overview, view.report
    qtbot.waitUntil(lambda: o.top_bars is not None and report.own_bars is not None, timeout=10000)
    for plot in (o.plays_plot, o.hour_plot, report.count_plot):
        values = _tick_values(plot.getPlotItem().getAxis("left"))
        assert values and all(float(v).is_integer() for v in values), (plot.getPlotItem().titleLabel.text, values)
